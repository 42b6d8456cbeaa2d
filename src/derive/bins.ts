// Fixed, non-overlapping time bins over the analysed window (5 minutes, or the grid step when coarser):
// what the capacity review and `compare` count per stretch of time — a counter's increase, a
// histogram's bucket increases, a gauge's mean — per replica. Each series is walked once: its
// cumulative increase (resets counted as restarts from 0) is read at every bin edge, so a bin's
// increase is a difference of two numbers whatever the window's length. Memoized through the view.

import type { Series } from '../model/series.js';
import { histogramParts, type HistogramName, type MetricName, type SeriesName } from '../model/metric-catalog.js';
import { LOOKBACK_SECONDS, type AnalysisView, type Scope } from './view.js';
import { bucketsByLe, gridRange } from './windowed.js';

/** Bins are 5 minutes (an alert rule's `[5m]`) or the grid step when that is longer. */
export const BIN_SECONDS = 300;

export interface Bins {
  /** Start of the first bin (the window start). */
  start: number;
  /** Width of each bin, seconds. */
  width: number;
  /** Number of whole bins inside the window. */
  count: number;
}

/** Bin widths set for particular views before their first use (`compare` bins finer; see setBinSeconds). */
const widths = new WeakMap<AnalysisView, number>();

/**
 * Use bins of `seconds` (at least the grid step) for this view instead of BIN_SECONDS: `compare` wants
 * about 60 bins per side for its test. Must be called before anything reads the view's bins.
 */
export function setBinSeconds(view: AnalysisView, seconds: number): void {
  widths.set(view, seconds);
}

export function binsOf(view: AnalysisView): Bins {
  return view.memo('bins', () => {
    const width = Math.max(widths.get(view) ?? BIN_SECONDS, view.step);
    const span = view.end - view.start;
    return { start: view.start, width, count: span > 0 ? Math.max(0, Math.floor((span + 1e-6) / width)) : 0 };
  });
}

/** Start of bin k. */
export function binStart(b: Bins, k: number): number {
  return b.start + k * b.width;
}

/**
 * Cumulative increase of one counter series at each of `edges` (ascending): the increase from its first
 * sample to its last sample at or before the edge; NaN before the first sample and more than the
 * lookback after the last one (the series is gone, not flat).
 */
export function cumulativeAtEdges(s: Series, edges: Float64Array, resets?: readonly number[]): Float64Array {
  const out = new Float64Array(edges.length).fill(NaN);
  const t = s.t;
  const v = s.v;
  if (v instanceof Int32Array && v.length < 2 ** 21) return intCumulativeAtEdges(t, v, edges, out, resets);
  let i = 0;
  let cum = 0;
  let prev = NaN;
  for (let e = 0; e < edges.length; e++) {
    const edge = edges[e];
    while (i < t.length && t[i] <= edge) {
      const x = v[i];
      if (x === x) {
        if (prev === prev) cum += x >= prev ? x - prev : x;
        prev = x;
      }
      i++;
    }
    if (i === 0 || prev !== prev) continue;
    if (edge - t[i - 1] > LOOKBACK_SECONDS && i === t.length) continue;
    out[e] = cum;
  }
  return out;
}

/** Per timestamp array and edges: how many samples lie at or before each edge (series of one scrape grid share it). */
const endsByT = new WeakMap<Float64Array, WeakMap<Float64Array, Int32Array>>();

/** How many samples of `t` lie at or before each of `edges` (ascending); kept per (t, edges) identity, for arrays that do not change. */
export function samplesUpTo(t: Float64Array, edges: Float64Array): Int32Array {
  let byEdges = endsByT.get(t);
  if (!byEdges) endsByT.set(t, (byEdges = new WeakMap()));
  let ends = byEdges.get(edges);
  if (!ends) {
    ends = new Int32Array(edges.length);
    let i = 0;
    for (let e = 0; e < edges.length; e++) {
      while (i < t.length && t[i] <= edges[e]) i++;
      ends[e] = i;
    }
    byEdges.set(edges, ends);
  }
  return ends;
}

/**
 * cumulativeAtEdges of integer values (no NaN): the sum of the increments up to sample k is
 * v[k] − v[0] plus v[r−1] for every reset r ≤ k. With fewer than 2^21 values of at most 2^32 in size,
 * every partial sum is an integer below 2^53, so this is exactly the number the sample-by-sample sum
 * reaches, read at each edge without walking the samples.
 */
function intCumulativeAtEdges(t: Float64Array, v: Int32Array, edges: Float64Array, out: Float64Array, knownResets?: readonly number[]): Float64Array {
  const n = v.length;
  const ends = samplesUpTo(t, edges);
  // Resets: indices r with v[r] < v[r − 1] (a drop below the previous value counts the new value from 0).
  const resets = knownResets ?? resetIndices(v);
  let rp = 0;
  let added = 0;
  for (let e = 0; e < edges.length; e++) {
    const i = ends[e];
    if (i === 0) continue;
    if (edges[e] - t[i - 1] > LOOKBACK_SECONDS && i === n) continue;
    for (; rp < resets.length && resets[rp] < i; rp++) added += v[resets[rp] - 1];
    out[e] = v[i - 1] - v[0] + added;
  }
  return out;
}

function resetIndices(v: Int32Array): number[] {
  const out: number[] = [];
  for (let i = 1; i < v.length; i++) if (v[i] < v[i - 1]) out.push(i);
  return out;
}

/** The edges of the view's bins (one array per view, so that series on one timestamp array share their positions). */
function edgesOf(view: AnalysisView, b: Bins): Float64Array {
  return view.memo('bins:edges', () => binEdges(b));
}

function binEdges(b: Bins): Float64Array {
  const e = new Float64Array(b.count + 1);
  for (let k = 0; k <= b.count; k++) e[k] = b.start + k * b.width;
  return e;
}

/** Per-bin increases from cumulative values at the edges (a series starting inside a bin counts from its first sample). */
function increases(cum: Float64Array, count: number): Float64Array {
  const out = new Float64Array(count).fill(NaN);
  for (let k = 0; k < count; k++) {
    const a = cum[k];
    const b = cum[k + 1];
    if (b !== b) continue;
    out[k] = a === a ? b - a : b;
  }
  return out;
}

/** Sum of arrays ignoring NaN (NaN where all are NaN). */
export function sumNan(arrays: readonly Float64Array[], n: number): Float64Array {
  const out = new Float64Array(n).fill(NaN);
  for (const a of arrays) {
    for (let k = 0; k < n; k++) {
      const x = a[k];
      if (x !== x) continue;
      out[k] = out[k] === out[k] ? out[k] + x : x;
    }
  }
  return out;
}

/** A counter's increase per bin in one replica (summed over its series), NaN where unknown; null when absent. */
export function counterBins(view: AnalysisView, name: SeriesName, replica: Scope, match?: Record<string, string>): Float64Array | null {
  return view.memo(`bins:c:${name}:${replica}:${JSON.stringify(match ?? {})}`, () => {
    const list = view.series(name, replica, match);
    const b = binsOf(view);
    if (!list.length || !b.count) return null;
    const edges = edgesOf(view, b);
    return sumNan(list.map((s) => increases(cumulativeAtEdges(s, edges, view.counterResets(s)), b.count)), b.count);
  });
}

export interface HistogramBins {
  /** Upper bounds, ascending, ending in +Inf. */
  les: number[];
  /** Per le: observations at or below it per bin. */
  buckets: Float64Array[];
  /** Observations and their sum per bin (from `_count` / `_sum`; the +Inf bucket when `_count` is absent). */
  count: Float64Array;
  sum: Float64Array | null;
}

/** A histogram's increases per bin in one replica, summed over its series by `le`; null when absent. */
export function histogramBins(view: AnalysisView, base: HistogramName, replica: Scope): HistogramBins | null {
  return view.memo(`bins:h:${base}:${replica}`, () => {
    const parts = histogramParts(base);
    const list = view.series(parts.bucket, replica);
    const b = binsOf(view);
    if (!list.length || !b.count) return null;
    const edges = edgesOf(view, b);
    const g = bucketsByLe(list, (s) => increases(cumulativeAtEdges(s, edges, view.counterResets(s)), b.count));
    if (!g) return null;
    const les = g.les;
    const buckets = les.map((le) => sumNan(g.byLe.get(le)!, b.count));
    const count = counterBins(view, parts.count, replica) ?? buckets[buckets.length - 1];
    return { les, buckets, count, sum: counterBins(view, parts.sum, replica) };
  });
}

/** A gauge's mean per bin in one replica (grid points inside the bin), NaN where none; null when absent. */
export function gaugeBins(view: AnalysisView, name: MetricName, replica: Scope, agg: 'sum' | 'avg' | 'max' = 'sum'): Float64Array | null {
  return view.memo(`bins:g:${name}:${replica}:${agg}`, () => binMeans(view, view.gauge(name, replica, agg)));
}

/** A device (DCGM) gauge's mean per bin for a replica's GPUs; null when absent. */
export function deviceGaugeBins(view: AnalysisView, name: MetricName, replica: Scope): Float64Array | null {
  return view.memo(`bins:d:${name}:${replica}`, () => binMeans(view, view.deviceGauge(name, replica, 'avg')));
}

/**
 * A gauge's value at each bin edge (the last sample at or before it, within the lookback), summed over a
 * replica's series: the state at an instant, for in-flight changes across a bin.
 */
export function gaugeAtEdges(view: AnalysisView, name: MetricName, replica: Scope): Float64Array | null {
  return view.memo(`bins:ge:${name}:${replica}`, () => {
    const list = view.series(name, replica);
    const b = binsOf(view);
    if (!list.length || !b.count) return null;
    const edges = edgesOf(view, b);
    const parts = list.map((s) => {
      const out = new Float64Array(edges.length).fill(NaN);
      let i = 0;
      for (let e = 0; e < edges.length; e++) {
        while (i < s.t.length && s.t[i] <= edges[e]) i++;
        if (i > 0 && edges[e] - s.t[i - 1] <= LOOKBACK_SECONDS) out[e] = s.v[i - 1];
      }
      return out;
    });
    return sumNan(parts, edges.length);
  });
}

function binMeans(view: AnalysisView, g: Float64Array | null): Float64Array | null {
  const b = binsOf(view);
  if (!g || !b.count) return null;
  const out = new Float64Array(b.count).fill(NaN);
  for (let k = 0; k < b.count; k++) {
    const t0 = binStart(b, k);
    const [i0, i1raw] = gridRange(view, t0, t0 + b.width);
    const i1 = i1raw >= i0 && view.grid[i1raw] >= t0 + b.width && k < b.count - 1 ? i1raw - 1 : i1raw;
    let s = 0;
    let n = 0;
    for (let i = i0; i <= i1; i++) {
      const x = g[i];
      if (x === x) {
        s += x;
        n++;
      }
    }
    if (n) out[k] = s / n;
  }
  return out;
}
