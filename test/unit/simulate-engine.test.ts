// The simulator's mechanism: conservation, Little's law, preemption only under KV pressure,
// TTFT growing with the queue, the memory plan, faults. Small runs (minutes of simulated time).

import { describe, expect, it } from 'vitest';
import { simulateReplica, type FinishProbe, type StepProbe } from '../../src/simulate/engine.js';
import { GPUS, MODELS, planMemory } from '../../src/simulate/presets.js';
import { replica } from '../../src/simulate/scenarios.js';
import type { ReplicaSpec, SimOptions, StreamSpec } from '../../src/simulate/types.js';
import type { ReplicaResult } from '../../src/simulate/engine.js';

const START = 1763632800;

function stream(over: Partial<StreamSpec> = {}): StreamSpec {
  return {
    name: 's',
    rate: { rps: 4 },
    prompt: { median: 400, sigma: 0.6 },
    output: { median: 150, sigma: 0.6 },
    maxTokens: [1024],
    prefix: { share: 0.6, count: 4, length: { median: 500, sigma: 0.2 }, zipf: 1 },
    ...over,
  };
}

function spec(over: Partial<ReplicaSpec> = {}): ReplicaSpec {
  return replica(0, { streams: [stream()], baseRssBytes: 3e9, ...over });
}

function opts(minutes: number, seed = 7): SimOptions {
  return { seed, startTime: START, durationSeconds: minutes * 60, scrapeIntervalSeconds: 10 };
}

function seriesIdx(r: ReplicaResult, name: string, label?: [string, string]): number {
  const i = r.registry.series.findIndex((s) => s.name === name && (!label || s.labels.some(([k, v]) => k === label[0] && v === label[1])));
  if (i < 0) throw new Error(`no series ${name}`);
  return i;
}

function column(r: ReplicaResult, name: string, label?: [string, string]): number[] {
  const s = seriesIdx(r, name, label);
  return Array.from(r.data.subarray(s * r.nScrapes, (s + 1) * r.nScrapes));
}

function last(r: ReplicaResult, name: string): number {
  const c = column(r, name).filter((v) => v === v);
  return c[c.length - 1];
}

/** Long-context traffic: ~4k-token contexts, enough to exhaust a small pool. */
const longContext = stream({ rate: { rps: 2 }, prompt: { median: 3500, sigma: 0.3 }, output: { median: 400, sigma: 0.4 }, maxTokens: [2048], prefix: undefined });

describe('memory plan', () => {
  it('derives num_gpu_blocks from memory × utilisation − weights − activations − non-torch over KV bytes per block', () => {
    // Hand-computed: 81559 MiB × 0.9 = 76,965,809,356.8 B; − 16.06e9 (8.03e9 bf16 weights)
    // − 8192 × (10×4096 + 3×14336) × 2 = 1,367,343,104 B of activations − 1 GiB = 58,459,255,449.6 B;
    // KV per token 2 × 32 layers × 8 heads × 128 × 2 B = 131,072 B; per 16-token block 2,097,152 B → 27,875 blocks.
    const p = planMemory(GPUS['h100-80gb'], MODELS['llama-3.1-8b'], { tp: 1, gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 8192, blockSize: 16, kvCacheDtype: 'auto' });
    expect(p.kvBytesPerToken).toBe(131072);
    expect(p.numGpuBlocks).toBe(27875);
    expect(p.kvTokens).toBe(446000);
    // fp8 KV halves the bytes per token and so roughly doubles the blocks.
    const fp8 = planMemory(GPUS['h100-80gb'], MODELS['llama-3.1-8b'], { tp: 1, gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 8192, blockSize: 16, kvCacheDtype: 'fp8' });
    expect(fp8.kvBytesPerToken).toBe(65536);
    expect(fp8.numGpuBlocks).toBe(55751);
    // TP 4 splits the 8 KV heads of Llama-3.1-70B: 2 × 80 × 2 × 128 × 2 B = 81,920 B per token per GPU.
    const big = planMemory(GPUS['h100-80gb'], MODELS['llama-3.1-70b'], { tp: 4, gpuMemoryUtilization: 0.9, maxNumBatchedTokens: 8192, blockSize: 16, kvCacheDtype: 'auto' });
    expect(big.kvBytesPerToken).toBe(81920);
  });

  it('refuses a configuration whose KV pool cannot hold one max_model_len sequence, as vLLM does', () => {
    expect(() => simulateReplica(spec({ gpu: GPUS.l4, gpuMemoryUtilization: 0.75 }), opts(1), 0)).toThrow(/max_model_len/);
  });
});

describe('conservation', () => {
  it('every arrived request is finished, running or waiting at every step, and blocks in use never exceed the pool', () => {
    let steps = 0;
    let bad = 0;
    let overPool = 0;
    let maxInUse = 0;
    let lastProbe: StepProbe | undefined;
    let atLastScrape: StepProbe | undefined;
    const r = simulateReplica(spec({ numGpuBlocksOverride: 1500, streams: [longContext] }), opts(8), 0, {
      onStep(p) {
        if (p.time <= 470) atLastScrape = p; // the last scrape is at 470 s and sees every step ended by then
        steps++;
        if (p.arrived !== p.finished + p.dropped + p.running + p.waiting) bad++;
        if (p.blocksInUse > p.numGpuBlocks || p.blocksInUse < 0) overPool++;
        maxInUse = Math.max(maxInUse, p.blocksInUse);
        lastProbe = p;
      },
    });
    expect(steps).toBeGreaterThan(1000);
    expect(bad).toBe(0);
    expect(overPool).toBe(0);
    // The pool was actually under pressure (otherwise the bound is trivially met).
    expect(maxInUse).toBeGreaterThan(1400);
    expect(r.stats.preemptions).toBeGreaterThan(0);
    expect(lastProbe!.arrived).toBe(r.stats.arrived);
    // The scraped counters agree with the engine at the last scrape: finished requests by reason.
    const stop = column(r, 'vllm:request_success_total', ['finished_reason', 'stop'])[r.nScrapes - 1];
    const length = column(r, 'vllm:request_success_total', ['finished_reason', 'length'])[r.nScrapes - 1];
    expect(stop + length).toBe(atLastScrape!.finished);
    expect(last(r, 'vllm:e2e_request_latency_seconds_count')).toBe(atLastScrape!.finished);
    // The scrape may fall after the next schedule() moved requests from waiting to running; their sum is the same.
    const k = r.nScrapes - 1;
    expect(column(r, 'vllm:num_requests_running')[k] + column(r, 'vllm:num_requests_waiting')[k]).toBe(atLastScrape!.running + atLastScrape!.waiting);
  });

  it('a restart drops the in-flight requests and accounts for them', () => {
    let bad = 0;
    const r = simulateReplica(spec({ faults: [{ kind: 'restart', at: 300, downSeconds: 60 }] }), opts(10), 0, {
      onStep(p) {
        if (p.arrived !== p.finished + p.dropped + p.running + p.waiting) bad++;
      },
    });
    expect(bad).toBe(0);
    expect(r.stats.dropped).toBeGreaterThan(100); // ~60 s × 4 req/s arrive while it is down
  });
});

describe("Little's law on a steady scenario", () => {
  it('mean(running + waiting) ≈ arrival rate × mean e2e latency, from the scraped series', () => {
    const r = simulateReplica(spec({ streams: [stream({ rate: { rps: 6 } })] }), opts(30), 0);
    const running = column(r, 'vllm:num_requests_running');
    const waiting = column(r, 'vllm:num_requests_waiting');
    let L = 0;
    for (let k = 0; k < r.nScrapes; k++) L += running[k] + waiting[k];
    L /= r.nScrapes;
    const finished = last(r, 'vllm:e2e_request_latency_seconds_count');
    const lambda = finished / (30 * 60);
    const W = last(r, 'vllm:e2e_request_latency_seconds_sum') / finished;
    expect(lambda).toBeGreaterThan(5.4);
    expect(lambda).toBeLessThan(6.6);
    expect(L).toBeGreaterThan(5); // a real load, not an idle engine
    expect(Math.abs(L - lambda * W) / (lambda * W)).toBeLessThan(0.08);
  });
});

describe('preemption', () => {
  it('is zero when the pool is large enough and appears when it is not (same traffic, same seed)', () => {
    const big = simulateReplica(spec({ streams: [longContext] }), opts(10), 0);
    const small = simulateReplica(spec({ streams: [longContext], numGpuBlocksOverride: 1200 }), opts(10), 0);
    expect(big.plan.numGpuBlocks).toBe(27875);
    expect(last(big, 'vllm:num_preemptions_total')).toBe(0);
    expect(Math.max(...column(big, 'vllm:kv_cache_usage_perc'))).toBeLessThan(0.5);
    expect(last(small, 'vllm:num_preemptions_total')).toBeGreaterThan(20);
    expect(last(small, 'vllm:num_preemptions_total')).toBeLessThanOrEqual(small.stats.preemptions);
    expect(Math.max(...column(small, 'vllm:kv_cache_usage_perc'))).toBeGreaterThan(0.95);
    // Recomputation costs time: mean e2e latency is worse with the small pool.
    const e2e = (r: ReplicaResult) => last(r, 'vllm:e2e_request_latency_seconds_sum') / last(r, 'vllm:e2e_request_latency_seconds_count');
    expect(e2e(small)).toBeGreaterThan(e2e(big));
  });
});

describe('TTFT and the queue', () => {
  it('TTFT grows with the number of requests waiting when a request arrives', () => {
    const probes: FinishProbe[] = [];
    simulateReplica(spec({ maxNumSeqs: 8, streams: [stream({ rate: { rps: 4.2, diurnal: { amplitude: 0.25, periodSeconds: 1800 } } })] }), opts(30), 0, {
      onFinish: (p) => probes.push(p),
    });
    const bins = [
      [0, 0],
      [1, 9],
      [10, 49],
      [50, Infinity],
    ];
    const means = bins.map(([lo, hi]) => {
      const sel = probes.filter((p) => p.waitingAtArrival >= lo && p.waitingAtArrival <= hi);
      expect(sel.length).toBeGreaterThan(20);
      return sel.reduce((a, p) => a + p.ttft, 0) / sel.length;
    });
    for (let i = 1; i < means.length; i++) expect(means[i]).toBeGreaterThan(means[i - 1]);
    // Queue time is what grows: with an empty queue TTFT is a prefill (tens of ms).
    expect(means[0]).toBeLessThan(0.5);
    expect(means[3]).toBeGreaterThan(5);
  });
});

describe('faults and metrics', () => {
  it('a restart resets counters, leaves a gap without samples and changes process_start_time_seconds', () => {
    const r = simulateReplica(spec({ faults: [{ kind: 'restart', at: 300, downSeconds: 60 }] }), opts(10), 0);
    const gen = column(r, 'vllm:generation_tokens_total');
    const start = column(r, 'process_start_time_seconds');
    // The crash happens at the first step boundary after 300 s; scrapes at 310..350 s (k = 31..35)
    // fall in the down time, the one at 360 s sees the new process before its first step.
    expect(gen[30]).toBeGreaterThan(0);
    for (let k = 31; k < 36; k++) expect(gen[k]).toBeNaN();
    expect(gen[36]).toBe(0); // reset: the new process counts from zero
    expect(gen[40]).toBeGreaterThan(0);
    expect(start[36]).toBeCloseTo(START + 300 + 2.37, 2);
    expect(start[0]).toBeLessThan(START);
    // DCGM keeps reporting through the gap, with the framebuffer released.
    const fb = column(r, 'DCGM_FI_DEV_FB_USED');
    expect(fb[32]).toBe(4);
    expect(fb[10]).toBe(Math.round((81559 * 1048576 * 0.9) / 1048576));
  });

  it('a memory leak grows RSS by the configured rate while a healthy process stays flat', () => {
    const leak = simulateReplica(spec({ faults: [{ kind: 'memory-leak', start: 0, bytesPerHour: 1.2e9 }] }), opts(30), 0);
    const flat = simulateReplica(spec(), opts(30), 0);
    const a = column(leak, 'process_resident_memory_bytes');
    const b = column(flat, 'process_resident_memory_bytes');
    const growth = (c: number[]) => (c.slice(-30).reduce((x, y) => x + y, 0) - c.slice(0, 30).reduce((x, y) => x + y, 0)) / 30;
    // 1.2 GB/h over the 25 minutes between the first and last 5-minute means: ≈ 0.5 GB.
    expect(growth(a)).toBeGreaterThan(0.4e9);
    expect(growth(a)).toBeLessThan(0.6e9);
    expect(Math.abs(growth(b))).toBeLessThan(0.1e9);
  });

  it('a throttled GPU slows steps: inter-token latency rises and the SM clock drops', () => {
    const r = simulateReplica(spec({ faults: [{ kind: 'slow-gpu', start: 600, clockFactor: 0.35 }] }), opts(20), 0);
    const sum = column(r, 'vllm:inter_token_latency_seconds_sum');
    const cnt = column(r, 'vllm:inter_token_latency_seconds_count');
    const before = (sum[59] - sum[6]) / (cnt[59] - cnt[6]);
    const after = (sum[119] - sum[66]) / (cnt[119] - cnt[66]);
    expect(after / before).toBeGreaterThan(1.3);
    const clock = column(r, 'DCGM_FI_DEV_SM_CLOCK');
    expect(clock[30]).toBe(1980);
    expect(clock[90]).toBe(693);
  });

  it('histogram buckets are cumulative, end in +Inf = _count, and the prefix cache hits with shared prompts', () => {
    const r = simulateReplica(spec(), opts(5), 0);
    const k = r.nScrapes - 1;
    const buckets = r.registry.series
      .map((s, i) => ({ s, i }))
      .filter(({ s }) => s.name === 'vllm:time_to_first_token_seconds_bucket');
    expect(buckets.map(({ s }) => s.labels.find(([a]) => a === 'le')![1]).slice(0, 3)).toEqual(['0.001', '0.005', '0.01']);
    let prev = 0;
    for (const { i } of buckets) {
      const v = r.data[i * r.nScrapes + k];
      expect(v).toBeGreaterThanOrEqual(prev);
      prev = v;
    }
    expect(prev).toBe(last(r, 'vllm:time_to_first_token_seconds_count'));
    const hits = last(r, 'vllm:prefix_cache_hits_total');
    const queries = last(r, 'vllm:prefix_cache_queries_total');
    expect(hits / queries).toBeGreaterThan(0.2);
    expect(hits / queries).toBeLessThan(0.8);
  });
});
