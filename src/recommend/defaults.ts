// vLLM's own defaults for the settings we recommend, by version and GPU, so that a recommendation is
// never a no-op dressed as a change. From vllm/engine/arg_utils.py (`_set_default_args` /
// `get_batch_defaults` in V1): on the OpenAI server, GPUs with at least 70 GiB that are not an A100 get
// max_num_batched_tokens 8192 and max_num_seqs 1024, others 2048 and 256; chunked prefill and prefix
// caching are on by default in the V1 engine (vLLM ≥ 0.8 defaults to V1; 0.10 removed V0). Where the
// version or GPU is unknown, the default is unknown (undefined) and callers must not assume one.

import type { TunableSetting } from '../model/vocabulary.js';

export interface DefaultsContext {
  /** `0.11.0`, as the log or metrics state it. */
  vllmVersion?: string | undefined;
  /** `V0` / `V1` from the log's engine line. */
  engineVersion?: string | undefined;
  /** GPU memory in GiB, and its name (DCGM modelName). */
  gpuMemoryGiB?: number | undefined;
  gpuName?: string | undefined;
}

function versionTuple(v: string | undefined): [number, number] | null {
  const m = /^v?(\d+)\.(\d+)/.exec(v ?? '');
  return m ? [Number(m[1]), Number(m[2])] : null;
}

/** Whether the replica runs the V1 engine (known from the log, or from a version ≥ 0.10 where V0 is gone). */
export function isV1(ctx: DefaultsContext): boolean | undefined {
  if (ctx.engineVersion) return /1/.test(ctx.engineVersion);
  const v = versionTuple(ctx.vllmVersion);
  if (!v) return undefined;
  if (v[0] > 0 || v[1] >= 10) return true;
  return undefined;
}

/** vLLM's default for a setting on this replica, or undefined when it cannot be told. */
export function vllmDefault(setting: TunableSetting, ctx: DefaultsContext): string | number | boolean | undefined {
  const v1 = isV1(ctx);
  const big = ctx.gpuMemoryGiB !== undefined ? ctx.gpuMemoryGiB >= 70 && !/a100/i.test(ctx.gpuName ?? '') : undefined;
  switch (setting) {
    case 'enable_chunked_prefill':
      return v1 === true ? true : undefined;
    case 'enable_prefix_caching':
      return v1 === true ? true : undefined;
    case 'max_num_seqs':
      return v1 === true && big !== undefined ? (big ? 1024 : 256) : undefined;
    case 'max_num_batched_tokens':
      return v1 === true && big !== undefined ? (big ? 8192 : 2048) : undefined;
    case 'gpu_memory_utilization':
      return 0.9;
    case 'kv_cache_dtype':
      return 'auto';
    case 'enforce_eager':
      return false;
    default:
      return undefined;
  }
}

/** Ranges a recommended value stays in (vLLM's tuning docs and what its CLI accepts); values are clamped to them. */
export const SAFE_RANGES: Partial<Record<TunableSetting, { min: number; max: number; why: string }>> = {
  max_num_seqs: { min: 1, max: 1024, why: 'vLLM\'s largest default (1024, large GPUs); beyond it CUDA-graph capture sizes stop covering the batch' },
  max_num_batched_tokens: { min: 2048, max: 65536, why: 'the tuning guide\'s smaller value for inter-token latency is 2048; above 65536 a step holds prefill for seconds' },
  gpu_memory_utilization: { min: 0.5, max: 0.9, why: 'vLLM\'s default is 0.9; above it CUDA graphs, NCCL buffers and the sampler run out of room' },
};
