// Sentences about findings, one formatter per code: the report layer turns a finding's codes and
// numbers into words (diagnoses never write sentences). `summary` is the one line of the verdict;
// `columns` are the per-episode numbers shown in each finding's episode table.

import type { Episode, Finding } from '../model/result.js';
import type { FindingCode } from '../model/vocabulary.js';
import { duration, int, num, pct, time } from './format.js';
import { code, codeCell, mdText } from './escape.js';
import { LIMIT_NAME } from './capacity-text.js';

type Ev = Finding['evidence'];
const n = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
const s = (x: unknown): string => (x === null || x === undefined ? '' : String(x));

/** "from 10:15:00Z for 32 min" for one episode; "in 3 episodes (longest 32 min, from …)" for several. */
export function when(f: Pick<Finding, 'episodes'>): string {
  const eps = f.episodes;
  if (!eps.length) return 'over the window';
  const longest = eps.reduce((b, e) => (e.durationSeconds > b.durationSeconds ? e : b), eps[0]);
  if (eps.length === 1) return `from ${time(longest.startSeconds)} for ${duration(longest.durationSeconds)}`;
  return `in ${eps.length} episodes (longest ${duration(longest.durationSeconds)}, from ${time(longest.startSeconds)})`;
}

/** A date (UTC) of a Unix time, `–` when unknown. */
const day = (x: number | null) => (x === null ? '–' : time(x).slice(0, 10));

const LATENCY_NAME: Record<string, string> = { ttft: 'TTFT', tbt: 'time between tokens', e2e: 'end-to-end latency' };

/** The profile's CUDA graph use, in words (the device is the finding's scope, shown beside it). */
const CUDA_GRAPHS: Record<string, string> = { used: 'CUDA graphs are used', 'not-seen': 'no CUDA graph launches seen', unknown: 'CUDA graph use unknown' };

/** The one-line summary of a finding (Markdown, escaped). */
export const FINDING_SUMMARY = {
  CONFIG_DRIFT: (f) =>
    `${mdText(s(f.evidence.replicas))} ${f.evidence.replicas && String(f.evidence.replicas).includes(',') ? 'run' : 'runs'} ${mdText(s(f.evidence.model))} with ${f.evidence.changedInWindow ? 'settings that changed inside the window' : 'settings that differ from its peers'}: ${mdText(s(f.evidence.settings))}${s(f.evidence.peerReplicas) ? ` (peers: ${mdText(s(f.evidence.peerReplicas))})` : ''}${f.evidence.replicasToRestore ? `; it explains ${mdText(s(f.evidence.explains))}: restore the peers' settings on ${mdText(s(f.evidence.replicasToRestore))}` : ''}.`,
  KV_CACHE_THRASHING: (f) => {
    const e = f.evidence;
    return `KV usage averaged ${pct(n(e.kvMeanRatio))} and ${int(n(e.preemptions))} requests were preempted (${pct(n(e.preemptionsPerRequest))} of finished requests) ${when(f)}; the pool holds ${int(n(e.poolTokens))} tokens, about ${int(n(e.sequencesThatFit))} sequences of ${int(n(e.tokensPerSequence))} tokens${n(e.maxNumSeqs) !== null ? `, while max_num_seqs admits ${int(n(e.maxNumSeqs))}` : ''}.`;
  },
  PREFILL_STARVATION: (f) => {
    const e = f.evidence;
    return `TTFT p95 ${duration(n(e.ttftP95Seconds))} against a ${duration(n(e.ttftTargetSeconds))} target while time between tokens stayed at ${duration(n(e.tbtP95Seconds))} (target ${duration(n(e.tbtTargetSeconds))}), up to ${int(n(e.waitingMax))} requests waiting, ${when(f)}.`;
  },
  GPU_UNDERUTILIZED: (f) => {
    const e = f.evidence;
    if (e.kind === 'demand-bound') return `demand-bound: no queue and KV usage averaged ${pct(n(e.kvMeanRatio))}${n(e.gpuUtilMeanPercent) !== null ? `, GPU utilisation ${num(n(e.gpuUtilMeanPercent))}%` : ''} at ${num(n(e.requestsPerSecondMean))} requests/s: more capacity than the traffic needs.`;
    const source: Record<string, string> = { read: 'max_num_seqs', inferred: 'the inferred running cap', 'observed-max': 'the most running requests seen' };
    return `config-bound: the running batch sat at its cap of ${int(n(e.capRequests))} (${mdText(source[s(e.capSource)] ?? s(e.capSource))}) with requests waiting while KV usage averaged only ${pct(n(e.kvMeanRatio))}, ${when(f)}.`;
  },
  MEMORY_LEAK: (f) => {
    const e = f.evidence;
    return `${mdText(s(e.metric))} grew by ${int(n(e.growthMiB))} MiB (${pct(n(e.relativeGrowthRatio))}) at ${num(n(e.slopeMiBPerHour))} MiB/h, a steady trend (Mann–Kendall p ${num(n(e.mannKendallP), 2)}) while the request rate stayed flat.`;
  },
  PREFIX_CACHE_MISSES: (f) => `only ${pct(n(f.evidence.hitRatio))} of ${int(n(f.evidence.queriedTokens))} looked-up prompt tokens were found in the prefix cache${f.evidence.prefixCachingEnabled === 'unknown' ? ' (whether caching is on is unknown)' : ''}.`,
  QUEUE_BUILDUP: (f) => {
    const e = f.evidence;
    const gap = n(e.arrivalsPerSecond) !== null && n(e.finishedPerSecond) !== null ? `; requests arrived at ${num(n(e.arrivalsPerSecond))}/s and finished at ${num(n(e.finishedPerSecond))}/s` : '';
    return `requests waited (mean ${num(n(e.waitingMean))}, peak ${int(n(e.waitingMax))}) ${when(f)}${gap}.`;
  },
  KV_SWAPPING: (f) => `up to ${int(n(f.evidence.swappedMax))} requests were swapped to CPU memory ${when(f)}; swapping stalls the engine while blocks move over PCIe.`,
  LATENCY_SLO_BREACH: (f) => {
    const e = f.evidence;
    const parts = (['ttft', 'tbt', 'e2e'] as const)
      .filter((k) => n(e[`${k}P95Seconds`]) !== null && n(e[`${k}TargetSeconds`]) !== null && (n(e[`${k}P95Seconds`]) as number) > (n(e[`${k}TargetSeconds`]) as number))
      .map((k) => `${LATENCY_NAME[k]} p95 ${duration(n(e[`${k}P95Seconds`]))} vs ${duration(n(e[`${k}TargetSeconds`]))}`);
    return `${parts.join('; ') || 'p95 over target'} ${when(f)}${n(e.windowsOverTargetRatio) !== null ? ` (${pct(n(e.windowsOverTargetRatio))} of 5-minute windows over target)` : ''}${e.e2eOnly ? '; TTFT and time between tokens met their targets, so the requests were long rather than the server slow' : ''}.`;
  },
  THROUGHPUT_DROP: (f) => `output tokens/s fell ${pct(n(f.evidence.dropRatio))} (from ${num(n(f.evidence.baselineTokensPerSecond))} to ${num(n(f.evidence.duringTokensPerSecond))}) while requests waited, ${when(f)}.`,
  OOM_RISK: (f) => {
    const e = f.evidence;
    const parts = [n(e.fbUsedMaxRatio) !== null ? `GPU memory peaked at ${pct(n(e.fbUsedMaxRatio))} used` : '', n(e.gpuMemoryUtilization) !== null ? `gpu_memory_utilization is ${num(n(e.gpuMemoryUtilization))}` : ''].filter(Boolean);
    return `${parts.join(' and ')}: an allocation outside the KV pool can fail with CUDA out-of-memory.`;
  },
  REPLICA_RESTART: (f) => `the process restarted ${int(n(f.evidence.restarts))} time${n(f.evidence.restarts) === 1 ? '' : 's'}${n(f.evidence.firstRestartSeconds) !== null ? `, first at ${time(n(f.evidence.firstRestartSeconds)!)}` : ''}; counters count from zero again after it.`,
  REPLICA_SLOWDOWN: (f) => {
    const e = f.evidence;
    return `median time between tokens ${duration(n(e.itlMedianSeconds))}, ${num(n(e.ratioToPeers))}× its peers' ${duration(n(e.peersItlMedianSeconds))} at the same time, with the same configuration and a comparable batch (${num(n(e.runningRatioToPeers))}× the peers' running requests), ${when(f)}${n(e.smClockMedianMHz) !== null ? `; SM clock ${int(n(e.smClockMedianMHz))} MHz vs peers ${int(n(e.peersSmClockMedianMHz))} MHz` : ''}.`;
  },
  UNEXPLAINED_ANOMALY: (f) => {
    const e = f.evidence;
    return `${code(s(e.metric))} rose to ${num(n(e.peakValue))}${n(e.ratioToBaseline) !== null ? `, ${num(n(e.ratioToBaseline))}× its baseline of ${num(n(e.baselineValue))}` : ''}, ${when(f)}, and no other check explains it.`;
  },
  TRUNCATION_RISE: (f) => {
    const e = f.evidence;
    const recent = e.kind === 'recent';
    const head = `${pct(n(e.truncatedRatio))} of ${int(n(e.finished))} finished requests ended at their length limit (finished_reason "length": max_tokens or max_model_len reached), against ${pct(n(e.baselineRatio))} ${recent ? 'earlier in the window' : 'before'}, ${recent ? `since ${time(f.episodes[0]?.startSeconds ?? 0)}` : when(f)}`;
    return `${head}${TRUNCATION_CAUSE[s(e.likelyCause)]?.(e) ?? ''}.`;
  },
  ABORT_RISE: (f) => {
    const e = f.evidence;
    const recent = e.kind === 'recent';
    const parts = [n(e.aborted) !== null ? `${int(n(e.aborted))} aborted` : '', n(e.errored) !== null && e.errorSeries ? `${int(n(e.errored))} failed` : ''].filter(Boolean);
    const slow = n(e.waitingMean) !== null || n(e.ttftP95Seconds) !== null ? `; meanwhile ${n(e.waitingMean) !== null ? `${num(n(e.waitingMean))} requests waited on average` : ''}${n(e.waitingMean) !== null && n(e.ttftP95Seconds) !== null ? ' and ' : ''}${n(e.ttftP95Seconds) !== null ? `TTFT p95 was ${duration(n(e.ttftP95Seconds))}` : ''}` : '';
    return `${pct(n(e.abortedRatio))} of ${int(n(e.finished))} finished requests ended without an answer${parts.length ? ` (${parts.join(', ')})` : ''}, against ${pct(n(e.baselineRatio))} ${recent ? 'earlier in the window' : 'before'}, ${recent ? `since ${time(f.episodes[0]?.startSeconds ?? 0)}` : when(f)}${slow}.`;
  },
  LENGTH_DRIFT: (f) => {
    const e = f.evidence;
    const d = s(e.dimension);
    const part = (name: string, psiKey: string, before: string, during: string) => `the ${name}-length distribution moved (PSI ${num(n(e[psiKey]), 2)}; mean ${int(n(e[before]))} → ${int(n(e[during]))} tokens)`;
    const parts = [d !== 'output' ? part('prompt', 'promptPsi', 'promptMeanBefore', 'promptMeanDuring') : '', d !== 'prompt' ? part('output', 'outputPsi', 'outputMeanBefore', 'outputMeanDuring') : ''].filter(Boolean);
    return `${parts.join(' and ')} ${e.kind === 'recent' ? `in the recent stretch (since ${time(f.episodes[0]?.startSeconds ?? 0)}) against the rest of the window` : when(f)}, with no incident on this replica to explain it${d !== 'output' ? '; capacity numbers computed on the old prompts (sequences that fit the KV pool) no longer hold' : ''}.`;
  },
  CAPACITY_HEADROOM_LOW: (f) => {
    const e = f.evidence;
    const limit = LIMIT_NAME[s(e.limitedBy)] ?? 'its first limit';
    if (e.reason === 'projected') {
      return `the daily peak grows ${pct(n(e.growthPerDayRatio), 1)} a day (95% interval ${pct(n(e.growthPerDayLowRatio), 1)} to ${pct(n(e.growthPerDayHighRatio), 1)}) and reaches the ${num(n(e.groupCapacityRequestsPerSecond))} requests/s its ${int(n(e.replicas))} replica${n(e.replicas) === 1 ? '' : 's'} serve at the latency targets (limited by ${limit}) around ${day(n(e.saturationSeconds))} (between ${day(n(e.earliestSeconds))} and ${e.latestSeconds === null ? 'later than a year' : day(n(e.latestSeconds))}), ${num(n(e.daysAfterWindow))} days after the window; the peak in ${int(n(e.horizonDays))} days needs ${int(n(e.replicasNeededAtHorizon))}${n(e.replicasNeededAtHorizonHigh) !== n(e.replicasNeededAtHorizon) ? `–${int(n(e.replicasNeededAtHorizonHigh))}` : ''} replicas (capacity model confidence ${mdText(s(e.confidence))}).`;
    }
    return `the busiest hour (${num(n(e.peakPerReplicaRequestsPerSecond))} requests/s per replica) leaves ${pct(n(e.headroomRatio))} headroom to the ${num(n(e.capacityPerReplicaRequestsPerSecond))} requests/s per replica the latency targets allow (limited by ${limit}; capacity model confidence ${mdText(s(e.confidence))}).`;
  },
  OVERPROVISIONED: (f) => {
    const e = f.evidence;
    const need = n(e.replicasNeededInHorizon);
    return `${int(n(e.replicasPresent))} replicas served a busiest hour of ${num(n(e.peakRequestsPerSecond))} requests/s, ${pct(n(e.peakUtilizationRatio))} of what they serve at the latency targets (${num(n(e.capacityPerReplicaRequestsPerSecond))} requests/s each); ${int(need)} replica${need === 1 ? '' : 's'} would serve it and the projected peak of the next ${int(n(e.horizonDays))} days, freeing ${int(n(e.replicasToFree))} replica${n(e.replicasToFree) === 1 ? '' : 's'} (${int(n(e.gpuHoursFreedPerWeek))} GPU-hours a week${n(e.usdPerWeek) !== null ? `, $${num(n(e.usdPerWeek))} a week` : ''}).`;
  },
  COMMUNICATION_BOUND: (f) => `communication kernels take ${pct(n(f.evidence.exposedCommShare))} of GPU time on ${mdText(s(f.evidence.device))}${n(f.evidence.overlapShareOfComm) !== null ? ` after removing the ${pct(n(f.evidence.overlapShareOfComm))} hidden behind compute` : ''}${n(f.evidence.tensorParallelSize) !== null ? ` at tensor_parallel_size ${int(n(f.evidence.tensorParallelSize))}` : ''}${n(f.evidence.kvP95MaxRatio) !== null ? `; in the metrics, KV usage p95 was at most ${pct(n(f.evidence.kvP95MaxRatio))} on every replica` : ''}.`,
  GPU_IDLE_GAPS: (f) => `the GPU is idle ${pct(n(f.evidence.idleShare))} of the profiled span${f.evidence.idleSource === 'wall-seconds' ? ' (from --wall-seconds)' : ''}${n(f.evidence.gapCount) !== null ? ` in ${int(n(f.evidence.gapCount))} gaps (median ${duration((n(f.evidence.gapP50Ns) ?? 0) / 1e9)})` : ''}; ${CUDA_GRAPHS[s(f.evidence.cudaGraphs)] ?? `CUDA graphs: ${mdText(s(f.evidence.cudaGraphs))}`}${f.evidence.enforceEager === 'true' ? '; the configuration runs with enforce_eager' : ''}${n(f.evidence.gpuUtilMeanPercent) !== null ? `; DCGM utilisation of the replicas averaged ${num(n(f.evidence.gpuUtilMeanPercent))}%` : ''}.`,
  ATTENTION_BOUND: (f) => `attention takes ${pct(n(f.evidence.attentionShare))} of GPU time (top kernel ${code(s(f.evidence.topAttentionKernel).slice(0, 80))})${f.evidence.kvPressureReplicas ? `; in the metrics, the KV pool also ran near full on ${mdText(s(f.evidence.kvPressureReplicas))} (KV mean ${pct(n(f.evidence.kvMeanRatio))})` : ''}.`,
  GEMM_BOUND: (f) => `GEMMs take ${pct(n(f.evidence.gemmShare))} of GPU time (dense ${pct(n(f.evidence.denseGemmShare))}, MoE grouped ${pct(n(f.evidence.moeGemmShare))})${!f.evidence.capReachedReplicas ? '' : n(f.evidence.capRequests) !== null ? `; in the metrics, the running batch sat at its cap of ${int(n(f.evidence.capRequests))} on ${mdText(s(f.evidence.capReachedReplicas))} with KV at ${pct(n(f.evidence.kvMeanRatio))}: small batches read every weight for few tokens` : `; in the metrics, the running batch sat at its cap with KV room on ${mdText(s(f.evidence.capReachedReplicas))} (each one's cap and KV usage under its recommendation): small batches read every weight for few tokens`}.`,
} satisfies Record<FindingCode, (f: Finding) => string>;

/** What moved with a truncation rise (TRUNCATION_RISE's likelyCause). */
const TRUNCATION_CAUSE: Record<string, (e: Ev) => string> = {
  'max-tokens-lowered': (e) => `; clients sent smaller max_tokens (mean ${int(n(e.maxTokensMeanBefore))} → ${int(n(e.maxTokensMeanDuring))})`,
  'max-model-len-lowered': (e) => `; max_model_len went from ${int(n(e.maxModelLenBefore))} to ${int(n(e.maxModelLenDuring))}, so prompt + answer hit the limit sooner`,
  'context-limit': (e) => `; prompts grew into max_model_len (${int(n(e.maxModelLenDuring))}): ${pct(n(e.nearLimitBeforeRatio))} → ${pct(n(e.nearLimitDuringRatio))} of prompts left less room than the mean max_tokens`,
  'longer-outputs': (e) => `; answers grew longer at the same limits (mean ${int(n(e.outputMeanBefore))} → ${int(n(e.outputMeanDuring))} tokens): a model, template or sampling change`,
};

export interface Column {
  label: string;
  cell: (e: Episode) => string;
}

const col = (label: string, key: string, fmt: (x: number | null) => string): Column => ({ label, cell: (e) => fmt(n(e.numbers[key])) });
const dur = (x: number | null) => duration(x);
const p = (x: number | null) => pct(x);
const i = (x: number | null) => int(x);
const nu = (x: number | null) => num(x);

/** The numbers shown per episode in each finding's table (besides start, end and duration). */
export const EPISODE_COLUMNS = {
  CONFIG_DRIFT: [
    { label: 'replica', cell: (e) => mdText(s(e.numbers.replica)) },
    { label: 'setting', cell: (e) => codeCell(s(e.numbers.setting)) },
    { label: 'value here', cell: (e) => `${codeCell(s(e.numbers.value))}${e.numbers.inferred ? ' (inferred)' : ''}` },
    { label: 'peers / before', cell: (e) => codeCell(s(e.numbers.peersValue)) },
  ],
  KV_CACHE_THRASHING: [col('KV mean', 'kvMeanRatio', p), col('preemptions', 'preemptions', i), col('per request', 'preemptionsPerRequest', p), col('TTFT p95', 'ttftP95Seconds', dur), col('tokens/sequence', 'tokensPerSequence', i), col('sequences that fit', 'sequencesThatFit', i)],
  PREFILL_STARVATION: [col('TTFT p95', 'ttftP95Seconds', dur), col('TBT p95', 'tbtP95Seconds', dur), col('waiting max', 'waitingMax', i), col('prompt p95 (tokens)', 'promptP95Tokens', i)],
  GPU_UNDERUTILIZED: [col('running mean', 'runningMean', nu), col('cap', 'capRequests', i), col('KV mean', 'kvMeanRatio', p), col('waiting max', 'waitingMax', i), col('sequences that fit', 'sequencesThatFit', i)],
  MEMORY_LEAK: [col('growth (MiB)', 'growthMiB', i), col('MiB/h', 'slopeMiBPerHour', nu)],
  PREFIX_CACHE_MISSES: [col('hit rate', 'hitRatio', p), col('queried tokens', 'queriedTokens', i)],
  QUEUE_BUILDUP: [col('waiting mean', 'waitingMean', nu), col('waiting max', 'waitingMax', i), col('arrivals/s', 'arrivalsPerSecond', nu), col('finished/s', 'finishedPerSecond', nu), col('TTFT p95', 'ttftP95Seconds', dur)],
  KV_SWAPPING: [col('swapped max', 'swappedMax', i)],
  LATENCY_SLO_BREACH: [col('TTFT p95', 'ttftP95Seconds', dur), col('TBT p95', 'tbtP95Seconds', dur), col('E2E p95', 'e2eP95Seconds', dur), col('worst × target', 'worstRatioToTarget', nu)],
  THROUGHPUT_DROP: [col('drop', 'dropRatio', p), col('before (tok/s)', 'baselineTokensPerSecond', nu), col('during (tok/s)', 'duringTokensPerSecond', nu), col('waiting mean', 'waitingMeanDuringDrop', nu)],
  OOM_RISK: [col('framebuffer used max', 'fbUsedMaxRatio', p), col('gpu_memory_utilization', 'gpuMemoryUtilization', nu)],
  REPLICA_RESTART: [{ label: 'process start', cell: (e) => (n(e.numbers.processStartSeconds) !== null ? time(n(e.numbers.processStartSeconds)!) : '–') }],
  REPLICA_SLOWDOWN: [col('× peers', 'ratioToPeers', nu), col('ITL median', 'itlMedianSeconds', dur), col('peers ITL median', 'peersItlMedianSeconds', dur), col('running × peers', 'runningRatioToPeers', nu), col('SM clock (MHz)', 'smClockMedianMHz', i)],
  UNEXPLAINED_ANOMALY: [{ label: 'metric', cell: (e) => codeCell(s(e.numbers.metric)) }, col('peak', 'peakValue', nu), col('baseline', 'baselineValue', nu), col('× baseline', 'ratioToBaseline', nu)],
  TRUNCATION_RISE: [
    col('cut at length', 'truncatedRatio', p),
    col('baseline', 'baselineRatio', p),
    col('finished', 'finished', i),
    col('max_tokens mean before', 'maxTokensMeanBefore', i),
    col('during', 'maxTokensMeanDuring', i),
    col('output mean before', 'outputMeanBefore', i),
    col('during', 'outputMeanDuring', i),
    { label: 'likely cause', cell: (e) => mdText(s(e.numbers.likelyCause)) },
  ],
  ABORT_RISE: [col('aborted or failed', 'abortedRatio', p), col('baseline', 'baselineRatio', p), col('aborted', 'aborted', i), col('failed', 'errored', i), col('waiting mean', 'waitingMean', nu), col('TTFT p95', 'ttftP95Seconds', dur)],
  LENGTH_DRIFT: [
    { label: 'moved', cell: (e) => mdText(s(e.numbers.dimension)) },
    col('prompt PSI', 'promptPsi', nu),
    col('prompt mean before', 'promptMeanBefore', i),
    col('during', 'promptMeanDuring', i),
    col('output PSI', 'outputPsi', nu),
    col('output mean before', 'outputMeanBefore', i),
    col('during', 'outputMeanDuring', i),
  ],
  CAPACITY_HEADROOM_LOW: [col('requests/s', 'requestsPerSecond', nu), col('per replica', 'perReplicaRequestsPerSecond', nu), col('headroom', 'headroomRatio', p)],
  OVERPROVISIONED: [col('replicas', 'replicasPresent', i), col('needed in 4 weeks', 'replicasNeededInHorizon', i), col('peak ÷ capacity', 'peakUtilizationRatio', p)],
  COMMUNICATION_BOUND: [],
  GPU_IDLE_GAPS: [],
  ATTENTION_BOUND: [],
  GEMM_BOUND: [],
} satisfies Record<FindingCode, Column[]>;
