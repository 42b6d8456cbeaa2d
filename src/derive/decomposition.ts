// Latency decomposition: where a request's time went — waiting, prefill, decode — against TTFT and
// end-to-end latency, per scope and for any time span, from the `_sum`/`_count` increases of vLLM's
// request histograms. Means add up, quantiles do not, so only means are decomposed.
//
// What each histogram covers in vLLM V1 (vllm/v1/metrics/stats.py, `update_from_finished_request`; the
// timestamps are the engine core's, per request):
//   request_queue_time_seconds      first QUEUED → first SCHEDULED (the first wait only)
//   request_prefill_time_seconds    first SCHEDULED → first token (a preemption during prefill included)
//   request_decode_time_seconds     first token → last token (preemptions during decode included)
//   request_inference_time_seconds  first SCHEDULED → last token (= prefill + decode)
// all observed when the request finishes. TTFT (`time_to_first_token_seconds`) and end-to-end
// (`e2e_request_latency_seconds`) are measured in the API server from the request's arrival: they also
// hold tokenization, the hand-off to the engine core and back, and detokenization — the residuals.
// TTFT is observed at the first token, the others at the end of the request.

import type { LatencyDecomposition } from '../model/result.js';
import { histogramParts, type HistogramName } from '../model/metric-catalog.js';
import { totalBetween } from './windowed.js';
import type { AnalysisView, Scope } from './view.js';

export const DECOMPOSITION_METRICS = {
  queue: 'vllm:request_queue_time_seconds',
  prefill: 'vllm:request_prefill_time_seconds',
  decode: 'vllm:request_decode_time_seconds',
  inference: 'vllm:request_inference_time_seconds',
  ttft: 'vllm:time_to_first_token_seconds',
  e2e: 'vllm:e2e_request_latency_seconds',
} as const;

type Part = keyof typeof DECOMPOSITION_METRICS;

/** Request counts of two histograms differing by more than this share are called out. */
export const COUNT_MISMATCH_RATIO = 0.02;
/** A span shorter than this many mean end-to-end latencies mixes requests observed at first token and at completion. */
export const SHORT_SPAN_REQUESTS = 10;

interface SumCount {
  sum: number | null;
  count: number | null;
}

function sumCount(view: AnalysisView, base: HistogramName, scope: Scope, t0: number, t1: number, whole: boolean): SumCount {
  const p = histogramParts(base);
  if (whole) return { sum: view.total(p.sum, scope), count: view.total(p.count, scope) };
  return { sum: totalBetween(view, p.sum, scope, t0, t1), count: totalBetween(view, p.count, scope, t0, t1) };
}

function meanOf(x: SumCount): number | null {
  return x.sum !== null && x.count !== null && x.count > 0 ? x.sum / x.count : null;
}

/**
 * Mean seconds per request of each phase over [t0, t1] in one scope, and how well they add up:
 * TTFT ≈ queue + prefill, end-to-end ≈ queue + prefill + decode; the residuals are what the API
 * server adds (see the file header). Null fields where a histogram is absent or saw no request.
 */
export function decomposeLatency(view: AnalysisView, scope: Scope, t0: number, t1: number): LatencyDecomposition {
  const whole = t0 <= view.start && t1 >= view.end;
  const sc = {} as Record<Part, SumCount>;
  const mean = {} as Record<Part, number | null>;
  for (const k of Object.keys(DECOMPOSITION_METRICS) as Part[]) {
    sc[k] = sumCount(view, DECOMPOSITION_METRICS[k], scope, t0, t1, whole);
    mean[k] = meanOf(sc[k]);
  }
  const add = (...xs: (number | null)[]) => (xs.every((x) => x !== null) ? xs.reduce((a, b) => a! + b!, 0)! : null);
  const queuePrefill = add(mean.queue, mean.prefill);
  const allPhases = add(mean.queue, mean.prefill, mean.decode);
  const caveats: string[] = [];

  const absent = (Object.keys(DECOMPOSITION_METRICS) as Part[]).filter((k) => !view.has(histogramParts(DECOMPOSITION_METRICS[k]).count));
  if (absent.length) caveats.push(`not in the inputs: ${absent.map((k) => DECOMPOSITION_METRICS[k]).join(', ')}`);

  const nQueue = sc.queue.count;
  const nTtft = sc.ttft.count;
  if (nQueue !== null && nTtft !== null && nTtft > 0 && Math.abs(nQueue - nTtft) / nTtft > COUNT_MISMATCH_RATIO) {
    caveats.push(
      `the phase histograms counted ${Math.round(nQueue)} requests and TTFT ${Math.round(nTtft)}: the phases are observed when a request finishes, TTFT at its first token, so requests still running at the end of the span (or aborted) are in one and not the other`,
    );
  }
  if (!whole && mean.e2e !== null && t1 - t0 < SHORT_SPAN_REQUESTS * mean.e2e) {
    caveats.push(`the span (${Math.round(t1 - t0)} s) is less than ${SHORT_SPAN_REQUESTS} mean request durations (${fmt(mean.e2e)}): the requests behind the TTFT mean and those behind the phase means overlap only in part`);
  }
  const pre = whole ? view.total('vllm:num_preemptions_total', scope) : totalBetween(view, 'vllm:num_preemptions_total', scope, t0, t1);
  if (pre !== null && pre > 0) {
    caveats.push(`${Math.round(pre)} preemptions in the span: a preempted request's second wait is counted in its prefill or decode time, not in the queue time (vLLM V1 measures the queue to the first scheduling only)`);
  }
  const ttftResidual = mean.ttft !== null && queuePrefill !== null ? mean.ttft - queuePrefill : null;
  const e2eResidual = mean.e2e !== null && allPhases !== null ? mean.e2e - allPhases : null;
  if (ttftResidual !== null && ttftResidual < 0 && mean.ttft !== null && -ttftResidual > 0.05 * mean.ttft) {
    caveats.push(`TTFT is ${fmt(-ttftResidual)} below queue + prefill: the two are measured by different processes (API server from arrival, engine core from queueing) over requests observed at different moments`);
  }
  return {
    scope,
    startSeconds: Math.max(t0, view.start),
    endSeconds: Math.min(t1, view.end),
    queueMeanSeconds: mean.queue,
    prefillMeanSeconds: mean.prefill,
    decodeMeanSeconds: mean.decode,
    inferenceMeanSeconds: mean.inference,
    ttftMeanSeconds: mean.ttft,
    e2eMeanSeconds: mean.e2e,
    queueCount: sc.queue.count,
    prefillCount: sc.prefill.count,
    decodeCount: sc.decode.count,
    ttftCount: sc.ttft.count,
    e2eCount: sc.e2e.count,
    ttftResidualSeconds: ttftResidual,
    e2eResidualSeconds: e2eResidual,
    caveats,
  };
}

/** The whole window per scope (fleet and each replica); empty when no phase histogram is present. */
export function latencyDecompositionRows(view: AnalysisView): LatencyDecomposition[] {
  const phases = [DECOMPOSITION_METRICS.queue, DECOMPOSITION_METRICS.prefill, DECOMPOSITION_METRICS.decode];
  if (!phases.some((m) => view.has(histogramParts(m).count))) return [];
  const rows: LatencyDecomposition[] = [];
  for (const scope of view.scopes()) {
    const r = decomposeLatency(view, scope, view.start, view.end);
    // No phase histogram, or none that saw a request (a scrape taken before any traffic): nothing to decompose.
    if (!((r.queueCount ?? 0) > 0 || (r.prefillCount ?? 0) > 0 || (r.decodeCount ?? 0) > 0)) continue;
    if (view.snapshot) r.caveats.unshift('from a single scrape: cumulative since each process started, not over a window');
    rows.push(r);
  }
  return rows;
}

function fmt(s: number): string {
  return s < 1 ? `${+(s * 1000).toPrecision(3)} ms` : `${+s.toPrecision(3)} s`;
}
