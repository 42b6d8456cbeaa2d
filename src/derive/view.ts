// The analysis view: memoized, shared derived data over the MetricSet — an evaluation grid, series
// per replica, gauges aligned on the grid, counter rates (PromQL `rate`), window totals, and histogram
// quantiles (PromQL `histogram_quantile`). Detectors read only this, never the raw inputs.

import type { MetricSet, Series } from '../model/series.js';
import type { ServingConfig } from '../model/serving-config.js';
import { histogramParts, type HistogramName, type MetricName, type SeriesName } from '../model/metric-catalog.js';
import { evalGrid, histogramQuantileDetail, observedQuantileSeries, RateWindowCache, sumAligned } from '../stats/promql.js';
import { alignToGrid } from '../stats/resample.js';
import { replicaIdOf, typicalStep } from './inventory.js';
import { SLO_PROFILES, type SloTargets } from './slo.js';
import type { ConfigSegment, ConfigTimeline, SettingValue } from '../model/config-timeline.js';
import type { SettingName } from '../model/vocabulary.js';
import { buildConfigTimeline, segmentAt } from './config.js';

/** `fleet` or a replica id (instance / pod / engine). */
export type Scope = string;
export const FLEET: Scope = 'fleet';

/** Prometheus's default lookback: a gauge sample is "current" for 5 minutes. */
export const LOOKBACK_SECONDS = 300;

/** Most evaluation points per series; longer windows get a coarser grid (see the constructor). */
export const MAX_GRID_POINTS = 10_000;

export interface HistogramWindow {
  /** Upper bounds, ascending, ending in +Inf. */
  les: number[];
  /** Observations per cumulative bucket over the window (reset-aware increase). */
  counts: number[];
  /** Observations and their sum over the window (from `_count` / `_sum`). */
  count: number;
  sum: number;
}

export interface QuantileDetail {
  value: number;
  /** Bucket the quantile fell in. */
  lower: number;
  /** +Inf when the rank fell in the +Inf bucket (the value is then only a lower bound). */
  upper: number;
  /** The bucket is too wide to trust the value closely (see stats/promql.ts). */
  wide: boolean;
}

/** A view's computed values as plain data, series by their index in the MetricSet (exportMemo). */
export interface ViewMemo {
  cache: [string, unknown][];
  aligned: [number, Float64Array][];
  increases: [number, number][];
  bucketRates: [string, { les: number[]; summed: Float64Array[] } | null][];
}

/**
 * Whether `v` survives a structured clone unchanged in meaning: primitives, typed arrays, arrays and
 * objects with Object.prototype made of them (a clone gives objects without a prototype one, and
 * drops class prototypes). Unshared buffers are added to `buffers`.
 */
function plainData(v: unknown, buffers: Set<ArrayBuffer>, depth: number): boolean {
  if (v === null || v === undefined) return true;
  const t = typeof v;
  if (t === 'number' || t === 'string' || t === 'boolean') return true;
  if (t !== 'object' || depth > 8) return false;
  if (ArrayBuffer.isView(v)) {
    if (v.buffer instanceof ArrayBuffer) buffers.add(v.buffer);
    return true;
  }
  if (Array.isArray(v)) {
    for (const x of v) if (!plainData(x, buffers, depth + 1)) return false;
    return true;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) return false;
  for (const x of Object.values(v as object)) if (!plainData(x, buffers, depth + 1)) return false;
  return true;
}

export class AnalysisView {
  readonly step: number;
  readonly rateWindow: number;
  readonly grid: Float64Array;
  readonly start: number;
  readonly end: number;
  readonly replicas: Scope[];
  private readonly cache = new Map<string, unknown>();
  /** Per-series gauge values on the grid, computed once whatever asks (see aligned). */
  private readonly alignedBySeries = new WeakMap<Series, Float64Array>();
  /** Per-series increase over the window: each bucket is asked for by its replica and by the fleet. */
  private readonly increases = new WeakMap<Series, number>();
  /** A histogram's bucket rates summed by `le` per scope, shared by every quantile of it. */
  private readonly bucketRates = new Map<string, { les: number[]; summed: Float64Array[] } | null>();
  /** Rate windows per (timestamps, eval times, range): the series of one scrape grid share them. */
  private readonly rateWindows = new RateWindowCache();

  constructor(
    readonly metrics: MetricSet,
    readonly config: ServingConfig,
    /** Latency targets chosen with --slo (detectors compare against them). */
    readonly slo: SloTargets = SLO_PROFILES.chat,
  ) {
    const range = metrics.timeRange();
    const scrape = typicalStep(metrics.series) ?? 0;
    const base = scrape > 0 ? scrape : 10;
    const span = range ? range.end - range.start : 0;
    // The grid is the scrape step, coarsened to a whole multiple of it when the window would need more
    // than MAX_GRID_POINTS (a week at 10 s → 70 s): detection at minute resolution over a week loses
    // nothing a reader acts on, and every per-grid-point computation gets that much cheaper.
    this.step = base * Math.max(1, Math.ceil(span / base / MAX_GRID_POINTS));
    // Four scrapes per rate window, at least a minute: what Grafana dashboards for vLLM use.
    this.rateWindow = Math.max(60, 4 * this.step);
    this.start = range?.start ?? 0;
    this.end = range?.end ?? 0;
    this.grid = range && range.end > range.start ? evalGrid(range.start, range.end, this.step) : new Float64Array(0);
    const ids = new Set<string>();
    for (const s of metrics.series) if (s.name.startsWith('vllm:')) ids.add(replicaIdOf(s.labels));
    this.replicas = [...ids].sort();
  }

  /**
   * True when the input is one scrape (no time range): counters and histograms then hold what
   * accumulated since the process started, and that is what totals and quantiles report.
   */
  get snapshot(): boolean {
    return this.grid.length < 2;
  }

  /** A counter's increase over the window, or its cumulative value in a snapshot (computed once per series). */
  private increaseOf(s: Series): number {
    const v = s.v;
    if (this.snapshot) return v.length ? v[v.length - 1] : 0;
    let x = this.increases.get(s);
    if (x === undefined) this.increases.set(s, (x = windowIncrease(v)));
    return x;
  }

  /** Memoize a derived value under a key (shared by the windowed helpers in windowed.ts). */
  memo<T>(key: string, f: () => T): T {
    if (this.cache.has(key)) return this.cache.get(key) as T;
    const v = f();
    this.cache.set(key, v);
    return v;
  }

  /**
   * What this view has computed so far, as plain data (typed arrays, arrays, plain objects, numbers,
   * strings): an analysis worker thread's view over the same series hands it to the main thread's view
   * (importMemo), so the main thread reads it instead of computing it again. Values that are not plain
   * data (class instances, functions, Maps, objects without a prototype) stay behind. `transfer` lists
   * the unshared buffers those values use, to move rather than copy them.
   */
  exportMemo(): { memo: ViewMemo; transfer: ArrayBuffer[] } {
    const buffers = new Set<ArrayBuffer>();
    const memo: ViewMemo = { cache: [], aligned: [], increases: [], bucketRates: [] };
    for (const [k, v] of this.cache) if (plainData(v, buffers, 0)) memo.cache.push([k, v]);
    const series = this.metrics.series;
    for (let i = 0; i < series.length; i++) {
      const a = this.alignedBySeries.get(series[i]);
      if (a && plainData(a, buffers, 0)) memo.aligned.push([i, a]);
      const x = this.increases.get(series[i]);
      if (x !== undefined) memo.increases.push([i, x]);
    }
    for (const [k, v] of this.bucketRates) if (plainData(v, buffers, 0)) memo.bucketRates.push([k, v]);
    return { memo, transfer: [...buffers] };
  }

  /** Take what another view over the same series (in the same order) computed; what this view has stays. */
  importMemo(m: ViewMemo): void {
    for (const [k, v] of m.cache) if (!this.cache.has(k)) this.cache.set(k, v);
    const series = this.metrics.series;
    for (const [i, a] of m.aligned) if (!this.alignedBySeries.has(series[i])) this.alignedBySeries.set(series[i], a);
    for (const [i, x] of m.increases) if (!this.increases.has(series[i])) this.increases.set(series[i], x);
    for (const [k, v] of m.bucketRates) if (!this.bucketRates.has(k)) this.bucketRates.set(k, v);
  }

  /** Series of a canonical name within a scope, optionally matching labels. */
  series(name: SeriesName, scope: Scope = FLEET, match?: Record<string, string>): Series[] {
    const all = this.metrics.get(name, match);
    return scope === FLEET ? all : all.filter((s) => replicaIdOf(s.labels) === scope);
  }

  /**
   * Device-exporter series (DCGM) of a scope. A replica's GPUs are the exporter series on the same
   * host (the instance's host part, or the same pod / Hostname); the fleet sees them all.
   */
  deviceSeries(name: MetricName, scope: Scope = FLEET): Series[] {
    const all = this.metrics.get(name);
    if (scope === FLEET) return all;
    const host = scope.replace(/:\d+$/, '');
    return all.filter((s) => {
      const l = s.labels;
      if (l.pod !== undefined && l.pod === scope) return true;
      if (l.instance !== undefined && l.instance.replace(/:\d+$/, '') === host) return true;
      return l.Hostname !== undefined && l.Hostname === host;
    });
  }

  /** A device gauge on the grid for a scope (see deviceSeries). */
  deviceGauge(name: MetricName, scope: Scope = FLEET, agg: 'sum' | 'avg' | 'max' = 'avg'): Float64Array | null {
    return this.memo(`dgauge:${name}:${scope}:${agg}`, () => {
      const list = this.deviceSeries(name, scope);
      if (!list.length || this.grid.length === 0) return null;
      return combine(list.map((s) => this.aligned(s)), agg);
    });
  }

  has(name: string): boolean {
    return this.metrics.has(name);
  }

  /** Scopes worth reporting: the fleet, plus each replica when there are several. */
  scopes(): Scope[] {
    return this.replicas.length > 1 ? [FLEET, ...this.replicas] : [FLEET];
  }

  /** Last value at or before each grid point within the lookback, NaN when stale. */
  aligned(s: Series): Float64Array {
    let a = this.alignedBySeries.get(s);
    if (!a) this.alignedBySeries.set(s, (a = alignToGrid(s.t, s.v, this.grid, { stalenessSeconds: LOOKBACK_SECONDS })));
    return a;
  }

  /**
   * PromQL `sum(rate(x[rangeSeconds]))` over `list` at each of `at`: each series' rate added in list
   * order as sumAligned adds (NaN where no series has a value), without an array per series. `at` must
   * not change afterwards: the sample windows found for it are kept and shared by every series on the
   * same timestamps (one scrape grid: found once, not once per series).
   */
  rateSum(list: readonly Series[], at: Float64Array, rangeSeconds: number): Float64Array {
    const sum = new Float64Array(at.length).fill(NaN);
    for (const s of list) this.rateWindows.addRate(sum, s.t, s.v, at, rangeSeconds, true, true);
    return sum;
  }

  /**
   * A counter series' resets: the indices i with v[i] < v[i−1], in order (usually none). Found once per
   * series however many rates and bins read it.
   */
  counterResets(s: Series): readonly number[] {
    return this.rateWindows.resets(s.v);
  }

  /** A gauge on the grid: summed or averaged across the scope's series (NaN where none is current). */
  gauge(name: MetricName, scope: Scope = FLEET, agg: 'sum' | 'avg' | 'max' = 'sum'): Float64Array | null {
    return this.memo(`gauge:${name}:${scope}:${agg}`, () => {
      const list = this.series(name, scope);
      if (!list.length || this.grid.length === 0) return null;
      return combine(list.map((s) => this.aligned(s)), agg);
    });
  }

  /** Per-second rate of a counter on the grid (PromQL rate over `rateWindow`), summed over series. */
  rate(name: SeriesName, scope: Scope = FLEET, match?: Record<string, string>): Float64Array | null {
    return this.memo(`rate:${name}:${scope}:${JSON.stringify(match ?? {})}`, () => {
      const list = this.series(name, scope, match);
      if (!list.length || this.grid.length === 0) return null;
      return this.rateSum(list, this.grid, this.rateWindow);
    });
  }

  /** Total increase of a counter over the whole window (sum of deltas, resets counted as restarts from 0). */
  total(name: SeriesName, scope: Scope = FLEET, match?: Record<string, string>): number | null {
    const list = this.series(name, scope, match);
    if (!list.length) return null;
    let sum = 0;
    for (const s of list) sum += this.increaseOf(s);
    return sum;
  }

  /** A histogram's observations over the whole window, summed over the scope's series by `le`. */
  histogram(base: HistogramName, scope: Scope = FLEET): HistogramWindow | null {
    return this.memo(`hist:${base}:${scope}`, () => {
      const parts = histogramParts(base);
      const buckets = this.series(parts.bucket, scope);
      if (!buckets.length) return null;
      const byLe = new Map<number, number>();
      for (const s of buckets) {
        const le = parseLe(s.labels.le);
        if (Number.isNaN(le)) continue;
        byLe.set(le, (byLe.get(le) ?? 0) + this.increaseOf(s));
      }
      const les = [...byLe.keys()].sort((a, b) => a - b);
      if (!les.length || les[les.length - 1] !== Infinity) return null;
      return {
        les,
        counts: les.map((le) => byLe.get(le)!),
        count: this.total(parts.count, scope) ?? byLe.get(Infinity)!,
        sum: this.total(parts.sum, scope) ?? NaN,
      };
    });
  }

  /** Quantile of a histogram over the whole window, with the bucket it fell in. */
  quantile(base: HistogramName, q: number, scope: Scope = FLEET): QuantileDetail | null {
    const h = this.histogram(base, scope);
    if (!h || h.counts[h.counts.length - 1] <= 0) return null;
    const d = histogramQuantileDetail(q, h.les, h.counts);
    if (d.kind === 'invalid' || Number.isNaN(d.value)) return null;
    return { value: d.value, lower: d.lower, upper: d.kind === 'overflow' ? Infinity : d.upper, wide: d.wide };
  }

  /** Mean of a histogram over the window (`_sum` / `_count`). */
  histogramMean(base: HistogramName, scope: Scope = FLEET): number | null {
    const h = this.histogram(base, scope);
    if (!h || !(h.count > 0) || !Number.isFinite(h.sum)) return null;
    return h.sum / h.count;
  }

  /** A histogram quantile on the grid from bucket rates (sum by le of rate), NaN where no traffic. */
  quantileSeries(base: HistogramName, q: number, scope: Scope = FLEET): Float64Array | null {
    return this.memo(`qs:${base}:${q}:${scope}`, () => {
      const rates = this.summedBucketRates(base, scope);
      if (!rates) return null;
      const { les, summed } = rates;
      if (!les.length) return new Float64Array(this.grid.length).fill(NaN);
      return observedQuantileSeries(q, les, summed);
    });
  }

  /** Bucket rates of a histogram in a scope, summed by `le` (ascending); memoized for every quantile. */
  private summedBucketRates(base: HistogramName, scope: Scope): { les: number[]; summed: Float64Array[] } | null {
    const key = `${base}\u0000${scope}`;
    if (this.bucketRates.has(key)) return this.bucketRates.get(key)!;
    let out: { les: number[]; summed: Float64Array[] } | null = null;
    const buckets = this.series(histogramParts(base).bucket, scope);
    if (buckets.length && this.grid.length) {
      const byLe = new Map<number, Series[]>();
      for (const s of buckets) {
        const le = parseLe(s.labels.le);
        if (Number.isNaN(le)) continue;
        let l = byLe.get(le);
        if (!l) byLe.set(le, (l = []));
        l.push(s);
      }
      const les = [...byLe.keys()].sort((a, b) => a - b);
      out = { les, summed: les.map((le) => this.rateSum(byLe.get(le)!, this.grid, this.rateWindow)) };
    }
    this.bucketRates.set(key, out);
    return out;
  }

  /** Each replica's settings over time (built once, on first use). */
  get timeline(): ConfigTimeline {
    return this.memo('timeline', () => buildConfigTimeline(this, this.config));
  }

  /** The configuration segment of a replica in force at time t (default: the end of the window). */
  configAt(replica: Scope, t: number = this.end): ConfigSegment | undefined {
    return segmentAt(this.timeline.replicas.find((r) => r.replica === replica), t);
  }

  /**
   * One setting of a replica at time t, with its source (inferred values are marked so). For `fleet`
   * (profile findings, replica-less inputs): the value every replica shares, or what flags and logs
   * say when the metrics name no replica.
   */
  settingAt(replica: Scope, key: SettingName, t: number = this.end): SettingValue | undefined {
    const rc = this.timeline.replicas.find((r) => r.replica === replica);
    if (rc) return segmentAt(rc, t)?.values[key];
    return this.fleetSetting(key);
  }

  /** A setting all replicas share (read values; undefined when they differ or none states it). */
  fleetSetting(key: SettingName): SettingValue | undefined {
    return this.memo(`fleetSetting:${key}`, () => {
      const reps = this.timeline.replicas;
      if (!reps.length) {
        const st = this.config.statements ?? [];
        const flag = st.filter((x) => x.key === key && x.source === 'flag').pop();
        const log = st.filter((x) => x.key === key && x.source === 'log').pop();
        const pick = flag ?? log;
        return pick ? { value: pick.value, source: pick.source, ...(pick.file ? { file: pick.file } : {}) } : undefined;
      }
      let common: SettingValue | undefined;
      for (const r of reps) {
        for (const seg of r.segments) {
          const v = seg.values[key];
          if (!v || v.source === 'inferred') return undefined;
          if (common && String(common.value) !== String(v.value)) return undefined;
          common = common ?? v;
        }
      }
      return common;
    });
  }

  /** A numeric setting of a replica at time t as read from an input (inferred values excluded). */
  readNum(replica: Scope, key: SettingName, t: number = this.end): number | undefined {
    const v = this.settingAt(replica, key, t);
    return v && v.source !== 'inferred' && typeof v.value === 'number' ? v.value : undefined;
  }

  /** A serving setting's value, or undefined when no source gives it. */
  setting(key: string): string | number | boolean | undefined {
    return this.config.values[key]?.value;
  }

  num(key: string): number | undefined {
    const v = this.setting(key);
    return typeof v === 'number' ? v : undefined;
  }
}

export function parseLe(le: string | undefined): number {
  if (le === undefined) return NaN;
  if (le === '+Inf' || le === 'Inf' || le === 'inf') return Infinity;
  return Number(le);
}

/** Increase of a cumulative counter over its samples; a drop is a reset (the new value counts from 0). */
export function windowIncrease(v: Float64Array | Int32Array): number {
  if (v instanceof Int32Array && v.length < 2 ** 21) return intWindowIncrease(v);
  let inc = 0;
  for (let i = 1; i < v.length; i++) {
    const d = v[i] - v[i - 1];
    inc += d >= 0 ? d : v[i];
  }
  return inc;
}

/**
 * windowIncrease of integer values: every term and partial sum is an integer below 2^53 (fewer than 2^21
 * terms, each under 2^32 in size), so the sum is exact in any order and four independent running sums
 * give the same number as one, without waiting on each addition in turn.
 */
function intWindowIncrease(v: Int32Array): number {
  const n = v.length;
  let a = 0;
  let b = 0;
  let c = 0;
  let d = 0;
  let i = 1;
  for (; i + 3 < n; i += 4) {
    const x0 = v[i - 1];
    const x1 = v[i];
    const x2 = v[i + 1];
    const x3 = v[i + 2];
    const x4 = v[i + 3];
    a += x1 >= x0 ? x1 - x0 : x1;
    b += x2 >= x1 ? x2 - x1 : x2;
    c += x3 >= x2 ? x3 - x2 : x3;
    d += x4 >= x3 ? x4 - x3 : x4;
  }
  for (; i < n; i++) a += v[i] >= v[i - 1] ? v[i] - v[i - 1] : v[i];
  return a + b + c + d;
}

/** Combine aligned arrays point-wise ignoring NaN; NaN where all are NaN. */
export function combine(arrays: Float64Array[], agg: 'sum' | 'avg' | 'max'): Float64Array {
  if (agg === 'sum') return sumAligned(arrays);
  const n = arrays[0].length;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let acc = agg === 'max' ? -Infinity : 0;
    let k = 0;
    for (const a of arrays) {
      const x = a[i];
      if (Number.isNaN(x)) continue;
      k++;
      if (agg === 'max') acc = x > acc ? x : acc;
      else acc += x;
    }
    out[i] = k === 0 ? NaN : agg === 'avg' ? acc / k : acc;
  }
  return out;
}
