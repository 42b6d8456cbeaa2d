// Builders for seeded synthetic MetricSets, shared by the detector and diagnosis tests: a clock (first
// sample time, scrape step, sample count), gauges and counters as functions of the sample index with
// seeded Gaussian noise, classic histograms whose per-interval bucket counts may change over time,
// `vllm:cache_config_info` and `process_start_time_seconds` series, and ServingConfigs whose flags go
// through `statements` exactly as `--set` flags do.

import { AnalysisView } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { ServingConfig } from '../../src/model/serving-config.js';
import { SLO_PROFILES, type SloTargets } from '../../src/derive/slo.js';
import type { Artifacts } from '../../src/model/artifacts.js';
import { mulberry32, normal } from '../../src/stats/prng.js';

/** 2024-05-01T12:00:00Z. */
export const T0 = 1_714_564_800;
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

// ------------------------------------------------------------------------------------------------
// Seeded randomness

export { mulberry32, normal };

// ------------------------------------------------------------------------------------------------
// The clock: sample i is at t0 + i·step.

export interface Clock {
  t0: number;
  step: number;
  n: number;
}

export const clockOf = (step: number, seconds: number, t0 = T0): Clock => ({ t0, step, n: Math.floor(seconds / step) + 1 });

/** Sample index of a time offset from the clock's start (seconds must be a multiple of the step). */
export function idx(c: Clock, offsetSeconds: number): number {
  const i = offsetSeconds / c.step;
  if (!Number.isInteger(i)) throw new Error(`offset ${offsetSeconds} is not a multiple of the step ${c.step}`);
  return i;
}

export function times(c: Clock): Float64Array {
  return Float64Array.from({ length: c.n }, (_, i) => c.t0 + i * c.step);
}

export function ser(c: Clock, name: string, v: ArrayLike<number>, labels: Record<string, string> = {}): Series {
  return { name, labels, t: times(c), v: Float64Array.from(v) };
}

export interface NoiseOptions {
  /** Noise standard deviation as a fraction of `level`. */
  sigma?: number;
  level?: number;
  seed?: number;
  lo?: number;
  hi?: number;
  round?: boolean;
}

/** A gauge: f(i) plus N(0, (sigma·level)²) noise, clipped to [lo, hi], optionally rounded. */
export function gauge(c: Clock, f: (i: number) => number, o: NoiseOptions = {}): Float64Array {
  const z = normal(o.seed ?? 1);
  const sd = (o.sigma ?? 0) * (o.level ?? 1);
  const out = new Float64Array(c.n);
  for (let i = 0; i < c.n; i++) {
    let x = f(i) + (sd > 0 ? sd * z() : 0);
    if (o.round) x = Math.round(x);
    out[i] = Math.min(o.hi ?? Infinity, Math.max(o.lo ?? -Infinity, x));
  }
  return out;
}

/** A counter starting at `start` whose i-th sample adds inc(i) (i ≥ 1). */
export function counter(c: Clock, inc: (i: number) => number, start = 0): Float64Array {
  const v = new Float64Array(c.n);
  v[0] = start;
  for (let i = 1; i < c.n; i++) v[i] = v[i - 1] + inc(i);
  return v;
}

/**
 * A classic histogram as cumulative bucket counters: the interval ending at sample i adds
 * `perStep(i)[j]` observations to bucket le[j] (cumulative over j; the last one is +Inf) and
 * `sumPerStep(i)` to `_sum`; `_count` follows the +Inf bucket.
 */
export function histogram(
  c: Clock,
  base: string,
  les: readonly number[],
  perStep: (i: number) => readonly number[],
  sumPerStep: (i: number) => number,
  labels: Record<string, string> = {},
): Series[] {
  const k = les.length;
  const buckets = les.map(() => new Float64Array(c.n));
  const count = new Float64Array(c.n);
  const sum = new Float64Array(c.n);
  for (let i = 1; i < c.n; i++) {
    const p = perStep(i);
    for (let j = 0; j < k; j++) buckets[j][i] = buckets[j][i - 1] + p[j];
    count[i] = count[i - 1] + p[k - 1];
    sum[i] = sum[i - 1] + sumPerStep(i);
  }
  return [
    ...les.map((le, j) => ({ name: `${base}_bucket`, labels: { ...labels, le: le === Infinity ? '+Inf' : String(le) }, t: times(c), v: buckets[j] })),
    { name: `${base}_count`, labels, t: times(c), v: count },
    { name: `${base}_sum`, labels, t: times(c), v: sum },
  ];
}

/** `vllm:cache_config_info` (value 1) with the given settings as labels, over sample indices [from, to). */
export function cacheConfigInfo(c: Clock, settings: Record<string, string | number | boolean>, labels: Record<string, string> = {}, from = 0, to = c.n): Series {
  const lab: Record<string, string> = { ...labels };
  for (const [k, v] of Object.entries(settings)) lab[k] = typeof v === 'boolean' ? (v ? 'True' : 'False') : String(v);
  const t = times(c).slice(from, to);
  return { name: 'vllm:cache_config_info', labels: lab, t, v: new Float64Array(t.length).fill(1) };
}

/** `process_start_time_seconds`: `start(i)` at each sample. */
export function processStart(c: Clock, start: (i: number) => number, labels: Record<string, string> = {}): Series {
  return ser(c, 'process_start_time_seconds', gauge(c, start), labels);
}

// ------------------------------------------------------------------------------------------------
// Configuration and views

export type Flags = Record<string, string | number | boolean>;

/** A ServingConfig holding `--set` flags (as statements, which the per-replica timeline reads). */
export function flagsConfig(flags: Flags = {}): ServingConfig {
  const values = Object.fromEntries(Object.entries(flags).map(([k, v]) => [k, { value: v, source: 'flag' as const }]));
  return { values, conflicts: [], statements: Object.entries(flags).map(([key, value]) => ({ key, value, source: 'flag' as const })) };
}

/** A ServingConfig from log statements (file names tie a log to a replica). */
export function logConfig(logs: { file: string; values: Flags }[]): ServingConfig {
  const statements = logs.flatMap((l) => Object.entries(l.values).map(([key, value]) => ({ key, value, source: 'log' as const, file: l.file })));
  return { values: {}, conflicts: [], statements };
}

export function viewOf(series: Series[], config: Flags | ServingConfig = {}, slo: SloTargets = SLO_PROFILES.chat): AnalysisView {
  const cfg = 'statements' in config && Array.isArray(config.statements) ? (config as ServingConfig) : flagsConfig(config as Flags);
  return new AnalysisView(new MetricSet(series), cfg, slo);
}

export function artifactsOf(series: Series[], config: Flags | ServingConfig = {}): Artifacts {
  const cfg = 'statements' in config && Array.isArray(config.statements) ? (config as ServingConfig) : flagsConfig(config as Flags);
  return { inputs: [], metrics: new MetricSet(series), profiles: [], config: cfg, warnings: [] };
}
