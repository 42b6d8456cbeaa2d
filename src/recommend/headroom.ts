// The capacity model of a configuration group, built on what its replicas did in the window
// (docs/capacity.md, "Capacity model"):
//
// - step time against batch size: the mean time between tokens of each 5-minute bin against the mean
//   number of running sequences in it, τ(b) = τ₀ + τ₁·b (OLS). The concurrency of a bin is measured by
//   Little's law on the inference-time histogram (Σ running seconds of the requests ÷ bin length), not
//   by the running gauge: a gauge read once per scrape is a noisy snapshot, and noise in x flattens the
//   fitted slope (on a 10-minute scrape, by half);
// - service time: S(b) = S_p + (o − 1)·τ₁·(b − b_p), the measured running time per request at the peak
//   moved along the step-time line (o output tokens, one inter-token gap each after the first);
// - Little's law: a replica at b running sequences finishes λ(b) = b ÷ S(b) requests/s, and at λ it runs
//   b(λ) = λ·A ÷ (1 − λ·C) with S(b) = A + C·b;
// - limits: the running cap (max_num_seqs), the KV pool (0.9 × pool ÷ KV tokens per running sequence), the
//   token budget (prefill tokens per step + decodes ≤ max_num_batched_tokens) — past any of them a queue
//   forms; and the latency targets: time between tokens (the share of tokens over the target reaches 5 %,
//   modelled as k·λ·τ — tokens slowed by steps that carry a prefill — or the mean reaches the target) and
//   TTFT (breaks when a queue forms, or already at the peak).
//
// Per replica; the group's capacity is the per-replica capacity × its replicas.

import type { AnalysisView, Scope } from '../derive/view.js';
import type { CapacityLimit, LimitKind, PeakMix, StepTimeModel } from '../model/capacity-result.js';
import { binsOf, counterBins, gaugeBins, histogramBins, type HistogramBins } from '../derive/bins.js';
import { finishedBins } from '../derive/demand.js';
import { cumulativeBelow } from '../derive/windowed.js';
import { histogramQuantile } from '../stats/promql.js';
import { ols } from '../stats/regression.js';
import { KV_HEADROOM } from './capacity.js';

/** The targets are p95s: a target breaks when more than 5 % of observations are over it. */
export const OVER_TARGET_BUDGET = 0.05;
/** A bin enters the step-time fit with at least this many inter-token gaps (fewer: too noisy). Judgement call. */
export const MIN_BIN_TOKENS = 50;
/** Bins needed for a step-time fit. */
export const MIN_FIT_POINTS = 6;

/** Which replica's bins belong to the group. */
export interface Membership {
  replicas: readonly Scope[];
  member(replica: Scope, bin: number): boolean;
}

function ratio(a: number, b: number): number | null {
  return b > 0 && Number.isFinite(a) ? a / b : null;
}

/** Share of a histogram bin's observations above `x` (linear inside the bucket holding x), NaN when empty. */
function shareAbove(h: HistogramBins, k: number, x: number): number {
  const total = h.buckets[h.les.length - 1][k];
  if (!(total > 0)) return NaN;
  return Math.min(1, Math.max(0, 1 - cumulativeBelow(h.les, (j) => h.buckets[j][k], x) / total));
}

/** Mean concurrency per bin of one replica: Σ inference seconds ÷ bin length, or the running gauge. */
function concurrencyBins(view: AnalysisView, r: Scope): { values: Float64Array; source: 'inference-time' | 'running-gauge' } | null {
  const inf = counterBins(view, 'vllm:request_inference_time_seconds_sum', r);
  const w = binsOf(view).width;
  if (inf) return { values: inf.map((x) => x / w), source: 'inference-time' };
  const g = gaugeBins(view, 'vllm:num_requests_running', r, 'sum');
  return g ? { values: g, source: 'running-gauge' } : null;
}

/** The step-time line and the tail model over every bin of the group's replicas with enough tokens. */
export function stepTimeModel(view: AnalysisView, m: Membership, tbtTargetSeconds: number): StepTimeModel | null {
  const w = binsOf(view).width;
  const xs: number[][] = [];
  const ys: number[] = [];
  const tail: { x: number; s: number }[] = [];
  let source: 'inference-time' | 'running-gauge' | null = null;
  let lamMax = 0;
  for (const r of m.replicas) {
    const itl = histogramBins(view, 'vllm:inter_token_latency_seconds', r);
    const conc = concurrencyBins(view, r);
    const fin = finishedBins(view, r);
    if (!itl || !itl.sum || !conc || !fin) continue;
    if (source && source !== conc.source) continue;
    source = conc.source;
    for (let k = 0; k < itl.count.length; k++) {
      if (!m.member(r, k)) continue;
      const n = itl.count[k];
      const b = conc.values[k];
      const lam = fin[k] / w;
      if (!(n >= MIN_BIN_TOKENS) || !(b > 0) || !(lam > 0)) continue;
      const tau = itl.sum[k] / n;
      if (!(tau > 0)) continue;
      xs.push([1, b]);
      ys.push(tau);
      lamMax = Math.max(lamMax, lam);
      const s = shareAbove(itl, k, tbtTargetSeconds);
      if (s === s) tail.push({ x: lam * tau, s });
    }
  }
  if (!source || ys.length < MIN_FIT_POINTS) return null;
  const fit = ols(xs, ys);
  if (!fit) return null;
  const bs = xs.map((x) => x[1]);
  let sxy = 0;
  let sxx = 0;
  for (const p of tail) {
    sxy += p.x * p.s;
    sxx += p.x * p.x;
  }
  const k = sxx > 0 && sxy > 0 ? sxy / sxx : null;
  let tailR2: number | null = null;
  if (k !== null) {
    const mean = tail.reduce((s, p) => s + p.s, 0) / tail.length;
    let ssr = 0;
    let sst = 0;
    for (const p of tail) {
      ssr += (p.s - k * p.x) ** 2;
      sst += (p.s - mean) ** 2;
    }
    tailR2 = sst > 0 ? 1 - ssr / sst : null;
  }
  return {
    interceptSeconds: fit.beta[0],
    slopeSecondsPerSequence: fit.beta[1],
    slopeStandardError: fit.se[1],
    r2: Number.isFinite(fit.r2) ? fit.r2 : null,
    points: ys.length,
    concurrencyMin: Math.min(...bs),
    concurrencyMax: Math.max(...bs),
    requestsPerSecondMax: lamMax,
    concurrencySource: source,
    tailK: k,
    tailR2,
  };
}

/** Sum of histogram bins over the selected (replica, bin) pairs: counts per le, count, sum. */
function pooled(view: AnalysisView, base: Parameters<typeof histogramBins>[1], m: Membership, bins: readonly number[]): { les: number[]; counts: number[]; count: number; sum: number } | null {
  let les: number[] | null = null;
  let counts: number[] = [];
  let count = 0;
  let sum = 0;
  let any = false;
  for (const r of m.replicas) {
    const h = histogramBins(view, base, r);
    if (!h) continue;
    if (!les) {
      les = h.les;
      counts = new Array<number>(les.length).fill(0);
    }
    if (h.les.length !== les.length || h.les.some((x, i) => x !== les![i])) continue;
    for (const k of bins) {
      if (!m.member(r, k) || !(h.count[k] === h.count[k])) continue;
      any = true;
      for (let j = 0; j < les.length; j++) counts[j] += h.buckets[j][k] === h.buckets[j][k] ? h.buckets[j][k] : 0;
      count += h.count[k];
      if (h.sum && h.sum[k] === h.sum[k]) sum += h.sum[k];
    }
  }
  return les && any ? { les, counts, count, sum } : null;
}

function meanOf(p: { count: number; sum: number } | null): number | null {
  return p && p.count > 0 ? p.sum / p.count : null;
}

/** Quantile of a pooled histogram (null when empty). */
export function pooledQuantile(p: { les: number[]; counts: number[] } | null, q: number): number | null {
  if (!p || !(p.counts[p.counts.length - 1] > 0)) return null;
  const v = histogramQuantile(q, p.les, p.counts);
  return Number.isFinite(v) ? v : null;
}

/** Share of a pooled histogram above x. */
function pooledShareAbove(p: { les: number[]; counts: number[] } | null, x: number): number | null {
  if (!p) return null;
  const total = p.counts[p.counts.length - 1];
  if (!(total > 0)) return null;
  return Math.min(1, Math.max(0, 1 - cumulativeBelow(p.les, (j) => p.counts[j], x) / total));
}

export function pooledHistogram(view: AnalysisView, base: Parameters<typeof histogramBins>[1], m: Membership, bins: readonly number[]) {
  return pooled(view, base, m, bins);
}

/** Sum of a counter over selected (replica, bin) pairs (null when absent everywhere). */
function pooledCounter(view: AnalysisView, name: Parameters<typeof counterBins>[1], m: Membership, bins: readonly number[]): number | null {
  let s = 0;
  let any = false;
  for (const r of m.replicas) {
    const c = counterBins(view, name, r);
    if (!c) continue;
    for (const k of bins) {
      if (!m.member(r, k) || c[k] !== c[k]) continue;
      s += c[k];
      any = true;
    }
  }
  return any ? s : null;
}

/** The traffic mix and state at the peak bins (per replica), from which the limits are computed. */
export function peakMix(view: AnalysisView, m: Membership, bins: readonly number[], slo: { ttftSeconds: number; tbtSeconds: number }, poolTokens: number | null): PeakMix {
  const w = binsOf(view).width;
  let replicaBins = 0;
  for (const r of m.replicas) for (const k of bins) if (m.member(r, k) && finishedBins(view, r)?.[k] === finishedBins(view, r)?.[k]) replicaBins++;
  const seconds = replicaBins * w;
  const finished = (() => {
    let s = 0;
    let any = false;
    for (const r of m.replicas) {
      const f = finishedBins(view, r);
      if (!f) continue;
      for (const k of bins) if (m.member(r, k) && f[k] === f[k]) {
        s += f[k];
        any = true;
      }
    }
    return any ? s : null;
  })();
  const prompt = pooled(view, 'vllm:request_prompt_tokens', m, bins);
  const output = pooled(view, 'vllm:request_generation_tokens', m, bins);
  const computed = pooled(view, 'vllm:request_prefill_kv_computed_tokens', m, bins);
  const inference = pooled(view, 'vllm:request_inference_time_seconds', m, bins);
  const prefill = pooled(view, 'vllm:request_prefill_time_seconds', m, bins);
  const itl = pooled(view, 'vllm:inter_token_latency_seconds', m, bins);
  const ttft = pooled(view, 'vllm:time_to_first_token_seconds', m, bins);
  const promptMean = meanOf(prompt);
  let uncached: number | null = null;
  let uncachedSource: PeakMix['uncachedSource'] = 'none';
  if (meanOf(computed) !== null) {
    uncached = meanOf(computed);
    uncachedSource = 'kv-computed-histogram';
  } else if (promptMean !== null) {
    const q = pooledCounter(view, 'vllm:prefix_cache_queries_total', m, bins);
    const h = pooledCounter(view, 'vllm:prefix_cache_hits_total', m, bins);
    if (q !== null && h !== null && q > 0) {
      uncached = promptMean * (1 - Math.min(1, h / q));
      uncachedSource = 'prefix-hit-ratio';
    } else {
      uncached = promptMean;
    }
  }
  // Concurrency at the peak (Little's law on the inference time, else the gauge).
  let conc: number | null = null;
  const inferenceSum = pooledCounter(view, 'vllm:request_inference_time_seconds_sum', m, bins);
  if (inferenceSum !== null && seconds > 0) conc = inferenceSum / seconds;
  else {
    let s = 0;
    let n = 0;
    for (const r of m.replicas) {
      const g = gaugeBins(view, 'vllm:num_requests_running', r, 'sum');
      if (!g) continue;
      for (const k of bins) if (m.member(r, k) && g[k] === g[k]) {
        s += g[k];
        n++;
      }
    }
    conc = n ? s / n : null;
  }
  // KV tokens per running sequence: Σ (KV usage × pool) ÷ Σ running over the same bins (both gauges).
  let kvPerSeq: number | null = null;
  let kvSource: PeakMix['kvSource'] = 'none';
  if (poolTokens !== null) {
    let kvTokens = 0;
    let running = 0;
    for (const r of m.replicas) {
      const kv = gaugeBins(view, 'vllm:kv_cache_usage_perc', r, 'avg');
      const run = gaugeBins(view, 'vllm:num_requests_running', r, 'sum');
      if (!kv || !run) continue;
      for (const k of bins) {
        if (!m.member(r, k) || kv[k] !== kv[k] || run[k] !== run[k]) continue;
        kvTokens += kv[k] * poolTokens;
        running += run[k];
      }
    }
    if (running > 0 && kvTokens > 0) {
      kvPerSeq = kvTokens / running;
      kvSource = 'kv-usage';
    }
  }
  const outputMean = meanOf(output);
  if (kvPerSeq === null && promptMean !== null && outputMean !== null) {
    kvPerSeq = promptMean + outputMean;
    kvSource = 'footprint';
  }
  return {
    bins: bins.length,
    requestsPerSecondPerReplica: finished !== null && seconds > 0 ? finished / seconds : null,
    promptMeanTokens: promptMean,
    outputMeanTokens: outputMean,
    uncachedPromptMeanTokens: uncached,
    uncachedSource,
    serviceMeanSeconds: meanOf(inference),
    prefillMeanSeconds: meanOf(prefill),
    concurrencyMean: conc,
    tbtMeanSeconds: meanOf(itl),
    tbtOverTargetRatio: pooledShareAbove(itl, slo.tbtSeconds),
    ttftOverTargetRatio: pooledShareAbove(ttft, slo.ttftSeconds),
    kvTokensPerSequence: kvPerSeq,
    kvSource,
    poolTokens,
  };
}

/** The settings the limits read, as known for the group (a bound when only a bound is known). */
export interface GroupSettings {
  maxNumSeqs: number | null;
  maxNumSeqsBound?: 'lower' | 'upper';
  maxNumSeqsSource: string | null;
  maxNumBatchedTokens: number | null;
  poolTokens: number | null;
}

export interface CapacityModel {
  limits: CapacityLimit[];
  queueRequestsPerSecond: number | null;
  capacityRequestsPerSecond: number | null;
  limitedBy: LimitKind | null;
}

/** Bisection for the smallest λ in (0, hi) where f(λ) ≥ 0 (f increasing); null when f(hi) < 0. */
function solveIncreasing(f: (lam: number) => number, hi: number): number | null {
  if (!(hi > 0)) return null;
  if (f(hi) < 0) return null;
  let lo = 0;
  let up = hi;
  for (let i = 0; i < 100 && up - lo > 1e-9 * hi; i++) {
    const mid = (lo + up) / 2;
    if (f(mid) >= 0) up = mid;
    else lo = mid;
  }
  return up;
}

/** The limits and the two capacities (queue, latency) of one replica of the group. */
export function capacityModel(mix: PeakMix, step: StepTimeModel | null, s: GroupSettings, slo: { ttftSeconds: number; tbtSeconds: number }): CapacityModel {
  const limits: CapacityLimit[] = [];
  const no = (kind: LimitKind, bounds: 'queue' | 'latency', reason: string): CapacityLimit => ({ kind, bounds, evaluated: false, reason, concurrency: null, requestsPerSecond: null, numbers: {} });
  const S = mix.serviceMeanSeconds;
  const o = mix.outputMeanTokens;
  const bp = mix.concurrencyMean;
  if (S === null || !(S > 0) || bp === null || !(bp > 0)) {
    const reason = S === null ? 'the running time per request is unknown (vllm:request_inference_time_seconds not in the inputs)' : 'no request ran at the peak';
    for (const [k, b] of [['running-cap', 'queue'], ['kv-pool', 'queue'], ['token-budget', 'queue'], ['tbt-target', 'latency'], ['ttft-target', 'latency']] as const) limits.push(no(k, b, reason));
    return { limits, queueRequestsPerSecond: null, capacityRequestsPerSecond: null, limitedBy: null };
  }
  // S(b) = A + C·b along the step-time line; C = 0 without one (the service time then stays as measured).
  const tau1 = step && step.slopeSecondsPerSequence > 0 ? step.slopeSecondsPerSequence : 0;
  const C = o !== null && o > 1 ? (o - 1) * tau1 : 0;
  const A = S - C * bp;
  const lamAt = (b: number) => b / (A + C * b);
  const bAt = (lam: number) => (lam * C >= 1 ? Infinity : (lam * A) / (1 - lam * C));
  const lamCeiling = C > 0 ? 1 / C : Infinity;
  const tauAt = (b: number) => (step ? step.interceptSeconds + tau1 * b : NaN);
  const base = { serviceMeanSeconds: S, concurrencyAtPeak: bp, outputMeanTokens: o, stepSlopeSeconds: tau1, serviceInterceptSeconds: A, serviceSlopeSeconds: C };

  // Running cap.
  if (s.maxNumSeqs !== null) {
    const b = s.maxNumSeqs;
    limits.push({ kind: 'running-cap', bounds: 'queue', evaluated: true, concurrency: b, requestsPerSecond: lamAt(b), ...(s.maxNumSeqsBound === 'lower' ? { bound: 'lower' as const } : {}), numbers: { ...base, maxNumSeqs: b, maxNumSeqsSource: s.maxNumSeqsSource, serviceSecondsAtLimit: A + C * b } });
  } else limits.push(no('running-cap', 'queue', 'max_num_seqs is unknown (no server log, flag or running plateau)'));

  // KV pool.
  if (s.poolTokens !== null && mix.kvTokensPerSequence !== null && mix.kvTokensPerSequence > 0) {
    const b = (KV_HEADROOM * s.poolTokens) / mix.kvTokensPerSequence;
    limits.push({ kind: 'kv-pool', bounds: 'queue', evaluated: true, concurrency: b, requestsPerSecond: lamAt(b), numbers: { ...base, poolTokens: s.poolTokens, headroomRatio: KV_HEADROOM, kvTokensPerSequence: mix.kvTokensPerSequence, kvSource: mix.kvSource, serviceSecondsAtLimit: A + C * b } });
  } else limits.push(no('kv-pool', 'queue', s.poolTokens === null ? 'the KV pool size is unknown (no num_gpu_blocks in cache_config_info, no log)' : 'the KV tokens per sequence are unknown'));

  // Token budget: λ·P_u·τ(b(λ)) + b(λ) ≤ max_num_batched_tokens.
  const Pu = mix.uncachedPromptMeanTokens;
  if (s.maxNumBatchedTokens !== null && Pu !== null && step) {
    const budget = s.maxNumBatchedTokens;
    const f = (lam: number) => {
      const b = bAt(lam);
      return Number.isFinite(b) ? lam * Pu * tauAt(b) + b - budget : Infinity;
    };
    const lam = solveIncreasing(f, Math.min(lamCeiling * 0.999999, 1e6));
    if (lam !== null) limits.push({ kind: 'token-budget', bounds: 'queue', evaluated: true, concurrency: bAt(lam), requestsPerSecond: lam, numbers: { ...base, maxNumBatchedTokens: budget, uncachedPromptMeanTokens: Pu, uncachedSource: mix.uncachedSource, stepSecondsAtLimit: tauAt(bAt(lam)), prefillTokensPerStep: lam * Pu * tauAt(bAt(lam)) } });
    else limits.push(no('token-budget', 'queue', 'the token budget is not reached at any rate the step-time line allows'));
  } else limits.push(no('token-budget', 'queue', s.maxNumBatchedTokens === null ? 'max_num_batched_tokens is unknown' : step ? 'the uncached prompt length is unknown' : 'no step-time fit'));

  const queueLimits = limits.filter((l) => l.evaluated && l.requestsPerSecond !== null);
  const queue = queueLimits.length ? Math.min(...queueLimits.map((l) => l.requestsPerSecond!)) : null;

  // TBT target: the share of tokens over it reaches 5 % (k·λ·τ), or the mean reaches it.
  const T = slo.tbtSeconds;
  if (step) {
    const meanB = tau1 > 0 ? (T - step.interceptSeconds) / tau1 : Infinity;
    const meanLam = Number.isFinite(meanB) && meanB > 0 ? lamAt(meanB) : meanB <= 0 ? 0 : null;
    const k = step.tailK;
    const tailLam = k !== null ? solveIncreasing((lam) => {
      const b = bAt(lam);
      return Number.isFinite(b) ? k * lam * tauAt(b) - OVER_TARGET_BUDGET : Infinity;
    }, Math.min(lamCeiling * 0.999999, 1e6)) : null;
    const candidates = [meanLam, tailLam].filter((x): x is number => x !== null);
    if (candidates.length) {
      const lam = Math.min(...candidates);
      const by = tailLam !== null && lam === tailLam ? 'tail' : 'mean';
      limits.push({ kind: 'tbt-target', bounds: 'latency', evaluated: true, concurrency: bAt(lam), requestsPerSecond: lam, numbers: { ...base, tbtTargetSeconds: T, stepInterceptSeconds: step.interceptSeconds, tailK: k, overTargetRatio: OVER_TARGET_BUDGET, by, tbtMeanAtLimitSeconds: tauAt(bAt(lam)), meanReachesTargetRequestsPerSecond: meanLam, tailReachesBudgetRequestsPerSecond: tailLam } });
    } else limits.push(no('tbt-target', 'latency', 'the step time does not grow with the batch in the window (no slope) and no token was over the target'));
  } else limits.push(no('tbt-target', 'latency', `no step-time fit (needs ${MIN_FIT_POINTS} 5-minute bins with ${MIN_BIN_TOKENS}+ tokens, the inter-token histogram and the running time)`));

  // TTFT target: already over at the peak, or it breaks when a queue forms.
  const ttftShare = mix.ttftOverTargetRatio;
  if (ttftShare !== null && ttftShare > OVER_TARGET_BUDGET && mix.requestsPerSecondPerReplica !== null) {
    limits.push({ kind: 'ttft-target', bounds: 'latency', evaluated: true, concurrency: bp, requestsPerSecond: mix.requestsPerSecondPerReplica, bound: 'upper', numbers: { ttftTargetSeconds: slo.ttftSeconds, overTargetRatio: ttftShare, budgetRatio: OVER_TARGET_BUDGET, atPeak: true } });
  } else if (queue !== null) {
    limits.push({ kind: 'ttft-target', bounds: 'latency', evaluated: true, concurrency: bAt(queue), requestsPerSecond: queue, numbers: { ttftTargetSeconds: slo.ttftSeconds, overTargetRatio: ttftShare, budgetRatio: OVER_TARGET_BUDGET, atPeak: false } });
  } else limits.push(no('ttft-target', 'latency', ttftShare === null ? 'no TTFT histogram and no queue limit' : 'no queue limit could be computed'));

  const all = limits.filter((l) => l.evaluated && l.requestsPerSecond !== null);
  if (!all.length) return { limits, queueRequestsPerSecond: queue, capacityRequestsPerSecond: null, limitedBy: null };
  const best = all.reduce((a, b) => (b.requestsPerSecond! < a.requestsPerSecond! ? b : a));
  return { limits, queueRequestsPerSecond: queue, capacityRequestsPerSecond: best.requestsPerSecond, limitedBy: best.kind };
}

export { ratio };
