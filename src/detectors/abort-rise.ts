// Abort rise: the share of requests that ended without an answer — aborted (`finished_reason="abort"`:
// the client went away, or the engine gave up on the request) or failed (`"error"`, newer vLLM) — rises
// above its baseline. Clients that time out while requests wait are the usual mechanism, so the finding
// is shown under a queue or latency finding at the same time. Same method as truncation-rise.
//
// Many vLLM V1 versions do not count client aborts in vllm:request_success_total at all (the abort path
// bypasses the stats: vllm-project/vllm#31503); an abort share of 0 then says nothing (docs/quality.md).

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { finishedIntervals, shareEdges, shareRiseScan, type ShareRiseOptions } from '../derive/quality.js';
import { totalBetween } from '../derive/windowed.js';
import { shareEpisode, shareEvidence } from './truncation-rise.js';

const REASONS = ['abort', 'error'] as const;

export default defineDetector({
  id: 'abort-rise',
  requires: ['vllm:request_success_total'],
  perReplica: true,
  options: {
    minWindowRequests: 30,
    baselineSeconds: 3600,
    minBaselineSeconds: 900,
    minBaselineRequests: 100,
    z: 4,
    /** Aborts are rare when all is well (well under 1 %): a rise of 2 points … Judgement call. */
    minRise: 0.02,
    /** … to at least twice the baseline share. Judgement call. */
    minRatio: 2,
    /** One sliding window: aborts come with incidents, which can be short. */
    minEpisodeSeconds: 300,
  } satisfies ShareRiseOptions & { minEpisodeSeconds: number },
  detect(view, o, scope) {
    const f = finishedIntervals(view, scope);
    if (!f) return insufficient('vllm:request_success_total carries no finished_reason label in this scope');
    const abortSeries = f.reasons.includes('abort');
    const errorSeries = f.reasons.includes('error');
    if (!abortSeries && !errorSeries) return insufficient(`no finished_reason="abort" or "error" series (reasons: ${f.reasons.join(', ')})`);
    const scan = shareRiseScan(view, f.abortOrError, f.total, o);
    const count = (reason: string, t0: number, t1: number) => totalBetween(view, 'vllm:request_success_total', scope, t0, t1, { finished_reason: reason });
    const episodes = findEpisodes(view, {
      holds: (i) => scan.holds[i] === 1,
      peakOf: scan.windowShare,
      minSeconds: o.minEpisodeSeconds,
      edges: shareEdges(view, f.abortOrError, f.total, scan),
      numbers: (t0, t1, run) => ({ ...shareEpisode(view, scope, REASONS, scan, t0, t1, run), aborted: count('abort', t0, t1), errored: count('error', t0, t1) }),
    });
    const total = (reason: string) => view.total('vllm:request_success_total', scope, { finished_reason: reason });
    return verdict<'abort-rise'>({ ...shareEvidence(view, scope, REASONS, o), aborted: total('abort'), errored: total('error'), abortSeries, errorSeries }, episodes);
  },
});
