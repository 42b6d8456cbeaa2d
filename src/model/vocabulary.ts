// The typed vocabulary of the analysis: finding codes, detector ids and setting names as unions the
// compiler checks. Every table keyed by one of them is written `satisfies Record<…>`, so adding a code
// fails to compile until every table (titles, docs, sentences, chart plans, consequences, settings)
// has it. See docs/architecture.md, "How to add a diagnosis".

/** Pathologies from metrics, in the order the registry evaluates them. */
export const METRIC_FINDING_CODES = [
  'CONFIG_DRIFT',
  'KV_CACHE_THRASHING',
  'PREFILL_STARVATION',
  'GPU_UNDERUTILIZED',
  'MEMORY_LEAK',
  'PREFIX_CACHE_MISSES',
  'QUEUE_BUILDUP',
  'KV_SWAPPING',
  'LATENCY_SLO_BREACH',
  'THROUGHPUT_DROP',
  'OOM_RISK',
  'REPLICA_RESTART',
  'REPLICA_SLOWDOWN',
  'TRUNCATION_RISE',
  'ABORT_RISE',
  'CAPACITY_HEADROOM_LOW',
  'OVERPROVISIONED',
  'UNEXPLAINED_ANOMALY',
  'LENGTH_DRIFT',
] as const;

/** Pathologies from GPU profiles. */
export const GPU_FINDING_CODES = ['COMMUNICATION_BOUND', 'GPU_IDLE_GAPS', 'ATTENTION_BOUND', 'GEMM_BOUND'] as const;

export const FINDING_CODES = [...METRIC_FINDING_CODES, ...GPU_FINDING_CODES] as const;
export type MetricFindingCode = (typeof METRIC_FINDING_CODES)[number];
export type GpuFindingCode = (typeof GPU_FINDING_CODES)[number];
export type FindingCode = (typeof FINDING_CODES)[number];

export function isFindingCode(s: string): s is FindingCode {
  return (FINDING_CODES as readonly string[]).includes(s);
}

/** Detectors: one symptom each (src/detectors/<id>.ts). */
export const DETECTOR_IDS = [
  'kv-pressure',
  'preemptions',
  'latency-ttft',
  'latency-tbt',
  'latency-e2e',
  'queue-buildup',
  'batch-plateau',
  'gpu-utilization',
  'memory-growth',
  'prefix-cache-hit-rate',
  'kv-swapping',
  'throughput-drop',
  'oom-risk',
  'restarts',
  'replica-slowdown',
  'truncation-rise',
  'abort-rise',
  'length-drift',
] as const;
export type DetectorId = (typeof DETECTOR_IDS)[number];

/** vLLM settings the analysis reads or recommends (names as `vllm serve` flags without dashes). */
export const SETTING_NAMES = [
  'model',
  'vllm_version',
  'engine_version',
  'max_num_seqs',
  'max_num_batched_tokens',
  'max_model_len',
  'enable_chunked_prefill',
  'enable_prefix_caching',
  'gpu_memory_utilization',
  'kv_cache_dtype',
  'block_size',
  'num_gpu_blocks',
  'num_cpu_blocks',
  'swap_space',
  'tensor_parallel_size',
  'pipeline_parallel_size',
  'data_parallel_size',
  'enforce_eager',
  'dtype',
  'quantization',
  'gpu_kv_cache_tokens',
  'kv_cache_memory_gib',
  'disable_custom_all_reduce',
  'async_scheduling',
  'attention_backend',
] as const;
export type SettingName = (typeof SETTING_NAMES)[number];

export function isSettingName(s: string): s is SettingName {
  return (SETTING_NAMES as readonly string[]).includes(s);
}

/** Settings a recommendation may change (the rest are facts about the deployment). */
export const TUNABLE_SETTINGS = [
  'max_num_seqs',
  'max_num_batched_tokens',
  'enable_chunked_prefill',
  'gpu_memory_utilization',
  'enable_prefix_caching',
  'kv_cache_dtype',
  'max_model_len',
  'tensor_parallel_size',
  'pipeline_parallel_size',
  'enforce_eager',
  'quantization',
  'disable_custom_all_reduce',
  'async_scheduling',
  'attention_backend',
] as const satisfies readonly SettingName[];
export type TunableSetting = (typeof TUNABLE_SETTINGS)[number];

/** Settings compared between replicas of one model (CONFIG_DRIFT) and shown in the configuration table. */
export const COMPARED_SETTINGS = [
  'vllm_version',
  'max_num_seqs',
  'max_num_batched_tokens',
  'max_model_len',
  'enable_chunked_prefill',
  'enable_prefix_caching',
  'gpu_memory_utilization',
  'kv_cache_dtype',
  'block_size',
  'num_gpu_blocks',
  'swap_space',
  'tensor_parallel_size',
  'pipeline_parallel_size',
  'enforce_eager',
  'dtype',
  'quantization',
] as const satisfies readonly SettingName[];
export type ComparedSetting = (typeof COMPARED_SETTINGS)[number];
