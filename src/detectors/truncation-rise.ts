// Truncation rise: the share of finished requests cut at max_tokens or max_model_len
// (`vllm:request_success_total{finished_reason="length"}`) rises above its baseline — answers that end
// mid-sentence, a quality regression no latency or error metric shows. Found per replica on sliding
// windows against a frozen trailing baseline (derive/quality.ts), with a pooled two-proportion test and
// a floor on the size of the rise; the recent stretch (last day, or second half) is also compared with
// the rest of the window, for a rise too gradual for any one window.

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { finishedIntervals, firstHolding, recentSplit, shareBetween, shareEdges, shareRiseScan, shareRose, type ShareRiseOptions, type ShareScan } from '../derive/quality.js';
import { twoProportionZ } from '../stats/proportion.js';
import { nanMax } from '../stats/summary.js';
import type { AnalysisView, Scope } from '../derive/view.js';
import type { ShareEvidence, ShareEpisode } from './evidence.js';
import type { GridRun } from '../derive/episodes.js';

export const TRUNCATION_OPTIONS = {
  /** Finished requests a 5-minute window needs before its share counts (0.1 requests/s). Judgement call. */
  minWindowRequests: 30,
  /** The baseline: the last hour of intervals whose own window showed no rise … */
  baselineSeconds: 3600,
  /** … scored once it holds a quarter hour and 100 finished requests. */
  minBaselineSeconds: 900,
  minBaselineRequests: 100,
  /**
   * One-sided z at or above which the rise is more than chance. A 7-day window holds about 2,000
   * independent 5-minute windows; at z ≥ 4 (p ≈ 3e-5 each) chance alone gives about 0.06 of them.
   */
  z: 4,
  /** The share must rise by 5 points (one more answer in 20 cut) … Judgement call. */
  minRise: 0.05,
  /** … and by half its baseline (3 % → 4.5 % is not a regression worth a finding; 3 % → 8 % is). Judgement call. */
  minRatio: 1.5,
  /** A regression is a state: it must last 10 minutes (one client's burst of small max_tokens does not). Judgement call. */
  minEpisodeSeconds: 600,
} satisfies ShareRiseOptions & { minEpisodeSeconds: number };

/** Share evidence over the window and recent vs earlier, for the reasons counted. */
export function shareEvidence(view: AnalysisView, scope: Scope, reasons: readonly string[], o: ShareRiseOptions): ShareEvidence {
  const all = shareBetween(view, scope, reasons, view.start, view.end);
  const split = recentSplit(view);
  const early = split && shareBetween(view, scope, reasons, split.earlier.startSeconds, split.earlier.endSeconds);
  const late = split && shareBetween(view, scope, reasons, split.recent.startSeconds, split.recent.endSeconds);
  const enough = !!(split?.lastDay && early && late && early.total >= o.minBaselineRequests && late.total >= o.minWindowRequests);
  return {
    finished: all?.total ?? null,
    counted: all?.part ?? null,
    ratio: all?.ratio ?? null,
    earlierRatio: early?.ratio ?? null,
    recentRatio: late?.ratio ?? null,
    recentZ: early && late ? twoProportionZ(late.part, late.total, early.part, early.total) : null,
    recentRose: enough && shareRose(late!.part, late!.total, early!.part, early!.total, o),
    recentStartSeconds: split?.recent.startSeconds ?? null,
  };
}

/** The numbers of one share episode: over its span, against the frozen baseline it was found on. */
export function shareEpisode(view: AnalysisView, scope: Scope, reasons: readonly string[], scan: ShareScan, t0: number, t1: number, run: GridRun): ShareEpisode {
  const s = shareBetween(view, scope, reasons, t0, t1);
  const peak = nanMax(scan.windowShare.subarray(run.startIndex, run.endIndex + 1));
  const b = scan.baselineShare[firstHolding(scan, run)];
  return { ratio: s?.ratio ?? null, baselineRatio: b === b ? b : null, finished: s?.total ?? null, counted: s?.part ?? null, peakWindowRatio: Number.isFinite(peak) ? peak : null };
}

export default defineDetector({
  id: 'truncation-rise',
  requires: ['vllm:request_success_total'],
  perReplica: true,
  options: TRUNCATION_OPTIONS,
  detect(view, o, scope) {
    const f = finishedIntervals(view, scope);
    if (!f) return insufficient('vllm:request_success_total carries no finished_reason label in this scope');
    if (!f.reasons.includes('length')) return insufficient(`no finished_reason="length" series (reasons: ${f.reasons.join(', ')})`);
    const scan = shareRiseScan(view, f.length, f.total, o);
    const episodes = findEpisodes(view, {
      holds: (i) => scan.holds[i] === 1,
      peakOf: scan.windowShare,
      minSeconds: o.minEpisodeSeconds,
      edges: shareEdges(view, f.length, f.total, scan),
      numbers: (t0, t1, run) => shareEpisode(view, scope, ['length'], scan, t0, t1, run),
    });
    return verdict<'truncation-rise'>(shareEvidence(view, scope, ['length'], o), episodes);
  },
});
