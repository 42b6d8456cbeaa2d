// Prefix-cache hit rate: tokens found in the cache over tokens looked up, over the window and on
// sliding windows (a drop can be an episode: a new prompt template, a tokenizer change).

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { prefixHitRatio } from '../derive/summaries.js';
import { centredRate, episodeWindowSeconds, totalBetween } from '../derive/windowed.js';

export default defineDetector({
  id: 'prefix-cache-hit-rate',
  requires: ['vllm:prefix_cache_queries_total', 'vllm:prefix_cache_hits_total'],
  perReplica: true,
  options: {
    /** Below 10% the cache saves almost no prefill. Judgement call; chat with a shared system prompt sees 30–80%. */
    lowRatio: 0.1,
    /** Queried tokens needed before the whole-window ratio means anything. */
    minQueriedTokens: 10_000,
    /** Queried tokens per second a sliding window needs before its ratio counts. */
    minQueriedPerSecond: 10,
    /**
     * A low hit rate is a state, not an incident: it must last an hour to be an episode (a burst of
     * unique prompts drops the rate for its duration without anything to fix). Judgement call.
     */
    minEpisodeSeconds: 3600,
  },
  detect(view, o, scope) {
    const queries = view.total('vllm:prefix_cache_queries_total', scope) ?? 0;
    const hits = view.total('vllm:prefix_cache_hits_total', scope) ?? 0;
    const ratio = prefixHitRatio(view, scope);
    const setting = view.settingAt(scope, 'enable_prefix_caching');
    const enabled = setting === undefined ? 'unknown' : String(setting.value) === 'true' ? 'true' : 'false';
    if (queries < o.minQueriedTokens || ratio === null) return insufficient(`only ${queries} prefix-cache queried tokens (need ${o.minQueriedTokens})`);
    const w = episodeWindowSeconds(view);
    const q = centredRate(view, 'vllm:prefix_cache_queries_total', scope, w)!;
    const h = centredRate(view, 'vllm:prefix_cache_hits_total', scope, w)!;
    const episodes = findEpisodes(view, {
      holds: (i) => q[i] >= o.minQueriedPerSecond && h[i] / q[i] < o.lowRatio,
      minSeconds: Math.min(o.minEpisodeSeconds, Math.max(w, (view.end - view.start) / 2)),
      numbers: (t0, t1) => {
        const qq = totalBetween(view, 'vllm:prefix_cache_queries_total', scope, t0, t1);
        const hh = totalBetween(view, 'vllm:prefix_cache_hits_total', scope, t0, t1);
        return { hitRatio: qq && hh !== null ? hh / qq : null, queriedTokens: qq };
      },
    });
    return verdict<'prefix-cache-hit-rate'>({ hitRatio: ratio, queriedTokens: queries, hitTokens: hits, prefixCachingEnabled: enabled }, episodes);
  },
});
