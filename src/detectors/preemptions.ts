// Preemptions: running requests evicted (and later recomputed) because KV blocks ran out.

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';

export default defineDetector({
  id: 'preemptions',
  requires: ['vllm:num_preemptions_total'],
  perReplica: true,
  options: {
    /** Preemptions per finished request above which recompute cost is material (1%). Judgement call. */
    maxPerRequest: 0.01,
    /** Without a request counter: preemptions per hour that count as an issue. */
    maxPerHour: 60,
  },
  detect(view, o, scope) {
    const total = view.total('vllm:num_preemptions_total', scope);
    if (total === null) return insufficient('no preemption counter in this scope');
    const requests = view.total('vllm:request_success_total', scope);
    const hours = Math.max((view.end - view.start) / 3600, 1e-9);
    const r = view.rate('vllm:num_preemptions_total', scope);
    const rs = r ? nanSummary(r) : null;
    let firstIdx = -1;
    if (r) for (let i = 0; i < r.length; i++) if (r[i] > 0) { firstIdx = i; break; }
    const perRequest = requests && requests > 0 ? total / requests : null;
    const evidence = {
      preemptionsTotal: total,
      preemptionsPerHour: total / hours,
      preemptionsPerRequest: perRequest,
      peakPreemptionsPerSecond: rs?.max ?? null,
      firstPreemptionSeconds: firstIdx >= 0 ? view.grid[firstIdx] : null,
    };
    const bad = perRequest !== null ? perRequest >= o.maxPerRequest : total / hours >= o.maxPerHour;
    return bad ? issue(evidence) : ok(evidence);
  },
});
