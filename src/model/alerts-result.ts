// What the alert-rule evaluation hands to the report ("Which alert rules would have fired, and when").
// Built by src/alerts/ from the same expression trees that `vllm-tune alerts` writes as Prometheus rules.

import { z } from 'zod';

/** One generated alerting rule and how it behaved over the analysed window. */
export const AlertRuleResult = z.object({
  /** Prometheus `alert:` name, e.g. `VllmKvCachePressure`. */
  alert: z.string(),
  /** What it stands for: `kv-pressure`, `queue-buildup`, `ttft-burn-page`, … (see docs/alerts.md). */
  kind: z.string(),
  /** `labels.severity` of the rule: `page` or `ticket`. */
  severity: z.enum(['page', 'ticket']),
  /** The rule's `expr:` exactly as written to the rules file (recording rules referenced by name). */
  expr: z.string(),
  forSeconds: z.number(),
  /** Calibration of threshold and `for:` on the history, one line each (also the YAML comments). */
  calibration: z.array(z.string()),
  /** Firing episodes over the window. */
  firings: z.number(),
  /**
   * First evaluation from which the data covers the rule's range windows (partial windows are not
   * replayed); null when the data is shorter than the rule needs, so "never fired" means nothing.
   */
  replayedFromSeconds: z.number().nullable(),
});
export type AlertRuleResult = z.infer<typeof AlertRuleResult>;

/** One episode in which an alert would have fired, for one label set (one replica). */
export const AlertFiring = z.object({
  alert: z.string(),
  /** The alert's labels after aggregation (the grouping labels, e.g. instance). */
  labels: z.record(z.string(), z.string()),
  /** First evaluation at which the expression returned this label set (pending). */
  activeSinceSeconds: z.number(),
  /** First evaluation at which it was firing (active for at least `for:`). */
  firingSinceSeconds: z.number(),
  /** Last evaluation at which it was still firing. */
  lastFiringSeconds: z.number(),
  /** Still firing at the last evaluation of the window. */
  ongoingAtEnd: z.boolean(),
  /** Largest value of the expression while firing. */
  peakValue: z.number().nullable(),
});
export type AlertFiring = z.infer<typeof AlertFiring>;

export const AlertsSection = z.object({
  /** Rule-group evaluation interval the rules were written (and evaluated here) for. */
  evaluationIntervalSeconds: z.number(),
  /** Label matchers added to every selector (`--selector`), or null. */
  selector: z.string().nullable(),
  /** Labels every alert is grouped by (one alert per replica). */
  groupBy: z.array(z.string()),
  rules: z.array(AlertRuleResult),
  firings: z.array(AlertFiring),
  /** Alerts that could not be written for these inputs, with the reason (e.g. a metric is absent). */
  notGenerated: z.array(z.object({ kind: z.string(), reason: z.string() })),
});
export type AlertsSection = z.infer<typeof AlertsSection>;
