// Anomaly episodes on the key series (rolling z-score, robust for heavy-tailed ones) and the
// correlations between them with lead/lag.

import type { AnomalyEpisode, CorrelationRow } from '../model/result.js';
import { detectAnomalies } from '../stats/rolling.js';
import { laggedCorrelation, pearson, spearman } from '../stats/correlation.js';
import type { AnalysisView, Scope } from './view.js';

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

export const ANOMALY_OPTIONS = {
  /** Trailing window in grid points (10 min at 10 s). */
  window: 60,
  /** |z| at which a point is anomalous. */
  threshold: 4,
  minSamples: 30,
  /** Points of calm bridged inside one episode. */
  maxGap: 3,
  /** Points an episode needs (a single spike is noise). */
  minPoints: 3,
  /** Episodes kept in the report, by |peak score|. */
  maxEpisodes: 20,
};

export function anomalyEpisodes(view: AnalysisView): AnomalyEpisode[] {
  const all: AnomalyEpisode[] = [];
  const o = ANOMALY_OPTIONS;
  for (const scope of view.scopes()) {
    for (const k of keySeries(view, scope)) {
      const { episodes } = detectAnomalies(view.grid, k.values, { window: o.window, threshold: o.threshold, minSamples: o.minSamples, robust: k.robust, maxGap: o.maxGap, minPoints: o.minPoints });
      for (const e of episodes) {
        if (!Number.isFinite(e.peakScore)) continue;
        all.push({ metric: k.metric, scope, method: k.robust ? 'robust' : 'zscore', startSeconds: e.startSeconds, endSeconds: e.endSeconds, peakValue: e.peakValue, peakScore: e.peakScore, direction: e.direction });
      }
    }
  }
  all.sort((a, b) => Math.abs(b.peakScore) - Math.abs(a.peakScore) || a.startSeconds - b.startSeconds || (a.metric < b.metric ? -1 : 1));
  return all.slice(0, o.maxEpisodes).sort((a, b) => a.startSeconds - b.startSeconds || (a.metric < b.metric ? -1 : a.metric > b.metric ? 1 : 0) || (a.scope < b.scope ? -1 : 1));
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
