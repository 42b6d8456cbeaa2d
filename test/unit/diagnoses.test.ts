// Diagnoses as a truth table: signal statuses (and the evidence each diagnosis reads) → finding code,
// none, or not-evaluated with its reason; the threshold edges; recommendation values computed by hand
// from the histograms and the serving config put into the view.

import { describe, expect, it } from 'vitest';
import { AnalysisView } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { ServingConfig } from '../../src/model/serving-config.js';
import type { Evidence, Signal } from '../../src/model/result.js';
import { DIAGNOSES } from '../../src/diagnoses/index.js';
import type { DiagnosisDef, DiagnosisOutcome } from '../../src/diagnoses/define-diagnosis.js';

const T0 = 1_714_564_800;
const STEP = 10;
const N = 100; // 99 scrape intervals

function ser(name: string, v: ArrayLike<number>, labels: Record<string, string> = {}): Series {
  return { name, labels, t: Float64Array.from({ length: v.length }, (_, i) => T0 + i * STEP), v: Float64Array.from(v) };
}

function counter(perStep: number, start = 0): Float64Array {
  return Float64Array.from({ length: N }, (_, i) => start + i * perStep);
}

/** Cumulative bucket counters: every interval adds perStep[j] observations to bucket le[j]. */
function histogram(base: string, les: number[], perStep: number[], sumPerStep: number, labels: Record<string, string> = {}): Series[] {
  return [
    ...les.map((le, j) => ser(`${base}_bucket`, counter(perStep[j]), { ...labels, le: le === Infinity ? '+Inf' : String(le) })),
    ser(`${base}_count`, counter(perStep[perStep.length - 1]), labels),
    ser(`${base}_sum`, counter(sumPerStep), labels),
  ];
}

// Prompt lengths, 100 requests per interval: cumulative 5 ≤ 128, 20 ≤ 256, 45 ≤ 512, 70 ≤ 1024, 93 ≤ 2048,
// 98 ≤ 4096, 100 in all; 102 500 prompt tokens per interval → mean 1025 tokens.
// p95: rank 95 per interval lies in (2048, 4096] (93 below, 5 inside) → 2048 + 2048 × 2/5 = 2867.2 tokens.
const PROMPT = histogram('vllm:request_prompt_tokens', [128, 256, 512, 1024, 2048, 4096, Infinity], [5, 20, 45, 70, 93, 98, 100], 102_500);
// Output lengths: 18 300 tokens per 100 requests → mean 183 tokens.
const OUTPUT = histogram('vllm:request_generation_tokens', [64, 128, 256, 512, 1024, Infinity], [10, 40, 80, 97, 100, 100], 18_300);
const PROMPT_MEAN = 1025;
const OUTPUT_MEAN = 183;
const PROMPT_P95 = 2867.2;
// Requests finish at 1/s: +10 per interval, from 10^6 so rate() never clamps at the counter's zero.
const REQUESTS = ser('vllm:request_success_total', counter(10, 1_000_000));

const BASE_CONFIG = { num_gpu_blocks: 2000, block_size: 16, max_num_seqs: 256, gpu_memory_utilization: 0.9 };
const KV_TOKENS = 2000 * 16; // 32 000
/** max_num_seqs that fills 90% of the KV pool with sequences at full length: floor(0.9 × 32 000 / 1208) = 23. */
const SEQS_FOR_KV = Math.floor((0.9 * KV_TOKENS) / (PROMPT_MEAN + OUTPUT_MEAN));

function config(values: Record<string, string | number | boolean>): ServingConfig {
  return { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, source: 'flag' as const }])), conflicts: [] };
}

function viewOf(cfg: Record<string, string | number | boolean> = BASE_CONFIG, extra: Series[] = []): AnalysisView {
  return new AnalysisView(new MetricSet([...PROMPT, ...OUTPUT, REQUESTS, ...extra]), config(cfg));
}

type Status = Signal['status'];
function sig(id: string, status: Status, evidence: Evidence = {}, reason?: string): Signal {
  const s: Signal = { id, status, evidence, scope: 'fleet' };
  if (reason !== undefined) s.reason = reason;
  else if (status === 'insufficient-data' || status === 'error') s.reason = `${id} had no data`;
  return s;
}

function diag(code: string): DiagnosisDef {
  const d = DIAGNOSES.find((x) => x.code === code);
  if (!d) throw new Error(`no diagnosis ${code}`);
  return d;
}

function run(code: string, signals: Signal[], view: AnalysisView = viewOf(), scope = 'fleet'): DiagnosisOutcome {
  const map = new Map(signals.map((s) => [s.id, s]));
  return diag(code).diagnose({ view, scope, signal: (id) => map.get(id) });
}

type Finding = Extract<DiagnosisOutcome, { kind: 'finding' }>;
function finding(o: DiagnosisOutcome): Finding {
  if (o.kind !== 'finding') throw new Error(`expected a finding, got ${JSON.stringify(o)}`);
  return o;
}
const kind = (o: DiagnosisOutcome): string => (o.kind === 'not-evaluated' ? `not-evaluated: ${o.reason}` : o.kind);

it('the registry holds the diagnoses this file covers', () => {
  expect(DIAGNOSES.map((d) => d.code)).toEqual([
    'KV_CACHE_THRASHING',
    'PREFILL_STARVATION',
    'GPU_UNDERUTILIZED',
    'MEMORY_LEAK',
    'PREFIX_CACHE_MISSES',
    'QUEUE_BUILDUP',
    'KV_SWAPPING',
    'LATENCY_SLO_BREACH',
    'THROUGHPUT_DROP',
    'OOM_RISK',
    'REPLICA_RESTART',
    'REPLICA_SLOWDOWN',
  ]);
});

it('the view reads the footprint numbers the recommendations are computed from', () => {
  const v = viewOf();
  expect(v.histogramMean('vllm:request_prompt_tokens')).toBe(PROMPT_MEAN);
  expect(v.histogramMean('vllm:request_generation_tokens')).toBe(OUTPUT_MEAN);
  expect(v.quantile('vllm:request_prompt_tokens', 0.95)?.value).toBeCloseTo(PROMPT_P95, 9);
  expect(SEQS_FOR_KV).toBe(23); // 28 800 / 1208 = 23.84
});

// ------------------------------------------------------------------------------------------------
describe('KV_CACHE_THRASHING', () => {
  const kv = (status: Status) =>
    sig('kv-pressure', status, {
      kvMeanRatio: 0.8,
      kvP95Ratio: 0.97,
      kvMaxRatio: 0.99,
      highThresholdRatio: 0.9,
      timeAboveThresholdRatio: 0.42,
      firstHighSeconds: T0 + 50,
      lastHighSeconds: T0 + 950,
      longestHighStartSeconds: T0 + 100,
      longestHighEndSeconds: T0 + 900,
    });
  const pre = (status: Status) => sig('preemptions', status, { preemptionsTotal: 1234, preemptionsPerRequest: 0.05, preemptionsPerHour: 400 });

  it.each([
    ['issue', 'issue', 'finding'],
    ['issue', 'ok', 'none'],
    ['ok', 'issue', 'none'],
    ['ok', 'ok', 'none'],
    ['insufficient-data', 'issue', 'not-evaluated: kv-pressure: kv-pressure had no data'],
    ['issue', 'insufficient-data', 'not-evaluated: preemptions: preemptions had no data'],
    ['error', 'issue', 'not-evaluated: kv-pressure: kv-pressure had no data'],
    ['insufficient-data', 'insufficient-data', 'not-evaluated: kv-pressure: kv-pressure had no data'],
  ] as const)('kv-pressure %s × preemptions %s → %s', (k, p, want) => {
    expect(kind(run('KV_CACHE_THRASHING', [kv(k), pre(p)]))).toBe(want);
  });

  it('a detector that did not run in the scope: not evaluated, named', () => {
    expect(kind(run('KV_CACHE_THRASHING', [pre('issue')]))).toBe('not-evaluated: kv-pressure was not evaluated in this scope');
  });

  it('critical, with the evidence, window and three recommendations computed from the pool and the footprint', () => {
    const f = finding(run('KV_CACHE_THRASHING', [kv('issue'), pre('issue')]));
    expect(f.severity).toBe('critical');
    // the window runs from the first to the last time above the threshold (not just the longest run)
    expect(f.window).toEqual({ startSeconds: T0 + 50, endSeconds: T0 + 950 });
    expect(f.evidence).toEqual({
      kvP95Ratio: 0.97,
      kvMaxRatio: 0.99,
      timeAbove90Ratio: 0.42,
      preemptionsTotal: 1234,
      preemptionsPerRequest: 0.05,
      ttftP95Seconds: null,
      kvCapacityTokens: 32_000,
      tokensPerSequence: 1208,
    });
    for (const part of ['90%', '42% of the window', '1234 requests were preempted', '5.0% of finished requests']) expect(f.summary).toContain(part);
    expect(f.summary).not.toContain('TTFT');
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([
      ['max_num_seqs', 256, SEQS_FOR_KV, 'high'], // floor(0.9 × 2000 × 16 / (1025 + 183)) = 23
      ['gpu_memory_utilization', 0.9, 0.92, 'medium'], // min(0.92, 0.9 + 0.05)
      ['kv_cache_dtype', null, 'fp8', 'medium'],
    ]);
    // `because` names the measured numbers: pool 2000 × 16 = 32 000 tokens, 1025 + 183 = 1208 per request, 23 of them
    for (const part of ['32000 tokens', 'num_gpu_blocks 2000 × block_size 16', '1208', 'mean prompt 1025', 'mean output 183', '23 such requests']) {
      expect(f.recommendations[0].because).toContain(part);
    }
    // KV max 99%; 1 − 0.9 = 10% outside the budget; (0.92 − 0.9) / 0.9 = 2.2% → 2%
    for (const part of ['99%', '10% of GPU memory', ' 2%']) expect(f.recommendations[1].because).toContain(part);
  });

  it('mentions a TTFT breach when latency-ttft is an issue', () => {
    const f = finding(run('KV_CACHE_THRASHING', [kv('issue'), pre('issue'), sig('latency-ttft', 'issue', { p95Seconds: 3.456, targetSeconds: 0.5 })]));
    expect(f.evidence.ttftP95Seconds).toBe(3.456);
    expect(f.summary).toContain('TTFT p95 3.46 s is over its 500 ms target');
  });

  it('no max_num_seqs cut when the current value is already below what the pool fits; no memory bump at 0.92; no dtype change on fp8', () => {
    const f = finding(run('KV_CACHE_THRASHING', [kv('issue'), pre('issue')], viewOf({ ...BASE_CONFIG, max_num_seqs: 16, gpu_memory_utilization: 0.92, kv_cache_dtype: 'fp8' })));
    expect(f.recommendations).toEqual([]);
  });

  it('max_num_seqs unknown: recommended from null; the memory bump is capped at 0.92 from 0.85 → 0.9', () => {
    const { max_num_seqs: _, ...cfg } = BASE_CONFIG;
    const f = finding(run('KV_CACHE_THRASHING', [kv('issue'), pre('issue')], viewOf({ ...cfg, gpu_memory_utilization: 0.85 })));
    expect(f.recommendations.find((r) => r.setting === 'max_num_seqs')).toMatchObject({ from: null, to: 23 });
    expect(f.recommendations.find((r) => r.setting === 'gpu_memory_utilization')).toMatchObject({ from: 0.85, to: 0.9 });
  });

  it('without KV pool size the max_num_seqs recommendation is left out (nothing to compute it from)', () => {
    const f = finding(run('KV_CACHE_THRASHING', [kv('issue'), pre('issue')], viewOf({ max_num_seqs: 256 })));
    expect(f.recommendations.map((r) => r.setting)).toEqual(['kv_cache_dtype']);
    expect(f.evidence.kvCapacityTokens).toBeNull();
  });
});

// ------------------------------------------------------------------------------------------------
describe('PREFILL_STARVATION', () => {
  const ttft = (status: Status, p95 = 2) => sig('latency-ttft', status, { p95Seconds: p95, targetSeconds: 0.5 });
  const tbt = (status: Status, p95 = 0.025) => sig('latency-tbt', status, { p95Seconds: p95, targetSeconds: 0.05 });
  const queue = (status: Status) => sig('queue-buildup', status, { waitingMax: 40, timeWithQueueRatio: 0.4, longestQueueStartSeconds: T0 + 200, longestQueueEndSeconds: T0 + 700 });

  it.each([
    ['issue', 'ok', 'issue', 'finding'],
    ['ok', 'ok', 'issue', 'none'],
    ['issue', 'ok', 'ok', 'none'],
    ['issue', 'insufficient-data', 'issue', 'not-evaluated: latency-tbt: latency-tbt had no data'],
    ['insufficient-data', 'ok', 'issue', 'not-evaluated: latency-ttft: latency-ttft had no data'],
    ['issue', 'ok', 'error', 'not-evaluated: queue-buildup: queue-buildup had no data'],
  ] as const)('ttft %s, tbt %s, queue %s → %s', (a, b, c, want) => {
    expect(kind(run('PREFILL_STARVATION', [ttft(a), tbt(b), queue(c)]))).toBe(want);
  });

  it('TTFT dominance edge when TBT is over target too: TTFT 11.8× vs 10 × 1.2× → none; 12.2× → finding', () => {
    // tbt p95 60 ms vs 50 ms: 1.2× over; TTFT must be ≥ 12× its 0.5 s target
    expect(run('PREFILL_STARVATION', [ttft('issue', 5.9), tbt('issue', 0.06), queue('issue')]).kind).toBe('none');
    const f = finding(run('PREFILL_STARVATION', [ttft('issue', 6.1), tbt('issue', 0.06), queue('issue')]));
    expect(f.summary).toContain('degrades far less');
    expect(f.summary).toContain('60 ms');
  });

  it('KV thrashing explains the queue instead: none', () => {
    const kvIssue = sig('kv-pressure', 'issue', { kvP95Ratio: 0.97 });
    expect(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue'), kvIssue, sig('preemptions', 'issue')]).kind).toBe('none');
    // pressure without preemptions does not veto
    expect(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue'), kvIssue, sig('preemptions', 'ok')]).kind).toBe('finding');
  });

  it('a batch at its cap with fast steps and KV room (p95 < 0.8) is a slot shortage: none; KV at 0.85 → finding', () => {
    const plateau = sig('batch-plateau', 'issue', { capRequests: 64 });
    expect(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue'), plateau, sig('kv-pressure', 'ok', { kvP95Ratio: 0.79 })]).kind).toBe('none');
    expect(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue'), plateau, sig('kv-pressure', 'ok', { kvP95Ratio: 0.85 })]).kind).toBe('finding');
  });

  it('evidence, window and the chunked-prefill recommendation (no batched-token budget known, no iteration histogram)', () => {
    const f = finding(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue')]));
    expect(f.severity).toBe('warning');
    expect(f.window).toEqual({ startSeconds: T0 + 200, endSeconds: T0 + 700 });
    expect(f.evidence.ttftP95Seconds).toBe(2);
    expect(f.evidence.tbtP95Seconds).toBe(0.025);
    expect(f.evidence.waitingMax).toBe(40);
    expect(f.evidence.promptP95Tokens).toBeCloseTo(PROMPT_P95, 9);
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([['enable_chunked_prefill', null, true, 'high']]);
  });

  it('headroom 2× (TBT 25 ms vs 50 ms) raises max_num_batched_tokens 2048 → min(4096, roundDown(p95 prompt 2867.2, 256) = 2816)', () => {
    const f = finding(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue')], viewOf({ ...BASE_CONFIG, max_num_batched_tokens: 2048, enable_chunked_prefill: true })));
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([['max_num_batched_tokens', 2048, 2816, 'medium']]);
  });

  it('no raise when the budget already exceeds what the prompts need (8192 > 2816)', () => {
    const f = finding(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue')], viewOf({ ...BASE_CONFIG, max_num_batched_tokens: 8192, enable_chunked_prefill: true })));
    expect(f.recommendations).toEqual([]);
  });

  it('TBT over target (62.5 ms, headroom 0.8) shrinks an 8192 budget to roundDown(max(4096, 6553.6), 256) = 6400', () => {
    const f = finding(run('PREFILL_STARVATION', [ttft('issue', 7), tbt('issue', 0.0625), queue('issue')], viewOf({ ...BASE_CONFIG, max_num_batched_tokens: 8192, enable_chunked_prefill: true })));
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([['max_num_batched_tokens', 8192, 6400, 'medium']]);
    // headroom 0.25 → halving is the floor: 8192 → 4096
    const g = finding(run('PREFILL_STARVATION', [ttft('issue', 20), tbt('issue', 0.2), queue('issue')], viewOf({ ...BASE_CONFIG, max_num_batched_tokens: 8192, enable_chunked_prefill: true })));
    expect(g.recommendations.map((r) => r.to)).toEqual([4096]);
  });

  it('budget unknown: the p95 of iteration tokens is the base, recommendation at low confidence', () => {
    // iteration tokens: all 10 per interval in (512, 1024] → p95 = 512 + 512 × 0.95 = 998.4; × 2 → 1996.8 → roundDown 1792;
    // min(1792, max(2816, 2048)) = 1792
    const iter = histogram('vllm:iteration_tokens_total', [256, 512, 1024, 2048, Infinity], [0, 0, 10, 10, 10], 8000);
    const f = finding(run('PREFILL_STARVATION', [ttft('issue'), tbt('ok'), queue('issue')], viewOf({ ...BASE_CONFIG, enable_chunked_prefill: true }, iter)));
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([['max_num_batched_tokens', null, 1792, 'low']]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('GPU_UNDERUTILIZED', () => {
  const plateau = (status: Status, cap = 256) => sig('batch-plateau', status, { runningMax: cap, capRequests: cap, capSource: 'max_num_seqs', atCapWithQueueRatio: 0.6 });
  const queue = (status: Status, share = 0.4) => sig('queue-buildup', status, { waitingMax: 30, timeWithQueueRatio: share });
  const kv = (status: Status, p95 = 0.6, mean = 0.5) => sig('kv-pressure', status, { kvP95Ratio: p95, kvMeanRatio: mean });
  const tbtOk = sig('latency-tbt', 'ok', { p95Seconds: 0.02, targetSeconds: 0.05 });

  describe('config-bound', () => {
    it('plateau + queue + KV room + fast steps → finding; recommends max_num_seqs 16 → 23', () => {
      const f = finding(run('GPU_UNDERUTILIZED', [plateau('issue', 16), queue('issue'), kv('ok'), tbtOk], viewOf({ ...BASE_CONFIG, max_num_seqs: 16 })));
      expect(f.severity).toBe('warning');
      expect(f.evidence.kind).toBe('config-bound');
      expect(f.evidence.kvP95Ratio).toBe(0.6);
      expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([['max_num_seqs', 16, SEQS_FOR_KV, 'high']]);
      for (const part of ['config-bound', '16 requests, from max_num_seqs', '60% of the window', 'KV usage p95 was only 60%']) expect(f.summary).toContain(part);
    });

    it('at max_num_seqs 256 the pool fits only 23: the finding stands, but no (lower) max_num_seqs is recommended', () => {
      const f = finding(run('GPU_UNDERUTILIZED', [plateau('issue'), queue('issue'), kv('ok'), tbtOk]));
      expect(f.recommendations).toEqual([]);
    });

    it('max_num_seqs unknown: the observed cap is the baseline, from is null', () => {
      const { max_num_seqs: _, ...cfg } = BASE_CONFIG;
      const f = finding(run('GPU_UNDERUTILIZED', [plateau('issue', 12), queue('issue'), kv('ok'), tbtOk], viewOf(cfg)));
      expect(f.recommendations.map((r) => [r.setting, r.from, r.to])).toEqual([['max_num_seqs', null, 23]]);
    });

    it('KV room edge: p95 0.79 → config-bound; 0.80 → not (and with a queue not demand-bound either: none)', () => {
      expect(run('GPU_UNDERUTILIZED', [plateau('issue'), queue('issue'), kv('ok', 0.79), tbtOk]).kind).toBe('finding');
      expect(run('GPU_UNDERUTILIZED', [plateau('issue'), queue('issue'), kv('ok', 0.8), tbtOk]).kind).toBe('none');
    });

    it.each([
      ['plateau ok', [plateau('ok'), queue('issue'), kv('ok'), tbtOk]],
      ['queue ok (share 0.2)', [plateau('issue'), queue('ok', 0.2), kv('ok'), tbtOk]],
      ['slow steps (TBT issue)', [plateau('issue'), queue('issue'), kv('ok'), sig('latency-tbt', 'issue', { p95Seconds: 0.08, targetSeconds: 0.05 })]],
    ] as const)('%s → none', (_name, signals) => {
      expect(run('GPU_UNDERUTILIZED', [...signals]).kind).toBe('none');
    });
  });

  describe('demand-bound', () => {
    it('no queue, KV mostly empty, GPU unknown → info; requests/s mean from the counter = 97/99', () => {
      // rate() at grid points 1…4 extrapolates half an interval at the start: (10k + 5)/60 for k = 1…4, summing
      // to 2; the other 95 points are exactly 1/s; the first point has no rate.
      const f = finding(run('GPU_UNDERUTILIZED', [plateau('ok'), queue('ok', 0.01), kv('ok', 0.2, 0.1)]));
      expect(f.severity).toBe('info');
      expect(f.recommendations).toEqual([]);
      expect(f.evidence.kind).toBe('demand-bound');
      expect(f.evidence.kvMeanRatio).toBe(0.1);
      expect(f.evidence.timeWithQueueRatio).toBe(0.01);
      expect(f.evidence.gpuUtilMeanPercent).toBeNull();
      expect(f.evidence.requestsPerSecondMean).toBeCloseTo(97 / 99, 12);
      for (const part of ['demand-bound', '1.0% of scrapes', 'KV usage averaged 10%']) expect(f.summary).toContain(part);
      expect(f.summary).not.toContain('GPU utilisation');
    });

    it.each([
      [0.049, 0.1, 'finding'],
      [0.05, 0.1, 'none'],
      [0.01, 0.249, 'finding'],
      [0.01, 0.25, 'none'],
    ])('queue share %f, KV mean %f → %s', (share, mean, want) => {
      expect(run('GPU_UNDERUTILIZED', [queue('ok', share), kv('ok', 0.3, mean)]).kind).toBe(want);
    });

    it('DCGM says busy → none; DCGM says idle → finding naming the utilisation', () => {
      const base = [queue('ok', 0.01), kv('ok', 0.2, 0.1)];
      expect(run('GPU_UNDERUTILIZED', [...base, sig('gpu-utilization', 'ok', { gpuUtilMeanPercent: 85 })]).kind).toBe('none');
      const f = finding(run('GPU_UNDERUTILIZED', [...base, sig('gpu-utilization', 'issue', { gpuUtilMeanPercent: 23.4 })]));
      expect(f.evidence.gpuUtilMeanPercent).toBe(23.4);
      expect(f.summary).toContain('GPU utilisation 23%');
    });
  });

  it.each([
    ['queue insufficient', [queue('insufficient-data'), kv('ok')]],
    ['queue absent', [kv('ok')]],
    ['kv insufficient', [queue('ok', 0.01), kv('insufficient-data')]],
  ] as const)('not evaluated: %s', (_n, signals) => {
    // The reason names the detector that could not say (and its own reason, when it gave one).
    expect(kind(run('GPU_UNDERUTILIZED', [...signals]))).toMatch(/^not-evaluated: (queue-buildup|kv-pressure)/);
  });

  // A crashed detector (status error) must make the diagnosis "not evaluated", as missing() does everywhere.
  it('a crashed kv-pressure detector (error) makes it not evaluated, as in the other diagnoses', () => {
    const o = run('GPU_UNDERUTILIZED', [queue('ok', 0.01), sig('kv-pressure', 'error', {}, 'detector failed: boom')]);
    expect(o.kind).toBe('not-evaluated');
  });
});

// ------------------------------------------------------------------------------------------------
describe('MEMORY_LEAK', () => {
  const growth = (status: Status, rel = 0.3) =>
    sig('memory-growth', status, { metric: 'process_resident_memory_bytes', slopeMiBPerHour: 206, growthMiB: 1029, relativeGrowthRatio: rel, mannKendallP: 1e-12, fromSeconds: T0, toSeconds: T0 + 990 });

  it('issue → finding with the window; ok → none; insufficient → not evaluated with the reason', () => {
    const f = finding(run('MEMORY_LEAK', [growth('issue')]));
    expect(f.window).toEqual({ startSeconds: T0, endSeconds: T0 + 990 });
    for (const part of ['process_resident_memory_bytes', '1029 MiB', '(30%)', '206 MiB/h', '1.0e-12']) expect(f.summary).toContain(part);
    expect(run('MEMORY_LEAK', [growth('ok')]).kind).toBe('none');
    expect(kind(run('MEMORY_LEAK', [sig('memory-growth', 'insufficient-data', {}, 'fewer than 30 samples since the last restart')]))).toBe(
      'not-evaluated: memory-growth: fewer than 30 samples since the last restart',
    );
  });

  it('severity edge at 25% growth: 0.25 critical, 0.2499 warning', () => {
    expect(finding(run('MEMORY_LEAK', [growth('issue', 0.25)])).severity).toBe('critical');
    expect(finding(run('MEMORY_LEAK', [growth('issue', 0.2499)])).severity).toBe('warning');
  });
});

// ------------------------------------------------------------------------------------------------
describe('PREFIX_CACHE_MISSES', () => {
  const s = (status: Status) => sig('prefix-cache-hit-rate', status, { hitRatio: 0.034, queriedTokens: 123_456.4 });

  it.each([
    ['issue', undefined, 'finding'],
    ['issue', true, 'finding'],
    ['issue', false, 'none'],
    ['ok', true, 'none'],
    ['insufficient-data', true, 'not-evaluated: prefix-cache-hit-rate: prefix-cache-hit-rate had no data'],
  ] as const)('signal %s, enable_prefix_caching %s → %s', (status, enabled, want) => {
    const cfg = enabled === undefined ? BASE_CONFIG : { ...BASE_CONFIG, enable_prefix_caching: enabled };
    expect(kind(run('PREFIX_CACHE_MISSES', [s(status)], viewOf(cfg)))).toBe(want);
  });

  it('info, and says when whether caching is on is unknown', () => {
    const f = finding(run('PREFIX_CACHE_MISSES', [s('issue')]));
    expect(f.severity).toBe('info');
    for (const part of ['3.4%', '123456', 'unknown']) expect(f.summary).toContain(part);
    expect(finding(run('PREFIX_CACHE_MISSES', [s('issue')], viewOf({ ...BASE_CONFIG, enable_prefix_caching: true }))).summary).not.toContain('unknown');
  });
});

// ------------------------------------------------------------------------------------------------
describe('QUEUE_BUILDUP', () => {
  const q = (status: Status, share: number) =>
    sig('queue-buildup', status, { timeWithQueueRatio: share, waitingMax: 17.4, longestQueueSeconds: 1500, longestQueueStartSeconds: T0 + 10, longestQueueEndSeconds: T0 + 1500 });

  it('severity edge at half the scrapes: 0.5 critical, 0.49 warning; ok → none', () => {
    expect(finding(run('QUEUE_BUILDUP', [q('issue', 0.5)])).severity).toBe('critical');
    expect(finding(run('QUEUE_BUILDUP', [q('issue', 0.49)])).severity).toBe('warning');
    expect(run('QUEUE_BUILDUP', [q('ok', 0.1)]).kind).toBe('none');
    expect(kind(run('QUEUE_BUILDUP', []))).toBe('not-evaluated: queue-buildup was not evaluated in this scope');
  });

  it('names the cause: KV pressure first, then the batch cap, else demand', () => {
    const base = q('issue', 0.3);
    const plain = finding(run('QUEUE_BUILDUP', [base])).summary;
    // 30% of scrapes, peak round(17.4) = 17, longest 1500 s = 25 min
    for (const part of ['30% of scrapes', 'peak 17', '25 min']) expect(plain).toContain(part);
    expect(plain).toMatch(/; demand exceeded what the replica processes\.$/);
    expect(finding(run('QUEUE_BUILDUP', [base, sig('batch-plateau', 'issue')])).summary).toMatch(/; the batch was at its max_num_seqs cap\.$/);
    expect(finding(run('QUEUE_BUILDUP', [base, sig('batch-plateau', 'issue'), sig('kv-pressure', 'issue')])).summary).toMatch(/; the KV cache was near full\.$/);
    expect(finding(run('QUEUE_BUILDUP', [base])).window).toEqual({ startSeconds: T0 + 10, endSeconds: T0 + 1500 });
  });
});

// ------------------------------------------------------------------------------------------------
describe('KV_SWAPPING', () => {
  const s = (status: Status) => sig('kv-swapping', status, { swappedMax: 7, swappedMean: 0.4, timeSwappingRatio: 0.12 });

  it('issue → warning with max_num_seqs cut to what the GPU pool holds (256 → 23); ok → none; missing → not evaluated', () => {
    const f = finding(run('KV_SWAPPING', [s('issue')]));
    expect(f.severity).toBe('warning');
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence])).toEqual([['max_num_seqs', 256, SEQS_FOR_KV, 'medium']]);
    for (const part of ['7 requests', '12% of the window']) expect(f.summary).toContain(part);
    for (const part of ['32000 tokens', '23 requests of 1208 tokens']) expect(f.recommendations[0].because).toContain(part);
    expect(run('KV_SWAPPING', [s('ok')]).kind).toBe('none');
    expect(kind(run('KV_SWAPPING', [sig('kv-swapping', 'insufficient-data', {}, 'no swapped-requests samples (a v1 engine does not swap)')]))).toBe(
      'not-evaluated: kv-swapping: no swapped-requests samples (a v1 engine does not swap)',
    );
  });
});

// ------------------------------------------------------------------------------------------------
describe('LATENCY_SLO_BREACH', () => {
  const l = (id: string, status: Status, p95: number, target: number) => sig(id, status, { p95Seconds: p95, targetSeconds: target });

  it('severity edge at twice the target: TTFT 1.0 s vs 0.5 s critical, 0.995 s warning', () => {
    const crit = finding(run('LATENCY_SLO_BREACH', [l('latency-ttft', 'issue', 1.0, 0.5)]));
    expect(crit.severity).toBe('critical');
    expect(crit.evidence).toEqual({ ttftP95Seconds: 1, ttftTargetSeconds: 0.5, worstRatioToTarget: 2 });
    expect(crit.summary).toContain('TTFT p95 1 s vs 500 ms target');
    const warn = finding(run('LATENCY_SLO_BREACH', [l('latency-ttft', 'issue', 0.995, 0.5)]));
    expect(warn.severity).toBe('warning');
    expect(warn.evidence.worstRatioToTarget).toBeCloseTo(1.99, 12);
  });

  it('worst of several: TBT 80 ms / 50 ms (1.6×) and e2e 12 s / 10 s (1.2×) → warning, both named', () => {
    const f = finding(run('LATENCY_SLO_BREACH', [l('latency-ttft', 'ok', 0.3, 0.5), l('latency-tbt', 'issue', 0.08, 0.05), l('latency-e2e', 'issue', 12, 10)]));
    expect(f.severity).toBe('warning');
    expect(f.evidence.worstRatioToTarget).toBeCloseTo(1.6, 12);
    expect(f.summary).toContain('time between tokens p95 80 ms vs 50 ms target');
    expect(f.summary).toContain('end-to-end latency p95 12 s vs 10 s target');
    expect(f.summary).not.toContain('TTFT');
    expect(Object.keys(f.evidence).sort()).toEqual(['e2eP95Seconds', 'e2eTargetSeconds', 'tbtP95Seconds', 'tbtTargetSeconds', 'ttftP95Seconds', 'ttftTargetSeconds', 'worstRatioToTarget']);
  });

  it('all met → none; none evaluable → not evaluated', () => {
    expect(run('LATENCY_SLO_BREACH', [l('latency-ttft', 'ok', 0.3, 0.5), l('latency-tbt', 'insufficient-data', 0, 0.05)]).kind).toBe('none');
    expect(kind(run('LATENCY_SLO_BREACH', [l('latency-ttft', 'insufficient-data', 0, 0.5), l('latency-tbt', 'error', 0, 0.05)]))).toBe(
      'not-evaluated: no latency histograms with enough requests',
    );
  });
});

// ------------------------------------------------------------------------------------------------
describe('THROUGHPUT_DROP', () => {
  it('issue → warning over the drop window; ok → none; insufficient → not evaluated; explained by starvation and thrashing', () => {
    const s = sig('throughput-drop', 'issue', { dropRatio: 0.5, baselineTokensPerSecond: 1000, duringTokensPerSecond: 500, fromSeconds: T0 + 100, toSeconds: T0 + 250, waitingMeanDuringDrop: 5 });
    const f = finding(run('THROUGHPUT_DROP', [s]));
    expect(f.severity).toBe('warning');
    expect(f.window).toEqual({ startSeconds: T0 + 100, endSeconds: T0 + 250 });
    for (const part of ['50%', '1000', '500 tokens/s', '5.0 requests']) expect(f.summary).toContain(part);
    expect(run('THROUGHPUT_DROP', [sig('throughput-drop', 'ok', { dropEpisodes: 0 })]).kind).toBe('none');
    expect(kind(run('THROUGHPUT_DROP', [sig('throughput-drop', 'insufficient-data', {}, 'window too short for a throughput baseline')]))).toBe(
      'not-evaluated: throughput-drop: window too short for a throughput baseline',
    );
    expect(diag('THROUGHPUT_DROP').explainedBy).toEqual(['PREFILL_STARVATION', 'KV_CACHE_THRASHING']);
  });
});

// ------------------------------------------------------------------------------------------------
describe('OOM_RISK', () => {
  const s = (fb: number | null, frac: number | null) => sig('oom-risk', 'issue', { fbUsedMaxRatio: fb, gpuMemoryUtilization: frac });

  it('framebuffer 99% → critical; 98.5% → warning', () => {
    expect(finding(run('OOM_RISK', [s(0.99, null)])).severity).toBe('critical');
    const f = finding(run('OOM_RISK', [s(0.985, null)]));
    expect(f.severity).toBe('warning');
    expect(f.recommendations).toEqual([]);
    expect(f.summary).toContain('98.5%');
    expect(f.summary).not.toContain('gpu_memory_utilization');
  });

  it('gpu_memory_utilization 0.96 → lowered to 0.9 (KV pool ≈ 6% smaller); 0.9 itself is left alone', () => {
    const f = finding(run('OOM_RISK', [s(0.98, 0.96)]));
    expect(f.recommendations.map((r) => [r.setting, r.from, r.to, r.confidence, r.risk])).toEqual([['gpu_memory_utilization', 0.96, 0.9, 'medium', 'a KV pool about 6% smaller']]);
    // 1 − 0.96 = 4% left; (0.96 − 0.9) / 0.96 = 6.25% → 6%
    for (const part of ['4% of GPU memory', '98.0%']) expect(f.recommendations[0].because).toContain(part);
    expect(finding(run('OOM_RISK', [s(0.98, 0.9)])).recommendations).toEqual([]);
  });

  it('ok → none; insufficient → not evaluated; fleet only', () => {
    expect(run('OOM_RISK', [sig('oom-risk', 'ok', { fbUsedMaxRatio: 0.8, gpuMemoryUtilization: 0.9 })]).kind).toBe('none');
    expect(kind(run('OOM_RISK', []))).toBe('not-evaluated: oom-risk was not evaluated in this scope');
    expect(diag('OOM_RISK').perReplica).toBe(false);
  });
});

// ------------------------------------------------------------------------------------------------
describe('REPLICA_RESTART', () => {
  it('issue → info at the restart time; ok → none; insufficient → not evaluated with the detector’s reason', () => {
    const f = finding(run('REPLICA_RESTART', [sig('restarts', 'issue', { counterResets: 2, firstRestartSeconds: T0 + 3600 })]));
    expect(f.severity).toBe('info');
    expect(f.window).toEqual({ startSeconds: T0 + 3600, endSeconds: T0 + 3600 });
    for (const part of ['2 time(s)', '2024-05-01T13:00:00Z']) expect(f.summary).toContain(part);
    expect(run('REPLICA_RESTART', [sig('restarts', 'ok', { counterResets: 0, firstRestartSeconds: null })]).kind).toBe('none');
    expect(kind(run('REPLICA_RESTART', [sig('restarts', 'insufficient-data', {}, 'evaluated per replica')]))).toBe('not-evaluated: evaluated per replica');
    expect(kind(run('REPLICA_RESTART', []))).toBe('not-evaluated: no counters');
  });
});

// ------------------------------------------------------------------------------------------------
describe('REPLICA_SLOWDOWN', () => {
  const two = () =>
    viewOf(BASE_CONFIG, [ser('vllm:num_requests_running', counter(0, 5), { instance: 'a' }), ser('vllm:num_requests_running', counter(0, 5), { instance: 'b' })]);

  it('insufficient: not evaluated with one replica, none with several (the fleet scope just does not compare)', () => {
    const s = sig('replica-slowdown', 'insufficient-data', {}, 'needs at least two replicas to compare');
    expect(kind(run('REPLICA_SLOWDOWN', [s]))).toBe('not-evaluated: needs at least two replicas to compare');
    expect(run('REPLICA_SLOWDOWN', [sig('replica-slowdown', 'insufficient-data', {}, 'compares replicas with each other')], two()).kind).toBe('none');
  });

  it('issue → warning from the onset to the end of the window; ok → none', () => {
    const v = two();
    const f = finding(run('REPLICA_SLOWDOWN', [sig('replica-slowdown', 'issue', { itlMedianSeconds: 0.06, peersItlMedianSeconds: 0.03, ratioToPeers: 2, onsetSeconds: T0 + 400, smClockMedianMHz: 1100.4 })], v, 'b'));
    expect(f.severity).toBe('warning');
    expect(f.window).toEqual({ startSeconds: T0 + 400, endSeconds: T0 + (N - 1) * STEP });
    for (const part of ['2.0×', '60.0 ms', '30.0 ms', '1100 MHz']) expect(f.summary).toContain(part);
    expect(run('REPLICA_SLOWDOWN', [sig('replica-slowdown', 'ok', { ratioToPeers: 1 })], v, 'b').kind).toBe('none');
  });
});
