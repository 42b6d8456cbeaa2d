// The capacity model, per replica and per episode: KV tokens in the replica's pool at that time, the
// tokens a sequence of the episode's traffic holds at its end, and how many such sequences fit.

import type { AnalysisView, Scope } from '../derive/view.js';
import { histogramMeanBetween } from '../derive/windowed.js';

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
