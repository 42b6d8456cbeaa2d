// GPU busy share from DCGM (percent of time a kernel ran; SM activity where the exporter has it).

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';

export default defineDetector({
  id: 'gpu-utilization',
  requires: ['DCGM_FI_DEV_GPU_UTIL'],
  perReplica: false,
  options: {
    /** Mean DCGM GPU utilisation below this (percent) is under-use. Judgement call: decode keeps it > 80%. */
    lowPercent: 50,
  },
  detect(view, o) {
    const u = view.gauge('DCGM_FI_DEV_GPU_UTIL', 'fleet', 'avg');
    if (!u) return insufficient('no DCGM utilisation samples');
    const s = nanSummary(u);
    if (s.n < 3 || s.mean === null) return insufficient('too few points');
    const sm = view.gauge('DCGM_FI_PROF_SM_ACTIVE', 'fleet', 'avg');
    const sms = sm ? nanSummary(sm) : null;
    const evidence = { gpuUtilMeanPercent: s.mean, gpuUtilP95Percent: s.p95, smActiveMeanRatio: sms?.mean ?? null, lowThresholdPercent: o.lowPercent };
    return s.mean < o.lowPercent ? issue(evidence) : ok(evidence);
  },
});
