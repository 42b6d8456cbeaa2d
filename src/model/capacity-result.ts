// The capacity review in the Result (issue 14 §1): per model the demand profile and its growth; per
// configuration group the utilization at the peak, the capacity model with its arithmetic, headroom,
// projected saturation, replicas needed and cost. Numbers only (units in the keys); the report makes the
// sentences (src/report/capacity-section.ts). Every formula is in docs/capacity.md.

import { z } from 'zod';

const num = z.number().nullable();

export const DemandWindow = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  requestsPerSecond: z.number(),
  promptTokensPerSecond: num,
  outputTokensPerSecond: num,
});
export type DemandWindow = z.infer<typeof DemandWindow>;

export const LengthStats = z.object({ meanTokens: num, p50Tokens: num, p90Tokens: num, p99Tokens: num, requests: num });
export type LengthStats = z.infer<typeof LengthStats>;

export const GrowthResult = z.discriminatedUnion('evaluated', [
  z.object({ evaluated: z.literal(false), reason: z.string() }),
  z.object({
    evaluated: z.literal(true),
    /** Daily peaks in the fit. */
    days: z.number(),
    /** Compounding growth of the weekday peak per day (e^β₁ − 1) and its 95 % interval. */
    perDayRatio: z.number(),
    perDayLowRatio: z.number(),
    perDayHighRatio: z.number(),
    /** β₁ and its standard error (per day, natural log). */
    slopePerDay: z.number(),
    slopeStandardError: z.number(),
    degreesOfFreedom: z.number(),
    /** Weekend peak ÷ weekday peak (e^β₂), null when the fit has no weekend term. */
    weekendFactor: num,
    significant: z.boolean(),
    r2: num,
  }),
]);
export type GrowthResult = z.infer<typeof GrowthResult>;

export const ModelDemand = z.object({
  model: z.string(),
  replicas: z.array(z.string()),
  /** The busiest hour of the window (all replicas of the model). */
  peak: DemandWindow.nullable(),
  /** Median of the hourly request rates. */
  typicalRequestsPerSecond: num,
  /** UTC hour of day with the highest mean request rate (windows of a day or more). */
  peakHourOfDay: num,
  /** Mean rates per UTC hour of day (windows of a day or more; empty otherwise). */
  hourly: z.array(z.object({ hour: z.number(), requestsPerSecond: num, promptTokensPerSecond: num, outputTokensPerSecond: num, bins: z.number() })),
  /** Per UTC day of week (windows of 7 days or more; empty otherwise). */
  weekly: z.array(z.object({ dayOfWeek: z.number(), requestsPerDay: num, peakRequestsPerSecond: num, days: z.number() })),
  /** Prompt and output lengths of the requests that finished in the peak hour of each day (the busiest hour on shorter windows). */
  lengthsAtPeak: z.object({ prompt: LengthStats, output: LengthStats }).nullable(),
  /** The busiest hour of each UTC day; `used` = in the growth fit. */
  dailyPeaks: z.array(z.object({ day: z.string(), startSeconds: z.number(), requestsPerSecond: z.number(), weekend: z.boolean(), used: z.boolean() })),
  growth: GrowthResult,
});
export type ModelDemand = z.infer<typeof ModelDemand>;

export const LimitKind = z.enum(['running-cap', 'kv-pool', 'token-budget', 'tbt-target', 'ttft-target']);
export type LimitKind = z.infer<typeof LimitKind>;

/** One limit of the capacity model: the concurrency it allows and the request rate that reaches it, with the numbers of its arithmetic. */
export const CapacityLimit = z.object({
  kind: LimitKind,
  /** Whether it bounds the queue (a queue forms beyond it) or only the latency targets. */
  bounds: z.enum(['queue', 'latency']),
  evaluated: z.boolean(),
  reason: z.string().optional(),
  /** Running sequences per replica at the limit. */
  concurrency: num,
  /** Requests/s per replica at the limit (Little's law with the service time at that concurrency). */
  requestsPerSecond: num,
  /** The value is only a lower bound (the cap itself is a lower bound) or an upper bound. */
  bound: z.enum(['lower', 'upper']).optional(),
  numbers: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
});
export type CapacityLimit = z.infer<typeof CapacityLimit>;

export const StepTimeModel = z.object({
  /** τ(b) = interceptSeconds + slopeSecondsPerSequence · b: mean time between tokens at b running sequences. */
  interceptSeconds: z.number(),
  slopeSecondsPerSequence: z.number(),
  slopeStandardError: z.number(),
  r2: num,
  /** 5-minute bins in the fit, and the range of concurrency and request rate they cover (per replica). */
  points: z.number(),
  concurrencyMin: z.number(),
  concurrencyMax: z.number(),
  requestsPerSecondMax: z.number(),
  /** How the concurrency of a bin was measured: Little's law on the inference-time histogram's sum, or the running gauge. */
  concurrencySource: z.enum(['inference-time', 'running-gauge']),
  /** Share of tokens over the TBT target = k · λ · τ (tokens slowed by steps that carry a prefill); null when no token was over. */
  tailK: num,
  tailR2: num,
});
export type StepTimeModel = z.infer<typeof StepTimeModel>;

export const PeakMix = z.object({
  /** The bins the mix is read over: the peak hour of each day (or the busiest hour). */
  bins: z.number(),
  requestsPerSecondPerReplica: num,
  promptMeanTokens: num,
  outputMeanTokens: num,
  /** Prompt tokens that needed prefill (not found in the prefix cache), per request. */
  uncachedPromptMeanTokens: num,
  uncachedSource: z.enum(['kv-computed-histogram', 'prefix-hit-ratio', 'none']),
  /** Mean running (prefill + decode) seconds per request: the service time S. */
  serviceMeanSeconds: num,
  prefillMeanSeconds: num,
  /** Mean running sequences per replica (Little's law on the inference time, or the gauge). */
  concurrencyMean: num,
  /** Mean time between tokens. */
  tbtMeanSeconds: num,
  /** Share of tokens over the TBT target and of first tokens over the TTFT target. */
  tbtOverTargetRatio: num,
  ttftOverTargetRatio: num,
  /** KV tokens held per running sequence: KV usage × pool ÷ running. */
  kvTokensPerSequence: num,
  kvSource: z.enum(['kv-usage', 'footprint', 'none']),
  poolTokens: num,
});
export type PeakMix = z.infer<typeof PeakMix>;

export const PeakUtilization = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  requestsPerSecond: z.number(),
  replicas: z.number(),
  kvUsageMeanRatio: num,
  kvUsageMaxRatio: num,
  /** Per replica. */
  runningMean: num,
  runningMax: num,
  runningCap: num,
  runningCapSource: z.string().nullable(),
  waitingMean: num,
  waitingMax: num,
  gpuUtilMeanPercent: num,
  smActiveMeanRatio: num,
});
export type PeakUtilization = z.infer<typeof PeakUtilization>;

export const Projection = z.object({
  status: z.enum(['saturated', 'projected', 'beyond-limit', 'no-significant-growth', 'declining', 'not-evaluated']),
  reason: z.string().optional(),
  /** Share of the model's demand this group served over the last day. */
  demandShareRatio: num,
  /** Group capacity the projection runs into (requests/s): per-replica capacity × replicas at the end. */
  capacityRequestsPerSecond: num,
  saturationSeconds: num,
  earliestSeconds: num,
  latestSeconds: num,
  /** Days from the window's end to the point estimate. */
  daysAfterWindow: num,
});
export type Projection = z.infer<typeof Projection>;

export const GroupCapacity = z.object({
  group: z.string(),
  model: z.string().nullable(),
  /** Replicas of the group at the end of the window (all members when it ended earlier). */
  replicas: z.array(z.string()),
  gpusPerReplica: z.number(),
  gpusPerReplicaKnown: z.boolean(),
  peak: PeakUtilization.nullable(),
  mix: PeakMix.nullable(),
  stepTime: StepTimeModel.nullable(),
  limits: z.array(CapacityLimit),
  /** Per replica: before a queue forms, and before the latency targets break (the capacity). */
  queueRequestsPerSecond: num,
  capacityRequestsPerSecond: num,
  limitedBy: LimitKind.nullable(),
  /** capacity ÷ peak demand per replica − 1 (before the latency targets break / before a queue forms). */
  headroomRatio: num,
  queueHeadroomRatio: num,
  /** capacity ÷ the highest per-replica rate the step-time fit saw. */
  extrapolationRatio: num,
  confidence: z.enum(['high', 'medium', 'low']),
  projection: Projection,
  /** Replicas needed at the projected peak of each of the next weeks (point and upper band). */
  replicasNeeded: z.array(z.object({ week: z.number(), atSeconds: z.number(), peakRequestsPerSecond: z.number(), peakHighRequestsPerSecond: z.number(), replicas: z.number(), replicasHigh: z.number(), gpus: z.number(), basis: z.enum(['growth', 'flat']) })),
  consolidation: z
    .object({
      replicasPresent: z.number(),
      /** Replicas the busiest hour of the window needs, and the busiest projected peak of the horizon (upper band). */
      replicasNeededAtPeak: z.number(),
      replicasNeededInHorizon: z.number(),
      /** Per-replica capacity the consolidation plans with: the model's, capped at MAX_EXTRAPOLATION × the busiest rate a replica was measured at. */
      plannedCapacityRequestsPerSecond: z.number(),
      /** GPU-hours over the window beyond what the window's peak needs (fewer replicas all the time). */
      idleGpuHoursStatic: z.number(),
      /** GPU-hours over the window beyond what each hour needs (scaling with the hour's demand). */
      idleGpuHoursHourly: z.number(),
      windowHours: z.number(),
    })
    .nullable(),
  cost: z
    .object({
      gpuHours: z.number(),
      promptTokens: num,
      outputTokens: num,
      tokensPerGpuSecond: num,
      outputTokensPerGpuSecond: num,
      usdPerMillionTokens: num,
      usdPerMillionOutputTokens: num,
    })
    .nullable(),
});
export type GroupCapacity = z.infer<typeof GroupCapacity>;

export const CapacityReview = z.object({
  /** Why the review ran: a window of a day or more, or `--capacity`. */
  trigger: z.enum(['window', 'flag']),
  windowSeconds: z.number(),
  binSeconds: z.number(),
  timezone: z.literal('UTC'),
  targets: z.object({ ttftSeconds: z.number(), tbtSeconds: z.number(), overTargetRatio: z.number() }),
  horizonDays: z.number(),
  gpuHourPriceUsd: num,
  models: z.array(ModelDemand),
  groups: z.array(GroupCapacity),
});
export type CapacityReview = z.infer<typeof CapacityReview>;
