// The types and the settings of a replay (src/simulate/replay.ts), shared by its parts and callers.

import type { ReplicaResult } from './engine.js';
import type { RedeploySettings } from './types.js';

/** Settings `--set` may change, by their vLLM names. */
export const REPLAY_SETTINGS = ['max_num_seqs', 'max_num_batched_tokens', 'gpu_memory_utilization', 'enable_prefix_caching', 'enable_chunked_prefill', 'kv_cache_dtype', 'num_gpu_blocks'] as const;
export type ReplaySetting = (typeof REPLAY_SETTINGS)[number];

export interface ReplayOptions {
  /** Replica id (instance); default: every replica. */
  replica?: string;
  /** Settings to change in the what-if run, vLLM names → text values. */
  set?: Partial<Record<ReplaySetting, string>>;
  seed?: number;
  /** Calibrate step times to the window (default true). */
  calibrate?: boolean;
  /** Length-mix segments, seconds (default 300). */
  segmentSeconds?: number;
  /** Most minutes a calibration round simulates (the busiest part of the window); default 20. */
  calibrationMinutes?: number;
  /** Replay only this part of the inputs (Unix seconds). */
  window?: { start: number; end: number };
}

/** Where a setting of the replayed configuration came from. */
export type SettingOrigin = 'cache_config_info' | 'log' | 'inferred' | 'default' | 'set';

export interface ReplayConfig {
  model: string;
  gpu: string;
  tensorParallelSize: number;
  settings: Record<'max_num_seqs' | 'max_num_batched_tokens' | 'max_model_len' | 'gpu_memory_utilization' | 'enable_prefix_caching' | 'enable_chunked_prefill' | 'kv_cache_dtype' | 'block_size' | 'num_gpu_blocks', number | string | boolean>;
  origin: Record<string, SettingOrigin>;
  /** How each inferred or default value was obtained, in words. */
  notes: string[];
}

/** The numbers compared between the measured window and a replay, per replica, computed alike. */
export interface Measures {
  requests: number;
  /** Prompt and generated tokens over the window (the traffic's size). */
  promptTokens: number | null;
  generationTokens: number | null;
  ttftP95Seconds: number | null;
  tbtP95Seconds: number | null;
  e2eP95Seconds: number | null;
  itlMeanSeconds: number | null;
  prefillMeanSeconds: number | null;
  queueMeanSeconds: number | null;
  queueP95Seconds: number | null;
  /** When the queue-time p95 lies in the histogram's first bucket: that bucket's bound (the value is an interpolation below it). */
  queueP95BelowSeconds: number | null;
  waitingMean: number | null;
  waitingMax: number | null;
  preemptions: number | null;
  prefixHitRatio: number | null;
}

export interface ReplayReplica {
  replica: string;
  config: ReplayConfig;
  traffic: { requests: number; curveStepSeconds: number; segments: number; excessSegments: number; prefixShare: number; prefixTokens: number };
  calibration: { computeScale: number; memoryScale: number; lengthCorrelation: number; rounds: number; windowSeconds: number };
  measured: Measures;
  replayed: Measures;
  whatIf?: { set: RedeploySettings; settings: ReplayConfig['settings']; measures: Measures };
  /** Why the GPU was assumed (no DCGM series for the host, or a model with no preset); null when read. */
  gpuAssumed: string | null;
  warnings: string[];
}

export interface ReplayResult {
  start: number;
  end: number;
  stepSeconds: number;
  replicas: ReplayReplica[];
  /** The replayed runs (own configuration, then the what-if), for exports. */
  runs: { replica: string; replayed: ReplicaResult; whatIf?: ReplicaResult }[];
}
