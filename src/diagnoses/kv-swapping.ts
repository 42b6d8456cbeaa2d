// KV_SWAPPING: a v0 engine moved KV blocks of running requests to CPU memory (slow, blocks steps).

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';
import { kvFit } from '../recommend/capacity.js';
import type { Recommendation } from '../model/result.js';

export default defineDiagnosis({
  code: 'KV_SWAPPING',
  needs: ['kv-swapping'],
  perReplica: true,
  diagnose({ view, scope, signal }) {
    const s = signal('kv-swapping');
    const why = missing(s, 'kv-swapping');
    if (why) return notEvaluated(why);
    if (s!.status !== 'issue') return none;
    const recs: Recommendation[] = [];
    const fit = kvFit(view, scope);
    const current = view.num('max_num_seqs');
    if (fit) {
      const { cap, fp, maxSeqs: to } = fit;
      if (current === undefined || to < current) recs.push({ setting: 'max_num_seqs', from: current ?? null, to, because: `swapping means running requests outgrew the GPU KV pool (${Math.round(cap.tokens)} tokens); ${to} requests of ${Math.round(fp.tokensPerSequence)} tokens fit it with 10% headroom`, expectedEffect: 'no swapping', risk: 'fewer concurrent requests', confidence: 'medium' });
    }
    return {
      kind: 'finding',
      severity: 'warning',
      summary: `up to ${Math.round(ev(s, 'swappedMax') ?? 0)} requests were swapped to CPU memory (${((ev(s, 'timeSwappingRatio') ?? 0) * 100).toFixed(0)}% of the window). Swapping stalls the engine while blocks move over PCIe; v1 engines recompute instead and upgrading removes swapping altogether.`,
      evidence: s!.evidence,
      recommendations: recs,
    };
  },
});
