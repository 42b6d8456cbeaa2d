// Inputs of a simulation: replicas (hardware, model, vLLM settings), their request streams and faults.

import type { GpuPreset, ModelPreset } from './presets.js';

/** Requests per second over time (seconds since the start of the run). */
export interface RateProfile {
  /** Base rate, requests/s. */
  rps: number;
  /** Sinusoidal day curve: rate × (1 + amplitude × sin(2π t / period + phase)). */
  diurnal?: { amplitude: number; periodSeconds: number; phase?: number };
  /** Step changes: from `at` seconds on, the base rate is `rps`. */
  steps?: { at: number; rps: number }[];
  /** Windows outside which the stream is silent (for bursts); rate × factor inside. */
  window?: { start: number; end: number };
  /** Several such windows (recurring bursts): silent outside all of them. */
  windows?: { start: number; end: number }[];
  /** Demand growth, compounding: rate × (1 + perDay)^(t / 86,400 s). */
  growth?: { perDay: number };
  /**
   * Weekly cycle: rate × weekendFactor on Saturdays and Sundays (UTC). `startDayOfWeek` is the weekday
   * of offset 0 (0 = Monday … 6 = Sunday) and `startSecondOfDay` its UTC time of day.
   */
  weekly?: { weekendFactor: number; startDayOfWeek: number; startSecondOfDay: number };
  /** A measured rate curve (replay): `rps[i]` holds on [start + i·step, start + (i+1)·step); 0 outside. */
  curve?: { start: number; step: number; rps: number[] };
}

export interface LengthDist {
  /** Median tokens of a log-normal. */
  median: number;
  /** Sigma of the underlying normal. */
  sigma: number;
}

/**
 * A length distribution read off a Prometheus histogram (replay): bucket `i` spans (`bounds[i-1]`,
 * `bounds[i]`] (the first from 1), the last one up to `max`; `probs[i]` its share. Within a bucket the
 * density is ∝ x^(−`exponent`) (0 uniform, 1 log-uniform, > 1 crowding at the low end), one exponent for
 * all buckets, chosen so that the mean matches the histogram's `_sum / _count`.
 */
export interface EmpiricalDist {
  bounds: number[];
  probs: number[];
  max: number;
  exponent: number;
}

/** The request mix per time segment (replay): segment `i` covers [i·step, (i+1)·step). */
export interface MixSchedule {
  step: number;
  prompt: EmpiricalDist[];
  output: EmpiricalDist[];
  /** Rank correlation of prompt and output length (a Gaussian copula's ρ); 0 or absent: independent. */
  rho?: number;
}

export interface PrefixSpec {
  /** Share of requests that start with one of the shared system prompts. */
  share: number;
  /** Number of distinct system prompts. */
  count: number;
  /** Their lengths (log-normal, drawn once per prompt). */
  length: LengthDist;
  /** Popularity skew across prompts (0 = uniform, 1 = Zipf). */
  zipf: number;
  /** Replay: the prefix is carved out of the drawn total prompt length (at most all but one token) instead of added to it. */
  carve?: boolean;
}

export interface StreamSpec {
  name: string;
  rate: RateProfile;
  /** Prompt tokens after the shared prefix (or the whole prompt when there is none). */
  prompt: LengthDist;
  /** Output length the model would produce if not cut by max_tokens. */
  output: LengthDist;
  /** max_tokens values sent by clients (one is drawn per request, uniformly). */
  maxTokens: number[];
  prefix?: PrefixSpec;
  /** Replay: prompt (total) and output lengths per time segment from the measured histograms; `prompt`/`output` are then unused. */
  mix?: MixSchedule;
}

/** Settings a redeploy may change (the model, GPU, TP and max_model_len stay). */
export type RedeploySettings = Partial<
  Pick<ReplicaSpec, 'maxNumSeqs' | 'maxNumBatchedTokens' | 'gpuMemoryUtilization' | 'enablePrefixCaching' | 'enableChunkedPrefill' | 'kvCacheDtype' | 'numGpuBlocksOverride' | 'blockSize' | 'vllmVersion'>
>;

export type FaultSpec =
  | { kind: 'memory-leak'; start: number; bytesPerHour: number }
  | { kind: 'slow-gpu'; start: number; end?: number; clockFactor: number }
  | { kind: 'restart'; at: number; downSeconds: number }
  /** The process is replaced by one started with other settings: a restart (counters reset, new
   * process_start_time_seconds) whose cache_config_info and log show the new settings. */
  | { kind: 'redeploy'; at: number; downSeconds: number; set: RedeploySettings };

export interface ReplicaSpec {
  /** Prometheus `instance` label of the vLLM endpoint, e.g. `10.0.0.11:8000`. */
  instance: string;
  /** Host name (dcgm-exporter's `Hostname` label). */
  hostname: string;
  gpu: GpuPreset;
  model: ModelPreset;
  tensorParallelSize: number;
  maxNumSeqs: number;
  maxNumBatchedTokens: number;
  maxModelLen: number;
  blockSize: number;
  gpuMemoryUtilization: number;
  enablePrefixCaching: boolean;
  enableChunkedPrefill: boolean;
  kvCacheDtype: string;
  /** Override the KV pool size computed from memory (vLLM's num_gpu_blocks_override). */
  numGpuBlocksOverride?: number;
  streams: StreamSpec[];
  faults: FaultSpec[];
  /** Factors on the step-time model's compute and memory terms (replay calibration); default 1. */
  stepTimeScale?: { compute: number; memory: number };
  /** False: no server log of this replica is written (its scheduler settings must be inferred). Default true. */
  serverLog?: boolean;
  /** Resident memory of the API server process at start, bytes. */
  baseRssBytes: number;
  vllmVersion: string;
}

export interface SimOptions {
  seed: number;
  /** Unix seconds of the first scrape. */
  startTime: number;
  durationSeconds: number;
  scrapeIntervalSeconds: number;
}
