// Out-of-memory risk: a replica's GPU memory at the edge (DCGM framebuffer, per GPU) or a memory
// fraction set so high that activation spikes and fragmentation have no room.

import { defineDetector, insufficient } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { framebuffers } from '../recommend/capacity.js';

export default defineDetector({
  id: 'oom-risk',
  requires: [],
  perReplica: true,
  options: {
    /** Framebuffer used over total above which an allocation spike can fail. */
    maxFbUsedRatio: 0.97,
    /** gpu_memory_utilization at or above which vLLM leaves too little for CUDA graphs, NCCL and the sampler. */
    maxMemoryFraction: 0.95,
  },
  detect(view, o, scope) {
    const fracSetting = view.settingAt(scope, 'gpu_memory_utilization');
    const frac = fracSetting && fracSetting.source !== 'inferred' && typeof fracSetting.value === 'number' ? fracSetting.value : null;
    // Per GPU: used / (used + free) of the same device (same labels), then the worst GPU.
    let fbRatio: number | null = null;
    for (const { usedMiB: used, freeMiB: fr } of framebuffers(view, scope)) {
      const ratio = new Float64Array(used.length);
      for (let i = 0; i < used.length; i++) ratio[i] = used[i] / (used[i] + fr[i]);
      const m = nanSummary(ratio).max;
      if (m !== null && (fbRatio === null || m > fbRatio)) fbRatio = m;
    }
    if (fbRatio === null && frac === null) return insufficient('neither DCGM framebuffer metrics nor gpu_memory_utilization are known for this replica');
    const bad = (fbRatio !== null && fbRatio >= o.maxFbUsedRatio) || (frac !== null && frac >= o.maxMemoryFraction);
    return { status: bad ? 'issue' : 'ok', evidence: { fbUsedMaxRatio: fbRatio, gpuMemoryUtilization: frac }, episodes: [] };
  },
});
