// The result of `vllm-tune compare` (issue 14 §3): two windows analysed alike, the change of each metric
// per replica with a significance test on per-bin values, the findings resolved / new / persisting, the
// configuration changes between the two, and a structured verdict. Numbers and codes only; the Markdown
// (src/report/compare-markdown.ts) makes the sentences. The JSON output is this object.

import { z } from 'zod';
import { FINDING_CODES } from './vocabulary.js';
import { InputSummarySchema, ResultWarning, Severity } from './result.js';

const num = z.number().nullable();

export const FindingRef = z.object({ id: z.string(), code: z.enum(FINDING_CODES), scope: z.string(), replicas: z.array(z.string()), severity: Severity, causedBy: z.string().optional() });
export type FindingRef = z.infer<typeof FindingRef>;

export const CompareSide = z.object({
  inputs: z.array(InputSummarySchema),
  startSeconds: z.number(),
  endSeconds: z.number(),
  replicas: z.array(z.string()),
  findings: z.array(FindingRef),
  warnings: z.array(ResultWarning),
});
export type CompareSide = z.infer<typeof CompareSide>;

export const MetricId = z.enum(['requests-per-second', 'prompt-tokens-per-second', 'output-tokens-per-second', 'ttft-p95', 'tbt-p95', 'e2e-p95', 'waiting', 'preemptions-per-second', 'kv-usage', 'running', 'gpu-util']);
export type MetricId = z.infer<typeof MetricId>;

/**
 * Welch's test on block means of ln(value + floor) per bin (docs/capacity.md, "Compare"): the ratio of
 * the two sides' geometric means (after ÷ before) with its 95 % interval and the two-sided p.
 */
export const BinTest = z.object({
  beforeBins: z.number(),
  afterBins: z.number(),
  /** Bins per block on each side (the AR(1) rule on the detrended logs), and the blocks the test saw. */
  beforeBlockBins: z.number(),
  afterBlockBins: z.number(),
  beforeBlocks: z.number(),
  afterBlocks: z.number(),
  /** Added before the log so that zeros count (the metric's resolution: one event per bin, 1 ms, 1 request …). */
  floor: z.number(),
  ratio: z.number(),
  ratioLow: z.number(),
  ratioHigh: z.number(),
  df: z.number(),
  p: z.number(),
});
export type BinTest = z.infer<typeof BinTest>;

export const MetricChange = z.object({
  metric: MetricId,
  scope: z.string(),
  unit: z.string(),
  /** Which way is better (`neutral`: depends on the traffic; reported, never judged). */
  direction: z.enum(['lower-better', 'higher-better', 'neutral']),
  /** Over each whole side: a rate (total ÷ duration), a gauge mean, or a p95 of the pooled histogram. */
  before: num,
  after: num,
  change: num,
  relativeChange: num,
  test: BinTest.nullable(),
  /** The test says the per-bin means differ (p < 0.05). */
  significant: z.boolean(),
  /** `not-significant`: the whole-side values differ by MIN_RELATIVE_CHANGE or more (or 0 → more) but the per-bin test does not confirm it. */
  assessment: z.enum(['improved', 'regressed', 'unchanged', 'changed', 'gone', 'appeared', 'not-significant', 'not-compared']),
  /** For regressions: critical when a latency p95 met its target before and breaks it after. */
  severity: z.enum(['warning', 'critical']).optional(),
  targetSeconds: num.optional(),
});
export type MetricChange = z.infer<typeof MetricChange>;

export const ConfigChange = z.object({
  replica: z.string(),
  setting: z.string(),
  before: z.union([z.string(), z.number(), z.boolean()]).nullable(),
  after: z.union([z.string(), z.number(), z.boolean()]).nullable(),
  beforeSource: z.string().nullable(),
  afterSource: z.string().nullable(),
  /** The value changed inside one side (a redeploy during the window) rather than between the two. */
  within: z.enum(['before', 'after']).optional(),
});
export type ConfigChange = z.infer<typeof ConfigChange>;

export const Regression = z.object({ kind: z.enum(['metric', 'finding']), id: z.string(), scope: z.string(), severity: Severity });
export type Regression = z.infer<typeof Regression>;

export const CompareResultSchema = z.object({
  schemaVersion: z.literal(1),
  tool: z.object({ name: z.literal('vllm-tune'), version: z.string() }),
  kind: z.literal('compare'),
  name: z.string(),
  /** `--split` time when one input was cut in two. */
  splitSeconds: num,
  slo: z.object({ profile: z.string(), ttftSeconds: z.number(), tbtSeconds: z.number(), e2eSeconds: z.number() }),
  method: z.object({ binSeconds: z.number(), alpha: z.number(), minRelativeChange: z.number(), minBinObservations: z.number() }),
  before: CompareSide,
  after: CompareSide,
  /** Replicas in only one of the two (not compared per replica). */
  onlyBefore: z.array(z.string()),
  onlyAfter: z.array(z.string()),
  metrics: z.array(MetricChange),
  findings: z.object({
    resolved: z.array(FindingRef),
    new: z.array(FindingRef),
    persisting: z.array(z.object({ before: FindingRef, after: FindingRef, severity: z.enum(['better', 'same', 'worse']) })),
  }),
  configChanges: z.array(ConfigChange),
  verdict: z.object({
    outcome: z.enum(['improved', 'regressed', 'mixed', 'unchanged']),
    /** Fleet metrics that improved / regressed / were gone (ids), and the throughput assessment. */
    improved: z.array(MetricId),
    regressed: z.array(MetricId),
    throughput: z.enum(['unchanged', 'up', 'down', 'unknown']),
  }),
  /** What `--fail-on` reads: metric regressions and new or worsened findings, with their severity. */
  regressions: z.array(Regression),
});
export type CompareResult = z.infer<typeof CompareResultSchema>;
