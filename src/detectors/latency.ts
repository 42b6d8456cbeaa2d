// Latency above target: the p95 of TTFT, time between tokens or end-to-end latency over the use-case
// target, on sliding windows (histogram_quantile of bucket rates). Three detectors from one definition.

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { LATENCY_METRICS, latencyRow } from '../derive/summaries.js';
import { centredQuantile, centredRate, cumulativeBelow, episodeWindowSeconds, histogramBetween, quantileBetween, quantileOf } from '../derive/windowed.js';
import { nanMax } from '../stats/summary.js';
import type { AnalysisView } from '../derive/view.js';

type LatencyId = keyof typeof LATENCY_METRICS;

export function latencyTarget(view: AnalysisView, id: LatencyId): number {
  return id === 'ttft' ? view.slo.ttftSeconds : id === 'tbt' ? view.slo.tbtSeconds : view.slo.e2eSeconds;
}

function latencyDetector<I extends 'latency-ttft' | 'latency-tbt' | 'latency-e2e'>(detectorId: I, id: LatencyId) {
  const metric = LATENCY_METRICS[id];
  return defineDetector({
    id: detectorId,
    requires: [`${metric}_bucket`],
    perReplica: true,
    options: {
      /** Requests needed before a whole-window p95 means anything. */
      minRequests: 20,
      /** Observations a sliding window needs before its p95 counts (fewer: the window is unknown). */
      minWindowObservations: 10,
    },
    detect(view, o, scope) {
      const target = latencyTarget(view, id);
      const row = latencyRow(view, id, scope, target);
      if (!row || row.requests === null) return insufficient(`no ${metric} observations in this scope`);
      if (row.requests < o.minRequests) return insufficient(`only ${row.requests} requests observed (need ${o.minRequests})`);
      const w = episodeWindowSeconds(view);
      const q = centredQuantile(view, metric, 0.95, scope, w);
      // Unsmoothed: the p95 of grid point i's own interval [t_i, t_i + step] (a trailing rate window
      // would hold until a window after the last slow request).
      const rawOver = (i: number) => (quantileBetween(view, metric, 0.95, scope, view.grid[i], view.grid[i] + view.step)?.value ?? NaN) > target;
      const n = centredRate(view, `${metric}_count`, scope, w);
      const enough = (i: number) => !n || n[i] * w >= o.minWindowObservations;
      let counted = 0;
      let over = 0;
      if (q) for (let i = 0; i < q.length; i++) if (q[i] === q[i] && enough(i)) { counted++; if (q[i] > target) over++; }
      const episodes = q
        ? findEpisodes(view, {
            holds: (i) => q[i] > target && enough(i),
            raw: rawOver,
            peakOf: q,
            numbers: (t0, t1, run) => {
              const h = histogramBetween(view, metric, scope, t0, t1);
              const total = h ? h.counts[h.counts.length - 1] : null;
              const peak = nanMax(q.subarray(run.startIndex, run.endIndex + 1));
              return {
                p50Seconds: quantileOf(h, 0.5)?.value ?? null,
                p95Seconds: quantileOf(h, 0.95)?.value ?? null,
                peakP95Seconds: Number.isFinite(peak) ? peak : null,
                targetSeconds: target,
                overTargetRatio: h && total ? 1 - cumulativeBelow(h.les, (j) => h.counts[j], target) / total : null,
                requests: total,
              };
            },
          })
        : [];
      return verdict<I>(
        {
          p50Seconds: row.p50Seconds,
          p95Seconds: row.p95Seconds,
          p99Seconds: row.p99Seconds,
          targetSeconds: target,
          overTargetRatio: row.overTargetRatio,
          requests: row.requests,
          windowsOverTargetRatio: counted ? over / counted : null,
        } as never,
        episodes as never,
      );
    },
  });
}

export const ttft = latencyDetector('latency-ttft', 'ttft');
export const tbt = latencyDetector('latency-tbt', 'tbt');
export const e2e = latencyDetector('latency-e2e', 'e2e');
