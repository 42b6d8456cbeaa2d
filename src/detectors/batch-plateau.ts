// Batch plateau: the running batch sits at its cap while requests wait — the scheduler limit, not the
// KV cache or the GPU, holds throughput back. The cap is the replica's max_num_seqs at that time (read,
// else inferred, else the observed maximum).

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { episodeWindowSeconds, rollingMean, statsBetween } from '../derive/windowed.js';

export default defineDetector({
  id: 'batch-plateau',
  requires: ['vllm:num_requests_running', 'vllm:num_requests_waiting'],
  perReplica: true,
  options: {
    /** "At the cap": running ≥ this fraction of the cap. */
    atCapRatio: 0.95,
    /**
     * Share of a sliding window at the cap with requests waiting. A queue behind a full batch (with KV
     * room) means the cap sets the pace whenever it is reached; a quarter of the window is enough for
     * that to be what the window shows, not a passing moment. Judgement call.
     */
    minShareInWindow: 0.25,
  },
  detect(view, o, scope) {
    const running = view.gauge('vllm:num_requests_running', scope, 'sum');
    const waiting = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    if (!running || !waiting) return insufficient('running or waiting gauge missing');
    const rs = nanSummary(running);
    if (rs.n < 3 || rs.max === null) return insufficient('too few points');
    // The cap in force at each grid point (a redeploy can change it).
    const cap = new Float64Array(view.grid.length);
    let source: 'read' | 'inferred' | 'observed-max' = 'observed-max';
    for (let i = 0; i < cap.length; i++) {
      const v = view.settingAt(scope, 'max_num_seqs', view.grid[i]);
      if (v && typeof v.value === 'number' && !(v.source === 'inferred' && v.bound)) {
        cap[i] = v.value;
        source = v.source === 'inferred' ? (source === 'read' ? 'read' : 'inferred') : 'read';
      } else cap[i] = rs.max;
    }
    const at = new Float64Array(view.grid.length);
    let n = 0;
    let k = 0;
    for (let i = 0; i < at.length; i++) {
      if (Number.isNaN(running[i]) || Number.isNaN(waiting[i])) {
        at[i] = NaN;
        continue;
      }
      n++;
      at[i] = running[i] >= o.atCapRatio * cap[i] && waiting[i] >= 1 ? 1 : 0;
      k += at[i];
    }
    const share = rollingMean(at, Math.max(1, Math.round(episodeWindowSeconds(view) / view.step)));
    const kv = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
    const episodes = findEpisodes(view, {
      holds: (i) => share[i] >= o.minShareInWindow,
      raw: (i) => at[i] === 1,
      numbers: (t0, t1, run) => ({
        runningMean: statsBetween(view, running, t0, t1).mean,
        capRequests: cap[run.startIndex],
        kvMeanRatio: statsBetween(view, kv, t0, t1).mean,
      }),
    });
    return verdict<'batch-plateau'>({ runningMean: rs.mean, runningMax: rs.max, capRequests: cap[cap.length - 1], capSource: source, atCapWithQueueRatio: n ? k / n : 0 }, episodes);
  },
});
