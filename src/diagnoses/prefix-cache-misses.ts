// PREFIX_CACHE_MISSES: prefix caching is on, but almost no prompt tokens are found in the cache.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';

export default defineDiagnosis({
  code: 'PREFIX_CACHE_MISSES',
  needs: ['prefix-cache-hit-rate'],
  perReplica: true,
  diagnose({ view, signal }) {
    const s = signal('prefix-cache-hit-rate');
    const why = missing(s, 'prefix-cache-hit-rate');
    if (why) return notEvaluated(why);
    if (s!.status !== 'issue') return none;
    const enabled = view.setting('enable_prefix_caching');
    if (enabled === false) return none;
    const ratio = ev(s, 'hitRatio') ?? 0;
    // vLLM versions before PR #25787 (preemptions) and PR #48860 (allocation retries while queued)
    // over-count hits; with either condition in the window the true rate is lower still.
    const overcountRisk = signal('preemptions')?.status === 'issue' || signal('queue-buildup')?.status === 'issue';
    return {
      kind: 'finding',
      severity: 'info',
      summary: `only ${(ratio * 100).toFixed(1)}% of ${Math.round(ev(s, 'queriedTokens') ?? 0)} looked-up prompt tokens were found in the prefix cache${enabled === undefined ? ' (whether caching is on is unknown)' : ''}. Prompts share little: put the common system prompt and tools first and keep them byte-identical, and route requests of one conversation or tenant to the same replica (prefix-aware routing).`,
      evidence: { ...s!.evidence, overcountRisk },
      recommendations: [],
    };
  },
});
