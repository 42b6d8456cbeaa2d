// What each detector reports, typed per detector: whole-window `evidence` and the numbers of each
// episode. Units in the keys (…Seconds, …Ratio, …PerSecond); null = unknown. Adding a detector id to
// model/vocabulary.ts fails to compile until it has an entry in both maps.

import type { DetectorId } from '../model/vocabulary.js';

type N = number | null;

export interface DetectorEvidence {
  'kv-pressure': { kvMeanRatio: N; kvP95Ratio: N; kvMaxRatio: N; highThresholdRatio: number; timeAboveThresholdRatio: number };
  preemptions: { preemptionsTotal: number; requestsFinished: N; preemptionsPerRequest: N; preemptionsPerHour: number };
  'latency-ttft': LatencyEvidence;
  'latency-tbt': LatencyEvidence;
  'latency-e2e': LatencyEvidence;
  'queue-buildup': { waitingMean: N; waitingP95: N; waitingMax: N; timeWithQueueRatio: number };
  'batch-plateau': { runningMean: N; runningMax: N; capRequests: N; capSource: 'read' | 'inferred' | 'observed-max'; atCapWithQueueRatio: number };
  'gpu-utilization': { gpuUtilMeanPercent: N; gpuUtilP95Percent: N; smActiveMeanRatio: N; lowThresholdPercent: number; devices: number };
  'memory-growth': {
    metric: string;
    series: string;
    slopeMiBPerHour: number;
    growthMiB: number;
    relativeGrowthRatio: N;
    startMiB: number;
    endMiB: number;
    mannKendallP: number;
    mannKendallTau: number;
    fromSeconds: number;
    toSeconds: number;
    loadRelativeChange: N;
  };
  'prefix-cache-hit-rate': { hitRatio: N; queriedTokens: number; hitTokens: number; prefixCachingEnabled: 'true' | 'false' | 'unknown' };
  'kv-swapping': { swappedMax: N; swappedMean: N; timeSwappingRatio: number; cpuCacheUsageMaxRatio: N };
  'throughput-drop': { dropEpisodes: number };
  'oom-risk': { fbUsedMaxRatio: N; gpuMemoryUtilization: N };
  restarts: { restarts: number; firstRestartSeconds: N };
  'replica-slowdown': { comparedWindowsRatio: number; peers: number; itlMedianSeconds: N; peersItlMedianSeconds: N };
  'truncation-rise': ShareEvidence;
  'abort-rise': ShareEvidence & { aborted: N; errored: N; abortSeries: boolean; errorSeries: boolean };
  'length-drift': {
    windowSeconds: number;
    promptPsiRecent: N;
    outputPsiRecent: N;
    promptMeanEarlier: N;
    promptMeanRecent: N;
    outputMeanEarlier: N;
    outputMeanRecent: N;
    /** Which distribution moved from the rest of the window to the last day (windows of two days or more; else none). */
    recentDrift: 'prompt' | 'output' | 'both' | 'none';
    recentStartSeconds: N;
  };
}

/** A share of finished requests (cut at max_tokens; aborted or failed) over the window and recent vs earlier. */
export interface ShareEvidence {
  finished: N;
  /** Requests with the reason(s) counted. */
  counted: N;
  ratio: N;
  earlierRatio: N;
  recentRatio: N;
  recentZ: N;
  /** The last day's share rose over the rest of the window's by the detector's tests (windows of two days or more). */
  recentRose: boolean;
  recentStartSeconds: N;
}

export interface ShareEpisode {
  /** Share over the episode. */
  ratio: N;
  /** The frozen baseline share the episode was found against. */
  baselineRatio: N;
  finished: N;
  counted: N;
  /** Highest share of one sliding window inside it. */
  peakWindowRatio: N;
}

export interface LatencyEvidence {
  p50Seconds: N;
  p95Seconds: N;
  p99Seconds: N;
  targetSeconds: number;
  overTargetRatio: N;
  requests: number;
  /** Share of sliding windows (with enough requests) whose p95 was over the target. */
  windowsOverTargetRatio: N;
}

export interface LatencyEpisode {
  p50Seconds: N;
  p95Seconds: N;
  peakP95Seconds: N;
  targetSeconds: number;
  overTargetRatio: N;
  requests: N;
}

export interface EpisodeNumbers {
  'kv-pressure': { kvMeanRatio: N; kvMaxRatio: N };
  preemptions: { preemptions: N; requestsFinished: N; preemptionsPerRequest: N; peakPreemptionsPerMinute: N };
  'latency-ttft': LatencyEpisode;
  'latency-tbt': LatencyEpisode;
  'latency-e2e': LatencyEpisode;
  'queue-buildup': { waitingMean: N; waitingMax: N };
  'batch-plateau': { runningMean: N; capRequests: N; kvMeanRatio: N };
  'gpu-utilization': { gpuUtilMeanPercent: N };
  'memory-growth': Record<string, never>;
  'prefix-cache-hit-rate': { hitRatio: N; queriedTokens: N };
  'kv-swapping': { swappedMax: N };
  'throughput-drop': { dropRatio: number; baselineTokensPerSecond: number; duringTokensPerSecond: number; waitingMeanDuringDrop: N };
  'oom-risk': Record<string, never>;
  restarts: { processStartSeconds: N };
  'replica-slowdown': { ratioToPeers: N; itlMedianSeconds: N; peersItlMedianSeconds: N; runningRatioToPeers: N; smClockMedianMHz: N; peersSmClockMedianMHz: N };
  'truncation-rise': ShareEpisode;
  'abort-rise': ShareEpisode & { aborted: N; errored: N };
  'length-drift': LengthDriftEpisode;
}

export interface LengthDriftEpisode {
  /** prompt, output or both: which distribution moved. */
  dimension: string;
  /** PSI of the episode's histogram against the frozen baseline it was found on. */
  promptPsi: N;
  outputPsi: N;
  promptMeanBefore: N;
  promptMeanDuring: N;
  outputMeanBefore: N;
  outputMeanDuring: N;
  requests: N;
}

// Compile-time completeness: every detector id has evidence and episode types.
type MissingEvidence = Exclude<DetectorId, keyof DetectorEvidence>;
type MissingEpisodes = Exclude<DetectorId, keyof EpisodeNumbers>;
export const evidenceComplete: [MissingEvidence, MissingEpisodes] extends [never, never] ? true : never = true;
