// REPLICA_SLOWDOWN: one replica decodes much slower than its peers with the same configuration, at the
// same time and under comparable load (the detector compares window by window). Operational, not a
// vLLM setting: drain the node, check clocks and neighbours.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy } from './define-diagnosis.js';
import { episode } from './shared.js';

export default defineDiagnosis({
  code: 'REPLICA_SLOWDOWN',
  needs: ['replica-slowdown'],
  runs: 'replica',
  diagnose({ signal }) {
    const s = signal('replica-slowdown');
    const why = missing(s, 'replica-slowdown');
    if (why) return notEvaluated(why);
    if (!s!.episodes.length) return none;
    const episodes = s!.episodes.map((e) => episode(e, e.numbers, e.peakAtSeconds));
    const worst = worstBy(episodes, (n) => n.ratioToPeers)!;
    return found({ severity: 'warning', episodes, evidence: { ...worst.numbers, sameConfiguration: true }, proposals: [], incident: true });
  },
});
