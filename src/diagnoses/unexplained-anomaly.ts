// UNEXPLAINED_ANOMALY: a user-facing series (TTFT, time between tokens, end-to-end latency, queue,
// preemptions) had a strong anomaly episode on a replica that no other finding explains. The verdict
// never says "no problems" while the evidence shows one: this names its window and peak.

import { defineDiagnosis, found, none } from './define-diagnosis.js';
import { episode } from './shared.js';
import { near } from '../derive/episodes.js';
import { episodeWindowSeconds } from '../derive/windowed.js';
import { FLEET } from '../derive/view.js';
import type { AnomalyEpisode } from '../model/result.js';
import { incidentContext, TRIGGER_MIN_RATIO } from '../derive/incident.js';
import type { AnalysisView } from '../derive/view.js';

/** Series users feel. */
const USER_FACING = /time_to_first_token|inter_token_latency|e2e_request_latency|num_requests_waiting|num_preemptions/;
/** Strong: the peak at least this many times its baseline. Judgement call. */
export const MIN_RATIO_TO_BASELINE = 3;
/** Where no baseline ratio is known (a zero baseline), the anomaly score instead. Judgement call. */
export const MIN_SCORE = 8;

/** The target a latency series is judged against (p95 of TTFT, TBT, end-to-end), or null for the others. */
function targetOf(view: AnalysisView, metric: string): number | null {
  if (/time_to_first_token/.test(metric)) return view.slo.ttftSeconds;
  if (/inter_token_latency/.test(metric)) return view.slo.tbtSeconds;
  if (/e2e_request_latency/.test(metric)) return view.slo.e2eSeconds;
  return null;
}

/**
 * More work arrived: the replica's request rate, prompt tokens per second or request lengths rose by
 * the trigger factor from before the episode to during it. A latency that rises with the load and stays
 * within its target is the server doing its job, not a fault; a queue or preemptions that rise with it
 * and raised no QUEUE_BUILDUP or KV_CACHE_THRASHING were short-lived.
 */
function loadDriven(view: AnalysisView, scope: string, a: AnomalyEpisode): boolean {
  const t = targetOf(view, a.metric);
  if (t !== null && !(a.peakValue <= t)) return false;
  const c = incidentContext(view, scope, a.startSeconds, Math.min(view.end, a.endSeconds + view.step));
  return c.trigger !== null && c.trigger.quantity !== 'prefixCacheHitRatio' && c.trigger.ratio >= TRIGGER_MIN_RATIO;
}

function ratioOf(a: AnomalyEpisode): number | null {
  const r = (a as { ratioToBaseline?: number | null }).ratioToBaseline;
  return typeof r === 'number' && Number.isFinite(r) ? r : null;
}

export default defineDiagnosis({
  code: 'UNEXPLAINED_ANOMALY',
  needs: [],
  runs: 'post',
  diagnose({ view, scope, findings, anomalies }) {
    const w = episodeWindowSeconds(view);
    // With a single replica the anomalies are computed for the fleet, which is that replica.
    const ours = (a: AnomalyEpisode) => a.scope === scope || (a.scope === FLEET && view.replicas.length === 1 && view.replicas[0] === scope);
    const mine = (anomalies ?? []).filter((a) => ours(a) && a.direction === 'up' && USER_FACING.test(a.metric) && a.endSeconds - a.startSeconds + view.step >= w);
    const strong = mine.filter((a) => {
      const r = ratioOf(a);
      return r !== null ? r >= MIN_RATIO_TO_BASELINE : Math.abs(a.peakScore) >= MIN_SCORE;
    });
    const covering = (findings ?? []).filter((f) => f.replicas.includes(scope) || f.scope === scope || f.scope === FLEET);
    const unexplained = strong.filter((a) => !covering.some((f) => f.episodes.some((e) => near(e, a, w))) && !loadDriven(view, scope, a));
    if (!unexplained.length) return none;
    const episodes = unexplained
      .sort((a, b) => a.startSeconds - b.startSeconds)
      .map((a) => episode({ startSeconds: a.startSeconds, endSeconds: Math.min(view.end, a.endSeconds + view.step) }, { metric: a.metric, peakValue: a.peakValue, baselineValue: (a as { baselineValue?: number | null }).baselineValue ?? null, ratioToBaseline: ratioOf(a), peakScore: a.peakScore }));
    const worst = episodes.reduce((b, e) => ((e.numbers.ratioToBaseline ?? 0) > (b.numbers.ratioToBaseline ?? 0) ? e : b), episodes[0]);
    return found({ severity: 'warning', episodes, evidence: { ...worst.numbers, episodes: episodes.length }, proposals: [], incident: true });
  },
});
