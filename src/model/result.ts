// The Result is the contract between the engine and every output: the JSON output is the Result
// itself (validated by this schema), and Markdown/SVG are rendered from it.

import { z } from 'zod';

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;

export const Evidence = z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()]));
export type Evidence = z.infer<typeof Evidence>;

export const SignalStatus = z.enum(['ok', 'issue', 'insufficient-data', 'error']);

/** A detector's verdict on one symptom. */
export const Signal = z.object({
  id: z.string(),
  status: SignalStatus,
  /** For `insufficient-data` and `error`: why. */
  reason: z.string().optional(),
  /** Flat record of numbers and strings, units in the keys. */
  evidence: Evidence,
  /** Replica the signal concerns (label summary), when per-replica. */
  scope: z.string().optional(),
});
export type Signal = z.infer<typeof Signal>;

export const Confidence = z.enum(['low', 'medium', 'high']);

export const Recommendation = z.object({
  /** vLLM setting name as in `vllm serve` flags without dashes, e.g. `max_num_seqs`. */
  setting: z.string(),
  /** Current value, or null when unknown. */
  from: z.union([z.number(), z.string(), z.boolean(), z.null()]),
  to: z.union([z.number(), z.string(), z.boolean()]),
  /** Names the measured numbers behind `to`. */
  because: z.string(),
  expectedEffect: z.string().optional(),
  risk: z.string().optional(),
  confidence: Confidence,
  /** Finding code(s) that asked for it. */
  findings: z.array(z.string()).optional(),
});
export type Recommendation = z.infer<typeof Recommendation>;

export const TimeWindow = z.object({ startSeconds: z.number(), endSeconds: z.number() });

export const Finding = z.object({
  code: z.string(),
  title: z.string(),
  severity: Severity,
  summary: z.string(),
  /** Replica(s) concerned, or "fleet". */
  scope: z.string(),
  window: TimeWindow.optional(),
  evidence: Evidence,
  recommendations: z.array(Recommendation),
  /** Relative link to the doc page (`docs/findings/<CODE>.md`). */
  doc: z.string(),
});
export type Finding = z.infer<typeof Finding>;

export const NotEvaluated = z.object({ code: z.string(), reason: z.string() });

export const ResultWarning = z.object({
  code: z.string(),
  message: z.string(),
  file: z.string().optional(),
  metric: z.string().optional(),
  count: z.number().optional(),
});
