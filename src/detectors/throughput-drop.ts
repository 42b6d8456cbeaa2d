// Throughput drop: output tokens/s fall well below their recent level while work is waiting, so the
// drop is the engine's, not the demand's.

import { defineDetector, insufficient, verdict, type TypedEpisode } from './define-detector.js';
import { detectAnomalies } from '../stats/rolling.js';
import { nanQuantile } from '../stats/summary.js';
import type { EpisodeNumbers } from './evidence.js';

export default defineDetector({
  id: 'throughput-drop',
  requires: ['vllm:generation_tokens_total'],
  perReplica: true,
  options: {
    /** Rolling window of the baseline, in grid points (5 min at 10 s). */
    window: 30,
    /** Robust z below which a point is part of a drop. */
    threshold: 3.5,
    /** Points a drop must last. */
    minPoints: 6,
    /** Relative drop of the median during the episode versus before it. Judgement call. */
    minDropRatio: 0.3,
    /** Requests waiting during the drop (mean) for the drop to be the engine's. */
    minWaitingDuringDrop: 1,
  },
  detect(view, o, scope) {
    const g = view.rate('vllm:generation_tokens_total', scope);
    if (!g || g.length < o.window * 2) return insufficient('window too short for a throughput baseline');
    const { episodes } = detectAnomalies(view.grid, g, { window: o.window, threshold: o.threshold, minSamples: o.window, robust: true, maxGap: 2, minPoints: o.minPoints });
    const waiting = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    const found: TypedEpisode<EpisodeNumbers['throughput-drop']>[] = [];
    for (const e of episodes) {
      if (e.direction !== 'down') continue;
      const before = g.subarray(Math.max(0, e.startIndex - o.window), e.startIndex);
      const during = g.subarray(e.startIndex, e.endIndex + 1);
      const base = nanQuantile(before, 0.5);
      const low = nanQuantile(during, 0.5);
      if (!(base > 0)) continue;
      const drop = 1 - low / base;
      let wsum = 0;
      let wn = 0;
      if (waiting) for (let i = e.startIndex; i <= e.endIndex; i++) if (!Number.isNaN(waiting[i])) { wsum += waiting[i]; wn++; }
      const wmean = wn ? wsum / wn : null;
      if (drop < o.minDropRatio || wmean === null || wmean < o.minWaitingDuringDrop) continue;
      const end = Math.min(view.end, e.endSeconds + view.step);
      found.push({ startSeconds: e.startSeconds, endSeconds: end, durationSeconds: end - e.startSeconds, peakAtSeconds: null, numbers: { dropRatio: drop, baselineTokensPerSecond: base, duringTokensPerSecond: low, waitingMeanDuringDrop: wmean } });
    }
    return verdict<'throughput-drop'>({ dropEpisodes: found.length }, found);
  },
});
