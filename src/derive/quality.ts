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
import { proportions, twoProportionZ, psi } from '../stats/proportion.js';
import type { GridRun, TimeSpan } from './episodes.js';
import { parseLe, type AnalysisView, type HistogramWindow, type Scope } from './view.js';
import { episodeWindowSeconds, histogramBetween, quantileOf, totalBetween } from './windowed.js';

// ------------------------------------------------------------------------------------------------
// Counts per grid interval

/**
 * Increase of one counter over each grid interval [g_i, g_{i+1}] (the last one [g_n, g_n + step]), with
 * the semantics of `increaseBetween` (windowed.ts): from the last sample at or before the interval's
 * start (or the first sample, when the series starts inside it) to the last at or before its end, a
 * drop being a reset. NaN where no two samples bound the interval. One pass over the samples.
 */
export function intervalIncrease(view: AnalysisView, s: Series): Float64Array {
  const g = view.grid;
  const n = g.length;
  const out = new Float64Array(n);
  const t = s.t;
  const v = s.v;
  const m = t.length;
  // C[k]: reset-aware increase from sample 0 to sample k (a pair with a NaN adds nothing).
  const C = new Float64Array(m);
  for (let k = 1; k < m; k++) {
    const a = v[k - 1];
    const b = v[k];
    C[k] = C[k - 1] + (a !== a || b !== b ? 0 : b >= a ? b - a : b);
  }
  let p0 = -1;
  let p1 = -1;
  for (let i = 0; i < n; i++) {
    const t0 = g[i];
    const t1 = i + 1 < n ? g[i + 1] : g[i] + view.step;
    while (p1 + 1 < m && t[p1 + 1] <= t1) p1++;
    while (p0 + 1 < m && t[p0 + 1] <= t0) p0++;
    if (p1 < 0) {
      out[i] = NaN;
      continue;
    }
    const first = p0 < 0 ? 0 : p0;
    if (p1 <= first) out[i] = t[first] >= t0 && p1 === first ? 0 : NaN;
    else out[i] = C[p1] - C[first];
  }
  return out;
}

/** Sum over a scope's series of each grid interval's increase (an interval no series bounds counts 0); null when no series. */
export function intervalTotals(view: AnalysisView, name: SeriesName, scope: Scope, match?: Record<string, string>): Float64Array | null {
  return view.memo(`ivl:${name}:${scope}:${JSON.stringify(match ?? {})}`, () => {
    const list = view.series(name, scope, match);
    if (!list.length || !view.grid.length) return null;
    const out = new Float64Array(view.grid.length);
    for (const s of list) {
      const inc = intervalIncrease(view, s);
      for (let i = 0; i < out.length; i++) if (inc[i] === inc[i]) out[i] += inc[i];
    }
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
      const inc = intervalIncrease(view, s);
      for (let i = 0; i < n; i++) if (inc[i] === inc[i]) acc[i] += inc[i];
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
// Sliding windows against a frozen trailing baseline

export type Decision = 'holds' | 'calm' | 'unscored';

export interface ScanOptions {
  /** Window of point i: intervals [i − before, i + after] (clipped to the grid). */
  before: number;
  after: number;
  /** The baseline: the last `baselineIntervals` accepted intervals that end before the window starts. */
  baselineIntervals: number;
}

export interface ScanResult {
  /** 1 where the condition held on point i's window. */
  holds: Uint8Array;
  /** 1 where point i was scored (enough requests in its window and its baseline). */
  scored: Uint8Array;
  /** The baseline sums point i was compared with, per component (NaN where unscored). */
  baseline: Float64Array[];
  /** Intervals in that baseline (0 where unscored). */
  baselineIntervals: Int32Array;
}

/**
 * Score each grid point's centred window against a trailing baseline of accepted intervals.
 *
 * `comps` are per-interval counts (components of one vector per interval: [truncated, finished], or a
 * histogram's buckets, sum and count). Point i's window sums intervals [i − before, i + after]; its
 * baseline sums the last `baselineIntervals` intervals that were accepted and end before the window
 * starts. An interval is accepted when its own point was calm, or unscored outside a rise (it is
 * learnt); the intervals of a rise are never learnt. While a rise lasts the baseline is the one it
 * started with (frozen), and an unscored point inside it (a quiet stretch) neither ends it nor is
 * learnt. `decide(window, baseline, baselineIntervals, i)` says whether the condition holds.
 */
export function frozenTrailingScan(comps: Float64Array[], o: ScanOptions, decide: (win: Float64Array, base: Float64Array, baseIntervals: number, i: number) => Decision): ScanResult {
  const m = comps.length;
  const n = m ? comps[0].length : 0;
  const prefix = comps.map((c) => {
    const p = new Float64Array(n + 1);
    for (let i = 0; i < n; i++) p[i + 1] = p[i] + (c[i] === c[i] ? c[i] : 0);
    return p;
  });
  const cap = Math.max(1, Math.floor(o.baselineIntervals));
  const ring = new Int32Array(cap);
  let head = 0;
  let size = 0;
  const base = new Float64Array(m);
  const frozen = new Float64Array(m);
  let frozenSize = 0;
  let inRun = false;
  const accepted = new Uint8Array(n);
  const holds = new Uint8Array(n);
  const scored = new Uint8Array(n);
  const baseline = comps.map(() => new Float64Array(n).fill(NaN));
  const baselineIntervals = new Int32Array(n);
  const win = new Float64Array(m);
  let next = 0;
  for (let i = 0; i < n; i++) {
    // Intervals that end before this window starts become part of the baseline, if accepted.
    const lim = i - o.before - 1;
    for (; next <= lim; next++) {
      if (!accepted[next]) continue;
      if (size === cap) {
        const out = ring[head];
        for (let c = 0; c < m; c++) base[c] -= comps[c][out] === comps[c][out] ? comps[c][out] : 0;
        head = (head + 1) % cap;
        size--;
      }
      ring[(head + size) % cap] = next;
      size++;
      for (let c = 0; c < m; c++) base[c] += comps[c][next] === comps[c][next] ? comps[c][next] : 0;
    }
    const a = Math.max(0, i - o.before);
    const b = Math.min(n - 1, i + o.after);
    for (let c = 0; c < m; c++) win[c] = prefix[c][b + 1] - prefix[c][a];
    const useBase = inRun ? frozen : base;
    const useSize = inRun ? frozenSize : size;
    const d = decide(win, useBase, useSize, i);
    if (d !== 'unscored') {
      scored[i] = 1;
      for (let c = 0; c < m; c++) baseline[c][i] = useBase[c];
      baselineIntervals[i] = useSize;
    }
    if (d === 'holds') {
      holds[i] = 1;
      if (!inRun) {
        frozen.set(base);
        frozenSize = size;
        inRun = true;
      }
    } else if (d === 'calm') {
      inRun = false;
      accepted[i] = 1;
    } else if (!inRun) accepted[i] = 1;
  }
  return { holds, scored, baseline, baselineIntervals };
}

/** Intervals before and after a point in a centred window of `windowSeconds` (at least one interval). */
export function windowIntervals(view: AnalysisView, windowSeconds: number): { before: number; after: number } {
  const k = Math.max(1, Math.round(windowSeconds / view.step));
  const before = Math.floor(k / 2);
  return { before, after: k - before - 1 };
}

// ------------------------------------------------------------------------------------------------
// Episode edges: where the step happened

/**
 * Where a step from a baseline to an episode happened near each edge of a run: the change point that
 * maximises the log-likelihood of "baseline before, episode after" (the CUSUM estimate), searched within
 * `reach` intervals of the edge. `llr(j)` is interval j's log-likelihood ratio, episode over baseline;
 * an interval without requests adds 0, and ties keep the shorter episode. A centred window opens a strong
 * step up to half a window early; this puts the edge where the counts changed. The end moves only when
 * the run ends before the grid does.
 */
export function stepEdges(run: GridRun, n: number, reach: number, llr: (j: number) => number): GridRun {
  const s = run.startIndex;
  const e = run.endIndex;
  let start = s;
  let best = -Infinity;
  let acc = 0;
  for (let c = Math.min(e, s + reach); c >= Math.max(0, s - reach); c--) {
    acc += llr(c);
    if (acc > best) {
      best = acc;
      start = c;
    }
  }
  let end = e;
  if (e < n - 1) {
    best = -Infinity;
    acc = 0;
    for (let c = Math.max(start, e - reach); c <= Math.min(n - 1, e + reach); c++) {
      acc += llr(c);
      if (acc > best) {
        best = acc;
        end = c;
      }
    }
  }
  return { startIndex: start, endIndex: Math.max(start, end) };
}

/** The first point of a run where the scan's condition held (the run's start when none did). */
export function firstHolding(scan: Pick<ScanResult, 'holds'>, run: GridRun): number {
  for (let i = run.startIndex; i <= run.endIndex; i++) if (scan.holds[i]) return i;
  return run.startIndex;
}

/** Intervals a centred sliding window can open or close a step early or late: half a window, in whole intervals. */
export function edgeReach(view: AnalysisView): number {
  return Math.max(1, Math.ceil(episodeWindowSeconds(view) / 2 / view.step));
}

const clampP = (p: number) => Math.min(1 - 1e-4, Math.max(1e-4, p));

/** Edges of a share episode: a binomial step from the baseline share to the run's own share (see stepEdges). */
export function shareEdges(view: AnalysisView, part: Float64Array, total: Float64Array, scan: ShareScan): (run: GridRun) => GridRun {
  return (run) => {
    const p0 = scan.baselineShare[firstHolding(scan, run)];
    let k = 0;
    let m = 0;
    for (let j = run.startIndex; j <= run.endIndex; j++) {
      k += part[j] === part[j] ? part[j] : 0;
      m += total[j] === total[j] ? total[j] : 0;
    }
    if (!(p0 === p0) || !(m > 0)) return run;
    const a = Math.log(clampP(k / m) / clampP(p0));
    const b = Math.log((1 - clampP(k / m)) / (1 - clampP(p0)));
    return stepEdges(run, part.length, edgeReach(view), (j) => (part[j] === part[j] ? part[j] : 0) * a + Math.max(0, (total[j] === total[j] ? total[j] : 0) - (part[j] === part[j] ? part[j] : 0)) * b);
  };
}

/**
 * Per-interval log-likelihood ratio of a histogram's observations, the run's bucket proportions over the
 * baseline's (multinomial; proportions floored at 1e-4), for stepEdges. Null when either is empty.
 */
export function histogramLlr(buckets: Float64Array[], baseline: ArrayLike<number>, run: GridRun): ((j: number) => number) | null {
  const B = buckets.length;
  const inRun = new Float64Array(B);
  for (let b = 0; b < B; b++) for (let j = run.startIndex; j <= run.endIndex; j++) inRun[b] += buckets[b][j] === buckets[b][j] ? buckets[b][j] : 0;
  const p = proportions(baseline);
  const q = proportions(inRun);
  if (!p || !q) return null;
  const w = new Float64Array(B);
  for (let b = 0; b < B; b++) w[b] = Math.log(Math.max(q[b], 1e-4) / Math.max(p[b], 1e-4));
  return (j) => {
    let x = 0;
    for (let b = 0; b < B; b++) {
      const c = buckets[b][j];
      if (c > 0) x += c * w[b];
    }
    return x;
  };
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

// ------------------------------------------------------------------------------------------------
// Between two stretches of time

/** Per-bucket (not cumulative) counts of a histogram window. */
export function bucketCounts(h: HistogramWindow): number[] {
  return h.counts.map((c, j) => Math.max(0, c - (j > 0 ? h.counts[j - 1] : 0)));
}

/** The two histograms of a scope over two spans on one bucket layout (the union of both; a bound one lacks is read as its next one). */
function aligned(a: HistogramWindow, b: HistogramWindow): { a: number[]; b: number[]; les: number[] } {
  const les = [...new Set([...a.les, ...b.les])].sort((x, y) => x - y);
  const at = (h: HistogramWindow) => {
    const cum = les.map((le) => {
      const j = h.les.findIndex((x) => x >= le);
      return j < 0 ? h.counts[h.counts.length - 1] : h.counts[j];
    });
    return cum.map((c, j) => Math.max(0, c - (j > 0 ? cum[j - 1] : 0)));
  };
  return { a: at(a), b: at(b), les };
}

export interface LengthShift {
  psi: number | null;
  /** Requests in the earlier and the later span. */
  requestsBefore: number;
  requestsAfter: number;
  meanBefore: number | null;
  meanAfter: number | null;
}

/** The distance between a length histogram over two spans of one scope (null when either saw no request). */
export function lengthShiftBetween(view: AnalysisView, base: HistogramName, scope: Scope, before: TimeSpan, after: TimeSpan): LengthShift | null {
  const a = histogramBetween(view, base, scope, before.startSeconds, before.endSeconds);
  const b = histogramBetween(view, base, scope, after.startSeconds, after.endSeconds);
  if (!a || !b || !(a.count > 0) || !(b.count > 0)) return null;
  const x = aligned(a, b);
  const p = psi(x.a, x.b);
  return {
    psi: Number.isFinite(p) ? p : null,
    requestsBefore: a.count,
    requestsAfter: b.count,
    meanBefore: Number.isFinite(a.sum) ? a.sum / a.count : null,
    meanAfter: Number.isFinite(b.sum) ? b.sum / b.count : null,
  };
}

/** Share of finished requests with one of `reasons` between t0 and t1 (and the counts); null when none finished. */
export function shareBetween(view: AnalysisView, scope: Scope, reasons: readonly string[], t0: number, t1: number): { part: number; total: number; ratio: number } | null {
  const total = totalBetween(view, 'vllm:request_success_total', scope, t0, t1);
  if (total === null || !(total > 0)) return null;
  let part = 0;
  for (const r of reasons) part += totalBetween(view, 'vllm:request_success_total', scope, t0, t1, { finished_reason: r }) ?? 0;
  return { part, total, ratio: part / total };
}

/** Mean of a histogram over t0..t1, null when nothing was observed. */
export function meanBetween(view: AnalysisView, base: HistogramName, scope: Scope, t0: number, t1: number): number | null {
  const h = histogramBetween(view, base, scope, t0, t1);
  return h && h.count > 0 && Number.isFinite(h.sum) ? h.sum / h.count : null;
}

/** A quantile of a histogram over t0..t1 (null when nothing was observed). */
export function quantileValueBetween(view: AnalysisView, base: HistogramName, q: number, scope: Scope, t0: number, t1: number): number | null {
  return quantileOf(histogramBetween(view, base, scope, t0, t1), q)?.value ?? null;
}

/**
 * The recent stretch compared with the rest of the window: the last day when the window spans two days
 * or more (`lastDay`), else the second half; null when either half is shorter than one sliding window.
 * Only the last day decides a finding (a change too gradual for the sliding windows); on a shorter window
 * the halves differ whenever a burst falls in one of them, so they are shown, not judged.
 */
export function recentSplit(view: AnalysisView): { earlier: TimeSpan; recent: TimeSpan; lastDay: boolean } | null {
  const span = view.end - view.start;
  const lastDay = span >= 2 * 86_400;
  const recentLen = lastDay ? 86_400 : span / 2;
  if (!(recentLen >= episodeWindowSeconds(view))) return null;
  const cut = view.end - recentLen;
  return { earlier: { startSeconds: view.start, endSeconds: cut }, recent: { startSeconds: cut, endSeconds: view.end }, lastDay };
}
