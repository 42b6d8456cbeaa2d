// The capacity model, per replica and per episode: KV tokens in the replica's pool at that time, the
// tokens a sequence of the episode's traffic holds at its end, and how many such sequences fit.

import type { AnalysisView, Scope } from '../derive/view.js';
import { histogramMeanBetween } from '../derive/windowed.js';
import { labelsKey } from '../model/series.js';

export interface KvPool {
  /** Tokens the KV pool holds (num_gpu_blocks × block_size, or the log's "GPU KV cache size"). */
  tokens: number;
  numGpuBlocks: number | null;
  blockSize: number | null;
  source: 'cache_config_info' | 'log' | 'flag';
}

/** The KV pool of a replica at time t, as read (never inferred), or null. */
export function kvPoolAt(view: AnalysisView, replica: Scope, t: number): KvPool | null {
  const blocks = view.settingAt(replica, 'num_gpu_blocks', t);
  const size = view.settingAt(replica, 'block_size', t);
  if (blocks && size && blocks.source !== 'inferred' && size.source !== 'inferred' && typeof blocks.value === 'number' && typeof size.value === 'number') {
    return { tokens: blocks.value * size.value, numGpuBlocks: blocks.value, blockSize: size.value, source: blocks.source as KvPool['source'] };
  }
  const logged = view.settingAt(replica, 'gpu_kv_cache_tokens', t);
  if (logged && logged.source !== 'inferred' && typeof logged.value === 'number') return { tokens: logged.value, numGpuBlocks: null, blockSize: null, source: logged.source as KvPool['source'] };
  return null;
}

export interface SequenceFootprint {
  promptMeanTokens: number;
  outputMeanTokens: number;
  /** KV tokens a running sequence holds at its end (prompt + all generated tokens). */
  tokensPerSequence: number;
}

/** Mean prompt and output lengths of the requests that finished between t0 and t1 (`_sum / _count`). */
export function footprintBetween(view: AnalysisView, replica: Scope, t0: number, t1: number): SequenceFootprint | null {
  const p = histogramMeanBetween(view, 'vllm:request_prompt_tokens', replica, t0, t1);
  const g = histogramMeanBetween(view, 'vllm:request_generation_tokens', replica, t0, t1);
  if (p === null || g === null) return null;
  return { promptMeanTokens: p, outputMeanTokens: g, tokensPerSequence: p + g };
}

/** Headroom kept in the KV pool so decode growth and bursts do not preempt. Judgement call (10%). */
export const KV_HEADROOM = 0.9;

/**
 * Largest number of sequences whose KV, each at its full length, fits the pool with headroom. Full
 * length (not the lifetime average) because every running sequence can reach it at the same time.
 */
export function sequencesThatFit(poolTokens: number, tokensPerSequence: number): number {
  return Math.max(1, Math.floor((KV_HEADROOM * poolTokens) / tokensPerSequence));
}

export interface KvFit {
  pool: KvPool;
  footprint: SequenceFootprint;
  /** Sequences of this traffic the pool holds at full length with headroom. */
  fits: number;
}

/** The KV capacity model for a replica over one episode, or null when the pool or the lengths are unknown. */
export function kvFitBetween(view: AnalysisView, replica: Scope, t0: number, t1: number): KvFit | null {
  const pool = kvPoolAt(view, replica, (t0 + t1) / 2);
  const fp = footprintBetween(view, replica, t0, t1);
  return pool && fp ? { pool, footprint: fp, fits: sequencesThatFit(pool.tokens, fp.tokensPerSequence) } : null;
}

/** Round down to a multiple of `m` (≥ m). */
export function roundDown(x: number, m: number): number {
  return Math.max(m, Math.floor(x / m) * m);
}

/** Round up to a multiple of `m`. */
export function roundUp(x: number, m: number): number {
  return Math.ceil(x / m) * m;
}

/** One GPU's framebuffer on the grid (DCGM, MiB): used and free of the same device (same labels). */
export interface Framebuffer {
  usedMiB: Float64Array;
  freeMiB: Float64Array;
}

/** The framebuffer of every GPU of a replica (DCGM_FI_DEV_FB_USED paired with FB_FREE by labels). */
export function framebuffers(view: AnalysisView, scope: Scope): Framebuffer[] {
  const free = new Map(view.deviceSeries('DCGM_FI_DEV_FB_FREE', scope).map((s) => [labelsKey(s.labels), s]));
  const out: Framebuffer[] = [];
  for (const u of view.deviceSeries('DCGM_FI_DEV_FB_USED', scope)) {
    const f = free.get(labelsKey(u.labels));
    if (f) out.push({ usedMiB: view.aligned(u), freeMiB: view.aligned(f) });
  }
  return out;
}

export interface MemoryRoom {
  /** Memory of one GPU (used + free), the smallest of the replica's GPUs. */
  totalGiB: number;
  /** The least free memory any of the replica's GPUs had at any time of the window. */
  freeMinGiB: number;
}

/**
 * How much GPU memory a replica left free over the whole window (not one episode: a co-located process
 * that starts later still needs its memory). Null without DCGM framebuffer metrics.
 */
export function memoryRoom(view: AnalysisView, scope: Scope): MemoryRoom | null {
  let total = Infinity;
  let freeMin = Infinity;
  for (const fb of framebuffers(view, scope)) {
    for (let i = 0; i < fb.usedMiB.length; i++) {
      const u = fb.usedMiB[i];
      const f = fb.freeMiB[i];
      if (!Number.isFinite(u) || !Number.isFinite(f)) continue;
      if (u + f < total) total = u + f;
      if (f < freeMin) freeMin = f;
    }
  }
  return Number.isFinite(total) && Number.isFinite(freeMin) ? { totalGiB: total / 1024, freeMinGiB: freeMin / 1024 } : null;
}

/**
 * The KV pool a replica would have at another gpu_memory_utilization. vLLM gives the KV cache what is
 * left of fraction × GPU memory after weights and activations, which do not depend on the fraction: with
 * the start-up log's "Available KV cache memory" the pool scales with (KV GiB + Δfraction × GPU GiB) ÷
 * KV GiB ('estimate'); without it, the pool grows at least in proportion to the fraction ('at-least').
 */
export function poolAtFraction(poolTokens: number, fromRatio: number, toRatio: number, kvCacheGiB: number | undefined, gpuGiB: number | undefined): { tokens: number; basis: 'estimate' | 'at-least' } {
  if (kvCacheGiB !== undefined && kvCacheGiB > 0 && gpuGiB !== undefined) {
    return { tokens: Math.floor((poolTokens * (kvCacheGiB + (toRatio - fromRatio) * gpuGiB)) / kvCacheGiB), basis: 'estimate' };
  }
  return { tokens: Math.floor((poolTokens * toRatio) / fromRatio), basis: 'at-least' };
}
