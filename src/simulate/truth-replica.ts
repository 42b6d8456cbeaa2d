// Per-replica truth: the settings each process ran with and which inputs state them, the settings
// that drift between replicas of one model, and those that differ between the two halves of a pair.
// Split out of truth.ts; code moved, not changed.

import { planFor, type ReplicaResult } from './engine.js';
import { findScenario, type Scenario } from './scenarios.js';
import { round } from './truth-episodes.js';
import type { DriftTruth, PairTruth, ProcessTruth, ReplicaTruth, SettingsTruth, Source } from './truth-types.js';
import type { ReplicaSpec, SimOptions } from './types.js';
import { shipsLog } from './writers.js';

export function settingsOf(spec: ReplicaSpec, numGpuBlocks: number): SettingsTruth {
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

export function statedBy(logShipped: boolean): Record<keyof SettingsTruth, Source[]> {
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

export function processTruths(r: ReplicaResult, opts: SimOptions): ProcessTruth[] {
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

export function drift(replicas: ReplicaTruth[]): DriftTruth[] {
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

export function pairOf(scenario: Scenario, specs: ReplicaSpec[]): PairTruth | undefined {
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
