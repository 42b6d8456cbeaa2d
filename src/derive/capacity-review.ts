// The capacity review (issue 14 §1; docs/capacity.md): per model, the demand profile and the growth of
// its daily peak; per configuration group, the utilization at its busiest hour, the capacity model
// (recommend/headroom.ts) with its limits, the headroom, when growth uses it up, the replicas the next
// weeks need, the GPU-hours consolidation would free and the cost per token. Runs on windows of a day or
// more, or when asked (`--capacity`). Numbers only; src/report/capacity-section.ts writes the sentences.

import type { AnalysisView, Scope } from './view.js';
import type { CapacityReview, GroupCapacity, ModelDemand, PeakUtilization, Projection } from '../model/capacity-result.js';
import { binStart, binsOf, deviceGaugeBins, gaugeBins } from './bins.js';
import { binsPerHour, busiest, dailyPeaks, DAY, demandOf, HOUR, hourOfDay, hourProfile, isoDay, typicalRate, weekdayProfile, windowOf, type DemandSeries } from './demand.js';
import { capacityModel, peakMix, pooledHistogram, pooledQuantile, stepTimeModel, type GroupSettings, type Membership } from '../recommend/headroom.js';
import { fitGrowth, projectPeak, projectSaturation, type GrowthOutcome } from '../recommend/growth.js';
import { kvPoolAt } from '../recommend/capacity.js';

/** Planning horizon: replicas needed and CAPACITY_HEADROOM_LOW look 4 weeks past the window. */
export const HORIZON_DAYS = 28;
/** Weeks of replica needs shown. */
export const HORIZON_WEEKS = 4;
/** Consolidation never plans a replica beyond this multiple of the busiest rate one was measured at. Judgement call. */
export const MAX_EXTRAPOLATION = 3;

export interface CapacityOptions {
  /** Run on a window shorter than a day too (`--capacity`). */
  force?: boolean;
  /** USD per GPU-hour (`--gpu-hour-price`). */
  gpuHourPriceUsd?: number;
}

/** Whether the window is a day or more (the last scrape of a 24-hour export is one step before 24 h). */
export function isDayOrMore(view: AnalysisView): boolean {
  return view.end - view.start + view.step >= DAY;
}

export function capacityReview(view: AnalysisView, o: CapacityOptions = {}): CapacityReview | null {
  if (view.grid.length < 2) return null;
  const day = isDayOrMore(view);
  if (!day && !o.force) return null;
  const bins = binsOf(view);
  if (!bins.count) return null;
  const slo = { ttftSeconds: view.slo.ttftSeconds, tbtSeconds: view.slo.tbtSeconds };
  const tl = view.timeline;
  const modelOf = new Map(tl.replicas.map((r) => [r.replica, r.model ?? '(unknown model)']));
  const replicas = view.replicas;
  if (!replicas.length) return null;
  // Group of each replica in each bin (by the bin's midpoint).
  const groupIn = new Map<Scope, (string | null)[]>();
  for (const r of replicas) {
    const g: (string | null)[] = [];
    for (let k = 0; k < bins.count; k++) g.push(view.configAt(r, binStart(bins, k) + bins.width / 2)?.group ?? null);
    groupIn.set(r, g);
  }
  const models: ModelDemand[] = [];
  const growthByModel = new Map<string, { outcome: GrowthOutcome; demand: DemandSeries; peakHour: number | null }>();
  for (const model of [...new Set(replicas.map((r) => modelOf.get(r) ?? '(unknown model)'))].sort()) {
    const reps = replicas.filter((r) => (modelOf.get(r) ?? '(unknown model)') === model);
    const d = demandOf(view, reps);
    if (!d) continue;
    const len = Math.min(binsPerHour(bins), bins.count);
    const peak = busiest(d, len);
    const hourly = day ? hourProfile(d) : [];
    const best = hourly.reduce<(typeof hourly)[number] | null>((b, h) => (h.requestsPerSecond !== null && (!b || h.requestsPerSecond > b.requestsPerSecond!) ? h : b), null);
    const peakHour = day && best ? best.hour : null;
    const peaks = day ? dailyPeaks(d, peakHour) : [];
    const growth: GrowthOutcome = day ? fitGrowth(peaks) : { evaluated: false, reason: 'the window is shorter than a day' };
    growthByModel.set(model, { outcome: growth, demand: d, peakHour });
    const mixBins = peakBins(d, peakHour, peak);
    const all: Membership = { replicas: reps, member: () => true };
    const p = pooledHistogram(view, 'vllm:request_prompt_tokens', all, mixBins);
    const g = pooledHistogram(view, 'vllm:request_generation_tokens', all, mixBins);
    const lengths = (h: typeof p) => ({ meanTokens: h && h.count > 0 ? h.sum / h.count : null, p50Tokens: pooledQuantile(h, 0.5), p90Tokens: pooledQuantile(h, 0.9), p99Tokens: pooledQuantile(h, 0.99), requests: h ? h.count : null });
    models.push({
      model,
      replicas: reps,
      peak: peak && { startSeconds: peak.startSeconds, endSeconds: peak.endSeconds, requestsPerSecond: peak.requestsPerSecond, promptTokensPerSecond: peak.promptTokensPerSecond, outputTokensPerSecond: peak.outputTokensPerSecond },
      typicalRequestsPerSecond: typicalRate(d),
      peakHourOfDay: peakHour,
      hourly,
      weekly: view.end - view.start + view.step >= 7 * DAY ? weekdayProfile(d, peaks) : [],
      lengthsAtPeak: p || g ? { prompt: lengths(p), output: lengths(g) } : null,
      dailyPeaks: peaks.map((x) => ({ day: isoDay(x.day), startSeconds: x.window.startSeconds, requestsPerSecond: x.window.requestsPerSecond, weekend: x.weekend, used: x.used })),
      growth: growth.evaluated
        ? {
            evaluated: true,
            days: growth.growth.days,
            perDayRatio: growth.growth.perDay,
            perDayLowRatio: growth.growth.perDayLow,
            perDayHighRatio: growth.growth.perDayHigh,
            slopePerDay: growth.growth.fit.beta[1],
            slopeStandardError: growth.growth.fit.se[1],
            degreesOfFreedom: growth.growth.fit.df,
            weekendFactor: growth.growth.weekendFactor,
            significant: growth.growth.significant,
            r2: Number.isFinite(growth.growth.fit.r2) ? growth.growth.fit.r2 : null,
          }
        : { evaluated: false, reason: growth.reason },
    });
  }

  const groups: GroupCapacity[] = [];
  for (const grp of tl.groups) {
    const members = [...new Set(grp.members.map((m) => m.replica))].filter((r) => groupIn.has(r)).sort();
    if (!members.length) continue;
    const m: Membership = { replicas: members, member: (r, k) => groupIn.get(r)?.[k] === grp.id };
    const d = demandOf(view, members, m.member);
    if (!d) continue;
    const model = grp.model ?? '(unknown model)';
    const md = growthByModel.get(model);
    const len = Math.min(binsPerHour(bins), bins.count);
    const peak = busiest(d, len);
    const last = lastMember(view, grp.members);
    const settings = groupSettings(view, last.replica, last.t);
    const gpus = gpusPerReplica(view, last.replica, last.t);
    const mixBins = peakBins(d, md?.peakHour ?? null, peak);
    const mix = peakMix(view, m, mixBins, slo, settings.poolTokens);
    const step = stepTimeModel(view, m, slo.tbtSeconds);
    const cm = capacityModel(mix, step, settings, slo);
    const util = peak ? peakUtilization(view, m, d, peak.k0, peak.k1, settings) : null;
    const perReplicaPeak = util && util.replicas > 0 ? util.requestsPerSecond / util.replicas : null;
    const C = cm.capacityRequestsPerSecond;
    const headroom = C !== null && perReplicaPeak ? C / perReplicaPeak - 1 : null;
    const queueHeadroom = cm.queueRequestsPerSecond !== null && perReplicaPeak ? cm.queueRequestsPerSecond / perReplicaPeak - 1 : null;
    const extrapolation = C !== null && step && step.requestsPerSecondMax > 0 ? C / step.requestsPerSecondMax : null;
    const confidence: GroupCapacity['confidence'] = !step || extrapolation === null || cm.limitedBy === null ? 'low' : extrapolation <= 1.5 && (step.r2 ?? 0) >= 0.5 ? 'high' : extrapolation <= 3 ? 'medium' : 'low';
    const atEnd = d.replicas[bins.count - 1] > 0 ? d.replicas[bins.count - 1] : 0;
    const endReplicas = members.filter((r) => groupIn.get(r)![bins.count - 1] === grp.id);
    const share = md ? demandShare(d, md.demand) : null;
    const projection = project(view, md?.outcome ?? null, C, atEnd, share, headroom);
    const replicasNeeded = needs(view, md?.outcome ?? null, C, share, peak?.requestsPerSecond ?? null, gpus.gpus);
    const planned = C !== null && step ? Math.min(C, MAX_EXTRAPOLATION * step.requestsPerSecondMax) : C;
    const consolidation = C !== null && C > 0 && planned !== null && planned > 0 && peak ? consolidate(d, C, planned, gpus.gpus, replicasNeeded) : null;
    groups.push({
      group: grp.id,
      model: grp.model,
      replicas: endReplicas.length ? endReplicas : members,
      gpusPerReplica: gpus.gpus,
      gpusPerReplicaKnown: gpus.known,
      peak: util,
      mix,
      stepTime: step,
      limits: cm.limits,
      queueRequestsPerSecond: cm.queueRequestsPerSecond,
      capacityRequestsPerSecond: C,
      limitedBy: cm.limitedBy,
      headroomRatio: headroom,
      queueHeadroomRatio: queueHeadroom,
      extrapolationRatio: extrapolation,
      confidence,
      projection,
      replicasNeeded,
      consolidation,
      cost: cost(d, gpus.gpus, o.gpuHourPriceUsd ?? null),
    });
  }
  return {
    trigger: day ? 'window' : 'flag',
    windowSeconds: view.end - view.start,
    binSeconds: bins.width,
    timezone: 'UTC',
    targets: { ttftSeconds: slo.ttftSeconds, tbtSeconds: slo.tbtSeconds, overTargetRatio: 0.05 },
    horizonDays: HORIZON_DAYS,
    gpuHourPriceUsd: o.gpuHourPriceUsd ?? null,
    models,
    groups,
  };
}

/** The bins the peak mix is read over: the peak hour of each day (windows of a day or more), else the busiest hour. */
function peakBins(d: DemandSeries, peakHour: number | null, peak: { k0: number; k1: number } | null): number[] {
  const out: number[] = [];
  if (peakHour !== null) {
    for (let k = 0; k < d.bins.count; k++) if (d.arrivals[k] === d.arrivals[k] && hourOfDay(binStart(d.bins, k) + d.bins.width / 2) === peakHour) out.push(k);
    if (out.length) return out;
  }
  if (peak) for (let k = peak.k0; k < peak.k1; k++) out.push(k);
  return out;
}

/** The member whose span ends last, and a time inside that span (to read the group's settings at). */
function lastMember(view: AnalysisView, members: readonly { replica: string; startSeconds: number; endSeconds: number }[]): { replica: string; t: number } {
  const m = members.reduce((a, b) => (b.endSeconds > a.endSeconds || (b.endSeconds === a.endSeconds && b.replica < a.replica) ? b : a));
  return { replica: m.replica, t: Math.max(m.startSeconds, Math.min(m.endSeconds, view.end)) };
}

function groupSettings(view: AnalysisView, r: Scope, t: number): GroupSettings {
  const seqs = view.settingAt(r, 'max_num_seqs', t);
  const mnbt = view.readNum(r, 'max_num_batched_tokens', t);
  const pool = kvPoolAt(view, r, t);
  const seqNum = seqs && typeof seqs.value === 'number' && seqs.bound !== 'upper' ? seqs.value : null;
  return {
    maxNumSeqs: seqNum,
    ...(seqs?.bound === 'lower' ? { maxNumSeqsBound: 'lower' as const } : {}),
    maxNumSeqsSource: seqs ? (seqs.source === 'inferred' ? `inferred (${seqs.inference?.method ?? 'metrics'})` : seqs.source) : null,
    maxNumBatchedTokens: mnbt ?? null,
    poolTokens: pool?.tokens ?? null,
  };
}

function gpusPerReplica(view: AnalysisView, r: Scope, t: number): { gpus: number; known: boolean } {
  const tp = view.readNum(r, 'tensor_parallel_size', t);
  const pp = view.readNum(r, 'pipeline_parallel_size', t);
  return { gpus: Math.max(1, (tp ?? 1) * (pp ?? 1)), known: tp !== undefined };
}

function peakUtilization(view: AnalysisView, m: Membership, d: DemandSeries, k0: number, k1: number, s: GroupSettings): PeakUtilization {
  const acc = (f: (r: Scope) => Float64Array | null, agg: 'mean' | 'max') => {
    let sum = 0;
    let n = 0;
    let max = -Infinity;
    for (const r of m.replicas) {
      const a = f(r);
      if (!a) continue;
      for (let k = k0; k < k1; k++) {
        if (!m.member(r, k) || a[k] !== a[k]) continue;
        sum += a[k];
        n++;
        max = Math.max(max, a[k]);
      }
    }
    return n ? (agg === 'mean' ? sum / n : max) : null;
  };
  const kv = (r: Scope) => gaugeBins(view, 'vllm:kv_cache_usage_perc', r, 'avg');
  const kvMax = (r: Scope) => gaugeBins(view, 'vllm:kv_cache_usage_perc', r, 'max');
  const run = (r: Scope) => gaugeBins(view, 'vllm:num_requests_running', r, 'sum');
  const wait = (r: Scope) => gaugeBins(view, 'vllm:num_requests_waiting', r, 'sum');
  let reps = 0;
  for (let k = k0; k < k1; k++) reps += d.replicas[k];
  const w = windowOf(d, k0, k1)!;
  return {
    startSeconds: w.startSeconds,
    endSeconds: w.endSeconds,
    requestsPerSecond: w.requestsPerSecond,
    replicas: reps / (k1 - k0),
    kvUsageMeanRatio: acc(kv, 'mean'),
    kvUsageMaxRatio: acc(kvMax, 'max'),
    runningMean: acc(run, 'mean'),
    runningMax: acc(run, 'max'),
    runningCap: s.maxNumSeqs,
    runningCapSource: s.maxNumSeqsSource,
    waitingMean: acc(wait, 'mean'),
    waitingMax: acc(wait, 'max'),
    gpuUtilMeanPercent: acc((r) => deviceGaugeBins(view, 'DCGM_FI_DEV_GPU_UTIL', r), 'mean'),
    smActiveMeanRatio: acc((r) => deviceGaugeBins(view, 'DCGM_FI_PROF_SM_ACTIVE', r), 'mean'),
  };
}

/** The group's share of the model's demand over the last day of the window (or the whole window when shorter). */
function demandShare(g: DemandSeries, model: DemandSeries): number | null {
  const n = g.bins.count;
  const from = Math.max(0, n - Math.round(DAY / g.bins.width));
  let a = 0;
  let b = 0;
  for (let k = from; k < n; k++) {
    if (model.arrivals[k] === model.arrivals[k]) b += model.arrivals[k];
    if (g.arrivals[k] === g.arrivals[k]) a += g.arrivals[k];
  }
  return b > 0 ? a / b : null;
}

function project(view: AnalysisView, outcome: GrowthOutcome | null, C: number | null, replicasAtEnd: number, share: number | null, headroom: number | null): Projection {
  const base = { demandShareRatio: share, capacityRequestsPerSecond: C !== null && replicasAtEnd > 0 ? C * replicasAtEnd : null, saturationSeconds: null, earliestSeconds: null, latestSeconds: null, daysAfterWindow: null };
  if (C === null) return { ...base, status: 'not-evaluated', reason: 'no capacity could be computed' };
  if (headroom !== null && headroom <= 0) return { ...base, status: 'saturated', reason: 'the busiest hour already reached the capacity' };
  if (!outcome || !outcome.evaluated) return { ...base, status: 'not-evaluated', reason: outcome && !outcome.evaluated ? outcome.reason : 'no demand series' };
  if (replicasAtEnd <= 0 || share === null || !(share > 0)) return { ...base, status: 'not-evaluated', reason: 'the group served no traffic at the end of the window (replaced during it)' };
  const g = outcome.growth;
  const sat = projectSaturation(g, C * replicasAtEnd, view.end, share);
  const out = { ...base, saturationSeconds: sat.atSeconds, earliestSeconds: sat.earliestSeconds, latestSeconds: sat.latestSeconds, daysAfterWindow: sat.atSeconds !== null ? (sat.atSeconds - view.end) / DAY : null };
  if (!g.significant) return { ...out, status: g.perDay < 0 ? 'declining' : 'no-significant-growth' };
  if (g.perDay < 0) return { ...out, status: 'declining' };
  if (sat.atSeconds === null) return { ...out, status: 'beyond-limit' };
  return { ...out, status: 'projected' };
}

function needs(view: AnalysisView, outcome: GrowthOutcome | null, C: number | null, share: number | null, peakNow: number | null, gpus: number): GroupCapacity['replicasNeeded'] {
  if (C === null || !(C > 0)) return [];
  const out: GroupCapacity['replicasNeeded'] = [];
  const growing = outcome?.evaluated && outcome.growth.significant && outcome.growth.perDay > 0 && share !== null && share > 0;
  for (let w = 1; w <= HORIZON_WEEKS; w++) {
    const at = view.end + w * 7 * DAY;
    let point: number;
    let high: number;
    if (growing && outcome?.evaluated) {
      const p = projectPeak(outcome.growth, at);
      point = p.value * share!;
      high = p.high * share!;
    } else {
      if (peakNow === null) return [];
      point = peakNow;
      high = peakNow;
    }
    const replicas = Math.max(1, Math.ceil(point / C - 1e-9));
    const replicasHigh = Math.max(1, Math.ceil(high / C - 1e-9));
    out.push({ week: w, atSeconds: at, peakRequestsPerSecond: point, peakHighRequestsPerSecond: high, replicas, replicasHigh, gpus: replicas * gpus, basis: growing ? 'growth' : 'flat' });
  }
  return out;
}

/**
 * Consolidation: replicas the window's busiest hour needs at the capacity C, and the replicas the next
 * weeks' projected peaks (upper band) need at the planned capacity — C, but never more than
 * MAX_EXTRAPOLATION × the busiest rate a replica was measured at (a model extrapolated further is not a
 * basis for removing GPUs). GPU-hours over the window beyond the peak's need (static) and beyond each
 * hour's need (scaling with demand).
 */
function consolidate(d: DemandSeries, C: number, planned: number, gpus: number, needed: GroupCapacity['replicasNeeded']): GroupCapacity['consolidation'] {
  const len = binsPerHour(d.bins);
  let present = 0;
  let staticIdle = 0;
  let hourlyIdle = 0;
  let hours = 0;
  let peak = 0;
  const windows: { reps: number; rps: number; hours: number }[] = [];
  for (let k = 0; k + 1 <= d.bins.count; k += len) {
    const k1 = Math.min(d.bins.count, k + len);
    const w = windowOf(d, k, k1);
    if (!w) continue;
    let reps = 0;
    for (let j = k; j < k1; j++) reps += d.replicas[j];
    reps /= k1 - k;
    const h = ((k1 - k) * d.bins.width) / HOUR;
    windows.push({ reps, rps: w.requestsPerSecond, hours: h });
    present = Math.max(present, Math.round(reps));
    peak = Math.max(peak, w.requestsPerSecond);
  }
  const atPeak = Math.max(1, Math.ceil(peak / C - 1e-9));
  for (const w of windows) {
    staticIdle += Math.max(0, w.reps - atPeak) * w.hours * gpus;
    hourlyIdle += Math.max(0, w.reps - Math.max(1, Math.ceil(w.rps / C - 1e-9))) * w.hours * gpus;
    hours += w.hours;
  }
  const plannedAt = (rps: number) => Math.max(1, Math.ceil(rps / planned - 1e-9));
  const inHorizon = Math.max(plannedAt(peak), ...needed.map((n) => plannedAt(n.peakHighRequestsPerSecond)));
  return { replicasPresent: present, replicasNeededAtPeak: atPeak, replicasNeededInHorizon: inHorizon, plannedCapacityRequestsPerSecond: planned, idleGpuHoursStatic: staticIdle, idleGpuHoursHourly: hourlyIdle, windowHours: hours };
}

function cost(d: DemandSeries, gpus: number, price: number | null): GroupCapacity['cost'] {
  let replicaSeconds = 0;
  let prompt = 0;
  let output = 0;
  let anyP = false;
  let anyO = false;
  for (let k = 0; k < d.bins.count; k++) {
    replicaSeconds += d.replicas[k] * d.bins.width;
    if (d.promptTokens[k] === d.promptTokens[k]) {
      prompt += d.promptTokens[k];
      anyP = true;
    }
    if (d.outputTokens[k] === d.outputTokens[k]) {
      output += d.outputTokens[k];
      anyO = true;
    }
  }
  const gpuSeconds = replicaSeconds * gpus;
  if (!(gpuSeconds > 0)) return null;
  const tokens = (anyP ? prompt : 0) + (anyO ? output : 0);
  const gpuHours = gpuSeconds / HOUR;
  return {
    gpuHours,
    promptTokens: anyP ? prompt : null,
    outputTokens: anyO ? output : null,
    tokensPerGpuSecond: anyP || anyO ? tokens / gpuSeconds : null,
    outputTokensPerGpuSecond: anyO ? output / gpuSeconds : null,
    usdPerMillionTokens: price !== null && tokens > 0 ? (price * gpuHours) / (tokens / 1e6) : null,
    usdPerMillionOutputTokens: price !== null && anyO && output > 0 ? (price * gpuHours) / (output / 1e6) : null,
  };
}

export { DAY };
