// The report's numbers: latency triad against targets, throughput, capacity — per scope.

import type { LatencyRow, QuantileBucket, Summary3 } from '../model/result.js';
import type { z } from 'zod';
import type { ThroughputRow, CapacityRow } from '../model/result.js';
import { FLEET, type AnalysisView, type QuantileDetail, type Scope } from './view.js';
import { latencyBurn, latencyWindows } from './burn.js';
import { nanSummary } from '../stats/summary.js';

export const LATENCY_METRICS = {
  ttft: 'vllm:time_to_first_token_seconds',
  tbt: 'vllm:inter_token_latency_seconds',
  e2e: 'vllm:e2e_request_latency_seconds',
} as const;

import type { SloTargets } from './slo.js';

function summary3(a: Float64Array | null): Summary3 {
  if (!a) return { mean: null, p95: null, max: null };
  const s = nanSummary(a);
  return { mean: s.mean, p95: s.p95, max: s.max };
}

export function latencyRow(view: AnalysisView, id: keyof typeof LATENCY_METRICS, scope: Scope, target: number): LatencyRow | null {
  const metric = LATENCY_METRICS[id];
  const h = view.histogram(metric, scope);
  if (!h || h.counts[h.counts.length - 1] <= 0) return null;
  const p50 = view.quantile(metric, 0.5, scope);
  const p95 = view.quantile(metric, 0.95, scope);
  const p99 = view.quantile(metric, 0.99, scope);
  const total = h.counts[h.counts.length - 1];
  const bound = h.les.findIndex((le) => Math.abs(le - target) <= 1e-12 * Math.max(1, target));
  const overTargetRatio = bound >= 0 ? 1 - h.counts[bound] / total : null;
  const caveats: string[] = [];
  if (bound < 0) {
    const above = h.les.find((le) => le > target);
    const below = [...h.les].reverse().find((le) => le < target) ?? 0;
    caveats.push(
      above === undefined || above === Infinity
        ? `the target ${fmtS(target)} is above the highest finite bucket bound (${fmtS(below)}): every request above ${fmtS(below)} is counted as over the target, so the burn rates are upper bounds`
        : `the target ${fmtS(target)} is not a bucket boundary (nearest ${fmtS(below)} and ${fmtS(above)}), so the share over target is not exact: the burn rates place the target inside that bucket by linear interpolation`,
    );
  }
  let verdict: LatencyRow['verdict'] = 'unknown';
  if (p95) {
    verdict = p95.value > target ? 'breached' : 'met';
    if (p95.lower < target && target < p95.upper) {
      caveats.push(`p95 falls in the bucket (${fmtS(p95.lower)}, ${fmtS(p95.upper)}] which contains the target; the verdict rests on linear interpolation inside it`);
    }
    if (p95.upper === Infinity) caveats.push(`p95 is beyond the highest finite bucket (${fmtS(p95.lower)}); the true value is larger than shown`);
    else if (p95.lower === 0 && p95.upper > 0) caveats.push(`p95 lies in the first bucket (0, ${fmtS(p95.upper)}]; values below it cannot be resolved`);
  }
  if (view.snapshot) caveats.unshift('from a single scrape: cumulative since each process started, not over a window');
  const row: LatencyRow = {
    id,
    metric,
    scope,
    p50Seconds: p50?.value ?? null,
    p95Seconds: p95?.value ?? null,
    p99Seconds: p99?.value ?? null,
    meanSeconds: h.count > 0 && Number.isFinite(h.sum) ? h.sum / h.count : null,
    requests: total,
    targetSeconds: target,
    overTargetRatio,
    verdict,
  };
  const b50 = bucketOf(p50);
  const b95 = bucketOf(p95);
  const b99 = bucketOf(p99);
  if (b50) row.p50Bucket = b50;
  if (b95) row.p95Bucket = b95;
  if (b99) row.p99Bucket = b99;
  if (!view.snapshot) {
    const windows = latencyWindows(view, metric, scope, target);
    if (windows) row.windows = windows;
    const burn = latencyBurn(view, metric, scope, target);
    if (burn) row.burn = burn;
  }
  if (caveats.length) row.caveat = caveats.join('; ');
  return row;
}

function bucketOf(d: QuantileDetail | null): QuantileBucket | null {
  if (!d) return null;
  return { lowerSeconds: d.lower, upperSeconds: d.upper === Infinity ? null : d.upper, wide: d.wide };
}

/**
 * Every request's end-to-end latency is at least its TTFT, so an end-to-end quantile below the TTFT one
 * is an artefact of the two histograms' bucket layouts: each quantile is placed by linear interpolation
 * inside its own bucket. What the buckets do say: the true TTFT quantile is at most the upper bound of
 * the end-to-end one's bucket, and the true end-to-end quantile is at least the lower bound of the TTFT
 * one's (for the same requests; TTFT counts a request at its first token, end-to-end at its end).
 */
export function impossibleOrderCaveat(ttft: LatencyRow, e2e: LatencyRow): string | null {
  const parts: string[] = [];
  for (const [q, t, e, tb, eb] of [
    ['p50', ttft.p50Seconds, e2e.p50Seconds, ttft.p50Bucket, e2e.p50Bucket],
    ['p95', ttft.p95Seconds, e2e.p95Seconds, ttft.p95Bucket, e2e.p95Bucket],
    ['p99', ttft.p99Seconds, e2e.p99Seconds, ttft.p99Bucket, e2e.p99Bucket],
  ] as const) {
    if (t === null || e === null || !(e < t) || !tb || !eb) continue;
    const tMax = Math.min(tb.upperSeconds ?? Infinity, eb.upperSeconds ?? Infinity);
    const eMin = Math.max(tb.lowerSeconds, eb.lowerSeconds);
    parts.push(
      `end-to-end ${q} ${fmtS(e)} is below TTFT ${q} ${fmtS(t)}, which no request can do: the two come from different bucket layouts — TTFT ${q} interpolated in (${fmtS(tb.lowerSeconds)}, ${fmtS(tb.upperSeconds ?? Infinity)}], end-to-end in (${fmtS(eb.lowerSeconds)}, ${fmtS(eb.upperSeconds ?? Infinity)}]; the true TTFT ${q} is at most ${fmtS(tMax)} and the true end-to-end ${q} at least ${fmtS(eMin)}`,
    );
  }
  if (!parts.length) return null;
  const nt = ttft.requests;
  const ne = e2e.requests;
  if (nt !== null && ne !== null && nt > 0 && Math.abs(nt - ne) / nt > 0.01) {
    parts.push(`the histograms also count different requests (TTFT ${Math.round(nt)} at first token, end-to-end ${Math.round(ne)} at completion)`);
  }
  return parts.join('; ');
}

function fmtS(x: number): string {
  if (!Number.isFinite(x)) return '+Inf';
  return x < 1 ? `${+(x * 1000).toPrecision(4)} ms` : `${+x.toPrecision(4)} s`;
}

export function latencyRows(view: AnalysisView, slo: SloTargets): LatencyRow[] {
  const rows: LatencyRow[] = [];
  const targets = { ttft: slo.ttftSeconds, tbt: slo.tbtSeconds, e2e: slo.e2eSeconds };
  for (const scope of view.scopes()) {
    for (const id of ['ttft', 'tbt', 'e2e'] as const) {
      const r = latencyRow(view, id, scope, targets[id]);
      if (r) rows.push(r);
    }
    const ttft = rows.find((r) => r.scope === scope && r.id === 'ttft');
    const e2e = rows.find((r) => r.scope === scope && r.id === 'e2e');
    const order = ttft && e2e ? impossibleOrderCaveat(ttft, e2e) : null;
    if (e2e && order) e2e.caveat = e2e.caveat ? `${e2e.caveat}; ${order}` : order;
  }
  return rows;
}

export function throughputRows(view: AnalysisView): z.infer<typeof ThroughputRow>[] {
  const rows: z.infer<typeof ThroughputRow>[] = [];
  for (const scope of view.scopes()) {
    const prompt = view.rate('vllm:prompt_tokens_total', scope);
    const gen = view.rate('vllm:generation_tokens_total', scope);
    const req = view.rate('vllm:request_success_total', scope);
    if (!prompt && !gen && !req) continue;
    rows.push({ scope, promptTokensPerSecond: summary3(prompt), generationTokensPerSecond: summary3(gen), requestsPerSecond: summary3(req) });
  }
  return rows;
}

/** Prefix-cache hit ratio over the window: hits / queries (tokens), null when unknown or no queries. */
export function prefixHitRatio(view: AnalysisView, scope: Scope = FLEET): number | null {
  const q = view.total('vllm:prefix_cache_queries_total', scope);
  const h = view.total('vllm:prefix_cache_hits_total', scope);
  if (q === null || h === null || q <= 0) return null;
  return h / q;
}

export function capacityRows(view: AnalysisView): z.infer<typeof CapacityRow>[] {
  const rows: z.infer<typeof CapacityRow>[] = [];
  for (const scope of view.scopes()) {
    const kv = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
    const waiting = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    const running = view.gauge('vllm:num_requests_running', scope, 'sum');
    const pre = view.rate('vllm:num_preemptions_total', scope);
    if (!kv && !waiting && !running && !pre) continue;
    rows.push({
      scope,
      kvUsageRatio: summary3(kv),
      waitingRequests: summary3(waiting),
      runningRequests: summary3(running),
      preemptionsPerSecond: summary3(pre),
      preemptionsTotal: view.total('vllm:num_preemptions_total', scope),
      prefixCacheHitRatio: prefixHitRatio(view, scope),
    });
  }
  return rows;
}
