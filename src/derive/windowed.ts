// Window-bounded and centred-window views of the metrics: what a diagnosis needs to speak about one
// episode (from t0 to t1) rather than the whole analysed window, and the sliding-window series that
// episodes are found on. Pure functions of the AnalysisView; memoized through it where they build series.

import type { Series } from '../model/series.js';
import type { QuantileBucket } from '../model/result.js';
import { histogramParts, type HistogramName, type MetricName, type SeriesName } from '../model/metric-catalog.js';
import { histogramQuantileDetail, observedQuantileSeries } from '../stats/promql.js';
import { nanSummary } from '../stats/summary.js';
import { combine, FLEET, parseLe, type AnalysisView, type HistogramWindow, type QuantileDetail, type Scope } from './view.js';

/** The length of the sliding window episodes are evaluated on: 5 minutes (an alert rule's usual `[5m]`), at least 4 grid steps. */
export function episodeWindowSeconds(view: AnalysisView): number {
  return Math.max(300, 4 * view.step);
}

/** Index of the last sample at or before `t` (−1 when none). `ts` ascending. */
export function lastAtOrBefore(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Increase of one cumulative counter from `t0` to `t1`: from the last sample at or before t0 (or the
 * first sample inside the window when the series starts later) to the last sample at or before t1; a
 * drop is a reset and the new value counts from 0. Null when no two samples bound the window.
 */
export function increaseBetween(s: Series, t0: number, t1: number): number | null {
  const last = lastAtOrBefore(s.t, t1);
  if (last < 0) return null;
  let first = lastAtOrBefore(s.t, t0);
  if (first < 0) first = 0;
  if (last <= first) return s.t[first] >= t0 && last === first ? 0 : null;
  let inc = 0;
  const v = s.v;
  for (let i = first + 1; i <= last; i++) {
    const a = v[i - 1];
    const b = v[i];
    if (b !== b || a !== a) continue;
    inc += b >= a ? b - a : b;
  }
  return inc;
}

/** Sum over a scope's series of a counter's increase from t0 to t1 (null when no series bounds it). */
export function totalBetween(view: AnalysisView, name: SeriesName, scope: Scope, t0: number, t1: number, match?: Record<string, string>): number | null {
  let sum = 0;
  let any = false;
  for (const s of view.series(name, scope, match)) {
    const x = increaseBetween(s, t0, t1);
    if (x === null) continue;
    sum += x;
    any = true;
  }
  return any ? sum : null;
}

/** A histogram's observations from t0 to t1, summed over the scope's series by `le`. */
export function histogramBetween(view: AnalysisView, base: HistogramName, scope: Scope, t0: number, t1: number): HistogramWindow | null {
  const parts = histogramParts(base);
  const byLe = new Map<number, number>();
  for (const s of view.series(parts.bucket, scope)) {
    const le = parseLe(s.labels.le);
    if (Number.isNaN(le)) continue;
    const x = increaseBetween(s, t0, t1);
    if (x === null) continue;
    byLe.set(le, (byLe.get(le) ?? 0) + x);
  }
  const les = [...byLe.keys()].sort((a, b) => a - b);
  if (!les.length || les[les.length - 1] !== Infinity) return null;
  return {
    les,
    counts: les.map((le) => byLe.get(le)!),
    count: totalBetween(view, parts.count, scope, t0, t1) ?? byLe.get(Infinity)!,
    sum: totalBetween(view, parts.sum, scope, t0, t1) ?? NaN,
  };
}

/** A histogram quantile over t0..t1 with the bucket it fell in (null when nothing was observed). */
export function quantileBetween(view: AnalysisView, base: HistogramName, q: number, scope: Scope, t0: number, t1: number): QuantileDetail | null {
  const h = histogramBetween(view, base, scope, t0, t1);
  return quantileOf(h, q);
}

/** Quantile of a histogram window, with its bucket. */
export function quantileOf(h: HistogramWindow | null, q: number): QuantileDetail | null {
  if (!h || !(h.counts[h.counts.length - 1] > 0)) return null;
  const d = histogramQuantileDetail(q, h.les, h.counts);
  if (d.kind === 'invalid' || Number.isNaN(d.value)) return null;
  return { value: d.value, lower: d.lower, upper: d.kind === 'overflow' ? Infinity : d.upper, wide: d.wide };
}

/** Mean of a histogram over t0..t1 (`_sum / _count`), null when nothing was observed. */
export function histogramMeanBetween(view: AnalysisView, base: HistogramName, scope: Scope, t0: number, t1: number): number | null {
  const h = histogramBetween(view, base, scope, t0, t1);
  if (!h || !(h.count > 0) || !Number.isFinite(h.sum)) return null;
  return h.sum / h.count;
}

/** Grid indices [i0, i1] covering t0..t1 (i1 < i0 when the window holds no grid point). */
export function gridRange(view: AnalysisView, t0: number, t1: number): [number, number] {
  const g = view.grid;
  let i0 = lastAtOrBefore(g, t0);
  if (i0 < 0 || g[i0] < t0) i0++;
  return [i0, lastAtOrBefore(g, t1)];
}

export interface WindowStats {
  mean: number | null;
  p95: number | null;
  max: number | null;
  min: number | null;
  /** Grid points with a value. */
  n: number;
}

/**
 * Statistics of a grid series over [t0, t1): an episode's span ends one step after its last point, so
 * the grid point at t1 belongs to the next stretch (closed at the end of the analysed window).
 */
export function statsBetween(view: AnalysisView, a: Float64Array | null, t0: number, t1: number): WindowStats {
  if (!a) return { mean: null, p95: null, max: null, min: null, n: 0 };
  const [i0, last] = gridRange(view, t0, t1);
  const i1 = last > i0 && t1 < view.end && view.grid[last] >= t1 ? last - 1 : last;
  if (i1 < i0) return { mean: null, p95: null, max: null, min: null, n: 0 };
  const s = nanSummary(a.subarray(i0, i1 + 1));
  return { mean: s.mean, p95: s.p95, max: s.max, min: s.min, n: s.n };
}

/**
 * Per-second rate of a counter over a window centred on each grid point (PromQL `rate(x[w])`
 * evaluated w/2 later), summed over the scope's series. Centred, so that an episode found on it starts
 * and ends where the counter really started and stopped moving, not half a window late.
 */
export function centredRate(view: AnalysisView, name: SeriesName, scope: Scope, windowSeconds: number, match?: Record<string, string>): Float64Array | null {
  return view.memo(`crate:${name}:${scope}:${windowSeconds}:${JSON.stringify(match ?? {})}`, () => {
    const list = view.series(name, scope, match);
    if (!list.length || view.grid.length === 0) return null;
    if (fromReplicas(view, name, scope, match)) return sumOf(view.replicas.map((r) => centredRate(view, name, r, windowSeconds, match)));
    return view.rateSum(list, shiftedGrid(view, windowSeconds / 2), windowSeconds);
  });
}

/** A histogram quantile on the grid from bucket rates over a centred window; NaN where no traffic. */
export function centredQuantile(view: AnalysisView, base: HistogramName, q: number, scope: Scope, windowSeconds: number): Float64Array | null {
  return view.memo(`cq:${base}:${q}:${scope}:${windowSeconds}`, () => {
    const buckets = centredBucketRates(view, base, scope, windowSeconds);
    if (!buckets) return null;
    const { les, rates } = buckets;
    return observedQuantileSeries(q, les, rates);
  });
}

/** Bucket rates (summed by `le`) over a centred window, shared by every quantile of one histogram. */
export function centredBucketRates(view: AnalysisView, base: HistogramName, scope: Scope, windowSeconds: number): { les: number[]; rates: Float64Array[] } | null {
  return view.memo(`cbr:${base}:${scope}:${windowSeconds}`, () => {
    const list = view.series(histogramParts(base).bucket, scope);
    if (!list.length || !view.grid.length) return null;
    if (fromReplicas(view, histogramParts(base).bucket, scope)) {
      const parts = view.replicas.map((r) => centredBucketRates(view, base, r, windowSeconds)).filter((x): x is { les: number[]; rates: Float64Array[] } => x !== null);
      const les = [...new Set(parts.flatMap((p) => p.les))].sort((a, b) => a - b);
      if (!les.length || les[les.length - 1] !== Infinity) return null;
      return { les, rates: les.map((le) => sumOf(parts.map((p) => p.rates[p.les.indexOf(le)] ?? null))!) };
    }
    const at = shiftedGrid(view, windowSeconds / 2);
    const b = bucketsByLe(list, (s) => s);
    return b && { les: b.les, rates: b.les.map((le) => view.rateSum(b.byLe.get(le)!, at, windowSeconds)) };
  });
}

/**
 * A histogram's bucket series grouped by their `le` bound, each mapped by `f` (series without a numeric
 * bound dropped); bounds ascending. Null unless the last bound is +Inf (a histogram cut short).
 */
export function bucketsByLe<T>(list: readonly Series[], f: (s: Series) => T): { les: number[]; byLe: Map<number, T[]> } | null {
  const byLe = new Map<number, T[]>();
  for (const s of list) {
    const le = parseLe(s.labels.le);
    if (Number.isNaN(le)) continue;
    let l = byLe.get(le);
    if (!l) byLe.set(le, (l = []));
    l.push(f(s));
  }
  const les = [...byLe.keys()].sort((a, b) => a - b);
  return les.length && les[les.length - 1] === Infinity ? { les, byLe } : null;
}

/**
 * Share of observations above `threshold` on the grid, over a centred window: the "bad" fraction an
 * error-budget burn rate is made of. The threshold is placed inside its bucket by linear interpolation
 * (as histogram_quantile places quantiles); exact when it is a bucket bound.
 */
export function centredShareAbove(view: AnalysisView, base: HistogramName, threshold: number, scope: Scope, windowSeconds: number): Float64Array | null {
  return view.memo(`csa:${base}:${threshold}:${scope}:${windowSeconds}`, () => {
    const b = centredBucketRates(view, base, scope, windowSeconds);
    if (!b) return null;
    const out = new Float64Array(view.grid.length);
    for (let i = 0; i < out.length; i++) {
      const total = b.rates[b.les.length - 1][i];
      if (!(total > 0)) {
        out[i] = NaN;
        continue;
      }
      out[i] = 1 - cumulativeBelowAt(b.les, b.rates, i, threshold) / total;
    }
    return out;
  });
}

/**
 * Share of observations above `threshold` over a sliding window of `windowSeconds`, on the grid: the
 * "bad" fraction an error-budget burn rate is made of. `trailing` windows end at the grid point (what an
 * alert rule evaluated then sees), `centred` ones are centred on it. Only the buckets around the
 * threshold and +Inf are rated (the threshold is placed inside its bucket by linear interpolation, exact
 * at a bucket bound), so long windows cost three rate series, not one per bucket. NaN where the window
 * saw no request.
 */
export function shareAboveSeries(view: AnalysisView, base: HistogramName, threshold: number, scope: Scope, windowSeconds: number, align: 'trailing' | 'centred'): Float64Array | null {
  return view.memo(`sa:${base}:${threshold}:${scope}:${windowSeconds}:${align}`, () => {
    const list = view.series(histogramParts(base).bucket, scope);
    if (!list.length || !view.grid.length) return null;
    const les = [...new Set(list.map((s) => parseLe(s.labels.le)).filter((x) => !Number.isNaN(x)))].sort((a, b) => a - b);
    if (!les.length || les[les.length - 1] !== Infinity) return null;
    let j = 0;
    while (les[j] < threshold) j++;
    const atBound = Math.abs(les[j] - threshold) <= 1e-12 * Math.max(1, threshold);
    // The bounds cumulativeBelow reads for this threshold: the bucket holding it, its lower bound, +Inf.
    const want = [...new Set([j > 0 && !atBound ? les[j - 1] : NaN, les[j], Infinity].filter((x) => !Number.isNaN(x)))].sort((a, b) => a - b);
    const rates = want.map((le) => leRate(view, base, le, scope, windowSeconds, align)!);
    const total = rates[rates.length - 1];
    const out = new Float64Array(view.grid.length);
    for (let i = 0; i < out.length; i++) {
      const n = total[i];
      out[i] = n > 0 ? Math.min(1, Math.max(0, 1 - cumulativeBelowAt(want, rates, i, threshold) / n)) : NaN;
    }
    return out;
  });
}

/** Rate of one histogram bucket (`le`) over a sliding window, summed over the scope's series with that bound. */
function leRate(view: AnalysisView, base: HistogramName, le: number, scope: Scope, windowSeconds: number, align: 'trailing' | 'centred'): Float64Array | null {
  return view.memo(`lr:${base}:${le}:${scope}:${windowSeconds}:${align}`, () => {
    const name = histogramParts(base).bucket;
    const list = view.series(name, scope).filter((s) => parseLe(s.labels.le) === le);
    if (!list.length) return null;
    if (fromReplicas(view, name, scope)) return sumOf(view.replicas.map((r) => leRate(view, base, le, r, windowSeconds, align)));
    const at = align === 'centred' ? shiftedGrid(view, windowSeconds / 2) : view.grid;
    return view.rateSum(list, at, windowSeconds);
  });
}

/**
 * Whether the fleet's series of `name` are exactly the union of the replicas' (each series belongs to
 * one replica), so that a fleet sum of rates is the sum of the replicas' memoized sums: the fleet then
 * costs no rate computation of its own. Sums ignore NaN, so the two are the same numbers.
 */
function fromReplicas(view: AnalysisView, name: SeriesName, scope: Scope, match?: Record<string, string>): boolean {
  if (scope !== FLEET || view.replicas.length < 2) return false;
  let n = 0;
  for (const r of view.replicas) n += view.series(name, r, match).length;
  return n === view.series(name, FLEET, match).length;
}

/** Point-wise sum ignoring NaN (NaN where all are NaN or absent); null when every part is null. */
function sumOf(parts: (Float64Array | null)[]): Float64Array | null {
  const present = parts.filter((p): p is Float64Array => p !== null);
  return present.length ? combine(present, 'sum') : null;
}

/** The bucket (lower, upper] of a histogram layout that holds x (upper null for the +Inf bucket); null for NaN. */
export function bucketAround(les: readonly number[], x: number): QuantileBucket | null {
  if (!(x === x)) return null;
  let j = 0;
  while (j < les.length && les[j] < x) j++;
  if (j >= les.length) return null;
  const lower = j === 0 ? Math.min(0, les[0]) : les[j - 1];
  const upper = les[j];
  return { lowerSeconds: lower, upperSeconds: upper === Infinity ? null : upper, wide: j === 0 || upper === Infinity || (upper - lower) / upper > 0.5 };
}

/** Cumulative count at or below x, interpolated linearly inside the bucket holding x. */
export function cumulativeBelow(les: readonly number[], count: (j: number) => number, x: number): number {
  // One implementation (cumulativeBelowAt); its columns stay Float64Arrays, so its hot loop stays monomorphic.
  return cumulativeBelowAt(les, les.map((_, j) => Float64Array.of(count(j))), 0, x);
}

/**
 * Cumulative count at or below x with bucket j's count at `columns[j][i]` (a grid point of per-bucket
 * series), interpolated linearly inside the bucket holding x; no closure per grid point.
 */
export function cumulativeBelowAt(les: readonly number[], columns: readonly Float64Array[], i: number, x: number): number {
  let prevLe = 0;
  let prevC = 0;
  for (let j = 0; j < les.length; j++) {
    const le = les[j];
    const c = columns[j][i];
    if (x <= le) {
      if (le === Infinity) return prevC;
      if (Math.abs(x - le) <= 1e-12 * Math.max(1, le)) return c;
      const lower = j === 0 ? Math.min(0, le) : prevLe;
      const frac = le > lower ? (x - lower) / (le - lower) : 1;
      return prevC + (c - prevC) * Math.max(0, Math.min(1, frac));
    }
    prevLe = le;
    prevC = c;
  }
  return prevC;
}

/** Centred rolling mean over `points` grid points, ignoring NaN (NaN where the window has no value). */
export function rollingMean(a: Float64Array, points: number): Float64Array {
  const n = a.length;
  const out = new Float64Array(n);
  const half = Math.floor(points / 2);
  let sum = 0;
  let k = 0;
  let lo = 0;
  let hi = -1;
  for (let i = 0; i < n; i++) {
    const wantLo = Math.max(0, i - half);
    const wantHi = Math.min(n - 1, i - half + points - 1);
    while (hi < wantHi) {
      hi++;
      const x = a[hi];
      if (x === x) {
        sum += x;
        k++;
      }
    }
    while (lo < wantLo) {
      const x = a[lo];
      if (x === x) {
        sum -= x;
        k--;
      }
      lo++;
    }
    out[i] = k > 0 ? sum / k : NaN;
  }
  return out;
}

/** A gauge on the grid averaged over a centred sliding window of `windowSeconds`. */
export function centredGauge(view: AnalysisView, name: MetricName, scope: Scope, agg: 'sum' | 'avg' | 'max', windowSeconds: number): Float64Array | null {
  return view.memo(`cg:${name}:${scope}:${agg}:${windowSeconds}`, () => {
    const g = view.gauge(name, scope, agg);
    if (!g) return null;
    return rollingMean(g, Math.max(1, Math.round(windowSeconds / view.step)));
  });
}

/** The grid moved later by `by` seconds: one array per shift, so rates on it share their sample windows. */
function shiftedGrid(view: AnalysisView, by: number): Float64Array {
  return view.memo(`shifted-grid:${by}`, () => shifted(view.grid, by));
}

function shifted(grid: Float64Array, by: number): Float64Array {
  const out = new Float64Array(grid.length);
  for (let i = 0; i < grid.length; i++) out[i] = grid[i] + by;
  return out;
}
