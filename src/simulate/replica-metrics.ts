// The metric families one simulated replica exports — vLLM v1's, the process collector's and
// dcgm-exporter's — declared in the order they are written, and how engine events become
// observations (where vLLM records them: TTFT at the first token, the request histograms at finish).

import type { MemoryPlan } from './presets.js';
import {
  Registry,
  TTFT_BUCKETS,
  ITL_BUCKETS,
  REQUEST_LATENCY_BUCKETS,
  ITERATION_TOKEN_BUCKETS,
  PARAMS_N_BUCKETS,
  buckets125,
  type Histogram,
} from './registry.js';
import type { Req } from './request.js';
import { Rng } from './rng.js';
import type { ReplicaSpec, SimOptions } from './types.js';

/** The settings one process of a replica ran with (a redeploy starts a new one). */
export interface ProcessConfig {
  spec: ReplicaSpec;
  plan: MemoryPlan;
}

/**
 * `vllm:cache_config_info` labels of one process: every CacheConfig field as `str()` prints it, plus
 * `engine` — the set a real vLLM V1 (0.11) scrape carries (test/fixtures/real/metrics-text/*.prom).
 * No `model_name` (vLLM does not put it on this gauge) and nothing of the scheduler: max_num_seqs and
 * max_num_batched_tokens are only in the server log.
 */
export function cacheConfigLabels(spec: ReplicaSpec, numGpuBlocks: number): Record<string, string> {
  return {
    block_size: String(spec.blockSize),
    cache_dtype: spec.kvCacheDtype,
    calculate_kv_scales: 'False',
    cpu_kvcache_space_bytes: 'None',
    cpu_offload_gb: '0.0',
    enable_prefix_caching: spec.enablePrefixCaching ? 'True' : 'False',
    engine: '0',
    gpu_memory_utilization: String(spec.gpuMemoryUtilization),
    is_attention_free: 'False',
    kv_cache_memory_bytes: 'None',
    kv_sharing_fast_prefill: 'False',
    mamba_cache_dtype: 'auto',
    mamba_page_size_padded: 'None',
    mamba_ssm_cache_dtype: 'auto',
    num_cpu_blocks: 'None',
    num_gpu_blocks: String(numGpuBlocks),
    num_gpu_blocks_override: spec.numGpuBlocksOverride === undefined ? 'None' : String(spec.numGpuBlocksOverride),
    prefix_caching_hash_algo: 'sha256',
    sliding_window: 'None',
    swap_space: '4.0',
    swap_space_bytes: '4294967296.0',
  };
}

export class ReplicaMetrics {
  readonly reg = new Registry();
  readonly gRunning: number;
  readonly gWaiting: number;
  readonly gKv: number;
  readonly cPqueries: number;
  readonly cPhits: number;
  readonly cPreempt: number;
  readonly cPrompt: number;
  readonly cGen: number;
  readonly cStop: number;
  readonly cLength: number;
  readonly hPromptTok: Histogram;
  readonly hGenTok: Histogram;
  readonly hIter: Histogram;
  readonly hMaxGen: Histogram;
  readonly hN: Histogram;
  readonly hMaxTok: Histogram;
  readonly hTtft: Histogram;
  readonly hItl: Histogram;
  readonly hTpot: Histogram;
  readonly hE2e: Histogram;
  readonly hQueue: Histogram;
  readonly hInfer: Histogram;
  readonly hPrefill: Histogram;
  readonly hDecode: Histogram;
  /** One `vllm:cache_config_info` series per process configuration (index = process config index). */
  readonly info: number[];
  readonly gRss: number;
  readonly gStart: number;
  readonly dUtil: number[] = [];
  readonly dUsed: number[] = [];
  readonly dFree: number[] = [];
  readonly dSm: number[] = [];
  readonly dClock: number[] = [];
  readonly gpuUuids: string[] = [];
  /** First DCGM series: DCGM keeps reporting while the vLLM target is down. */
  readonly firstDcgm: number;

  /** `configs[i].plan.numGpuBlocks` is what each process's info series reports. */
  constructor(spec: ReplicaSpec, configs: ProcessConfig[], opts: SimOptions, replicaIndex: number) {
    const reg = this.reg;
    const m = spec.model;
    const tp = spec.tensorParallelSize;
    const base = { engine: '0', instance: spec.instance, job: 'vllm', model_name: m.hfId };
    this.gRunning = reg.gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', base);
    this.gWaiting = reg.gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', base);
    this.gKv = reg.gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', base);
    this.cPqueries = reg.counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', base);
    this.cPhits = reg.counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', base);
    this.cPreempt = reg.counter('vllm:num_preemptions_total', 'Cumulative number of preemption from the engine.', base);
    this.cPrompt = reg.counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', base);
    this.cGen = reg.counter('vllm:generation_tokens_total', 'Number of generation tokens processed.', base);
    const helpSuccess = 'Count of successfully processed requests.';
    this.cStop = reg.counter('vllm:request_success_total', helpSuccess, { ...base, finished_reason: 'stop' });
    this.cLength = reg.counter('vllm:request_success_total', helpSuccess, { ...base, finished_reason: 'length' });
    reg.counter('vllm:request_success_total', helpSuccess, { ...base, finished_reason: 'abort' });
    const tokB = buckets125(spec.maxModelLen);
    this.hPromptTok = reg.histogram('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', base, tokB);
    this.hGenTok = reg.histogram('vllm:request_generation_tokens', 'Number of generation tokens processed.', base, tokB);
    this.hIter = reg.histogram('vllm:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', base, ITERATION_TOKEN_BUCKETS);
    this.hMaxGen = reg.histogram('vllm:request_max_num_generation_tokens', 'Histogram of maximum number of requested generation tokens.', base, tokB);
    this.hN = reg.histogram('vllm:request_params_n', 'Histogram of the n request parameter.', base, PARAMS_N_BUCKETS);
    this.hMaxTok = reg.histogram('vllm:request_params_max_tokens', 'Histogram of the max_tokens request parameter.', base, tokB);
    this.hTtft = reg.histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', base, TTFT_BUCKETS);
    this.hItl = reg.histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', base, ITL_BUCKETS);
    this.hTpot = reg.histogram('vllm:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', base, ITL_BUCKETS);
    this.hE2e = reg.histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', base, REQUEST_LATENCY_BUCKETS);
    this.hQueue = reg.histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', base, REQUEST_LATENCY_BUCKETS);
    this.hInfer = reg.histogram('vllm:request_inference_time_seconds', 'Histogram of time spent in RUNNING phase for request.', base, REQUEST_LATENCY_BUCKETS);
    this.hPrefill = reg.histogram('vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', base, REQUEST_LATENCY_BUCKETS);
    this.hDecode = reg.histogram('vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', base, REQUEST_LATENCY_BUCKETS);
    // One info series per distinct process configuration; processes with the same labels share one.
    const infoByKey = new Map<string, number>();
    this.info = configs.map((c) => {
      const labels = { instance: spec.instance, job: 'vllm', ...cacheConfigLabels(c.spec, c.plan.numGpuBlocks) };
      const key = JSON.stringify(labels);
      let s = infoByKey.get(key);
      if (s === undefined) {
        s = reg.gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', labels);
        infoByKey.set(key, s);
      }
      return s;
    });
    const proc = { instance: spec.instance, job: 'vllm' };
    this.gRss = reg.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', proc);
    this.gStart = reg.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', proc);
    // DCGM: one series per GPU of the replica.
    const uuidRng = new Rng(opts.seed, 5000 + replicaIndex);
    const hex = (n: number) => {
      let s = '';
      for (let i = 0; i < n; i++) s += (uuidRng.u32() & 15).toString(16);
      return s;
    };
    for (let g = 0; g < tp; g++) this.gpuUuids.push(`GPU-${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`);
    const dcgmInstance = `${spec.instance.replace(/:\d+$/, '')}:9400`;
    const dcgmLabels = (g: number) => ({ DCGM_FI_DRIVER_VERSION: '550.90.07', Hostname: spec.hostname, UUID: this.gpuUuids[g], device: `nvidia${g}`, gpu: String(g), instance: dcgmInstance, job: 'dcgm-exporter', modelName: spec.gpu.modelName });
    // An AMD GPU has no dcgm-exporter: no GPU series at all (firstDcgm past the last series).
    const gpus = spec.gpu.vendor === 'amd' ? 0 : tp;
    for (let g = 0; g < gpus; g++) this.dUtil.push(reg.gauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', dcgmLabels(g)));
    for (let g = 0; g < gpus; g++) this.dUsed.push(reg.gauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', dcgmLabels(g)));
    for (let g = 0; g < gpus; g++) this.dFree.push(reg.gauge('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', dcgmLabels(g)));
    for (let g = 0; g < gpus; g++) this.dSm.push(reg.gauge('DCGM_FI_PROF_SM_ACTIVE', 'The ratio of cycles an SM has at least 1 warp assigned (in %).', dcgmLabels(g)));
    for (let g = 0; g < gpus; g++) this.dClock.push(reg.gauge('DCGM_FI_DEV_SM_CLOCK', 'SM clock frequency (in MHz).', dcgmLabels(g)));
    reg.seal();
    this.firstDcgm = gpus ? this.dUtil[0] : reg.series.length;
  }

  /** A request's first token: TTFT from its arrival. */
  firstToken(r: Req, now: number): void {
    this.reg.observe(this.hTtft, now - r.arrival);
  }

  /** A later token: the gap since the previous one. */
  nextToken(r: Req, now: number): void {
    this.reg.observe(this.hItl, now - r.lastTokenTs);
  }

  /** A finished request: the per-request histograms and the success counter. */
  finished(r: Req, now: number): void {
    const reg = this.reg;
    reg.observe(this.hE2e, now - r.arrival);
    reg.observe(this.hQueue, r.scheduledTs - r.arrival);
    reg.observe(this.hInfer, r.lastTokenTs - r.scheduledTs);
    reg.observe(this.hPrefill, r.firstTokenTs - r.scheduledTs);
    reg.observe(this.hDecode, r.lastTokenTs - r.firstTokenTs);
    if (r.outputDone > 1) reg.observe(this.hTpot, (r.lastTokenTs - r.firstTokenTs) / (r.outputDone - 1));
    reg.observe(this.hPromptTok, r.promptLen);
    reg.observe(this.hGenTok, r.outputDone);
    reg.observe(this.hMaxTok, r.maxTokens);
    reg.observe(this.hMaxGen, r.maxTokens);
    reg.observe(this.hN, 1);
    reg.cur[r.finishReason === 'stop' ? this.cStop : this.cLength]++;
  }
}
