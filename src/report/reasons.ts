// Why a recommended value: one formatter per reason kind, showing the arithmetic with the replica's own
// numbers, the expected effect and the risk. Diagnoses compute; this only writes.

import type { Recommendation } from '../model/result.js';
import type { ReasonKind } from '../model/reasons.js';
import { duration, int, num, pct, time } from './format.js';
import { code, mdText } from './escape.js';

const n = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const s = (x: unknown): string => (x === null || x === undefined ? '' : String(x));

export interface ReasonText {
  because: string;
  effect: string;
  risk: string;
}

function pool(x: Recommendation['reason']['numbers']): string {
  const b = n(x.numGpuBlocks);
  const size = n(x.blockSize);
  return b !== null && size !== null ? `${int(b)} blocks × ${int(size)} tokens = ${int(n(x.poolTokens))} tokens` : `${int(n(x.poolTokens))} tokens`;
}

export const REASON_TEXT = {
  'kv-fit': (r) => {
    const x = r.reason.numbers;
    return {
      because: `the KV pool ${n(x.memoryRaisedTo) !== null ? `at gpu_memory_utilization ${num(n(x.memoryRaisedTo))} holds ≈ ${int(n(x.poolTokens))} tokens (see that setting)` : `holds ${pool(x)}`}; a request of the episode ${n(x.episodeStartSeconds) !== null ? `from ${time(n(x.episodeStartSeconds)!)} ` : ''}holds ${int(n(x.promptMeanTokens))} prompt + ${int(n(x.outputMeanTokens))} output = ${int(n(x.tokensPerSequence))} tokens at its end; ⌊0.9 × ${int(n(x.poolTokens))} ÷ ${int(n(x.tokensPerSequence))}⌋ = ${int(n(x.result))} such requests fit with 10% headroom`,
      effect: 'preemptions stop: each admitted request keeps its blocks to the end, so no prefill is recomputed',
      risk: 'fewer concurrent requests; if traffic grows longer, re-size (the queue absorbs the rest)',
    };
  },
  'kv-fit-raise': (r) => {
    const x = r.reason.numbers;
    return {
      because: `${n(x.gemmShare) !== null ? `GEMMs take ${pct(n(x.gemmShare))} of GPU time in the profile and ` : ''}the batch sat at its cap of ${int(n(x.capRequests))} with KV usage at ${pct(n(x.kvMeanRatio))}; the pool (${pool(x)}) holds ⌊0.9 × ${int(n(x.poolTokens))} ÷ ${int(n(x.tokensPerSequence))}⌋ = ${int(n(x.sequencesThatFit))} requests of ${int(n(x.tokensPerSequence))} tokens (${int(n(x.promptMeanTokens))} prompt + ${int(n(x.outputMeanTokens))} output)${n(x.result) !== null && n(x.result) !== n(x.sequencesThatFit) ? `, capped at ${int(n(x.result))} (vLLM's largest default)` : ''}`,
      effect: 'larger decode batches: more tokens/s per GPU and a shorter queue',
      risk: 'longer steps raise time between tokens a little; preemptions if the request mix grows longer',
    };
  },
  'restore-peers': (r) => {
    const x = r.reason.numbers;
    return {
      because: `${code(r.setting)} is ${code(s(x.value))} here and ${code(s(x.peersValue))} on the peers (${mdText(s(x.peerReplicas))}), which do not show ${code(s(x.finding))} at the same time`,
      effect: `this replica behaves like its peers again`,
      risk: `if the different value was intended (a shared GPU, a test), keep it and apply the alternatives instead`,
    };
  },
  'memory-fraction-raise': (r) => {
    const x = r.reason.numbers;
    const from = n(x.currentRatio);
    const to = n(x.toRatio);
    const kv = n(x.kvCacheGiB);
    const gpu = n(x.gpuMemoryGiB);
    const after = n(x.poolAfterTokens);
    const growth =
      after === null
        ? ''
        : n(x.poolAfterIsLowerBound) === 0 && kv !== null && gpu !== null
          ? `; weights and activations take the same memory at any fraction, so the KV cache grows from ${num(kv)} GiB by (${num(to)} − ${num(from)}) × ${num(gpu)} GiB = ${num(n(x.extraGiB))} GiB: the pool becomes ≈ ${int(n(x.poolTokens))} × ${num(kv + (n(x.extraGiB) ?? 0))} ÷ ${num(kv)} = ${int(after)} tokens`
          : `; weights and activations take the same memory at any fraction, so the pool grows by at least ${num(to)} ÷ ${num(from)}: ≥ ${int(after)} tokens`;
    const fits = n(x.sequencesThatFitAfter) !== null ? `, ${n(x.poolAfterIsLowerBound) === 1 ? '≥ ' : ''}⌊0.9 × ${int(after)} ÷ ${int(n(x.tokensPerSequence))}⌋ = ${int(n(x.sequencesThatFitAfter))} requests of ${int(n(x.tokensPerSequence))} tokens` : '';
    const free = n(x.freeMinGiB) !== null && n(x.extraGiB) !== null ? `. The GPU never had less than ${num(n(x.freeMinGiB))} GiB free in the window, ${n(x.freeMinGiB)! >= n(x.extraGiB)! ? 'enough for' : 'less than'} the ${num(n(x.extraGiB))} GiB this takes` : '';
    return {
      because: `at ${num(from)} vLLM's KV pool is ${int(n(x.poolTokens))} tokens${growth}${fits}${free}`,
      effect: 'a larger KV pool: fewer preemptions without cutting concurrency',
      risk: n(x.freeMinGiB) !== null && n(x.extraGiB) !== null && n(x.freeMinGiB)! >= n(x.extraGiB)! ? 'memory another process starts using later (a co-located model, MIG reconfiguration) is no longer there' : 'only if nothing else uses the GPU memory (other processes, MIG, a co-located model): check before pasting',
    };
  },
  'memory-fraction-lower': (r) => {
    const x = r.reason.numbers;
    return {
      because: `${num(n(x.currentRatio))} leaves ${pct(1 - (n(x.currentRatio) ?? 1))} of GPU memory for CUDA graphs, NCCL buffers, the sampler and fragmentation${n(x.fbUsedMaxRatio) !== null ? `; the framebuffer peaked at ${pct(n(x.fbUsedMaxRatio))} used` : ''}`,
      effect: 'room for allocation spikes outside the KV pool',
      risk: `a KV pool at most ${pct(n(x.poolShrinkAtMostRatio))} smaller`,
    };
  },
  'kv-fp8': (r) => {
    const x = r.reason.numbers;
    return {
      because: n(x.poolTokens) !== null
        ? `fp8 KV holds a token in half the bytes of a 16-bit cache: the pool grows from ${int(n(x.poolTokens))} to about ${int(n(x.poolAfterTokens))} tokens, ${int(n(x.sequencesThatFitAfter))} requests of ${int(n(x.tokensPerSequence))} tokens`
        : `attention takes ${pct(n(x.attentionShare))} of GPU time in the profile${n(x.kvMeanRatio) !== null ? ` and the KV pool averaged ${pct(n(x.kvMeanRatio))} in the metrics` : ''}; decode attention is bound by reading the KV cache, and fp8 halves both the bytes read and the bytes held`,
      effect: 'about twice the KV capacity (and less KV traffic per step)',
      risk: 'needs a GPU with fp8 support (Hopper, Ada, MI300) and an accuracy check on your evals',
    };
  },
  'budget-raise': (r) => {
    const x = r.reason.numbers;
    return {
      because: `time between tokens p95 was ${duration(n(x.tbtP95Seconds))} against a ${duration(n(x.tbtTargetSeconds))} target: ${num(n(x.headroomRatio))}× headroom per step; ${x.currentIsLowerBound ? 'at least ' : ''}${int(n(x.currentTokens))} × ${num(n(x.headroomRatio))}${n(x.promptP95Tokens) !== null ? `, capped at the p95 prompt of ${int(n(x.promptP95Tokens))} tokens (a larger budget adds nothing once a whole prompt fits one step)` : ''}, rounded to 256 = ${int(n(x.result))}`,
      effect: 'queued prefills start sooner; TTFT falls while TBT stays under target',
      risk: 'longer steps: check TBT after the change',
    };
  },
  'budget-lower': (r) => {
    const x = r.reason.numbers;
    return {
      because: `time between tokens p95 was ${duration(n(x.tbtP95Seconds))} against a ${duration(n(x.tbtTargetSeconds))} target: steps carrying ${int(n(x.currentTokens))} tokens stall every running decode; ${int(n(x.currentTokens))} × ${num(n(x.headroomRatio))} (at most halved), rounded to 256 = ${int(n(x.result))}`,
      effect: 'shorter steps: decodes keep their pace while long prompts prefill over more steps',
      risk: 'long prompts take more steps to prefill: their own TTFT grows',
    };
  },
  'chunked-prefill-on': (r) => ({
    because: `chunked prefill is off: a long prompt (p95 ${int(n(r.reason.numbers.promptP95Tokens))} tokens) is prefilled in one step while every decode waits`,
    effect: 'long prompts split across steps; decodes and other prefills share each step',
    risk: 'none in the V1 engine, where it is always on',
  }),
  'prefix-caching-on': () => ({ because: 'prompts share prefixes but caching is off', effect: 'shared prefixes are computed once', risk: 'a little memory for the hash table' }),
  'cuda-graphs-on': (r) => {
    const x = r.reason.numbers;
    return {
      because: `the GPU is idle ${pct(n(x.idleShare))} of the span${n(x.shortKernelShare) !== null ? ` and ${pct(n(x.shortKernelShare))} of kernels are shorter than ${duration((n(x.shortKernelThresholdNs) ?? 0) / 1e9)}` : ''}; CUDA graphs (${mdText(s(x.cudaGraphs))} in the profile) replay a step's kernels with one launch`,
      effect: 'fewer launch gaps: higher GPU utilisation at the same batch',
      risk: 'more memory for graph capture; longer start-up',
    };
  },
  'tp-lower': (r) => {
    const x = r.reason.numbers;
    return {
      because: `collectives take ${pct(n(x.exposedCommShare))} of GPU time at TP=${int(n(x.tensorParallelSize))}${n(x.kvP95MaxRatio) !== null ? ` while KV usage p95 stayed at or below ${pct(n(x.kvP95MaxRatio))} on every replica` : ''}; TP=${int(n(x.result))} halves the all-reduce participants (run the freed GPUs as more replicas)`,
      effect: 'less communication per token, more replicas',
      risk: 'the model and its KV cache must fit on fewer GPUs',
    };
  },
} satisfies Record<ReasonKind, (r: Recommendation) => ReasonText>;

/** The current value in words: read, inferred (with the bound), or unknown. */
export function currentText(r: Recommendation): string {
  const c = r.current;
  if (c.value === null) return 'unknown';
  const v = code(String(c.value));
  if (c.source === 'inferred') return c.bound === 'lower' ? `≥ ${v} (inferred)` : `${v} (inferred)`;
  return v;
}

/** "set to X" / "if your current value is above X, lower it to X". */
export function changeText(r: Recommendation): string {
  const to = code(String(r.to));
  const flag = code(`--${r.setting.replace(/_/g, '-')}`);
  if (r.relation === 'at-most') return `${flag}: if your current value is above ${to}, lower it to ${to} (current ${currentText(r)})`;
  if (r.relation === 'at-least') return `${flag}: if your current value is below ${to}, raise it to ${to} (current ${currentText(r)})`;
  return `${flag}: ${currentText(r)} → ${to}`;
}
