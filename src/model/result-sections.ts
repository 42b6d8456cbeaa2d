// The schema of the Result's measured sections: inputs, inventory, serving config, latency (windows,
// burn), throughput, capacity, anomalies, latency decomposition, correlations, charts, warnings. Split
// out of result.ts (which re-exports every name); code moved, not changed.

import { z } from 'zod';

const num = z.number().nullable();

export const ResultWarning = z.object({
  code: z.string(),
  message: z.string(),
  file: z.string().optional(),
  metric: z.string().optional(),
  count: z.number().optional(),
});

export const InputSummarySchema = z.object({
  file: z.string(),
  format: z.string(),
  detail: z.string(),
  gzip: z.boolean(),
  sizeBytes: z.number().optional(),
  series: z.number(),
  samples: z.number(),
});

export const MetricInventorySchema = z.object({
  name: z.string(),
  kind: z.string(),
  unit: z.string(),
  known: z.boolean(),
  v0Only: z.boolean(),
  series: z.number(),
  samples: z.number(),
  min: num,
  mean: num,
  max: num,
});

export const ReplicaIdSchema = z.object({
  id: z.string(),
  instance: z.string().nullable(),
  engine: z.string().nullable(),
  modelName: z.string().nullable(),
  job: z.string().nullable(),
});

export const InventorySchema = z.object({
  window: z.object({ startSeconds: z.number(), endSeconds: z.number(), stepSeconds: num }).nullable(),
  seriesCount: z.number(),
  sampleCount: z.number(),
  metrics: z.array(MetricInventorySchema),
  replicas: z.array(ReplicaIdSchema),
  models: z.array(z.string()),
  devices: z.array(z.string()),
  snapshotOnly: z.boolean(),
});

export const ConfigValueSchema = z.object({
  value: z.union([z.string(), z.number(), z.boolean()]),
  source: z.enum(['flag', 'log', 'cache_config_info']),
  file: z.string().optional(),
});

export const ServingConfigSchema = z.object({
  values: z.record(z.string(), ConfigValueSchema),
  conflicts: z.array(z.object({ setting: z.string(), values: z.array(ConfigValueSchema) })),
});

/** mean / p95 / max of a gauge or rate over the window. */
export const Summary3 = z.object({ mean: num, p95: num, max: num });
export type Summary3 = z.infer<typeof Summary3>;

/** The bucket (lower, upper] a histogram quantile fell in; `upperSeconds` null = the +Inf bucket (the value is a lower bound). */
export const QuantileBucket = z.object({
  lowerSeconds: z.number(),
  upperSeconds: num,
  /** Too wide to trust the interpolated value closely (first bucket, overflow, or upper more than twice lower). */
  wide: z.boolean(),
});
export type QuantileBucket = z.infer<typeof QuantileBucket>;

/** Latency p95 per sliding window of `windowSeconds`, one window per grid step. */
export const LatencyWindows = z.object({
  windowSeconds: z.number(),
  /** Windows (one per grid step) that saw requests. */
  evaluated: z.number(),
  /** Of those, windows whose p95 was above the target. */
  overTarget: z.number(),
  /** overTarget / evaluated (null when none was evaluated). */
  overTargetRatio: num,
  /** Time covered by over-target windows: overTarget × the grid step. */
  overTargetSeconds: z.number(),
  /** The window with the highest p95. */
  worst: z
    .object({ startSeconds: z.number(), endSeconds: z.number(), p95Seconds: z.number(), bucket: QuantileBucket.optional() })
    .nullable(),
});
export type LatencyWindows = z.infer<typeof LatencyWindows>;

/** Highest burn rate over trailing windows of one length, and when (the end of that window). */
export const BurnRateMax = z.object({
  windowSeconds: z.number(),
  /** Trailing windows fully inside the data that saw requests. */
  evaluated: z.number(),
  maxBurnRate: num,
  atSeconds: num,
});

/** A multi-window burn-rate alert replayed on the data: spans where both windows burned faster than `factor`. */
export const BurnAlert = z.object({
  name: z.enum(['fast', 'slow']),
  longWindowSeconds: z.number(),
  shortWindowSeconds: z.number(),
  factor: z.number(),
  /** False when the data is shorter than the long window (then `reason` says so and `spans` is empty). */
  evaluated: z.boolean(),
  reason: z.string().optional(),
  spans: z.array(z.object({ startSeconds: z.number(), endSeconds: z.number(), peakLongBurnRate: z.number(), peakShortBurnRate: z.number() })),
});
export type BurnAlert = z.infer<typeof BurnAlert>;

export const LatencyBurn = z.object({
  /** The error budget: the share of requests allowed over target (1 − 0.95 for a p95 target). */
  budgetRatio: z.number(),
  rates: z.array(BurnRateMax),
  alerts: z.array(BurnAlert),
});
export type LatencyBurn = z.infer<typeof LatencyBurn>;

export const LatencyRow = z.object({
  /** `ttft`, `tbt` or `e2e`. */
  id: z.enum(['ttft', 'tbt', 'e2e']),
  metric: z.string(),
  /** `fleet` or a replica id. */
  scope: z.string(),
  p50Seconds: num,
  p95Seconds: num,
  p99Seconds: num,
  meanSeconds: num,
  requests: num,
  targetSeconds: z.number(),
  /** Share of requests above the target, read off the bucket counts (only when the target is a bucket bound). */
  overTargetRatio: num,
  verdict: z.enum(['met', 'breached', 'unknown']),
  caveat: z.string().optional(),
  /** The histogram bucket each window-wide quantile fell in (see QuantileBucket). */
  p50Bucket: QuantileBucket.optional(),
  p95Bucket: QuantileBucket.optional(),
  p99Bucket: QuantileBucket.optional(),
  /** The p95 per sliding window (an alert rule's `[5m]`), against the target. See docs/latency.md. */
  windows: LatencyWindows.optional(),
  /** Error-budget burn rates (SRE workbook, multi-window multi-burn-rate). See docs/latency.md. */
  burn: LatencyBurn.optional(),
});
export type LatencyRow = z.infer<typeof LatencyRow>;

export const ThroughputRow = z.object({
  scope: z.string(),
  promptTokensPerSecond: Summary3,
  generationTokensPerSecond: Summary3,
  requestsPerSecond: Summary3,
});

export const CapacityRow = z.object({
  scope: z.string(),
  kvUsageRatio: Summary3,
  waitingRequests: Summary3,
  runningRequests: Summary3,
  preemptionsPerSecond: Summary3,
  preemptionsTotal: num,
  prefixCacheHitRatio: num,
});

export const AnomalyEpisode = z.object({
  metric: z.string(),
  scope: z.string(),
  method: z.enum(['zscore', 'robust']),
  startSeconds: z.number(),
  endSeconds: z.number(),
  peakValue: z.number(),
  /** Robust z of the peak against the frozen baseline, capped at ±ANOMALY_SCORE_CAP (see scoreCapped). */
  peakScore: z.number(),
  direction: z.enum(['up', 'down']),
  /** When the peak was. */
  peakSeconds: z.number().optional(),
  /** Median of the trailing non-anomalous points the episode is measured against (frozen while it runs). */
  baselineValue: z.number().optional(),
  /** The σ the score divides by: max(1.4826 · MAD, the metric's floors). */
  baselineScale: z.number().optional(),
  /** peakValue / baselineValue; null when the baseline is at or below the metric's floor (read deltaFromBaseline). */
  ratioToBaseline: z.number().nullable().optional(),
  /** peakValue − baselineValue, in the metric's unit. */
  deltaFromBaseline: z.number().optional(),
  /** The score reached the cap: the true z is larger; a reader sees "> 50σ". */
  scoreCapped: z.boolean().optional(),
  /** The shift lasted the longest episode allowed and was accepted as the new normal at endSeconds. */
  acceptedAsNormal: z.boolean().optional(),
  /** Unit of peakValue / baselineValue: seconds, requests, per second, ratio, tokens per second. */
  unit: z.string().optional(),
  /** For a quantile read off histogram buckets: the buckets the baseline and the peak lie in (the values are interpolated inside them). */
  baselineBucket: QuantileBucket.optional(),
  peakBucket: QuantileBucket.optional(),
});
export type AnomalyEpisode = z.infer<typeof AnomalyEpisode>;

/**
 * Mean latency of each phase of a request over [startSeconds, endSeconds], from `_sum`/`_count`
 * increases (means add up, quantiles do not), with how well the phases add up to TTFT and end-to-end.
 */
export const LatencyDecomposition = z.object({
  scope: z.string(),
  startSeconds: z.number(),
  endSeconds: z.number(),
  /** Mean seconds per request: WAITING (queued → first scheduled), PREFILL (first scheduled → first token), DECODE (first → last token), RUNNING (prefill + decode). */
  queueMeanSeconds: num,
  prefillMeanSeconds: num,
  decodeMeanSeconds: num,
  inferenceMeanSeconds: num,
  ttftMeanSeconds: num,
  e2eMeanSeconds: num,
  /** Requests observed by each histogram in the span (from `_count`). */
  queueCount: num,
  prefillCount: num,
  decodeCount: num,
  ttftCount: num,
  e2eCount: num,
  /** TTFT − (queue + prefill): tokenization, frontend↔engine hand-off, scheduling gaps. */
  ttftResidualSeconds: num,
  /** End-to-end − (queue + prefill + decode): the same, plus detokenization and the response hand-off. */
  e2eResidualSeconds: num,
  /** Reasons to read the residuals with care (differing request counts, missing histograms). */
  caveats: z.array(z.string()),
});
export type LatencyDecomposition = z.infer<typeof LatencyDecomposition>;

export const CorrelationRow = z.object({
  a: z.string(),
  b: z.string(),
  scope: z.string(),
  pearson: z.number(),
  spearman: z.number(),
  /** Seconds by which `a` leads `b` at the best lag (negative: `b` leads). */
  leadSeconds: z.number(),
  laggedR: z.number(),
  pValue: z.number(),
  n: z.number(),
});
export type CorrelationRow = z.infer<typeof CorrelationRow>;

/** A chart: what it shows and its (downsampled) data, so the SVG renderer computes nothing. */
export const ChartRef = z.object({
  file: z.string(),
  title: z.string(),
  finding: z.string().optional(),
  scope: z.string(),
  unit: z.string(),
  series: z.array(z.object({ label: z.string(), t: z.array(z.number()), v: z.array(z.number().nullable()) })),
  shaded: z.array(z.object({ startSeconds: z.number(), endSeconds: z.number(), label: z.string() })),
  threshold: z.object({ value: z.number(), label: z.string() }).optional(),
});
