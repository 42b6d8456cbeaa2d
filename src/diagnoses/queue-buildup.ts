// QUEUE_BUILDUP: requests wait to be scheduled for a sustained stretch. On its own (no thrashing,
// starvation or running cap behind it), demand exceeded what the replica processes: the numbers say by
// how much (arrivals against completions over the episode).

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy } from './define-diagnosis.js';
import { episode } from './shared.js';
import type { QueueEpisode } from './evidence.js';
import { gridRange, quantileBetween, statsBetween, totalBetween } from '../derive/windowed.js';
import type { AnalysisView } from '../derive/view.js';

/** A queue episode this long is critical (half an hour). Judgement call. */
export const CRITICAL_EPISODE_SECONDS = 1800;

/** In-flight requests (waiting + running) at the grid point nearest t (NaN when unknown). */
function inFlightAt(view: AnalysisView, r: string, t: number): number {
  const w = view.gauge('vllm:num_requests_waiting', r, 'sum');
  const run = view.gauge('vllm:num_requests_running', r, 'sum');
  const [i] = gridRange(view, t, t);
  const j = Math.min(view.grid.length - 1, Math.max(0, i));
  return (w?.[j] ?? NaN) + (run?.[j] ?? 0);
}

export function queueNumbers(view: AnalysisView, r: string, t0: number, t1: number, waitingMean: number | null, waitingMax: number | null): QueueEpisode {
  const fin = totalBetween(view, 'vllm:request_success_total', r, t0, t1);
  const dur = Math.max(t1 - t0, view.step);
  const growth = inFlightAt(view, r, t1) - inFlightAt(view, r, t0);
  return {
    waitingMean,
    waitingMax,
    finishedPerSecond: fin !== null ? fin / dur : null,
    // Arrivals = completions + growth of what is in flight (waiting + running) over the episode.
    arrivalsPerSecond: fin !== null && Number.isFinite(growth) ? (fin + growth) / dur : null,
    ttftP95Seconds: quantileBetween(view, 'vllm:time_to_first_token_seconds', 0.95, r, t0, t1)?.value ?? null,
  };
}

export default defineDiagnosis({
  code: 'QUEUE_BUILDUP',
  needs: ['queue-buildup'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const q = signal('queue-buildup');
    const why = missing(q, 'queue-buildup');
    if (why) return notEvaluated(why);
    if (!q!.episodes.length) return none;
    const w = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    const episodes = q!.episodes.map((e) => episode(e, queueNumbers(view, scope, e.startSeconds, e.endSeconds, statsBetween(view, w, e.startSeconds, e.endSeconds).mean, e.numbers.waitingMax), e.peakAtSeconds));
    const worst = worstBy(episodes, (_n, e) => e.durationSeconds)!;
    return found({ severity: worst.durationSeconds >= CRITICAL_EPISODE_SECONDS ? 'critical' : 'warning', episodes, evidence: { ...worst.numbers, episodes: episodes.length }, proposals: [], incident: true });
  },
  refine(episodes) {
    const worst = worstBy(episodes, (_n, e) => e.durationSeconds)!;
    return { severity: worst.durationSeconds >= CRITICAL_EPISODE_SECONDS ? 'critical' : 'warning', evidence: { ...worst.numbers, episodes: episodes.length } };
  },
});
