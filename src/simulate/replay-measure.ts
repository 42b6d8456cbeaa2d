// Numbers compared between a measured window and a replay (computed alike, from histograms), the
// tolerance a replay at the own configuration must meet, and the measures calibration reads.

import { histogramParts, resolveMetricName, type HistogramName } from '../model/metric-catalog.js';
import { canonicalLabels, MetricSet, type Series } from '../model/series.js';
import { AnalysisView } from '../derive/view.js';
import { histogramBetween, totalBetween } from '../derive/windowed.js';
import type { ReplicaResult } from './engine.js';
import type { Measures } from './replay-types.js';

// Measuring a window and a replay alike

/** A MetricSet of a simulated replica (names and labels as ingest would give them). */
export function metricSetOf(results: ReplicaResult[], startTime: number, interval: number): MetricSet {
  const series: Series[] = [];
  for (const r of results) {
    const n = r.nScrapes;
    r.registry.series.forEach((def, s) => {
      let k = 0;
      for (let i = 0; i < n; i++) if (r.data[s * n + i] === r.data[s * n + i]) k++;
      if (!k) return;
      const t = new Float64Array(k);
      const v = new Float64Array(k);
      let j = 0;
      for (let i = 0; i < n; i++) {
        const x = r.data[s * n + i];
        if (x !== x) continue;
        t[j] = startTime + i * interval;
        v[j++] = x;
      }
      series.push({ name: resolveMetricName(def.name).name, labels: canonicalLabels(Object.fromEntries(def.labels)), t, v });
    });
  }
  return new MetricSet(series);
}

function nn(x: number | null | undefined): number | null {
  return x === undefined || x === null || !Number.isFinite(x) ? null : Math.round(x * 1e6) / 1e6;
}

function firstBucket(d: { lower: number; upper: number } | null): number | null {
  return d && d.lower <= 0 && Number.isFinite(d.upper) ? d.upper : null;
}

export function measure(view: AnalysisView, replica: string): Measures {
  const q = (base: HistogramName) => nn(view.quantile(base, 0.95, replica)?.value);
  const wait = view.gauge('vllm:num_requests_waiting', replica, 'sum');
  let wSum = 0;
  let wN = 0;
  let wMax = -Infinity;
  if (wait) {
    for (let i = 0; i < wait.length; i++) {
      if (wait[i] !== wait[i]) continue;
      wSum += wait[i];
      wN++;
      if (wait[i] > wMax) wMax = wait[i];
    }
  }
  const queries = view.total('vllm:prefix_cache_queries_total', replica);
  const hits = view.total('vllm:prefix_cache_hits_total', replica);
  return {
    requests: Math.round(view.total(histogramParts('vllm:e2e_request_latency_seconds').count, replica) ?? 0),
    promptTokens: nn(view.total('vllm:prompt_tokens_total', replica)),
    generationTokens: nn(view.total('vllm:generation_tokens_total', replica)),
    ttftP95Seconds: q('vllm:time_to_first_token_seconds'),
    tbtP95Seconds: q('vllm:inter_token_latency_seconds'),
    e2eP95Seconds: q('vllm:e2e_request_latency_seconds'),
    itlMeanSeconds: nn(view.histogramMean('vllm:inter_token_latency_seconds', replica)),
    prefillMeanSeconds: nn(view.histogramMean('vllm:request_prefill_time_seconds', replica)),
    queueMeanSeconds: nn(view.histogramMean('vllm:request_queue_time_seconds', replica)),
    queueP95Seconds: q('vllm:request_queue_time_seconds'),
    queueP95BelowSeconds: firstBucket(view.quantile('vllm:request_queue_time_seconds', 0.95, replica)),
    waitingMean: wN ? nn(wSum / wN) : null,
    waitingMax: wN ? wMax : null,
    preemptions: nn(view.total('vllm:num_preemptions_total', replica)),
    prefixHitRatio: queries && hits !== null ? nn(hits / queries) : null,
  };
}

/**
 * How closely a replay at the window's own configuration reproduces it (docs/simulator.md, "Replay";
 * asserted on every bundled dataset by test/unit/simulate-replay.test.ts), by the regime the window
 * measured: `thrashing` = at least 100 preemptions, `saturated` = mean requests waiting ≥ 1, else `steady`.
 */
export const REPLAY_TOLERANCE = {
  tbtP95Relative: 0.25,
  ttftP95Factor: { steady: 1.5, saturated: 3, thrashing: 8 },
  queueFactor: { steady: 1.5, saturated: 3, thrashing: 8 },
  queueAbsSeconds: 0.05,
  waitingAbs: 1,
  preemptionsFactor: 2,
  preemptionsAbs: 50,
  promptTokensRelative: 0.05,
};

export type ReplayRegime = 'steady' | 'saturated' | 'thrashing';

export function replayRegime(m: Measures): ReplayRegime {
  return (m.preemptions ?? 0) >= 100 ? 'thrashing' : (m.waitingMean ?? 0) >= 1 ? 'saturated' : 'steady';
}

function withinFactor(a: number, b: number, f: number): boolean {
  return b <= a * f && a <= b * f;
}

/**
 * The first quantity a replay at the own configuration misses by more than REPLAY_TOLERANCE, as
 * words ("TTFT p95 12 s replayed against 0.8 s measured"), or null when it reproduces the window.
 * A quantity the window does not measure is not checked.
 */
export function replayMisfit(m: Measures, p: Measures): string | null {
  const t = REPLAY_TOLERANCE;
  const f = replayRegime(m);
  const has = (x: number | null): x is number => x !== null && Number.isFinite(x);
  const say = (what: string, a: number, b: number) => `${what} ${Math.round(b * 1000) / 1000} replayed against ${Math.round(a * 1000) / 1000} measured (${f} window)`;
  if (has(m.tbtP95Seconds) && m.tbtP95Seconds > 0) {
    if (!has(p.tbtP95Seconds) || Math.abs(p.tbtP95Seconds - m.tbtP95Seconds) / m.tbtP95Seconds > t.tbtP95Relative) return say('inter-token p95 (s)', m.tbtP95Seconds, p.tbtP95Seconds ?? NaN);
  }
  if (has(m.ttftP95Seconds) && m.ttftP95Seconds > 0) {
    if (!has(p.ttftP95Seconds) || !withinFactor(m.ttftP95Seconds, p.ttftP95Seconds, t.ttftP95Factor[f])) return say('TTFT p95 (s)', m.ttftP95Seconds, p.ttftP95Seconds ?? NaN);
  }
  if (has(m.queueMeanSeconds) && has(p.queueMeanSeconds) && Math.abs(p.queueMeanSeconds - m.queueMeanSeconds) > t.queueAbsSeconds && !withinFactor(m.queueMeanSeconds, p.queueMeanSeconds, t.queueFactor[f])) return say('queue time mean (s)', m.queueMeanSeconds, p.queueMeanSeconds);
  if (has(m.waitingMean) && has(p.waitingMean) && Math.abs(p.waitingMean - m.waitingMean) > t.waitingAbs && !withinFactor(m.waitingMean, p.waitingMean, t.queueFactor[f])) return say('requests waiting mean', m.waitingMean, p.waitingMean);
  if (has(m.preemptions) && has(p.preemptions) && Math.abs(p.preemptions - m.preemptions) > t.preemptionsAbs && !withinFactor(m.preemptions, p.preemptions, t.preemptionsFactor)) return say('preemptions', m.preemptions, p.preemptions);
  // Served prompt tokens check the reconstructed traffic only where the replica served what it was
  // offered (steady); in a saturated or thrashing window that ends with a backlog they measure
  // throughput, an outcome the checks above already judge (kv-cache-thrashing's 10.0.0.11:8000 replays
  // 5.2 % fewer while its TTFT p95 and preemptions are within 6 % and 2 %).
  if (f === 'steady' && has(m.promptTokens) && m.promptTokens > 0 && has(p.promptTokens) && Math.abs(p.promptTokens - m.promptTokens) / m.promptTokens > t.promptTokensRelative) return say('prompt tokens', m.promptTokens, p.promptTokens);
  return null;
}

export function clamp(x: number): number {
  return Math.min(4, Math.max(0.25, x));
}

export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Mean over scrapes with requests running of KV usage ÷ running: the KV share one running sequence holds. */
export function kvPerRunning(view: AnalysisView, replica: string, from: number, to: number): number {
  const kv = view.gauge('vllm:kv_cache_usage_perc', replica, 'max');
  const run = view.gauge('vllm:num_requests_running', replica, 'sum');
  if (!kv || !run) return NaN;
  let s = 0;
  let n = 0;
  for (let i = 0; i < view.grid.length; i++) {
    const t = view.grid[i] - view.start;
    if (t < from || t >= to || !(run[i] > 0) || kv[i] !== kv[i]) continue;
    s += kv[i] / run[i];
    n++;
  }
  return n ? s / n : NaN;
}

/** Measures over a sub-window [from, to) of the view (offsets), for calibration. */
export function measureWindow(view: AnalysisView, replica: string, from: number, to: number): Pick<Measures, 'itlMeanSeconds' | 'prefillMeanSeconds' | 'prefixHitRatio'> & { kvPerRunning: number | null; kvMax: number | null; preemptions: number | null } {
  const t0 = view.start + from;
  const t1 = view.start + to;
  const mean = (base: HistogramName) => {
    const h = histogramBetween(view, base, replica, t0, t1);
    return h && h.count > 0 ? h.sum / h.count : null;
  };
  const q = totalBetween(view, 'vllm:prefix_cache_queries_total', replica, t0, t1);
  const h = totalBetween(view, 'vllm:prefix_cache_hits_total', replica, t0, t1);
  const kvr = kvPerRunning(view, replica, from, to);
  const kvg = view.gauge('vllm:kv_cache_usage_perc', replica, 'max');
  let kvMax: number | null = null;
  if (kvg) for (let i = 0; i < view.grid.length; i++) {
    const t = view.grid[i] - view.start;
    if (t >= from && t < to && kvg[i] === kvg[i]) kvMax = Math.max(kvMax ?? 0, kvg[i]);
  }
  const preemptions = totalBetween(view, 'vllm:num_preemptions_total', replica, t0, t1);
  return {
    kvMax,
    preemptions: preemptions !== null && preemptions > 0 ? preemptions : null, itlMeanSeconds: mean('vllm:inter_token_latency_seconds'), prefillMeanSeconds: mean('vllm:request_prefill_time_seconds'), prefixHitRatio: q && h !== null ? h / q : null, kvPerRunning: Number.isFinite(kvr) ? kvr : null };
}
