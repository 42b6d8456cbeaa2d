// Episodes: the stretches of time in which a condition held, found on the evaluation grid. The one
// mechanism every episodic detector uses, so that a 20-minute incident reads the same in a 2-hour, a
// 24-hour and a 7-day window: conditions are evaluated on sliding windows of fixed length in seconds
// (windowed.ts), never on whole-window aggregates, and runs are bridged and filtered in seconds too.

import type { AnalysisView } from './view.js';

export interface GridRun {
  /** First and last grid index where the condition held (inclusive). */
  startIndex: number;
  endIndex: number;
}

export interface RunOptions {
  /** A run must last at least this long (end − start + step). */
  minSeconds: number;
  /** Gaps of at most this long inside a run are bridged. */
  bridgeSeconds: number;
}

/**
 * Runs of grid points where `cond` holds. NaN-valued points are "unknown": they neither start nor
 * break a run on their own (`cond` decides; callers return false for unknown).
 */
export function runsWhere(grid: Float64Array, cond: (i: number) => boolean, step: number, o: RunOptions): GridRun[] {
  const raw: GridRun[] = [];
  let start = -1;
  for (let i = 0; i <= grid.length; i++) {
    const hit = i < grid.length && cond(i);
    if (hit && start < 0) start = i;
    if (!hit && start >= 0) {
      raw.push({ startIndex: start, endIndex: i - 1 });
      start = -1;
    }
  }
  const merged: GridRun[] = [];
  for (const r of raw) {
    const prev = merged[merged.length - 1];
    if (prev && grid[r.startIndex] - grid[prev.endIndex] - step <= o.bridgeSeconds) prev.endIndex = r.endIndex;
    else merged.push({ ...r });
  }
  return merged.filter((r) => grid[r.endIndex] - grid[r.startIndex] + step >= o.minSeconds);
}

export interface TimeSpan {
  startSeconds: number;
  endSeconds: number;
}

/** A run as a time span: from its first grid point to its last plus one step (the point's interval). */
export function runSpan(view: AnalysisView, r: GridRun): TimeSpan {
  return { startSeconds: view.grid[r.startIndex], endSeconds: Math.min(view.end, view.grid[r.endIndex] + view.step) };
}

/** Overlap in seconds of two spans (0 when disjoint). */
export function overlapSeconds(a: TimeSpan, b: TimeSpan): number {
  return Math.max(0, Math.min(a.endSeconds, b.endSeconds) - Math.max(a.startSeconds, b.startSeconds));
}

/** Whether two spans overlap or lie within `slackSeconds` of each other. */
export function near(a: TimeSpan, b: TimeSpan, slackSeconds = 0): boolean {
  return a.startSeconds <= b.endSeconds + slackSeconds && b.startSeconds <= a.endSeconds + slackSeconds;
}

/** Index of the grid maximum inside a run (first one on ties; −1 when all NaN). */
export function argmaxIn(a: Float64Array, r: GridRun): number {
  let best = -1;
  for (let i = r.startIndex; i <= r.endIndex; i++) if (a[i] === a[i] && (best < 0 || a[i] > a[best])) best = i;
  return best;
}
