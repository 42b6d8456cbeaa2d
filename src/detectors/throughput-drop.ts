// Throughput drop: output tokens/s fall well below their baseline while work is waiting, so the drop is
// the engine's, not the demand's. The baseline is robust and frozen while an episode runs
// (stats/baseline.ts): a drop that lasts 30 minutes stays a drop for 30 minutes. Everything in seconds,
// so the same drop reads the same on a 10-second and a 90-second grid.

import { defineDetector, insufficient, verdict, type TypedEpisode } from './define-detector.js';
import { frozenBaselineAnomalies } from '../stats/baseline.js';
import { nanQuantile } from '../stats/summary.js';
import { gridRange, statsBetween, totalBetween } from '../derive/windowed.js';
import type { EpisodeNumbers } from './evidence.js';

export default defineDetector({
  id: 'throughput-drop',
  requires: ['vllm:generation_tokens_total'],
  perReplica: true,
  options: {
    /** The baseline: the last half hour of calm points (at least 10 minutes of them before scoring). */
    baselineSeconds: 1800,
    minBaselineSeconds: 600,
    /** Robust z at or below −threshold is part of a drop. */
    threshold: 3.5,
    /** A drop must last a minute; calm of one minute inside it is bridged. */
    minEpisodeSeconds: 60,
    bridgeSeconds: 60,
    /** A drop still there after two hours is the new normal (a lower demand, not an incident). */
    maxEpisodeSeconds: 7200,
    /** Relative drop of the median during the episode versus the baseline. Judgement call. */
    minDropRatio: 0.3,
    /** Requests waiting during the drop (mean) for the drop to be the engine's. */
    minWaitingDuringDrop: 1,
  },
  detect(view, o, scope) {
    if (!view.series('vllm:generation_tokens_total', scope).length) return insufficient('no generation counter in this scope');
    if ((view.end - view.start) < 2 * o.minBaselineSeconds) return insufficient('window too short for a throughput baseline');
    // Tokens/s over each grid interval's own increase [t, t + step): a trailing rate window would start
    // and end a drop one window late.
    const g = view.memo(`intervalRate:generation:${scope}`, () => {
      const out = new Float64Array(view.grid.length);
      for (let i = 0; i < out.length; i++) {
        const x = totalBetween(view, 'vllm:generation_tokens_total', scope, view.grid[i], view.grid[i] + view.step);
        out[i] = x === null ? NaN : x / view.step;
      }
      return out;
    });
    const { episodes } = frozenBaselineAnomalies(view.grid, g, {
      stepSeconds: view.step,
      baselineSeconds: o.baselineSeconds,
      minBaselineSeconds: o.minBaselineSeconds,
      minBaselinePoints: 10,
      threshold: o.threshold,
      minEpisodeSeconds: o.minEpisodeSeconds,
      bridgeSeconds: o.bridgeSeconds,
      maxEpisodeSeconds: o.maxEpisodeSeconds,
      absFloor: 1,
      relFloor: 0.05,
      scoreCap: 50,
    });
    const waiting = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    const found: TypedEpisode<EpisodeNumbers['throughput-drop']>[] = [];
    for (const e of episodes) {
      if (e.direction !== 'down' || !(e.baselineValue > 0)) continue;
      const [i0, i1] = gridRange(view, e.startSeconds, e.endSeconds - view.step / 2);
      const low = nanQuantile(g.subarray(i0, i1 + 1), 0.5);
      const drop = 1 - low / e.baselineValue;
      const wmean = statsBetween(view, waiting, e.startSeconds, e.endSeconds).mean;
      if (!(drop >= o.minDropRatio) || wmean === null || wmean < o.minWaitingDuringDrop) continue;
      found.push({ startSeconds: e.startSeconds, endSeconds: e.endSeconds, durationSeconds: e.endSeconds - e.startSeconds, peakAtSeconds: e.peakSeconds, numbers: { dropRatio: drop, baselineTokensPerSecond: e.baselineValue, duringTokensPerSecond: low, waitingMeanDuringDrop: wmean } });
    }
    return verdict<'throughput-drop'>({ dropEpisodes: found.length }, found);
  },
});
