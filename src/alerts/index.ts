// Library entry of the alert-rule work: the "would have fired" section of an analysis (the same rules
// `vllm-tune alerts` writes for these inputs, replayed on them), and the pieces the CLI uses.

import type { SloTargets } from '../derive/slo.js';
import type { AlertsSection } from '../model/alerts-result.js';
import type { MetricSet } from '../model/series.js';
import type { FindingLike } from './calibrate.js';
import { render } from './expr.js';
import { generateRules, type AlertGenOptions, type RuleSet } from './rules.js';

export { generateRules, recordingRules, type AlertGenOptions, type RuleSet } from './rules.js';
export { renderRulesYaml } from './yaml.js';
export { parseSelector } from './selector.js';

import { DEFAULT_ALERT_INTERVAL_SECONDS, DEFAULT_OBJECTIVE } from './defaults.js';
export { DEFAULT_ALERT_INTERVAL_SECONDS, DEFAULT_OBJECTIVE };

/** The Result section of a rule set. */
export function toAlertsSection(set: RuleSet): AlertsSection {
  return {
    evaluationIntervalSeconds: set.intervalSeconds,
    selector: set.selectorText,
    groupBy: set.groupBy,
    rules: set.alerts.map((a) => ({ alert: a.alert, kind: a.kind, severity: a.severity, expr: render(a.expr, 'rules'), forSeconds: a.forSeconds, calibration: a.calibration, firings: a.episodes.length, replayedFromSeconds: a.replayedFromSeconds })),
    firings: set.alerts
      .flatMap((a) => a.episodes.map((e) => ({ alert: a.alert, labels: { ...e.labels }, activeSinceSeconds: e.activeSinceSeconds, firingSinceSeconds: e.firingSinceSeconds, lastFiringSeconds: e.lastFiringSeconds, ongoingAtEnd: e.ongoingAtEnd, peakValue: e.peakValue })))
      .sort((x, y) => x.firingSinceSeconds - y.firingSinceSeconds || (x.alert < y.alert ? -1 : x.alert > y.alert ? 1 : 0)),
    notGenerated: set.notGenerated,
  };
}

/** "Which rules would have fired, and when": the default rule set for these inputs, replayed on them. */
export function alertsSection(metrics: MetricSet, findings: readonly FindingLike[], slo: SloTargets, o: Partial<AlertGenOptions> = {}): AlertsSection {
  return alertsReplay(metrics, findings, slo, o).section;
}

/**
 * alertsSection, with the finding codes its calibration asked the history about (null when rule
 * generation failed): see replayWithoutFindingsHolds.
 */
export function alertsReplay(metrics: MetricSet, findings: readonly FindingLike[], slo: SloTargets, o: Partial<AlertGenOptions> = {}): { section: AlertsSection; historyCodes: string[] | null } {
  let set: RuleSet;
  try {
    set = rulesFor(metrics, findings, slo, o);
  } catch (e) {
    // Like a failing detector: the rest of the report still renders, and this says why the section is empty.
    return { section: { evaluationIntervalSeconds: o.intervalSeconds ?? DEFAULT_ALERT_INTERVAL_SECONDS, selector: o.selectorText ?? null, groupBy: [], rules: [], firings: [], notGenerated: [{ kind: 'all', reason: `rule generation failed: ${(e as Error).message}` }] }, historyCodes: null };
  }
  return { section: toAlertsSection(set), historyCodes: set.historyCodes };
}

/**
 * Whether the replay made without findings (`alertsReplay(metrics, [], …)`, which asked the history
 * about `historyCodes`) is also the replay for `findings`. The findings reach the rules only through
 * the history (alerts/calibrate.ts History): with no episode window among them, every healthy-baseline
 * question has the same answer; with none of the codes asked about, so has every incident question —
 * so the calibration, and everything after it, runs the same way. (An analysis worker replays the
 * rules before the findings are known: analysis/threads.ts.)
 */
export function replayWithoutFindingsHolds(findings: readonly FindingLike[], historyCodes: readonly string[] | null): boolean {
  return historyCodes !== null && findings.every((f) => !f.window && !historyCodes.includes(f.code));
}

function rulesFor(metrics: MetricSet, findings: readonly FindingLike[], slo: SloTargets, o: Partial<AlertGenOptions>): RuleSet {
  return generateRules(metrics, findings, {
    matchers: o.matchers ?? [],
    selectorText: o.selectorText ?? null,
    ...(o.groupBy ? { groupBy: o.groupBy } : {}),
    intervalSeconds: o.intervalSeconds ?? DEFAULT_ALERT_INTERVAL_SECONDS,
    slo: { ttftSeconds: slo.ttftSeconds, tbtSeconds: slo.tbtSeconds, e2eSeconds: slo.e2eSeconds },
    objective: o.objective ?? DEFAULT_OBJECTIVE,
    ...(o.progress ? { progress: o.progress } : {}),
  });
}
