// ABORT_RISE: more requests than usual ended without an answer on this replica — aborted (the client
// disconnected or timed out, or the engine gave up) or failed (`finished_reason="error"`). Clients that
// give up while requests wait are the usual mechanism, so an episode during a queue build-up or a
// latency breach on the same replica is shown under it (diagnoses/relations.ts); the numbers of each
// episode (waiting requests, TTFT and end-to-end p95) show whether the requests were slow when they went.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy } from './define-diagnosis.js';
import { episode } from './shared.js';
import { shareBetween } from '../derive/quality.js';
import { quantileBetween, statsBetween, totalBetween } from '../derive/windowed.js';
import type { AnalysisView, Scope } from '../derive/view.js';
import type { TimeSpan } from '../derive/episodes.js';
import type { AbortEpisode } from './evidence.js';
import type { Severity } from '../model/result.js';
import type { TypedEpisode } from '../detectors/define-detector.js';

/** A rise of 5 points makes it a warning … Judgement call. */
export const ABORT_WARNING_RISE = 0.05;
/** … and one request in four lost a critical one. Judgement call. */
export const ABORT_CRITICAL_RATIO = 0.25;

export function abortNumbers(view: AnalysisView, scope: Scope, span: TimeSpan, share: { ratio: number | null; baselineRatio: number | null; finished: number | null; counted: number | null }): AbortEpisode {
  const t0 = span.startSeconds;
  const t1 = span.endSeconds;
  return {
    abortedRatio: share.ratio,
    baselineRatio: share.baselineRatio,
    finished: share.finished,
    aborted: totalBetween(view, 'vllm:request_success_total', scope, t0, t1, { finished_reason: 'abort' }),
    errored: totalBetween(view, 'vllm:request_success_total', scope, t0, t1, { finished_reason: 'error' }),
    waitingMean: statsBetween(view, view.gauge('vllm:num_requests_waiting', scope, 'sum'), t0, t1).mean,
    ttftP95Seconds: quantileBetween(view, 'vllm:time_to_first_token_seconds', 0.95, scope, t0, t1)?.value ?? null,
    e2eP95Seconds: quantileBetween(view, 'vllm:e2e_request_latency_seconds', 0.95, scope, t0, t1)?.value ?? null,
  };
}

const rise = (n: AbortEpisode) => (n.abortedRatio ?? 0) - (n.baselineRatio ?? 0);
function severityOf(eps: TypedEpisode<AbortEpisode>[]): Severity {
  if (eps.some((e) => (e.numbers.abortedRatio ?? 0) >= ABORT_CRITICAL_RATIO)) return 'critical';
  return eps.some((e) => rise(e.numbers) >= ABORT_WARNING_RISE - 1e-12) ? 'warning' : 'info';
}

export default defineDiagnosis({
  code: 'ABORT_RISE',
  needs: ['abort-rise'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const s = signal('abort-rise');
    const why = missing(s, 'abort-rise');
    if (why) return notEvaluated(why);
    const ev = s!.evidence;
    let kind: 'episodes' | 'recent' = 'episodes';
    let episodes: TypedEpisode<AbortEpisode>[];
    if (s!.episodes.length) {
      episodes = s!.episodes.map((e) => episode(e, abortNumbers(view, scope, e, { ratio: e.numbers.ratio, baselineRatio: e.numbers.baselineRatio, finished: e.numbers.finished, counted: e.numbers.counted }), e.peakAtSeconds));
    } else if (ev.recentRose && ev.recentStartSeconds !== null) {
      kind = 'recent';
      const span = { startSeconds: ev.recentStartSeconds, endSeconds: view.end };
      const late = shareBetween(view, scope, ['abort', 'error'], span.startSeconds, span.endSeconds);
      episodes = [episode(span, abortNumbers(view, scope, span, { ratio: ev.recentRatio, baselineRatio: ev.earlierRatio, finished: late?.total ?? null, counted: late?.part ?? null }))];
    } else return none;
    const worst = worstBy(episodes, (n) => rise(n))!;
    return found({
      severity: severityOf(episodes),
      episodes,
      evidence: { ...worst.numbers, episodes: episodes.length, kind, windowRatio: ev.ratio, abortSeries: ev.abortSeries, errorSeries: ev.errorSeries },
      proposals: [],
      incident: true,
    });
  },
  refine(episodes, evidence) {
    const worst = worstBy(episodes, (n) => rise(n))!;
    return { severity: severityOf(episodes), evidence: { ...evidence, ...worst.numbers, episodes: episodes.length } };
  },
});
