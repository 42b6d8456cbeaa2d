// Redeploys, per-replica logs, the ground truth and the JSON/OpenMetrics writers' agreement — on short
// runs built here (the committed datasets are checked in simulate-datasets.test.ts).

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simulateReplica, type ReplicaResult } from '../../src/simulate/engine.js';
import { DEFAULT_START, findScenario, writeExports } from '../../src/simulate/index.js';
import { replica } from '../../src/simulate/scenarios.js';
import { simulateWithTruth } from '../../src/simulate/truth.js';
import { Timeline } from '../../src/simulate/timeline.js';
import type { ReplicaSpec, SimOptions, StreamSpec } from '../../src/simulate/types.js';
import { ingest } from '../../src/ingest/index.js';
import { labelsKey, type MetricSet } from '../../src/model/series.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-truth-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const longContext: StreamSpec = { name: 'rag', rate: { rps: 2.2 }, prompt: { median: 3000, sigma: 0.4 }, output: { median: 350, sigma: 0.5 }, maxTokens: [2048] };

function spec(over: Partial<ReplicaSpec> = {}): ReplicaSpec {
  return replica(0, { maxModelLen: 16384, streams: [longContext], baseRssBytes: 3e9, ...over });
}

function opts(minutes: number, interval = 10): SimOptions {
  return { seed: 3, startTime: DEFAULT_START, durationSeconds: minutes * 60, scrapeIntervalSeconds: interval };
}

function col(r: ReplicaResult, name: string, match: Record<string, string> = {}): number[] {
  const s = r.registry.series.findIndex((d) => d.name === name && Object.entries(match).every(([k, v]) => d.labels.some(([a, b]) => a === k && b === v)));
  if (s < 0) throw new Error(`no series ${name}`);
  return Array.from(r.data.subarray(s * r.nScrapes, (s + 1) * r.nScrapes));
}

const REDEPLOY_AT = 10 * 60;
const redeployed = () =>
  spec({ faults: [{ kind: 'redeploy', at: REDEPLOY_AT, downSeconds: 120, set: { gpuMemoryUtilization: 0.31, maxNumSeqs: 512 } }] });

describe('a redeploy with other settings', () => {
  const tl = new Timeline(25 * 60);
  const r = simulateReplica(redeployed(), opts(25), 0, tl);

  it('starts a new process: target down, counters from zero, a new process_start_time_seconds and KV pool', () => {
    expect(r.configs.map((c) => c.plan.numGpuBlocks)).toEqual([27875, 3815]);
    expect(r.processes.map((p) => p.cause)).toEqual(['initial', 'redeploy']);
    // The process stops at the first step boundary after REDEPLOY_AT (the scrape at k0 may still see it),
    // the target is down until REDEPLOY_AT + 120 s, then the new process answers.
    const k0 = REDEPLOY_AT / 10;
    const running = col(r, 'vllm:num_requests_running');
    expect(running.slice(k0 + 1, k0 + 12).every((v) => Number.isNaN(v))).toBe(true);
    expect(Number.isNaN(running[k0 + 12])).toBe(false);
    const start = col(r, 'process_start_time_seconds');
    expect(start[k0 - 1]).toBe(Math.round(r.processes[0].start * 100) / 100);
    expect(start[k0 + 12]).toBe(Math.round(r.processes[1].start * 100) / 100);
    // The new process started after the old one stopped and before its /metrics answered (60 s start-up).
    expect(r.processes[1].start).toBeGreaterThan(DEFAULT_START + REDEPLOY_AT);
    expect(r.processes[1].start).toBeLessThanOrEqual(DEFAULT_START + REDEPLOY_AT + 120 - 60);
    const gen = col(r, 'vllm:generation_tokens_total');
    expect(gen[k0 + 12]).toBeLessThan(gen[k0 - 1]);
    // DCGM keeps reporting; the framebuffer follows gpu_memory_utilization.
    const fb = col(r, 'DCGM_FI_DEV_FB_USED');
    expect(fb[k0 - 1]).toBe(Math.round((81559 * 1048576 * 0.9) / 1048576));
    expect(fb[k0 + 1]).toBe(4);
    expect(fb[k0 + 12]).toBe(Math.round((81559 * 1048576 * 0.31) / 1048576));
  });

  it('exports one cache_config_info series per configuration, each only while its process runs', () => {
    const infos = r.registry.series.map((d, i) => ({ d, i })).filter(({ d }) => d.name === 'vllm:cache_config_info');
    expect(infos.map(({ d }) => Object.fromEntries(d.labels).num_gpu_blocks)).toEqual(['27875', '3815']);
    expect(infos.map(({ d }) => Object.fromEntries(d.labels).gpu_memory_utilization)).toEqual(['0.9', '0.31']);
    const [a, b] = infos.map(({ i }) => Array.from(r.data.subarray(i * r.nScrapes, (i + 1) * r.nScrapes)));
    const k0 = REDEPLOY_AT / 10;
    expect(a.slice(0, k0).every((v) => v === 1)).toBe(true);
    expect(a.slice(k0 + 1).every((v) => Number.isNaN(v))).toBe(true);
    expect(b.slice(0, k0 + 12).every((v) => Number.isNaN(v))).toBe(true);
    expect(b.slice(k0 + 12).every((v) => v === 1)).toBe(true);
  });

  it('thrashes only after the redeploy, on the same requests', () => {
    const bin = (s: number) => Math.floor(s / 60);
    expect(tl.sum(tl.preemptions, 0, bin(REDEPLOY_AT))).toBe(0);
    expect(tl.sum(tl.preemptions, bin(REDEPLOY_AT), tl.nBins)).toBeGreaterThan(20);
    expect(r.stats.preemptions).toBe(tl.sum(tl.preemptions, 0, tl.nBins));
    // The exported counter of the new process counts what the timeline saw after the redeploy (up to the last scrape).
    const pre = col(r, 'vllm:num_preemptions_total').filter((v) => !Number.isNaN(v));
    expect(pre[pre.length - 1]).toBeGreaterThan(0.9 * tl.sum(tl.preemptions, bin(REDEPLOY_AT), tl.nBins));
  });

  it('writes a server log with both start-ups and a shutdown between them; the log adapter sees both settings', async () => {
    const dir = path.join(tmp, 'redeploy-log');
    await writeExports(dir, [r, simulateReplica(spec({ instance: '10.0.0.12:8000', hostname: 'gpu-node-2' }), opts(5), 1)], ['log'], { startTime: DEFAULT_START, scrapeIntervalSeconds: 10 });
    expect(readdirSync(dir).sort()).toEqual(['vllm-10.0.0.11-8000.log', 'vllm-10.0.0.12-8000.log']);
    const text = readFileSync(path.join(dir, 'vllm-10.0.0.11-8000.log'), 'utf8');
    expect(text.match(/non-default args/g)?.length).toBe(2);
    expect(text).toMatch(/'gpu_memory_utilization': 0\.9,[^\n]*'max_num_seqs': 256/);
    expect(text).toMatch(/'gpu_memory_utilization': 0\.31,[^\n]*'max_num_seqs': 512/);
    expect(text).toMatch(/Shutting down FastAPI HTTP server/);
    expect(text.indexOf('Shutting down')).toBeGreaterThan(text.indexOf("'max_num_seqs': 256"));
    expect(text.indexOf('Shutting down')).toBeLessThan(text.indexOf("'max_num_seqs': 512"));
    const art = await ingest({ inputs: [path.join(dir, 'vllm-10.0.0.11-8000.log')] });
    const conflict = art.config.conflicts.find((c) => c.setting === 'max_num_seqs');
    expect(conflict?.values.map((v) => v.value).sort()).toEqual([256, 512]);
  });
});

describe('a replica without a server log', () => {
  it('writes no log for it, and per-replica logs for the others', async () => {
    const a = simulateReplica(spec({ streams: [{ ...longContext, rate: { rps: 0.5 } }] }), opts(3), 0);
    const b = simulateReplica(spec({ instance: '10.0.0.12:8000', serverLog: false, streams: [{ ...longContext, rate: { rps: 0.5 } }] }), opts(3), 1);
    const dir = path.join(tmp, 'nolog');
    const files = await writeExports(dir, [a, b], ['log'], { startTime: DEFAULT_START, scrapeIntervalSeconds: 10 });
    expect(files.map((f) => path.basename(f))).toEqual(['vllm-10.0.0.11-8000.log']);
  });
});

function flat(m: MetricSet): Map<string, { t: number[]; v: number[] }> {
  const out = new Map<string, { t: number[]; v: number[] }>();
  for (const s of m.series) out.set(`${s.name}{${labelsKey(s.labels)}}`, { t: Array.from(s.t), v: Array.from(s.v) });
  return out;
}

describe('query_range JSON and OpenMetrics writers agree', () => {
  it('ingest to the same series, timestamps and values — a redeploy, a restart gap and a second replica included', async () => {
    const results = [
      simulateReplica(redeployed(), opts(20), 0),
      simulateReplica(spec({ instance: '10.0.0.12:8000', hostname: 'gpu-node-2', faults: [{ kind: 'restart', at: 300, downSeconds: 60 }] }), opts(20), 1),
    ];
    const dir = path.join(tmp, 'parity');
    await writeExports(dir, results, ['json', 'openmetrics'], { startTime: DEFAULT_START, scrapeIntervalSeconds: 10 });
    const fromJson = await ingest({ inputs: [path.join(dir, 'metrics.json')] });
    const fromOm = await ingest({ inputs: [path.join(dir, 'metrics.om.txt')] });
    expect(fromOm.warnings).toEqual(fromJson.warnings);
    const a = flat(fromJson.metrics);
    const b = flat(fromOm.metrics);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    let samples = 0;
    for (const [k, s] of a) {
      expect(b.get(k)!.t, k).toEqual(s.t);
      expect(b.get(k)!.v, k).toEqual(s.v);
      samples += s.t.length;
    }
    expect(samples).toBeGreaterThan(50_000);
    expect([...a.keys()].filter((k) => k.startsWith('vllm:cache_config_info')).length).toBe(3);
  });
});

describe('ground truth', () => {
  const sc = findScenario('mixed-config-thrash')!;
  const o = opts(30);
  const { results, timelines, truth } = simulateWithTruth(sc, sc.build({ hours: 0.5, replicas: 2 }), o);

  it('simulating with the truth recorder changes no exported value', () => {
    const plain = simulateReplica(sc.build({ hours: 0.5, replicas: 2 })[0], o, 0);
    expect(Array.from(plain.data)).toEqual(Array.from(results[0].data));
  });

  it('states each replica\'s settings, pool and sources; the small one thrashes from about minute 15 and the big one not at all', () => {
    expect(truth.replicas.map((r) => r.processes[0].settings.gpu_memory_utilization)).toEqual([0.31, 0.9]);
    expect(truth.replicas.map((r) => r.processes[0].kvPoolTokens)).toEqual([3815 * 16, 27875 * 16]);
    expect(truth.replicas[0].processes[0].statedBy.max_num_seqs).toEqual(['log']);
    expect(truth.replicas[0].processes[0].statedBy.num_gpu_blocks).toEqual(['cache_config_info']);
    expect(truth.replicas.map((r) => r.logFile)).toEqual(['vllm-10.0.0.11-8000.log', 'vllm-10.0.0.12-8000.log']);
    expect(truth.episodes.length).toBe(1);
    const e = truth.episodes[0];
    expect(e.replica).toBe('10.0.0.11:8000');
    expect(e.occurred).toBe(true);
    expect(e.start! - DEFAULT_START).toBeGreaterThanOrEqual(13 * 60);
    expect(e.start! - DEFAULT_START).toBeLessThanOrEqual(20 * 60);
    expect(e.end).toBe(DEFAULT_START + 30 * 60);
    expect(e.during!.preemptions).toBeGreaterThan(100);
    expect(e.during!.kvUsageMax).toBeGreaterThan(0.99);
    expect(truth.replicas[1].whole.preemptions).toBe(0);
    expect(truth.drift.map((d) => d.setting).sort()).toEqual(['gpu_memory_utilization', 'num_gpu_blocks']);
  });

  it('sizes the incident mix from the requests themselves, and the fit from the pool', () => {
    const e = truth.episodes[0];
    const tl = timelines[0];
    const from = e.start! - DEFAULT_START;
    const to = e.end! - DEFAULT_START;
    const at = tl.arrivalAt.view();
    let n = 0;
    let tokens = 0;
    for (let i = 0; i < at.length; i++) {
      if (at[i] >= from && at[i] < to) {
        n++;
        tokens += tl.arrivalPrompt.view()[i] + tl.arrivalOutput.view()[i];
      }
    }
    expect(e.incidentMix!.requests).toBe(n);
    expect(e.incidentMix!.tokensPerSequence).toBeCloseTo(tokens / n, 4);
    expect(e.incidentMix!.sequencesThatFit).toBe(Math.floor(e.kvPoolTokens / (tokens / n)));
    // Thrashing means more sequences were running than the pool holds at the mix's mean size.
    expect(e.during!.runningMax).toBeGreaterThan(e.incidentMix!.sequencesThatFit!);
  });

  it('agrees with the exported counters: preemptions and finished requests per replica', () => {
    for (const r of results) {
      const pre = col(r, 'vllm:num_preemptions_total');
      const t = truth.replicas.find((x) => x.instance === r.spec.instance)!;
      // Preemptions after the last scrape are not exported; the counter never exceeds the truth.
      expect(pre[pre.length - 1]).toBeLessThanOrEqual(t.totals.preemptions);
      expect(pre[pre.length - 1]).toBeGreaterThanOrEqual(t.totals.preemptions * 0.97);
    }
  });

  it('a counterfactual with the peer\'s gpu_memory_utilization removes the preemptions on the same requests', () => {
    const w = truth.whatIf[0];
    expect(w.replica).toBe('10.0.0.11:8000');
    expect(w.actual.requestsPerSecond).toBe(w.counterfactual.requestsPerSecond);
    expect(w.counterfactual.preemptions).toBe(0);
    expect(w.matters).toBe(true);
  });
});
