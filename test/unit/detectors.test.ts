// Detectors on seeded synthetic series with injected anomalies, at several noise levels: status and the
// key evidence numbers (exact where the arithmetic is exact, within a stated tolerance where noise enters),
// threshold edges just below / at / above each named option, and insufficient-data with its reason.
//
// Every series shares one clock: T0 + 10·i for i = 0 … N−1 (N = 1800, 5 h), so the analysis grid is the
// sample times themselves (step 10 s, 1800 points) and a gauge on the grid is the sample values verbatim.

import { describe, expect, it } from 'vitest';
import { AnalysisView } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { ServingConfig } from '../../src/model/serving-config.js';
import type { AnyDetector, DetectOutcome } from '../../src/detectors/define-detector.js';
import { DETECTORS } from '../../src/detectors/index.js';
import { runAnalysis } from '../../src/engine.js';
import type { Artifacts } from '../../src/model/artifacts.js';

const T0 = 1_714_564_800;
const STEP = 10;
const N = 1800;
const SPAN = (N - 1) * STEP; // 17 990 s
const HOURS = SPAN / 3600;
const MIB = 1024 * 1024;
const GIB = 1024 * MIB;
/** Noise levels, as a fraction of the signal's level. */
const SIGMAS = [0, 0.01, 0.05] as const;

// ------------------------------------------------------------------------------------------------
// Seeded randomness

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a seeded uniform source. */
function normal(seed: number): () => number {
  const u = mulberry32(seed);
  return () => {
    let a = u();
    while (a === 0) a = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
}

// ------------------------------------------------------------------------------------------------
// Building metric sets

function times(n = N): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => T0 + i * STEP);
}

function ser(name: string, v: ArrayLike<number>, labels: Record<string, string> = {}, t?: Float64Array): Series {
  return { name, labels, t: t ?? times(v.length), v: Float64Array.from(v) };
}

/** A gauge: f(i) plus N(0, (sigma·level)²) noise, clipped to [lo, hi], optionally rounded. */
function gauge(f: (i: number) => number, o: { sigma?: number; level?: number; seed?: number; lo?: number; hi?: number; round?: boolean; n?: number } = {}): Float64Array {
  const n = o.n ?? N;
  const z = normal(o.seed ?? 1);
  const sd = (o.sigma ?? 0) * (o.level ?? 1);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let x = f(i) + (sd > 0 ? sd * z() : 0);
    if (o.round) x = Math.round(x);
    out[i] = Math.min(o.hi ?? Infinity, Math.max(o.lo ?? -Infinity, x));
  }
  return out;
}

/** A counter starting at `start` whose i-th sample adds inc(i) (i ≥ 1). */
function counter(inc: (i: number) => number, start = 1_000_000, n = N): Float64Array {
  const v = new Float64Array(n);
  v[0] = start;
  for (let i = 1; i < n; i++) v[i] = v[i - 1] + inc(i);
  return v;
}

/**
 * A classic histogram as cumulative bucket counters: each sample after the first adds `perStep[j]`
 * observations to bucket le[j] (cumulative counts, last one is +Inf), and `sumPerStep` to `_sum`.
 * Over the window each bucket therefore grows by perStep[j] × (n − 1).
 */
function histogram(base: string, les: number[], perStep: number[], sumPerStep: number, labels: Record<string, string> = {}, n = N): Series[] {
  const out: Series[] = [];
  les.forEach((le, j) => out.push(ser(`${base}_bucket`, counter(() => perStep[j], 0, n), { ...labels, le: le === Infinity ? '+Inf' : String(le) })));
  out.push(ser(`${base}_count`, counter(() => perStep[perStep.length - 1], 0, n), labels));
  out.push(ser(`${base}_sum`, counter(() => sumPerStep, 0, n), labels));
  return out;
}

function config(values: Record<string, string | number | boolean> = {}): ServingConfig {
  return { values: Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { value: v, source: 'flag' as const }])), conflicts: [] };
}

function viewOf(series: Series[], cfg: Record<string, string | number | boolean> = {}): AnalysisView {
  return new AnalysisView(new MetricSet(series), config(cfg));
}

function det(id: string): AnyDetector {
  const d = DETECTORS.find((x) => x.id === id);
  if (!d) throw new Error(`no detector ${id}`);
  return d;
}

function detect(id: string, series: Series[], cfg: Record<string, string | number | boolean> = {}, scope = 'fleet'): DetectOutcome {
  const d = det(id);
  return d.detect(viewOf(series, cfg), d.options, scope);
}

function evidence(o: DetectOutcome): Record<string, unknown> {
  return (o.evidence ?? {}) as Record<string, unknown>;
}

function num(o: DetectOutcome, key: string): number {
  const v = evidence(o)[key];
  if (typeof v !== 'number') throw new Error(`evidence ${key} is ${String(v)}`);
  return v;
}

function artifacts(series: Series[], cfg: Record<string, string | number | boolean> = {}): Artifacts {
  return { inputs: [], metrics: new MetricSet(series), profiles: [], config: config(cfg), warnings: [] };
}

function engineSignal(series: Series[], id: string, scope = 'fleet', cfg: Record<string, string | number | boolean> = {}) {
  const r = runAnalysis(artifacts(series, cfg), { name: 't' });
  const s = r.signals.find((x) => x.id === id && x.scope === scope);
  if (!s) throw new Error(`no signal ${id}@${scope}`);
  return s;
}

// A dummy series that keeps the window at N samples when a test leaves out the metric under test.
const clock = (): Series => ser('vllm:num_requests_running', new Float64Array(N).fill(1));

it('the registry holds the detectors this file covers, in order', () => {
  expect(DETECTORS.map((d) => d.id)).toEqual([
    'kv-pressure',
    'preemptions',
    'latency-ttft',
    'latency-tbt',
    'latency-e2e',
    'queue-buildup',
    'batch-plateau',
    'gpu-utilization',
    'memory-growth',
    'prefix-cache-hit-rate',
    'kv-swapping',
    'throughput-drop',
    'oom-risk',
    'restarts',
    'replica-slowdown',
  ]);
});

it('the synthetic clock gives a 10 s grid of exactly N points', () => {
  const v = viewOf([clock()]);
  expect(v.step).toBe(10);
  expect(v.grid.length).toBe(N);
  expect(v.grid[0]).toBe(T0);
  expect(v.grid[N - 1]).toBe(T0 + SPAN);
});

// ------------------------------------------------------------------------------------------------
describe('kv-pressure', () => {
  // Baseline 30% for 900 samples, then +1 percentage point per sample up to 98%, which it keeps.
  // Noise-free: values are k/100 for integer k, so "≥ 0.90" starts exactly at i = 960 (k = 90) and holds
  // to the end: 840 of 1800 points = 7/15.
  const kvRamp = (sigma: number, seed: number) =>
    gauge((i) => (i < 900 ? 30 : Math.min(98, 30 + (i - 900))) / 100, { sigma, level: 0.98, seed, lo: 0, hi: 1 });

  for (const sigma of SIGMAS) {
    it(`ramp to 0.98 and stay: issue at σ = ${sigma * 100}%`, () => {
      const o = detect('kv-pressure', [ser('vllm:kv_cache_usage_perc', kvRamp(sigma, 11))]);
      expect(o.status).toBe('issue');
      const share = num(o, 'timeAboveThresholdRatio');
      if (sigma === 0) {
        expect(share).toBe(840 / 1800);
        expect(num(o, 'kvMaxRatio')).toBe(0.98);
        expect(num(o, 'kvP95Ratio')).toBe(0.98);
        // 900 × 0.30 + Σ_{k=30..97} k/100 + 832 × 0.98 = 270 + 43.18 + 815.36
        expect(num(o, 'kvMeanRatio')).toBeCloseTo(1128.54 / 1800, 12);
        expect(num(o, 'longestHighStartSeconds')).toBe(T0 + 9600);
        expect(num(o, 'longestHighEndSeconds')).toBe(T0 + SPAN);
        expect(num(o, 'firstHighSeconds')).toBe(T0 + 9600);
        expect(num(o, 'lastHighSeconds')).toBe(T0 + SPAN);
      } else if (sigma === 0.01) {
        // σ = 0.0098: the plateau (8σ above 0.9) never dips; only the few ramp points near 0.90 can flip.
        expect(Math.abs(share - 840 / 1800)).toBeLessThanOrEqual(5 / 1800);
      } else {
        // σ = 0.049: a plateau point falls under 0.9 with P = Φ(−0.08/0.049) ≈ 0.051, so about 42 of the
        // 832 plateau points drop out: expected share ≈ (840 − 42)/1800 ≈ 0.443 (binomial sd ≈ 0.0035).
        expect(share).toBeGreaterThan(0.425);
        expect(share).toBeLessThan(0.46);
      }
      expect(num(o, 'highThresholdRatio')).toBe(0.9);
    });
  }

  it('noise only on a low baseline (30% ± 5%): ok, share 0', () => {
    const o = detect('kv-pressure', [ser('vllm:kv_cache_usage_perc', gauge(() => 0.3, { sigma: 0.05, level: 0.3, seed: 3, lo: 0, hi: 1 }))]);
    expect(o.status).toBe('ok');
    expect(num(o, 'timeAboveThresholdRatio')).toBe(0);
    expect(evidence(o).longestHighStartSeconds).toBeNull();
  });

  // minHighShare 0.1: K points at 0.95 in a 0.5 background.
  const highFor = (k: number) => [ser('vllm:kv_cache_usage_perc', gauge((i) => (i < k ? 0.95 : 0.5)))];
  it.each([
    [162, 0.09, 'ok'],
    [180, 0.1, 'issue'],
    [198, 0.11, 'issue'],
  ])('minHighShare edge: %i points high → share %f → %s', (k, share, status) => {
    const o = detect('kv-pressure', highFor(k));
    expect(o.status).toBe(status);
    expect(num(o, 'timeAboveThresholdRatio')).toBe(share);
    expect(num(o, 'longestHighStartSeconds')).toBe(T0);
    expect(num(o, 'longestHighEndSeconds')).toBe(T0 + (k - 1) * STEP);
  });

  it('highRatio edge: 0.9 counts as high, 0.8999 does not', () => {
    expect(detect('kv-pressure', [ser('vllm:kv_cache_usage_perc', gauge(() => 0.9))]).status).toBe('issue');
    const o = detect('kv-pressure', [ser('vllm:kv_cache_usage_perc', gauge(() => 0.8999))]);
    expect(o.status).toBe('ok');
    expect(num(o, 'timeAboveThresholdRatio')).toBe(0);
  });

  it('insufficient-data: metric absent, or only two points on the grid', () => {
    expect(detect('kv-pressure', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no KV-cache usage samples in this scope' });
    const t = Float64Array.from([T0 + SPAN - 10, T0 + SPAN]);
    expect(detect('kv-pressure', [clock(), ser('vllm:kv_cache_usage_perc', [0.99, 0.99], {}, t)])).toEqual({
      status: 'insufficient-data',
      reason: 'only 2 KV-usage points on the grid',
    });
    const s = engineSignal([clock()], 'kv-pressure');
    expect(s.status).toBe('insufficient-data');
    expect(s.reason).toBe('vllm:kv_cache_usage_perc not in the inputs');
  });

  it('runAnalysis reports the same signal as the direct call', () => {
    const series = [ser('vllm:kv_cache_usage_perc', kvRamp(0, 11))];
    const s = engineSignal(series, 'kv-pressure');
    const o = detect('kv-pressure', series);
    expect(s.status).toBe('issue');
    expect(s.evidence).toEqual(o.evidence);
    expect(s.evidence.timeAboveThresholdRatio).toBe(840 / 1800);
  });
});

// ------------------------------------------------------------------------------------------------
describe('preemptions', () => {
  // Requests finish at 1/s (10 per sample); from sample 600 on, r preemptions are added every sample.
  const scenario = (sigma: number, r: number, seed: number) => {
    const zp = normal(seed);
    const zr = normal(seed + 1);
    return [
      ser('vllm:num_preemptions_total', counter((i) => (i >= 600 ? Math.max(0, r * (1 + sigma * zp())) : 0), 0)),
      ser('vllm:request_success_total', counter(() => Math.max(0, 10 * (1 + sigma * zr())))),
    ];
  };

  for (const sigma of SIGMAS) {
    it(`onset at sample 600, 5 per sample: issue at σ = ${sigma * 100}%`, () => {
      const o = detect('preemptions', scenario(sigma, 5, 21));
      expect(o.status).toBe('issue');
      // 1200 increments of 5 preemptions; 1799 increments of 10 requests.
      const total = num(o, 'preemptionsTotal');
      const perRequest = num(o, 'preemptionsPerRequest');
      if (sigma === 0) {
        expect(total).toBe(6000);
        expect(perRequest).toBe(6000 / 17990);
        expect(num(o, 'preemptionsPerHour')).toBe(6000 / HOURS);
        // rate over a 60 s window of 7 samples, no extrapolation: 6 × 5 / 60
        expect(num(o, 'peakPreemptionsPerSecond')).toBeCloseTo(0.5, 12);
      } else {
        // sums of 1200 / 1799 noisy increments: relative sd σ/√n ≤ 0.15%; 1% tolerance
        expect(Math.abs(total / 6000 - 1)).toBeLessThan(0.01);
        expect(Math.abs(perRequest / (6000 / 17990) - 1)).toBeLessThan(0.02);
      }
      // The first window holding an increment is the one ending at the sample that carries it.
      expect(num(o, 'firstPreemptionSeconds')).toBe(T0 + 6000);
    });
  }

  it('per-request edge at maxPerRequest 0.01: 1799 / 179 900 is an issue, 1798 / 179 900 is not', () => {
    const reqs = ser('vllm:request_success_total', counter(() => 100));
    const at = detect('preemptions', [ser('vllm:num_preemptions_total', counter(() => 1, 0)), reqs]);
    expect(at.status).toBe('issue');
    expect(num(at, 'preemptionsPerRequest')).toBe(0.01);
    const below = detect('preemptions', [ser('vllm:num_preemptions_total', counter((i) => (i === 5 ? 0 : 1), 0)), reqs]);
    expect(below.status).toBe('ok');
    expect(num(below, 'preemptionsTotal')).toBe(1798);
    expect(num(below, 'preemptionsPerRequest')).toBe(1798 / 179900);
  });

  it('without a request counter: per-hour edge at maxPerHour 60 (window 4.997 h)', () => {
    // 300 preemptions in 4.9972 h = 60.03 per hour; 299 → 59.83
    const steps = (k: number) => ser('vllm:num_preemptions_total', counter((i) => (i <= k ? 1 : 0), 0));
    const over = detect('preemptions', [steps(300)]);
    expect(over.status).toBe('issue');
    expect(num(over, 'preemptionsPerHour')).toBe(300 / HOURS);
    expect(evidence(over).preemptionsPerRequest).toBeNull();
    const under = detect('preemptions', [steps(299)]);
    expect(under.status).toBe('ok');
    expect(num(under, 'preemptionsPerHour')).toBeCloseTo((299 * 3600) / 17990, 12); // 59.833
  });

  it('no preemptions at all: ok with zero total and no first time', () => {
    const o = detect('preemptions', scenario(0, 0, 1));
    expect(o.status).toBe('ok');
    expect(num(o, 'preemptionsTotal')).toBe(0);
    expect(evidence(o).firstPreemptionSeconds).toBeNull();
  });

  it('insufficient-data without the counter (direct and through runAnalysis)', () => {
    expect(detect('preemptions', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no preemption counter in this scope' });
    const s = engineSignal([clock()], 'preemptions');
    expect(s.status).toBe('insufficient-data');
    expect(s.reason).toBe('vllm:num_preemptions_total not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('queue-buildup', () => {
  // No queue (exactly 0) except a sustained one of ~20 ± σ·20 requests over samples 1200 … 1499 (50 min).
  const sustained = (sigma: number, seed: number) => {
    const noisy = gauge(() => 20, { sigma, level: 20, seed, lo: 0, round: true });
    return ser('vllm:num_requests_waiting', gauge((i) => (i >= 1200 && i < 1500 ? noisy[i] : 0)));
  };

  for (const sigma of SIGMAS) {
    it(`a 3000 s queue episode is an issue at σ = ${sigma * 100}% though its share is only 1/6`, () => {
      const o = detect('queue-buildup', [sustained(sigma, 31)]);
      expect(o.status).toBe('issue');
      // at 5% the noise sd is one request: the queue never drops below 1, so the episode stays whole
      expect(num(o, 'timeWithQueueRatio')).toBe(300 / 1800);
      expect(num(o, 'longestQueueSeconds')).toBe(3000);
      expect(num(o, 'longestQueueStartSeconds')).toBe(T0 + 12000);
      expect(num(o, 'longestQueueEndSeconds')).toBe(T0 + 14990);
      if (sigma === 0) {
        expect(num(o, 'waitingMax')).toBe(20);
        expect(num(o, 'waitingMean')).toBe((300 * 20) / 1800);
        expect(num(o, 'waitingPeakAtSeconds')).toBe(T0 + 12000);
      } else {
        expect(Math.abs(num(o, 'waitingMax') - 20)).toBeLessThanOrEqual(Math.ceil(5 * sigma * 20));
      }
    });
  }

  it('minEpisodeSeconds edge: 60 consecutive samples (600 s) is an issue, 59 (590 s) is not', () => {
    const run = (k: number) => detect('queue-buildup', [ser('vllm:num_requests_waiting', gauge((i) => (i >= 100 && i < 100 + k ? 3 : 0)))]);
    const at = run(60);
    expect(at.status).toBe('issue');
    expect(num(at, 'longestQueueSeconds')).toBe(600);
    const below = run(59);
    expect(below.status).toBe('ok');
    expect(num(below, 'longestQueueSeconds')).toBe(590);
    expect(num(below, 'timeWithQueueRatio')).toBe(59 / 1800);
  });

  it('minWaitingShare edge: a queue in every 4th scrape (0.25) is an issue, one fewer is not', () => {
    const every4 = (skip: number) => ser('vllm:num_requests_waiting', gauge((i) => (i % 4 === 0 && i !== skip ? 1 : 0)));
    const at = detect('queue-buildup', [every4(-1)]);
    expect(at.status).toBe('issue');
    expect(num(at, 'timeWithQueueRatio')).toBe(0.25);
    expect(num(at, 'longestQueueSeconds')).toBe(10);
    const below = detect('queue-buildup', [every4(0)]);
    expect(below.status).toBe('ok');
    expect(num(below, 'timeWithQueueRatio')).toBe(449 / 1800);
  });

  it('waiting below 1 never counts (0.9 everywhere): ok', () => {
    const o = detect('queue-buildup', [ser('vllm:num_requests_waiting', gauge(() => 0.9))]);
    expect(o.status).toBe('ok');
    expect(num(o, 'timeWithQueueRatio')).toBe(0);
    expect(evidence(o).longestQueueStartSeconds).toBeNull();
  });

  it('insufficient-data without the gauge', () => {
    expect(detect('queue-buildup', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no waiting-requests samples in this scope' });
    expect(engineSignal([clock()], 'queue-buildup').reason).toBe('vllm:num_requests_waiting not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('batch-plateau', () => {
  // max_num_seqs 256. First half: ~100 running, no queue. Second half: running at the cap (noise only
  // pulls it down: running cannot exceed max_num_seqs) with 10 waiting.
  const scenario = (sigma: number, seed: number) => [
    ser('vllm:num_requests_running', gauge((i) => (i < 900 ? 100 : 256), { sigma, level: 256, seed, lo: 0, hi: 256, round: true })),
    ser('vllm:num_requests_waiting', gauge((i) => (i < 900 ? 0 : 10))),
  ];

  for (const sigma of SIGMAS) {
    it(`running at max_num_seqs with a queue for half the window: issue at σ = ${sigma * 100}%`, () => {
      const o = detect('batch-plateau', scenario(sigma, 41), { max_num_seqs: 256 });
      expect(o.status).toBe('issue');
      expect(num(o, 'capRequests')).toBe(256);
      expect(evidence(o).capSource).toBe('max_num_seqs');
      const share = num(o, 'atCapWithQueueRatio');
      if (sigma === 0) {
        expect(share).toBe(0.5);
        expect(num(o, 'runningMax')).toBe(256);
        expect(num(o, 'runningMean')).toBe((900 * 100 + 900 * 256) / 1800);
      } else if (sigma === 0.01) {
        // sd 2.56: falling below 0.95 × 256 = 243.2 takes a 5σ draw
        expect(Math.abs(share - 0.5)).toBeLessThanOrEqual(2 / 1800);
      } else {
        // sd 12.8: at the cap iff round(256 + n) ≥ 244 ⇔ n ≥ −12.5: P = Φ(12.5/12.8) ≈ 0.836 → share ≈ 0.418
        expect(Math.abs(share - 0.418)).toBeLessThan(0.025);
      }
      expect(evidence(o).kvP95Ratio).toBeNull();
    });
  }

  it('minShare edge at 0.25: 450 of 1800 at the cap with a queue is an issue, 449 is not', () => {
    const run = (k: number) =>
      detect('batch-plateau', [ser('vllm:num_requests_running', gauge((i) => (i < k ? 256 : 50))), ser('vllm:num_requests_waiting', gauge((i) => (i < k ? 4 : 0)))], { max_num_seqs: 256 });
    expect(run(450).status).toBe('issue');
    expect(num(run(450), 'atCapWithQueueRatio')).toBe(0.25);
    expect(run(449).status).toBe('ok');
    expect(num(run(449), 'atCapWithQueueRatio')).toBe(449 / 1800);
  });

  it('atCapRatio edge: 244 running counts as at the cap of 256 (≥ 243.2), 243 does not', () => {
    const run = (r: number) => detect('batch-plateau', [ser('vllm:num_requests_running', gauge(() => r)), ser('vllm:num_requests_waiting', gauge(() => 2))], { max_num_seqs: 256 });
    expect(run(244).status).toBe('issue');
    expect(num(run(244), 'atCapWithQueueRatio')).toBe(1);
    expect(run(243).status).toBe('ok');
    expect(num(run(243), 'atCapWithQueueRatio')).toBe(0);
  });

  it('at the cap but nothing waits: ok', () => {
    const o = detect('batch-plateau', [ser('vllm:num_requests_running', gauge(() => 256)), ser('vllm:num_requests_waiting', gauge(() => 0))], { max_num_seqs: 256 });
    expect(o.status).toBe('ok');
    expect(num(o, 'atCapWithQueueRatio')).toBe(0);
  });

  it('without max_num_seqs the cap is the observed maximum', () => {
    const o = detect('batch-plateau', scenario(0, 41));
    expect(num(o, 'capRequests')).toBe(256);
    expect(evidence(o).capSource).toBe('observed maximum');
    expect(o.status).toBe('issue');
  });

  it('fleet of two replicas: the cap is max_num_seqs × 2 and the gauges are summed', () => {
    const rep = (inst: string) => [
      ser('vllm:num_requests_running', gauge(() => 128), { instance: inst }),
      ser('vllm:num_requests_waiting', gauge(() => 3), { instance: inst }),
    ];
    const series = [...rep('a:8000'), ...rep('b:8000')];
    const fleet = detect('batch-plateau', series, { max_num_seqs: 128 });
    expect(num(fleet, 'capRequests')).toBe(256);
    expect(num(fleet, 'runningMax')).toBe(256);
    expect(fleet.status).toBe('issue');
    const one = detect('batch-plateau', series, { max_num_seqs: 128 }, 'a:8000');
    expect(num(one, 'capRequests')).toBe(128);
    expect(one.status).toBe('issue');
  });

  it('insufficient-data: waiting gauge missing', () => {
    expect(detect('batch-plateau', [clock()])).toEqual({ status: 'insufficient-data', reason: 'running or waiting gauge missing' });
    expect(engineSignal([clock()], 'batch-plateau').reason).toBe('vllm:num_requests_waiting not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('gpu-utilization', () => {
  const util = (level: number, sigma: number, seed = 51) => ser('DCGM_FI_DEV_GPU_UTIL', gauge(() => level, { sigma, level, seed, lo: 0, hi: 100 }), { gpu: '0' });

  for (const sigma of SIGMAS) {
    it(`30% busy is under-use, 80% is not (σ = ${sigma * 100}%)`, () => {
      const low = detect('gpu-utilization', [util(30, sigma)]);
      expect(low.status).toBe('issue');
      // mean of 1800 draws: sd σ·30/√1800 ≤ 0.04
      expect(Math.abs(num(low, 'gpuUtilMeanPercent') - 30)).toBeLessThan(sigma === 0 ? 1e-12 : 0.2);
      expect(num(low, 'lowThresholdPercent')).toBe(50);
      expect(evidence(low).smActiveMeanRatio).toBeNull();
      expect(detect('gpu-utilization', [util(80, sigma)]).status).toBe('ok');
    });
  }

  it('lowPercent edge: mean 49.9 is an issue, 50 is not (strictly below)', () => {
    expect(detect('gpu-utilization', [util(49.9, 0)]).status).toBe('issue');
    expect(detect('gpu-utilization', [util(50, 0)]).status).toBe('ok');
  });

  it('SM activity is reported when present', () => {
    const o = detect('gpu-utilization', [util(30, 0), ser('DCGM_FI_PROF_SM_ACTIVE', gauge(() => 0.25), { gpu: '0' })]);
    expect(num(o, 'smActiveMeanRatio')).toBe(0.25);
  });

  it('insufficient-data without DCGM', () => {
    expect(detect('gpu-utilization', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no DCGM utilisation samples' });
    expect(engineSignal([clock()], 'gpu-utilization').reason).toBe('DCGM_FI_DEV_GPU_UTIL not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('memory-growth', () => {
  // RSS from 4 GiB, +600 000 bytes per 10 s sample (60 000 B/s): integers, so the Theil–Sen slope and
  // the residuals are exact when noise-free. Growth 1799 × 600 000 B = 1029.4 MiB = 25.13% of 4 GiB.
  const rss = (base: number, perSample: number, sigma: number, seed: number) =>
    ser('process_resident_memory_bytes', gauge((i) => base + i * perSample, { sigma, level: base, seed }), { instance: 'a:8000' });
  const flatLoad = () => ser('vllm:request_success_total', counter(() => 10), { instance: 'a:8000' });

  for (const sigma of SIGMAS) {
    it(`linear RSS growth at flat load: issue at σ = ${sigma * 100}% of the level`, () => {
      const o = detect('memory-growth', [rss(4 * GIB, 600_000, sigma, 61), flatLoad()]);
      expect(o.status).toBe('issue');
      const growth = (1799 * 600_000) / MIB;
      const slope = (60_000 * 3600) / MIB;
      expect(evidence(o).metric).toBe('process_resident_memory_bytes');
      expect(evidence(o).series).toBe('a:8000');
      expect(num(o, 'fromSeconds')).toBe(T0);
      expect(num(o, 'toSeconds')).toBe(T0 + SPAN);
      expect(num(o, 'mannKendallP')).toBeLessThan(0.001);
      if (sigma === 0) {
        expect(num(o, 'slopeMiBPerHour')).toBeCloseTo(slope, 9);
        expect(num(o, 'growthMiB')).toBeCloseTo(growth, 9);
        expect(num(o, 'relativeGrowthRatio')).toBeCloseTo((1799 * 600_000) / (4 * GIB), 12);
        expect(num(o, 'startMiB')).toBe(4096);
        expect(num(o, 'mannKendallTau')).toBe(1);
        // The request rate is constant after the first rate window: Theil–Sen change 0.
        expect(num(o, 'loadRelativeChange')).toBe(0);
      } else {
        // Theil–Sen slope sd ≈ σ·4 GiB / (√n · sd(t)) ≤ 1.6% of the true slope at 5%; 5% tolerance
        expect(Math.abs(num(o, 'slopeMiBPerHour') / slope - 1)).toBeLessThan(0.05);
        expect(Math.abs(num(o, 'growthMiB') / growth - 1)).toBeLessThan(0.05);
      }
    });
  }

  it('minRelativeGrowth edge (5%) on an 8 GiB process: +4% (328 MiB) is ok, +6% is an issue', () => {
    const grow = (rel: number) => rss(8 * GIB, Math.round((rel * 8 * GIB) / 1799), 0, 1);
    const low = detect('memory-growth', [grow(0.04)]);
    expect(low.status).toBe('ok');
    expect(num(low, 'relativeGrowthRatio')).toBeCloseTo(0.04, 6);
    expect(num(low, 'growthMiB')).toBeGreaterThan(256);
    expect(detect('memory-growth', [grow(0.06)]).status).toBe('issue');
  });

  it('minGrowthBytes edge (256 MiB) on a 1 GiB process: +250 MiB is ok, +260 MiB is an issue', () => {
    const grow = (mib: number) => rss(GIB, (mib * MIB) / 1799, 0, 1);
    const low = detect('memory-growth', [grow(250)]);
    expect(low.status).toBe('ok');
    expect(num(low, 'growthMiB')).toBeCloseTo(250, 6);
    expect(num(low, 'relativeGrowthRatio')).toBeCloseTo(250 / 1024, 9);
    expect(detect('memory-growth', [grow(260)]).status).toBe('issue');
  });

  it('growing load explains growing memory: ok with the load change in evidence', () => {
    // request rate from 1/s rising linearly to 3/s: Theil–Sen change ≈ 2/s over a mean of ≈ 2/s
    const load = ser('vllm:request_success_total', counter((i) => 10 + (20 * i) / 1799), { instance: 'a:8000' });
    const o = detect('memory-growth', [rss(4 * GIB, 600_000, 0, 1), load]);
    expect(o.status).toBe('ok');
    expect(num(o, 'loadRelativeChange')).toBeGreaterThan(0.9);
    expect(num(o, 'loadRelativeChange')).toBeLessThan(1.1);
  });

  it('a restart (drop > 20%) restarts the analysed stretch', () => {
    const v = gauge((i) => (i < 1000 ? 4 * GIB + i * 600_000 : 2 * GIB + (i - 1000) * 600_000));
    const o = detect('memory-growth', [ser('process_resident_memory_bytes', v, { instance: 'a:8000' })]);
    expect(num(o, 'fromSeconds')).toBe(T0 + 10_000);
    expect(num(o, 'startMiB')).toBe(2048);
    expect(num(o, 'growthMiB')).toBeCloseTo((799 * 600_000) / MIB, 9);
    expect(o.status).toBe('issue');
  });

  it('falls back to the DCGM framebuffer (MiB)', () => {
    // +2 MiB per sample from 40 000 MiB: 3598 MiB = 9.0% in 5 h, 720 MiB/h
    const o = detect('memory-growth', [ser('DCGM_FI_DEV_FB_USED', gauge((i) => 40_000 + 2 * i), { gpu: '0' })]);
    expect(evidence(o).metric).toBe('DCGM_FI_DEV_FB_USED');
    expect(evidence(o).series).toBe('0');
    expect(num(o, 'growthMiB')).toBeCloseTo(3598, 9);
    expect(num(o, 'relativeGrowthRatio')).toBeCloseTo(3598 / 40_000, 12);
    expect(num(o, 'slopeMiBPerHour')).toBeCloseTo(720, 9);
    expect(o.status).toBe('issue');
  });

  it('insufficient-data: no memory series; fewer than 30 samples since the last restart', () => {
    expect(detect('memory-growth', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no process_resident_memory_bytes or DCGM_FI_DEV_FB_USED series' });
    const v = gauge((i) => (i < 1780 ? 4 * GIB : GIB + i * 1000));
    expect(detect('memory-growth', [ser('process_resident_memory_bytes', v)])).toEqual({
      status: 'insufficient-data',
      reason: 'fewer than 30 samples since the last restart',
    });
  });
});

// ------------------------------------------------------------------------------------------------
describe('prefix-cache-hit-rate', () => {
  // 100 queried tokens per sample; `hits` of them found in the cache.
  const scenario = (hits: number, sigma: number, seed: number, queries = 100) => {
    const z = normal(seed);
    return [
      ser('vllm:prefix_cache_queries_total', counter(() => queries, 0)),
      ser('vllm:prefix_cache_hits_total', counter(() => Math.max(0, hits * (1 + sigma * z())), 0)),
    ];
  };

  for (const sigma of SIGMAS) {
    it(`5% hit ratio is low, 40% is not (σ = ${sigma * 100}% on the hits)`, () => {
      const low = detect('prefix-cache-hit-rate', scenario(5, sigma, 71));
      expect(low.status).toBe('issue');
      expect(num(low, 'queriedTokens')).toBe(179_900);
      if (sigma === 0) {
        expect(num(low, 'hitRatio')).toBe(0.05);
        expect(num(low, 'hitTokens')).toBe(8995);
      } else expect(Math.abs(num(low, 'hitRatio') - 0.05)).toBeLessThan(0.001);
      expect(evidence(low).prefixCachingEnabled).toBe('unknown');
      expect(detect('prefix-cache-hit-rate', scenario(40, sigma, 72)).status).toBe('ok');
    });
  }

  it('lowRatio edge at 0.1: 0.09 is an issue, 0.10 and 0.11 are not', () => {
    expect(detect('prefix-cache-hit-rate', scenario(9, 0, 1)).status).toBe('issue');
    expect(num(detect('prefix-cache-hit-rate', scenario(9, 0, 1)), 'hitRatio')).toBe(0.09);
    expect(detect('prefix-cache-hit-rate', scenario(10, 0, 1)).status).toBe('ok');
    expect(detect('prefix-cache-hit-rate', scenario(11, 0, 1)).status).toBe('ok');
  });

  it('minQueriedTokens edge: 10 000 queried tokens are enough, 9 999 are not', () => {
    const qs = (total: number) => [
      ser('vllm:prefix_cache_queries_total', counter((i) => (i === 1 ? total : 0), 0)),
      ser('vllm:prefix_cache_hits_total', counter(() => 0, 0)),
    ];
    const enough = detect('prefix-cache-hit-rate', qs(10_000));
    expect(enough.status).toBe('issue');
    expect(num(enough, 'hitRatio')).toBe(0);
    const short = detect('prefix-cache-hit-rate', qs(9_999));
    expect(short.status).toBe('insufficient-data');
    expect(short.status === 'insufficient-data' && short.reason).toBe('only 9999 prefix-cache queried tokens (need 10000)');
    expect(num(short, 'queriedTokens')).toBe(9_999);
  });

  it('reports whether caching is enabled from the config', () => {
    expect(evidence(detect('prefix-cache-hit-rate', scenario(5, 0, 1), { enable_prefix_caching: true })).prefixCachingEnabled).toBe('true');
  });

  it('insufficient-data through runAnalysis names the missing counters', () => {
    expect(engineSignal([clock()], 'prefix-cache-hit-rate').reason).toBe('vllm:prefix_cache_queries_total, vllm:prefix_cache_hits_total not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('kv-swapping', () => {
  it('requests swapped in 120 of 1800 scrapes: issue with exact share and max', () => {
    const o = detect('kv-swapping', [ser('vllm:num_requests_swapped', gauge((i) => (i >= 600 && i < 720 ? 1 + (i % 3) : 0))), ser('vllm:cpu_cache_usage_perc', gauge((i) => (i >= 600 && i < 720 ? 0.4 : 0)))]);
    expect(o.status).toBe('issue');
    expect(num(o, 'timeSwappingRatio')).toBe(120 / 1800);
    expect(num(o, 'swappedMax')).toBe(3);
    expect(num(o, 'swappedMean')).toBeCloseTo((40 * (1 + 2 + 3)) / 1800, 12);
    expect(num(o, 'cpuCacheUsageMaxRatio')).toBe(0.4);
  });

  it('a swapped gauge that stays 0: ok', () => {
    const o = detect('kv-swapping', [ser('vllm:num_requests_swapped', gauge(() => 0))]);
    expect(o.status).toBe('ok');
    expect(num(o, 'timeSwappingRatio')).toBe(0);
    expect(evidence(o).cpuCacheUsageMaxRatio).toBeNull();
  });

  it('insufficient-data on a v1 engine (no swapped gauge)', () => {
    expect(detect('kv-swapping', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no swapped-requests samples (a v1 engine does not swap)' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('throughput-drop', () => {
  // 1000 output tokens/s (10 000 per sample); from sample 1000 to 1179 (30 min) a fraction `drop` less.
  const tokens = (drop: number, sigma: number, seed: number) => {
    const z = normal(seed);
    return ser('vllm:generation_tokens_total', counter((i) => Math.max(0, (i >= 1000 && i < 1180 ? 10_000 * (1 - drop) : 10_000) * (1 + sigma * z()))));
  };
  const waitingDuring = (w: number) => ser('vllm:num_requests_waiting', gauge((i) => (i >= 990 && i < 1200 ? w : 0)));

  for (const sigma of SIGMAS) {
    it(`a 50% drop while 5 requests wait: issue at σ = ${sigma * 100}%`, () => {
      const o = detect('throughput-drop', [tokens(0.5, sigma, 81), waitingDuring(5)]);
      expect(o.status).toBe('issue');
      if (sigma === 0) {
        // Noise-free the rolling MAD is 0, so the first lowered window (ending at sample 1000) opens the
        // episode; the medians before and during it are exactly 1000 and 500 tokens/s.
        expect(num(o, 'dropRatio')).toBe(0.5);
        expect(num(o, 'baselineTokensPerSecond')).toBe(1000);
        expect(num(o, 'duringTokensPerSecond')).toBe(500);
        expect(num(o, 'fromSeconds')).toBe(T0 + 10_000);
      } else {
        // rates average 6 increments: sd ≈ σ·1000/√6 ≤ 21 tokens/s; the medians are within a few %.
        expect(Math.abs(num(o, 'dropRatio') - 0.5)).toBeLessThan(0.05);
        expect(Math.abs(num(o, 'baselineTokensPerSecond') - 1000)).toBeLessThan(15);
        expect(Math.abs(num(o, 'fromSeconds') - (T0 + 10_000))).toBeLessThanOrEqual(60);
      }
      expect(num(o, 'waitingMeanDuringDrop')).toBe(5);
    });
  }

  it('minDropRatio edge at 0.3: a 25% drop is ok, a 35% drop is an issue', () => {
    const small = detect('throughput-drop', [tokens(0.25, 0, 1), waitingDuring(5)]);
    expect(small.status).toBe('ok');
    expect(num(small, 'dropRatio')).toBe(0.25);
    const big = detect('throughput-drop', [tokens(0.35, 0, 1), waitingDuring(5)]);
    expect(big.status).toBe('issue');
    expect(num(big, 'dropRatio')).toBeCloseTo(0.35, 12);
  });

  it('minWaitingDuringDrop edge: a drop with nothing waiting is the demand’s, not the engine’s', () => {
    const idle = detect('throughput-drop', [tokens(0.5, 0, 1), waitingDuring(0)]);
    expect(idle.status).toBe('ok');
    expect(num(idle, 'dropRatio')).toBe(0.5);
    expect(num(idle, 'waitingMeanDuringDrop')).toBe(0);
    expect(detect('throughput-drop', [tokens(0.5, 0, 1), waitingDuring(1)]).status).toBe('issue');
    const noGauge = detect('throughput-drop', [tokens(0.5, 0, 1)]);
    expect(noGauge.status).toBe('ok');
    expect(evidence(noGauge).waitingMeanDuringDrop).toBeNull();
  });

  it('steady throughput: ok with no episodes', () => {
    expect(detect('throughput-drop', [tokens(0, 0.05, 3), waitingDuring(5)])).toEqual({ status: 'ok', evidence: { dropEpisodes: 0 } });
  });

  it('insufficient-data: fewer grid points than two baseline windows', () => {
    const short = ser('vllm:generation_tokens_total', counter(() => 10_000, 0, 59));
    expect(detect('throughput-drop', [short])).toEqual({ status: 'insufficient-data', reason: 'window too short for a throughput baseline' });
    expect(engineSignal([clock()], 'throughput-drop').reason).toBe('vllm:generation_tokens_total not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('oom-risk', () => {
  const fb = (used: number, free: number, sigma = 0, seed = 91) => [
    ser('DCGM_FI_DEV_FB_USED', gauge(() => used, { sigma, level: used, seed, lo: 0, hi: used + free }), { gpu: '0' }),
    ser('DCGM_FI_DEV_FB_FREE', gauge(() => free), { gpu: '0' }),
  ];

  it('maxFbUsedRatio edge at 0.97: 97 / 100 is an issue, 96.9 / 100 is not', () => {
    const at = detect('oom-risk', fb(97, 3));
    expect(at.status).toBe('issue');
    expect(num(at, 'fbUsedMaxRatio')).toBe(0.97);
    expect(evidence(at).gpuMemoryUtilization).toBeNull();
    const below = detect('oom-risk', fb(96.9, 3.1));
    expect(below.status).toBe('ok');
    expect(num(below, 'fbUsedMaxRatio')).toBeCloseTo(0.969, 12);
  });

  it('the ratio is per GPU: a full GPU next to a half-empty one is an issue', () => {
    const two = [
      ser('DCGM_FI_DEV_FB_USED', gauge(() => 98), { gpu: '0' }),
      ser('DCGM_FI_DEV_FB_FREE', gauge(() => 2), { gpu: '0' }),
      ser('DCGM_FI_DEV_FB_USED', gauge(() => 40), { gpu: '1' }),
      ser('DCGM_FI_DEV_FB_FREE', gauge(() => 60), { gpu: '1' }),
    ];
    // GPU 0: 98 / 100. Mixing devices (max used 98 over max used + max free 98 + 60) would say 0.62.
    const o = detect('oom-risk', two);
    expect(num(o, 'fbUsedMaxRatio')).toBe(0.98);
    expect(o.status).toBe('issue');
  });

  it('maxMemoryFraction edge at 0.95 without DCGM: 0.95 is an issue, 0.94 is not', () => {
    expect(detect('oom-risk', [clock()], { gpu_memory_utilization: 0.95 })).toEqual({ status: 'issue', evidence: { fbUsedMaxRatio: null, gpuMemoryUtilization: 0.95 } });
    expect(detect('oom-risk', [clock()], { gpu_memory_utilization: 0.94 }).status).toBe('ok');
  });

  it('noisy framebuffer at 70 GiB of 80: the peak ratio stays far from the edge', () => {
    const o = detect('oom-risk', fb(70_000, 10_000, 0.01));
    expect(o.status).toBe('ok');
    // max of 1800 draws of N(70 000, 700²) ≤ 70 000 + 4.5σ; ratio uses the noisy used over used + 10 000
    expect(num(o, 'fbUsedMaxRatio')).toBeGreaterThan(0.875);
    expect(num(o, 'fbUsedMaxRatio')).toBeLessThan(0.9);
  });

  it('insufficient-data with neither framebuffer metrics nor the memory fraction', () => {
    expect(detect('oom-risk', [clock()])).toEqual({ status: 'insufficient-data', reason: 'neither DCGM framebuffer metrics nor gpu_memory_utilization are known' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('restarts', () => {
  it('one counter reset at sample 700: issue, first restart at its time', () => {
    const v = counter((i) => 10_000, 5_000_000);
    for (let i = 700; i < N; i++) v[i] = (i - 700) * 10_000;
    const o = detect('restarts', [ser('vllm:generation_tokens_total', v)]);
    expect(o).toEqual({ status: 'issue', evidence: { counterResets: 1, firstRestartSeconds: T0 + 7000 } });
  });

  it('a monotone counter: ok', () => {
    expect(detect('restarts', [ser('vllm:generation_tokens_total', counter(() => 1))])).toEqual({ status: 'ok', evidence: { counterResets: 0, firstRestartSeconds: null } });
  });

  it('with several replicas the fleet scope defers to the replicas', () => {
    const s = [ser('vllm:generation_tokens_total', counter(() => 1), { instance: 'a' }), ser('vllm:generation_tokens_total', counter(() => 1), { instance: 'b' })];
    expect(detect('restarts', s)).toEqual({ status: 'insufficient-data', reason: 'evaluated per replica' });
    expect(detect('restarts', s, {}, 'a').status).toBe('ok');
  });
});

// ------------------------------------------------------------------------------------------------
describe('latency-ttft / -tbt / -e2e', () => {
  const TTFT_LES = [0.1, 0.25, 0.5, 1, 2.5, Infinity];
  // 10 observations per scrape interval: 2 ≤ 0.1 s, 3 in (0.1, 0.25], 3 in (0.25, 0.5], 1 in (0.5, 1], 1 in (1, 2.5].
  // Over 1799 intervals: 17 990 requests. p95: rank 17 090.5 lies in (1, 2.5] (cumulative 16 191 below,
  // 1799 inside) → 1 + 1.5 × 899.5/1799 = 1.75 s. p50: rank 8995 in (0.1, 0.25] (3598 below, 5397
  // inside) → 0.1 + 0.15 × 5397/5397 = 0.25 s. Share over the 0.5 s chat target: 1 − 8/10 = 0.2.
  const ttft = () => histogram('vllm:time_to_first_token_seconds', TTFT_LES, [2, 5, 8, 9, 10, 10], 4.5);

  it('TTFT p95 1.75 s over the 0.5 s chat target: issue with exact quantiles', () => {
    const o = detect('latency-ttft', ttft());
    expect(o.status).toBe('issue');
    expect(num(o, 'requests')).toBe(17_990);
    expect(num(o, 'p95Seconds')).toBeCloseTo(1.75, 12);
    expect(num(o, 'p50Seconds')).toBeCloseTo(0.25, 12);
    // p99: rank 17 810.1 − 16 191 = 1619.1 of 1799 → 1 + 1.5 × 0.9 = 2.35
    expect(num(o, 'p99Seconds')).toBeCloseTo(2.35, 12);
    expect(num(o, 'targetSeconds')).toBe(0.5);
    expect(num(o, 'overTargetRatio')).toBeCloseTo(0.2, 12);
  });

  it('p95 edge at the target bound: 95% ≤ 0.5 s meets it (p95 = 0.5 exactly), 94% breaches it', () => {
    // 100 per interval: 95 (or 94) ≤ 0.5 s, the rest in (0.5, 1].
    const at = detect('latency-ttft', histogram('vllm:time_to_first_token_seconds', TTFT_LES, [50, 80, 95, 100, 100, 100], 30));
    expect(at.status).toBe('ok');
    expect(num(at, 'p95Seconds')).toBe(0.5);
    expect(num(at, 'overTargetRatio')).toBeCloseTo(0.05, 12);
    const over = detect('latency-ttft', histogram('vllm:time_to_first_token_seconds', TTFT_LES, [50, 80, 94, 100, 100, 100], 30));
    expect(over.status).toBe('issue');
    // rank 95·1799 − 94·1799 = 1799 of 6·1799 in (0.5, 1] → 0.5 + 0.5/6
    expect(num(over, 'p95Seconds')).toBeCloseTo(0.5 + 0.5 / 6, 12);
  });

  it('TBT and e2e read their own histograms against their own targets (50 ms, 10 s)', () => {
    // TBT: 20 per interval, 19 ≤ 0.04, 1 in (0.04, 0.06]: p95 rank = cumulative at 0.04 → 0.04 s, met.
    const tbt = detect('latency-tbt', histogram('vllm:inter_token_latency_seconds', [0.02, 0.04, 0.06, 0.1, Infinity], [10, 19, 20, 20, 20], 0.6));
    expect(tbt.status).toBe('ok');
    expect(num(tbt, 'p95Seconds')).toBeCloseTo(0.04, 12);
    expect(num(tbt, 'targetSeconds')).toBe(0.05);
    expect(evidence(tbt).overTargetRatio).toBeNull(); // 0.05 is not a bucket bound
    // e2e: all 4 per interval in (10, 20]: p95 = 10 + 10 × 0.95 = 19.5 s, breached
    const e2e = detect('latency-e2e', histogram('vllm:e2e_request_latency_seconds', [5, 10, 20, Infinity], [0, 0, 4, 4], 60));
    expect(e2e.status).toBe('issue');
    expect(num(e2e, 'p95Seconds')).toBeCloseTo(19.5, 12);
    expect(num(e2e, 'overTargetRatio')).toBe(1);
  });

  it('minRequests edge: 20 requests are enough, 19 are not', () => {
    // k observations, all in (0.5, 1], all arriving in the interval before sample 100
    const few = (k: number) => {
      const step = (c: number) => ser('', counter((i) => (i === 100 ? c : 0), 0));
      const bucket = (le: string, c: number): Series => ({ ...step(c), name: 'vllm:time_to_first_token_seconds_bucket', labels: { le } });
      return [
        ...TTFT_LES.map((le, j) => bucket(le === Infinity ? '+Inf' : String(le), j >= 3 ? k : 0)),
        { ...step(k), name: 'vllm:time_to_first_token_seconds_count' },
        { ...step(0.8 * k), name: 'vllm:time_to_first_token_seconds_sum' },
      ];
    };
    expect(detect('latency-ttft', few(20)).status).toBe('issue');
    expect(detect('latency-ttft', few(19))).toEqual({ status: 'insufficient-data', reason: 'only 19 requests observed (need 20)' });
  });

  it('insufficient-data: no histogram, or buckets without observations', () => {
    expect(detect('latency-ttft', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no vllm:time_to_first_token_seconds observations in this scope' });
    expect(detect('latency-ttft', histogram('vllm:time_to_first_token_seconds', TTFT_LES, [0, 0, 0, 0, 0, 0], 0))).toEqual({
      status: 'insufficient-data',
      reason: 'no vllm:time_to_first_token_seconds observations in this scope',
    });
    expect(engineSignal([clock()], 'latency-e2e').reason).toBe('vllm:e2e_request_latency_seconds_bucket not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('replica-slowdown', () => {
  const ITL_LES = [0.01, 0.02, 0.04, 0.08, 0.16, Infinity];
  // Peers a and b: all 10 per interval in (0.02, 0.04] → median 0.03 s on every grid point.
  const peer = (inst: string) => histogram('vllm:inter_token_latency_seconds', ITL_LES, [0, 0, 10, 10, 10, 10], 0.3, { instance: inst });
  // Replica c: `below` of 10 observations ≤ 0.04, the rest in (0.04, 0.08]: median 0.04 + 0.04 (5 − below)/(10 − below).
  const slow = (below: number) => histogram('vllm:inter_token_latency_seconds', ITL_LES, [0, 0, below, 10, 10, 10], 0.5, { instance: 'c' });
  const fleet = (below: number) => [...peer('a'), ...peer('b'), ...slow(below)];

  it('c decodes at 0.06 s against peers at 0.03 s: issue for c (ratio 2), ok for a', () => {
    const series = fleet(0);
    const c = detect('replica-slowdown', series, {}, 'c');
    expect(c.status).toBe('issue');
    expect(num(c, 'itlMedianSeconds')).toBeCloseTo(0.06, 12);
    expect(num(c, 'peersItlMedianSeconds')).toBeCloseTo(0.03, 12);
    expect(num(c, 'ratioToPeers')).toBeCloseTo(2, 12);
    // The first grid point has no rate (one sample in the window); the second is already slow.
    expect(num(c, 'onsetSeconds')).toBe(T0 + 10);
    expect(evidence(c).smClockMedianMHz).toBeNull();
    const a = detect('replica-slowdown', series, {}, 'a');
    expect(a.status).toBe('ok');
    // a's peers are b (0.03) and c (0.06): their median 0.045
    expect(num(a, 'ratioToPeers')).toBeCloseTo(0.03 / 0.045, 12);
  });

  it('minRatio edge at 1.5: 1.476× is ok, 1.517× is an issue', () => {
    const below3 = detect('replica-slowdown', fleet(3), {}, 'c'); // 0.04 + 0.04 × 2/7 = 0.051429 → 1.714×
    expect(num(below3, 'ratioToPeers')).toBeCloseTo((0.04 + (0.04 * 2) / 7) / 0.03, 12);
    expect(below3.status).toBe('issue');
    const r44 = detect('replica-slowdown', [...peer('a'), ...peer('b'), ...histogram('vllm:inter_token_latency_seconds', ITL_LES, [0, 0, 44, 100, 100, 100], 5, { instance: 'c' })], {}, 'c');
    // median rank 50: 6 of 56 in (0.04, 0.08] → 0.04 + 0.04 × 6/56 = 0.044286 → 1.476×
    expect(num(r44, 'ratioToPeers')).toBeCloseTo((0.04 + (0.04 * 6) / 56) / 0.03, 12);
    expect(r44.status).toBe('ok');
    const r42 = detect('replica-slowdown', [...peer('a'), ...peer('b'), ...histogram('vllm:inter_token_latency_seconds', ITL_LES, [0, 0, 42, 100, 100, 100], 5, { instance: 'c' })], {}, 'c');
    // 8 of 58 → 0.04 + 0.04 × 8/58 = 0.045517 → 1.517×
    expect(num(r42, 'ratioToPeers')).toBeCloseTo((0.04 + (0.04 * 8) / 58) / 0.03, 12);
    expect(r42.status).toBe('issue');
  });

  it('insufficient-data: fleet scope, or a single replica', () => {
    expect(detect('replica-slowdown', fleet(0))).toEqual({ status: 'insufficient-data', reason: 'compares replicas with each other' });
    expect(detect('replica-slowdown', peer('a'), {}, 'a')).toEqual({ status: 'insufficient-data', reason: 'needs at least two replicas to compare' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('through runAnalysis', () => {
  it('KV ramp + preemptions + request-length histograms → KV_CACHE_THRASHING with max_num_seqs from the capacity model', () => {
    const series = [
      ser('vllm:kv_cache_usage_perc', gauge((i) => (i < 900 ? 30 : Math.min(98, 30 + (i - 900))) / 100)),
      ser('vllm:num_preemptions_total', counter((i) => (i >= 960 ? 2 : 0), 0)),
      ser('vllm:request_success_total', counter(() => 10)),
      // 10 requests per interval: prompt mean 7000/10 = 700, output mean 3000/10 = 300 tokens
      ...histogram('vllm:request_prompt_tokens', [512, 1024, Infinity], [3, 10, 10], 7000),
      ...histogram('vllm:request_generation_tokens', [256, 512, Infinity], [6, 10, 10], 3000),
    ];
    const r = runAnalysis(artifacts(series, { num_gpu_blocks: 2000, block_size: 16, max_num_seqs: 256, gpu_memory_utilization: 0.9 }), { name: 't' });
    const pre = r.signals.find((x) => x.id === 'preemptions' && x.scope === 'fleet')!;
    expect(pre.status).toBe('issue');
    expect(pre.evidence.preemptionsTotal).toBe(2 * 840); // samples 960 … 1799
    expect(pre.evidence.preemptionsPerRequest).toBe(1680 / 17990);
    const f = r.findings.find((x) => x.code === 'KV_CACHE_THRASHING');
    expect(f?.severity).toBe('critical');
    // floor(0.9 × 2000 × 16 / (700 + 300)) = floor(28.8) = 28
    expect(f?.recommendations.find((x) => x.setting === 'max_num_seqs')).toMatchObject({ from: 256, to: 28 });
    expect(f?.evidence.tokensPerSequence).toBe(1000);
    expect(f?.window).toEqual({ startSeconds: T0 + 9600, endSeconds: T0 + SPAN });
  });


  it('per-replica detectors run for the fleet and each replica, fleet-only ones once', () => {
    const s = [
      ser('vllm:kv_cache_usage_perc', gauge((i) => (i < 900 ? 0.5 : 0.97)), { instance: 'a' }),
      ser('vllm:kv_cache_usage_perc', gauge(() => 0.5), { instance: 'b' }),
      ser('DCGM_FI_DEV_GPU_UTIL', gauge(() => 30), { gpu: '0' }),
    ];
    const r = runAnalysis(artifacts(s), { name: 't' });
    const kv = r.signals.filter((x) => x.id === 'kv-pressure');
    expect(kv.map((x) => [x.scope, x.status])).toEqual([
      ['fleet', 'ok'], // average of a and b: 0.5 / 0.735, never ≥ 0.9
      ['a', 'issue'],
      ['b', 'ok'],
    ]);
    expect(kv[1].evidence.timeAboveThresholdRatio).toBe(0.5);
    const gpu = r.signals.filter((x) => x.id === 'gpu-utilization');
    expect(gpu.map((x) => [x.scope, x.status])).toEqual([['fleet', 'issue']]);
    expect(gpu[0].evidence.gpuUtilMeanPercent).toBe(30);
  });
});
