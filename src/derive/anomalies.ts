// Anomaly episodes on the key series, per scope, against a frozen robust baseline (stats/baseline.ts:
// the baseline learns only from non-anomalous points, so an incident is not absorbed while it lasts),
// and the correlations between the key series with lead/lag.

import type { AnomalyEpisode, CorrelationRow } from '../model/result.js';
import { frozenBaselineAnomalies, type BaselineEpisode } from '../stats/baseline.js';
import { bucketAround, centredBucketRates, centredQuantile, centredRate } from './windowed.js';

export { bucketAround };
import { laggedCorrelation, pearson, spearman } from '../stats/correlation.js';
import type { AnalysisView, Scope } from './view.js';
import type { HistogramName } from '../model/metric-catalog.js';

export interface KeySeries {
  metric: string;
  values: Float64Array;
  robust: boolean;
}

/** The series the report watches, per scope: gauges on the grid, counter rates, the TTFT p95 series. */
export function keySeries(view: AnalysisView, scope: Scope): KeySeries[] {
  const out: KeySeries[] = [];
  const add = (metric: string, values: Float64Array | null, robust: boolean) => {
    if (values) out.push({ metric, values, robust });
  };
  add('vllm:kv_cache_usage_perc', view.gauge('vllm:kv_cache_usage_perc', scope, 'avg'), false);
  add('vllm:num_requests_waiting', view.gauge('vllm:num_requests_waiting', scope, 'sum'), true);
  add('vllm:num_requests_running', view.gauge('vllm:num_requests_running', scope, 'sum'), false);
  add('rate(vllm:num_preemptions_total)', view.rate('vllm:num_preemptions_total', scope), true);
  add('rate(vllm:generation_tokens_total)', view.rate('vllm:generation_tokens_total', scope), false);
  add('p95 vllm:time_to_first_token_seconds', view.quantileSeries('vllm:time_to_first_token_seconds', 0.95, scope), true);
  add('p95 vllm:inter_token_latency_seconds', view.quantileSeries('vllm:inter_token_latency_seconds', 0.95, scope), true);
  return out;
}

/**
 * Anomaly detection options (see docs/latency.md, "Anomaly baseline"). Durations are in seconds so that
 * an incident reads the same on a 10-second grid (2 h, 24 h windows) and a 70-second one (7 days).
 */
export const ANOMALY_OPTIONS = {
  /** The baseline is the median/MAD of the last hour of points that were not anomalous. */
  baselineSeconds: 3600,
  /** Scoring starts after 15 minutes of baseline (and at least minBaselinePoints); earlier points are learnt, not scored. */
  minBaselineSeconds: 900,
  minBaselinePoints: 12,
  /** Robust |z| at which a point is anomalous. */
  threshold: 4,
  /** An episode must last 2 minutes (shorter bursts are what a 1-minute p95 does under normal noise). Judgement call. */
  minEpisodeSeconds: 120,
  /** Calm stretches up to 2 minutes inside an episode do not end it. */
  bridgeSeconds: 120,
  /** A shift still present after 2 hours is accepted as the new normal (the episode says so). */
  maxEpisodeSeconds: 7200,
  /** Scores are reported up to ±50σ; beyond, "> 50σ" (the ratio to the baseline carries the size). */
  scoreCap: 50,
  /** Episodes kept in the report per scope (fleet, each replica), by |score| then duration. */
  maxEpisodesPerScope: 8,
  /** … and in all. */
  maxEpisodes: 40,
};

/** The score cap, for renderers ("> 50σ"). */
export const ANOMALY_SCORE_CAP = ANOMALY_OPTIONS.scoreCap;

/**
 * Length of the centred window the windowed series (latency quantiles, rates) are computed over for
 * anomaly detection: one minute, or two grid steps on a coarsened grid. Short on purpose: a centred
 * window of W moves an episode's edges by up to W/2 (a p95 edge by ≈ 0.45 W), and the baseline's MAD
 * absorbs the extra noise of a short window.
 */
export function anomalySignalWindowSeconds(view: AnalysisView): number {
  return Math.max(60, 2 * view.step);
}

/** Requests a window should hold on average for its p95 to be an estimate rather than its largest value (the p95 then rests on the top 5). */
export const QUANTILE_MIN_OBSERVATIONS = 100;
/** … but the window is never longer than an alert rule's 5 minutes. */
export const QUANTILE_MAX_WINDOW_SECONDS = 300;

/**
 * Window for a latency quantile series of one scope: anomalySignalWindowSeconds, widened (in whole grid
 * steps, up to 5 minutes) until it holds QUANTILE_MIN_OBSERVATIONS requests at the scope's mean rate.
 * At 0.3 requests/s a one-minute p95 is the largest of 18 requests; its noise is not a baseline's.
 */
export function quantileSignalWindowSeconds(view: AnalysisView, base: HistogramName, scope: Scope): number {
  const w0 = anomalySignalWindowSeconds(view);
  const span = view.end - view.start;
  const h = view.histogram(base, scope);
  if (!h || !(h.count > 0) || !(span > 0)) return w0;
  const want = Math.ceil(QUANTILE_MIN_OBSERVATIONS / (h.count / span) / view.step) * view.step;
  return Math.max(w0, Math.min(want, QUANTILE_MAX_WINDOW_SECONDS));
}

const TTFT = 'vllm:time_to_first_token_seconds';
const ITL = 'vllm:inter_token_latency_seconds';
const E2E = 'vllm:e2e_request_latency_seconds';

export interface AnomalySeries {
  /** Key in AnomalyEpisode.metric (shared with the chart lines that shade episodes). */
  metric: string;
  unit: string;
  /** What a user of the service feels directly (the verdict must account for these). */
  userFacing: boolean;
  /** Smallest baseline scale in the series' unit: a change below threshold × absFloor is never anomalous. */
  absFloor: number;
  /** Smallest baseline scale as a fraction of the baseline's level. */
  relFloor: number;
  /** For a quantile of this histogram: the scale is also at least the resolution of the baseline's bucket. */
  histogram?: HistogramName;
  values(view: AnalysisView, scope: Scope): Float64Array | null;
}

/**
 * The resolution of a quantile read off histogram buckets at level m: linear interpolation places it
 * somewhere in the bucket (lower, upper] holding m, so its error is up to that bucket's width — as a
 * standard deviation, width / √12 (uniform within the bucket). A p95 that crosses from a narrow bucket
 * into a wide one moves by a large amount for a small change in the requests; this floor keeps that
 * from scoring as an anomaly on its own. Above the highest finite bound, the last finite bucket's width.
 */
export function bucketResolution(les: readonly number[], m: number): number {
  if (!(m === m)) return 0;
  let j = 0;
  while (j < les.length && les[j] < m) j++;
  if (j >= les.length) return 0;
  if (les[j] === Infinity) j--;
  if (j < 0) return 0;
  const lower = j === 0 ? Math.min(0, les[0]) : les[j - 1];
  return (les[j] - lower) / Math.sqrt(12);
}

/**
 * The series watched for anomalies, per scope, with their floors. The floors are judgement calls, each
 * the smallest sustained change a reader would act on, divided by the threshold (4):
 * - latency p95s: 5 % of the baseline, at least 10 ms (TTFT), 1 ms (time between tokens), 50 ms (E2E),
 *   and at least the resolution of the bucket the baseline lies in (bucketResolution);
 * - waiting requests: 0.5 request (a queue of 2 where there was none is an episode, "0 → 5" scores 10);
 * - preemptions: 0.01/s (about 2.4 a minute sustained);
 * - KV usage 1 point of the pool, running requests 1, generation 1 token/s; all at least 5 % of the level.
 */
export const ANOMALY_SERIES: AnomalySeries[] = [
  { metric: `p95 ${TTFT}`, unit: 'seconds', userFacing: true, absFloor: 0.01, relFloor: 0.05, histogram: TTFT, values: (v, s) => centredQuantile(v, TTFT, 0.95, s, quantileSignalWindowSeconds(v, TTFT, s)) },
  { metric: `p95 ${ITL}`, unit: 'seconds', userFacing: true, absFloor: 0.001, relFloor: 0.05, histogram: ITL, values: (v, s) => centredQuantile(v, ITL, 0.95, s, quantileSignalWindowSeconds(v, ITL, s)) },
  { metric: `p95 ${E2E}`, unit: 'seconds', userFacing: true, absFloor: 0.05, relFloor: 0.05, histogram: E2E, values: (v, s) => centredQuantile(v, E2E, 0.95, s, quantileSignalWindowSeconds(v, E2E, s)) },
  { metric: 'vllm:num_requests_waiting', unit: 'requests', userFacing: true, absFloor: 0.5, relFloor: 0.05, values: (v, s) => v.gauge('vllm:num_requests_waiting', s, 'sum') },
  { metric: 'rate(vllm:num_preemptions_total)', unit: 'per second', userFacing: true, absFloor: 0.01, relFloor: 0.05, values: (v, s) => centredRate(v, 'vllm:num_preemptions_total', s, anomalySignalWindowSeconds(v)) },
  { metric: 'vllm:kv_cache_usage_perc', unit: 'ratio', userFacing: false, absFloor: 0.01, relFloor: 0.05, values: (v, s) => v.gauge('vllm:kv_cache_usage_perc', s, 'avg') },
  { metric: 'vllm:num_requests_running', unit: 'requests', userFacing: false, absFloor: 1, relFloor: 0.05, values: (v, s) => v.gauge('vllm:num_requests_running', s, 'sum') },
  { metric: 'rate(vllm:generation_tokens_total)', unit: 'tokens per second', userFacing: false, absFloor: 1, relFloor: 0.05, values: (v, s) => centredRate(v, 'vllm:generation_tokens_total', s, anomalySignalWindowSeconds(v)) },
];

/** Metric keys of the user-facing series (TTFT, time between tokens, E2E p95; queue; preemption rate). */
export const USER_FACING_ANOMALY_METRICS: readonly string[] = ANOMALY_SERIES.filter((a) => a.userFacing).map((a) => a.metric);

/**
 * Every anomaly episode of one scope (no cap), against the frozen robust baseline of stats/baseline.ts:
 * what a diagnosis reads to check whether a user-facing series had an incident nothing explains.
 * `metrics` restricts the series (keys of ANOMALY_SERIES).
 */
export function anomalyEpisodesIn(view: AnalysisView, scope: Scope, metrics?: readonly string[]): AnomalyEpisode[] {
  return view.memo(`anomalies:${scope}:${metrics ? metrics.join(',') : '*'}`, () => {
    const out: AnomalyEpisode[] = [];
    if (view.grid.length < 2) return out;
    const o = ANOMALY_OPTIONS;
    // A grid coarser than the baseline window (samples years apart coarsen the step to days) leaves
    // no baseline to score against: no episodes, rather than a RangeError from the baseline.
    if (!(view.step <= o.baselineSeconds)) return out;
    for (const spec of ANOMALY_SERIES) {
      if (metrics && !metrics.includes(spec.metric)) continue;
      const values = spec.values(view, scope);
      if (!values) continue;
      const les = spec.histogram ? centredBucketRates(view, spec.histogram, scope, quantileSignalWindowSeconds(view, spec.histogram, scope))?.les : undefined;
      const r = frozenBaselineAnomalies(view.grid, values, {
        stepSeconds: view.step,
        baselineSeconds: o.baselineSeconds,
        minBaselineSeconds: o.minBaselineSeconds,
        minBaselinePoints: o.minBaselinePoints,
        threshold: o.threshold,
        minEpisodeSeconds: o.minEpisodeSeconds,
        bridgeSeconds: o.bridgeSeconds,
        maxEpisodeSeconds: o.maxEpisodeSeconds,
        absFloor: spec.absFloor,
        relFloor: spec.relFloor,
        scoreCap: o.scoreCap,
        floorAt: les ? (m: number) => bucketResolution(les, m) : undefined,
      });
      for (const e of r.episodes) {
        const ep = toResult(view, scope, spec, e);
        if (les) {
          // A quantile read off buckets is known only to its bucket: a p95 that moves into the bucket next
          // to the baseline's may be a small change in the share of requests near their common bound,
          // magnified by interpolation in a wider bucket. Keep the episode only when its peak reached a
          // bucket that does not touch the baseline's.
          const b = bucketAround(les, e.baselineValue);
          const p = bucketAround(les, e.peakValue);
          if (!b || !p) continue;
          if (e.direction === 'up' ? !(p.lowerSeconds > (b.upperSeconds ?? Infinity)) : !((p.upperSeconds ?? Infinity) < b.lowerSeconds)) continue;
          ep.baselineBucket = b;
          ep.peakBucket = p;
        }
        out.push(ep);
      }
    }
    return out;
  });
}

function toResult(view: AnalysisView, scope: Scope, spec: AnomalySeries, e: BaselineEpisode): AnomalyEpisode {
  const ratio = Math.abs(e.baselineValue) > spec.absFloor ? e.peakValue / e.baselineValue : null;
  return {
    metric: spec.metric,
    scope,
    method: 'robust',
    startSeconds: e.startSeconds,
    endSeconds: Math.min(view.end, e.endSeconds),
    peakValue: e.peakValue,
    peakScore: e.peakScore,
    direction: e.direction,
    peakSeconds: e.peakSeconds,
    baselineValue: e.baselineValue,
    baselineScale: e.baselineScale,
    ratioToBaseline: ratio,
    deltaFromBaseline: e.peakValue - e.baselineValue,
    scoreCapped: e.scoreCapped,
    acceptedAsNormal: e.acceptedAsNormal,
    unit: spec.unit,
  };
}

const bySeverity = (a: AnomalyEpisode, b: AnomalyEpisode): number =>
  Math.abs(b.peakScore) - Math.abs(a.peakScore) || b.endSeconds - b.startSeconds - (a.endSeconds - a.startSeconds) || a.startSeconds - b.startSeconds || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0);

/** The report's anomaly episodes: each scope's strongest (maxEpisodesPerScope), at most maxEpisodes in all, in time order. */
export function anomalyEpisodes(view: AnalysisView): AnomalyEpisode[] {
  const o = ANOMALY_OPTIONS;
  const kept: AnomalyEpisode[] = [];
  for (const scope of view.scopes()) kept.push(...anomalyEpisodesIn(view, scope).sort(bySeverity).slice(0, o.maxEpisodesPerScope));
  return kept
    .sort(bySeverity)
    .slice(0, o.maxEpisodes)
    .sort((a, b) => a.startSeconds - b.startSeconds || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
}

export const CORRELATION_OPTIONS = {
  /** Largest lead/lag tried, in seconds. */
  maxLagSeconds: 600,
  /** Bonferroni-adjusted p-value a pair must beat to be reported. */
  maxP: 0.01,
  /** |r| a pair must reach to be reported. Judgement call. */
  minAbsR: 0.5,
  maxRows: 10,
  /** Points per series after block averaging. */
  maxPoints: 2000,
};

/** Block means ignoring NaN (NaN where a block has no value). */
export function blockMeans(a: Float64Array, factor: number): Float64Array {
  if (factor <= 1) return a;
  const out = new Float64Array(Math.ceil(a.length / factor));
  for (let b = 0; b < out.length; b++) {
    let s = 0;
    let n = 0;
    for (let i = b * factor; i < Math.min(a.length, (b + 1) * factor); i++) if (a[i] === a[i]) { s += a[i]; n++; }
    out[b] = n ? s / n : NaN;
  }
  return out;
}

/**
 * Correlations between the fleet's key series. Long windows are averaged into at most `maxPoints`
 * blocks first: lagged correlation costs points × lags per pair, and a lead of minutes does not need
 * 10-second resolution over a week.
 */
export function correlations(view: AnalysisView): CorrelationRow[] {
  const rows: CorrelationRow[] = [];
  const o = CORRELATION_OPTIONS;
  const factor = Math.max(1, Math.ceil(view.grid.length / o.maxPoints));
  const step = view.step * factor;
  const maxLag = Math.max(1, Math.round(o.maxLagSeconds / step));
  for (const scope of ['fleet']) {
    const ks = keySeries(view, scope).map((k) => ({ ...k, values: blockMeans(k.values, factor) }));
    for (let i = 0; i < ks.length; i++) {
      for (let j = i + 1; j < ks.length; j++) {
        const a = ks[i];
        const b = ks[j];
        const p = pearson(a.values, b.values);
        if (p.skipped !== undefined) continue;
        const s = spearman(a.values, b.values);
        const lag = laggedCorrelation(a.values, b.values, maxLag);
        if (lag.skipped !== undefined || s.skipped !== undefined) continue;
        if (Math.abs(lag.r) < o.minAbsR || lag.pAdjusted > o.maxP) continue;
        rows.push({ a: a.metric, b: b.metric, scope, pearson: p.r, spearman: s.r, leadSeconds: lag.bestLag * step, laggedR: lag.r, pValue: lag.pAdjusted, n: lag.n });
      }
    }
  }
  rows.sort((x, y) => Math.abs(y.laggedR) - Math.abs(x.laggedR) || (x.a < y.a ? -1 : 1));
  return rows.slice(0, o.maxRows);
}
