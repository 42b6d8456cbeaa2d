// Queue build-up: requests wait to be scheduled for a sustained part of the window.

import { defineDetector, insufficient, issue, longestRun, ok, shareWhere } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';

export default defineDetector({
  id: 'queue-buildup',
  requires: ['vllm:num_requests_waiting'],
  perReplica: true,
  options: {
    /**
     * A healthy engine schedules a new request on the next step (tens of ms), so a scrape rarely sees
     * one waiting. Waiting requests at a quarter of the scrapes means demand exceeds what is scheduled.
     * Judgement call.
     */
    minWaitingShare: 0.25,
    /** Or a single stretch of at least this long with requests waiting. */
    minEpisodeSeconds: 600,
  },
  detect(view, o, scope) {
    const w = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    if (!w) return insufficient('no waiting-requests samples in this scope');
    const s = nanSummary(w);
    if (s.n < 3) return insufficient(`only ${s.n} points on the grid`);
    const share = shareWhere(w, (x) => x >= 1);
    const run = longestRun(w, (x) => x >= 1);
    const runSeconds = run ? view.grid[run[1]] - view.grid[run[0]] + view.step : 0;
    let peakIdx = -1;
    for (let i = 0; i < w.length; i++) if (w[i] === s.max) { peakIdx = i; break; }
    const evidence = {
      waitingMean: s.mean,
      waitingP95: s.p95,
      waitingMax: s.max,
      waitingPeakAtSeconds: peakIdx >= 0 ? view.grid[peakIdx] : null,
      timeWithQueueRatio: share,
      longestQueueStartSeconds: run ? view.grid[run[0]] : null,
      longestQueueEndSeconds: run ? view.grid[run[1]] : null,
      longestQueueSeconds: runSeconds,
    };
    return share >= o.minWaitingShare || runSeconds >= o.minEpisodeSeconds ? issue(evidence) : ok(evidence);
  },
});
