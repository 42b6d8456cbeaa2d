// Canonical names, kinds, units and meanings of the vLLM and DCGM metrics we understand,
// with the aliases that different vLLM versions (and exporters) use for the same thing.
// Names are resolved once, in ingest; every later stage uses canonical names only.

export type MetricKind = 'gauge' | 'counter' | 'histogram' | 'info';
export type MetricUnit =
  | 'seconds'
  | 'ratio'
  | 'percent'
  | 'requests'
  | 'tokens'
  | 'bytes'
  | 'mebibytes'
  | 'watts'
  | 'celsius'
  | 'megahertz'
  | 'count'
  | 'none';

export interface CatalogEntry {
  /** Canonical name. Counters carry `_total`; histograms are the base name (parts add `_bucket` etc.). */
  readonly name: string;
  readonly kind: MetricKind;
  readonly unit: MetricUnit;
  readonly help: string;
  /** Other names for the same thing (older vLLM versions, v0 engine, exporters). Without `_total`. */
  readonly aliases?: readonly string[];
  /** Only a v0 engine emits it. */
  readonly v0Only?: boolean;
  /** Emitted by vLLM, DCGM exporter, or the process collector. */
  readonly source: 'vllm' | 'dcgm' | 'process';
}

const V = 'vllm' as const;
const D = 'dcgm' as const;
const P = 'process' as const;

const ENTRIES = [
  // --- vLLM scheduler state (gauges)
  { name: 'vllm:num_requests_running', kind: 'gauge', unit: 'requests', source: V, help: 'Requests in the running batch (decoding or prefilling) on this engine.' },
  { name: 'vllm:num_requests_waiting', kind: 'gauge', unit: 'requests', source: V, help: 'Requests queued, waiting to be scheduled.' },
  { name: 'vllm:kv_cache_usage_perc', kind: 'gauge', unit: 'ratio', source: V, aliases: ['vllm:gpu_cache_usage_perc'], help: 'Fraction of GPU KV-cache blocks in use (0–1, despite the name).' },
  { name: 'vllm:num_requests_swapped', kind: 'gauge', unit: 'requests', source: V, v0Only: true, help: 'Requests whose KV blocks were swapped to CPU memory (v0 engine only).' },
  { name: 'vllm:cpu_cache_usage_perc', kind: 'gauge', unit: 'ratio', source: V, v0Only: true, help: 'Fraction of CPU swap-space KV blocks in use (v0 engine only).' },
  { name: 'vllm:gpu_prefix_cache_hit_rate', kind: 'gauge', unit: 'ratio', source: V, v0Only: true, help: 'Prefix-cache block hit rate on GPU (v0 engine only).' },
  { name: 'vllm:cpu_prefix_cache_hit_rate', kind: 'gauge', unit: 'ratio', source: V, v0Only: true, help: 'Prefix-cache block hit rate on CPU (v0 engine only).' },
  { name: 'vllm:cache_config_info', kind: 'info', unit: 'none', source: V, help: 'Labels carry the engine cache configuration (block_size, num_gpu_blocks, …).' },
  { name: 'vllm:lora_requests_info', kind: 'info', unit: 'none', source: V, help: 'Running and waiting LoRA adapters.' },
  { name: 'vllm:engine_sleep_state', kind: 'gauge', unit: 'none', source: V, help: 'Engine sleep state (awake / weights offloaded / discarded).' },

  // --- vLLM counters
  { name: 'vllm:num_preemptions_total', kind: 'counter', unit: 'count', source: V, help: 'Cumulative preemptions (a running request evicted because KV blocks ran out).' },
  { name: 'vllm:prompt_tokens_total', kind: 'counter', unit: 'tokens', source: V, help: 'Prefill (prompt) tokens processed.' },
  { name: 'vllm:generation_tokens_total', kind: 'counter', unit: 'tokens', source: V, help: 'Generated (output) tokens.' },
  { name: 'vllm:request_success_total', kind: 'counter', unit: 'requests', source: V, help: 'Finished requests, by finished_reason (stop, length, abort).' },
  { name: 'vllm:prefix_cache_queries_total', kind: 'counter', unit: 'tokens', source: V, aliases: ['vllm:gpu_prefix_cache_queries'], help: 'Tokens looked up in the prefix cache.' },
  { name: 'vllm:prefix_cache_hits_total', kind: 'counter', unit: 'tokens', source: V, aliases: ['vllm:gpu_prefix_cache_hits'], help: 'Tokens found in the prefix cache.' },
  { name: 'vllm:external_prefix_cache_queries_total', kind: 'counter', unit: 'tokens', source: V, help: 'Tokens looked up in an external (KV connector) prefix cache.' },
  { name: 'vllm:external_prefix_cache_hits_total', kind: 'counter', unit: 'tokens', source: V, help: 'Tokens found in an external (KV connector) prefix cache.' },
  { name: 'vllm:corrupted_requests_total', kind: 'counter', unit: 'requests', source: V, help: 'Requests with NaN logits.' },
  { name: 'vllm:spec_decode_num_drafts_total', kind: 'counter', unit: 'count', source: V, help: 'Speculative-decoding drafts.' },
  { name: 'vllm:spec_decode_num_draft_tokens_total', kind: 'counter', unit: 'tokens', source: V, help: 'Speculative-decoding draft tokens.' },
  { name: 'vllm:spec_decode_num_accepted_tokens_total', kind: 'counter', unit: 'tokens', source: V, help: 'Speculative-decoding accepted tokens.' },

  // --- vLLM histograms
  { name: 'vllm:time_to_first_token_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'Time to first token (TTFT), per request.' },
  { name: 'vllm:inter_token_latency_seconds', kind: 'histogram', unit: 'seconds', source: V, aliases: ['vllm:time_per_output_token_seconds'], help: 'Time between consecutive output tokens (TBT / ITL).' },
  { name: 'vllm:request_time_per_output_token_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'Mean time per output token of each request.' },
  { name: 'vllm:e2e_request_latency_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'End-to-end request latency.' },
  { name: 'vllm:request_queue_time_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'Time a request spent waiting before first scheduled.' },
  { name: 'vllm:request_inference_time_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'Time a request spent running (prefill + decode).' },
  { name: 'vllm:request_prefill_time_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'Time a request spent in prefill.' },
  { name: 'vllm:request_decode_time_seconds', kind: 'histogram', unit: 'seconds', source: V, help: 'Time a request spent in decode.' },
  { name: 'vllm:request_prompt_tokens', kind: 'histogram', unit: 'tokens', source: V, help: 'Prompt length per request.' },
  { name: 'vllm:request_generation_tokens', kind: 'histogram', unit: 'tokens', source: V, help: 'Output length per request.' },
  { name: 'vllm:request_max_num_generation_tokens', kind: 'histogram', unit: 'tokens', source: V, help: 'Output tokens of the longest of a request\'s n parallel samples (the output length when n = 1; not a cap, despite vLLM\'s help text).' },
  { name: 'vllm:request_params_max_tokens', kind: 'histogram', unit: 'tokens', source: V, help: 'The max_tokens request parameter.' },
  { name: 'vllm:request_params_n', kind: 'histogram', unit: 'count', source: V, help: 'The n request parameter.' },
  { name: 'vllm:request_prefill_kv_computed_tokens', kind: 'histogram', unit: 'tokens', source: V, help: 'Prompt tokens whose KV was computed (not prefix-cached) per request.' },
  // A histogram whose real name ends in `_total`: tokens scheduled per engine step.
  { name: 'vllm:iteration_tokens_total', kind: 'histogram', unit: 'tokens', source: V, help: 'Tokens scheduled per engine step (batch size in tokens).' },

  // --- process collector
  { name: 'process_resident_memory_bytes', kind: 'gauge', unit: 'bytes', source: P, help: 'Resident memory of the serving process.' },
  { name: 'process_virtual_memory_bytes', kind: 'gauge', unit: 'bytes', source: P, help: 'Virtual memory of the serving process.' },
  { name: 'process_cpu_seconds_total', kind: 'counter', unit: 'seconds', source: P, help: 'CPU time of the serving process.' },
  { name: 'process_start_time_seconds', kind: 'gauge', unit: 'seconds', source: P, help: 'Process start time (Unix seconds).' },
  { name: 'process_open_fds', kind: 'gauge', unit: 'count', source: P, help: 'Open file descriptors.' },

  // --- DCGM exporter
  { name: 'DCGM_FI_DEV_GPU_UTIL', kind: 'gauge', unit: 'percent', source: D, help: 'GPU utilisation: percent of time one or more kernels ran (coarse).' },
  { name: 'DCGM_FI_DEV_MEM_COPY_UTIL', kind: 'gauge', unit: 'percent', source: D, help: 'Memory-copy engine utilisation.' },
  { name: 'DCGM_FI_DEV_FB_USED', kind: 'gauge', unit: 'mebibytes', source: D, help: 'Framebuffer (GPU memory) used, MiB.' },
  { name: 'DCGM_FI_DEV_FB_FREE', kind: 'gauge', unit: 'mebibytes', source: D, help: 'Framebuffer (GPU memory) free, MiB.' },
  { name: 'DCGM_FI_DEV_FB_TOTAL', kind: 'gauge', unit: 'mebibytes', source: D, help: 'Framebuffer (GPU memory) total, MiB.' },
  { name: 'DCGM_FI_PROF_GR_ENGINE_ACTIVE', kind: 'gauge', unit: 'ratio', source: D, help: 'Fraction of time the graphics/compute engine was active.' },
  { name: 'DCGM_FI_PROF_SM_ACTIVE', kind: 'gauge', unit: 'ratio', source: D, help: 'Fraction of time at least one warp was active on an SM, averaged over SMs.' },
  { name: 'DCGM_FI_PROF_SM_OCCUPANCY', kind: 'gauge', unit: 'ratio', source: D, help: 'Resident warps over the maximum, averaged over SMs.' },
  { name: 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', kind: 'gauge', unit: 'ratio', source: D, help: 'Fraction of cycles the tensor pipes were active.' },
  { name: 'DCGM_FI_PROF_DRAM_ACTIVE', kind: 'gauge', unit: 'ratio', source: D, help: 'Fraction of cycles device memory was busy.' },
  { name: 'DCGM_FI_PROF_NVLINK_TX_BYTES', kind: 'gauge', unit: 'bytes', source: D, help: 'NVLink bytes transmitted per second.' },
  { name: 'DCGM_FI_PROF_NVLINK_RX_BYTES', kind: 'gauge', unit: 'bytes', source: D, help: 'NVLink bytes received per second.' },
  { name: 'DCGM_FI_DEV_POWER_USAGE', kind: 'gauge', unit: 'watts', source: D, help: 'Board power draw, W.' },
  { name: 'DCGM_FI_DEV_GPU_TEMP', kind: 'gauge', unit: 'celsius', source: D, help: 'GPU temperature, °C.' },
  { name: 'DCGM_FI_DEV_MEMORY_TEMP', kind: 'gauge', unit: 'celsius', source: D, help: 'HBM temperature, °C.' },
  { name: 'DCGM_FI_DEV_SM_CLOCK', kind: 'gauge', unit: 'megahertz', source: D, help: 'SM clock, MHz.' },
  { name: 'DCGM_FI_DEV_MEM_CLOCK', kind: 'gauge', unit: 'megahertz', source: D, help: 'Memory clock, MHz.' },
  { name: 'DCGM_FI_DEV_XID_ERRORS', kind: 'gauge', unit: 'count', source: D, help: 'Last XID error code.' },
] as const satisfies readonly CatalogEntry[];

export const CATALOG: readonly CatalogEntry[] = ENTRIES;

type Entry = (typeof ENTRIES)[number];
/** A canonical metric name the catalog knows (counters with `_total`; histograms by base name). */
export type MetricName = Entry['name'];
/** Canonical histogram base names. */
export type HistogramName = Extract<Entry, { kind: 'histogram' }>['name'];
/** A canonical series name: a metric, or a histogram part. */
export type SeriesName = MetricName | `${HistogramName}_${'bucket' | 'sum' | 'count'}`;

/** Labels that identify a replica (engine process) and a device. */
export const REPLICA_LABELS = ['instance', 'pod', 'job', 'engine', 'model_name'] as const;
export const DEVICE_LABELS = ['gpu', 'UUID', 'device', 'Hostname'] as const;

export type HistogramPart = 'bucket' | 'sum' | 'count' | 'created';

export interface Resolved {
  /** Canonical series name (with `_bucket`/`_sum`/`_count`/`_created` for histogram parts). */
  readonly name: string;
  /** Catalog entry, or undefined for a metric we do not know (it passes through untouched). */
  readonly entry?: CatalogEntry;
  /** For histogram parts and counter `_created`: which part. */
  readonly part?: HistogramPart;
  /** True when the raw name was an older alias of the canonical one. */
  readonly viaAlias: boolean;
}

const byName = new Map<string, CatalogEntry>();
for (const e of CATALOG) {
  const base = e.kind === 'counter' ? e.name.replace(/_total$/, '') : e.name;
  byName.set(base, e);
  for (const a of e.aliases ?? []) byName.set(a, e);
}

function baseOf(e: CatalogEntry): string {
  return e.kind === 'counter' ? e.name.replace(/_total$/, '') : e.name;
}

const cache = new Map<string, Resolved>();

/** Resolve a raw metric name (any vLLM version, with or without `_total`) to its canonical form. */
export function resolveMetricName(raw: string): Resolved {
  const hit = cache.get(raw);
  if (hit) return hit;
  const r = resolveUncached(raw);
  if (cache.size < 100_000) cache.set(raw, r);
  return r;
}

function resolveUncached(raw: string): Resolved {
  // Exact match first: `vllm:iteration_tokens_total` is a histogram whose name really ends in `_total`.
  const exact = byName.get(raw);
  if (exact && exact.kind !== 'counter') {
    return { name: exact.name, entry: exact, viaAlias: raw !== exact.name };
  }
  if (exact && exact.kind === 'counter') return { name: exact.name, entry: exact, viaAlias: raw !== baseOf(exact) };
  const m = /^(.*)_(total|bucket|sum|count|created)$/.exec(raw);
  if (m) {
    const [, stem, suffix] = m;
    const e = byName.get(stem);
    if (e) {
      const viaAlias = stem !== baseOf(e);
      if (e.kind === 'counter') {
        if (suffix === 'total') return { name: e.name, entry: e, viaAlias };
        if (suffix === 'created') return { name: `${baseOf(e)}_created`, entry: e, part: 'created', viaAlias };
      } else if (e.kind === 'histogram' && suffix !== 'total') {
        return { name: `${e.name}_${suffix}`, entry: e, part: suffix as HistogramPart, viaAlias };
      }
    }
  }
  return { name: raw, viaAlias: false };
}

/** Catalog entry of a canonical base name (histogram base or counter name). */
export function catalogEntry(name: string): CatalogEntry | undefined {
  return resolveMetricName(name).entry;
}

/** Histogram part names of a canonical histogram base name. */
export function histogramParts<H extends HistogramName>(base: H): { bucket: `${H}_bucket`; sum: `${H}_sum`; count: `${H}_count` };
export function histogramParts(base: string): { bucket: string; sum: string; count: string };
export function histogramParts(base: string): { bucket: string; sum: string; count: string } {
  return { bucket: `${base}_bucket`, sum: `${base}_sum`, count: `${base}_count` };
}
