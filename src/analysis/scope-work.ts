// The analysis work that belongs to one replica, run by whichever thread takes the replica
// (threads.ts): every per-replica detector, and the replica's anomaly episodes (all watched series, and
// the user-facing ones UNEXPLAINED_ANOMALY reads). Everything it computes lands in the view's memo.

import type { Signal } from '../model/result.js';
import type { AnalysisView } from '../derive/view.js';
import { anomalyEpisodesIn, USER_FACING_ANOMALY_METRICS } from '../derive/anomalies.js';
import { replicaSignals } from '../detectors/run.js';

/** The per-replica signals of `scopes` (registry order); anomaly episodes are left in the view's memo. */
export function scopeWork(view: AnalysisView, scopes: readonly string[], onEach?: () => void): Signal[] {
  const signals = replicaSignals(view, scopes, onEach);
  for (const scope of scopes) {
    anomalyEpisodesIn(view, scope);
    anomalyEpisodesIn(view, scope, USER_FACING_ANOMALY_METRICS);
    onEach?.();
  }
  return signals;
}
