// The schema of what the analysis concludes: signals and their episodes, findings with their incident
// context, recommendations, serve blocks and their predicted effects. Split out of result.ts (which
// re-exports every name); code moved, not changed.

import { z } from 'zod';
import { DETECTOR_IDS, FINDING_CODES, TUNABLE_SETTINGS } from './vocabulary.js';
import { REASON_KINDS } from './reasons.js';

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
    /** Why the replay's GPU was assumed (no DCGM series for the host, or no preset for its model); absent when read from the inputs. */
    assumedGpu: z.string().optional(),
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
