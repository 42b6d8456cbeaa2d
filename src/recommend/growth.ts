// Growth of peak demand and when it uses up the headroom (docs/capacity.md, "Growth"):
//
//   ln(peak_d) = β₀ + β₁·t_d + β₂·weekend_d + ε_d
//
// over the daily peaks (the busiest hour of each UTC day whose data covers the usual peak hour), t_d the
// peak's time in days, weekend_d = 1 on Saturday and Sunday (UTC) when the fitted days include both kinds,
// so a weekend's dip neither hides growth nor fakes it. β₁ is the compounding growth per day (e^β₁ − 1),
// with its standard error from OLS and a Student-t interval on n − p degrees of freedom. The weekday peak
// is projected forward; saturation is the first time the projection reaches a capacity, and its interval
// comes from the 95 % confidence band of the fitted line.

import { ols, predict, tQuantile, type OlsFit } from '../stats/regression.js';
import { DAY, type DailyPeak } from '../derive/demand.js';

/** Daily peaks needed for a growth fit: with a weekend term that leaves 2 degrees of freedom at 5 days. Judgement call. */
export const MIN_GROWTH_DAYS = 4;
/** Confidence level of every interval in the capacity review. */
export const CONFIDENCE = 0.95;
/** How far a projection is searched (a year: beyond that the fit says nothing useful). */
export const PROJECTION_LIMIT_DAYS = 365;

export interface GrowthFit {
  /** Time origin of t (Unix seconds, midnight UTC of the first day used). */
  originSeconds: number;
  fit: OlsFit;
  /** Whether the weekend term is in the model. */
  weekendTerm: boolean;
  /** Daily peaks used. */
  days: number;
  /** e^β₁ − 1 and its interval. */
  perDay: number;
  perDayLow: number;
  perDayHigh: number;
  /** e^β₂ (weekend peak ÷ weekday peak), null without the term. */
  weekendFactor: number | null;
  /** The interval of the growth excludes 0. */
  significant: boolean;
  /** Student-t quantile of the intervals. */
  t: number;
}

export type GrowthOutcome = { evaluated: true; growth: GrowthFit } | { evaluated: false; reason: string };

/** The growth fit over the used daily peaks. */
export function fitGrowth(peaks: readonly DailyPeak[]): GrowthOutcome {
  const used = peaks.filter((p) => p.used && p.window.requestsPerSecond > 0);
  if (used.length < MIN_GROWTH_DAYS) return { evaluated: false, reason: `${used.length} daily peak${used.length === 1 ? '' : 's'} that cover the usual peak hour; the growth fit needs ${MIN_GROWTH_DAYS}` };
  const origin = used[0].day * DAY;
  const weekendTerm = used.some((p) => p.weekend) && used.some((p) => !p.weekend);
  // With a weekend term, 2 degrees of freedom need 5 days; without it, a weekend inside 4 days would bend the trend.
  if (weekendTerm && used.length < 5) return { evaluated: false, reason: `${used.length} daily peaks mixing weekdays and weekend days; separating growth from the weekly cycle needs 5` };
  const X = used.map((p) => {
    const t = ((p.window.startSeconds + p.window.endSeconds) / 2 - origin) / DAY;
    return weekendTerm ? [1, t, p.weekend ? 1 : 0] : [1, t];
  });
  const y = used.map((p) => Math.log(p.window.requestsPerSecond));
  const fit = ols(X, y);
  if (!fit) return { evaluated: false, reason: 'the daily peaks do not determine a trend (all at one time, or a weekend term with too few weekdays)' };
  const t = tQuantile(1 - (1 - CONFIDENCE) / 2, fit.df);
  const b1 = fit.beta[1];
  const s1 = fit.se[1];
  return {
    evaluated: true,
    growth: {
      originSeconds: origin,
      fit,
      weekendTerm,
      days: used.length,
      perDay: Math.expm1(b1),
      perDayLow: Math.expm1(b1 - t * s1),
      perDayHigh: Math.expm1(b1 + t * s1),
      weekendFactor: weekendTerm ? Math.exp(fit.beta[2]) : null,
      significant: b1 - t * s1 > 0 || b1 + t * s1 < 0,
      t,
    },
  };
}

/** The weekday peak projected at time `at`: the point value and the 95 % band of the fitted line, in requests/s. */
export function projectPeak(g: GrowthFit, at: number): { value: number; low: number; high: number } {
  const x = [1, (at - g.originSeconds) / DAY, ...(g.weekendTerm ? [0] : [])];
  const p = predict(g.fit, x);
  return { value: Math.exp(p.value), low: Math.exp(p.value - g.t * p.se), high: Math.exp(p.value + g.t * p.se) };
}

export interface Saturation {
  /** When the projected weekday peak reaches the capacity (null: not within the search limit). */
  atSeconds: number | null;
  /** Earliest: the upper band reaches it; latest: the lower band does (null: not within the limit). */
  earliestSeconds: number | null;
  latestSeconds: number | null;
}

/**
 * When demand × `share` first reaches `capacity` (requests/s), searching hourly from `from` up to
 * PROJECTION_LIMIT_DAYS: point estimate, earliest (upper band) and latest (lower band).
 */
export function projectSaturation(g: GrowthFit, capacity: number, from: number, share = 1): Saturation {
  let atSeconds: number | null = null;
  let earliestSeconds: number | null = null;
  let latestSeconds: number | null = null;
  for (let t = from; t <= from + PROJECTION_LIMIT_DAYS * DAY; t += 3600) {
    const p = projectPeak(g, t);
    if (earliestSeconds === null && p.high * share >= capacity) earliestSeconds = t;
    if (atSeconds === null && p.value * share >= capacity) atSeconds = t;
    if (latestSeconds === null && p.low * share >= capacity) {
      latestSeconds = t;
      break;
    }
  }
  return { atSeconds, earliestSeconds, latestSeconds };
}
