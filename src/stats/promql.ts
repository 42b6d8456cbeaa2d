// PromQL semantics for counters and classic histograms, as Prometheus 2.42 evaluates them, so that our
// numbers match what users see in Grafana. Written from the behaviour of Prometheus 2.42
// (promql/functions.go `extrapolatedRate`, promql/quantile.go `bucketQuantile`, promql/engine.go
// `matrixIterSlice`), mimicking its order of floating-point operations; no code was copied.
//
// Time handling. Prometheus keeps timestamps as int64 milliseconds and computes durations from integer
// differences, then divides by 1000. Computing `t1 - t0` on Unix seconds as doubles loses ~1e-7 s, which
// for a sample 1 ms from a window edge is a 1e-4 relative error. So every time here is converted once to
// integer milliseconds (`Math.round(t * 1000)`, exact for the 3-decimal timestamps Prometheus prints),
// and all window arithmetic is done on those integers, as Prometheus does.
//
// Range windows. In Prometheus 2.x a range selector `x[r]` evaluated at T selects the samples with
// T − r ≤ t ≤ T (closed on both ends; `matrixIterSlice` keeps `t >= mint`). Prometheus 3.0 made the
// window left-open, (T − r, T]. We follow 2.42: closed. `rangeSamples` is the single place deciding this.
//
// NaN sample values are treated as staleness markers (skipped), as Prometheus skips its stale-NaN
// markers: our ingest never produces NaN values for real samples (see src/model/series.ts).

/** Seconds → integer milliseconds, the resolution Prometheus stores and computes with. */
export function toMs(seconds: number): number {
  return Math.round(seconds * 1000);
}

/**
 * A query-API time (`start`, `end`, `time`) as Prometheus parses it: whole seconds, plus the fraction
 * rounded to milliseconds (`parseTime` in web/api/v1 then `timestamp.FromTime`).
 */
export function promTimeMs(seconds: number): number {
  const whole = Math.trunc(seconds);
  const frac = seconds - whole;
  // Go's math.Round rounds half away from zero; Math.round rounds half up. Same for frac ≥ 0.
  const fracMs = frac >= 0 ? Math.round(frac * 1000) : -Math.round(-frac * 1000);
  return whole * 1000 + fracMs;
}

/** A query-API duration (`step`) given in float seconds: truncated to ns, then to whole ms. */
export function promDurationMs(seconds: number): number {
  const ns = Math.trunc(seconds * 1e9);
  return Math.trunc(ns / 1e6);
}

/**
 * Evaluation timestamps of a range query (`/api/v1/query_range?start&end&step`), in Unix seconds:
 * start, start+step, … while ≤ end, computed in integer milliseconds like the engine does.
 * Empty when end < start or step ≤ 0.
 */
export function evalGrid(start: number, end: number, step: number): Float64Array {
  const s = promTimeMs(start);
  const e = promTimeMs(end);
  const st = promDurationMs(step);
  if (!(st > 0) || !(e >= s) || !Number.isFinite(s) || !Number.isFinite(e)) return new Float64Array(0);
  const n = Math.floor((e - s) / st) + 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (s + i * st) / 1000;
  return out;
}

/** First index i in [lo, hi) with tMs(i) ≥ targetMs (hi when none). `t` ascending, in seconds. */
function lowerBoundMs(t: Float64Array, targetMs: number, lo: number, hi: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (toMs(t[mid]) < targetMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * First index i in [from, n] with toMs(t[i]) ≥ targetMs, given that none before `from` qualifies and
 * `t` is ascending: starts at from + guess, walks back while the previous sample still qualifies, then
 * forward while this one does not. The same index a forward scan from `from` finds, with fewer looks
 * when the guess is close.
 */
function seekMs(t: Float64Array, from: number, n: number, targetMs: number, guess: number): number {
  if (targetMs !== targetMs) return from; // a NaN eval time: no sample qualifies, stay (as a scan would)
  let j = from + guess;
  if (j > n) j = n;
  while (j > from && toMs(t[j - 1]) >= targetMs) j--;
  while (j < n && toMs(t[j]) < targetMs) j++;
  return j;
}

/**
 * Indices [start, end) of the samples a range selector `x[rangeSeconds]` sees when evaluated at
 * `evalTime`: Prometheus 2.42 keeps evalTime − range ≤ t ≤ evalTime (both ends closed).
 * `t` must be ascending (Unix seconds). NaN values inside the slice are the caller's to skip.
 */
export function rangeSamples(t: Float64Array, evalTime: number, rangeSeconds: number): { start: number; end: number } {
  const maxt = toMs(evalTime);
  const mint = maxt - toMs(rangeSeconds);
  const start = lowerBoundMs(t, mint, 0, t.length);
  const end = lowerBoundMs(t, maxt + 1, start, t.length);
  return { start, end };
}

/** Go's `time.Duration.Seconds()` for a duration of `ms` milliseconds. */
function durationSeconds(ms: number): number {
  const sec = Math.trunc(ms / 1000);
  const remNs = (ms - sec * 1000) * 1e6;
  return sec + remNs / 1e9;
}

/** Drop NaN samples (staleness markers) once, so the hot loop needs no checks. Returns inputs when clean. */
function withoutNaN(t: Float64Array, v: Float64Array | Int32Array): { t: Float64Array; v: Float64Array | Int32Array } {
  // An Int32Array holds no NaN: nothing to look at.
  if (v instanceof Int32Array) return { t, v };
  let nan = 0;
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) nan++;
  if (nan === 0) return { t, v };
  const tt = new Float64Array(v.length - nan);
  const vv = new Float64Array(v.length - nan);
  let k = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === v[i]) {
      tt[k] = t[i];
      vv[k++] = v[i];
    }
  }
  return { t: tt, v: vv };
}

/** Indices i with v[i] < v[i−1], appended to `out` (one loop per storage type, each monomorphic). */
function resetsInt32(v: Int32Array, out: number[]): void {
  const n = v.length;
  if (n < 2) return;
  let prev = v[0];
  for (let i = 1; i < n; i++) {
    const x = v[i];
    if (x < prev) out.push(i);
    prev = x;
  }
}

function resetsFloat64(v: Float64Array, out: number[]): void {
  const n = v.length;
  if (n < 2) return;
  let prev = v[0];
  for (let i = 1; i < n; i++) {
    const x = v[i];
    if (x < prev) out.push(i);
    prev = x;
  }
}

/**
 * The sample windows of a range selector `x[rangeSeconds]` at each of `evalTimes` over timestamps `t`,
 * and everything of Prometheus's extrapolation that depends only on the timestamps. Series that share
 * a scrape grid (the same `t` array) share these: computing them once and then `extrapolatedRateIn`
 * per series gives the same numbers as `extrapolatedRate` per series (which is exactly that).
 * Valid for values without NaN (a series with NaN values is cleaned and windowed on its own).
 */
export interface RateWindows {
  readonly t: Float64Array;
  readonly evalTimes: Float64Array;
  readonly rangeSeconds: number;
  /** First and last sample index of each window; first = −1 where it holds fewer than 2 samples. */
  readonly first: Int32Array;
  readonly last: Int32Array;
  /** (first sample − window start) and (last − first sample), seconds, as extrapolatedRate computes them. */
  readonly durationToStart: Float64Array;
  readonly sampledInterval: Float64Array;
  /** The extrapolation factor when the counter's zero point does not shorten the start ([0]: increase, [1]: rate). */
  readonly factor: [Float64Array | null, Float64Array | null];
}

/** The windows of `x[rangeSeconds]` at each eval time over timestamps `t` (see RateWindows). */
export function rateWindows(t: Float64Array, evalTimes: Float64Array, rangeSeconds: number): RateWindows {
  const n = t.length;
  const m = evalTimes.length;
  const first = new Int32Array(m);
  const last = new Int32Array(m);
  const durationToStart = new Float64Array(m);
  const sampledInterval = new Float64Array(m);
  const rangeMs = toMs(rangeSeconds);
  // The window [mint, maxt] is samples lo..hi−1: lo the first with ms ≥ mint, hi the first with
  // ms > maxt. Eval times are normally ascending, so both only move forward; each seeks from where it
  // was, guessing it moves as far as last time (regular scrapes and a regular grid: usually exact), then
  // correcting one sample at a time, so only ~2 timestamps are looked at per pointer and eval time
  // instead of every sample.
  let lo = 0;
  let hi = 0;
  let stepLo = 0;
  let stepHi = 0;
  let prevMaxt = -Infinity;
  for (let k = 0; k < m; k++) {
    const maxt = toMs(evalTimes[k]);
    const mint = maxt - rangeMs;
    // Not ascending: restart from the first sample.
    if (maxt < prevMaxt) {
      lo = 0;
      hi = 0;
    }
    prevMaxt = maxt;
    const newLo = seekMs(t, lo, n, mint, stepLo);
    stepLo = newLo - lo;
    lo = newLo;
    const newHi = seekMs(t, hi, n, maxt + 1, stepHi);
    stepHi = newHi - hi;
    hi = newHi;
    if (hi - lo < 2) {
      first[k] = -1;
      last[k] = -1;
      continue;
    }
    first[k] = lo;
    last[k] = hi - 1;
    const firstMs = toMs(t[lo]);
    const lastMs = toMs(t[hi - 1]);
    durationToStart[k] = (firstMs - mint) / 1000;
    sampledInterval[k] = (lastMs - firstMs) / 1000;
  }
  return { t, evalTimes, rangeSeconds, first, last, durationToStart, sampledInterval, factor: [null, null] };
}

/**
 * Prometheus's extrapolation factor for window k of `w` once the start distance is known: the sampled
 * interval extended to each window edge when the edge is within 1.1 average sample spacings, else by
 * half a spacing; divided by the range for a rate. The operations of promql/functions.go, in its order.
 */
function extrapolationFactor(w: RateWindows, k: number, durationToStart: number, isRate: boolean, rangeSecs: number): number {
  const count = w.last[k] - w.first[k] + 1;
  const sampledInterval = w.sampledInterval[k];
  const durationToEnd = (toMs(w.evalTimes[k]) - toMs(w.t[w.last[k]])) / 1000;
  const averageDurationBetweenSamples = sampledInterval / (count - 1);
  const extrapolationThreshold = averageDurationBetweenSamples * 1.1;
  let extrapolateToInterval = sampledInterval;
  if (durationToStart < extrapolationThreshold) extrapolateToInterval += durationToStart;
  else extrapolateToInterval += averageDurationBetweenSamples / 2;
  if (durationToEnd < extrapolationThreshold) extrapolateToInterval += durationToEnd;
  else extrapolateToInterval += averageDurationBetweenSamples / 2;
  let factor = extrapolateToInterval / sampledInterval;
  if (isRate) factor /= rangeSecs;
  return factor;
}

/** The factors of every window when the start distance is the sampled one (computed once per kind). */
function factorsOf(w: RateWindows, isRate: boolean, rangeSecs: number): Float64Array {
  const i = isRate ? 1 : 0;
  let f = w.factor[i];
  if (!f) {
    f = new Float64Array(w.first.length);
    for (let k = 0; k < f.length; k++) f[k] = w.first[k] < 0 ? NaN : extrapolationFactor(w, k, w.durationToStart[k], isRate, rangeSecs);
    w.factor[i] = f;
  }
  return f;
}

/** Indices i with v[i] < v[i−1] (counter resets), in order: usually none. One loop per storage type. */
function resetsOf(v: Float64Array | Int32Array): number[] {
  const out: number[] = [];
  if (v instanceof Int32Array) resetsInt32(v, out);
  else resetsFloat64(v, out);
  return out;
}

function hasNaN(v: Float64Array | Int32Array): boolean {
  if (v instanceof Int32Array) return false;
  for (let i = 0; i < v.length; i++) if (v[i] !== v[i]) return true;
  return false;
}

/**
 * extrapolatedRate of values `v` (sampled at `w.t`) over the windows `w`: the same numbers as
 * `extrapolatedRate(w.t, v, w.evalTimes, w.rangeSeconds, …)`, without finding the windows again.
 */
export function extrapolatedRateIn(w: RateWindows, v: Float64Array | Int32Array, isCounter: boolean, isRate: boolean, resets?: readonly number[]): Float64Array {
  if (w.t.length !== v.length) throw new Error(`extrapolatedRate: t has ${w.t.length} samples, v has ${v.length}`);
  // NaN samples are dropped before windowing: such a series gets windows of its own.
  if (hasNaN(v)) return extrapolatedRate(w.t, v, w.evalTimes, w.rangeSeconds, isCounter, isRate);
  return applyWindows(w, v, isCounter, isRate, null, resets);
}

/**
 * Adds extrapolatedRate's values of `v` over the windows `w` into `sum` the way `sumAligned` adds a
 * series (a NaN value is absent and skipped; a NaN slot of `sum` takes the value): rating each series
 * of a group into one sum gives the bits of `sumAligned` over their rates, without an array per series.
 */
export function addExtrapolatedRateIn(sum: Float64Array, w: RateWindows, v: Float64Array | Int32Array, isCounter: boolean, isRate: boolean, resets?: readonly number[]): void {
  if (w.t.length !== v.length) throw new Error(`extrapolatedRate: t has ${w.t.length} samples, v has ${v.length}`);
  if (sum.length !== w.first.length) throw new Error(`extrapolatedRate: sum has ${sum.length} points, windows ${w.first.length}`);
  if (hasNaN(v)) addAligned(sum, extrapolatedRate(w.t, v, w.evalTimes, w.rangeSeconds, isCounter, isRate));
  else applyWindows(w, v, isCounter, isRate, sum, resets);
}

/** `sum` += `x` point-wise as sumAligned adds one series (NaN in x skipped, NaN in sum replaced). */
function addAligned(sum: Float64Array, x: Float64Array): void {
  if (x.length !== sum.length) throw new Error(`sumAligned: series lengths differ (${x.length} vs ${sum.length})`);
  for (let i = 0; i < sum.length; i++) {
    const y = x[i];
    if (y !== y) continue;
    sum[i] = sum[i] !== sum[i] ? y : sum[i] + y;
  }
}

/**
 * The values over the windows into a new array, or (`into` set) added into `into` as addAligned adds.
 * `knownResets`: resetsOf(v) when the caller has it.
 */
function applyWindows(w: RateWindows, v: Float64Array | Int32Array, isCounter: boolean, isRate: boolean, into: Float64Array | null, knownResets?: readonly number[]): Float64Array {
  const m = w.first.length;
  const out = into ?? new Float64Array(m);
  const rangeSecs = durationSeconds(toMs(w.rangeSeconds));
  const factors = factorsOf(w, isRate, rangeSecs);
  const { first: firsts, last: lasts, durationToStart: starts, sampledInterval: intervals } = w;
  // A window's reset correction adds v[i−1] for each reset i inside it, in index order (what a scan of
  // the window adds, and nothing when it holds none).
  const resets = !isCounter ? [] : (knownResets ?? resetsOf(v));
  const nResets = resets.length;
  let rp = 0;
  let prevFirst = -1;
  for (let k = 0; k < m; k++) {
    const first = firsts[k];
    if (first < 0) {
      if (!into) out[k] = NaN;
      continue;
    }
    const last = lasts[k];
    let resultValue = v[last] - v[first];
    if (nResets > 0) {
      if (first < prevFirst) rp = 0;
      prevFirst = first;
      while (rp < nResets && resets[rp] <= first) rp++;
      for (let r = rp; r < nResets && resets[r] <= last; r++) resultValue += v[resets[r] - 1];
    }
    let factor = factors[k];
    if (isCounter && resultValue > 0 && v[first] >= 0) {
      // A counter cannot go below zero: do not extrapolate the start past the counter's zero point.
      const durationToZero = intervals[k] * (v[first] / resultValue);
      if (durationToZero < starts[k]) factor = extrapolationFactor(w, k, durationToZero, isRate, rangeSecs);
    }
    const x = resultValue * factor;
    if (!into) out[k] = x;
    else if (x === x) out[k] = out[k] !== out[k] ? x : out[k] + x;
  }
  return out;
}

/**
 * The shared core of rate/increase/delta (Prometheus's extrapolatedRate, float samples only), evaluated at
 * each of `evalTimes` (seconds) over a closed window of `rangeSeconds`. NaN where the window holds fewer
 * than 2 samples (Prometheus drops the element; a NaN is our "absent"). Many series on one scrape grid:
 * `rateWindows` once, then `extrapolatedRateIn` per series.
 */
export function extrapolatedRate(
  tIn: Float64Array,
  vIn: Float64Array | Int32Array,
  evalTimes: Float64Array,
  rangeSeconds: number,
  isCounter: boolean,
  isRate: boolean,
): Float64Array {
  if (tIn.length !== vIn.length) throw new Error(`extrapolatedRate: t has ${tIn.length} samples, v has ${vIn.length}`);
  const { t, v } = withoutNaN(tIn, vIn);
  return applyWindows(rateWindows(t, evalTimes, rangeSeconds), v, isCounter, isRate, null);
}

/**
 * RateWindows by (timestamps, eval times, range), for a caller that rates many series sharing one
 * timestamp array (one scrape grid) at the same eval times: the windows are found once, not once per
 * series. Keyed by array identity: only for arrays that do not change while the cache is in use (the
 * MetricSet's series and an analysis's grids). A timestamp array is windowed only the second time it is
 * asked for with the same eval times and range, so series that each have their own timestamps cost
 * nothing extra (they are rated as `extrapolatedRate` rates them).
 */
export class RateWindowCache {
  private readonly byT = new WeakMap<Float64Array, WeakMap<Float64Array, Map<number, RateWindows | null>>>();
  /** Counter resets per value array (usually none), found once however many windows rate it. */
  private readonly resetsByV = new WeakMap<Float64Array | Int32Array, number[]>();

  /** extrapolatedRate of series (t, v) at `evalTimes` over `rangeSeconds`: the same numbers. */
  rate(t: Float64Array, v: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number, isCounter: boolean, isRate: boolean): Float64Array {
    const w = this.windows(t, evalTimes, rangeSeconds);
    return w ? extrapolatedRateIn(w, v, isCounter, isRate, this.resetsOf(v, isCounter)) : extrapolatedRate(t, v, evalTimes, rangeSeconds, isCounter, isRate);
  }

  /** That rate added into `sum` as sumAligned adds a series (see addExtrapolatedRateIn). */
  addRate(sum: Float64Array, t: Float64Array, v: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number, isCounter: boolean, isRate: boolean): void {
    const w = this.windows(t, evalTimes, rangeSeconds);
    if (w) addExtrapolatedRateIn(sum, w, v, isCounter, isRate, this.resetsOf(v, isCounter));
    else addAligned(sum, extrapolatedRate(t, v, evalTimes, rangeSeconds, isCounter, isRate));
  }

  private resetsOf(v: Float64Array | Int32Array, isCounter: boolean): number[] | undefined {
    return isCounter ? this.resets(v) : undefined;
  }

  /** Indices i with v[i] < v[i−1] (counter resets; none across a NaN), in order, found once per value array. */
  resets(v: Float64Array | Int32Array): number[] {
    let r = this.resetsByV.get(v);
    if (!r) this.resetsByV.set(v, (r = resetsOf(v)));
    return r;
  }

  /** The windows, from the second request on; null the first time (the caller rates that series alone). */
  private windows(t: Float64Array, evalTimes: Float64Array, rangeSeconds: number): RateWindows | null {
    let byEval = this.byT.get(t);
    if (!byEval) this.byT.set(t, (byEval = new WeakMap()));
    let byRange = byEval.get(evalTimes);
    if (!byRange) byEval.set(evalTimes, (byRange = new Map()));
    let w = byRange.get(rangeSeconds);
    if (w === undefined) {
      byRange.set(rangeSeconds, null);
      return null;
    }
    if (w === null) byRange.set(rangeSeconds, (w = rateWindows(t, evalTimes, rangeSeconds)));
    return w;
  }
}

/** PromQL `rate(x[rangeSeconds])` at each eval time (per-second, counter resets handled, extrapolated). */
export function rate(t: Float64Array, v: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number): Float64Array {
  return extrapolatedRate(t, v, evalTimes, rangeSeconds, true, true);
}

/** PromQL `increase(x[rangeSeconds])` at each eval time (counter resets handled, extrapolated). */
export function increase(t: Float64Array, v: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number): Float64Array {
  return extrapolatedRate(t, v, evalTimes, rangeSeconds, true, false);
}

/**
 * PromQL `sum(...)` of series already evaluated on one grid: plain left-to-right addition in the given
 * order (2.42 has no compensated summation). NaN entries are absent series; all absent → NaN.
 */
export function sumAligned(series: readonly Float64Array[]): Float64Array {
  const len = series.length ? series[0].length : 0;
  const out = new Float64Array(len).fill(NaN);
  for (const s of series) {
    if (s.length !== len) throw new Error(`sumAligned: series lengths differ (${s.length} vs ${len})`);
    for (let i = 0; i < len; i++) {
      const x = s[i];
      if (x !== x) continue;
      out[i] = out[i] !== out[i] ? x : out[i] + x;
    }
  }
  return out;
}

// ───────────────────────────── histogram_quantile over classic buckets ─────────────────────────────

/** Where a quantile estimate came from, so a report can caveat it. */
export interface HistogramQuantileDetail {
  /** The estimate (same number `histogramQuantile` returns). */
  value: number;
  /**
   * 'interpolated': linear inside [lower, upper]; 'first-bucket': inside the lowest bucket, interpolated
   * from an assumed lower bound of 0; 'overflow': the rank fell in the +Inf bucket, so the value is the
   * highest finite bound and the true quantile is only known to be ≥ it; 'at-or-below-zero': lowest bucket
   * with an upper bound ≤ 0, its bound returned; 'invalid': NaN/±Inf result (no +Inf bucket, no
   * observations, fewer than 2 buckets, q outside [0, 1] or NaN).
   */
  kind: 'interpolated' | 'first-bucket' | 'overflow' | 'at-or-below-zero' | 'invalid';
  /** Bounds of the bucket the rank fell in (lower = previous bound, or 0 for the first bucket). */
  lower: number;
  upper: number;
  /** Observations in that bucket and in total (after coalescing and the monotonicity fix). */
  bucketCount: number;
  totalCount: number;
  /**
   * True when the bucket is too wide for the value to be trusted closely: an overflow, the first bucket
   * interpolated from 0, or (upper − lower) / upper > `wideRelativeWidth` (default 0.5, i.e. upper more
   * than twice lower — a judgement call: vLLM's default latency buckets step by ×1.25 … ×2.5).
   */
  wide: boolean;
}

export interface QuantileOptions {
  /** See `HistogramQuantileDetail.wide`. Default 0.5. */
  wideRelativeWidth?: number;
}

/**
 * Sort (le, count) pairs by le, drop NaN bounds/counts (absent buckets). Returns the number kept; the
 * scratch arrays hold them sorted. Insertion sort: bucket lists are short (≤ ~30) and often already sorted.
 */
function sortBuckets(les: ArrayLike<number>, counts: ArrayLike<number>, ub: Float64Array, ct: Float64Array): number {
  let m = 0;
  for (let i = 0; i < les.length; i++) {
    const u = les[i];
    const c = counts[i];
    if (u !== u || c !== c) continue;
    let j = m++;
    while (j > 0 && ub[j - 1] > u) {
      ub[j] = ub[j - 1];
      ct[j] = ct[j - 1];
      j--;
    }
    ub[j] = u;
    ct[j] = c;
  }
  return m;
}

/** A detail to fill (the fields in the order the estimate's literal always had them). */
function newDetail(): HistogramQuantileDetail {
  return { value: NaN, kind: 'invalid', lower: NaN, upper: NaN, bucketCount: NaN, totalCount: NaN, wide: false };
}

function fill(
  out: HistogramQuantileDetail,
  value: number,
  kind: HistogramQuantileDetail['kind'],
  lower: number,
  upper: number,
  bucketCount: number,
  totalCount: number,
  wide: boolean,
): HistogramQuantileDetail {
  out.value = value;
  out.kind = kind;
  out.lower = lower;
  out.upper = upper;
  out.bucketCount = bucketCount;
  out.totalCount = totalCount;
  out.wide = wide;
  return out;
}

function invalid(value: number, out: HistogramQuantileDetail): HistogramQuantileDetail {
  return fill(out, value, 'invalid', NaN, NaN, NaN, NaN, false);
}

/** bucketQuantile on buckets already sorted in ub/ct[0..m). Mutates ct (coalesce, monotonic fix). */
function bucketQuantileSorted(q: number, ub: Float64Array, ct: Float64Array, m0: number, wideRel: number, out: HistogramQuantileDetail): HistogramQuantileDetail {
  if (q !== q) return invalid(NaN, out);
  if (q < 0) return invalid(-Infinity, out);
  if (q > 1) return invalid(Infinity, out);
  if (m0 === 0 || ub[m0 - 1] !== Infinity) return invalid(NaN, out);
  // Coalesce buckets with the same upper bound (e.g. le="1" and le="1.0"), summing their counts.
  let m = 0;
  let lastU = ub[0];
  let lastC = ct[0];
  for (let i = 1; i < m0; i++) {
    if (ub[i] === lastU) lastC += ct[i];
    else {
      ub[m] = lastU;
      ct[m++] = lastC;
      lastU = ub[i];
      lastC = ct[i];
    }
  }
  ub[m] = lastU;
  ct[m++] = lastC;
  // Monotonicity fix: a bucket never holds fewer observations than the one below it.
  let max = ct[0];
  for (let i = 1; i < m; i++) {
    if (ct[i] > max) max = ct[i];
    else if (ct[i] < max) ct[i] = max;
  }
  if (m < 2) return invalid(NaN, out);
  const observations = ct[m - 1];
  if (observations === 0) return invalid(NaN, out);
  let rank = q * observations;
  // sort.Search over [0, m-1): first bucket whose cumulative count reaches the rank.
  let lo = 0;
  let hi = m - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (!(ct[mid] >= rank)) lo = mid + 1;
    else hi = mid;
  }
  const b = lo;
  if (b === m - 1) {
    const u = ub[m - 2];
    return fill(out, u, 'overflow', u, Infinity, ct[m - 1] - ct[m - 2], observations, true);
  }
  if (b === 0 && ub[0] <= 0) {
    return fill(out, ub[0], 'at-or-below-zero', -Infinity, ub[0], ct[0], observations, true);
  }
  let bucketStart = 0;
  const bucketEnd = ub[b];
  let count = ct[b];
  if (b > 0) {
    bucketStart = ub[b - 1];
    count -= ct[b - 1];
    rank -= ct[b - 1];
  }
  const value = bucketStart + (bucketEnd - bucketStart) * (rank / count);
  const wide = b === 0 || (bucketEnd - bucketStart) / bucketEnd > wideRel;
  return fill(out, value, b === 0 ? 'first-bucket' : 'interpolated', bucketStart, bucketEnd, count, observations, wide);
}

/**
 * PromQL `histogram_quantile(q, …)` over one classic histogram: `les` are the bucket upper bounds
 * (any order, +Inf required), `counts` the cumulative counts (or their rates). Linear interpolation
 * inside the bucket; lower bound 0 for the first bucket when its bound is > 0; the highest finite bound
 * when the rank falls in +Inf. q < 0 → −Inf, q > 1 → +Inf, NaN q, no +Inf bucket, fewer than 2 buckets
 * or zero observations → NaN. NaN counts are absent buckets.
 */
export function histogramQuantile(q: number, les: ArrayLike<number>, counts: ArrayLike<number>): number {
  return histogramQuantileDetail(q, les, counts).value;
}

/** `histogramQuantile` plus the bucket it came from and whether that bucket is wide. */
export function histogramQuantileDetail(q: number, les: ArrayLike<number>, counts: ArrayLike<number>, opts: QuantileOptions = {}): HistogramQuantileDetail {
  if (les.length !== counts.length) throw new Error(`histogramQuantile: ${les.length} bounds but ${counts.length} counts`);
  const ub = new Float64Array(les.length);
  const ct = new Float64Array(les.length);
  const m = sortBuckets(les, counts, ub, ct);
  return bucketQuantileSorted(q, ub, ct, m, opts.wideRelativeWidth ?? 0.5, newDetail());
}

/**
 * histogramQuantileSeries' values, NaN where any bucket is absent or nothing was observed (the +Inf
 * bucket is not above 0): the quantile series the analysis reads (view.quantileSeries, centredQuantile).
 */
export function observedQuantileSeries(q: number, les: readonly number[], bucketSeries: readonly Float64Array[]): Float64Array {
  const { value } = histogramQuantileSeries(q, les, bucketSeries);
  const last = bucketSeries[les.length - 1];
  for (let i = 0; i < value.length; i++) {
    let ok = last[i] > 0;
    for (let j = 0; ok && j < les.length; j++) if (bucketSeries[j][i] !== bucketSeries[j][i]) ok = false;
    if (!ok) value[i] = NaN;
  }
  return value;
}

/**
 * `histogram_quantile(q, sum by (le) (rate(x_bucket[r])))` on a grid: `bucketSeries[j]` is the (already
 * rated and summed) value of the bucket with bound `les[j]` at each grid point; NaN = absent at that point.
 * Returns the quantile per grid point and how many points fell in a wide bucket or overflowed.
 */
export function histogramQuantileSeries(
  q: number,
  les: ArrayLike<number>,
  bucketSeries: readonly Float64Array[],
  opts: QuantileOptions = {},
): { value: Float64Array; wide: Uint8Array; overflow: Uint8Array; wideCount: number; overflowCount: number } {
  if (les.length !== bucketSeries.length) throw new Error(`histogramQuantileSeries: ${les.length} bounds but ${bucketSeries.length} series`);
  const len = bucketSeries.length ? bucketSeries[0].length : 0;
  for (const s of bucketSeries) if (s.length !== len) throw new Error('histogramQuantileSeries: bucket series lengths differ');
  const wideRel = opts.wideRelativeWidth ?? 0.5;
  const k = les.length;
  const ub = new Float64Array(k);
  const ct = new Float64Array(k);
  const counts = new Float64Array(k);
  const value = new Float64Array(len);
  const wide = new Uint8Array(len);
  const overflow = new Uint8Array(len);
  let wideCount = 0;
  let overflowCount = 0;
  // One detail, filled again at every point (an object per point was 90 MB of garbage on a week).
  const d = newDetail();
  for (let i = 0; i < len; i++) {
    for (let j = 0; j < k; j++) counts[j] = bucketSeries[j][i];
    const m = sortBuckets(les, counts, ub, ct);
    bucketQuantileSorted(q, ub, ct, m, wideRel, d);
    value[i] = d.value;
    if (d.wide) {
      wide[i] = 1;
      wideCount++;
    }
    if (d.kind === 'overflow') {
      overflow[i] = 1;
      overflowCount++;
    }
  }
  return { value, wide, overflow, wideCount, overflowCount };
}

/**
 * Fraction of observations ≤ x in a classic histogram (for "share of requests under the SLO target"),
 * interpolating linearly inside the bucket that contains x (lower bound 0 for the first bucket when x > 0
 * and its bound > 0). `exact` says x is a bucket boundary, so no interpolation was needed. NaN when there
 * is no +Inf bucket or no observation. Same sorting, coalescing and monotonicity fix as the quantile.
 */
export function bucketFractionBelow(
  x: number,
  les: ArrayLike<number>,
  counts: ArrayLike<number>,
): { fraction: number; exact: boolean; lower: number; upper: number } {
  if (les.length !== counts.length) throw new Error(`bucketFractionBelow: ${les.length} bounds but ${counts.length} counts`);
  const ub = new Float64Array(les.length);
  const ct = new Float64Array(les.length);
  let m = sortBuckets(les, counts, ub, ct);
  const none = { fraction: NaN, exact: false, lower: NaN, upper: NaN };
  if (x !== x || m === 0 || ub[m - 1] !== Infinity) return none;
  let w = 0;
  for (let i = 0; i < m; i++) {
    if (w > 0 && ub[w - 1] === ub[i]) ct[w - 1] += ct[i];
    else {
      ub[w] = ub[i];
      ct[w++] = ct[i];
    }
  }
  m = w;
  for (let i = 1; i < m; i++) if (ct[i] < ct[i - 1]) ct[i] = ct[i - 1];
  const total = ct[m - 1];
  if (!(total > 0)) return none;
  let b = 0;
  while (b < m && ub[b] < x) b++;
  if (ub[b] === x) return { fraction: ct[b] / total, exact: true, lower: x, upper: x };
  const lower = b === 0 ? (ub[0] > 0 && x > 0 ? 0 : -Infinity) : ub[b - 1];
  const below = b === 0 ? 0 : ct[b - 1];
  if (lower === -Infinity) return { fraction: 0, exact: false, lower, upper: ub[0] };
  if (ub[b] === Infinity) return { fraction: below / total, exact: false, lower, upper: Infinity };
  const inBucket = ct[b] - below;
  return { fraction: (below + (inBucket * (x - lower)) / (ub[b] - lower)) / total, exact: false, lower, upper: ub[b] };
}
