// PREFIX_CACHE_MISSES: prefix caching is on (or not known to be off), but almost no prompt tokens are
// found in the cache — over the window, or in episodes of at least a quarter hour.

import { defineDiagnosis, found, missing, none, notEvaluated } from './define-diagnosis.js';
import { episode, wholeWindow } from './shared.js';

export default defineDiagnosis({
  code: 'PREFIX_CACHE_MISSES',
  needs: ['prefix-cache-hit-rate'],
  runs: 'replica',
  diagnose({ view, signal }) {
    const s = signal('prefix-cache-hit-rate');
    const why = missing(s, 'prefix-cache-hit-rate');
    if (why) return notEvaluated(why);
    const e = s!.evidence;
    if (e.prefixCachingEnabled === 'false') return none;
    const low = e.hitRatio !== null && e.hitRatio < 0.1;
    if (!s!.episodes.length && !low) return none;
    // vLLM versions before PR #25787 (preemptions) and PR #48860 (allocation retries while queued)
    // over-count hits; with either condition in the window the true rate is lower still.
    const overcountRisk = (signal('preemptions')?.episodes.length ?? 0) > 0 || (signal('queue-buildup')?.episodes.length ?? 0) > 0;
    const episodes = s!.episodes.length ? s!.episodes.map((x) => episode(x, x.numbers)) : [episode(wholeWindow(view), { hitRatio: e.hitRatio, queriedTokens: e.queriedTokens })];
    return found({ severity: 'info', episodes, evidence: { hitRatio: e.hitRatio, queriedTokens: e.queriedTokens, prefixCachingEnabled: e.prefixCachingEnabled, overcountRisk }, proposals: [] });
  },
});
