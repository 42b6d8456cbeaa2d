// GPU_IDLE_GAPS (GPU profiles): the GPU is idle a large share of the profiled span — it waits on the
// host (scheduler, Python, kernel launches). Joined with metrics and config: eager mode read from the
// log or flags makes CUDA graphs the primary fix; DCGM utilisation of the replicas is shown beside it.

import { defineDiagnosis, found, none, notEvaluated, type ProposalAt } from './define-diagnosis.js';
import { activeDevices, devicesLabel, IDLE_SHARE_CRIT, IDLE_SHARE_WARN, SHORT_KERNEL_SHARE, worstDevice } from './gpu-shared.js';
import { FLEET } from '../derive/view.js';

export default defineDiagnosis({
  code: 'GPU_IDLE_GAPS',
  needs: [],
  runs: 'profile',
  diagnose({ view, gpu, allSignals }) {
    const active = activeDevices(gpu);
    if (typeof active === 'string') return notEvaluated(active);
    const withIdle = active.filter((d) => d.idle);
    if (!withIdle.length) return notEvaluated('no timeline and no --wall-seconds: idle time unknown');
    const w = worstDevice(withIdle, (d) => d.idle!.idleShare, IDLE_SHARE_WARN);
    if (!w.over.length) return none;
    const d = w.d;
    const idle = d.idle!;
    const g = idle.gaps;
    const proposals: ProposalAt[] = [];
    const eager = view.settingAt(FLEET, 'enforce_eager');
    if (d.launch.cudaGraphs !== 'used' || (eager && eager.value === true)) {
      proposals.push({ replica: FLEET, atSeconds: view.end, setting: 'enforce_eager', to: false, direction: 'set', confidence: d.launch.shortShare !== null && d.launch.shortShare >= SHORT_KERNEL_SHARE ? 'high' : 'medium', reason: { kind: 'cuda-graphs-on', numbers: { idleShare: w.v, shortKernelShare: d.launch.shortShare, shortKernelThresholdNs: d.launch.thresholdNs, cudaGraphs: d.launch.cudaGraphs } } });
    }
    const util = allSignals('gpu-utilization').map((s) => s.evidence.gpuUtilMeanPercent).filter((x): x is number => typeof x === 'number');
    return found({
      severity: w.v >= IDLE_SHARE_CRIT ? 'critical' : 'warning',
      episodes: [],
      scope: devicesLabel(w.over),
      evidence: { device: d.label, idleShare: w.v, idleNs: idle.idleNs, spanNs: idle.spanNs, gapCount: g?.count ?? null, gapP50Ns: g?.p50Ns ?? null, gapP90Ns: g?.p90Ns ?? null, gapMaxNs: g?.maxNs ?? null, shortKernelShare: d.launch.shortShare, cudaGraphs: d.launch.cudaGraphs, thresholdShare: IDLE_SHARE_WARN, idleSource: idle.source, enforceEager: eager ? String(eager.value) : null, gpuUtilMeanPercent: util.length ? util.reduce((a, b) => a + b, 0) / util.length : null },
      proposals,
    });
  },
});
