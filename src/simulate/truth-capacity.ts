// Capacity (the highest constant request rate one replica serves at the targets), demand (the
// generator's daily peaks) and saturation (when they reach capacity). Split out of truth.ts; code
// moved, not changed.

import { rateAt } from './arrivals.js';
import { simulateReplica } from './engine.js';
import { Timeline } from './timeline.js';
import { n, round, windowStats } from './truth-episodes.js';
import { TRUTH_BIN_SECONDS, type CapacityPoint, type CapacityTruth, type DemandTruth, type SaturationTruth } from './truth-types.js';
import type { ReplicaSpec, SimOptions } from './types.js';

// --- capacity: the highest constant request rate one replica serves at the targets ----------------

/** The replica with its streams at a constant total rate `rps` (each stream keeps its share of the base rate). */
function atConstantRate(spec: ReplicaSpec, rps: number): ReplicaSpec {
  const base = spec.streams.reduce((a, s) => a + s.rate.rps, 0);
  return {
    ...spec,
    faults: [],
    streams: spec.streams.map((s) => ({ ...s, rate: { rps: (rps * s.rate.rps) / base } })),
  };
}

/**
 * Bisection on a constant arrival rate: each point simulates `minutes` (the first 5 excluded) of the
 * replica's own mix at that rate, on the same seed. Latency quantiles as in window stats.
 */
export function capacitySearch(spec: ReplicaSpec, seed: number, targets: { ttftP95Seconds: number; tbtP95Seconds: number }, minutes = 30): CapacityTruth {
  const points: CapacityPoint[] = [];
  const dur = minutes * 60;
  const probe = (rps: number): CapacityPoint => {
    const tl = new Timeline(dur, TRUTH_BIN_SECONDS);
    tl.enableFineTbt(300);
    simulateReplica(atConstantRate(spec, rps), { seed, startTime: 0, durationSeconds: dur, scrapeIntervalSeconds: 60 }, 0, tl);
    const w = windowStats(tl, 0, 300, dur);
    w.tbtP95Seconds = n(tl.fineTbtQuantile(0.95));
    const meets = w.ttftP95Seconds !== null && w.tbtP95Seconds !== null && w.ttftP95Seconds <= targets.ttftP95Seconds && w.tbtP95Seconds <= targets.tbtP95Seconds;
    const p = { requestsPerSecond: round(rps), ttftP95Seconds: w.ttftP95Seconds, tbtP95Seconds: w.tbtP95Seconds, queueMeanSeconds: w.queueMeanSeconds, meetsTargets: meets };
    points.push(p);
    return p;
  };
  let lo = 0.25;
  let hi = 1;
  // Grow until the targets break, then bisect to 2 %.
  while (probe(hi).meetsTargets && hi < 1000) {
    lo = hi;
    hi *= 2;
  }
  let broke = points[points.length - 1];
  while (hi / lo > 1.02) {
    const mid = Math.sqrt(lo * hi);
    const p = probe(mid);
    if (p.meetsTargets) lo = mid;
    else {
      hi = mid;
      broke = p;
    }
  }
  const limitedBy = broke.ttftP95Seconds === null || broke.ttftP95Seconds > targets.ttftP95Seconds ? 'ttft' : 'tbt';
  return {
    replica: spec.instance,
    targets,
    mix: spec.streams.map((s) => s.name),
    requestsPerSecond: round(lo),
    limitedBy,
    points: [...points].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond),
    method: `constant-rate runs of ${minutes} min (first 5 excluded) of the replica's own request mix, same seed; doubling from 1 req/s until a target breaks, then bisection to 2 %`,
  };
}

// --- demand: the generator's daily peaks, and when they reach capacity -------------------------------

const DAY = 86400;

function utcDay(unix: number): string {
  return new Date(unix * 1000).toISOString().slice(0, 10);
}

/** Mean of the summed stream rates over each minute-aligned hour starting in [from, to) (offsets), its best start. */
function peakHour(spec: ReplicaSpec, from: number, to: number, lastStart: number): { start: number; rps: number } {
  const minute = (m: number) => spec.streams.reduce((a, s) => a + rateAt(s.rate, m * 60 + 30), 0);
  let best = { start: from, rps: -1 };
  const m0 = Math.ceil(from / 60);
  const m1 = Math.floor(Math.min(to, lastStart) / 60);
  let sum = 0;
  for (let m = m0; m < m0 + 60; m++) sum += minute(m);
  for (let m = m0; m <= m1; m++) {
    if (sum / 60 > best.rps) best = { start: m * 60, rps: sum / 60 };
    sum += minute(m + 60) - minute(m);
  }
  return best;
}

export function demandOf(spec: ReplicaSpec, tl: Timeline, opts: SimOptions): DemandTruth {
  const dailyPeaks: DemandTruth['dailyPeaks'] = [];
  const at = tl.arrivalAt.view();
  for (let dayStart = Math.floor(opts.startTime / DAY) * DAY; dayStart < opts.startTime + opts.durationSeconds; dayStart += DAY) {
    const from = Math.max(0, dayStart - opts.startTime);
    const to = Math.min(opts.durationSeconds, dayStart + DAY - opts.startTime);
    if (to - from < 3600) continue;
    const p = peakHour(spec, from, to, opts.durationSeconds - 3600);
    let n = 0;
    for (let i = 0; i < at.length; i++) if (at[i] >= p.start && at[i] < p.start + 3600) n++;
    dailyPeaks.push({ day: utcDay(opts.startTime + p.start), peakHourStart: opts.startTime + p.start, generatorRps: round(p.rps), arrivedRps: round(n / 3600), partial: to - from < DAY });
  }
  const r = spec.streams[0]?.rate;
  return { replica: spec.instance, dailyPeaks, growthPerDay: r?.growth?.perDay ?? null, weekendFactor: r?.weekly?.weekendFactor ?? null };
}

export function saturationOf(specs: ReplicaSpec[], spec: ReplicaSpec, capacityRps: number, opts: SimOptions): SaturationTruth {
  const end = opts.startTime + opts.durationSeconds;
  const method =
    "the generator's peak hour per UTC day (1-minute grid, the rate profile extended past the window) against the per-replica capacity; replicas needed = ⌈fleet peak-hour rate ÷ capacity⌉ on the day 28 days after the window ends";
  const horizon = 28;
  const hDay = Math.floor(end / DAY) * DAY + horizon * DAY;
  const fleetPeak = specs.reduce((acc, sp) => acc + peakHour(sp, hDay - opts.startTime, hDay + DAY - opts.startTime, Infinity).rps, 0);
  const replicasNeeded = { horizonDays: horizon, day: utcDay(hDay), fleetPeakRps: round(fleetPeak), replicas: Math.ceil(fleetPeak / capacityRps) };
  for (let dayStart = Math.floor(opts.startTime / DAY) * DAY; dayStart < end + 365 * DAY; dayStart += DAY) {
    const from = Math.max(0, dayStart - opts.startTime);
    const p = peakHour(spec, from, dayStart + DAY - opts.startTime, Infinity);
    if (p.rps > capacityRps) {
      const start = opts.startTime + p.start;
      return { capacityRps, replicasNeeded, day: utcDay(start), peakHourStart: start, daysAfterWindowEnd: round((start - end) / DAY), method };
    }
  }
  return { capacityRps, replicasNeeded, day: null, peakHourStart: null, daysAfterWindowEnd: null, method };
}
