// GPU busy share from DCGM (percent of time a kernel ran; SM activity where the exporter has it), for
// the GPUs on a replica's host.

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { episodeWindowSeconds, rollingMean, statsBetween } from '../derive/windowed.js';

export default defineDetector({
  id: 'gpu-utilization',
  requires: ['DCGM_FI_DEV_GPU_UTIL'],
  perReplica: true,
  options: {
    /** Mean DCGM GPU utilisation below this (percent) is under-use. Judgement call: decode keeps it > 80%. */
    lowPercent: 50,
    /** Under-use is a state, not an incident: it must last an hour to count. Judgement call. */
    minEpisodeSeconds: 3600,
  },
  detect(view, o, scope) {
    const devices = view.deviceSeries('DCGM_FI_DEV_GPU_UTIL', scope);
    const u = view.deviceGauge('DCGM_FI_DEV_GPU_UTIL', scope, 'avg');
    if (!u || !devices.length) return insufficient('no DCGM utilisation samples for this replica\'s GPUs');
    const s = nanSummary(u);
    if (s.n < 3 || s.mean === null) return insufficient('too few points');
    const sm = view.deviceGauge('DCGM_FI_PROF_SM_ACTIVE', scope, 'avg');
    const smooth = rollingMean(u, Math.max(1, Math.round(episodeWindowSeconds(view) / view.step)));
    const episodes = findEpisodes(view, {
      holds: (i) => smooth[i] < o.lowPercent,
      minSeconds: Math.min(o.minEpisodeSeconds, Math.max(view.end - view.start, view.step) * 0.5),
      numbers: (t0, t1) => ({ gpuUtilMeanPercent: statsBetween(view, u, t0, t1).mean }),
    });
    return verdict<'gpu-utilization'>({ gpuUtilMeanPercent: s.mean, gpuUtilP95Percent: s.p95, smActiveMeanRatio: sm ? nanSummary(sm).mean : null, lowThresholdPercent: o.lowPercent, devices: devices.length }, episodes);
  },
});
