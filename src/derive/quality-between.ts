// Quality numbers between two stretches of time (before / during, earlier / recent): shares,
// means, quantiles and the length distributions' shift (src/derive/quality.ts).

import type { HistogramName } from '../model/metric-catalog.js';
import { psi } from '../stats/proportion.js';
import type { TimeSpan } from './episodes.js';
import type { AnalysisView, HistogramWindow, Scope } from './view.js';
import { episodeWindowSeconds, histogramBetween, quantileOf, totalBetween } from './windowed.js';

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
