// GPU-profile diagnoses: COMMUNICATION_BOUND, GPU_IDLE_GAPS, ATTENTION_BOUND, GEMM_BOUND. Each reads
// the GpuBreakdown (shares per device), picks the worst device, and computes its recommendations
// from the measured shares and the known serving config. Pure.

import type { Finding, Recommendation } from '../../model/result.js';
import type { DeviceBreakdown, GpuBreakdown } from '../../model/gpu-result.js';
import type { ServingConfig } from '../../model/serving-config.js';

/** Collectives above a fifth of GPU time: at TP=2..8 on NVLink, all-reduce is typically 5–15% of a
 *  decode step; 20% means the interconnect or the TP degree is the limit (judgement call). */
export const COMM_SHARE_WARN = 0.2;
/** Only the part of communication not hidden behind compute counts, where a timeline shows it. */
export const COMM_SHARE_CRIT = 0.35;
/** Idle above 20% of the profiled span: the GPU waits on the host (scheduler, Python, launches);
 *  a well-fed decode loop with CUDA graphs stays under ~10% (judgement call). */
export const IDLE_SHARE_WARN = 0.2;
export const IDLE_SHARE_CRIT = 0.4;
/** Attention above 40% of GPU time: decode attention reads the whole KV cache every step and
 *  dominates at long contexts / large batches; GEMMs usually lead otherwise (judgement call). */
export const ATTENTION_SHARE_WARN = 0.4;
export const ATTENTION_SHARE_CRIT = 0.6;
/** Dense + MoE GEMMs above 60% of GPU time: weight-bound; quantised weights or bigger batches pay
 *  off directly (judgement call). */
export const GEMM_SHARE_WARN = 0.6;
export const GEMM_SHARE_CRIT = 0.8;
/** Short-kernel share above which launch overhead matters (kernels shorter than ~5 µs). */
export const SHORT_KERNEL_SHARE = 0.5;

const DOC = (code: string): string => `docs/findings/${code}.md`;
const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

function cfg(config: ServingConfig, key: string): string | number | boolean | null {
  return config.values[key]?.value ?? null;
}

function share(d: DeviceBreakdown, cat: string): number {
  return d.categories.find((c) => c.category === cat)?.share ?? 0;
}

function worst(devs: DeviceBreakdown[], f: (d: DeviceBreakdown) => number): { d: DeviceBreakdown; v: number; over: DeviceBreakdown[] } | undefined {
  let best: DeviceBreakdown | undefined;
  let bv = -Infinity;
  for (const d of devs) {
    const v = f(d);
    if (v > bv) {
      bv = v;
      best = d;
    }
  }
  return best ? { d: best, v: bv, over: [] } : undefined;
}

function scope(over: DeviceBreakdown[]): string {
  return over.map((d) => d.label).join('; ');
}

/** Exposed communication share: comm minus the part overlapped with compute, over activity time. */
function exposedComm(d: DeviceBreakdown): number {
  const comm = d.categories.find((c) => c.category === 'communication')!;
  if (!d.overlap || d.activityNs === 0) return comm.share;
  return Math.max(0, comm.ns - d.overlap.overlapNs) / d.activityNs;
}

export function diagnoseGpu(gpu: GpuBreakdown, config: ServingConfig): { findings: Finding[]; notEvaluated: { code: string; reason: string }[] } {
  const findings: Finding[] = [];
  const notEvaluated: { code: string; reason: string }[] = [];
  const active = gpu.devices.filter((d) => d.gpuActivity);
  const codes = ['COMMUNICATION_BOUND', 'GPU_IDLE_GAPS', 'ATTENTION_BOUND', 'GEMM_BOUND'];
  if (active.length === 0) {
    const reason = gpu.devices.length ? 'the GPU profiles hold no GPU activity (CPU-only)' : 'no GPU profile given';
    for (const code of codes) notEvaluated.push({ code, reason });
    return { findings, notEvaluated };
  }
  const tp = cfg(config, 'tensor_parallel_size');
  const maxSeqs = cfg(config, 'max_num_seqs');

  // COMMUNICATION_BOUND
  {
    const w = worst(active, exposedComm)!;
    const over = active.filter((d) => exposedComm(d) >= COMM_SHARE_WARN);
    if (over.length) {
      const d = w.d;
      const comm = d.categories.find((c) => c.category === 'communication')!;
      const nccl = comm.top.filter((k) => k.sub === 'nccl').reduce((s, k) => s + k.totalNs, 0);
      const custom = comm.top.filter((k) => k.sub === 'custom_allreduce').reduce((s, k) => s + k.totalNs, 0);
      const recs: Recommendation[] = [];
      if (typeof tp === 'number' && tp > 1) {
        recs.push({
          setting: 'tensor_parallel_size', from: tp, to: Math.max(1, tp / 2),
          because: `collectives take ${pct(w.v)} of GPU time on ${d.label} at TP=${tp}; halving TP halves the all-reduce participants (use data parallelism for the freed GPUs if the model fits)`,
          risk: 'the model and its KV cache must fit on fewer GPUs', confidence: 'low', findings: ['COMMUNICATION_BOUND'],
        });
      }
      if (nccl > 0 && custom === 0) {
        recs.push({
          setting: 'disable_custom_all_reduce', from: cfg(config, 'disable_custom_all_reduce'), to: false,
          because: `all communication time is NCCL kernels (${(nccl / 1e6).toFixed(2)} ms in the top kernels) and no vLLM custom all-reduce kernel ran; the custom all-reduce is faster for decode-sized messages on NVLink`,
          confidence: 'medium', findings: ['COMMUNICATION_BOUND'],
        });
      }
      findings.push({
        code: 'COMMUNICATION_BOUND', title: 'Collectives take a large share of GPU time',
        severity: w.v >= COMM_SHARE_CRIT ? 'critical' : 'warning',
        summary: `Communication kernels take ${pct(w.v)} of GPU time on ${d.label}${d.overlap ? ` (after removing the ${pct(d.overlap.overlapShareOfComm)} hidden behind compute)` : ''}.`,
        scope: scope(over),
        evidence: { commShare: comm.share, exposedCommShare: w.v, commNs: comm.ns, overlapShareOfComm: d.overlap?.overlapShareOfComm ?? null, ncclTopNs: nccl, customAllReduceTopNs: custom, tensorParallelSize: typeof tp === 'number' ? tp : null, thresholdShare: COMM_SHARE_WARN },
        recommendations: recs, doc: DOC('COMMUNICATION_BOUND'),
      });
    }
  }

  // GPU_IDLE_GAPS
  {
    const withIdle = active.filter((d) => d.idle);
    if (withIdle.length === 0) notEvaluated.push({ code: 'GPU_IDLE_GAPS', reason: 'no timeline and no --wall-seconds: idle time unknown' });
    else {
      const w = worst(withIdle, (d) => d.idle!.idleShare)!;
      const over = withIdle.filter((d) => d.idle!.idleShare >= IDLE_SHARE_WARN);
      if (over.length) {
        const d = w.d;
        const recs: Recommendation[] = [];
        const eager = cfg(config, 'enforce_eager');
        if (d.launch.cudaGraphs !== 'used' || eager === true) {
          recs.push({
            setting: 'enforce_eager', from: eager, to: false,
            because: `the GPU is idle ${pct(w.v)} of the span on ${d.label}${d.launch.shortShare !== null ? ` and ${pct(d.launch.shortShare)} of kernels are shorter than ${(d.launch.thresholdNs / 1000).toFixed(0)} µs` : ''}; ${d.launch.cudaGraphs === 'used' ? 'CUDA graphs are partly used' : 'no CUDA graph launches are visible'} — graphs replay a step's kernels with one launch`,
            confidence: d.launch.shortShare !== null && d.launch.shortShare >= SHORT_KERNEL_SHARE ? 'high' : 'medium', findings: ['GPU_IDLE_GAPS'],
          });
        }
        recs.push({
          setting: 'async_scheduling', from: cfg(config, 'async_scheduling'), to: true,
          because: `${pct(w.v)} idle${d.idle!.gaps ? ` in ${d.idle!.gaps.count} gaps (median ${(d.idle!.gaps.p50Ns / 1000).toFixed(1)} µs)` : ''}: scheduling the next step while the GPU runs the current one hides the host-side gap (vLLM ≥ 0.10, --async-scheduling)`,
          risk: 'not available in older vLLM versions and with some features (check the release notes)', confidence: 'medium', findings: ['GPU_IDLE_GAPS'],
        });
        const g = d.idle!.gaps;
        findings.push({
          code: 'GPU_IDLE_GAPS', title: 'The GPU waits on the host',
          severity: w.v >= IDLE_SHARE_CRIT ? 'critical' : 'warning',
          summary: `The GPU is idle ${pct(w.v)} of the profiled span on ${d.label}${d.idle!.source === 'wall-seconds' ? ' (from --wall-seconds)' : ''}.`,
          scope: scope(over),
          evidence: { idleShare: w.v, idleNs: d.idle!.idleNs, spanNs: d.idle!.spanNs, gapCount: g?.count ?? null, gapP50Ns: g?.p50Ns ?? null, gapP90Ns: g?.p90Ns ?? null, gapMaxNs: g?.maxNs ?? null, shortKernelShare: d.launch.shortShare, cudaGraphs: d.launch.cudaGraphs, thresholdShare: IDLE_SHARE_WARN },
          recommendations: recs, doc: DOC('GPU_IDLE_GAPS'),
        });
      }
    }
  }

  // ATTENTION_BOUND
  {
    const w = worst(active, (d) => share(d, 'attention'))!;
    const over = active.filter((d) => share(d, 'attention') >= ATTENTION_SHARE_WARN);
    if (over.length) {
      const d = w.d;
      const recs: Recommendation[] = [];
      const kvDtype = cfg(config, 'kv_cache_dtype');
      if (kvDtype === null || kvDtype === 'auto' || kvDtype === 'bfloat16' || kvDtype === 'float16') {
        recs.push({
          setting: 'kv_cache_dtype', from: kvDtype, to: 'fp8',
          because: `attention takes ${pct(w.v)} of GPU time on ${d.label}; decode attention is bound by reading the KV cache, and fp8 halves the bytes read`,
          risk: 'small accuracy change; check the model on your evals', confidence: 'medium', findings: ['ATTENTION_BOUND'],
        });
      }
      const attn = d.categories.find((c) => c.category === 'attention')!;
      const topName = attn.top[0]?.name ?? '';
      if (/paged_attention|unified_attention|_fwd_kernel\b/.test(topName)) {
        recs.push({
          setting: 'attention_backend', from: null, to: 'FLASH_ATTN',
          because: `the top attention kernel is ${topName.slice(0, 60)} (a generic paged/Triton kernel) at ${pct(w.v)} of GPU time; FlashAttention/FlashInfer kernels are faster where the GPU supports them`,
          confidence: 'low', findings: ['ATTENTION_BOUND'],
        });
      }
      if (typeof maxSeqs === 'number' && maxSeqs > 8) {
        const to = Math.max(8, Math.round((maxSeqs * (1 - (w.v - ATTENTION_SHARE_WARN))) / 8) * 8);
        if (to < maxSeqs) {
          recs.push({
            setting: 'max_num_seqs', from: maxSeqs, to,
            because: `attention at ${pct(w.v)} of GPU time grows with the number of sequences per step; trimming max_num_seqs by the excess over ${pct(ATTENTION_SHARE_WARN)} shortens each decode step`,
            risk: 'lower peak throughput', confidence: 'low', findings: ['ATTENTION_BOUND'],
          });
        }
      }
      findings.push({
        code: 'ATTENTION_BOUND', title: 'Attention kernels dominate GPU time',
        severity: w.v >= ATTENTION_SHARE_CRIT ? 'critical' : 'warning',
        summary: `Attention takes ${pct(w.v)} of GPU time on ${d.label}.`,
        scope: scope(over),
        evidence: { attentionShare: w.v, attentionNs: attn.ns, topAttentionKernel: topName.slice(0, 120), kvCacheDtype: kvDtype === null ? null : String(kvDtype), thresholdShare: ATTENTION_SHARE_WARN },
        recommendations: recs, doc: DOC('ATTENTION_BOUND'),
      });
    }
  }

  // GEMM_BOUND
  {
    const g = (d: DeviceBreakdown): number => share(d, 'gemm') + share(d, 'moe_gemm');
    const w = worst(active, g)!;
    const over = active.filter((d) => g(d) >= GEMM_SHARE_WARN);
    if (over.length) {
      const d = w.d;
      const recs: Recommendation[] = [];
      const quant = cfg(config, 'quantization');
      if (quant === null || quant === 'None' || quant === 'none') {
        recs.push({
          setting: 'quantization', from: quant, to: 'fp8',
          because: `GEMMs take ${pct(w.v)} of GPU time on ${d.label} (dense ${pct(share(d, 'gemm'))}, MoE ${pct(share(d, 'moe_gemm'))}); fp8 weights halve the bytes each GEMM reads and double tensor-core throughput on Hopper/Ada`,
          risk: 'needs an fp8-capable GPU; check accuracy', confidence: 'medium', findings: ['GEMM_BOUND'],
        });
      }
      if (typeof maxSeqs === 'number' && maxSeqs < 512) {
        recs.push({
          setting: 'max_num_seqs', from: maxSeqs, to: Math.min(1024, maxSeqs * 2),
          because: `GEMM-bound at ${pct(w.v)}: small decode batches read all weights for few tokens; a larger batch amortises each weight read (if KV-cache memory allows)`,
          risk: 'more KV-cache memory and higher per-token latency', confidence: 'low', findings: ['GEMM_BOUND'],
        });
      }
      findings.push({
        code: 'GEMM_BOUND', title: 'Matrix multiplications dominate GPU time',
        severity: w.v >= GEMM_SHARE_CRIT ? 'critical' : 'warning',
        summary: `GEMMs take ${pct(w.v)} of GPU time on ${d.label} (dense ${pct(share(d, 'gemm'))}, MoE grouped ${pct(share(d, 'moe_gemm'))}).`,
        scope: scope(over),
        evidence: { gemmShare: w.v, denseGemmShare: share(d, 'gemm'), moeGemmShare: share(d, 'moe_gemm'), quantization: quant === null ? null : String(quant), thresholdShare: GEMM_SHARE_WARN },
        recommendations: recs, doc: DOC('GEMM_BOUND'),
      });
    }
  }
  return { findings, notEvaluated };
}
