// KV cache near full: the block pool is (almost) exhausted, averaged over a sliding window.

import { defineDetector, findEpisodes, insufficient, shareWhere, verdict } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { centredGauge, episodeWindowSeconds, statsBetween } from '../derive/windowed.js';

export default defineDetector({
  id: 'kv-pressure',
  requires: ['vllm:kv_cache_usage_perc'],
  perReplica: true,
  options: {
    /** vLLM preempts when a step cannot get a block; above ~90% a burst of decodes tips it over. Judgement call. */
    highRatio: 0.9,
  },
  detect(view, o, scope) {
    const kv = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
    if (!kv) return insufficient('no KV-cache usage samples in this scope');
    const s = nanSummary(kv);
    if (s.n < 3) return insufficient(`only ${s.n} KV-usage points on the grid`);
    const smooth = centredGauge(view, 'vllm:kv_cache_usage_perc', scope, 'avg', episodeWindowSeconds(view))!;
    const episodes = findEpisodes(view, {
      holds: (i) => smooth[i] >= o.highRatio,
      raw: (i) => kv[i] >= o.highRatio,
      peakOf: kv,
      numbers: (t0, t1) => {
        const st = statsBetween(view, kv, t0, t1);
        return { kvMeanRatio: st.mean, kvMaxRatio: st.max };
      },
    });
    return verdict<'kv-pressure'>(
      { kvMeanRatio: s.mean, kvP95Ratio: s.p95, kvMaxRatio: s.max, highThresholdRatio: o.highRatio, timeAboveThresholdRatio: shareWhere(kv, (x) => x >= o.highRatio) },
      episodes,
    );
  },
});
