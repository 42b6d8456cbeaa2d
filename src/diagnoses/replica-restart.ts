// REPLICA_RESTART: a replica's process restarted inside the window. Informational: it explains gaps and
// steps in the charts, starts a new configuration segment, and rates across it count from zero again.

import { defineDiagnosis, found, none, notEvaluated } from './define-diagnosis.js';
import { episode } from './shared.js';

export default defineDiagnosis({
  code: 'REPLICA_RESTART',
  needs: ['restarts'],
  runs: 'replica',
  diagnose({ signal }) {
    const s = signal('restarts');
    if (!s || s.status === 'insufficient-data' || s.status === 'error') return notEvaluated(s?.reason ?? 'no counters');
    if (!s.episodes.length) return none;
    return found({ severity: 'info', episodes: s.episodes.map((e) => episode(e, e.numbers, e.peakAtSeconds)), evidence: s.evidence, proposals: [] });
  },
});
