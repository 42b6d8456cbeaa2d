// KV swapping (v0 engines): requests whose KV blocks were moved to CPU memory.

import { defineDetector, findEpisodes, insufficient, shareWhere, verdict } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { statsBetween } from '../derive/windowed.js';

export default defineDetector({
  id: 'kv-swapping',
  requires: ['vllm:num_requests_swapped'],
  perReplica: true,
  options: {},
  detect(view, _o, scope) {
    const sw = view.gauge('vllm:num_requests_swapped', scope, 'sum');
    if (!sw) return insufficient('no swapped-requests samples (a v1 engine does not swap)');
    const s = nanSummary(sw);
    const cpu = view.gauge('vllm:cpu_cache_usage_perc', scope, 'avg');
    const episodes = findEpisodes(view, {
      holds: (i) => sw[i] > 0,
      minSeconds: view.step,
      peakOf: sw,
      numbers: (t0, t1) => ({ swappedMax: statsBetween(view, sw, t0, t1).max }),
    });
    return verdict<'kv-swapping'>({ swappedMax: s.max, swappedMean: s.mean, timeSwappingRatio: shareWhere(sw, (x) => x > 0), cpuCacheUsageMaxRatio: cpu ? nanSummary(cpu).max : null }, episodes);
  },
});
