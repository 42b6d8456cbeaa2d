// Memory growth: process RSS (or the replica's GPU framebuffer) rising steadily while the load stays
// flat. A trend over the stretch since the last restart, not an episode: a leak has no end inside the
// window.

import type { Series } from '../model/series.js';
import { defineDetector, insufficient } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';
import { theilSen, trend } from '../stats/trend.js';
import type { DetectorEvidence } from './evidence.js';

const MIB = 1024 * 1024;

/** The samples after the last large drop (a restart frees memory; growth before it is another process). */
function sinceLastDrop(s: Series, dropRatio: number): { t: Float64Array; v: Float64Array | Int32Array } {
  let start = 0;
  for (let i = 1; i < s.v.length; i++) if (s.v[i] < s.v[i - 1] * (1 - dropRatio)) start = i;
  return { t: s.t.subarray(start), v: s.v.subarray(start) };
}

export default defineDetector({
  id: 'memory-growth',
  requires: [],
  perReplica: true,
  options: {
    /** Mann–Kendall p-value below which the upward trend is real. */
    maxPValue: 0.001,
    /** Growth over the analysed stretch, relative to its start, that matters (5%). Judgement call. */
    minRelativeGrowth: 0.05,
    /** And in absolute terms (bytes): small processes wobble by tens of MiB. */
    minGrowthBytes: 256 * MIB,
    /** Load counts as flat when the request rate's relative change over the window is below this. */
    maxLoadRelativeChange: 0.25,
    /** A drop by this fraction is a restart. */
    restartDropRatio: 0.2,
    minSamples: 30,
  },
  detect(view, o, scope) {
    let candidates = view.series('process_resident_memory_bytes', scope);
    let metric = 'process_resident_memory_bytes';
    let scale = 1;
    if (!candidates.length) {
      candidates = view.deviceSeries('DCGM_FI_DEV_FB_USED', scope);
      metric = 'DCGM_FI_DEV_FB_USED';
      scale = MIB;
    }
    if (!candidates.length) return insufficient('no process_resident_memory_bytes or DCGM_FI_DEV_FB_USED series');
    let worst: Omit<DetectorEvidence['memory-growth'], 'loadRelativeChange'> | null = null;
    let worstGrowth = -Infinity;
    for (const s of candidates) {
      const seg = sinceLastDrop(s, o.restartDropRatio);
      if (seg.v.length < o.minSamples) continue;
      const tr = trend(seg.t, seg.v);
      if (tr.skipped !== undefined) continue;
      const first = seg.v[0] * scale;
      const growth = tr.slopePerSecond * (seg.t[seg.t.length - 1] - seg.t[0]) * scale;
      if (growth > worstGrowth) {
        worstGrowth = growth;
        worst = {
          metric,
          series: s.labels.instance ?? s.labels.pod ?? s.labels.gpu ?? '',
          slopeMiBPerHour: (tr.slopePerSecond * scale * 3600) / MIB,
          growthMiB: growth / MIB,
          relativeGrowthRatio: first > 0 ? growth / first : null,
          startMiB: first / MIB,
          endMiB: (seg.v[seg.v.length - 1] * scale) / MIB,
          // p corrected for autocorrelation of the residuals: memory samples are not independent.
          mannKendallP: tr.pCorrected,
          mannKendallTau: tr.tau,
          fromSeconds: seg.t[0],
          toSeconds: seg.t[seg.t.length - 1],
        };
      }
    }
    if (!worst) return insufficient(`fewer than ${o.minSamples} samples since the last restart`);
    // Flat load: the request rate's Theil–Sen change over the stretch relative to its mean.
    const req = view.rate('vllm:request_success_total', scope);
    let loadChange: number | null = null;
    if (req) {
      const idx: number[] = [];
      for (let i = 0; i < req.length; i++) if (!Number.isNaN(req[i]) && view.grid[i] >= worst.fromSeconds && view.grid[i] <= worst.toSeconds) idx.push(i);
      if (idx.length >= o.minSamples) {
        const t = Float64Array.from(idx, (i) => view.grid[i]);
        const v = Float64Array.from(idx, (i) => req[i]);
        const mean = nanSummary(v).mean ?? 0;
        loadChange = mean > 0 ? (theilSen(t, v).slopePerSecond * (t[t.length - 1] - t[0])) / mean : null;
      }
    }
    const evidence = { ...worst, loadRelativeChange: loadChange };
    const growing = worst.mannKendallP < o.maxPValue && worstGrowth >= o.minGrowthBytes && (worst.relativeGrowthRatio ?? 0) >= o.minRelativeGrowth && (loadChange === null || Math.abs(loadChange) <= o.maxLoadRelativeChange);
    return { status: growing ? 'issue' : 'ok', evidence, episodes: [] };
  },
});
