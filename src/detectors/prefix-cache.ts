// Prefix-cache hit rate: tokens found in the cache over tokens looked up, over the window.

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { prefixHitRatio } from '../derive/summaries.js';

export default defineDetector({
  id: 'prefix-cache-hit-rate',
  requires: ['vllm:prefix_cache_queries_total', 'vllm:prefix_cache_hits_total'],
  perReplica: true,
  options: {
    /** Below 10% the cache saves almost no prefill. Judgement call; chat with a shared system prompt sees 30–80%. */
    lowRatio: 0.1,
    /** Queried tokens needed before the ratio means anything. */
    minQueriedTokens: 10_000,
  },
  detect(view, o, scope) {
    const queries = view.total('vllm:prefix_cache_queries_total', scope) ?? 0;
    const hits = view.total('vllm:prefix_cache_hits_total', scope) ?? 0;
    const ratio = prefixHitRatio(view, scope);
    const enabled = view.setting('enable_prefix_caching');
    const evidence = { hitRatio: ratio, queriedTokens: queries, hitTokens: hits, prefixCachingEnabled: enabled === undefined ? 'unknown' : String(enabled) };
    if (queries < o.minQueriedTokens || ratio === null) return insufficient(`only ${queries} prefix-cache queried tokens (need ${o.minQueriedTokens})`, evidence);
    return ratio < o.lowRatio ? issue(evidence) : ok(evidence);
  },
});
