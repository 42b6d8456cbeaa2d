// The quality section of the Result (model/quality-result.ts): per scope, how requests finished and
// how long prompts and answers were, over the window — or, for a single scrape, since each process
// started — and the recent stretch against the rest of the window. Episodes and findings are the
// detectors' (truncation-rise, abort-rise, length-drift); this is the table a reader checks them against.

import type { QualityRow, QualitySection, LengthStats, RecentQuality } from '../model/quality-result.js';
import type { HistogramName } from '../model/metric-catalog.js';
import { FINISH_REASONS, lengthShiftBetween, recentSplit, shareBetween } from './quality.js';
import { twoProportionZ } from '../stats/proportion.js';
import type { AnalysisView, Scope } from './view.js';

const PROMPT: HistogramName = 'vllm:request_prompt_tokens';
const OUTPUT: HistogramName = 'vllm:request_generation_tokens';

function lengthStats(view: AnalysisView, base: HistogramName, scope: Scope): LengthStats {
  const h = view.histogram(base, scope);
  return {
    requests: h ? h.count : null,
    mean: view.histogramMean(base, scope),
    p50: view.quantile(base, 0.5, scope)?.value ?? null,
    p95: view.quantile(base, 0.95, scope)?.value ?? null,
  };
}

function recent(view: AnalysisView, scope: Scope): RecentQuality | null {
  const split = recentSplit(view);
  if (!split) return null;
  const { earlier, recent: late } = split;
  const share = (reasons: readonly string[], s: typeof earlier) => shareBetween(view, scope, reasons, s.startSeconds, s.endSeconds);
  const te = share(['length'], earlier);
  const tr = share(['length'], late);
  const ae = share(['abort', 'error'], earlier);
  const ar = share(['abort', 'error'], late);
  const z = (a: typeof te, b: typeof te) => (a && b ? twoProportionZ(b.part, b.total, a.part, a.total) : null);
  const p = lengthShiftBetween(view, PROMPT, scope, earlier, late);
  const o = lengthShiftBetween(view, OUTPUT, scope, earlier, late);
  return {
    earlierStartSeconds: earlier.startSeconds,
    recentStartSeconds: late.startSeconds,
    endSeconds: late.endSeconds,
    truncatedEarlierRatio: te?.ratio ?? null,
    truncatedRecentRatio: tr?.ratio ?? null,
    truncatedZ: z(te, tr),
    abortedEarlierRatio: ae?.ratio ?? null,
    abortedRecentRatio: ar?.ratio ?? null,
    abortedZ: z(ae, ar),
    promptPsi: p?.psi ?? null,
    outputPsi: o?.psi ?? null,
    promptMeanEarlier: p?.meanBefore ?? null,
    promptMeanRecent: p?.meanAfter ?? null,
    outputMeanEarlier: o?.meanBefore ?? null,
    outputMeanRecent: o?.meanAfter ?? null,
  };
}

export function qualityRow(view: AnalysisView, scope: Scope): QualityRow {
  const finished = view.total('vllm:request_success_total', scope);
  const reasons = [...new Set(view.series('vllm:request_success_total', scope).map((s) => s.labels.finished_reason).filter((r): r is string => r !== undefined))];
  const order = (r: string) => {
    const i = (FINISH_REASONS as readonly string[]).indexOf(r);
    return i < 0 ? FINISH_REASONS.length : i;
  };
  reasons.sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
  const byReason = reasons.map((reason) => ({ reason, requests: view.total('vllm:request_success_total', scope, { finished_reason: reason }) ?? 0 }));
  const count = (r: string) => byReason.find((x) => x.reason === r)?.requests;
  const ratio = (r: string) => (finished && finished > 0 && reasons.length && count(r) !== undefined ? count(r)! / finished : null);
  return {
    scope,
    finished,
    byReason,
    truncatedRatio: ratio('length'),
    abortedRatio: ratio('abort'),
    erroredRatio: ratio('error'),
    prompt: lengthStats(view, PROMPT, scope),
    output: lengthStats(view, OUTPUT, scope),
    maxTokensMean: view.histogramMean('vllm:request_params_max_tokens', scope),
    recent: view.snapshot ? null : recent(view, scope),
  };
}

/** The section, or null when the inputs carry neither the success counter nor the length histograms. */
export function qualitySection(view: AnalysisView): QualitySection | null {
  const has = (n: string) => view.has(n);
  if (!has('vllm:request_success_total') && !has('vllm:request_prompt_tokens_bucket') && !has('vllm:request_generation_tokens_bucket')) return null;
  const rows = view.scopes().map((s) => qualityRow(view, s));
  const caveats: string[] = [];
  if (view.snapshot) caveats.push('since-process-start');
  const labelled = view.series('vllm:request_success_total').some((s) => s.labels.finished_reason !== undefined);
  if (has('vllm:request_success_total') && !labelled) caveats.push('no-finished-reason');
  if (rows.some((r) => r.byReason.some((x) => x.reason === 'abort') && (r.finished ?? 0) > 0 && (r.abortedRatio ?? 0) === 0)) caveats.push('abort-not-counted');
  if (!has('vllm:request_prompt_tokens_bucket') && !has('vllm:request_generation_tokens_bucket')) caveats.push('no-length-histograms');
  return { sinceProcessStart: view.snapshot, rows, caveats };
}
