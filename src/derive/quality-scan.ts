// Sliding windows against a frozen trailing baseline, and where an episode's step happened: the
// scanning machinery of the quality signals (src/derive/quality.ts).

import { proportions } from '../stats/proportion.js';
import type { GridRun } from './episodes.js';
import type { AnalysisView } from './view.js';
import { episodeWindowSeconds } from './windowed.js';
import type { ShareScan } from './quality.js';

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

