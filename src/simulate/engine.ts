// Discrete-event model of one vLLM v1 replica: Poisson arrivals, the v1 scheduler (running decodes
// first, then waiting prefills within max_num_batched_tokens, chunked prefill, max_num_seqs), a
// paged KV cache with prefix caching (block hashes, LRU free queue), preemption by recompute, and a
// roofline step-time model. Metrics are recorded the way vLLM records them and sampled like a
// Prometheus scrape. See docs/simulator.md for every modelling choice.

import { InputError } from '../errors.js';
import { COST, planMemory, type MemoryPlan } from './presets.js';
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
import { Rng, zipfCdf } from './rng.js';
import type { RateProfile, ReplicaSpec, SimOptions, StreamSpec } from './types.js';

/** One request. Objects are per request (tens of thousands per hour), never per token or sample. */
class Req {
  blocks: number[] = [];
  /** Tokens whose KV has been computed. */
  computed = 0;
  /** Blocks of `blocks` (from the front) already registered in the prefix-cache hash map. */
  hashed = 0;
  outputDone = 0;
  scheduledTs = -1;
  firstTokenTs = -1;
  lastTokenTs = -1;
  preemptions = 0;
  done = false;
  constructor(
    readonly id: number,
    readonly arrival: number,
    readonly promptLen: number,
    /** Output tokens it will produce before finishing. */
    readonly outputTarget: number,
    readonly finishReason: 'stop' | 'length',
    readonly maxTokens: number,
    /** Shared-prefix id, or -1. */
    readonly prefixId: number,
    readonly prefixLen: number,
    /** Requests waiting when it arrived (for tests: TTFT against queue length). */
    readonly waitingAtArrival: number,
  ) {}
}

/** What a test sees after every engine step. */
export interface StepProbe {
  time: number;
  arrived: number;
  finished: number;
  dropped: number;
  running: number;
  waiting: number;
  blocksInUse: number;
  numGpuBlocks: number;
  scheduledTokens: number;
  preemptions: number;
}

export interface FinishProbe {
  arrival: number;
  ttft: number;
  e2e: number;
  queueTime: number;
  waitingAtArrival: number;
  promptLen: number;
  outputLen: number;
  finishReason: string;
  preemptions: number;
}

export interface SimHooks {
  onStep?(p: StepProbe): void;
  onFinish?(p: FinishProbe): void;
}

export interface ReplicaResult {
  spec: ReplicaSpec;
  plan: MemoryPlan;
  registry: Registry;
  /** Series-major matrix: `data[s * nScrapes + k]`; NaN where the target was down. */
  data: Float64Array;
  nScrapes: number;
  /** Unix seconds of the process (re)starts. */
  processStarts: number[];
  /** Unix seconds of the GPU UUIDs' device, for the DCGM labels. */
  gpuUuids: string[];
  stats: { arrived: number; finished: number; dropped: number; preemptions: number; steps: number; generatedTokens: number };
}

// ---------------------------------------------------------------------------------------------
// Arrivals

class ArrivalStream {
  readonly spec: StreamSpec;
  private readonly rng: Rng;
  private readonly prefixCdf: Float64Array | null;
  readonly prefixLens: Int32Array;
  private readonly rateMax: number;
  next = Infinity;

  constructor(spec: StreamSpec, rng: Rng, maxModelLen: number) {
    this.spec = spec;
    this.rng = rng;
    const p = spec.prefix;
    this.prefixCdf = p && p.share > 0 ? zipfCdf(p.count, p.zipf) : null;
    this.prefixLens = new Int32Array(p ? p.count : 0);
    if (p) for (let i = 0; i < p.count; i++) this.prefixLens[i] = clampInt(rng.logNormal(p.length.median, p.length.sigma), 16, Math.floor(maxModelLen / 2));
    this.rateMax = maxRate(spec.rate);
  }

  /** Next arrival after `t` by thinning a Poisson process at the maximum rate. */
  advance(t: number, end: number): void {
    if (this.rateMax <= 0) {
      this.next = Infinity;
      return;
    }
    let x = t;
    for (;;) {
      x += this.rng.exp(this.rateMax);
      if (x >= end) {
        this.next = Infinity;
        return;
      }
      if (this.rng.next() * this.rateMax <= rateAt(this.spec.rate, x)) {
        this.next = x;
        return;
      }
    }
  }

  /** Draw the request that arrives now. */
  draw(id: number, maxModelLen: number, waiting: number): Req {
    const s = this.spec;
    const rng = this.rng;
    let prefixId = -1;
    let prefixLen = 0;
    if (this.prefixCdf && rng.next() < s.prefix!.share) {
      prefixId = rng.zipf(this.prefixCdf);
      prefixLen = this.prefixLens[prefixId];
    }
    const unique = clampInt(rng.logNormal(s.prompt.median, s.prompt.sigma), 1, maxModelLen);
    const promptLen = Math.min(prefixLen + unique, maxModelLen - 16);
    if (prefixLen > promptLen) prefixLen = promptLen;
    const natural = clampInt(rng.logNormal(s.output.median, s.output.sigma), 1, 1 << 20);
    const maxTokens = s.maxTokens[rng.int(s.maxTokens.length)];
    const limit = Math.max(1, Math.min(maxTokens, maxModelLen - promptLen));
    const stop = natural < limit;
    return new Req(id, this.next, promptLen, stop ? natural : limit, stop ? 'stop' : 'length', maxTokens, prefixId, prefixLen, waiting);
  }
}

function clampInt(x: number, lo: number, hi: number): number {
  const r = Math.round(x);
  return r < lo ? lo : r > hi ? hi : r;
}

export function rateAt(r: RateProfile, t: number): number {
  if (r.window && (t < r.window.start || t >= r.window.end)) return 0;
  let base = r.rps;
  if (r.steps) for (const s of r.steps) if (t >= s.at) base = s.rps;
  if (r.diurnal) base *= 1 + r.diurnal.amplitude * Math.sin((2 * Math.PI * t) / r.diurnal.periodSeconds + (r.diurnal.phase ?? 0));
  return Math.max(0, base);
}

function maxRate(r: RateProfile): number {
  let base = r.rps;
  if (r.steps) for (const s of r.steps) base = Math.max(base, s.rps);
  if (r.diurnal) base *= 1 + Math.abs(r.diurnal.amplitude);
  return base;
}

// ---------------------------------------------------------------------------------------------
// KV block pool with vLLM v1's free queue (LRU order) and prefix-cache hash map.

class BlockPool {
  readonly n: number;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  readonly ref: Int32Array;
  private readonly key: Float64Array;
  private head = -1;
  private tail = -1;
  numFree: number;
  readonly cached = new Map<number, number>();
  evictions = 0;

  constructor(n: number) {
    this.n = n;
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.ref = new Int32Array(n);
    this.key = new Float64Array(n).fill(-0.5);
    this.numFree = 0;
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < this.n; i++) {
      this.prev[i] = i - 1;
      this.next[i] = i + 1 < this.n ? i + 1 : -1;
      this.ref[i] = 0;
      this.key[i] = -0.5;
    }
    this.head = this.n > 0 ? 0 : -1;
    this.tail = this.n - 1;
    this.numFree = this.n;
    this.cached.clear();
  }

  private unlink(b: number): void {
    const p = this.prev[b];
    const q = this.next[b];
    if (p >= 0) this.next[p] = q;
    else this.head = q;
    if (q >= 0) this.prev[q] = p;
    else this.tail = p;
    this.numFree--;
  }

  /** Take the least recently freed block, evicting its cached hash. */
  allocate(): number {
    const b = this.head;
    this.unlink(b);
    const k = this.key[b];
    if (k !== -0.5) {
      if (this.cached.get(k) === b) this.cached.delete(k);
      this.key[b] = -0.5;
      this.evictions++;
    }
    this.ref[b] = 1;
    return b;
  }

  /** A prefix-cache hit: take a reference, pulling the block out of the free queue if idle. */
  touch(b: number): void {
    if (this.ref[b] === 0) this.unlink(b);
    this.ref[b]++;
  }

  release(b: number): void {
    if (--this.ref[b] > 0) return;
    this.prev[b] = this.tail;
    this.next[b] = -1;
    if (this.tail >= 0) this.next[this.tail] = b;
    else this.head = b;
    this.tail = b;
    this.numFree++;
  }

  /** Register a full block under its content key (first writer wins, as in vLLM). */
  register(b: number, k: number): void {
    if (this.key[b] !== -0.5 || this.cached.has(k)) return;
    this.key[b] = k;
    this.cached.set(k, b);
  }
}

/** Content key of block `k` of a request: shared-prefix blocks are keyed by prefix, the rest by request. */
function blockKey(r: Req, k: number, bs: number): number {
  if (r.prefixId >= 0 && (k + 1) * bs <= r.prefixLen) return -(r.prefixId * 65536 + k + 1);
  return r.id * 65536 + k;
}

// ---------------------------------------------------------------------------------------------

const HOUR = 3600;

export function simulateReplica(spec: ReplicaSpec, opts: SimOptions, replicaIndex: number, hooks: SimHooks = {}): ReplicaResult {
  const rng = new Rng(opts.seed, 1000 + replicaIndex);
  const m = spec.model;
  const tp = spec.tensorParallelSize;
  const bs = spec.blockSize;
  const plan = planMemory(spec.gpu, m, {
    tp,
    gpuMemoryUtilization: spec.gpuMemoryUtilization,
    maxNumBatchedTokens: spec.maxNumBatchedTokens,
    blockSize: bs,
    kvCacheDtype: spec.kvCacheDtype,
  });
  if (spec.numGpuBlocksOverride !== undefined) {
    plan.numGpuBlocks = spec.numGpuBlocksOverride;
    plan.kvTokens = plan.numGpuBlocks * bs;
  }
  if (plan.kvTokens < spec.maxModelLen) {
    throw new InputError({
      code: 'BAD_OPTION',
      message: `${m.hfId} on ${spec.gpu.id} (TP ${tp}) leaves KV room for ${plan.kvTokens} tokens, less than max_model_len ${spec.maxModelLen}`,
      hint: 'raise gpu_memory_utilization or tensor parallelism, or lower max_model_len (vLLM refuses to start here too)',
    });
  }
  const N = plan.numGpuBlocks;
  const pool = new BlockPool(N);
  const caching = spec.enablePrefixCaching;

  // --- metrics
  const reg = new Registry();
  const base = { engine: '0', instance: spec.instance, job: 'vllm', model_name: m.hfId };
  const gRunning = reg.gauge('vllm:num_requests_running', 'Number of requests in model execution batches.', base);
  const gWaiting = reg.gauge('vllm:num_requests_waiting', 'Number of requests waiting to be processed.', base);
  const gKv = reg.gauge('vllm:kv_cache_usage_perc', 'KV-cache usage. 1 means 100 percent usage.', base);
  const cPqueries = reg.counter('vllm:prefix_cache_queries_total', 'Prefix cache queries, in terms of number of queried tokens.', base);
  const cPhits = reg.counter('vllm:prefix_cache_hits_total', 'Prefix cache hits, in terms of number of cached tokens.', base);
  const cPreempt = reg.counter('vllm:num_preemptions_total', 'Cumulative number of preemption from the engine.', base);
  const cPrompt = reg.counter('vllm:prompt_tokens_total', 'Number of prefill tokens processed.', base);
  const cGen = reg.counter('vllm:generation_tokens_total', 'Number of generation tokens processed.', base);
  const helpSuccess = 'Count of successfully processed requests.';
  const cStop = reg.counter('vllm:request_success_total', helpSuccess, { ...base, finished_reason: 'stop' });
  const cLength = reg.counter('vllm:request_success_total', helpSuccess, { ...base, finished_reason: 'length' });
  reg.counter('vllm:request_success_total', helpSuccess, { ...base, finished_reason: 'abort' });
  const tokB = buckets125(spec.maxModelLen);
  const hPromptTok = reg.histogram('vllm:request_prompt_tokens', 'Number of prefill tokens processed.', base, tokB);
  const hGenTok = reg.histogram('vllm:request_generation_tokens', 'Number of generation tokens processed.', base, tokB);
  const hIter = reg.histogram('vllm:iteration_tokens_total', 'Histogram of number of tokens per engine_step.', base, ITERATION_TOKEN_BUCKETS);
  const hMaxGen = reg.histogram('vllm:request_max_num_generation_tokens', 'Histogram of maximum number of requested generation tokens.', base, tokB);
  const hN = reg.histogram('vllm:request_params_n', 'Histogram of the n request parameter.', base, PARAMS_N_BUCKETS);
  const hMaxTok = reg.histogram('vllm:request_params_max_tokens', 'Histogram of the max_tokens request parameter.', base, tokB);
  const hTtft = reg.histogram('vllm:time_to_first_token_seconds', 'Histogram of time to first token in seconds.', base, TTFT_BUCKETS);
  const hItl = reg.histogram('vllm:inter_token_latency_seconds', 'Histogram of inter-token latency in seconds.', base, ITL_BUCKETS);
  const hTpot = reg.histogram('vllm:request_time_per_output_token_seconds', 'Histogram of time_per_output_token_seconds per request.', base, ITL_BUCKETS);
  const hE2e = reg.histogram('vllm:e2e_request_latency_seconds', 'Histogram of e2e request latency in seconds.', base, REQUEST_LATENCY_BUCKETS);
  const hQueue = reg.histogram('vllm:request_queue_time_seconds', 'Histogram of time spent in WAITING phase for request.', base, REQUEST_LATENCY_BUCKETS);
  const hInfer = reg.histogram('vllm:request_inference_time_seconds', 'Histogram of time spent in RUNNING phase for request.', base, REQUEST_LATENCY_BUCKETS);
  const hPrefill = reg.histogram('vllm:request_prefill_time_seconds', 'Histogram of time spent in PREFILL phase for request.', base, REQUEST_LATENCY_BUCKETS);
  const hDecode = reg.histogram('vllm:request_decode_time_seconds', 'Histogram of time spent in DECODE phase for request.', base, REQUEST_LATENCY_BUCKETS);
  const gInfo = reg.gauge('vllm:cache_config_info', 'Information of the LLMEngine CacheConfig', {
    ...base,
    block_size: String(bs),
    cache_dtype: spec.kvCacheDtype,
    calculate_kv_scales: 'False',
    cpu_offload_gb: '0.0',
    enable_prefix_caching: caching ? 'True' : 'False',
    gpu_memory_utilization: String(spec.gpuMemoryUtilization),
    is_attention_free: 'False',
    num_cpu_blocks: 'None',
    num_gpu_blocks: String(N),
    num_gpu_blocks_override: spec.numGpuBlocksOverride === undefined ? 'None' : String(spec.numGpuBlocksOverride),
    prefix_caching_hash_algo: 'sha256',
    sliding_window: 'None',
    swap_space: '4.0',
    swap_space_bytes: '4294967296.0',
  });
  const proc = { instance: spec.instance, job: 'vllm' };
  const gRss = reg.gauge('process_resident_memory_bytes', 'Resident memory size in bytes.', proc);
  const gStart = reg.gauge('process_start_time_seconds', 'Start time of the process since unix epoch in seconds.', proc);
  // DCGM: one series per GPU of the replica.
  const gpuUuids: string[] = [];
  const uuidRng = new Rng(opts.seed, 5000 + replicaIndex);
  const hex = (n: number) => {
    let s = '';
    for (let i = 0; i < n; i++) s += (uuidRng.u32() & 15).toString(16);
    return s;
  };
  for (let g = 0; g < tp; g++) gpuUuids.push(`GPU-${hex(8)}-${hex(4)}-${hex(4)}-${hex(4)}-${hex(12)}`);
  const dcgmInstance = `${spec.instance.replace(/:\d+$/, '')}:9400`;
  const dcgmLabels = (g: number) => ({ DCGM_FI_DRIVER_VERSION: '550.90.07', Hostname: spec.hostname, UUID: gpuUuids[g], device: `nvidia${g}`, gpu: String(g), instance: dcgmInstance, job: 'dcgm-exporter', modelName: spec.gpu.modelName });
  const dUtil: number[] = [];
  const dUsed: number[] = [];
  const dFree: number[] = [];
  const dSm: number[] = [];
  const dClock: number[] = [];
  for (let g = 0; g < tp; g++) dUtil.push(reg.gauge('DCGM_FI_DEV_GPU_UTIL', 'GPU utilization (in %).', dcgmLabels(g)));
  for (let g = 0; g < tp; g++) dUsed.push(reg.gauge('DCGM_FI_DEV_FB_USED', 'Framebuffer memory used (in MiB).', dcgmLabels(g)));
  for (let g = 0; g < tp; g++) dFree.push(reg.gauge('DCGM_FI_DEV_FB_FREE', 'Framebuffer memory free (in MiB).', dcgmLabels(g)));
  for (let g = 0; g < tp; g++) dSm.push(reg.gauge('DCGM_FI_PROF_SM_ACTIVE', 'The ratio of cycles an SM has at least 1 warp assigned (in %).', dcgmLabels(g)));
  for (let g = 0; g < tp; g++) dClock.push(reg.gauge('DCGM_FI_DEV_SM_CLOCK', 'SM clock frequency (in MHz).', dcgmLabels(g)));
  reg.seal();
  const cur = reg.cur;
  const nSeries = reg.series.length;
  const firstDcgm = dUtil[0];

  const nScrapes = Math.max(1, Math.round(opts.durationSeconds / opts.scrapeIntervalSeconds));
  const data = new Float64Array(nSeries * nScrapes);
  const interval = opts.scrapeIntervalSeconds;
  const end = opts.durationSeconds;

  // --- faults
  const leak = spec.faults.find((f) => f.kind === 'memory-leak') as Extract<ReplicaSpec['faults'][number], { kind: 'memory-leak' }> | undefined;
  const slow = spec.faults.find((f) => f.kind === 'slow-gpu') as Extract<ReplicaSpec['faults'][number], { kind: 'slow-gpu' }> | undefined;
  const restarts = (spec.faults.filter((f) => f.kind === 'restart') as Extract<ReplicaSpec['faults'][number], { kind: 'restart' }>[]).sort((a, b) => a.at - b.at);
  let restartIdx = 0;
  const clockAt = (t: number) => (slow && t >= slow.start && (slow.end === undefined || t < slow.end) ? slow.clockFactor : 1);

  // --- cost model constants
  const weightBytes = plan.weightBytesPerGpu;
  const kvBpt = plan.kvBytesPerToken;
  const attnDim = m.heads * m.headDim;
  const flopsPeak = spec.gpu.bf16Flops * COST.mfu; // per GPU; the work is divided by tp below
  const bw = spec.gpu.memBandwidth * COST.bandwidthEfficiency;
  const tpOverhead = tp > 1 ? 2 * m.layers * COST.allReduceSeconds : 0;
  let moeShared = 0;
  let moeExpert = 0;
  if (m.experts) {
    // params = shared + count × expert; active = shared + topK × expert.
    moeExpert = (m.params - m.activeParams) / (m.experts.count - m.experts.topK);
    moeShared = m.params - m.experts.count * moeExpert;
  }

  // --- process state
  let processStart = opts.startTime - 86400 * 2 - 3600 * 5 - 1234.56 * (replicaIndex + 1);
  const processStarts = [processStart];
  let downUntil = -1;
  let rssNoise = 0;

  // --- scheduler state
  let running: Req[] = [];
  let waiting: Req[] = [];
  let wHead = 0;
  const waitingLen = () => waiting.length - wHead;
  const streams = spec.streams.map((s, i) => new ArrivalStream(s, new Rng(opts.seed, replicaIndex * 100 + i), spec.maxModelLen));
  for (const s of streams) s.advance(0, end);
  let nextId = 1;
  let arrived = 0;
  let finished = 0;
  let dropped = 0;
  let preemptions = 0;
  let steps = 0;
  let generated = 0;

  // GPU activity accumulators (for DCGM), and the step in progress.
  let busyCum = 0;
  let smCum = 0;
  let stepStart = 0;
  let stepEnd = 0;
  let stepBusyFrac = 0;
  let stepSmFrac = 0;
  let lastBusy = 0;
  let lastSm = 0;
  let k = 0; // next scrape

  const schedReqs: Req[] = [];
  const schedN: number[] = [];

  const fbUsedMiB = Math.round((plan.totalBytes * spec.gpuMemoryUtilization) / 1048576);
  const fbIdleMiB = 4;

  function snapshotAt(ts: number): void {
    // GPU activity over the interval that ends at ts (DCGM averages over its sample period).
    let busy = busyCum;
    let sm = smCum;
    if (ts > stepStart && ts < stepEnd) {
      busy += (ts - stepStart) * stepBusyFrac;
      sm += (ts - stepStart) * stepSmFrac;
    }
    const util = Math.min(100, Math.max(0, Math.round((100 * (busy - lastBusy)) / interval)));
    const smAct = Math.min(1, Math.max(0, (sm - lastSm) / interval));
    lastBusy = busy;
    lastSm = sm;
    const down = ts < downUntil;
    // Boost clock (scaled by a throttling fault) while kernels run, an idle clock otherwise.
    const clock = util > 0 ? Math.round(spec.gpu.smClockMHz * clockAt(ts)) : 345;
    for (let g = 0; g < tp; g++) {
      cur[dUtil[g]] = util;
      cur[dUsed[g]] = down ? fbIdleMiB : fbUsedMiB;
      cur[dFree[g]] = spec.gpu.memoryMiB - (down ? fbIdleMiB : fbUsedMiB);
      cur[dSm[g]] = Math.round(smAct * 1000) / 1000;
      cur[dClock[g]] = clock;
    }
    if (down) {
      // Target down: no vLLM or process samples; DCGM keeps reporting.
      for (let s = 0; s < nSeries; s++) data[s * nScrapes + k] = s >= firstDcgm ? cur[s] : NaN;
      return;
    }
    cur[gRunning] = running.length;
    cur[gWaiting] = waitingLen();
    cur[gKv] = N > 0 ? 1 - pool.numFree / N : 0;
    cur[gInfo] = 1;
    cur[gStart] = Math.round(processStart * 100) / 100;
    // RSS: base + a little per in-flight request + a slow sawtooth of the allocator + leak.
    rssNoise = rssNoise * 0.9 + (rng.next() - 0.5) * 4e6;
    const age = opts.startTime + ts - processStart;
    let rss = spec.baseRssBytes + (running.length + waitingLen()) * 180e3 + ((age % 1800) / 1800) * 60e6 + rssNoise;
    if (leak) {
      const since = opts.startTime + ts - Math.max(processStart, opts.startTime + leak.start);
      if (since > 0) rss += (leak.bytesPerHour * since) / HOUR;
    }
    cur[gRss] = Math.round(rss / 4096) * 4096;
    reg.snapshot(data, nScrapes, k);
  }

  function flushScrapes(limit: number): void {
    while (k < nScrapes && k * interval < limit) {
      snapshotAt(k * interval);
      k++;
    }
  }

  function nextArrivalTime(): number {
    let t = Infinity;
    for (const s of streams) if (s.next < t) t = s.next;
    return t;
  }

  function admitArrivals(upTo: number): void {
    for (;;) {
      let best: ArrivalStream | null = null;
      for (const s of streams) if (s.next <= upTo && (!best || s.next < best.next)) best = s;
      if (!best) return;
      const r = best.draw(nextId++, spec.maxModelLen, waitingLen());
      arrived++;
      if (best.next < downUntil) dropped++;
      else waiting.push(r);
      best.advance(best.next, end);
    }
  }

  function freeBlocks(r: Req): void {
    // vLLM frees in reverse order so a request's tail blocks are evicted before its prefix blocks.
    for (let i = r.blocks.length - 1; i >= 0; i--) pool.release(r.blocks[i]);
    r.blocks = [];
    r.hashed = 0;
  }

  function preempt(r: Req): void {
    freeBlocks(r);
    r.computed = 0;
    r.preemptions++;
    preemptions++;
    cur[cPreempt]++;
    if (wHead > 0) waiting[--wHead] = r;
    else waiting.unshift(r);
  }

  function crash(at: number, downSeconds: number): void {
    dropped += running.length + waitingLen();
    running = [];
    waiting = [];
    wHead = 0;
    pool.reset();
    reg.reset();
    downUntil = at + downSeconds;
    processStart = opts.startTime + at + 2.37;
    processStarts.push(processStart);
    rssNoise = 0;
  }

  function finish(r: Req, now: number): void {
    finished++;
    freeBlocks(r);
    const e2e = now - r.arrival;
    const queue = r.scheduledTs - r.arrival;
    reg.observe(hE2e, e2e);
    reg.observe(hQueue, queue);
    reg.observe(hInfer, r.lastTokenTs - r.scheduledTs);
    reg.observe(hPrefill, r.firstTokenTs - r.scheduledTs);
    reg.observe(hDecode, r.lastTokenTs - r.firstTokenTs);
    if (r.outputDone > 1) reg.observe(hTpot, (r.lastTokenTs - r.firstTokenTs) / (r.outputDone - 1));
    reg.observe(hPromptTok, r.promptLen);
    reg.observe(hGenTok, r.outputDone);
    reg.observe(hMaxTok, r.maxTokens);
    reg.observe(hMaxGen, r.maxTokens);
    reg.observe(hN, 1);
    cur[r.finishReason === 'stop' ? cStop : cLength]++;
    hooks.onFinish?.({
      arrival: r.arrival,
      ttft: r.firstTokenTs - r.arrival,
      e2e,
      queueTime: queue,
      waitingAtArrival: r.waitingAtArrival,
      promptLen: r.promptLen,
      outputLen: r.outputDone,
      finishReason: r.finishReason,
      preemptions: r.preemptions,
    });
  }

  /** Blocks needed to hold `tokens` tokens of `r` beyond the ones it has. */
  const blocksNeeded = (r: Req, tokens: number) => Math.ceil(tokens / bs) - r.blocks.length;

  function allocate(r: Req, count: number): void {
    for (let i = 0; i < count; i++) r.blocks.push(pool.allocate());
  }

  /** One scheduler pass (vLLM v1 `Scheduler.schedule`). Returns scheduled token count. */
  function schedule(): number {
    schedReqs.length = 0;
    schedN.length = 0;
    let budget = spec.maxNumBatchedTokens;
    let preemptedNow = false;
    let i = 0;
    while (i < running.length && budget > 0) {
      const r = running[i];
      const numTokens = r.promptLen + r.outputDone;
      const n = Math.min(numTokens - r.computed, budget);
      let ok = true;
      for (;;) {
        const need = blocksNeeded(r, r.computed + n);
        if (need <= pool.numFree) {
          if (need > 0) allocate(r, need);
          break;
        }
        const victim = running.pop()!;
        preempt(victim);
        preemptedNow = true;
        if (victim === r) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
      schedReqs.push(r);
      schedN.push(n);
      budget -= n;
      i++;
    }
    if (!preemptedNow) {
      while (waitingLen() > 0 && budget > 0 && running.length < spec.maxNumSeqs) {
        const r = waiting[wHead];
        const numTokens = r.promptLen + r.outputDone;
        // Prefix-cache lookup: the longest run of cached full blocks, never the whole prompt.
        let hitBlocks = 0;
        let idleHits = 0;
        if (caching) {
          const maxHit = Math.floor((numTokens - 1) / bs);
          while (hitBlocks < maxHit) {
            const b = pool.cached.get(blockKey(r, hitBlocks, bs));
            if (b === undefined) break;
            if (pool.ref[b] === 0) idleHits++;
            hitBlocks++;
          }
        }
        const computed = hitBlocks * bs;
        let n = numTokens - computed;
        if (n > budget) {
          if (!spec.enableChunkedPrefill) break;
          n = budget;
        }
        const need = Math.ceil((computed + n) / bs) - hitBlocks;
        if (need > pool.numFree - idleHits) break;
        for (let h = 0; h < hitBlocks; h++) {
          const b = pool.cached.get(blockKey(r, h, bs))!;
          pool.touch(b);
          r.blocks.push(b);
        }
        r.hashed = hitBlocks;
        r.computed = computed;
        allocate(r, need);
        if (caching) {
          cur[cPqueries] += numTokens;
          cur[cPhits] += computed;
        }
        wHead++;
        if (wHead > 1024 && wHead * 2 > waiting.length) {
          waiting = waiting.slice(wHead);
          wHead = 0;
        }
        if (r.scheduledTs < 0) r.scheduledTs = -2; // set to the step start below
        running.push(r);
        schedReqs.push(r);
        schedN.push(n);
        budget -= n;
      }
    }
    return spec.maxNumBatchedTokens - budget;
  }

  let t = 0;
  for (;;) {
    // Restart fault: the process dies, the target is down, then a new process starts from zero.
    if (restartIdx < restarts.length && t >= restarts[restartIdx].at) {
      const f = restarts[restartIdx++];
      flushScrapes(f.at);
      crash(f.at, f.downSeconds);
      admitArrivals(f.at + f.downSeconds);
      if (t < f.at + f.downSeconds) t = f.at + f.downSeconds;
    }
    if (running.length === 0 && waitingLen() === 0) {
      let tNext = Math.min(nextArrivalTime(), end);
      if (restartIdx < restarts.length) tNext = Math.min(tNext, Math.max(t, restarts[restartIdx].at));
      if (tNext >= end) break;
      flushScrapes(tNext);
      t = Math.max(t, tNext);
      admitArrivals(t);
      continue;
    }
    const preemptedBefore = preemptions;
    const tokens = schedule();
    if (schedReqs.length === 0 && preemptions > preemptedBefore) continue; // everything was preempted: reschedule now
    if (schedReqs.length === 0) {
      // Nothing fits (all blocks held by waiting-for-memory requests cannot happen; this is a
      // request larger than the free pool with nothing running). Wait for the next arrival.
      const tNext = Math.min(nextArrivalTime(), end);
      if (tNext >= end) break;
      flushScrapes(tNext);
      t = tNext;
      admitArrivals(t);
      continue;
    }
    steps++;
    // --- roofline step time
    let flops = 0;
    let kvRead = 0;
    for (let j = 0; j < schedReqs.length; j++) {
      const r = schedReqs[j];
      const n = schedN[j];
      const ctx = r.computed;
      flops += n * (2 * m.activeParams + 4 * m.layers * attnDim * (ctx + n / 2));
      kvRead += ctx + n;
    }
    const clock = clockAt(t);
    let wBytes = weightBytes;
    if (m.experts) wBytes = (moeShared + m.experts.count * moeExpert * (1 - Math.pow(1 - m.experts.topK / m.experts.count, tokens))) * 2 / tp;
    const compute = flops / tp / (flopsPeak * clock);
    const memory = (wBytes + kvRead * kvBpt) / (bw * (0.5 + 0.5 * clock));
    const gpuTime = Math.max(compute, memory) + tpOverhead;
    const dt = COST.stepOverheadSeconds + gpuTime;
    stepStart = t;
    stepEnd = t + dt;
    stepBusyFrac = gpuTime / dt;
    stepSmFrac = stepBusyFrac * (0.35 + 0.6 * (compute / Math.max(compute, memory)));
    flushScrapes(stepEnd);
    const now = stepEnd;
    busyCum += gpuTime;
    smCum += dt * stepSmFrac;

    // --- step end: KV computed, tokens sampled, requests finished
    let genThisStep = 0;
    let promptThisStep = 0;
    let anyFinished = false;
    for (let j = 0; j < schedReqs.length; j++) {
      const r = schedReqs[j];
      if (r.scheduledTs === -2) r.scheduledTs = t;
      r.computed += schedN[j];
      if (caching) {
        const full = Math.floor(r.computed / bs);
        for (let b = r.hashed; b < full; b++) pool.register(r.blocks[b], blockKey(r, b, bs));
        if (full > r.hashed) r.hashed = full;
      }
      if (r.computed < r.promptLen + r.outputDone) continue; // mid-prefill chunk
      r.outputDone++;
      genThisStep++;
      if (r.firstTokenTs < 0) {
        r.firstTokenTs = now;
        reg.observe(hTtft, now - r.arrival);
        promptThisStep += r.promptLen;
      } else {
        reg.observe(hItl, now - r.lastTokenTs);
      }
      r.lastTokenTs = now;
      if (r.outputDone >= r.outputTarget) {
        finish(r, now);
        r.done = true;
        anyFinished = true;
      }
    }
    if (anyFinished) running = running.filter((r) => !r.done);
    cur[cGen] += genThisStep;
    cur[cPrompt] += promptThisStep;
    generated += genThisStep;
    reg.observe(hIter, genThisStep + promptThisStep);
    t = now;
    admitArrivals(t);
    if (hooks.onStep) {
      hooks.onStep({
        time: t,
        arrived,
        finished,
        dropped,
        running: running.length,
        waiting: waitingLen(),
        blocksInUse: N - pool.numFree,
        numGpuBlocks: N,
        scheduledTokens: tokens,
        preemptions,
      });
    }
    if (t >= end) break;
  }
  flushScrapes(end + 1e-9);
  return { spec, plan, registry: reg, data, nScrapes, processStarts, gpuUuids, stats: { arrived, finished, dropped, preemptions, steps, generatedTokens: generated } };
}
