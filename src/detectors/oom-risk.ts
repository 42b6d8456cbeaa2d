// Out-of-memory risk: GPU memory at the edge (DCGM framebuffer) or a memory fraction set so high that
// activation spikes and fragmentation have no room.

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { labelsKey } from '../model/series.js';

export default defineDetector({
  id: 'oom-risk',
  requires: [],
  perReplica: false,
  options: {
    /** Framebuffer used over total above which an allocation spike can fail. */
    maxFbUsedRatio: 0.97,
    /** gpu_memory_utilization at or above which vLLM leaves too little for CUDA graphs, NCCL and the sampler. */
    maxMemoryFraction: 0.95,
  },
  detect(view, o) {
    const frac = view.num('gpu_memory_utilization');
    // Per GPU: used / (used + free) of the same device (same labels), then the worst GPU.
    let fbRatio: number | null = null;
    const free = new Map(view.series('DCGM_FI_DEV_FB_FREE').map((s) => [labelsKey(s.labels), s]));
    for (const u of view.series('DCGM_FI_DEV_FB_USED')) {
      const f = free.get(labelsKey(u.labels));
      if (!f) continue;
      const used = view.aligned(u);
      const fr = view.aligned(f);
      const ratio = new Float64Array(used.length);
      for (let i = 0; i < used.length; i++) ratio[i] = used[i] / (used[i] + fr[i]);
      const m = nanSummary(ratio).max;
      if (m !== null && (fbRatio === null || m > fbRatio)) fbRatio = m;
    }
    if (fbRatio === null && frac === undefined) return insufficient('neither DCGM framebuffer metrics nor gpu_memory_utilization are known');
    const evidence = { fbUsedMaxRatio: fbRatio, gpuMemoryUtilization: frac ?? null };
    const bad = (fbRatio !== null && fbRatio >= o.maxFbUsedRatio) || (frac !== undefined && frac >= o.maxMemoryFraction);
    return bad ? issue(evidence) : ok(evidence);
  },
});
