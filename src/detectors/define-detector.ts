// The detector contract: one symptom, named options with documented defaults, a pure synchronous
// `detect` over the AnalysisView for one scope (a replica, or the fleet when the inputs name none).
// A detector answers per time: the episodes in which its symptom held, found on sliding windows of a
// fixed length in seconds (derive/windowed.ts, derive/episodes.ts), so a 20-minute incident reads the
// same in a 2-hour and a 7-day window. Whole-window numbers go in `evidence`, typed per detector in
// evidence.ts.

import type { AnalysisView, Scope } from '../derive/view.js';
import type { DetectorId } from '../model/vocabulary.js';
import type { SeriesName } from '../model/metric-catalog.js';
import type { DetectorEvidence, EpisodeNumbers } from './evidence.js';
import { argmaxIn, runSpan, runsWhere, type GridRun } from '../derive/episodes.js';
import { episodeWindowSeconds } from '../derive/windowed.js';

export interface TypedEpisode<N> {
  startSeconds: number;
  endSeconds: number;
  durationSeconds: number;
  peakAtSeconds: number | null;
  numbers: N;
}

export type DetectOutcome<I extends DetectorId> =
  | { status: 'ok' | 'issue'; evidence: DetectorEvidence[I]; episodes: TypedEpisode<EpisodeNumbers[I]>[] }
  | { status: 'insufficient-data'; reason: string };

export interface DetectorDef<I extends DetectorId, O extends object> {
  /** Noun naming the failing state, e.g. `queue-buildup`. */
  id: I;
  /** Canonical series names that must all be present (else insufficient-data). */
  requires: readonly SeriesName[];
  /** Whether it runs per replica (else once, for the fleet). */
  perReplica: boolean;
  options: O;
  detect(view: AnalysisView, opts: O, scope: Scope): DetectOutcome<I>;
}

/** A detector with its option type erased, for the registry. */
export interface AnyDetector {
  id: DetectorId;
  requires: readonly string[];
  perReplica: boolean;
  options: object;
  detect(view: AnalysisView, opts: object, scope: Scope): DetectOutcome<DetectorId>;
}

export function defineDetector<I extends DetectorId, O extends object>(def: DetectorDef<I, O>): DetectorDef<I, O> {
  return def;
}

export const insufficient = (reason: string): { status: 'insufficient-data'; reason: string } => ({ status: 'insufficient-data', reason });

/** `issue` when any episode was found, else `ok`. */
export function verdict<I extends DetectorId>(evidence: DetectorEvidence[I], episodes: TypedEpisode<EpisodeNumbers[I]>[]): DetectOutcome<I> {
  return { status: episodes.length ? 'issue' : 'ok', evidence, episodes };
}

export interface EpisodeSearch<N> {
  /** Whether the symptom holds at grid point i on the sliding window (false for unknown). */
  holds(i: number): boolean;
  /**
   * Whether it holds at grid point i on the unsmoothed series. When given, each run's edges move to
   * where the raw condition starts and stops holding within half a window of them: a centred window
   * opens a strong incident up to half a window early and a marginal one late; the raw edges do not.
   */
  raw?(i: number): boolean;
  /** The series whose maximum marks the episode's peak (optional). */
  peakOf?: Float64Array | null;
  /** The numbers of one episode, from its time span. */
  numbers(startSeconds: number, endSeconds: number, run: GridRun): N;
  /** Shortest episode kept (default: one sliding window). */
  minSeconds?: number;
  /** Calm bridged inside one episode (default: one sliding window). */
  bridgeSeconds?: number;
  /**
   * Moves each run's edges after bridging and the minimum duration, before its numbers are taken — for a
   * condition whose per-interval form is too noisy for `raw` (a share of a few requests per interval):
   * derive/quality.ts estimates where the step between baseline and episode happened.
   */
  edges?(run: GridRun): GridRun;
}

/**
 * Episodes where `holds` is true on the grid, bridged and filtered in seconds, with their numbers. With a
 * `raw` condition, each run of `holds` has its edges refined on it first, and the bridging and the
 * minimum duration then read those edges: the calm between two episodes and an episode's length are the
 * unsmoothed series', not the sliding window's (which is wider than a strong incident and narrower than
 * a marginal one).
 */
export function findEpisodes<N>(view: AnalysisView, s: EpisodeSearch<N>): TypedEpisode<N>[] {
  const w = episodeWindowSeconds(view);
  const minSeconds = s.minSeconds ?? w;
  const bridgeSeconds = s.bridgeSeconds ?? w;
  const runs = s.raw
    ? refineEdges(view, runsWhere(view.grid, s.holds, view.step, { minSeconds: 0, bridgeSeconds: 0 }), s.raw, w, bridgeSeconds).filter(
        (r) => view.grid[r.endIndex] - view.grid[r.startIndex] + view.step >= minSeconds,
      )
    : runsWhere(view.grid, s.holds, view.step, { minSeconds, bridgeSeconds });
  return runs.map((r0) => {
    const r = s.edges ? s.edges(r0) : r0;
    const span = runSpan(view, r);
    const peak = s.peakOf ? argmaxIn(s.peakOf, r) : -1;
    return {
      startSeconds: span.startSeconds,
      endSeconds: span.endSeconds,
      durationSeconds: span.endSeconds - span.startSeconds,
      peakAtSeconds: peak >= 0 ? view.grid[peak] : null,
      numbers: s.numbers(span.startSeconds, span.endSeconds, r),
    };
  });
}

/**
 * Move each run's edges to the raw condition's edges within half a window: an edge where raw holds
 * extends while it holds; one where it does not moves inward to the first point where it does (and stays
 * put when raw holds nowhere within half a window of it). Then runs that overlap, touch, or lie at most
 * `bridgeSeconds` of calm apart on the refined edges are merged.
 */
export function refineEdges(view: AnalysisView, runs: GridRun[], raw: (i: number) => boolean, windowSeconds: number, bridgeSeconds = 0): GridRun[] {
  // Whole steps covering half a window: a centred window of 300 s on a 70 s grid reaches into the
  // interval 3 steps away (150 / 70 = 2.14), and its edge can lie that far from the raw one.
  const half = Math.max(1, Math.ceil(windowSeconds / 2 / view.step));
  const n = view.grid.length;
  const refined: GridRun[] = [];
  for (const r of runs) {
    let a = r.startIndex;
    let b = r.endIndex;
    if (raw(a)) {
      while (a - 1 >= Math.max(0, r.startIndex - half) && raw(a - 1)) a--;
    } else {
      let i = a;
      while (i < Math.min(b, r.startIndex + half) && !raw(i)) i++;
      if (raw(i)) a = i;
    }
    if (raw(b)) {
      while (b + 1 <= Math.min(n - 1, r.endIndex + half) && raw(b + 1)) b++;
    } else {
      let i = b;
      while (i > Math.max(a, r.endIndex - half) && !raw(i)) i--;
      if (raw(i)) b = i;
    }
    refined.push({ startIndex: a, endIndex: b });
  }
  // A refined start never precedes its predecessor's (both would extend over the same raw stretch, the
  // earlier one further), so one pass merges; an overlap or a touch is a gap of at most 0 s.
  const out: GridRun[] = [];
  for (const r of refined) {
    const prev = out[out.length - 1];
    if (prev && view.grid[r.startIndex] - view.grid[prev.endIndex] - view.step <= bridgeSeconds) prev.endIndex = Math.max(prev.endIndex, r.endIndex);
    else out.push(r);
  }
  return out;
}

/** Share of non-NaN points satisfying a predicate (0 when none). */
export function shareWhere(a: Float64Array, pred: (x: number) => boolean): number {
  let n = 0;
  let k = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x !== x) continue;
    n++;
    if (pred(x)) k++;
  }
  return n ? k / n : 0;
}
