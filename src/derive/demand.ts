// Demand over time for a set of replicas (a model, or one configuration group): requests that arrived,
// prompt and output tokens, per 5-minute bin (derive/bins.ts), and what the capacity review reads off
// them — the busiest hour, the hour-of-day and day-of-week profiles (UTC), the daily peaks.
//
// Arrivals are not exported by vLLM; they are finished requests plus the change in requests in flight
// (running + waiting) across the bin: a request that arrived and still waits at the end of the bin
// counts as demand in that bin. Formulas in docs/capacity.md.

import type { AnalysisView, Scope } from './view.js';
import { binStart, binsOf, counterBins, gaugeAtEdges, sumNan, type Bins } from './bins.js';

export const HOUR = 3600;
export const DAY = 86400;

/** Demand per bin of a set of replicas, each counted only in the bins where `member` says it belongs. */
export interface DemandSeries {
  bins: Bins;
  /** Requests that arrived in each bin (finished + change in flight), NaN where no member has data. */
  arrivals: Float64Array;
  finished: Float64Array;
  promptTokens: Float64Array;
  outputTokens: Float64Array;
  /** Members with data in each bin. */
  replicas: Float64Array;
}

/** Finished requests per bin of one replica: `vllm:request_success_total` (every finished_reason), else the end-to-end histogram's count. */
export function finishedBins(view: AnalysisView, replica: Scope): Float64Array | null {
  return counterBins(view, 'vllm:request_success_total', replica) ?? counterBins(view, 'vllm:e2e_request_latency_seconds_count', replica);
}

/** Arrivals per bin of one replica: finished + Δ(running + waiting) across the bin, never below 0. */
export function arrivalBins(view: AnalysisView, replica: Scope): Float64Array | null {
  return view.memo(`bins:arrivals:${replica}`, () => {
    const fin = finishedBins(view, replica);
    if (!fin) return null;
    const run = gaugeAtEdges(view, 'vllm:num_requests_running', replica);
    const wait = gaugeAtEdges(view, 'vllm:num_requests_waiting', replica);
    const out = new Float64Array(fin.length);
    for (let k = 0; k < fin.length; k++) {
      const f = fin[k];
      if (f !== f) {
        out[k] = NaN;
        continue;
      }
      const a = (run ? run[k] : NaN) + (wait ? wait[k] : 0);
      const b = (run ? run[k + 1] : NaN) + (wait ? wait[k + 1] : 0);
      out[k] = Math.max(0, a === a && b === b ? f + b - a : f);
    }
    return out;
  });
}

/**
 * Demand of the replicas in `members`, counting replica r in bin k only when `member(r, k)`. Null when
 * no member exports a finished-request counter.
 */
export function demandOf(view: AnalysisView, members: readonly Scope[], member: (replica: Scope, bin: number) => boolean = () => true): DemandSeries | null {
  const bins = binsOf(view);
  const n = bins.count;
  const masked = (a: Float64Array | null, r: Scope) => {
    if (!a) return null;
    const out = new Float64Array(n);
    for (let k = 0; k < n; k++) out[k] = member(r, k) ? a[k] : NaN;
    return out;
  };
  const arr: Float64Array[] = [];
  const fin: Float64Array[] = [];
  const pr: Float64Array[] = [];
  const out: Float64Array[] = [];
  const count = new Float64Array(n);
  for (const r of members) {
    const a = masked(arrivalBins(view, r), r);
    if (!a) continue;
    arr.push(a);
    fin.push(masked(finishedBins(view, r), r)!);
    const p = masked(counterBins(view, 'vllm:prompt_tokens_total', r), r);
    const o = masked(counterBins(view, 'vllm:generation_tokens_total', r), r);
    if (p) pr.push(p);
    if (o) out.push(o);
    for (let k = 0; k < n; k++) if (a[k] === a[k]) count[k]++;
  }
  if (!arr.length) return null;
  return { bins, arrivals: sumNan(arr, n), finished: sumNan(fin, n), promptTokens: sumNan(pr, n), outputTokens: sumNan(out, n), replicas: count };
}

/** Bins per hour (at least 1). */
export function binsPerHour(b: Bins): number {
  return Math.max(1, Math.round(HOUR / b.width));
}

export interface Window {
  /** First bin and one past the last. */
  k0: number;
  k1: number;
  startSeconds: number;
  endSeconds: number;
  requestsPerSecond: number;
  promptTokensPerSecond: number | null;
  outputTokensPerSecond: number | null;
}

function rateOver(d: DemandSeries, a: Float64Array, k0: number, k1: number): number | null {
  let s = 0;
  for (let k = k0; k < k1; k++) {
    const x = a[k];
    if (x !== x) return null;
    s += x;
  }
  return s / ((k1 - k0) * d.bins.width);
}

/** A window's rates (null when a bin of it has no data). */
export function windowOf(d: DemandSeries, k0: number, k1: number): Window | null {
  const rps = rateOver(d, d.arrivals, k0, k1);
  if (rps === null) return null;
  return { k0, k1, startSeconds: binStart(d.bins, k0), endSeconds: binStart(d.bins, k1), requestsPerSecond: rps, promptTokensPerSecond: rateOver(d, d.promptTokens, k0, k1), outputTokensPerSecond: rateOver(d, d.outputTokens, k0, k1) };
}

/**
 * The busiest window of `len` bins whose start lies in [from, to) (bin indices), every bin with data:
 * the highest arrival rate. Null when none qualifies.
 */
export function busiest(d: DemandSeries, len: number, from = 0, to = d.bins.count): Window | null {
  let best: Window | null = null;
  // Running sum over a window of complete bins.
  let s = 0;
  let missing = 0;
  const a = d.arrivals;
  const n = d.bins.count;
  const lo = Math.max(0, from);
  for (let k = lo; k < Math.min(n, lo + len); k++) {
    if (a[k] !== a[k]) missing++;
    else s += a[k];
  }
  for (let k0 = lo; k0 < to && k0 + len <= n; k0++) {
    if (k0 > lo) {
      const out = a[k0 - 1];
      const inn = a[k0 + len - 1];
      if (out !== out) missing--;
      else s -= out;
      if (inn !== inn) missing++;
      else s += inn;
    }
    if (missing) continue;
    if (!best || s / (len * d.bins.width) > best.requestsPerSecond + 1e-12) best = windowOf(d, k0, k0 + len);
  }
  return best;
}

/** UTC hour of day (0–23) of a time. */
export function hourOfDay(t: number): number {
  return Math.floor((((t % DAY) + DAY) % DAY) / HOUR);
}

/** UTC day number (days since 1970-01-01) of a time. */
export function dayNumber(t: number): number {
  return Math.floor(t / DAY);
}

/** ISO date (UTC) of a day number. */
export function isoDay(day: number): string {
  return new Date(day * DAY * 1000).toISOString().slice(0, 10);
}

/** UTC day of week, 0 = Sunday … 6 = Saturday. */
export function dayOfWeek(day: number): number {
  return (((day + 4) % 7) + 7) % 7;
}

export interface HourProfile {
  hour: number;
  requestsPerSecond: number | null;
  promptTokensPerSecond: number | null;
  outputTokensPerSecond: number | null;
  /** Bins averaged. */
  bins: number;
}

/** Mean rates per UTC hour of day over the window (bins starting in that hour). */
export function hourProfile(d: DemandSeries): HourProfile[] {
  const acc = Array.from({ length: 24 }, () => ({ r: 0, p: 0, o: 0, n: 0, np: 0, no: 0 }));
  for (let k = 0; k < d.bins.count; k++) {
    const x = d.arrivals[k];
    if (x !== x) continue;
    const h = acc[hourOfDay(binStart(d.bins, k) + d.bins.width / 2)];
    h.r += x;
    h.n++;
    if (d.promptTokens[k] === d.promptTokens[k]) {
      h.p += d.promptTokens[k];
      h.np++;
    }
    if (d.outputTokens[k] === d.outputTokens[k]) {
      h.o += d.outputTokens[k];
      h.no++;
    }
  }
  const w = d.bins.width;
  return acc.map((h, hour) => ({ hour, requestsPerSecond: h.n ? h.r / (h.n * w) : null, promptTokensPerSecond: h.np ? h.p / (h.np * w) : null, outputTokensPerSecond: h.no ? h.o / (h.no * w) : null, bins: h.n }));
}

/** Median of the hourly arrival rates (consecutive whole hours from the window start with data). */
export function typicalRate(d: DemandSeries): number | null {
  const len = binsPerHour(d.bins);
  const rates: number[] = [];
  for (let k = 0; k + len <= d.bins.count; k += len) {
    const w = windowOf(d, k, k + len);
    if (w) rates.push(w.requestsPerSecond);
  }
  if (!rates.length) return null;
  rates.sort((a, b) => a - b);
  const m = rates.length >> 1;
  return rates.length % 2 ? rates[m] : (rates[m - 1] + rates[m]) / 2;
}

export interface DailyPeak {
  day: number;
  /** The busiest hour of that UTC day (its start lies in the day). */
  window: Window;
  /** Saturday or Sunday (UTC). */
  weekend: boolean;
  /** Whether the growth fit uses it: the day's data covers the profile's peak hour ± 1 h. */
  used: boolean;
}

/**
 * The busiest hour of each UTC day with data. A day is `used` for the growth fit when its data covers
 * the hour-of-day profile's peak hour and the hours either side (a partial day that misses the usual
 * peak would read low and bend the trend).
 */
export function dailyPeaks(d: DemandSeries, peakHour: number | null): DailyPeak[] {
  const b = d.bins;
  const len = binsPerHour(b);
  const out: DailyPeak[] = [];
  if (!b.count) return out;
  const firstDay = dayNumber(b.start);
  const lastDay = dayNumber(binStart(b, b.count) - 1);
  for (let day = firstDay; day <= lastDay; day++) {
    const from = Math.max(0, Math.ceil((day * DAY - b.start) / b.width - 1e-9));
    const to = Math.min(b.count, Math.ceil(((day + 1) * DAY - b.start) / b.width - 1e-9));
    if (to <= from) continue;
    const w = busiest(d, len, from, to);
    if (!w) continue;
    let used = false;
    if (peakHour !== null) {
      const c0 = day * DAY + (peakHour - 1) * HOUR;
      const c1 = day * DAY + (peakHour + 2) * HOUR;
      const k0 = Math.floor((c0 - b.start) / b.width);
      const k1 = Math.ceil((c1 - b.start) / b.width);
      used = k0 >= 0 && k1 <= b.count;
      for (let k = Math.max(0, k0); used && k < Math.min(b.count, k1); k++) if (d.arrivals[k] !== d.arrivals[k]) used = false;
    }
    const dow = dayOfWeek(day);
    out.push({ day, window: w, weekend: dow === 0 || dow === 6, used });
  }
  return out;
}

export interface WeekdayProfile {
  /** 0 = Sunday … 6 = Saturday (UTC). */
  dayOfWeek: number;
  /** Mean requests per whole day of that weekday. */
  requestsPerDay: number | null;
  /** Mean of that weekday's busiest-hour rates. */
  peakRequestsPerSecond: number | null;
  /** Whole days averaged. */
  days: number;
}

/** Requests per whole UTC day and busiest-hour rate, averaged per day of week (whole days only for the totals). */
export function weekdayProfile(d: DemandSeries, peaks: readonly DailyPeak[]): WeekdayProfile[] {
  const b = d.bins;
  const acc = Array.from({ length: 7 }, () => ({ total: 0, days: 0, peak: 0, peaks: 0 }));
  for (const p of peaks) {
    const dow = dayOfWeek(p.day);
    if (p.used) {
      acc[dow].peak += p.window.requestsPerSecond;
      acc[dow].peaks++;
    }
    const k0 = Math.round((p.day * DAY - b.start) / b.width);
    const k1 = Math.round(((p.day + 1) * DAY - b.start) / b.width);
    if (k0 < 0 || k1 > b.count) continue;
    let s = 0;
    let whole = true;
    for (let k = k0; k < k1; k++) {
      if (d.arrivals[k] !== d.arrivals[k]) {
        whole = false;
        break;
      }
      s += d.arrivals[k];
    }
    if (!whole) continue;
    acc[dow].total += s;
    acc[dow].days++;
  }
  return acc.map((a, dayOfWeek) => ({ dayOfWeek, requestsPerDay: a.days ? a.total / a.days : null, peakRequestsPerSecond: a.peaks ? a.peak / a.peaks : null, days: a.days }));
}
