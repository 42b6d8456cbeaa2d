// LATENCY_SLO_BREACH: the p95 of TTFT, time between tokens or end-to-end latency over the use-case
// target on sliding windows. Episodes are the union of the three; each carries all three p95s.

import { defineDiagnosis, found, worstBy, notEvaluated, none } from './define-diagnosis.js';
import { episode, mergeSpans } from './shared.js';
import type { FindingEvidence, SloEpisode } from './evidence.js';
import type { TypedEpisode } from '../detectors/define-detector.js';
import type { Severity } from '../model/result.js';
import { quantileBetween } from '../derive/windowed.js';
import type { AnalysisView } from '../derive/view.js';
import type { HistogramName } from '../model/metric-catalog.js';

/** Twice the target is what users notice as broken rather than slow. Judgement call. */
export const CRITICAL_RATIO = 2;

function numbers(view: AnalysisView, r: string, t0: number, t1: number): SloEpisode {
  const q = (m: HistogramName) => quantileBetween(view, m, 0.95, r, t0, t1)?.value ?? null;
  const ttft = q('vllm:time_to_first_token_seconds');
  const tbt = q('vllm:inter_token_latency_seconds');
  const e2e = q('vllm:e2e_request_latency_seconds');
  const ratios: [string, number | null][] = [
    ['ttft', ttft !== null ? ttft / view.slo.ttftSeconds : null],
    ['tbt', tbt !== null ? tbt / view.slo.tbtSeconds : null],
    ['e2e', e2e !== null ? e2e / view.slo.e2eSeconds : null],
  ];
  let worst = 'ttft';
  let wr: number | null = null;
  for (const [k, r] of ratios) if (r !== null && (wr === null || r > wr)) { wr = r; worst = k; }
  return { ttftP95Seconds: ttft, tbtP95Seconds: tbt, e2eP95Seconds: e2e, ttftTargetSeconds: view.slo.ttftSeconds, tbtTargetSeconds: view.slo.tbtSeconds, e2eTargetSeconds: view.slo.e2eSeconds, worstRatioToTarget: wr, worst };
}

export default defineDiagnosis({
  code: 'LATENCY_SLO_BREACH',
  needs: ['latency-ttft', 'latency-tbt', 'latency-e2e'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const sigs = [signal('latency-ttft'), signal('latency-tbt'), signal('latency-e2e')].filter((s) => s && (s.status === 'ok' || s.status === 'issue'));
    if (!sigs.length) return notEvaluated('no latency histograms with enough requests');
    const spans = mergeSpans(sigs.flatMap((s) => s!.episodes));
    if (!spans.length) return none;
    const episodes = spans.map((s) => episode(s, numbers(view, scope, s.startSeconds, s.endSeconds))).filter((e) => (e.numbers.worstRatioToTarget ?? 0) > 1);
    if (!episodes.length) return none;
    const over = sigs.map((s) => s!.evidence.windowsOverTargetRatio).filter((x): x is number => x !== null);
    const { severity, evidence } = judge(episodes, over.length ? Math.max(...over) : null);
    return found({ severity, episodes, evidence, proposals: [], incident: true });
  },
  refine(episodes, evidence) {
    return judge(episodes, evidence.windowsOverTargetRatio);
  },
});

/**
 * Severity from the episodes: critical at twice a target. End-to-end over target while TTFT and time
 * between tokens met theirs means the requests were long, not the server slow (end-to-end ≈ TTFT +
 * output tokens × TBT): shown, but as information.
 */
function judge(episodes: TypedEpisode<SloEpisode>[], windowsOverTargetRatio: number | null): { severity: Severity; evidence: FindingEvidence['LATENCY_SLO_BREACH'] } {
  const worst = worstBy(episodes, (n) => n.worstRatioToTarget)!;
  const within = (x: number | null, t: number) => x === null || x <= t;
  const e2eOnly = episodes.every((e) => within(e.numbers.ttftP95Seconds, e.numbers.ttftTargetSeconds) && within(e.numbers.tbtP95Seconds, e.numbers.tbtTargetSeconds));
  const severity: Severity = e2eOnly ? 'info' : (worst.numbers.worstRatioToTarget ?? 0) >= CRITICAL_RATIO ? 'critical' : 'warning';
  return { severity, evidence: { ...worst.numbers, episodes: episodes.length, windowsOverTargetRatio, e2eOnly } };
}
