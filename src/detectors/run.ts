// Running the detectors: each detector once per scope (each replica for per-replica detectors, else the
// fleet), a detector that throws becoming an `error` signal. Split out of engine.ts so that analysis
// worker threads (src/analysis/threads.ts) run exactly the same code for the replicas they take.

import type { Signal } from '../model/result.js';
import { FLEET, type AnalysisView } from '../derive/view.js';
import type { AnyDetector } from './define-detector.js';
import { DETECTORS } from './index.js';

/** The scopes replica-level checks run in: each replica, or the fleet when the inputs name none. */
export function replicaScopes(view: AnalysisView): string[] {
  return view.replicas.length ? view.replicas : [FLEET];
}

/** Where a signal is filed: detector id and scope. */
export function signalKey(id: string, scope: string): string {
  return `${id}@${scope}`;
}

/** One detector's signal in one scope. */
export function detectorSignal(view: AnalysisView, d: AnyDetector, scope: string): Signal {
  const absent = d.requires.filter((m) => !view.has(m));
  if (absent.length) return { id: d.id, status: 'insufficient-data', reason: `${absent.join(', ')} not in the inputs`, evidence: {}, scope, episodes: [] };
  try {
    const o = d.detect(view, d.options, scope);
    if (o.status === 'insufficient-data') return { id: d.id, status: o.status, reason: o.reason, evidence: {}, scope, episodes: [] };
    return { id: d.id, status: o.status, evidence: o.evidence as Signal['evidence'], scope, episodes: o.episodes as Signal['episodes'] };
  } catch (e) {
    return { id: d.id, status: 'error', reason: `detector failed: ${(e as Error).message}`, evidence: {}, scope, episodes: [] };
  }
}

/** The per-replica detectors' signals in the given replicas, in registry order. */
export function replicaSignals(view: AnalysisView, scopes: readonly string[], onEach?: () => void): Signal[] {
  const out: Signal[] = [];
  for (const d of DETECTORS) {
    if (!d.perReplica) continue;
    for (const scope of scopes) {
      out.push(detectorSignal(view, d, scope));
      onEach?.();
    }
  }
  return out;
}

/**
 * Every detector in every scope it runs in, in registry order then scope order (the Result's order).
 * `done` holds signals already computed (by analysis threads), filed by signalKey.
 */
export function runDetectors(view: AnalysisView, done?: ReadonlyMap<string, Signal>): Signal[] {
  const signals: Signal[] = [];
  for (const d of DETECTORS) {
    for (const scope of d.perReplica ? replicaScopes(view) : [FLEET]) signals.push(done?.get(signalKey(d.id, scope)) ?? detectorSignal(view, d, scope));
  }
  return signals;
}
