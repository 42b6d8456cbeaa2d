// KV cache near full: the block pool is (almost) exhausted for a meaningful part of the window.

import { defineDetector, insufficient, issue, longestRun, ok, shareWhere } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';

export default defineDetector({
  id: 'kv-pressure',
  requires: ['vllm:kv_cache_usage_perc'],
  perReplica: true,
  options: {
    /** vLLM preempts when a step cannot get a block; above ~90% a burst of decodes tips it over. Judgement call. */
    highRatio: 0.9,
    /** Share of the window above `highRatio` that counts as pressure rather than a passing peak. */
    minHighShare: 0.1,
  },
  detect(view, o, scope) {
    const kv = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
    if (!kv) return insufficient('no KV-cache usage samples in this scope');
    const s = nanSummary(kv);
    if (s.n < 3) return insufficient(`only ${s.n} KV-usage points on the grid`);
    const highShare = shareWhere(kv, (x) => x >= o.highRatio);
    const run = longestRun(kv, (x) => x >= o.highRatio);
    let first = -1;
    let last = -1;
    for (let i = 0; i < kv.length; i++) if (kv[i] >= o.highRatio) { if (first < 0) first = i; last = i; }
    const evidence = {
      kvMeanRatio: s.mean,
      kvP95Ratio: s.p95,
      kvMaxRatio: s.max,
      highThresholdRatio: o.highRatio,
      timeAboveThresholdRatio: highShare,
      firstHighSeconds: first >= 0 ? view.grid[first] : null,
      lastHighSeconds: last >= 0 ? view.grid[last] : null,
      longestHighStartSeconds: run ? view.grid[run[0]] : null,
      longestHighEndSeconds: run ? view.grid[run[1]] : null,
    };
    return highShare >= o.minHighShare ? issue(evidence) : ok(evidence);
  },
});
