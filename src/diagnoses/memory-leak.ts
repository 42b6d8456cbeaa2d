// MEMORY_LEAK: memory grows steadily (significant monotone trend) while the load stays flat.

import { defineDiagnosis, found, missing, none, notEvaluated } from './define-diagnosis.js';
import { episode } from './shared.js';

/** Growth relative to the start at which a leak is critical (25%). Judgement call. */
export const CRITICAL_RELATIVE_GROWTH = 0.25;

export default defineDiagnosis({
  code: 'MEMORY_LEAK',
  needs: ['memory-growth'],
  runs: 'replica',
  diagnose({ signal }) {
    const m = signal('memory-growth');
    const why = missing(m, 'memory-growth');
    if (why) return notEvaluated(why);
    if (m!.status !== 'issue') return none;
    const e = m!.evidence;
    return found({
      severity: (e.relativeGrowthRatio ?? 0) >= CRITICAL_RELATIVE_GROWTH ? 'critical' : 'warning',
      episodes: [episode({ startSeconds: e.fromSeconds, endSeconds: e.toSeconds }, { growthMiB: e.growthMiB, slopeMiBPerHour: e.slopeMiBPerHour })],
      evidence: { metric: e.metric, growthMiB: e.growthMiB, relativeGrowthRatio: e.relativeGrowthRatio, slopeMiBPerHour: e.slopeMiBPerHour, startMiB: e.startMiB, endMiB: e.endMiB, mannKendallP: e.mannKendallP, loadRelativeChange: e.loadRelativeChange },
      proposals: [],
    });
  },
});
