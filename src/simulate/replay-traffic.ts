// The traffic a replica served in a window, from its metrics: the arrival curve and, per time segment,
// the prompt and output length distributions and the prefix-sharing share.

import { InputError } from '../errors.js';
import { histogramParts } from '../model/metric-catalog.js';
import type { Series } from '../model/series.js';
import { AnalysisView, type HistogramWindow } from '../derive/view.js';
import { histogramBetween } from '../derive/windowed.js';
import { empiricalMean, fitExponent } from './arrivals.js';
import type { EmpiricalDist, StreamSpec } from './types.js';

// The traffic

/** Per-bin arrivals: finished (e2e _count increase) plus the change of running + waiting. */
function arrivalCurve(view: AnalysisView, replica: string, step: number, duration: number): number[] {
  const n = Math.max(1, Math.ceil(duration / step));
  const out = new Array<number>(n).fill(0);
  const count = view.series(histogramParts('vllm:e2e_request_latency_seconds').count, replica);
  const run = view.series('vllm:num_requests_running', replica);
  const wait = view.series('vllm:num_requests_waiting', replica);
  if (!count.length || !run.length || !wait.length) throw new InputError({ code: 'BAD_OPTION', message: `replay needs vllm:e2e_request_latency_seconds_count, num_requests_running and num_requests_waiting of ${replica}` });
  // Cumulative arrivals A(t) = finished since the window start + in flight at t, on the scrape times.
  const t = count[0].t;
  const idx = (s: Series) => {
    const m = new Map<number, number>();
    for (let i = 0; i < s.t.length; i++) m.set(s.t[i], s.v[i]);
    return m;
  };
  const r = idx(run[0]);
  const w = idx(wait[0]);
  let finished = 0;
  let prevCount = NaN;
  let prevA = NaN;
  for (let i = 0; i < t.length; i++) {
    const c = count[0].v[i];
    if (prevCount === prevCount) finished += c >= prevCount ? c - prevCount : c;
    prevCount = c;
    const inFlight = (r.get(t[i]) ?? NaN) + (w.get(t[i]) ?? NaN);
    if (inFlight !== inFlight) continue;
    const A = finished + inFlight;
    if (prevA === prevA) {
      // A drop is in-flight work lost to a restart, not negative arrivals.
      const d = Math.max(0, A - prevA);
      const b = Math.min(n - 1, Math.max(0, Math.floor((t[i] - view.start - 1e-6) / step)));
      out[b] += d;
    }
    prevA = A;
  }
  return out.map((x) => x / step);
}

/** An empirical length distribution from cumulative bucket counts, its within-bucket shape matched to the mean. */
export function empiricalFrom(h: HistogramWindow, max: number): EmpiricalDist | null {
  const total = h.counts[h.counts.length - 1];
  if (!(total > 0)) return null;
  const bounds = h.les.filter((x) => Number.isFinite(x));
  const probs: number[] = [];
  let prev = 0;
  for (let i = 0; i < h.les.length; i++) {
    probs.push(Math.max(0, h.counts[i] - prev) / total);
    prev = h.counts[i];
  }
  const d = { bounds, probs, max: Math.max(max, bounds[bounds.length - 1] ?? 1) };
  return { ...d, exponent: fitExponent(d, h.count > 0 && Number.isFinite(h.sum) ? h.sum / h.count : empiricalMean(d, 1)) };
}

export interface Traffic {
  /** One stream, or two when some segments carry a second workload on top of the usual one. */
  streams: StreamSpec[];
  /** Total arrival rate per curve bin (req/s). */
  curve: number[];
  requests: number;
  curveStep: number;
  segments: number;
  /** Segments where a second workload was split off, and its share of their requests. */
  excessSegments: number;
  prefixShare: number;
  prefixTokens: number;
}

/** Per-bucket counts (not cumulative) of a histogram window, the +Inf bucket last. */
function bucketCounts(h: HistogramWindow): number[] {
  return h.counts.map((c, j) => Math.max(0, c - (j ? h.counts[j - 1] : 0)));
}

function distFrom(les: number[], counts: number[], exponent: number, max: number): EmpiricalDist | null {
  const total = counts.reduce((x, y) => x + y, 0);
  if (!(total > 0)) return null;
  const bounds = les.filter((x) => Number.isFinite(x));
  return { bounds, probs: counts.map((c) => c / total), max: Math.max(max, bounds[bounds.length - 1] ?? 1), exponent };
}

/** Mean of an empirical distribution. */
function meanOf(d: EmpiricalDist): number {
  return empiricalMean(d, d.exponent);
}

/** The distribution with its within-bucket exponent set so that its mean is `target` (as far as the buckets allow). */
function matchMean(d: EmpiricalDist, target: number): EmpiricalDist {
  return { ...d, exponent: fitExponent(d, target) };
}

/**
 * Split a segment's bucket counts into the baseline mix and a significant excess: per bucket, what
 * exceeds the baseline's expectation by more than two Poisson standard deviations. Judgement call: the
 * exports hold each length's marginal distribution only; a burst of a different workload shows as such
 * an excess in both the prompt and the output histogram, and pairing the two excesses keeps its prompts
 * with its outputs (independent draws would give 16k-token prompts chat-length answers).
 */
function excessOf(counts: number[], base: number[]): { excess: number[]; rest: number[]; total: number } {
  const n = counts.reduce((x, y) => x + y, 0);
  const excess = counts.map((c, j) => {
    const e = n * base[j];
    return Math.max(0, c - e - 2 * Math.sqrt(e + 1));
  });
  const total = excess.reduce((x, y) => x + y, 0);
  return { excess, rest: counts.map((c, j) => Math.max(0, c - excess[j])), total };
}

export function trafficOf(view: AnalysisView, replica: string, maxModelLen: number, caching: boolean, segmentSeconds: number, duration: number): Traffic {
  const curveStep = Math.max(60, view.step);
  const curve = arrivalCurve(view, replica, curveStep, duration);
  const requests = curve.reduce((a, x) => a + x * curveStep, 0);
  const whole = {
    prompt: histogramBetween(view, 'vllm:request_prompt_tokens', replica, view.start - 1, view.start + duration + 1),
    output: histogramBetween(view, 'vllm:request_generation_tokens', replica, view.start - 1, view.start + duration + 1),
  };
  const wp = whole.prompt && empiricalFrom(whole.prompt, maxModelLen);
  const wo = whole.output && empiricalFrom(whole.output, maxModelLen);
  if (!wp || !wo) throw new InputError({ code: 'BAD_OPTION', message: `replay needs the vllm:request_prompt_tokens and vllm:request_generation_tokens histograms of ${replica}` });
  const seg = Math.max(curveStep, Math.round(segmentSeconds / curveStep) * curveStep);
  const nSeg = Math.max(1, Math.ceil(duration / seg));
  // Lengths are observed at finish: each curve bin's finishes are moved back to when they arrived, by
  // that bin's mean end-to-end latency, then summed per arrival segment.
  const acc = { prompt: new Map<number, HistogramWindow>(), output: new Map<number, HistogramWindow>() };
  const add = (m: Map<number, HistogramWindow>, k: number, h: HistogramWindow) => {
    const cur = m.get(k);
    if (!cur) m.set(k, { les: h.les, counts: [...h.counts], sum: h.sum, count: h.count });
    else if (cur.les.length === h.les.length) {
      for (let j = 0; j < h.counts.length; j++) cur.counts[j] += h.counts[j];
      cur.sum += h.sum;
      cur.count += h.count;
    }
  };
  for (let b = 0; b * curveStep < duration; b++) {
    const t0 = view.start + b * curveStep - (b === 0 ? 1 : 0);
    const t1 = view.start + (b + 1) * curveStep;
    const e2e = histogramBetween(view, 'vllm:e2e_request_latency_seconds', replica, t0, t1);
    if (!e2e || !(e2e.count > 0)) continue;
    const arrivedAt = (b + 0.5) * curveStep - (Number.isFinite(e2e.sum) ? e2e.sum / e2e.count : 0);
    const k = Math.min(nSeg - 1, Math.max(0, Math.floor(arrivedAt / seg)));
    const hp = histogramBetween(view, 'vllm:request_prompt_tokens', replica, t0, t1);
    const ho = histogramBetween(view, 'vllm:request_generation_tokens', replica, t0, t1);
    if (hp) add(acc.prompt, k, hp);
    if (ho) add(acc.output, k, ho);
  }
  // The baseline mix: segments whose mean prompt length is near the median segment's.
  const segMean = (i: number) => {
    const h = acc.prompt.get(i);
    return h && h.count >= 30 ? h.sum / h.count : NaN;
  };
  const means = Array.from({ length: nSeg }, (_, i) => segMean(i)).filter((x) => x === x).sort((x, y) => x - y);
  const med = means.length ? means[Math.floor(means.length / 2)] : NaN;
  const pool = (m: Map<number, HistogramWindow>) => {
    let counts: number[] | null = null;
    for (let i = 0; i < nSeg; i++) {
      const x = segMean(i);
      const h = m.get(i);
      if (!h || !(x === x) || x < 0.8 * med || x > 1.25 * med) continue;
      const c = bucketCounts(h);
      counts = counts ? counts.map((y, j) => y + (c[j] ?? 0)) : c;
    }
    const n = counts ? counts.reduce((x, y) => x + y, 0) : 0;
    return counts && n > 0 ? counts.map((c) => c / n) : null;
  };
  const baseP = pool(acc.prompt);
  const baseO = pool(acc.output);
  // The baseline's within-bucket shape, from the typical segments' own token totals.
  const poolWeight = (m: Map<number, HistogramWindow>) => {
    let sum = 0;
    let count = 0;
    let counts: number[] | null = null;
    let les: number[] = [];
    for (let i = 0; i < nSeg; i++) {
      const x = segMean(i);
      const h = m.get(i);
      if (!h || !(x === x) || x < 0.8 * med || x > 1.25 * med) continue;
      sum += h.sum;
      count += h.count;
      les = h.les;
      counts = counts ? counts.map((y, j) => y + (h.counts[j] ?? 0)) : [...h.counts];
    }
    return counts ? (empiricalFrom({ les, counts, sum, count }, maxModelLen)?.exponent ?? 1) : 1;
  };
  const basePW = poolWeight(acc.prompt);
  const baseOW = poolWeight(acc.output);
  const lesOf = (m: Map<number, HistogramWindow>) => [...m.values()][0]?.les ?? [];
  const basePD = baseP && distFrom(lesOf(acc.prompt), baseP, basePW, maxModelLen);
  const baseOD = baseO && distFrom(lesOf(acc.output), baseO, baseOW, maxModelLen);
  const prompt: EmpiricalDist[] = [];
  const output: EmpiricalDist[] = [];
  const xPrompt: EmpiricalDist[] = [];
  const xOutput: EmpiricalDist[] = [];
  const xShare: number[] = [];
  for (let i = 0; i < nSeg; i++) {
    const hp = acc.prompt.get(i);
    const ho = acc.output.get(i);
    const ok = hp && ho && hp.counts[hp.counts.length - 1] >= 30;
    const dp = (ok && empiricalFrom(hp!, maxModelLen)) || wp;
    const dout = (ok && empiricalFrom(ho!, maxModelLen)) || wo;
    let share = 0;
    if (ok && basePD && baseOD && baseP && baseO && baseP.length === hp!.les.length && baseO.length === ho!.les.length) {
      const ep = excessOf(bucketCounts(hp!), baseP);
      const eo = excessOf(bucketCounts(ho!), baseO);
      const n = hp!.counts[hp!.counts.length - 1];
      if (ep.total >= Math.max(10, 0.05 * n) && eo.total >= Math.max(10, 0.05 * n)) {
        // The segment = (1 − f) × the baseline mix + f × the excess, f from the prompt histogram (the same
        // requests carry the output excess). Each part's within-bucket shape matches its token total.
        share = Math.min(0.95, ep.total / n);
        const nx = share * n;
        const no = ho!.counts[ho!.counts.length - 1];
        const nxo = share * no;
        prompt.push(basePD!);
        output.push(baseOD!);
        xPrompt.push(matchMean(distFrom(hp!.les, ep.excess, 1, maxModelLen)!, (hp!.sum - (n - nx) * meanOf(basePD!)) / nx));
        xOutput.push(matchMean(distFrom(ho!.les, eo.excess, 1, maxModelLen)!, (ho!.sum - (no - nxo) * meanOf(baseOD!)) / nxo));
        xShare.push(share);
        continue;
      }
    }
    prompt.push(dp);
    output.push(dout);
    xPrompt.push(dp);
    xOutput.push(dout);
    xShare.push(0);
  }
  // Prefix sharing: hits / queries of the window, as a share of requests carrying one of 4 popular prefixes.
  const q = view.total('vllm:prefix_cache_queries_total', replica) ?? 0;
  const hits = view.total('vllm:prefix_cache_hits_total', replica) ?? 0;
  const hit = caching && q > 0 ? hits / q : 0;
  const meanPrompt = whole.prompt!.count > 0 ? whole.prompt!.sum / whole.prompt!.count : 0;
  let share = 0;
  let tokens = 0;
  if (hit > 0 && meanPrompt > 0) {
    share = 0.7;
    tokens = (hit * meanPrompt) / share;
    const cap = 0.8 * meanPrompt;
    if (tokens > cap) {
      share = Math.min(1, (hit * meanPrompt) / cap);
      tokens = cap;
    }
  }
  const segOf = (b: number) => Math.min(nSeg - 1, Math.floor((b * curveStep) / seg));
  const excessSegments = xShare.filter((x) => x > 0).length;
  const base: StreamSpec = {
    name: 'replay',
    rate: { rps: 0, curve: { start: 0, step: curveStep, rps: curve.map((r, b) => r * (1 - xShare[segOf(b)])) } },
    prompt: { median: 1, sigma: 0 },
    output: { median: 1, sigma: 0 },
    maxTokens: [maxModelLen],
    mix: { step: seg, prompt, output },
    ...(share > 0 ? { prefix: { share, count: 4, length: { median: Math.max(16, Math.round(tokens)), sigma: 0 }, zipf: 1, carve: true } } : {}),
  };
  const streams = [base];
  if (excessSegments) {
    streams.push({
      name: 'replay-excess',
      rate: { rps: 0, curve: { start: 0, step: curveStep, rps: curve.map((r, b) => r * xShare[segOf(b)]) } },
      prompt: { median: 1, sigma: 0 },
      output: { median: 1, sigma: 0 },
      maxTokens: [maxModelLen],
      mix: { step: seg, prompt: xPrompt, output: xOutput },
    });
  }
  return { streams, curve, requests, curveStep, segments: nSeg, excessSegments, prefixShare: share, prefixTokens: Math.round(tokens) };
}

