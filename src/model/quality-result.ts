// Quality signals from the metrics (src/derive/quality-section.ts): how requests finished — cut at
// their length limit, aborted, failed — and the prompt and output length distributions, per scope,
// over the window and recent vs earlier. For a single scrape every number is cumulative since each
// process started (`sinceProcessStart`).

import { z } from 'zod';

const num = z.number().nullable();

export const LengthStats = z.object({
  requests: num,
  mean: num,
  p50: num,
  p95: num,
});
export type LengthStats = z.infer<typeof LengthStats>;

/** The recent stretch (last day, or second half) against the rest of the window. */
export const RecentQuality = z.object({
  earlierStartSeconds: z.number(),
  recentStartSeconds: z.number(),
  endSeconds: z.number(),
  truncatedEarlierRatio: num,
  truncatedRecentRatio: num,
  /** Pooled two-proportion z of the change (positive: a rise). */
  truncatedZ: num,
  abortedEarlierRatio: num,
  abortedRecentRatio: num,
  abortedZ: num,
  /** Population stability index of the length histograms, earlier vs recent. */
  promptPsi: num,
  outputPsi: num,
  promptMeanEarlier: num,
  promptMeanRecent: num,
  outputMeanEarlier: num,
  outputMeanRecent: num,
});
export type RecentQuality = z.infer<typeof RecentQuality>;

export const QualityRow = z.object({
  scope: z.string(),
  finished: num,
  /** Finished requests by vLLM's finished_reason label (stop, length, abort, error, repetition). */
  byReason: z.array(z.object({ reason: z.string(), requests: z.number() })),
  /** Share of finished requests cut at max_tokens or max_model_len (`length`). */
  truncatedRatio: num,
  /** … aborted (`abort`), failed (`error`). */
  abortedRatio: num,
  erroredRatio: num,
  prompt: LengthStats,
  output: LengthStats,
  /** Mean max_tokens the clients sent (vllm:request_params_max_tokens). */
  maxTokensMean: num,
  recent: RecentQuality.nullable(),
});
export type QualityRow = z.infer<typeof QualityRow>;

export const QualitySection = z.object({
  /** A single scrape: totals and distributions are cumulative since each process started. */
  sinceProcessStart: z.boolean(),
  rows: z.array(QualityRow),
  /**
   * What to read with care, as codes the report explains: `since-process-start`, `abort-not-counted`
   * (abort series at 0 while requests finished: many vLLM V1 versions do not count client aborts),
   * `no-finished-reason` (the success counter has no finished_reason label), `no-length-histograms`.
   */
  caveats: z.array(z.string()),
});
export type QualitySection = z.infer<typeof QualitySection>;
