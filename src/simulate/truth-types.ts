// The types of truth.json (the ground truth of a simulated dataset) and its schema constants.
// Split out of truth.ts; code moved, not changed. Schema: docs/simulator.md ("Ground truth").

import type { LengthMix } from './timeline.js';
import type { RedeploySettings, ReplicaSpec } from './types.js';

export const TRUTH_SCHEMA = 'vllm-tune/simulation-truth@1';

/** Bin of the engine-state timeline and of episode boundaries, seconds. */
export const TRUTH_BIN_SECONDS = 60;

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
