// REPLICA_SLOWDOWN: one replica decodes much slower than its peers. No vLLM setting fixes a sick node.

import { defineDiagnosis, ev, none, notEvaluated } from './define-diagnosis.js';

export default defineDiagnosis({
  code: 'REPLICA_SLOWDOWN',
  needs: ['replica-slowdown'],
  perReplica: true,
  diagnose({ signal, view }) {
    const s = signal('replica-slowdown');
    if (!s || s.status === 'error') return notEvaluated(s?.reason ?? 'not evaluated');
    if (s.status === 'insufficient-data') return view.replicas.length < 2 ? notEvaluated(s.reason ?? '') : none;
    if (s.status !== 'issue') return none;
    const onset = ev(s, 'onsetSeconds');
    const clock = ev(s, 'smClockMedianMHz');
    return {
      kind: 'finding',
      severity: 'warning',
      summary: `median time between tokens is ${((ev(s, 'ratioToPeers') ?? 0)).toFixed(1)}× its peers' (${((ev(s, 'itlMedianSeconds') ?? 0) * 1000).toFixed(1)} ms vs ${((ev(s, 'peersItlMedianSeconds') ?? 0) * 1000).toFixed(1)} ms) on the same model and traffic${clock !== null ? `; its SM clock median is ${Math.round(clock)} MHz` : ''}. A per-node fault (clock throttling, power capping, a noisy neighbour): drain the node and check cooling and power; no vLLM setting fixes it.`,
      evidence: s.evidence,
      ...(onset !== null ? { window: { startSeconds: onset, endSeconds: view.end } } : {}),
      recommendations: [],
    };
  },
});
