// MEMORY_LEAK: memory grows steadily (significant monotone trend) while the load stays flat.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';

export default defineDiagnosis({
  code: 'MEMORY_LEAK',
  needs: ['memory-growth'],
  perReplica: true,
  diagnose({ signal }) {
    const m = signal('memory-growth');
    const why = missing(m, 'memory-growth');
    if (why) return notEvaluated(why);
    if (m!.status !== 'issue') return none;
    const slope = ev(m, 'slopeMiBPerHour') ?? 0;
    const rel = ev(m, 'relativeGrowthRatio') ?? 0;
    return {
      kind: 'finding',
      severity: rel >= 0.25 ? 'critical' : 'warning',
      summary: `${String(m!.evidence.metric)} grew by ${Math.round(ev(m, 'growthMiB') ?? 0)} MiB (${(rel * 100).toFixed(0)}%) at ${slope.toFixed(0)} MiB/h, a steady trend (Mann–Kendall p ${(ev(m, 'mannKendallP') ?? 1).toExponential(1)}) while the request rate stayed flat. It will not free itself: plan a rolling restart before it reaches the memory limit, and report it upstream with the vLLM version.`,
      evidence: m!.evidence,
      window: { startSeconds: ev(m, 'fromSeconds')!, endSeconds: ev(m, 'toSeconds')! },
      recommendations: [],
    };
  },
});
