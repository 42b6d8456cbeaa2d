// GPU and model presets, from published data sheets and the models' Hugging Face config.json files.
// The sources of each number are listed in docs/simulator.md.

export interface GpuPreset {
  id: string;
  /** What dcgm-exporter puts in the `modelName` label (the CUDA device name). */
  modelName: string;
  /** Framebuffer size as nvidia-smi / DCGM_FI_DEV_FB_TOTAL report it, MiB. */
  memoryMiB: number;
  /** Dense BF16 tensor throughput, FLOP/s (data-sheet peak, without sparsity). */
  bf16Flops: number;
  /** Memory bandwidth, bytes/s (data-sheet peak). */
  memBandwidth: number;
  /** Max (boost) SM clock, MHz. */
  smClockMHz: number;
  /**
   * Who made it (default NVIDIA). An AMD GPU has no dcgm-exporter series (AMD's own exporter has other
   * names, which the analyzer does not read) and its vLLM log says `platform rocm`.
   */
  vendor?: 'nvidia' | 'amd';
}

export const GPUS: Record<string, GpuPreset> = {
  'h100-80gb': { id: 'h100-80gb', modelName: 'NVIDIA H100 80GB HBM3', memoryMiB: 81559, bf16Flops: 989e12, memBandwidth: 3.35e12, smClockMHz: 1980 },
  'a100-80gb': { id: 'a100-80gb', modelName: 'NVIDIA A100-SXM4-80GB', memoryMiB: 81920, bf16Flops: 312e12, memBandwidth: 2.039e12, smClockMHz: 1410 },
  l4: { id: 'l4', modelName: 'NVIDIA L4', memoryMiB: 23034, bf16Flops: 121e12, memBandwidth: 300e9, smClockMHz: 2040 },
  h200: { id: 'h200', modelName: 'NVIDIA H200', memoryMiB: 143771, bf16Flops: 989e12, memBandwidth: 4.8e12, smClockMHz: 1980 },
  // Memory: totalGlobalMem of the MI300X Kineto trace in test/fixtures/real/traces (206,141,652,992 bytes).
  mi300x: { id: 'mi300x', modelName: 'AMD Instinct MI300X', memoryMiB: 196592, bf16Flops: 1307.4e12, memBandwidth: 5.3e12, smClockMHz: 2100, vendor: 'amd' },
};

export interface ModelPreset {
  id: string;
  /** Hugging Face model id, used as `model_name` and in the log. */
  hfId: string;
  layers: number;
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  vocab: number;
  /** Total parameters. */
  params: number;
  /** Parameters used per token (differs from `params` for mixture-of-experts models). */
  activeParams: number;
  /** For MoE: experts per layer and experts chosen per token. */
  experts?: { count: number; topK: number };
  /** `max_position_embeddings` of config.json. */
  maxPosition: number;
  /** `architectures[0]` of config.json, as vLLM's log names it (default: Llama/Qwen2/Mixtral by the other fields). */
  architecture?: string;
  /** The checkpoint's `quantization_config.quant_method`, as vLLM's log states it (default none). */
  quantization?: string;
  /** Bytes per expert weight in the checkpoint (default 2, BF16); dense weights are always BF16 here. */
  expertWeightBytes?: number;
}

export const MODELS: Record<string, ModelPreset> = {
  'llama-3.1-8b': { id: 'llama-3.1-8b', hfId: 'meta-llama/Llama-3.1-8B-Instruct', layers: 32, hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336, vocab: 128256, params: 8.03e9, activeParams: 8.03e9, maxPosition: 131072 },
  'llama-3.1-70b': { id: 'llama-3.1-70b', hfId: 'meta-llama/Llama-3.1-70B-Instruct', layers: 80, hidden: 8192, heads: 64, kvHeads: 8, headDim: 128, intermediate: 28672, vocab: 128256, params: 70.6e9, activeParams: 70.6e9, maxPosition: 131072 },
  'llama-3.2-3b': { id: 'llama-3.2-3b', hfId: 'meta-llama/Llama-3.2-3B-Instruct', layers: 28, hidden: 3072, heads: 24, kvHeads: 8, headDim: 128, intermediate: 8192, vocab: 128256, params: 3.21e9, activeParams: 3.21e9, maxPosition: 131072 },
  'qwen2.5-7b': { id: 'qwen2.5-7b', hfId: 'Qwen/Qwen2.5-7B-Instruct', layers: 28, hidden: 3584, heads: 28, kvHeads: 4, headDim: 128, intermediate: 18944, vocab: 152064, params: 7.62e9, activeParams: 7.62e9, maxPosition: 32768 },
  'mixtral-8x7b': { id: 'mixtral-8x7b', hfId: 'mistralai/Mixtral-8x7B-Instruct-v0.1', layers: 32, hidden: 4096, heads: 32, kvHeads: 8, headDim: 128, intermediate: 14336, vocab: 32000, params: 46.7e9, activeParams: 12.9e9, experts: { count: 8, topK: 2 }, maxPosition: 32768 },
  // MoE experts in MXFP4 (4-bit values + one 8-bit scale per 32: 4.25 bits); attention, router, embeddings
  // and lm_head stay BF16 (config.json quantization_config.modules_to_not_convert). Every other layer is
  // sliding-window (128) attention; the KV model here counts all 24 layers as full attention (docs/simulator.md).
  'gpt-oss-20b': { id: 'gpt-oss-20b', hfId: 'openai/gpt-oss-20b', layers: 24, hidden: 2880, heads: 64, kvHeads: 8, headDim: 64, intermediate: 2880, vocab: 201088, params: 21e9, activeParams: 3.6e9, experts: { count: 32, topK: 4 }, maxPosition: 131072, architecture: 'GptOssForCausalLM', quantization: 'mxfp4', expertWeightBytes: 4.25 / 8 },
};

/** Weight bytes of a model on one GPU: dense weights in BF16, experts at `expertWeightBytes` (all of them, or the share `touched`). */
export function weightBytes(m: ModelPreset, tp: number, touched = 1): number {
  if (!m.experts) return (m.params * 2) / tp;
  const expert = (m.params - m.activeParams) / (m.experts.count - m.experts.topK);
  const shared = m.params - m.experts.count * expert;
  return (shared * 2 + m.experts.count * expert * touched * (m.expertWeightBytes ?? 2)) / tp;
}

/** Cost-model constants (judgement calls, stated in docs/simulator.md). */
export const COST = {
  /** Fraction of peak FLOP/s reached by prefill GEMMs. */
  mfu: 0.55,
  /** Fraction of peak bandwidth reached when streaming weights and KV. */
  bandwidthEfficiency: 0.8,
  /** Fixed per-step cost: scheduling, input preparation, sampling, detokenisation (GPU mostly idle). */
  stepOverheadSeconds: 0.002,
  /** Per-layer all-reduce latency with tensor parallelism (two all-reduces per layer). */
  allReduceSeconds: 10e-6,
  /** Memory vLLM keeps outside the KV pool besides weights and activations: CUDA context, graphs. */
  nonTorchBytes: 1.0 * 1024 ** 3,
};

export function dtypeBytes(kvCacheDtype: string): number {
  return kvCacheDtype.startsWith('fp8') ? 1 : 2;
}

/** KV bytes per token on one GPU: 2 (K and V) × layers × kv_heads × head_dim × dtype bytes / TP. */
export function kvBytesPerTokenPerGpu(m: ModelPreset, kvCacheDtype: string, tp: number): number {
  const heads = Math.max(1, m.kvHeads / tp);
  return 2 * m.layers * heads * m.headDim * dtypeBytes(kvCacheDtype);
}

export interface MemoryPlan {
  totalBytes: number;
  weightBytesPerGpu: number;
  activationBytes: number;
  kvBytesPerToken: number;
  numGpuBlocks: number;
  kvTokens: number;
}

/**
 * vLLM's memory profiling in a nutshell: usable = total × gpu_memory_utilization − weights − peak
 * activations of a max_num_batched_tokens forward pass − non-torch memory; the rest is KV cache.
 */
export function planMemory(gpu: GpuPreset, m: ModelPreset, opts: { tp: number; gpuMemoryUtilization: number; maxNumBatchedTokens: number; blockSize: number; kvCacheDtype: string }): MemoryPlan {
  const totalBytes = gpu.memoryMiB * 1024 * 1024;
  const weightBytesPerGpu = weightBytes(m, opts.tp);
  // Activations of one profiling pass: about 10 hidden-sized and 3 intermediate-sized bf16 tensors per token.
  const activationBytes = (opts.maxNumBatchedTokens * (10 * m.hidden + 3 * m.intermediate) * 2) / opts.tp;
  const kvBytesPerToken = kvBytesPerTokenPerGpu(m, opts.kvCacheDtype, opts.tp);
  const avail = totalBytes * opts.gpuMemoryUtilization - weightBytesPerGpu - activationBytes - COST.nonTorchBytes;
  const numGpuBlocks = Math.max(0, Math.floor(avail / (kvBytesPerToken * opts.blockSize)));
  return { totalBytes, weightBytesPerGpu, activationBytes, kvBytesPerToken, numGpuBlocks, kvTokens: numGpuBlocks * opts.blockSize };
}
