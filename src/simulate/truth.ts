// The ground truth of a simulated dataset (`truth.json`): per replica, the settings each process ran
// with and which input states them; per incident, the true pathology, when it started and ended (from
// the engine's own state, not from the exports), the numbers before / during / after, the KV pool and
// the incident's length mix (tokens per sequence, how many such sequences fit the pool); the settings
// that differ between replicas and — where the scenario asks — what the replica would have done with
// its peers' setting (a counterfactual run on the very same requests). Tests assert an analysis of the
// exports against this file. Schema: docs/simulator.md ("Ground truth").

import { rateAt } from './arrivals.js';
import { planFor, simulateReplica, type ReplicaResult } from './engine.js';
import { findScenario, type Scenario, type IncidentSpec } from './scenarios.js';
import { Timeline, type LengthMix } from './timeline.js';
import type { RedeploySettings, ReplicaSpec, SimOptions } from './types.js';
import { logFileName, shipsLog, sameConfig } from './writers.js';

export const TRUTH_SCHEMA = 'vllm-tune/simulation-truth@1';

/** Bin of the engine-state timeline and of episode boundaries, seconds. */
export const TRUTH_BIN_SECONDS = 60;
/** Unaffected bins an episode may contain before it is closed (a short lull inside one incident). */
const EPISODE_MAX_GAP_BINS = 2;

export type Source = 'cache_config_info' | 'log';

export interface SettingsTruth {
  max_num_seqs: number;
  max_num_batched_tokens: number;
  max_model_len: number;
  gpu_memory_utilization: number;
  enable_prefix_caching: boolean;
  enable_chunked_prefill: boolean;
  kv_cache_dtype: string;
  block_size: number;
  tensor_parallel_size: number;
  num_gpu_blocks: number;
  vllm_version: string;
}

export interface ProcessTruth {
  cause: 'initial' | 'restart' | 'redeploy';
  /** `process_start_time_seconds` of the process (Unix s). */
  processStart: number;
  /** First and last instant (Unix s) of the window in which its /metrics answered. */
  from: number;
  to: number;
  settings: SettingsTruth;
  /** KV pool: num_gpu_blocks × block_size. */
  kvPoolTokens: number;
  /** Per setting, the inputs that state it; an empty list means it must be inferred. */
  statedBy: Record<keyof SettingsTruth, Source[]>;
}

export interface WindowStats {
  from: number;
  to: number;
  requestsPerSecond: number;
  ttftP95Seconds: number | null;
  tbtP95Seconds: number | null;
  queueMeanSeconds: number | null;
  preemptions: number;
  waitingMax: number;
  runningMax: number;
  kvUsageMax: number;
}

export interface MixTruth extends Omit<LengthMix, 'tokensPerSequence' | 'tokensPerSequenceP90' | 'promptTokensMean' | 'outputTokensMean'> {
  promptTokensMean: number | null;
  outputTokensMean: number | null;
  tokensPerSequence: number | null;
  tokensPerSequenceP90: number | null;
  /** ⌊KV pool tokens ÷ tokens per sequence⌋: sequences of this mix the pool holds at once. */
  sequencesThatFit: number | null;
  sequencesThatFitP90: number | null;
}

export interface EpisodeTruth {
  replica: string;
  pathology: string;
  mechanism: string;
  /** The generator's cause (e.g. the burst window), Unix s. */
  cause: { from: number; to: number };
  /** False when the cause produced no affected bin (then start/end are null). */
  occurred: boolean;
  /** Effect extent from the engine's state, to the bin (TRUTH_BIN_SECONDS). */
  start: number | null;
  end: number | null;
  durationSeconds: number | null;
  /** Index into the replica's `processes` of the process that ran during the episode. */
  process: number;
  kvPoolTokens: number;
  before: WindowStats | null;
  during: WindowStats | null;
  after: WindowStats | null;
  /** Length mix of the requests that arrived during the episode (what the traffic was). */
  incidentMix: MixTruth | null;
  /** Length mix of the requests that finished during it (what the token histograms show). */
  finishedMix: MixTruth | null;
}

export interface WhatIfTruth {
  replica: string;
  label: string;
  set: RedeploySettings;
  /** Whole window, actual vs counterfactual (same requests). */
  actual: WindowStats;
  counterfactual: WindowStats;
  /** The rule in `method.matters` applied to the two. */
  matters: boolean;
}

export interface ReplicaTruth {
  instance: string;
  hostname: string;
  model: string;
  gpu: string;
  /** Server log file of this replica in the dataset, or null when not shipped. */
  logFile: string | null;
  processes: ProcessTruth[];
  whole: WindowStats;
  totals: { arrived: number; finished: number; dropped: number; preemptions: number };
  /** The generator's inputs: request streams and faults. */
  generator: { streams: ReplicaSpec['streams']; faults: ReplicaSpec['faults'] };
}

export interface DriftTruth {
  model: string;
  setting: keyof SettingsTruth;
  /** Each replica's value(s) and when they held. */
  values: { replica: string; value: number | string | boolean; from: number; to: number }[];
}

export interface DemandTruth {
  replica: string;
  /** Per UTC day in the window: the hour (sliding, 1-minute grid) with the highest mean rate. */
  dailyPeaks: {
    day: string;
    peakHourStart: number;
    /** Mean request rate of that hour from the generator's rate profile (what the traffic was drawn from). */
    generatorRps: number;
    /** Requests that arrived in that hour ÷ 3600 (what actually came, Poisson noise included). */
    arrivedRps: number;
    /** The window covers only part of that UTC day (its peak hour may lie outside). */
    partial: boolean;
  }[];
  /** Compounding growth per day of the whole profile (null: none). */
  growthPerDay: number | null;
  weekendFactor: number | null;
}

export interface SaturationTruth {
  /** Per-replica capacity it is compared with (capacity.requestsPerSecond). */
  capacityRps: number;
  /** Replicas the fleet's peak hour needs at that capacity, on the day `horizonDays` after the window ends. */
  replicasNeeded: { horizonDays: number; day: string; fleetPeakRps: number; replicas: number };
  /** First day (UTC), from the window start on, whose generator peak hour exceeds the capacity; null when not within a year. */
  day: string | null;
  peakHourStart: number | null;
  daysAfterWindowEnd: number | null;
  method: string;
}

export interface PairTruth {
  name: string;
  role: 'before' | 'after';
  /** The other half's scenario (same seed, same requests). */
  peer: string;
  /** Settings that differ, per replica: this half's value and the other's. */
  change: { replica: string; setting: keyof SettingsTruth; before: number | string | boolean; after: number | string | boolean }[];
}

export interface Truth {
  schema: string;
  scenario: string;
  seed: number;
  start: number;
  end: number;
  scrapeIntervalSeconds: number;
  method: Record<string, string>;
  replicas: ReplicaTruth[];
  episodes: EpisodeTruth[];
  drift: DriftTruth[];
  whatIf: WhatIfTruth[];
  capacity?: CapacityTruth;
  demand?: DemandTruth[];
  saturation?: SaturationTruth;
  pair?: PairTruth;
}

const METHOD: Record<string, string> = {
  bins: `Engine state is binned by ${TRUTH_BIN_SECONDS} s from the window start; episode start/end are bin edges.`,
  episode:
    'For each cause window of an incident, the first affected bin from 2 bins before the cause start up to its end opens the episode; it extends while bins are affected, across at most ' +
    `${EPISODE_MAX_GAP_BINS} unaffected bins, and never into the next cause window. Affected: 'preemptions' = at least one preemption in the bin; ` +
    "'ttft-over-target' = p95 of the TTFTs of first tokens produced in the bin above the incident's target; 'queue' = requests waiting at some step of the bin ≥ the incident's minimum.",
  before_after: 'before = the episode-long window ending at the episode start (clipped to the window); after = the episode-long window starting at its end.',
  latency: 'TTFT quantiles are exact (every first token); inter-token latency quantiles come from 5 % wide log bins (±2.5 %). Both by when the token was produced.',
  mix: 'tokensPerSequence = mean(prompt + output tokens); sequencesThatFit = floor(kvPoolTokens / tokensPerSequence) (P90 variant with the 90th percentile).',
  matters: 'A setting difference matters when the counterfactual run changes TTFT p95 or inter-token p95 by ≥ 25 %, or moves preemptions or the peak queue from > 0 to 0 (or the reverse).',
  statedBy: "cache_config_info states block_size, cache dtype, prefix caching, gpu_memory_utilization, num_gpu_blocks; a shipped server log states the others except block_size and num_gpu_blocks (it prints the KV cache size in tokens). An empty list: the setting must be inferred.",
};

function settingsOf(spec: ReplicaSpec, numGpuBlocks: number): SettingsTruth {
  return {
    max_num_seqs: spec.maxNumSeqs,
    max_num_batched_tokens: spec.maxNumBatchedTokens,
    max_model_len: spec.maxModelLen,
    gpu_memory_utilization: spec.gpuMemoryUtilization,
    enable_prefix_caching: spec.enablePrefixCaching,
    enable_chunked_prefill: spec.enableChunkedPrefill,
    kv_cache_dtype: spec.kvCacheDtype,
    block_size: spec.blockSize,
    tensor_parallel_size: spec.tensorParallelSize,
    num_gpu_blocks: numGpuBlocks,
    vllm_version: spec.vllmVersion,
  };
}

const FROM_INFO: (keyof SettingsTruth)[] = ['block_size', 'kv_cache_dtype', 'enable_prefix_caching', 'gpu_memory_utilization', 'num_gpu_blocks'];
/** What the simulated start-up log prints (writers.ts startupLog): the non-default args and the engine config line. */
const FROM_LOG: (keyof SettingsTruth)[] = ['max_num_seqs', 'max_num_batched_tokens', 'max_model_len', 'gpu_memory_utilization', 'enable_prefix_caching', 'enable_chunked_prefill', 'kv_cache_dtype', 'tensor_parallel_size', 'vllm_version'];

function statedBy(logShipped: boolean): Record<keyof SettingsTruth, Source[]> {
  const keys = Object.keys(settingsOf({ maxNumSeqs: 0 } as ReplicaSpec, 0)) as (keyof SettingsTruth)[];
  const out = {} as Record<keyof SettingsTruth, Source[]>;
  for (const k of keys) {
    const s: Source[] = [];
    if (FROM_INFO.includes(k)) s.push('cache_config_info');
    if (logShipped && FROM_LOG.includes(k)) s.push('log');
    out[k] = s;
  }
  return out;
}

function n(v: number): number | null {
  return Number.isFinite(v) ? round(v) : null;
}

function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

function windowStats(tl: Timeline, start: number, from: number, to: number): WindowStats {
  const b0 = Math.floor(from / tl.binSeconds);
  const b1 = Math.ceil(to / tl.binSeconds);
  const len = Math.max(1e-9, to - from);
  return {
    from: start + from,
    to: start + to,
    requestsPerSecond: round(tl.sum(tl.arrivals, b0, b1) / len),
    ttftP95Seconds: n(tl.ttftQuantile(from, to, 0.95)),
    tbtP95Seconds: n(tl.tbtQuantile(b0, b1, 0.95)),
    queueMeanSeconds: n(tl.queueMean(from, to)),
    preemptions: tl.sum(tl.preemptions, b0, b1),
    waitingMax: tl.max(tl.waitingMax, b0, b1),
    runningMax: tl.max(tl.runningMax, b0, b1),
    kvUsageMax: round(tl.max(tl.kvUsageMax, b0, b1)),
  };
}

function mixTruth(m: LengthMix, kvPoolTokens: number): MixTruth {
  return {
    requests: m.requests,
    promptTokensMean: n(m.promptTokensMean),
    outputTokensMean: n(m.outputTokensMean),
    tokensPerSequence: n(m.tokensPerSequence),
    tokensPerSequenceP90: n(m.tokensPerSequenceP90),
    sequencesThatFit: m.tokensPerSequence > 0 ? Math.floor(kvPoolTokens / m.tokensPerSequence) : null,
    sequencesThatFitP90: m.tokensPerSequenceP90 > 0 ? Math.floor(kvPoolTokens / m.tokensPerSequenceP90) : null,
  };
}

/** Which bins are affected for an incident's signal. */
function affectedBins(tl: Timeline, inc: IncidentSpec): Uint8Array {
  const out = new Uint8Array(tl.nBins);
  for (let b = 0; b < tl.nBins; b++) {
    if (inc.signal === 'preemptions') out[b] = tl.preemptions[b] > 0 ? 1 : 0;
    else if (inc.signal === 'queue') out[b] = tl.waitingMax[b] >= (inc.min ?? 1) ? 1 : 0;
    else {
      const p95 = tl.ttftQuantile(b * tl.binSeconds, (b + 1) * tl.binSeconds, 0.95);
      out[b] = p95 > (inc.ttftTargetSeconds ?? 0.5) ? 1 : 0;
    }
  }
  return out;
}

function processAt(r: ReplicaResult, unix: number): number {
  let p = 0;
  for (let i = 0; i < r.processes.length; i++) if (r.processes[i].start <= unix) p = i;
  return p;
}

function episodes(run: { results: ReplicaResult[]; opts: SimOptions }, tls: Timeline[], inc: IncidentSpec): EpisodeTruth[] {
  const r = run.results[inc.replica];
  const tl = tls[inc.replica];
  const start = run.opts.startTime;
  const dur = run.opts.durationSeconds;
  const aff = affectedBins(tl, inc);
  const causes = [...inc.causes].sort((a, b) => a.start - b.start);
  return causes.map((c, ci) => {
    const limit = ci + 1 < causes.length ? tl.bin(causes[ci + 1].start) : tl.nBins;
    let b0 = -1;
    for (let b = Math.max(0, tl.bin(c.start) - 2); b <= Math.min(tl.nBins - 1, tl.bin(Math.max(c.start, c.end - 1e-9))); b++) {
      if (aff[b]) {
        b0 = b;
        break;
      }
    }
    const proc = processAt(r, start + c.start);
    const cfg = r.configs[r.processes[proc].config];
    const pool = cfg.plan.kvTokens;
    const base = { replica: r.spec.instance, pathology: inc.pathology, mechanism: inc.mechanism, cause: { from: start + c.start, to: start + c.end }, process: proc, kvPoolTokens: pool };
    if (b0 < 0) return { ...base, occurred: false, start: null, end: null, durationSeconds: null, before: null, during: null, after: null, incidentMix: null, finishedMix: null };
    let last = b0;
    let gap = 0;
    for (let b = b0 + 1; b < limit; b++) {
      if (aff[b]) {
        last = b;
        gap = 0;
      } else if (++gap > EPISODE_MAX_GAP_BINS) break;
    }
    const from = b0 * tl.binSeconds;
    const to = Math.min(dur, (last + 1) * tl.binSeconds);
    const len = to - from;
    return {
      ...base,
      occurred: true,
      start: start + from,
      end: start + to,
      durationSeconds: len,
      before: from > 0 ? windowStats(tl, start, Math.max(0, from - len), from) : null,
      during: windowStats(tl, start, from, to),
      after: to < dur ? windowStats(tl, start, to, Math.min(dur, to + len)) : null,
      incidentMix: mixTruth(tl.arrivalMix(from, to), pool),
      finishedMix: mixTruth(tl.finishMix(from, to), pool),
    };
  });
}

function processTruths(r: ReplicaResult, opts: SimOptions): ProcessTruth[] {
  const end = opts.startTime + opts.durationSeconds;
  return r.processes.map((p, i) => {
    const c = r.configs[p.config];
    const next = r.processes[i + 1];
    return {
      cause: p.cause,
      processStart: round(p.start),
      from: opts.startTime + p.upFrom,
      to: next ? next.previousStoppedAt! : end,
      settings: settingsOf(c.spec, c.plan.numGpuBlocks),
      kvPoolTokens: c.plan.kvTokens,
      statedBy: statedBy(shipsLog(r)),
    };
  });
}

const DRIFT_KEYS: (keyof SettingsTruth)[] = ['max_num_seqs', 'max_num_batched_tokens', 'max_model_len', 'gpu_memory_utilization', 'enable_prefix_caching', 'enable_chunked_prefill', 'kv_cache_dtype', 'block_size', 'tensor_parallel_size', 'num_gpu_blocks'];

function drift(replicas: ReplicaTruth[]): DriftTruth[] {
  const out: DriftTruth[] = [];
  const models = [...new Set(replicas.map((r) => r.model))];
  for (const model of models) {
    const reps = replicas.filter((r) => r.model === model);
    for (const key of DRIFT_KEYS) {
      const values = reps.flatMap((r) => r.processes.map((p) => ({ replica: r.instance, value: p.settings[key], from: p.from, to: p.to })));
      if (new Set(values.map((v) => String(v.value))).size > 1) out.push({ model, setting: key, values });
    }
  }
  return out;
}

function matters(a: WindowStats, b: WindowStats): boolean {
  const rel = (x: number | null, y: number | null) => x !== null && y !== null && Math.abs(x - y) / Math.max(1e-9, Math.min(x, y)) >= 0.25;
  return rel(a.ttftP95Seconds, b.ttftP95Seconds) || rel(a.tbtP95Seconds, b.tbtP95Seconds) || a.preemptions > 0 !== b.preemptions > 0 || a.waitingMax > 0 !== b.waitingMax > 0;
}

/** The replica spec with `set` applied to its first process and to every redeploy (same requests, other settings). */
function counterfactualSpec(spec: ReplicaSpec, set: RedeploySettings): ReplicaSpec {
  return { ...spec, ...set, faults: spec.faults.map((f) => (f.kind === 'redeploy' ? { ...f, set: { ...f.set, ...set } } : f)) };
}

// --- capacity: the highest constant request rate one replica serves at the targets ----------------

export interface CapacityPoint {
  requestsPerSecond: number;
  ttftP95Seconds: number | null;
  tbtP95Seconds: number | null;
  queueMeanSeconds: number | null;
  meetsTargets: boolean;
}

export interface CapacityTruth {
  replica: string;
  targets: { ttftP95Seconds: number; tbtP95Seconds: number };
  /** The request mix used (the scenario's streams at a constant rate, shares kept). */
  mix: string[];
  /** Highest rate (req/s) at which TTFT p95 and inter-token p95 meet the targets, ±2 %. */
  requestsPerSecond: number;
  /** Which target broke first above it. */
  limitedBy: 'ttft' | 'tbt';
  points: CapacityPoint[];
  method: string;
}

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

function demandOf(spec: ReplicaSpec, tl: Timeline, opts: SimOptions): DemandTruth {
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

function saturationOf(specs: ReplicaSpec[], spec: ReplicaSpec, capacityRps: number, opts: SimOptions): SaturationTruth {
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

function pairOf(scenario: Scenario, specs: ReplicaSpec[]): PairTruth | undefined {
  if (!scenario.pair) return undefined;
  const peer = findScenario(scenario.pair.peer);
  if (!peer) return undefined;
  const other = peer.build({ hours: scenario.defaultHours, replicas: specs.length });
  const change: PairTruth['change'] = [];
  specs.forEach((s, i) => {
    const a = settingsOf(s, planFor(s).numGpuBlocks);
    const b = settingsOf(other[i], planFor(other[i]).numGpuBlocks);
    for (const k of Object.keys(a) as (keyof SettingsTruth)[]) if (a[k] !== b[k]) change.push({ replica: s.instance, setting: k, before: scenario.pair!.role === 'before' ? a[k] : b[k], after: scenario.pair!.role === 'before' ? b[k] : a[k] });
  });
  return { ...scenario.pair, change };
}

/** Simulate a scenario's replicas with timelines (same outputs as without) and build its truth. */
export function simulateWithTruth(
  scenario: Scenario,
  specs: ReplicaSpec[],
  opts: SimOptions,
): { results: ReplicaResult[]; timelines: Timeline[]; truth: Truth } {
  const timelines: Timeline[] = [];
  const results = specs.map((spec, i) => {
    const tl = new Timeline(opts.durationSeconds, TRUTH_BIN_SECONDS);
    timelines.push(tl);
    return simulateReplica(spec, opts, i, tl);
  });
  const oneLog = sameConfig(results);
  const replicas: ReplicaTruth[] = results.map((r, i) => ({
    instance: r.spec.instance,
    hostname: r.spec.hostname,
    model: r.spec.model.hfId,
    gpu: r.spec.gpu.modelName,
    logFile: !shipsLog(r) ? null : oneLog ? 'vllm-serve.log' : logFileName(r.spec.instance),
    processes: processTruths(r, opts),
    whole: windowStats(timelines[i], opts.startTime, 0, opts.durationSeconds),
    totals: { arrived: r.stats.arrived, finished: r.stats.finished, dropped: r.stats.dropped, preemptions: r.stats.preemptions },
    generator: { streams: r.spec.streams, faults: r.spec.faults },
  }));
  const eps = (scenario.incidents?.(specs, opts) ?? []).flatMap((inc) => episodes({ results, opts }, timelines, inc));
  const whatIf: WhatIfTruth[] = (scenario.whatIf?.(specs) ?? []).map((w) => {
    const tl = new Timeline(opts.durationSeconds, TRUTH_BIN_SECONDS);
    simulateReplica(counterfactualSpec(specs[w.replica], w.set), opts, w.replica, tl);
    const actual = replicas[w.replica].whole;
    const counterfactual = windowStats(tl, opts.startTime, 0, opts.durationSeconds);
    return { replica: specs[w.replica].instance, label: w.label, set: w.set, actual, counterfactual, matters: matters(actual, counterfactual) };
  });
  const capacity = scenario.capacity ? capacitySearch(specs[scenario.capacity.replica], opts.seed, scenario.capacity.targets) : undefined;
  const truth: Truth = {
    schema: TRUTH_SCHEMA,
    scenario: scenario.name,
    seed: opts.seed,
    start: opts.startTime,
    end: opts.startTime + opts.durationSeconds,
    scrapeIntervalSeconds: opts.scrapeIntervalSeconds,
    method: METHOD,
    replicas,
    episodes: eps,
    drift: drift(replicas),
    whatIf,
  };
  if (capacity) {
    truth.capacity = capacity;
    truth.demand = specs.map((sp, i) => demandOf(sp, timelines[i], opts));
    truth.saturation = saturationOf(specs, specs[scenario.capacity!.replica], capacity.requestsPerSecond, opts);
  }
  const pair = pairOf(scenario, specs);
  if (pair) truth.pair = pair;
  return { results, timelines, truth };
}

/** truth.json text: presets by name, numbers as they are, stable key order. */
export function truthJson(t: Truth): string {
  return `${JSON.stringify(t, (k, v) => (k === 'gpu' && v && typeof v === 'object' ? v.id : k === 'model' && v && typeof v === 'object' ? v.id : v), 2)}\n`;
}
