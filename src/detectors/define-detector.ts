// The detector contract: one symptom, named options with documented defaults, a pure synchronous
// `detect` over the AnalysisView for one scope (the fleet or a replica).

import type { AnalysisView, Scope } from '../derive/view.js';
import type { Evidence } from '../model/result.js';

export type DetectOutcome =
  | { status: 'ok'; evidence: Evidence }
  | { status: 'issue'; evidence: Evidence }
  | { status: 'insufficient-data'; reason: string; evidence?: Evidence };

export interface DetectorDef<O extends object> {
  /** Noun naming the failing state, e.g. `queue-buildup`. */
  id: string;
  /** Canonical metric names that must all be present (else insufficient-data). */
  requires: readonly string[];
  /** Whether it runs per replica as well as for the fleet. */
  perReplica: boolean;
  options: O;
  detect(view: AnalysisView, opts: O, scope: Scope): DetectOutcome;
}

export type AnyDetector = DetectorDef<object>;

export function defineDetector<O extends object>(def: DetectorDef<O>): DetectorDef<O> {
  return def;
}

export const ok = (evidence: Evidence): DetectOutcome => ({ status: 'ok', evidence });
export const issue = (evidence: Evidence): DetectOutcome => ({ status: 'issue', evidence });
export const insufficient = (reason: string, evidence?: Evidence): DetectOutcome => (evidence ? { status: 'insufficient-data', reason, evidence } : { status: 'insufficient-data', reason });

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

/** Longest run of consecutive points satisfying a predicate: [startIndex, endIndex] or null. */
export function longestRun(a: Float64Array, pred: (x: number) => boolean): [number, number] | null {
  let best: [number, number] | null = null;
  let start = -1;
  for (let i = 0; i <= a.length; i++) {
    const hit = i < a.length && pred(a[i]);
    if (hit && start < 0) start = i;
    if (!hit && start >= 0) {
      if (!best || i - 1 - start > best[1] - best[0]) best = [start, i - 1];
      start = -1;
    }
  }
  return best;
}
