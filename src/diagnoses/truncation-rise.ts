// TRUNCATION_RISE: more answers than usual were cut at max_tokens or max_model_len on this replica —
// in episodes found on sliding windows, or in the recent stretch against the rest of the window. The
// numbers around each episode say what moved with it: the max_tokens clients send
// (vllm:request_params_max_tokens), the replica's max_model_len, the share of prompts too long to leave
// room for max_tokens under it, or the length of the answers themselves. (vllm:request_max_num_generation_tokens
// is not a cap: it is the longest answer among a request's n parallel samples, so it says nothing here.)

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy } from './define-diagnosis.js';
import { episode } from './shared.js';
import { meanBetween, shareBetween } from '../derive/quality.js';
import { cumulativeBelow, episodeWindowSeconds, histogramBetween } from '../derive/windowed.js';
import type { AnalysisView, Scope } from '../derive/view.js';
import type { TimeSpan } from '../derive/episodes.js';
import type { TruncationEpisode } from './evidence.js';
import type { Severity } from '../model/result.js';
import type { TypedEpisode } from '../detectors/define-detector.js';

/** The stretch an episode is compared with: the hour before it, or what the window has of it (at least one sliding window). */
export const BEFORE_SECONDS = 3600;
/** A mean that fell to 80 % or less of its value before names the cause; outputs longer by 1.25× or more name theirs. Judgement call. */
export const CAUSE_RATIO = 0.8;
/** Prompts that cannot get their max_tokens must grow by this share of requests, and by half the truncation rise, to name max_model_len the cause. Judgement call. */
export const NEAR_LIMIT_MIN_RISE = 0.02;
/** A rise of 10 points (one more answer in ten cut) makes it a warning; smaller rises are information. Judgement call. */
export const WARNING_RISE = 0.1;

/** The stretch before an episode (null when the window holds less than one sliding window of it). */
export function beforeSpan(view: AnalysisView, t0: number): TimeSpan | null {
  const b0 = Math.max(view.start, t0 - BEFORE_SECONDS);
  return t0 - b0 >= episodeWindowSeconds(view) ? { startSeconds: b0, endSeconds: t0 } : null;
}

/** What moved with a truncation rise, from the request histograms before and during it. */
export function likelyCause(n: Omit<TruncationEpisode, 'likelyCause'>): string {
  const fell = (b: number | null, d: number | null) => b !== null && d !== null && b > 0 && d <= CAUSE_RATIO * b;
  if (fell(n.maxTokensMeanBefore, n.maxTokensMeanDuring)) return 'max-tokens-lowered';
  if (n.maxModelLenBefore !== null && n.maxModelLenDuring !== null && n.maxModelLenDuring < n.maxModelLenBefore) return 'max-model-len-lowered';
  const rise = (n.truncatedRatio ?? 0) - (n.baselineRatio ?? 0);
  if (n.nearLimitBeforeRatio !== null && n.nearLimitDuringRatio !== null && n.nearLimitDuringRatio - n.nearLimitBeforeRatio >= Math.max(NEAR_LIMIT_MIN_RISE, rise / 2)) return 'context-limit';
  if (n.outputMeanBefore !== null && n.outputMeanDuring !== null && n.outputMeanBefore > 0 && n.outputMeanDuring * CAUSE_RATIO >= n.outputMeanBefore) return 'longer-outputs';
  return 'unknown';
}

export function truncationNumbers(view: AnalysisView, scope: Scope, span: TimeSpan, before: TimeSpan | null, share: { ratio: number | null; baselineRatio: number | null; finished: number | null; counted: number | null }): TruncationEpisode {
  const mean = (base: Parameters<typeof meanBetween>[1]) => ({
    before: before ? meanBetween(view, base, scope, before.startSeconds, before.endSeconds) : null,
    during: meanBetween(view, base, scope, span.startSeconds, span.endSeconds),
  });
  const mt = mean('vllm:request_params_max_tokens');
  const out = mean('vllm:request_generation_tokens');
  const pr = mean('vllm:request_prompt_tokens');
  const mmlBefore = before ? view.readNum(scope, 'max_model_len', before.startSeconds) ?? null : null;
  const mmlDuring = view.readNum(scope, 'max_model_len', span.startSeconds) ?? null;
  // Prompts longer than max_model_len − the mean max_tokens: their answers are capped below max_tokens.
  const nearLimit = (s: TimeSpan | null, mml: number | null, maxTokens: number | null): number | null => {
    if (!s || mml === null || maxTokens === null) return null;
    const h = histogramBetween(view, 'vllm:request_prompt_tokens', scope, s.startSeconds, s.endSeconds);
    if (!h || !(h.count > 0)) return null;
    const x = mml - maxTokens;
    if (x <= 0) return 1;
    return Math.min(1, Math.max(0, 1 - cumulativeBelow(h.les, (j) => h.counts[j], x) / h.counts[h.counts.length - 1]));
  };
  const n = {
    truncatedRatio: share.ratio,
    baselineRatio: share.baselineRatio,
    finished: share.finished,
    truncated: share.counted,
    maxTokensMeanBefore: mt.before,
    maxTokensMeanDuring: mt.during,
    maxModelLenBefore: mmlBefore,
    maxModelLenDuring: mmlDuring,
    nearLimitBeforeRatio: nearLimit(before, mmlBefore, mt.before),
    nearLimitDuringRatio: nearLimit(span, mmlDuring, mt.during),
    outputMeanBefore: out.before,
    outputMeanDuring: out.during,
    promptMeanBefore: pr.before,
    promptMeanDuring: pr.during,
  };
  return { ...n, likelyCause: likelyCause(n) };
}

const rise = (n: { truncatedRatio: number | null; baselineRatio: number | null }) => (n.truncatedRatio ?? 0) - (n.baselineRatio ?? 0);
const severityOf = (eps: TypedEpisode<TruncationEpisode>[]): Severity => (eps.some((e) => rise(e.numbers) >= WARNING_RISE - 1e-12) ? 'warning' : 'info');

export default defineDiagnosis({
  code: 'TRUNCATION_RISE',
  needs: ['truncation-rise'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const s = signal('truncation-rise');
    const why = missing(s, 'truncation-rise');
    if (why) return notEvaluated(why);
    const ev = s!.evidence;
    let kind: 'episodes' | 'recent' = 'episodes';
    let episodes: TypedEpisode<TruncationEpisode>[];
    if (s!.episodes.length) {
      episodes = s!.episodes.map((e) =>
        episode(e, truncationNumbers(view, scope, e, beforeSpan(view, e.startSeconds), { ratio: e.numbers.ratio, baselineRatio: e.numbers.baselineRatio, finished: e.numbers.finished, counted: e.numbers.counted }), e.peakAtSeconds),
      );
    } else if (ev.recentRose && ev.recentStartSeconds !== null) {
      // Too gradual for any one window: the recent stretch against the rest.
      kind = 'recent';
      const span = { startSeconds: ev.recentStartSeconds, endSeconds: view.end };
      const before = { startSeconds: view.start, endSeconds: ev.recentStartSeconds };
      const late = shareBetween(view, scope, ['length'], span.startSeconds, span.endSeconds);
      episodes = [episode(span, truncationNumbers(view, scope, span, before, { ratio: ev.recentRatio, baselineRatio: ev.earlierRatio, finished: late?.total ?? null, counted: late?.part ?? null }))];
    } else return none;
    const worst = worstBy(episodes, (n) => rise(n))!;
    return found({ severity: severityOf(episodes), episodes, evidence: { ...worst.numbers, episodes: episodes.length, kind, windowRatio: ev.ratio }, proposals: [], incident: true });
  },
  refine(episodes, evidence) {
    const worst = worstBy(episodes, (n) => rise(n))!;
    return { severity: severityOf(episodes), evidence: { ...evidence, ...worst.numbers, episodes: episodes.length } };
  },
});
