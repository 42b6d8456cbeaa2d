// Quality signals from the metrics alone (no request text): how requests finished — cut at
// max_tokens (`finished_reason="length"`), aborted or failed — and the distributions of prompt and
// output lengths, per replica, on the evaluation grid and over any stretch of time.
//
// The episodic question ("did the share of truncated answers rise, and when?") is asked on centred
// sliding windows against a frozen trailing baseline (`frozenTrailingScan`): the baseline is the sum
// of the last hour of intervals whose own window was calm, and it is frozen while a rise lasts, so a
// regression that persists stays a regression until the end of the window instead of becoming the new
// normal after one baseline length. Everything is counted per grid interval first (each interval's own
// increase of each counter), so that window sums and baselines are prefix sums, not rate calls.

import type { Series } from '../model/series.js';
import { histogramParts, type HistogramName, type SeriesName } from '../model/metric-catalog.js';
import { twoProportionZ, psi } from '../stats/proportion.js';
import { parseLe, type AnalysisView, type Scope } from './view.js';
import { episodeWindowSeconds } from './windowed.js';
import { frozenTrailingScan, windowIntervals, type ScanResult } from './quality-scan.js';
import { samplesUpTo } from './bins.js';

export * from './quality-scan.js';
export * from './quality-between.js';

// ------------------------------------------------------------------------------------------------
// Counts per grid interval

/**
 * Increase of one counter over each grid interval [g_i, g_{i+1}] (the last one [g_n, g_n + step]), with
 * the semantics of `increaseBetween` (windowed.ts): from the last sample at or before the interval's
 * start (or the first sample, when the series starts inside it) to the last at or before its end, a
 * drop being a reset. NaN where no two samples bound the interval. One pass over the samples.
 */
export function intervalIncrease(view: AnalysisView, s: Series): Float64Array {
  const out = new Float64Array(view.grid.length);
  intervalIncreaseInto(view, s, out, false);
  return out;
}

/**
 * intervalIncrease written into `out`, or (`add`) added into it where it is a number (NaN intervals add
 * nothing): a scope's totals without an array per series. C(k), the reset-aware increase from sample 0
 * to sample k (a pair with a NaN adds nothing), is carried along by each of the two pointers, one
 * addition per step: the same additions in the same order as a prefix array of C, so the same bits,
 * without allocating one (a week of 10 s samples is 484 KB per series).
 */
function intervalIncreaseInto(view: AnalysisView, s: Series, out: Float64Array, add: boolean): void {
  const g = view.grid;
  const n = g.length;
  const t = s.t;
  const v = s.v;
  const m = t.length;
  if (v instanceof Int32Array && m < 2 ** 21) {
    intIntervalIncreaseInto(view, t, v, view.counterResets(s), out, add);
    return;
  }
  let p0 = -1;
  let p1 = -1;
  // C(p0) and C(p1) (C(0) = 0; C(−1) is never read).
  let c0 = 0;
  let c1 = 0;
  for (let i = 0; i < n; i++) {
    const t0 = g[i];
    const t1 = i + 1 < n ? g[i + 1] : g[i] + view.step;
    while (p1 + 1 < m && t[p1 + 1] <= t1) {
      p1++;
      if (p1 > 0) {
        const a = v[p1 - 1];
        const b = v[p1];
        c1 = c1 + (a !== a || b !== b ? 0 : b >= a ? b - a : b);
      }
    }
    while (p0 + 1 < m && t[p0 + 1] <= t0) {
      p0++;
      if (p0 > 0) {
        const a = v[p0 - 1];
        const b = v[p0];
        c0 = c0 + (a !== a || b !== b ? 0 : b >= a ? b - a : b);
      }
    }
    let x: number;
    if (p1 < 0) x = NaN;
    else {
      const first = p0 < 0 ? 0 : p0;
      if (p1 <= first) x = t[first] >= t0 && p1 === first ? 0 : NaN;
      else x = c1 - (p0 < 0 ? 0 : c0);
    }
    if (!add) out[i] = x;
    else if (x === x) out[i] += x;
  }
}

/**
 * intervalIncreaseInto for integer values (no NaN, fewer than 2^21 samples): C(k) is then an integer below
 * 2^53 reached exactly by any order of additions, v[k] − v[0] plus v[r−1] for each reset r ≤ k — the
 * number the sample-by-sample sum reaches. The sample positions of the interval edges are shared by the
 * series of one timestamp array (the edges: the grid points and one step past the last).
 */
function intIntervalIncreaseInto(view: AnalysisView, t: Float64Array, v: Int32Array, resets: readonly number[], out: Float64Array, add: boolean): void {
  const g = view.grid;
  const n = g.length;
  const upTo = samplesUpTo(t, intervalEdges(view));
  const v0 = v[0];
  // Σ v[r − 1] over the resets r ≤ p, for the two pointers (both only move forward).
  let r0 = 0;
  let s0 = 0;
  let r1 = 0;
  let s1 = 0;
  for (let i = 0; i < n; i++) {
    const p0 = upTo[i] - 1;
    const p1 = upTo[i + 1] - 1;
    let x: number;
    if (p1 < 0) x = NaN;
    else {
      const first = p0 < 0 ? 0 : p0;
      if (p1 <= first) x = t[first] >= g[i] && p1 === first ? 0 : NaN;
      else {
        for (; r1 < resets.length && resets[r1] <= p1; r1++) s1 += v[resets[r1] - 1];
        for (; r0 < resets.length && resets[r0] <= first; r0++) s0 += v[resets[r0] - 1];
        x = v[p1] - v0 + s1 - (v[first] - v0 + s0);
      }
    }
    if (!add) out[i] = x;
    else if (x === x) out[i] += x;
  }
}

/** The grid points and one step past the last: the edges of the grid intervals (one array per view). */
function intervalEdges(view: AnalysisView): Float64Array {
  return view.memo('quality:interval-edges', () => {
    const g = view.grid;
    const e = new Float64Array(g.length + 1);
    e.set(g);
    if (g.length) e[g.length] = g[g.length - 1] + view.step;
    return e;
  });
}

/** Sum over a scope's series of each grid interval's increase (an interval no series bounds counts 0); null when no series. */
export function intervalTotals(view: AnalysisView, name: SeriesName, scope: Scope, match?: Record<string, string>): Float64Array | null {
  return view.memo(`ivl:${name}:${scope}:${JSON.stringify(match ?? {})}`, () => {
    const list = view.series(name, scope, match);
    if (!list.length || !view.grid.length) return null;
    const out = new Float64Array(view.grid.length);
    for (const s of list) intervalIncreaseInto(view, s, out, true);
    return out;
  });
}

/** vLLM's finished_reason values (vllm/v1/engine/__init__.py FINISH_REASON_STRINGS; `error` and `repetition` in newer versions). */
export const FINISH_REASONS = ['stop', 'length', 'abort', 'error', 'repetition'] as const;

export interface FinishedIntervals {
  /** Every finished request, whatever the reason. */
  total: Float64Array;
  /** Cut at max_tokens or max_model_len. */
  length: Float64Array;
  /** Aborted (by the client, or by the engine) plus failed (`error`). */
  abortOrError: Float64Array;
  abort: Float64Array;
  error: Float64Array;
  /** The finished_reason values the series carry, sorted. */
  reasons: string[];
}

/**
 * Finished requests per grid interval by reason, from `vllm:request_success_total{finished_reason}`;
 * null when the counter is absent or carries no finished_reason label (a share needs the split).
 */
export function finishedIntervals(view: AnalysisView, scope: Scope): FinishedIntervals | null {
  return view.memo(`finished:${scope}`, () => {
    const list = view.series('vllm:request_success_total', scope);
    const reasons = [...new Set(list.map((s) => s.labels.finished_reason).filter((r): r is string => r !== undefined))].sort();
    if (!list.length || !reasons.length || !view.grid.length) return null;
    const n = view.grid.length;
    const of = (reason: string) => intervalTotals(view, 'vllm:request_success_total', scope, { finished_reason: reason }) ?? new Float64Array(n);
    const total = intervalTotals(view, 'vllm:request_success_total', scope)!;
    const abort = of('abort');
    const error = of('error');
    const abortOrError = new Float64Array(n);
    for (let i = 0; i < n; i++) abortOrError[i] = abort[i] + error[i];
    return { total, length: of('length'), abortOrError, abort, error, reasons };
  });
}

export interface BucketIntervals {
  /** Upper bounds, ascending, ending in +Inf. */
  les: number[];
  /** Observations per bucket (not cumulative) per grid interval: buckets[j][i]. */
  buckets: Float64Array[];
  count: Float64Array;
  /** NaN where `_sum` is absent. */
  sum: Float64Array;
}

/** A histogram's observations per bucket and grid interval, summed over the scope's series by `le`. */
export function bucketIntervals(view: AnalysisView, base: HistogramName, scope: Scope): BucketIntervals | null {
  return view.memo(`bivl:${base}:${scope}`, () => {
    const parts = histogramParts(base);
    const list = view.series(parts.bucket, scope);
    if (!list.length || !view.grid.length) return null;
    const n = view.grid.length;
    const byLe = new Map<number, Float64Array>();
    for (const s of list) {
      const le = parseLe(s.labels.le);
      if (Number.isNaN(le)) continue;
      let acc = byLe.get(le);
      if (!acc) byLe.set(le, (acc = new Float64Array(n)));
      intervalIncreaseInto(view, s, acc, true);
    }
    const les = [...byLe.keys()].sort((a, b) => a - b);
    if (!les.length || les[les.length - 1] !== Infinity) return null;
    const cum = les.map((le) => byLe.get(le)!);
    const buckets = cum.map((c, j) => {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = Math.max(0, c[i] - (j > 0 ? cum[j - 1][i] : 0));
      return out;
    });
    const count = intervalTotals(view, parts.count, scope) ?? cum[cum.length - 1];
    const sumS = intervalTotals(view, parts.sum, scope);
    return { les, buckets, count, sum: sumS ?? new Float64Array(n).fill(NaN) };
  });
}

// ------------------------------------------------------------------------------------------------
// Share of requests: truncated, aborted

export interface ShareRiseOptions {
  /** Requests a window needs before its share counts. */
  minWindowRequests: number;
  /** Baseline: this much of accepted traffic (seconds of intervals) … */
  baselineSeconds: number;
  /** … scored only once it holds this many seconds and this many requests. */
  minBaselineSeconds: number;
  minBaselineRequests: number;
  /** One-sided two-proportion z at or above which a rise is more than chance. */
  z: number;
  /** And the share must rise by this much (absolute) … */
  minRise: number;
  /** … and to at least this multiple of the baseline share. */
  minRatio: number;
}

/** Whether a share rose from a baseline (k0 of n0) to a window (k1 of n1) by the options' tests (null: not enough requests). */
export function shareRose(k1: number, n1: number, k0: number, n0: number, o: Pick<ShareRiseOptions, 'z' | 'minRise' | 'minRatio'>): boolean {
  const p1 = k1 / n1;
  const p0 = k0 / n0;
  return twoProportionZ(k1, n1, k0, n0) >= o.z && p1 - p0 >= o.minRise - 1e-12 && p1 >= o.minRatio * p0;
}

export interface ShareScan extends ScanResult {
  /** The baseline share point i was compared with (NaN where unscored). */
  baselineShare: Float64Array;
  /** The share over point i's window (NaN where it saw no request). */
  windowShare: Float64Array;
}

/** Sliding-window rise of the share `part / total` per grid interval (see frozenTrailingScan). */
export function shareRiseScan(view: AnalysisView, part: Float64Array, total: Float64Array, o: ShareRiseOptions): ShareScan {
  const w = windowIntervals(view, episodeWindowSeconds(view));
  const baseIntervals = Math.max(1, Math.round(o.baselineSeconds / view.step));
  const minBaseIntervals = Math.ceil(o.minBaselineSeconds / view.step);
  const windowShare = new Float64Array(part.length).fill(NaN);
  const scan = frozenTrailingScan([part, total], { ...w, baselineIntervals: baseIntervals }, (win, base, k, at) => {
    if (win[1] > 0) windowShare[at] = win[0] / win[1];
    if (k < minBaseIntervals || base[1] < o.minBaselineRequests || win[1] < o.minWindowRequests) return 'unscored';
    return shareRose(win[0], win[1], base[0], base[1], o) ? 'holds' : 'calm';
  });
  const baselineShare = new Float64Array(part.length);
  for (let j = 0; j < baselineShare.length; j++) baselineShare[j] = scan.scored[j] && scan.baseline[1][j] > 0 ? scan.baseline[0][j] / scan.baseline[1][j] : NaN;
  return { ...scan, baselineShare, windowShare };
}

// ------------------------------------------------------------------------------------------------
// Length distributions

export interface DriftOptions {
  /** Requests a window needs (the window widens up to maxWindowSeconds at the scope's mean rate to hold them). */
  minWindowRequests: number;
  maxWindowSeconds: number;
  baselineSeconds: number;
  minBaselineSeconds: number;
  minBaselineRequests: number;
  /** PSI at or above which the distribution moved. */
  psiThreshold: number;
  /** And the mean moved by this factor, either way. */
  minMeanRatio: number;
}

export interface DriftScan extends ScanResult {
  les: number[];
  /** The per-interval bucket counts the scan read (bucketIntervals). */
  buckets: Float64Array[];
  /** PSI of point i's window against its baseline (NaN where unscored). */
  psi: Float64Array;
  /** Mean of the window and of the baseline (NaN where unscored or `_sum` absent). */
  windowMean: Float64Array;
  baselineMean: Float64Array;
  windowSeconds: number;
}

/** Whether two bucket vectors (with their means) differ by the drift tests. */
export function drifted(psiValue: number, meanA: number, meanB: number, o: Pick<DriftOptions, 'psiThreshold' | 'minMeanRatio'>): boolean {
  if (!(psiValue >= o.psiThreshold)) return false;
  // Without `_sum` the mean is unknown: the PSI alone decides.
  if (!(meanA > 0) || !(meanB > 0)) return true;
  const r = meanA / meanB;
  return r >= o.minMeanRatio || r <= 1 / o.minMeanRatio;
}

/** The window drift is evaluated on: one sliding window, widened to hold `minWindowRequests` at the scope's mean rate, at most `maxWindowSeconds`. */
export function driftWindowSeconds(view: AnalysisView, h: BucketIntervals, o: Pick<DriftOptions, 'minWindowRequests' | 'maxWindowSeconds'>): number {
  const w0 = episodeWindowSeconds(view);
  let total = 0;
  for (let i = 0; i < h.count.length; i++) total += h.count[i] === h.count[i] ? h.count[i] : 0;
  const span = view.end - view.start;
  if (!(total > 0) || !(span > 0)) return w0;
  const want = Math.ceil(o.minWindowRequests / (total / span) / view.step) * view.step;
  return Math.max(w0, Math.min(want, o.maxWindowSeconds));
}

/** Sliding-window drift of a length histogram against a frozen trailing baseline. */
export function lengthDriftScan(view: AnalysisView, base: HistogramName, scope: Scope, o: DriftOptions): DriftScan | null {
  const h = bucketIntervals(view, base, scope);
  if (!h) return null;
  const ws = driftWindowSeconds(view, h, o);
  const w = windowIntervals(view, ws);
  const B = h.les.length;
  const comps = [...h.buckets, h.sum, h.count];
  const n = view.grid.length;
  const psiOut = new Float64Array(n).fill(NaN);
  const wm = new Float64Array(n).fill(NaN);
  const bm = new Float64Array(n).fill(NaN);
  const baseIntervals = Math.max(1, Math.round(o.baselineSeconds / view.step));
  const minBaseIntervals = Math.ceil(o.minBaselineSeconds / view.step);
  const scan = frozenTrailingScan(comps, { ...w, baselineIntervals: baseIntervals }, (win, bas, k, at) => {
    if (k < minBaseIntervals || bas[B + 1] < o.minBaselineRequests || win[B + 1] < o.minWindowRequests) return 'unscored';
    const p = psi(bas.subarray(0, B), win.subarray(0, B));
    const meanW = win[B] / win[B + 1];
    const meanB = bas[B] / bas[B + 1];
    psiOut[at] = p;
    wm[at] = meanW;
    bm[at] = meanB;
    return drifted(p, meanW, meanB, o) ? 'holds' : 'calm';
  });
  return { ...scan, les: h.les, buckets: h.buckets, psi: psiOut, windowMean: wm, baselineMean: bm, windowSeconds: ws };
}

