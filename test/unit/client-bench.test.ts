// Benchmark-client result files: the layouts read (real guidellm and aiperf files by others, vLLM
// layouts built by test/fixtures/clients/make_vllm_results.py with numpy), our per-request statistics
// against numpy's, goodput, and the join with server metrics (placement in time, TTFT overhead, load).

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { detectAdapter } from '../../src/ingest/index.js';
import { fileSource } from '../../src/ingest/source.js';
import { runAnalysis } from '../../src/engine.js';
import type { ClientRun } from '../../src/model/client-result.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { Artifacts } from '../../src/model/artifacts.js';
import { AnalysisView, FLEET } from '../../src/derive/view.js';
import { histogramMeanBetween, totalBetween } from '../../src/derive/windowed.js';
import { parseVllmDate, sniffClientLayout } from '../../src/ingest/from-client-bench.js';
import { REAL, ROOT } from '../support/paths.js';
import { InputError } from '../../src/errors.js';
import { parseUtcOffset } from '../../src/cli/common.js';

const FIX = path.join(ROOT, 'test/fixtures/clients');
const REAL_CLIENTS = path.join(REAL, 'clients');

async function runs(file: string, extra: Partial<Artifacts> = {}, options: Record<string, number> = {}): Promise<ClientRun[]> {
  const a = await ingest({ inputs: [file], options });
  const r = runAnalysis({ ...a, ...extra }, { name: 'x' });
  return r.client!.runs;
}

function close(a: number | null | undefined, b: number, rel = 1e-9): void {
  expect(a).not.toBeNull();
  expect(Math.abs((a as number) - b) / Math.max(Math.abs(b), 1e-12), `${a} vs ${b}`).toBeLessThanOrEqual(rel);
}

const raw = (f: string) => JSON.parse(readFileSync(f, 'utf8')) as Record<string, number>;

describe('vllm bench serve --save-result --save-detailed', () => {
  const file = path.join(FIX, 'vllm-bench-serve.detailed.json');

  it('is sniffed by content and read with its per-request arrays', async () => {
    expect(detectAdapter(await fileSource(file)).id).toBe('client-bench');
    const [r] = await runs(file);
    expect(r.tool).toBe('vllm bench serve');
    expect(r.layout).toBe('vllm bench serve --save-result, per-request arrays for 160 requests');
    expect([r.completed, r.failed]).toEqual([158, 2]);
    expect(r.model).toBe('meta-llama/Llama-3.1-8B-Instruct');
    expect(r.requestRate).toBe(4);
  });

  it('our statistics over the per-request values equal the numpy ones in the file (mean, median, std, p50/p90/p99)', async () => {
    const [r] = await runs(file);
    const f = raw(file);
    for (const m of ['ttft', 'tpot', 'itl', 'e2el'] as const) {
      const l = r.latency.find((x) => x.metric === m)!;
      expect(l.source).toBe('per-request');
      close(l.meanSeconds, f[`mean_${m}_ms`] / 1000);
      close(l.medianSeconds, f[`median_${m}_ms`] / 1000);
      close(l.stdSeconds, f[`std_${m}_ms`] / 1000);
      for (const p of [50, 90, 99]) close(l.percentiles.find((x) => x.p === p)!.seconds, f[`p${p}_${m}_ms`] / 1000);
    }
    expect(r.notes.filter((n) => n.startsWith('reported-mismatch'))).toEqual([]);
  });

  it('goodput at the chat targets (500 ms, 50 ms, 10 s) equals the file\'s --goodput with the same targets', async () => {
    const [r] = await runs(file);
    const f = raw(file);
    expect(r.goodput!.requests).toBe(160);
    close(r.goodput!.requestsPerSecond, f.request_goodput);
    expect(r.goodput!.goodRequests).toBe(Math.round(f.request_goodput * f.duration));
  });
});

describe('vllm bench serve --append-result (one object per line, no --save-detailed)', () => {
  it('reads each line as a run; latencies per request, the rest from the summary', async () => {
    const file = path.join(FIX, 'vllm-bench-serve.append.jsonl');
    const rs = await runs(file);
    expect(rs.map((r) => [r.requestRate, r.maxConcurrency, r.completed])).toEqual([
      [2, null, 60],
      ['inf', 16, 60],
    ]);
    expect(rs[0].layout).toBe('vllm bench serve --save-result (run 1 of 2, one JSON object per line), per-request arrays for 60 requests');
    const lat = Object.fromEntries(rs[0].latency.map((l) => [l.metric, l.source]));
    expect(lat).toEqual({ ttft: 'reported', tpot: 'reported', itl: 'reported', e2el: 'per-request' });
    // No TTFT per request: no goodput.
    expect(rs[0].goodput).toBeNull();
  });
});

describe('benchmark_serving.py (2025 layout)', () => {
  it('reads the old layout: no `failed`, the "request_goodput:" key, TPOT from the ITLs', async () => {
    const file = path.join(FIX, 'benchmark_serving.2025.json');
    const [r] = await runs(file);
    const f = raw(file);
    expect(r.tool).toBe('benchmark_serving.py');
    expect([r.completed, r.failed]).toEqual([79, 1]);
    expect(r.notes).toEqual(expect.arrayContaining(['goodput-key-typo', 'tpot-from-itls', 'goodput-without-e2e']));
    // latency = ttft + Σitl (both stamped from the same chunk times), so TPOT from the ITLs is exact.
    close(r.latency.find((l) => l.metric === 'tpot')!.meanSeconds, f.mean_tpot_ms / 1000);
    close(r.latency.find((l) => l.metric === 'tpot')!.percentiles.find((p) => p.p === 99)!.seconds, f.p99_tpot_ms / 1000);
    expect(r.latency.find((l) => l.metric === 'e2el')).toBeUndefined();
  });
});

describe('real files by others', () => {
  it('guidellm benchmarks report (neuralmagic/guidellm test asset): epoch times, request totals, ms distributions', async () => {
    const [r] = await runs(path.join(REAL_CLIENTS, 'guidellm__benchmarks_stripped.json'));
    expect(r.tool).toBe('guidellm');
    expect(r.label).toBe('synchronous');
    expect(r.maxConcurrency).toBe(1);
    expect([r.completed, r.failed]).toEqual([46, 0]);
    expect(r.startSeconds).toBe(1749157168.1827004);
    expect(r.endSeconds).toBe(1749157198.1799018);
    expect(r.durationSeconds).toBe(29.997201442718506);
    close(r.requestsPerSecond, 46 / 29.997201442718506);
    close(r.outputTokensPerSecond, 5888 / 29.997201442718506);
    const ttft = r.latency.find((l) => l.metric === 'ttft')!;
    close(ttft.meanSeconds, 16.792535781860348e-3);
    close(ttft.percentiles.find((p) => p.p === 99)!.seconds, 21.281957626342773e-3);
    close(r.latency.find((l) => l.metric === 'e2el')!.medianSeconds, 0.6424565315246582);
    expect(r.notes).toContain('incomplete-requests');
  });

  it('aiperf profile export (ai-dynamo/aiperf test artifact): {unit, avg, pNN} records, zone-less ISO start', async () => {
    const [r] = await runs(path.join(REAL_CLIENTS, 'aiperf__baseline-chat__profile_export_aiperf.json'));
    expect(r.tool).toBe('aiperf');
    expect(r.model).toBe('mock-model');
    expect([r.completed, r.failed, r.maxConcurrency]).toEqual([64, 0, 4]);
    close(r.requestsPerSecond, 1854.929714829192);
    close(r.durationSeconds, 0.034502655);
    const e2e = r.latency.find((l) => l.metric === 'e2el')!;
    close(e2e.meanSeconds, 1.516322453125e-3);
    close(e2e.percentiles.find((p) => p.p === 95)!.seconds, 10.865638499999939e-3);
    // Non-streaming chat: no TTFT in the file, and none invented.
    expect(r.latency.map((l) => l.metric)).toEqual(['e2el']);
    expect(r.startSeconds).toBeNull();
  });
});

describe('sniffing and errors', () => {
  it('claims benchmark results, not Prometheus responses', () => {
    expect(sniffClientLayout('{"status":"success","data":{"resultType":"matrix","result":[]}}')).toBeNull();
    expect(sniffClientLayout('{"date": "20250101-000000", "duration": 1.5, "completed": 3, "request_throughput": 2}')).toBe('vllm');
    expect(parseVllmDate('20250530-194738')).toBe(Date.UTC(2025, 4, 30, 19, 47, 38) / 1000);
    expect(parseVllmDate('2025-05-30')).toBeNull();
  });

  it('--client-utc-offset takes ±HH:MM, ±HHMM, hours or Z, within UTC−12..+14', () => {
    expect(['+02:00', '-0530', '+2', '0', 'Z', '14:00'].map(parseUtcOffset)).toEqual([120, -330, 120, 0, 0, 840]);
    for (const bad of ['+15:00', '2:75', 'CET', '']) expect(() => parseUtcOffset(bad)).toThrow(/is not a UTC offset/);
  });

  it('a broken line in an appended file is one error naming the line', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-client-'));
    const f = path.join(dir, 'r.jsonl');
    writeFileSync(f, '{"date": "20250101-000000", "duration": 1.5, "completed": 3, "request_throughput": 2}\n{"date": "20250101-0001\n');
    const e = await ingest({ inputs: [f] }).then(() => null, (x: unknown) => x as InputError);
    expect(e).toBeInstanceOf(InputError);
    expect(e!.code).toBe('JSON_SYNTAX');
    expect(e!.oneLine()).toMatch(/r\.jsonl, line 2: not JSON/);
  });
});

// ───────────────────────────── the join ─────────────────────────────

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z
const STEP = 10;
const N = 2 * 360;

/** One replica: 0.2 req/s of background, 5 req/s from 60 to 70 min; TTFT 40 ms, 400 ms in the burst; a queue in the burst. */
function serverMetrics(): MetricSet {
  const labels = { instance: 'a:8000', model_name: 'm' };
  const t = Float64Array.from({ length: N }, (_, i) => T0 + i * STEP);
  const inBurst = (i: number) => i >= 360 && i < 420;
  const req = new Float64Array(N);
  const cnt = new Float64Array(N);
  const sum = new Float64Array(N);
  const wait = new Float64Array(N);
  const run = new Float64Array(N);
  const kv = new Float64Array(N);
  for (let i = 1; i < N; i++) {
    const n = inBurst(i) ? 50 : 2;
    req[i] = req[i - 1] + n;
    cnt[i] = cnt[i - 1] + n;
    sum[i] = sum[i - 1] + n * (inBurst(i) ? 0.4 : 0.04);
    wait[i] = inBurst(i) ? 12 : 0;
    run[i] = inBurst(i) ? 64 : 3;
    kv[i] = inBurst(i) ? 0.7 : 0.05;
  }
  const s = (name: string, v: Float64Array, extra: Record<string, string> = {}): Series => ({ name, labels: { ...labels, ...extra }, t, v });
  return new MetricSet([
    s('vllm:request_success_total', req, { finished_reason: 'stop' }),
    s('vllm:time_to_first_token_seconds_count', cnt),
    s('vllm:time_to_first_token_seconds_sum', sum),
    s('vllm:time_to_first_token_seconds_bucket', cnt, { le: '+Inf' }),
    s('vllm:num_requests_waiting', wait),
    s('vllm:num_requests_running', run),
    s('vllm:kv_cache_usage_perc', kv),
  ]);
}

function localDate(unix: number, offsetMinutes: number): string {
  const d = new Date((unix + offsetMinutes * 60) * 1000).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
}

describe('join with the server metrics of the same window', () => {
  const metrics = serverMetrics();
  const view = new AnalysisView(metrics, { values: {}, conflicts: [] } as never);
  const start = T0 + 3600;
  const end = T0 + 4200;
  const served = totalBetween(view, 'vllm:request_success_total', FLEET, start - view.step, end + view.step)!;
  const serverTtft = histogramMeanBetween(view, 'vllm:time_to_first_token_seconds', FLEET, start - view.step, end + view.step)!;

  function clientFile(date: string): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-client-'));
    const f = path.join(dir, 'bench.json');
    // The client saw the server's TTFT plus 35 ms (network, proxy, tokenization).
    writeFileSync(f, JSON.stringify({ date, endpoint_type: 'openai', backend: 'openai', label: null, model_id: 'm', num_prompts: served, request_rate: 5, duration: end - start, completed: served, failed: 0, total_input_tokens: 1000, total_output_tokens: 2000, request_throughput: served / (end - start), mean_ttft_ms: (serverTtft + 0.035) * 1000, median_ttft_ms: 400, p99_ttft_ms: 600 }));
    return f;
  }

  it('places a zone-less run at the UTC offset where the server counted its requests, and finds the TTFT overhead', async () => {
    const [r] = await runs(clientFile(localDate(end, 120)), { metrics });
    const j = r.join!;
    expect(j.alignment).toContain('read at UTC+02:00');
    expect(j.alignmentConfidence).toBe('medium');
    expect([j.windowStartSeconds, j.windowEndSeconds]).toEqual([start, end]);
    expect(j.serverRequests).toBe(served);
    close(j.ttftOverheadMeanSeconds, 0.035, 1e-9);
    // The burst queued requests: the run measured the server at capacity.
    expect(j.load).toBe('saturated');
    // The run's window is [60:00, 70:00): 60 grid points, all in the burst (the point at 70:00 is after
    // it and belongs to the next stretch — statsBetween is half-open).
    close(j.waitingMean, 12);
    expect([j.waitingMax, j.runningMax, j.kvUsageMaxRatio]).toEqual([12, 64, 0.7]);
  });

  it('--client-utc-offset places it without searching (confidence high)', async () => {
    const a = await ingest({ inputs: [clientFile(localDate(end, -300))], options: { clientUtcOffsetMinutes: -300 } });
    const r = runAnalysis({ ...a, metrics }, { name: 'x' }).client!.runs[0];
    expect(r.join!.alignmentConfidence).toBe('high');
    expect(r.join!.windowStartSeconds).toBe(start);
  });

  it('a run in quiet time reads as light load; one outside the metrics at every offset is not joined', async () => {
    const quietEnd = T0 + 1800;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-client-'));
    const f = path.join(dir, 'quiet.json');
    writeFileSync(f, JSON.stringify({ date: localDate(quietEnd, 0), duration: 600, completed: 120, failed: 0, request_throughput: 0.2, mean_ttft_ms: 60 }));
    const [q] = await runs(f, { metrics });
    expect(q.join!.load).toBe('light');
    // Steady background: every offset that keeps the run in quiet time fits as well. The nearest to
    // UTC is taken, with low confidence and a note asking for --client-utc-offset.
    expect(q.join!.alignment).toContain('UTC+00:00');
    expect(q.join!.alignmentConfidence).toBe('low');
    expect(q.join!.notes).toContain('alignment-ambiguous');
    const g = path.join(dir, 'far.json');
    writeFileSync(g, JSON.stringify({ date: '20240101-000000', duration: 600, completed: 120, request_throughput: 0.2 }));
    const [far] = await runs(g, { metrics });
    expect(far.join).toBeNull();
    expect(far.notes).toContain('outside-metrics-window');
    // A client count the server never came near at any offset: not placed rather than placed wrong.
    const h = path.join(dir, 'other.json');
    writeFileSync(h, JSON.stringify({ date: localDate(end, 0), duration: 600, completed: 20000, request_throughput: 33 }));
    const [other] = await runs(h, { metrics });
    expect(other.join).toBeNull();
    expect(other.notes).toContain('placement-failed');
  });
});
