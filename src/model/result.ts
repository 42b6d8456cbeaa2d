// The Result is the contract between the engine and every output: the JSON output is the Result
// itself (validated by this schema), and Markdown/SVG are rendered from it.
//
// The findings/recommendations schema is in result-findings.ts, the measured sections in
// result-sections.ts; both are re-exported here, so every name imports from this module.

import { z } from 'zod';
import { GpuBreakdown } from './gpu-result.js';
import { ConfigTimeline } from './config-timeline.js';
import { AlertsSection } from './alerts-result.js';
import { ClientSection } from './client-result.js';
import { QualitySection } from './quality-result.js';
import { CapacityReview } from './capacity-result.js';
import { Finding, NotEvaluated, Recommendation, ServeBlock, Signal } from './result-findings.js';
import { AnomalyEpisode, CapacityRow, ChartRef, CorrelationRow, InputSummarySchema, InventorySchema, LatencyDecomposition, LatencyRow, ResultWarning, ThroughputRow } from './result-sections.js';

export * from './result-findings.js';
export * from './result-sections.js';

// ---------------------------------------------------------------------------------------------
// The whole Result. Numbers are plain JSON numbers; "unknown" is null, never 0.

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
