// REPLICA_RESTART: a replica's counters reset inside the window. Informational: it explains gaps and
// steps in the charts, and the rates across it are computed reset-aware.

import { defineDiagnosis, ev, none, notEvaluated } from './define-diagnosis.js';

export default defineDiagnosis({
  code: 'REPLICA_RESTART',
  needs: ['restarts'],
  perReplica: true,
  diagnose({ signal }) {
    const s = signal('restarts');
    if (!s || s.status === 'insufficient-data' || s.status === 'error') return notEvaluated(s?.reason ?? 'no counters');
    if (s.status !== 'issue') return none;
    const at = ev(s, 'firstRestartSeconds');
    return {
      kind: 'finding',
      severity: 'info',
      summary: `counters reset ${ev(s, 'counterResets')} time(s)${at !== null ? `, first at ${new Date(at * 1000).toISOString().replace('.000Z', 'Z')}` : ''}: the replica restarted. Rates and totals across the restart count from zero again (as PromQL rate() does); look for the cause (OOM kill, deploy, node drain) in the orchestrator's events.`,
      evidence: s.evidence,
      ...(at !== null ? { window: { startSeconds: at, endSeconds: at } } : {}),
      recommendations: [],
    };
  },
});
