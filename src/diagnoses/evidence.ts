// What each finding reports, typed per code: `evidence` (the worst episode's numbers, or whole-window
// numbers for states like a leak) and the numbers of each episode. Units in the keys; null = unknown.
// Adding a code to model/vocabulary.ts fails to compile until it has an entry in both maps.

import type { FindingCode } from '../model/vocabulary.js';
import type { LengthDriftEpisode } from '../detectors/evidence.js';

type N = number | null;

export interface ThrashEpisode {
  kvMeanRatio: N;
  kvMaxRatio: N;
  preemptions: N;
  requestsFinished: N;
  preemptionsPerRequest: N;
  ttftP95Seconds: N;
  waitingMax: N;
  promptMeanTokens: N;
  outputMeanTokens: N;
  tokensPerSequence: N;
  poolTokens: N;
  /** Sequences of this episode's traffic the pool holds at full length with 10% headroom. */
  sequencesThatFit: N;
  maxNumSeqs: N;
}

export interface StarvationEpisode {
  ttftP95Seconds: N;
  ttftTargetSeconds: number;
  tbtP95Seconds: N;
  tbtTargetSeconds: number;
  waitingMax: N;
  promptMeanTokens: N;
  promptP95Tokens: N;
  maxNumBatchedTokens: N;
}

export interface ConfigBoundEpisode {
  runningMean: N;
  capRequests: N;
  kvMeanRatio: N;
  waitingMax: N;
  tbtP95Seconds: N;
  sequencesThatFit: N;
}

export interface QueueEpisode {
  waitingMean: N;
  waitingMax: N;
  finishedPerSecond: N;
  arrivalsPerSecond: N;
  ttftP95Seconds: N;
}

export interface SloEpisode {
  ttftP95Seconds: N;
  tbtP95Seconds: N;
  e2eP95Seconds: N;
  ttftTargetSeconds: number;
  tbtTargetSeconds: number;
  e2eTargetSeconds: number;
  /** Worst p95 over its target among the three. */
  worstRatioToTarget: N;
  /** Which of the three was worst: ttft, tbt or e2e. */
  worst: string;
}

export interface AnomalyEpisodeNumbers {
  metric: string;
  peakValue: N;
  baselineValue: N;
  ratioToBaseline: N;
  peakScore: N;
}

/** A rise of the share of requests cut at max_tokens: the share, its baseline, and what moved with it. */
export interface TruncationEpisode {
  truncatedRatio: N;
  baselineRatio: N;
  finished: N;
  truncated: N;
  /** The hour before the episode (or what the window has of it) vs the episode. */
  maxTokensMeanBefore: N;
  maxTokensMeanDuring: N;
  /** The replica's max_model_len (read, not inferred) before and during. */
  maxModelLenBefore: N;
  maxModelLenDuring: N;
  /** Share of prompts longer than max_model_len − the mean max_tokens: requests that cannot get their max_tokens. */
  nearLimitBeforeRatio: N;
  nearLimitDuringRatio: N;
  outputMeanBefore: N;
  outputMeanDuring: N;
  promptMeanBefore: N;
  promptMeanDuring: N;
  /** What the numbers point to: max-tokens-lowered, max-model-len-lowered, context-limit, longer-outputs or unknown. */
  likelyCause: string;
}

export interface AbortEpisode {
  /** Aborted or failed over finished. */
  abortedRatio: N;
  baselineRatio: N;
  finished: N;
  aborted: N;
  errored: N;
  waitingMean: N;
  ttftP95Seconds: N;
  e2eP95Seconds: N;
}

/** The length-drift detector's episode numbers, as the finding carries them. */
export type LengthDriftNumbers = LengthDriftEpisode;

/** A configuration group's capacity numbers shared by the two capacity findings (from Result.capacityReview). */
export interface CapacityNumbers {
  group: string;
  model: string | null;
  replicas: number;
  gpusPerReplica: number;
  /** The busiest hour of the window: the group's request rate, and per replica. */
  peakRequestsPerSecond: N;
  peakPerReplicaRequestsPerSecond: N;
  /** Per-replica capacity at the latency targets, and what limits it (docs/capacity.md). */
  capacityPerReplicaRequestsPerSecond: N;
  groupCapacityRequestsPerSecond: N;
  limitedBy: string | null;
  /** capacity ÷ peak − 1. */
  headroomRatio: N;
  confidence: string;
}

export interface HeadroomLowEvidence extends CapacityNumbers {
  /** `projected`: growth reaches the capacity within the horizon; `low-headroom`: under HEADROOM_MIN at the peak already. */
  reason: string;
  growthPerDayRatio: N;
  growthPerDayLowRatio: N;
  growthPerDayHighRatio: N;
  saturationSeconds: N;
  earliestSeconds: N;
  latestSeconds: N;
  daysAfterWindow: N;
  horizonDays: number;
  /** Replicas the projected peak needs at the end of the horizon (point and upper band). */
  replicasNeededAtHorizon: N;
  replicasNeededAtHorizonHigh: N;
}

export interface OverprovisionedEvidence extends CapacityNumbers {
  replicasPresent: number;
  replicasNeededAtPeak: number;
  replicasNeededInHorizon: number;
  replicasToFree: number;
  /** Per-replica capacity used for consolidation: the model's, capped at 3 × the busiest rate measured. */
  plannedCapacityPerReplicaRequestsPerSecond: N;
  /** Peak demand ÷ (capacity × replicas present). */
  peakUtilizationRatio: N;
  gpuHoursFreedPerWeek: number;
  horizonDays: number;
  /** Over the window, GPU-hours beyond what each hour needed. */
  idleGpuHoursHourly: N;
  windowHours: N;
  usdPerWeek: N;
}

export interface FindingEpisodeNumbers {
  CONFIG_DRIFT: { replica: string; setting: string; value: string; peersValue: string; inferred: boolean };
  KV_CACHE_THRASHING: ThrashEpisode;
  PREFILL_STARVATION: StarvationEpisode;
  GPU_UNDERUTILIZED: ConfigBoundEpisode | { kvMeanRatio: N; requestsPerSecondMean: N; gpuUtilMeanPercent: N };
  MEMORY_LEAK: { growthMiB: N; slopeMiBPerHour: N };
  PREFIX_CACHE_MISSES: { hitRatio: N; queriedTokens: N };
  QUEUE_BUILDUP: QueueEpisode;
  KV_SWAPPING: { swappedMax: N };
  LATENCY_SLO_BREACH: SloEpisode;
  THROUGHPUT_DROP: { dropRatio: number; baselineTokensPerSecond: number; duringTokensPerSecond: number; waitingMeanDuringDrop: N };
  OOM_RISK: { fbUsedMaxRatio: N; gpuMemoryUtilization: N };
  REPLICA_RESTART: { processStartSeconds: N };
  REPLICA_SLOWDOWN: { ratioToPeers: N; itlMedianSeconds: N; peersItlMedianSeconds: N; runningRatioToPeers: N; smClockMedianMHz: N; peersSmClockMedianMHz: N };
  UNEXPLAINED_ANOMALY: AnomalyEpisodeNumbers;
  TRUNCATION_RISE: TruncationEpisode;
  ABORT_RISE: AbortEpisode;
  LENGTH_DRIFT: LengthDriftNumbers;
  CAPACITY_HEADROOM_LOW: { requestsPerSecond: N; perReplicaRequestsPerSecond: N; headroomRatio: N };
  OVERPROVISIONED: { replicasPresent: number; replicasNeededInHorizon: number; peakUtilizationRatio: N };
  COMMUNICATION_BOUND: Record<string, never>;
  GPU_IDLE_GAPS: Record<string, never>;
  ATTENTION_BOUND: Record<string, never>;
  GEMM_BOUND: Record<string, never>;
}

export interface FindingEvidence {
  CONFIG_DRIFT: { model: string | null; settings: string; replicas: string; peerReplicas: string; changedInWindow: boolean; explains?: string; replicasToRestore?: string };
  KV_CACHE_THRASHING: ThrashEpisode & { episodes: number; preemptionsTotal: N };
  PREFILL_STARVATION: StarvationEpisode & { episodes: number };
  GPU_UNDERUTILIZED: (ConfigBoundEpisode & { kind: 'config-bound'; capSource: string }) | { kind: 'demand-bound'; kvMeanRatio: N; timeWithQueueRatio: N; requestsPerSecondMean: N; gpuUtilMeanPercent: N };
  MEMORY_LEAK: { metric: string; growthMiB: number; relativeGrowthRatio: N; slopeMiBPerHour: number; startMiB: number; endMiB: number; mannKendallP: number; loadRelativeChange: N };
  PREFIX_CACHE_MISSES: { hitRatio: N; queriedTokens: number; prefixCachingEnabled: string; overcountRisk: boolean };
  QUEUE_BUILDUP: QueueEpisode & { episodes: number };
  KV_SWAPPING: { swappedMax: N; timeSwappingRatio: number; cpuCacheUsageMaxRatio: N };
  LATENCY_SLO_BREACH: SloEpisode & { episodes: number; windowsOverTargetRatio: N; e2eOnly: boolean };
  THROUGHPUT_DROP: { dropRatio: number; baselineTokensPerSecond: number; duringTokensPerSecond: number; waitingMeanDuringDrop: N };
  OOM_RISK: { fbUsedMaxRatio: N; gpuMemoryUtilization: N };
  REPLICA_RESTART: { restarts: number; firstRestartSeconds: N };
  REPLICA_SLOWDOWN: { ratioToPeers: N; itlMedianSeconds: N; peersItlMedianSeconds: N; runningRatioToPeers: N; smClockMedianMHz: N; peersSmClockMedianMHz: N; sameConfiguration: boolean };
  UNEXPLAINED_ANOMALY: AnomalyEpisodeNumbers & { episodes: number };
  /** `episodes`: found on sliding windows; `recent`: the recent stretch against the rest of the window. */
  TRUNCATION_RISE: TruncationEpisode & { episodes: number; kind: 'episodes' | 'recent'; windowRatio: N };
  ABORT_RISE: AbortEpisode & { episodes: number; kind: 'episodes' | 'recent'; windowRatio: N; abortSeries: boolean; errorSeries: boolean };
  LENGTH_DRIFT: LengthDriftNumbers & { episodes: number; kind: 'episodes' | 'recent'; absorbedEpisodes: number };
  CAPACITY_HEADROOM_LOW: HeadroomLowEvidence;
  OVERPROVISIONED: OverprovisionedEvidence;
  COMMUNICATION_BOUND: { device: string; commShare: number; exposedCommShare: number; commNs: number; overlapShareOfComm: N; ncclTopNs: number; customAllReduceTopNs: number; tensorParallelSize: N; thresholdShare: number; kvP95MaxRatio: N };
  GPU_IDLE_GAPS: { device: string; idleShare: number; idleNs: number; spanNs: number; gapCount: N; gapP50Ns: N; gapP90Ns: N; gapMaxNs: N; shortKernelShare: N; cudaGraphs: string; thresholdShare: number; idleSource: string; enforceEager: string | null; gpuUtilMeanPercent: N };
  ATTENTION_BOUND: { device: string; attentionShare: number; attentionNs: number; topAttentionKernel: string; kvCacheDtype: string | null; thresholdShare: number; kvPressureReplicas: string | null; kvMeanRatio: N };
  GEMM_BOUND: { device: string; gemmShare: number; denseGemmShare: number; moeGemmShare: number; quantization: string | null; thresholdShare: number; capReachedReplicas: string | null; capRequests: N; kvMeanRatio: N };
}

type MissingEvidence = Exclude<FindingCode, keyof FindingEvidence>;
type MissingEpisodes = Exclude<FindingCode, keyof FindingEpisodeNumbers>;
export const findingEvidenceComplete: [MissingEvidence, MissingEpisodes] extends [never, never] ? true : never = true;
