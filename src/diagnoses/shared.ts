// Helpers shared by the diagnoses: combining the episodes of two symptoms into the spans where both
// held, and building a finding episode with its numbers from a span.

import type { TypedEpisode } from '../detectors/define-detector.js';
import type { AnalysisView } from '../derive/view.js';
import { episodeWindowSeconds } from '../derive/windowed.js';
import { near, type TimeSpan } from '../derive/episodes.js';

/**
 * Spans where an episode of `a` and an episode of `b` overlap (or lie within `slack` seconds of each
 * other): each span runs from the earlier start to the later end of the pair; overlapping spans merge.
 */
export function coincide(view: AnalysisView, a: readonly TimeSpan[], b: readonly TimeSpan[], slack = episodeWindowSeconds(view)): TimeSpan[] {
  const spans: TimeSpan[] = [];
  for (const x of a) for (const y of b) if (near(x, y, slack)) spans.push({ startSeconds: Math.min(x.startSeconds, y.startSeconds), endSeconds: Math.max(x.endSeconds, y.endSeconds) });
  return mergeSpans(spans);
}

/** Merge overlapping or touching spans, sorted by start. */
export function mergeSpans(spans: readonly TimeSpan[]): TimeSpan[] {
  const sorted = [...spans].sort((p, q) => p.startSeconds - q.startSeconds);
  const out: TimeSpan[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.startSeconds <= last.endSeconds) last.endSeconds = Math.max(last.endSeconds, s.endSeconds);
    else out.push({ ...s });
  }
  return out;
}

/** Whether a span overlaps any episode of a list (within `slack`). */
export function overlapsAny(span: TimeSpan, list: readonly TimeSpan[], slack = 0): boolean {
  return list.some((e) => near(span, e, slack));
}

/** A finding episode over a span, with its numbers and (optionally) a peak time. */
export function episode<N>(span: TimeSpan, numbers: N, peakAtSeconds: number | null = null): TypedEpisode<N> {
  return { startSeconds: span.startSeconds, endSeconds: span.endSeconds, durationSeconds: span.endSeconds - span.startSeconds, peakAtSeconds, numbers };
}

/** The whole analysed window as a span. */
export function wholeWindow(view: AnalysisView): TimeSpan {
  return { startSeconds: view.start, endSeconds: view.end };
}
