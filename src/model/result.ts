// The Result is the contract between the engine and every output: the JSON output is the Result
// itself (validated by this schema), and Markdown/SVG are rendered from it.

import { z } from 'zod';
import { GpuBreakdown } from './gpu-result.js';
import { DETECTOR_IDS, FINDING_CODES, TUNABLE_SETTINGS } from './vocabulary.js';
import { REASON_KINDS } from './reasons.js';
import { ConfigTimeline } from './config-timeline.js';
import { AlertsSection } from './alerts-result.js';
import { ClientSection } from './client-result.js';
import { QualitySection } from './quality-result.js';
import { CapacityReview } from './capacity-result.js';

const num = z.number().nullable();

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const Evidence = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));
export type Evidence = z.infer<typeof Evidence>;

export const SignalStatus = z.enum(['ok', 'issue', 'insufficient-data', 'error']);

/** One stretch of time in which a condition held, with the numbers of that stretch (units in the keys). */
export const Episode = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  durationSeconds: z.number(),
  /** When the episode's defining value peaked (null when it has none). */
  peakAtSeconds: z.number().nullable(),
  numbers: Evidence,
});
export type Episode = z.infer<typeof Episode>;

/** A detector's verdict on one symptom in one scope, with the episodes in which it held. */
export const Signal = z.object({
  id: z.enum(DETECTOR_IDS),
  status: SignalStatus,
  /** For `insufficient-data` and `error`: why. */
  reason: z.string().optional(),
  /** Whole-window numbers, units in the keys (typed per detector in src/detectors/evidence.ts). */
  evidence: Evidence,
  /** Replica the signal concerns, or `fleet`. */
  scope: z.string(),
  /** Where the symptom held (empty for whole-window symptoms such as a memory trend, or when ok). */
  episodes: z.array(Episode),
});
export type Signal = z.infer<typeof Signal>;

export const Confidence = z.enum(['low', 'medium', 'high']);
export type Confidence = z.infer<typeof Confidence>;

const Scalar = z.union([z.number(), z.string(), z.boolean()]);

/** What a recommendation starts from: the replica's current value and where it came from. */
export const CurrentValue = z.object({
  value: Scalar.nullable(),
  source: z.enum(['flag', 'cache_config_info', 'log', 'inferred', 'unknown']),
  /** For inferred values that are only a bound. */
  bound: z.enum(['lower', 'upper']).optional(),
});
export type CurrentValue = z.infer<typeof CurrentValue>;

/** Why a value: the rule that computed it (src/recommend/reasons.ts) and its inputs, formatted in report/. */
export const Reason = z.object({ kind: z.enum(REASON_KINDS), numbers: Evidence });
export type Reason = z.infer<typeof Reason>;

export const Recommendation = z.object({
  id: z.string(),
  setting: z.enum(TUNABLE_SETTINGS),
  /** The replicas it is for. */
  replicas: z.array(z.string()),
  current: CurrentValue,
  to: Scalar,
  /** `set`: change it to `to`; `at-most` / `at-least`: the current value is unknown — change it only if above / below `to`. */
  relation: z.enum(['set', 'at-most', 'at-least']),
  reason: Reason,
  confidence: Confidence,
  /** Ids of the findings that asked for it. */
  findings: z.array(z.string()),
  /** `primary` goes into the serve block; `alternative` is an option shown beside it (another trade-off). */
  role: z.enum(['primary', 'alternative']),
  /** Other values proposed for this setting on these replicas, and why the policy chose this one (src/recommend/merge.ts). */
  overruled: z.array(z.object({ to: Scalar, findings: z.array(z.string()) })).optional(),
});
export type Recommendation = z.infer<typeof Recommendation>;

/** The numbers a what-if compares, over the replayed window (src/recommend/what-if.ts). */
export const EffectMeasures = z.object({
  preemptions: num,
  ttftP95Seconds: num,
  tbtP95Seconds: num,
  queueP95Seconds: num,
  /** When the queue-time p95 lies in the histogram's first bucket: its bound (the p95 is somewhere below it). */
  queueP95BelowSeconds: num,
  /** Generated tokens per second over the window (what was served, not what was asked for). */
  generationTokensPerSecond: num,
  requests: num,
});
export type EffectMeasures = z.infer<typeof EffectMeasures>;

/** What the replay compared, one entry per quantity with a target or a direction. */
export const EffectTarget = z.enum(['preemptions', 'ttft', 'tbt', 'queue', 'throughput']);
export type EffectTarget = z.infer<typeof EffectTarget>;

/**
 * The predicted effect of a serve block on one replica: its measured traffic of the relevant window
 * replayed through the simulator at the current settings (`before`) and with the block's flags
 * (`after`), same seed and calibration (docs/what-if.md). `not-evaluated` carries the reason; a
 * verdict is never guessed.
 */
export const Effect = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('evaluated'),
    replica: z.string(),
    startSeconds: z.number(),
    endSeconds: z.number(),
    /** The settings replayed in the `after` run (vLLM names). */
    set: z.record(z.string(), Scalar),
    /** The window as the exports measured it, computed like the replays. */
    measured: EffectMeasures,
    before: EffectMeasures,
    after: EffectMeasures,
    targets: z.object({ ttftSeconds: z.number(), tbtSeconds: z.number() }),
    /** Targets the `before` replay breaches (preemptions: ≥ 50; queue and throughput: never a breach, a direction). */
    breached: z.array(EffectTarget),
    improved: z.array(EffectTarget),
    worsened: z.array(EffectTarget),
    /** `improves`: every breached target improves (none breached: throughput rises) and nothing worsens; `partial`: some do, the others stay, nothing worsens; `no-improvement`: none does and nothing worsens; `mixed` / `worse`: something worsens (queue p95 and throughput count here), with / without a gain. */
    verdict: z.enum(['improves', 'partial', 'no-improvement', 'mixed', 'worse']),
    /** The `after` replay meets the TTFT and TBT targets with no preemption. */
    meetsTargets: z.boolean(),
    /** Settings the replay had to assume (not stated by the inputs). */
    assumed: z.array(z.string()),
  }),
  z.object({ status: z.literal('not-evaluated'), replica: z.string(), reason: z.string() }),
]);
export type Effect = z.infer<typeof Effect>;

/** One `vllm serve` block: the primary recommendations shared by a set of replicas of one configuration. */
export const ServeBlock = z.object({
  replicas: z.array(z.string()),
  /** True when the block is for every replica in the inputs. */
  fleet: z.boolean(),
  /** Configuration groups of those replicas (src/model/config-timeline.ts). */
  groups: z.array(z.string()),
  flags: z.array(z.string()),
  recommendations: z.array(z.string()),
  /** Some value holds only if the current one is above/below it (the current value is unknown). */
  conditional: z.boolean(),
  /** The block's predicted effect per replica, by replay (absent when the what-if step did not run). */
  effects: z.array(Effect).optional(),
});
export type ServeBlock = z.infer<typeof ServeBlock>;

export const TimeWindow = z.object({ startSeconds: z.number(), endSeconds: z.number() });

/** Traffic and state over one stretch of time (before, during or after an episode). */
export const TrafficStats = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  requestsPerSecond: num,
  promptTokensPerSecond: num,
  promptTokensMean: num,
  promptTokensP95: num,
  outputTokensMean: num,
  /** Mean max_tokens the clients sent (vllm:request_params_max_tokens). */
  maxTokensMean: num,
  prefixCacheHitRatio: num,
  runningMean: num,
  waitingMean: num,
  kvUsageMeanRatio: num,
  ttftP95Seconds: num,
});
export type TrafficStats = z.infer<typeof TrafficStats>;

/** Before / during / after the worst episode of a finding, and what changed in the traffic. */
export const IncidentContext = z.object({
  before: TrafficStats.nullable(),
  during: TrafficStats,
  after: TrafficStats.nullable(),
  /** The load quantity that changed most from before to during (the trigger, when the data shows one). */
  trigger: z.object({ quantity: z.string(), before: z.number(), during: z.number(), ratio: z.number() }).nullable(),
  /** Every traffic quantity that moved by the trigger factor or more, strongest first. */
  changes: z.array(z.object({ quantity: z.string(), before: z.number(), during: z.number(), ratio: z.number() })),
  /** Mean latency split during the episode (queue + prefill + decode), when the histograms exist. */
  decomposition: Evidence.nullable(),
  /** How far the prompt and output length distributions moved from before to during (PSI; null without a before stretch or the histograms). */
  lengthPsi: z.object({ prompt: num, output: num }).optional(),
});
export type IncidentContext = z.infer<typeof IncidentContext>;

export const Finding = z.object({
  /** Stable id within a Result: `CODE@scope`. */
  id: z.string(),
  code: z.enum(FINDING_CODES),
  severity: Severity,
  /** The replica it is about, `fleet`, or for profiles the device(s). */
  scope: z.string(),
  /** Replicas concerned (one for a replica finding; several for CONFIG_DRIFT). */
  replicas: z.array(z.string()),
  /** Where it held, earliest first; numbers per episode. */
  episodes: z.array(Episode),
  /** Numbers over the worst episode or the whole window (typed per code in src/diagnoses/evidence.ts). */
  evidence: Evidence,
  /** Id of the finding this one is a consequence of (shown under it, no advice of its own). */
  causedBy: z.string().optional(),
  /** Ids of the recommendations it proposed. */
  recommendations: z.array(z.string()),
  context: IncidentContext.optional(),
  /** Relative link to the doc page (`docs/findings/<CODE>.md`). */
  doc: z.string(),
});
export type Finding = z.infer<typeof Finding>;

export const NotEvaluated = z.object({ code: z.enum(FINDING_CODES), reason: z.string() });

export const ResultWarning = z.object({
  code: z.string(),
  message: z.string(),
  file: z.string().optional(),
  metric: z.string().optional(),
  count: z.number().optional(),
});

// ---------------------------------------------------------------------------------------------
// The whole Result. Numbers are plain JSON numbers; "unknown" is null, never 0.


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

export const ResultSchema = z.object({
  schemaVersion: z.literal(2),
  tool: z.object({ name: z.literal('vllm-tune'), version: z.string() }),
  name: z.string(),
  inputs: z.array(InputSummarySchema),
  inventory: InventorySchema,
  config: ConfigTimeline,
  slo: z.object({ profile: z.string(), ttftSeconds: z.number(), tbtSeconds: z.number(), e2eSeconds: z.number() }),
  latency: z.array(LatencyRow),
  throughput: z.array(ThroughputRow),
  capacity: z.array(CapacityRow),
  signals: z.array(Signal),
  findings: z.array(Finding),
  notEvaluated: z.array(NotEvaluated),
  anomalies: z.array(AnomalyEpisode),
  /** Whole-window latency decomposition per scope (when vLLM's phase histograms are present). */
  latencyDecomposition: z.array(LatencyDecomposition).optional(),
  correlations: z.array(CorrelationRow),
  recommendations: z.array(Recommendation),
  /** The primary recommendations as `vllm serve` blocks, one per set of replicas that share them. */
  serveBlocks: z.array(ServeBlock),
  /** GPU-profile breakdown (present when profiles were given). */
  gpu: GpuBreakdown.optional(),
  /** Which generated alert rules would have fired over the window, and when (src/alerts/). */
  alerts: AlertsSection.optional(),
  /** Load-generator results and their join with the server metrics (present when client files were given). */
  client: ClientSection.optional(),
  /** How requests finished (cut at their length limit, aborted, failed) and their length distributions (src/derive/quality-section.ts). */
  quality: QualitySection.optional(),
  /** Demand, headroom, growth and cost per model and configuration group (windows of a day or more, or --capacity; docs/capacity.md). */
  capacityReview: CapacityReview.optional(),
  charts: z.array(ChartRef),
  warnings: z.array(ResultWarning),
});
export type Result = z.infer<typeof ResultSchema>;
