// Latency targets per window and error-budget burn rates (issue 9 §2), per scope and latency histogram.
//
// The target is a p95: the objective is "95 % of requests at or below the target", so the error budget
// is 5 % of requests over it. Over a window, burn rate = (share of requests over the target) / 0.05:
// 1 spends the budget exactly as fast as the objective allows, 14.4 spends a 30-day budget's 2 % in an
// hour. The alerts of the Google SRE workbook's multi-window, multi-burn-rate method are replayed on the
// data: "page" when both the 1 h and the 5 m burn rates exceed 14.4, "ticket" when both the 6 h and the
// 30 m exceed 6. The share over target comes from bucket rates (interpolated inside the bucket holding
// the target when the target is not a bucket bound). See docs/latency.md.

import type { BurnAlert, LatencyBurn, LatencyWindows } from '../model/result.js';
import { runsWhere } from './episodes.js';
import { bucketAround, centredBucketRates, centredQuantile, shareAboveSeries } from './windowed.js';
import type { AnalysisView, Scope } from './view.js';
import type { HistogramName } from '../model/metric-catalog.js';

/** The window each p95 is compared with the target over: an alert rule's `[5m]`. */
export const LATENCY_WINDOW_SECONDS = 300;

/** The quantile the targets are stated for; the budget is the share allowed above it. */
export const TARGET_QUANTILE = 0.95;
/** 5 %: written out, not 1 − 0.95 (which is 0.050000000000000044 in floating point). */
export const BUDGET_RATIO = 0.05;

/** The SRE workbook's recommended pairs (chapter "Alerting on SLOs", multiwindow multi-burn-rate alerts). */
export const BURN_ALERTS: readonly { name: 'fast' | 'slow'; longWindowSeconds: number; shortWindowSeconds: number; factor: number }[] = [
  { name: 'fast', longWindowSeconds: 3600, shortWindowSeconds: 300, factor: 14.4 },
  { name: 'slow', longWindowSeconds: 21600, shortWindowSeconds: 1800, factor: 6 },
];

/** Window lengths whose highest burn rate is reported. */
export const BURN_WINDOWS_SECONDS = [300, 1800, 3600, 21600] as const;

/**
 * Whether the window of `windowSeconds` ending at t lies inside the data. One scrape step of slack: the
 * first sample is at the data's start, and PromQL's rate extrapolates to the window's edge from there.
 */
function covered(view: AnalysisView, t: number, windowSeconds: number, scrapeSlack: number): boolean {
  return t - windowSeconds >= view.start - scrapeSlack && t <= view.end;
}

/** The scrape interval behind the grid (the grid step when it is not coarsened). */
function scrapeStep(view: AnalysisView): number {
  return view.step;
}

/**
 * The p95 over every sliding window of LATENCY_WINDOW_SECONDS (one per grid step, centred on it, fully
 * inside the data) against the target: how many were over, and the worst one.
 */
export function latencyWindows(view: AnalysisView, metric: HistogramName, scope: Scope, targetSeconds: number): LatencyWindows | null {
  if (view.grid.length < 2) return null;
  const W = Math.max(LATENCY_WINDOW_SECONDS, 2 * view.step);
  const q = centredQuantile(view, metric, TARGET_QUANTILE, scope, W);
  if (!q) return null;
  const g = view.grid;
  const half = W / 2;
  let evaluated = 0;
  let over = 0;
  let worst = -1;
  for (let i = 0; i < g.length; i++) {
    if (g[i] - half < view.start - scrapeStep(view) || g[i] + half > view.end + scrapeStep(view)) continue;
    const x = q[i];
    if (x !== x) continue;
    evaluated++;
    if (x > targetSeconds) over++;
    if (worst < 0 || x > q[worst]) worst = i;
  }
  const les = centredBucketRates(view, metric, scope, W)?.les;
  const bucket = worst >= 0 && les ? bucketAround(les, q[worst]) : null;
  return {
    windowSeconds: W,
    evaluated,
    overTarget: over,
    overTargetRatio: evaluated > 0 ? over / evaluated : null,
    overTargetSeconds: over * view.step,
    worst:
      worst < 0
        ? null
        : {
            startSeconds: g[worst] - half,
            endSeconds: g[worst] + half,
            p95Seconds: q[worst],
            ...(bucket && bucket.wide ? { bucket } : {}),
          },
  };
}

/**
 * Burn rate on the grid over trailing windows of `windowSeconds`: share of requests over the target
 * divided by the budget. NaN where the window is not inside the data or saw no request.
 */
export function burnRateSeries(view: AnalysisView, metric: HistogramName, scope: Scope, targetSeconds: number, windowSeconds: number): Float64Array | null {
  return view.memo(`burn:${metric}:${scope}:${targetSeconds}:${windowSeconds}`, () => {
    const share = shareAboveSeries(view, metric, targetSeconds, scope, windowSeconds, 'trailing');
    if (!share) return null;
    const out = new Float64Array(view.grid.length);
    for (let i = 0; i < out.length; i++) out[i] = covered(view, view.grid[i], windowSeconds, scrapeStep(view)) ? share[i] / BUDGET_RATIO : NaN;
    return out;
  });
}

/** Highest burn rate per window length, and the alert spans of the workbook's two window pairs. */
export function latencyBurn(view: AnalysisView, metric: HistogramName, scope: Scope, targetSeconds: number): LatencyBurn | null {
  if (view.grid.length < 2) return null;
  const span = view.end - view.start;
  const g = view.grid;
  const rates: LatencyBurn['rates'] = [];
  for (const w of BURN_WINDOWS_SECONDS) {
    if (w > span + scrapeStep(view)) continue;
    const b = burnRateSeries(view, metric, scope, targetSeconds, w);
    if (!b) return null;
    let n = 0;
    let best = -1;
    for (let i = 0; i < b.length; i++) {
      if (b[i] !== b[i]) continue;
      n++;
      if (best < 0 || b[i] > b[best]) best = i;
    }
    rates.push({ windowSeconds: w, evaluated: n, maxBurnRate: best < 0 ? null : b[best], atSeconds: best < 0 ? null : g[best] });
  }
  const alerts: BurnAlert[] = [];
  for (const a of BURN_ALERTS) {
    const base = { name: a.name, longWindowSeconds: a.longWindowSeconds, shortWindowSeconds: a.shortWindowSeconds, factor: a.factor };
    if (a.longWindowSeconds > span + scrapeStep(view)) {
      alerts.push({ ...base, evaluated: false, reason: `the data covers ${hours(span)}, less than the ${hours(a.longWindowSeconds)} long window`, spans: [] });
      continue;
    }
    const long = burnRateSeries(view, metric, scope, targetSeconds, a.longWindowSeconds)!;
    const short = burnRateSeries(view, metric, scope, targetSeconds, a.shortWindowSeconds)!;
    const runs = runsWhere(g, (i) => long[i] > a.factor && short[i] > a.factor, view.step, { minSeconds: 0, bridgeSeconds: 0 });
    alerts.push({
      ...base,
      evaluated: true,
      spans: runs.map((r) => {
        let pl = -Infinity;
        let ps = -Infinity;
        for (let i = r.startIndex; i <= r.endIndex; i++) {
          if (long[i] > pl) pl = long[i];
          if (short[i] > ps) ps = short[i];
        }
        return { startSeconds: g[r.startIndex], endSeconds: Math.min(view.end, g[r.endIndex] + view.step), peakLongBurnRate: pl, peakShortBurnRate: ps };
      }),
    });
  }
  return { budgetRatio: BUDGET_RATIO, rates, alerts };
}

function hours(s: number): string {
  const h = s / 3600;
  return h >= 1 ? `${+h.toFixed(2)} h` : `${Math.round(s / 60)} min`;
}
