// GEMM_BOUND (GPU profiles): dense and MoE matrix multiplications dominate GPU time — weight reads are
// the cost; quantised weights or bigger decode batches pay off directly.

import { defineDiagnosis, found, none, notEvaluated } from './define-diagnosis.js';
import { activeDevices, devicesLabel, GEMM_SHARE_CRIT, GEMM_SHARE_WARN, share, worstDevice } from './gpu-shared.js';
import { FLEET } from '../derive/view.js';

export default defineDiagnosis({
  code: 'GEMM_BOUND',
  needs: [],
  runs: 'profile',
  diagnose({ view, gpu }) {
    const active = activeDevices(gpu);
    if (typeof active === 'string') return notEvaluated(active);
    const g = (d: (typeof active)[number]) => share(d, 'gemm') + share(d, 'moe_gemm');
    const w = worstDevice(active, g, GEMM_SHARE_WARN);
    if (!w.over.length) return none;
    const d = w.d;
    const quant = view.settingAt(FLEET, 'quantization');
    return found({
      severity: w.v >= GEMM_SHARE_CRIT ? 'critical' : 'warning',
      episodes: [],
      scope: devicesLabel(w.over),
      evidence: { device: d.label, gemmShare: w.v, denseGemmShare: share(d, 'gemm'), moeGemmShare: share(d, 'moe_gemm'), quantization: quant ? String(quant.value) : null, thresholdShare: GEMM_SHARE_WARN },
      proposals: [],
    });
  },
});
