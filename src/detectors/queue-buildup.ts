// Queue build-up: requests wait to be scheduled, on average over a sliding window.

import { defineDetector, findEpisodes, insufficient, shareWhere, verdict } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { centredGauge, episodeWindowSeconds, statsBetween } from '../derive/windowed.js';

export default defineDetector({
  id: 'queue-buildup',
  requires: ['vllm:num_requests_waiting'],
  perReplica: true,
  options: {
    /**
     * A healthy engine schedules a new request on the next step (tens of ms), so scrapes rarely see one
     * waiting; a mean of one or more waiting over five minutes means demand exceeds what is scheduled.
     * Judgement call.
     */
    minMeanWaiting: 1,
  },
  detect(view, o, scope) {
    const w = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    if (!w) return insufficient('no waiting-requests samples in this scope');
    const s = nanSummary(w);
    if (s.n < 3) return insufficient(`only ${s.n} points on the grid`);
    const smooth = centredGauge(view, 'vllm:num_requests_waiting', scope, 'sum', episodeWindowSeconds(view))!;
    const episodes = findEpisodes(view, {
      holds: (i) => smooth[i] >= o.minMeanWaiting,
      raw: (i) => w[i] >= o.minMeanWaiting,
      peakOf: w,
      numbers: (t0, t1) => {
        const st = statsBetween(view, w, t0, t1);
        return { waitingMean: st.mean, waitingMax: st.max };
      },
    });
    return verdict<'queue-buildup'>({ waitingMean: s.mean, waitingP95: s.p95, waitingMax: s.max, timeWithQueueRatio: shareWhere(w, (x) => x >= 1) }, episodes);
  },
});
