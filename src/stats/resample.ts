// Putting series on a common step grid, and trimming warm-up / cool-down around restarts.
//
// Alignment follows PromQL instant-vector selection as Prometheus 2.42 does it: at each grid time g the
// value is the latest sample with g − staleness ≤ t ≤ g (2.x keeps a sample exactly `lookback` old;
// 3.x made that edge open). Default staleness 300 s = Prometheus's default lookback delta. Times are
// compared in integer milliseconds, like Prometheus. A NaN sample value is a staleness marker: when it is
// the latest sample at or before g, the series is absent at g (NaN), as Prometheus treats stale markers.

export { nanCount, nanMax, nanMean, nanMin, nanQuantile, nanQuantiles, nanStd, nanSum, nanSummary, quantileSorted, sortedFinite } from './summary.js';

const toMs = (s: number): number => Math.round(s * 1000);

export interface AlignOptions {
  /** How old a sample may be and still count at a grid time, in seconds. Default 300 (Prometheus lookback). */
  stalenessSeconds?: number;
}

/**
 * Value of series (t, v) at each grid time: the latest sample at or before it, within the staleness limit;
 * NaN where there is none. `t` ascending (Unix seconds), `grid` ascending.
 */
export function alignToGrid(t: Float64Array, v: Float64Array | Int32Array, grid: Float64Array, opts: AlignOptions = {}): Float64Array {
  if (t.length !== v.length) throw new Error(`alignToGrid: t has ${t.length} samples, v has ${v.length}`);
  const lookback = toMs(opts.stalenessSeconds ?? 300);
  const out = new Float64Array(grid.length);
  let j = 0; // first sample with time > g
  let prevG = -Infinity;
  for (let k = 0; k < grid.length; k++) {
    const g = toMs(grid[k]);
    if (g < prevG) j = 0; // unsorted grid: restart the scan
    prevG = g;
    while (j < t.length && toMs(t[j]) <= g) j++;
    if (j === 0) {
      out[k] = NaN;
      continue;
    }
    const i = j - 1;
    out[k] = toMs(t[i]) >= g - lookback ? v[i] : NaN;
  }
  return out;
}

/** `alignToGrid` for several series at once. */
export function alignSeries(series: readonly { t: Float64Array; v: Float64Array | Int32Array }[], grid: Float64Array, opts: AlignOptions = {}): Float64Array[] {
  return series.map((s) => alignToGrid(s.t, s.v, grid, opts));
}

/**
 * A step grid covering [start, end]: start, start + step, … ≤ end (integer-ms arithmetic, so no drift).
 */
export function stepGrid(start: number, end: number, step: number): Float64Array {
  const s = toMs(start);
  const e = toMs(end);
  const st = toMs(step);
  if (!(st > 0) || !(e >= s)) return new Float64Array(0);
  const n = Math.floor((e - s) / st) + 1;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = (s + i * st) / 1000;
  return out;
}

/** Indices i ≥ 1 where a counter went down (v[i] < v[i − 1], NaN ignored): the process restarted before i. */
export function counterResetIndices(v: Float64Array): number[] {
  const out: number[] = [];
  let prev = NaN;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x !== x) continue;
    if (x < prev) out.push(i);
    prev = x;
  }
  return out;
}

/** Indices i ≥ 1 where the time since the previous sample exceeds `minGapSeconds` (a scrape outage or restart). */
export function gapIndices(t: Float64Array, minGapSeconds: number): number[] {
  const out: number[] = [];
  const g = toMs(minGapSeconds);
  for (let i = 1; i < t.length; i++) if (toMs(t[i]) - toMs(t[i - 1]) > g) out.push(i);
  return out;
}

export interface WarmupTrimOptions {
  /** Seconds after each (re)start whose samples are dropped. Default 300. */
  warmupSeconds?: number;
  /** Seconds before each restart (and before the series end, see `trimEnd`) whose samples are dropped. Default 60. */
  cooldownSeconds?: number;
  /** Treat the first sample as a start (drop its warm-up). Default true. */
  trimStart?: boolean;
  /** Treat the last sample as a stop (drop its cool-down). Default false: an export usually ends mid-run. */
  trimEnd?: boolean;
}

/**
 * Which samples to keep so a restart does not look like an incident. `restarts` gives the first sample
 * index of each new process life — an index list (e.g. from `counterResetIndices` or `gapIndices`) or a
 * predicate `(i) => boolean` evaluated for every i ≥ 1. Samples within `warmupSeconds` after a start
 * (t_start ≤ t < t_start + warmup) and within `cooldownSeconds` before a restart (t_restart − cooldown <
 * t < t_restart; measured from the restart's first sample, since the true stop time is unknown) are
 * dropped. Returns a keep mask, the kept index ranges [start, end] (inclusive) and how many were dropped.
 */
export function warmupTrim(
  t: Float64Array,
  restarts: readonly number[] | ((i: number) => boolean),
  opts: WarmupTrimOptions = {},
): { keep: Uint8Array; ranges: { startIndex: number; endIndex: number }[]; dropped: number } {
  const n = t.length;
  const warm = toMs(opts.warmupSeconds ?? 300);
  const cool = toMs(opts.cooldownSeconds ?? 60);
  const starts: number[] = [];
  if (typeof restarts === 'function') {
    for (let i = 1; i < n; i++) if (restarts(i)) starts.push(i);
  } else {
    for (const i of restarts) if (Number.isInteger(i) && i >= 1 && i < n) starts.push(i);
    starts.sort((a, b) => a - b);
  }
  const keep = new Uint8Array(n).fill(1);
  const firstAtOrAfter = (ms: number): number => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (toMs(t[mid]) < ms) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  // drop samples with from ≤ tMs < to (t ascending: two binary searches)
  const dropWhere = (from: number, to: number) => {
    for (let i = firstAtOrAfter(from), end = firstAtOrAfter(to); i < end; i++) keep[i] = 0;
  };
  if (n > 0) {
    if (opts.trimStart ?? true) dropWhere(toMs(t[0]), toMs(t[0]) + warm);
    for (const s of starts) {
      const ts = toMs(t[s]);
      dropWhere(ts, ts + warm);
      dropWhere(ts - cool + 1, ts);
    }
    if (opts.trimEnd ?? false) dropWhere(toMs(t[n - 1]) - cool + 1, toMs(t[n - 1]) + 1);
  }
  const ranges: { startIndex: number; endIndex: number }[] = [];
  let dropped = 0;
  let open = -1;
  for (let i = 0; i <= n; i++) {
    const k = i < n && keep[i] === 1;
    if (i < n && !k) dropped++;
    if (k && open < 0) open = i;
    if (!k && open >= 0) {
      ranges.push({ startIndex: open, endIndex: i - 1 });
      open = -1;
    }
  }
  return { keep, ranges, dropped };
}
