// Length drift: the distribution of prompt lengths or of output lengths (vllm:request_prompt_tokens,
// vllm:request_generation_tokens) moves away from its baseline — new traffic (a longer system prompt,
// a RAG pipeline), or a model that now answers differently. Measured as the population stability index
// (PSI) over the histogram's own buckets, on sliding windows against a frozen trailing baseline
// (derive/quality.ts), and recent vs earlier (the last day, or the second half).

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { drifted, edgeReach, firstHolding, histogramLlr, stepEdges, lengthDriftScan, lengthShiftBetween, meanBetween, recentSplit, type DriftOptions, type DriftScan } from '../derive/quality.js';
import { episodeWindowSeconds, histogramBetween } from '../derive/windowed.js';
import { psi } from '../stats/proportion.js';
import type { AnalysisView, Scope } from '../derive/view.js';
import type { HistogramName } from '../model/metric-catalog.js';
import type { GridRun } from '../derive/episodes.js';

const PROMPT: HistogramName = 'vllm:request_prompt_tokens';
const OUTPUT: HistogramName = 'vllm:request_generation_tokens';

export const DRIFT_OPTIONS = {
  /**
   * Requests a window needs: with about ten occupied buckets, two samples of the same traffic show a PSI
   * of about 9 × (1/200 + 1/n_baseline) ≈ 0.05 (stats/proportion.ts, psiNoiseFloor), a fifth of the threshold.
   */
  minWindowRequests: 200,
  /** At low traffic the window widens (in whole grid steps) to hold them, up to an hour. Judgement call. */
  maxWindowSeconds: 3600,
  baselineSeconds: 3600,
  minBaselineSeconds: 900,
  minBaselineRequests: 500,
  /**
   * PSI ≥ 0.25 is the usual "major shift" mark (< 0.1 stable, 0.1–0.25 moderate, from credit-score
   * monitoring). On vLLM's 1-2-5 token buckets a doubled median moves most requests by one bucket, about
   * PSI 0.5–1. Judgement call.
   */
  psiThreshold: 0.25,
  /** And the mean moved by a quarter either way (a shape change at the same mean does not change capacity or answers much). Judgement call. */
  minMeanRatio: 1.25,
  /**
   * A drift is a state: a new traffic mix or a model that answers differently lasts. It must hold an hour
   * (half the window on windows under two hours); shorter stretches are bursts, and a burst that matters
   * causes an incident, in whose context its length distance is shown. Judgement call.
   */
  minEpisodeSeconds: 3600,
} satisfies DriftOptions & { minEpisodeSeconds: number };

/** PSI and means of an episode's histogram against the baseline a scan compared its first drifted point with. */
function episodeShift(view: AnalysisView, base: HistogramName, scope: Scope, scan: DriftScan | null, t0: number, t1: number, run: GridRun): { psi: number | null; before: number | null; during: number | null; drifted: boolean; requests: number | null } {
  if (!scan) return { psi: null, before: null, during: null, drifted: false, requests: null };
  let at = -1;
  for (let i = run.startIndex; i <= run.endIndex; i++) if (scan.holds[i]) { at = i; break; }
  const drift = at >= 0;
  if (!drift) for (let i = run.startIndex; i <= run.endIndex; i++) if (scan.scored[i]) { at = i; break; }
  const h = histogramBetween(view, base, scope, t0, t1);
  const during = meanBetween(view, base, scope, t0, t1);
  if (at < 0 || !h || !(h.count > 0)) return { psi: null, before: null, during, drifted: drift, requests: h?.count ?? null };
  const B = scan.les.length;
  const b = scan.baseline.slice(0, B).map((a) => a[at]);
  // The episode's histogram on the scan's layout (the same series, so the same bounds).
  const counts = scan.les.map((le) => {
    const j = h.les.indexOf(le);
    return j < 0 ? NaN : h.counts[j];
  });
  const per = counts.map((c, j) => Math.max(0, c - (j > 0 ? counts[j - 1] : 0)));
  const p = counts.some((c) => c !== c) ? NaN : psi(b, per);
  const sum = scan.baseline[B][at];
  const cnt = scan.baseline[B + 1][at];
  return { psi: Number.isFinite(p) ? p : null, before: cnt > 0 && Number.isFinite(sum) ? sum / cnt : null, during, drifted: drift, requests: h.count };
}

export default defineDetector({
  id: 'length-drift',
  requires: [],
  perReplica: true,
  options: DRIFT_OPTIONS,
  detect(view, o, scope) {
    const prompt = lengthDriftScan(view, PROMPT, scope, o);
    const output = lengthDriftScan(view, OUTPUT, scope, o);
    if (!prompt && !output) return insufficient('neither vllm:request_prompt_tokens nor vllm:request_generation_tokens is in this scope');
    const episodes = findEpisodes(view, {
      holds: (i) => (prompt?.holds[i] ?? 0) === 1 || (output?.holds[i] ?? 0) === 1,
      peakOf: output?.psi ?? prompt?.psi ?? null,
      minSeconds: Math.min(o.minEpisodeSeconds, Math.max(episodeWindowSeconds(view), (view.end - view.start) / 2)),
      edges: (run) => {
        // The step of the distributions that moved in this run, each against its own baseline.
        const parts = [prompt, output].flatMap((sc) => {
          if (!sc) return [];
          const at = firstHolding(sc, run);
          if (!sc.holds[at]) return [];
          const f = histogramLlr(sc.buckets, sc.baseline.slice(0, sc.les.length).map((a) => a[at]), run);
          return f ? [f] : [];
        });
        if (!parts.length) return run;
        return stepEdges(run, view.grid.length, edgeReach(view), (j) => parts.reduce((x, f) => x + f(j), 0));
      },
      numbers: (t0, t1, run) => {
        const p = episodeShift(view, PROMPT, scope, prompt, t0, t1, run);
        const q = episodeShift(view, OUTPUT, scope, output, t0, t1, run);
        return {
          dimension: p.drifted && q.drifted ? 'both' : q.drifted ? 'output' : 'prompt',
          promptPsi: p.psi,
          outputPsi: q.psi,
          promptMeanBefore: p.before,
          promptMeanDuring: p.during,
          outputMeanBefore: q.before,
          outputMeanDuring: q.during,
          requests: q.requests ?? p.requests,
        };
      },
    });
    // Recent vs earlier, for a drift too gradual for any one window.
    const split = recentSplit(view);
    const shift = (base: HistogramName) => (split ? lengthShiftBetween(view, base, scope, split.earlier, split.recent) : null);
    const sp = shift(PROMPT);
    const so = shift(OUTPUT);
    const moved = (x: typeof sp) => !!split?.lastDay && !!x && x.psi !== null && x.requestsBefore >= o.minBaselineRequests && x.requestsAfter >= o.minWindowRequests && drifted(x.psi, x.meanAfter ?? NaN, x.meanBefore ?? NaN, o);
    const mp = moved(sp);
    const mo = moved(so);
    return verdict<'length-drift'>(
      {
        windowSeconds: Math.max(prompt?.windowSeconds ?? 0, output?.windowSeconds ?? 0),
        promptPsiRecent: sp?.psi ?? null,
        outputPsiRecent: so?.psi ?? null,
        promptMeanEarlier: sp?.meanBefore ?? null,
        promptMeanRecent: sp?.meanAfter ?? null,
        outputMeanEarlier: so?.meanBefore ?? null,
        outputMeanRecent: so?.meanAfter ?? null,
        recentDrift: mp && mo ? 'both' : mp ? 'prompt' : mo ? 'output' : 'none',
        recentStartSeconds: split?.recent.startSeconds ?? null,
      },
      episodes,
    );
  },
});
