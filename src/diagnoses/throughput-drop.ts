// THROUGHPUT_DROP: output tokens/s fell well below their recent level while requests were waiting.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';

export default defineDiagnosis({
  code: 'THROUGHPUT_DROP',
  needs: ['throughput-drop'],
  perReplica: true,
  // Prefill-heavy steps and recomputed preemptions are where the output tokens went.
  explainedBy: ['PREFILL_STARVATION', 'KV_CACHE_THRASHING'],
  diagnose({ signal }) {
    const s = signal('throughput-drop');
    const why = missing(s, 'throughput-drop');
    if (why) return notEvaluated(why);
    if (s!.status !== 'issue') return none;
    return {
      kind: 'finding',
      severity: 'warning',
      summary: `output throughput fell ${Math.round((ev(s, 'dropRatio') ?? 0) * 100)}% (from ${Math.round(ev(s, 'baselineTokensPerSecond') ?? 0)} to ${Math.round(ev(s, 'duringTokensPerSecond') ?? 0)} tokens/s) while ${(ev(s, 'waitingMeanDuringDrop') ?? 0).toFixed(1)} requests waited on average: the engine slowed, not the demand. Check GPU clocks and temperature (throttling), preemptions and co-located work in that window.`,
      evidence: s!.evidence,
      window: { startSeconds: ev(s, 'fromSeconds')!, endSeconds: ev(s, 'toSeconds')! },
      recommendations: [],
    };
  },
});
