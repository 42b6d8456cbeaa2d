// QUEUE_BUILDUP: requests wait to be scheduled for a sustained stretch.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';

export default defineDiagnosis({
  code: 'QUEUE_BUILDUP',
  needs: ['queue-buildup'],
  perReplica: true,
  diagnose({ signal }) {
    const q = signal('queue-buildup');
    const why = missing(q, 'queue-buildup');
    if (why) return notEvaluated(why);
    if (q!.status !== 'issue') return none;
    const kv = signal('kv-pressure');
    const plateau = signal('batch-plateau');
    const cause = kv?.status === 'issue' ? 'the KV cache was near full' : plateau?.status === 'issue' ? 'the batch was at its max_num_seqs cap' : 'demand exceeded what the replica processes';
    const start = ev(q, 'longestQueueStartSeconds');
    const end = ev(q, 'longestQueueEndSeconds');
    return {
      kind: 'finding',
      severity: (ev(q, 'timeWithQueueRatio') ?? 0) >= 0.5 ? 'critical' : 'warning',
      summary: `requests were waiting in ${Math.round((ev(q, 'timeWithQueueRatio') ?? 0) * 100)}% of scrapes (peak ${Math.round(ev(q, 'waitingMax') ?? 0)}, longest stretch ${Math.round((ev(q, 'longestQueueSeconds') ?? 0) / 60)} min); ${cause}.`,
      evidence: q!.evidence,
      ...(start !== null && end !== null ? { window: { startSeconds: start, endSeconds: end } } : {}),
      recommendations: [],
    };
  },
});
