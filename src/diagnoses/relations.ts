// How findings relate: which root causes explain a symptom (a consequence is shown under its cause
// and carries no advice of its own), and which settings, when they differ between a replica and its
// peers, explain a finding on that replica (CONFIG_DRIFT then leads and proposes the peers' value).
// Both tables are keyed by every finding code.

import type { FindingCode, SettingName } from '../model/vocabulary.js';

/** Root causes of each finding, nearest first. Only earlier entries of ROOT_ORDER may appear. */
export const CAUSED_BY = {
  CONFIG_DRIFT: [],
  KV_CACHE_THRASHING: [],
  KV_SWAPPING: [],
  OOM_RISK: [],
  MEMORY_LEAK: [],
  REPLICA_RESTART: [],
  PREFIX_CACHE_MISSES: [],
  GPU_UNDERUTILIZED: ['OVERPROVISIONED'],
  PREFILL_STARVATION: ['KV_CACHE_THRASHING', 'KV_SWAPPING'],
  REPLICA_SLOWDOWN: ['KV_CACHE_THRASHING', 'KV_SWAPPING'],
  THROUGHPUT_DROP: ['KV_CACHE_THRASHING', 'KV_SWAPPING', 'PREFILL_STARVATION', 'REPLICA_SLOWDOWN', 'REPLICA_RESTART'],
  QUEUE_BUILDUP: ['KV_CACHE_THRASHING', 'KV_SWAPPING', 'PREFILL_STARVATION', 'GPU_UNDERUTILIZED', 'REPLICA_SLOWDOWN', 'THROUGHPUT_DROP', 'REPLICA_RESTART'],
  LATENCY_SLO_BREACH: ['KV_CACHE_THRASHING', 'KV_SWAPPING', 'PREFILL_STARVATION', 'GPU_UNDERUTILIZED', 'REPLICA_SLOWDOWN', 'THROUGHPUT_DROP', 'QUEUE_BUILDUP'],
  UNEXPLAINED_ANOMALY: [],
  TRUNCATION_RISE: [],
  // Clients that give up while their requests wait or crawl: nearest first.
  ABORT_RISE: ['LATENCY_SLO_BREACH', 'QUEUE_BUILDUP', 'THROUGHPUT_DROP', 'PREFILL_STARVATION', 'KV_CACHE_THRASHING', 'KV_SWAPPING', 'REPLICA_SLOWDOWN', 'GPU_UNDERUTILIZED'],
  LENGTH_DRIFT: [],
  CAPACITY_HEADROOM_LOW: [],
  OVERPROVISIONED: [],
  COMMUNICATION_BOUND: [],
  GPU_IDLE_GAPS: [],
  ATTENTION_BOUND: [],
  GEMM_BOUND: [],
} as const satisfies Record<FindingCode, readonly FindingCode[]>;

/** Settings whose difference from the peers explains a finding on the odd replica. */
export const DRIFT_RELEVANT = {
  CONFIG_DRIFT: [],
  KV_CACHE_THRASHING: ['gpu_memory_utilization', 'num_gpu_blocks', 'kv_cache_dtype', 'max_num_seqs', 'max_model_len', 'block_size', 'tensor_parallel_size'],
  KV_SWAPPING: ['gpu_memory_utilization', 'num_gpu_blocks', 'kv_cache_dtype', 'max_num_seqs', 'swap_space'],
  OOM_RISK: ['gpu_memory_utilization'],
  MEMORY_LEAK: ['vllm_version'],
  REPLICA_RESTART: [],
  PREFIX_CACHE_MISSES: ['enable_prefix_caching'],
  GPU_UNDERUTILIZED: ['max_num_seqs', 'max_num_batched_tokens'],
  PREFILL_STARVATION: ['max_num_batched_tokens', 'enable_chunked_prefill', 'max_num_seqs'],
  REPLICA_SLOWDOWN: [],
  THROUGHPUT_DROP: ['max_num_seqs', 'max_num_batched_tokens', 'gpu_memory_utilization', 'num_gpu_blocks'],
  QUEUE_BUILDUP: ['max_num_seqs', 'max_num_batched_tokens', 'gpu_memory_utilization', 'num_gpu_blocks'],
  LATENCY_SLO_BREACH: ['max_num_seqs', 'max_num_batched_tokens', 'gpu_memory_utilization', 'num_gpu_blocks', 'enable_chunked_prefill'],
  UNEXPLAINED_ANOMALY: [],
  // A smaller max_model_len than the peers caps prompt + output sooner: more answers end at "length".
  TRUNCATION_RISE: ['max_model_len'],
  ABORT_RISE: [],
  LENGTH_DRIFT: [],
  CAPACITY_HEADROOM_LOW: [],
  OVERPROVISIONED: [],
  COMMUNICATION_BOUND: [],
  GPU_IDLE_GAPS: [],
  ATTENTION_BOUND: [],
  GEMM_BOUND: [],
} as const satisfies Record<FindingCode, readonly SettingName[]>;

/** Codes in the order causes are considered (a finding is only ever explained by an earlier code). */
export const ROOT_ORDER: readonly FindingCode[] = [
  'CONFIG_DRIFT',
  'KV_CACHE_THRASHING',
  'KV_SWAPPING',
  'OOM_RISK',
  'MEMORY_LEAK',
  'REPLICA_RESTART',
  'PREFIX_CACHE_MISSES',
  'OVERPROVISIONED',
  'GPU_UNDERUTILIZED',
  'PREFILL_STARVATION',
  'REPLICA_SLOWDOWN',
  'THROUGHPUT_DROP',
  'QUEUE_BUILDUP',
  'LATENCY_SLO_BREACH',
  'TRUNCATION_RISE',
  'ABORT_RISE',
  'CAPACITY_HEADROOM_LOW',
  'UNEXPLAINED_ANOMALY',
  'LENGTH_DRIFT',
  'COMMUNICATION_BOUND',
  'GPU_IDLE_GAPS',
  'ATTENTION_BOUND',
  'GEMM_BOUND',
];
