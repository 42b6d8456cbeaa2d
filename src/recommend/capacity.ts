// The capacity model: KV tokens available, tokens a sequence holds, and how many sequences fit.

import type { AnalysisView } from '../derive/view.js';

export interface KvCapacity {
  /** Tokens the KV pool holds per replica (num_gpu_blocks × block_size, or the log's "GPU KV cache size"). */
  tokens: number;
  source: string;
}

export function kvCapacity(view: AnalysisView): KvCapacity | null {
  const blocks = view.num('num_gpu_blocks');
  const blockSize = view.num('block_size');
  if (blocks !== undefined && blockSize !== undefined) return { tokens: blocks * blockSize, source: `num_gpu_blocks ${blocks} × block_size ${blockSize}` };
  const logged = view.num('gpu_kv_cache_tokens');
  if (logged !== undefined) return { tokens: logged, source: `GPU KV cache size ${logged} tokens (server log)` };
  return null;
}

export interface SequenceFootprint {
  promptMeanTokens: number;
  generationMeanTokens: number;
  /** KV tokens a running sequence holds at its end (prompt + all generated tokens). */
  tokensPerSequence: number;
}

/** Mean prompt and output lengths from the request histograms (`_sum / _count` over the window). */
export function sequenceFootprint(view: AnalysisView, scope = 'fleet'): SequenceFootprint | null {
  const p = view.histogramMean('vllm:request_prompt_tokens', scope);
  const g = view.histogramMean('vllm:request_generation_tokens', scope);
  if (p === null || g === null) return null;
  return { promptMeanTokens: p, generationMeanTokens: g, tokensPerSequence: p + g };
}

/** Headroom kept in the KV pool so decode growth and bursts do not preempt. Judgement call (10%). */
export const KV_HEADROOM = 0.9;

/**
 * Largest max_num_seqs whose sequences, each at its full length, fit the KV pool with headroom.
 * Full length (not the lifetime average) because every running sequence can reach it at the same time.
 */
export function maxSeqsForKv(cap: KvCapacity, fp: SequenceFootprint): number {
  return Math.max(1, Math.floor((KV_HEADROOM * cap.tokens) / fp.tokensPerSequence));
}

export interface KvFit {
  cap: KvCapacity;
  fp: SequenceFootprint;
  /** max_num_seqs the pool holds at full sequence length with headroom. */
  maxSeqs: number;
}

/** The KV capacity model for a scope, or null when the pool size or the request lengths are unknown. */
export function kvFit(view: AnalysisView, scope = 'fleet'): KvFit | null {
  const cap = kvCapacity(view);
  const fp = sequenceFootprint(view, scope);
  return cap && fp ? { cap, fp, maxSeqs: maxSeqsForKv(cap, fp) } : null;
}

/** Round down to a multiple of `m` (≥ m). */
export function roundDown(x: number, m: number): number {
  return Math.max(m, Math.floor(x / m) * m);
}
