// Latency decomposition: exact means and residuals on tiny hand-built `_sum`/`_count` series (two
// replicas, a counter reset), every caveat at its trigger, and the bundled datasets.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisView, FLEET } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import { decomposeLatency, latencyDecompositionRows } from '../../src/derive/decomposition.js';
import { ingest } from '../../src/ingest/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const START = 1_763_625_600;
const N = 61; // 10 minutes at 10 s
const t = Float64Array.from({ length: N }, (_, i) => START + 10 * i);
const noConfig = { values: {}, conflicts: [] };

/** `_sum` and `_count` of a histogram where each scrape interval adds `n` requests of `each` seconds; a reset at `resetAt`. */
function sc(base: string, instance: string, n: number, each: number, resetAt = -1): Series[] {
  const sum = new Float64Array(N);
  const count = new Float64Array(N);
  for (let i = 1; i < N; i++) {
    const restart = i === resetAt;
    sum[i] = (restart ? 0 : sum[i - 1]) + n * each;
    count[i] = (restart ? 0 : count[i - 1]) + n;
  }
  return [
    { name: `${base}_sum`, labels: { instance }, t, v: sum },
    { name: `${base}_count`, labels: { instance }, t, v: count },
  ];
}

/** A replica: n requests per scrape waiting q, prefill p, decode d; TTFT q + p + ttftExtra; E2E q + p + d + e2eExtra. */
function replica(instance: string, n: number, q: number, p: number, d: number, ttftExtra: number, e2eExtra: number, resetAt = -1): Series[] {
  return [
    ...sc('vllm:request_queue_time_seconds', instance, n, q, resetAt),
    ...sc('vllm:request_prefill_time_seconds', instance, n, p, resetAt),
    ...sc('vllm:request_decode_time_seconds', instance, n, d, resetAt),
    ...sc('vllm:request_inference_time_seconds', instance, n, p + d, resetAt),
    ...sc('vllm:time_to_first_token_seconds', instance, n, q + p + ttftExtra, resetAt),
    ...sc('vllm:e2e_request_latency_seconds', instance, n, q + p + d + e2eExtra, resetAt),
  ];
}

describe('decomposeLatency: exact values', () => {
  // a: 4 requests per scrape, 0.5 s waiting, 0.25 s prefill, 3 s decode, TTFT +50 ms, E2E +100 ms (a reset at sample 30)
  // b: 1 request per scrape, 8 s waiting, 0.5 s prefill, 2 s decode, TTFT +0, E2E +0
  const view = new AnalysisView(new MetricSet([...replica('a:8000', 4, 0.5, 0.25, 3, 0.05, 0.1, 30), ...replica('b:8000', 1, 8, 0.5, 2, 0, 0)]), noConfig);

  it('per replica over the whole window: the means, and the residuals TTFT − (queue + prefill), E2E − all phases', () => {
    const a = decomposeLatency(view, 'a:8000', view.start, view.end);
    expect(a.queueMeanSeconds).toBeCloseTo(0.5, 12);
    expect(a.prefillMeanSeconds).toBeCloseTo(0.25, 12);
    expect(a.decodeMeanSeconds).toBeCloseTo(3, 12);
    expect(a.inferenceMeanSeconds).toBeCloseTo(3.25, 12);
    expect(a.ttftMeanSeconds).toBeCloseTo(0.8, 12);
    expect(a.e2eMeanSeconds).toBeCloseTo(3.85, 12);
    expect(a.ttftResidualSeconds).toBeCloseTo(0.05, 12);
    expect(a.e2eResidualSeconds).toBeCloseTo(0.1, 12);
    // 60 intervals × 4 requests; the reset at sample 30 counts its new value from 0
    expect([a.queueCount, a.ttftCount, a.e2eCount]).toEqual([240, 240, 240]);
    expect(a.caveats).toEqual([]);
  });

  it('the fleet weights each replica by its requests (means add up; b waits 8 s, a 0.5 s)', () => {
    const f = decomposeLatency(view, FLEET, view.start, view.end);
    expect(f.queueCount).toBe(300);
    expect(f.queueMeanSeconds).toBeCloseTo((240 * 0.5 + 60 * 8) / 300, 12);
    expect(f.ttftMeanSeconds).toBeCloseTo((240 * 0.8 + 60 * 8.5) / 300, 12);
    expect(f.ttftResidualSeconds).toBeCloseTo((240 * 0.05) / 300, 12);
  });

  it('a span: the increase from the last sample at or before t0 to the last at or before t1', () => {
    const b = decomposeLatency(view, 'b:8000', START + 100, START + 400);
    expect(b.queueCount).toBe(30);
    expect(b.queueMeanSeconds).toBeCloseTo(8, 12);
    expect([b.startSeconds, b.endSeconds]).toEqual([START + 100, START + 400]);
    expect(b.caveats).toEqual([]);
    // 55 s is less than 10 mean requests (10.5 s each)
    const short = decomposeLatency(view, 'b:8000', START + 100, START + 155);
    expect(short.queueCount).toBe(5);
    expect(short.caveats).toEqual(['the span (55 s) is less than 10 mean request durations (10.5 s): the requests behind the TTFT mean and those behind the phase means overlap only in part']);
  });

  it('whole-window rows: fleet and each replica', () => {
    expect(latencyDecompositionRows(view).map((r) => r.scope)).toEqual([FLEET, 'a:8000', 'b:8000']);
  });
});

describe('decomposeLatency: caveats', () => {
  it('a missing histogram: null fields and a caveat naming it; no phase histogram at all: no rows', () => {
    const series = replica('a:8000', 2, 1, 0.1, 1, 0, 0).filter((s) => !s.name.startsWith('vllm:request_decode_time_seconds'));
    const view = new AnalysisView(new MetricSet(series), noConfig);
    const r = decomposeLatency(view, FLEET, view.start, view.end);
    expect([r.decodeMeanSeconds, r.decodeCount, r.e2eResidualSeconds]).toEqual([null, null, null]);
    expect(r.ttftResidualSeconds).toBeCloseTo(0, 12);
    expect(r.caveats).toEqual(['not in the inputs: vllm:request_decode_time_seconds']);
    const none = new AnalysisView(new MetricSet(sc('vllm:time_to_first_token_seconds', 'a:8000', 1, 1)), noConfig);
    expect(latencyDecompositionRows(none)).toEqual([]);
  });

  it('request counts that differ, preemptions, and a TTFT below queue + prefill', () => {
    const series = [
      ...replica('a:8000', 10, 2, 0.5, 1, -0.5, 0).filter((s) => !s.name.startsWith('vllm:time_to_first_token')),
      ...sc('vllm:time_to_first_token_seconds', 'a:8000', 11, 2),
      { name: 'vllm:num_preemptions_total', labels: { instance: 'a:8000' }, t, v: Float64Array.from({ length: N }, (_, i) => 100 + 2 * i) },
    ];
    const view = new AnalysisView(new MetricSet(series), noConfig);
    const r = decomposeLatency(view, FLEET, view.start, view.end);
    expect(r.ttftResidualSeconds).toBeCloseTo(-0.5, 12);
    expect(r.caveats).toEqual([
      'the phase histograms counted 600 requests and TTFT 660: the phases are observed when a request finishes, TTFT at its first token, so requests still running at the end of the span (or aborted) are in one and not the other',
      "120 preemptions in the span: a preempted request's second wait is counted in its prefill or decode time, not in the queue time (vLLM V1 measures the queue to the first scheduling only)",
      'TTFT is 500 ms below queue + prefill: the two are measured by different processes (API server from arrival, engine core from queueing) over requests observed at different moments',
    ]);
  });
});

describe('decomposeLatency on a real vLLM V1 scrape (test/fixtures/real, Qwen2.5-3B, 24 requests)', () => {
  it('TTFT 31.1 ms = 0.07 ms waiting + 29.6 ms prefill + 1.43 ms in the API server; the sums and counts of the file', async () => {
    const file = path.relative(process.cwd(), path.join(root, 'test/fixtures/real/metrics-text/hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom'));
    const a = await ingest({ inputs: [file] });
    const v = new AnalysisView(a.metrics, a.config);
    const [r] = latencyDecompositionRows(v);
    // the file's _sum / _count lines, divided by hand
    expect(r.queueMeanSeconds).toBeCloseTo(0.0017025180002292473 / 24, 15);
    expect(r.prefillMeanSeconds).toBeCloseTo(0.7103619180006717 / 24, 15);
    expect(r.decodeMeanSeconds).toBeCloseTo(67.37902535299918 / 24, 15);
    expect(r.ttftMeanSeconds).toBeCloseTo(0.7464299201965332 / 24, 15);
    expect(r.e2eMeanSeconds).toBeCloseTo(68.12631511688232 / 24, 15);
    expect(r.ttftResidualSeconds).toBeCloseTo((0.7464299201965332 - 0.0017025180002292473 - 0.7103619180006717) / 24, 15);
    expect(r.e2eResidualSeconds).toBeCloseTo((68.12631511688232 - 0.0017025180002292473 - 0.7103619180006717 - 67.37902535299918) / 24, 15);
    expect([r.queueCount, r.ttftCount, r.e2eCount]).toEqual([24, 24, 24]);
    expect(r.caveats).toEqual(['from a single scrape: cumulative since each process started, not over a window']);
  });
  it('a scrape taken before any request: no row', async () => {
    const file = path.relative(process.cwd(), path.join(root, 'test/fixtures/real/metrics-text/hardware-aware-router__vllm_metrics.txt'));
    const a = await ingest({ inputs: [file] });
    expect(latencyDecompositionRows(new AnalysisView(a.metrics, a.config))).toEqual([]);
  });
});

describe('decomposeLatency on the bundled datasets', () => {
  async function view(name: string) {
    const a = await ingest({ inputs: [path.relative(process.cwd(), path.join(root, 'datasets', name))] });
    return new AnalysisView(a.metrics, a.config);
  }

  it('prefill-starvation, the burst on 10.0.0.11 (10:20–10:40): TTFT is almost all waiting', async () => {
    const v = await view('prefill-starvation');
    const r = decomposeLatency(v, '10.0.0.11:8000', v.start + 20 * 60, v.start + 40 * 60);
    // the README: TTFT mean 33 s (20–30 min) and 86 s (30–40 min)
    expect(r.ttftMeanSeconds!).toBeGreaterThan(40);
    expect(r.ttftMeanSeconds!).toBeLessThan(90);
    expect(r.queueMeanSeconds! / r.ttftMeanSeconds!).toBeGreaterThan(0.98);
    expect(r.prefillMeanSeconds!).toBeLessThan(1);
    expect(Math.abs(r.ttftResidualSeconds!) / r.ttftMeanSeconds!).toBeLessThan(0.01);
    // before the burst: tens of milliseconds, mostly prefill
    const calm = decomposeLatency(v, '10.0.0.11:8000', v.start, v.start + 15 * 60);
    expect(calm.ttftMeanSeconds!).toBeLessThan(0.05);
    expect(calm.prefillMeanSeconds!).toBeGreaterThan(calm.queueMeanSeconds!);
  });

  it('the simulator has no API-server overhead: end-to-end equals the three phases on every dataset scope', async () => {
    for (const name of ['healthy-baseline', 'kv-cache-thrashing', 'fleet-one-degraded']) {
      for (const r of latencyDecompositionRows(await view(name))) {
        expect(Math.abs(r.e2eResidualSeconds!)).toBeLessThan(1e-6);
        expect(r.queueCount).toBe(r.e2eCount);
      }
    }
  });
});
