// OOM_RISK: a replica's GPU memory at the edge, or a memory fraction that leaves no slack for spikes.

import { defineDiagnosis, found, missing, none, notEvaluated, type ProposalAt } from './define-diagnosis.js';
import { episode, wholeWindow } from './shared.js';

/** Framebuffer use at which the risk is critical. */
export const CRITICAL_FB_RATIO = 0.99;

export default defineDiagnosis({
  code: 'OOM_RISK',
  needs: ['oom-risk'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const s = signal('oom-risk');
    const why = missing(s, 'oom-risk');
    if (why) return notEvaluated(why);
    if (s!.status !== 'issue') return none;
    const { gpuMemoryUtilization: frac, fbUsedMaxRatio: fb } = s!.evidence;
    const proposals: ProposalAt[] = [];
    if (frac !== null && frac > 0.9) {
      proposals.push({ replica: scope, atSeconds: view.end, setting: 'gpu_memory_utilization', to: 0.9, direction: 'lower', confidence: 'medium', clamp: false, reason: { kind: 'memory-fraction-lower', numbers: { currentRatio: frac, toRatio: 0.9, fbUsedMaxRatio: fb, poolShrinkAtMostRatio: (frac - 0.9) / frac } } });
    }
    return found({ severity: fb !== null && fb >= CRITICAL_FB_RATIO ? 'critical' : 'warning', episodes: [episode(wholeWindow(view), { fbUsedMaxRatio: fb, gpuMemoryUtilization: frac })], evidence: { fbUsedMaxRatio: fb, gpuMemoryUtilization: frac }, proposals });
  },
});
