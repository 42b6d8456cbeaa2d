// OOM_RISK: GPU memory at the edge, or a memory fraction that leaves no slack for spikes.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';
import type { Recommendation } from '../model/result.js';

export default defineDiagnosis({
  code: 'OOM_RISK',
  needs: ['oom-risk'],
  perReplica: false,
  diagnose({ signal }) {
    const s = signal('oom-risk');
    const why = missing(s, 'oom-risk');
    if (why) return notEvaluated(why);
    if (s!.status !== 'issue') return none;
    const frac = ev(s, 'gpuMemoryUtilization');
    const fb = ev(s, 'fbUsedMaxRatio');
    const recs: Recommendation[] = [];
    if (frac !== null && frac > 0.9) recs.push({ setting: 'gpu_memory_utilization', from: frac, to: 0.9, because: `${frac} leaves ${((1 - frac) * 100).toFixed(0)}% of GPU memory for CUDA graphs, NCCL buffers, the sampler and fragmentation${fb !== null ? `; the framebuffer peaked at ${(fb * 100).toFixed(1)}% used` : ''}`, expectedEffect: 'room for allocation spikes outside the KV pool', risk: `a KV pool about ${Math.round(((frac - 0.9) / frac) * 100)}% smaller`, confidence: 'medium' });
    return {
      kind: 'finding',
      severity: fb !== null && fb >= 0.99 ? 'critical' : 'warning',
      summary: `${fb !== null ? `GPU memory peaked at ${(fb * 100).toFixed(1)}% used` : ''}${fb !== null && frac !== null ? ' and ' : ''}${frac !== null ? `gpu_memory_utilization is ${frac}` : ''}: an allocation outside the KV pool can fail with CUDA out-of-memory.`,
      evidence: s!.evidence,
      recommendations: recs,
    };
  },
});
