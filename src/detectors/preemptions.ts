// Preemptions: running requests evicted (and later recomputed) because KV blocks ran out, at a
// sustained rate over a sliding window.

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { centredRate, episodeWindowSeconds, totalBetween } from '../derive/windowed.js';
import { nanMax } from '../stats/summary.js';

export default defineDetector({
  id: 'preemptions',
  requires: ['vllm:num_preemptions_total'],
  perReplica: true,
  options: {
    /** Preemptions per minute over the window that count: one a minute for five minutes. Judgement call. */
    minPerMinute: 1,
    /** And per finished request in the window (1%): recompute cost is material. Judgement call. */
    minPerRequest: 0.01,
  },
  detect(view, o, scope) {
    const total = view.total('vllm:num_preemptions_total', scope);
    if (total === null) return insufficient('no preemption counter in this scope');
    const w = episodeWindowSeconds(view);
    const r = centredRate(view, 'vllm:num_preemptions_total', scope, w)!;
    const req = centredRate(view, 'vllm:request_success_total', scope, w);
    // Unsmoothed: the preemptions of grid point i's own interval [t_i, t_i + step], the one its episode
    // span covers (a trailing rate window would hold until a window after the last preemption).
    const step = view.step;
    const episodes = findEpisodes(view, {
      holds: (i) => r[i] * 60 >= o.minPerMinute && (!req || !(req[i] > 0) || r[i] / req[i] >= o.minPerRequest),
      raw: (i) => ((totalBetween(view, 'vllm:num_preemptions_total', scope, view.grid[i], view.grid[i] + step) ?? 0) * 60) / step >= o.minPerMinute,
      peakOf: r,
      numbers: (t0, t1, run) => {
        const p = totalBetween(view, 'vllm:num_preemptions_total', scope, t0, t1);
        const f = totalBetween(view, 'vllm:request_success_total', scope, t0, t1);
        const peak = nanMax(r.subarray(run.startIndex, run.endIndex + 1));
        return { preemptions: p, requestsFinished: f, preemptionsPerRequest: p !== null && f ? p / f : null, peakPreemptionsPerMinute: Number.isFinite(peak) ? peak * 60 : null };
      },
    });
    const requests = view.total('vllm:request_success_total', scope);
    const hours = Math.max((view.end - view.start) / 3600, 1e-9);
    return verdict<'preemptions'>({ preemptionsTotal: total, requestsFinished: requests, preemptionsPerRequest: requests ? total / requests : null, preemptionsPerHour: total / hours }, episodes);
  },
});
