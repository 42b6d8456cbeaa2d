// The rule set as a Prometheus rules file (YAML), with the calibration as comments. Expressions are
// block scalars (`|-`), so PromQL needs no YAML escaping; annotation strings are JSON strings, which
// YAML reads as double-quoted scalars.

import { formatDuration, render } from './expr.js';
import { recordingRules, type RuleSet } from './rules.js';

function comment(text: string, indent: string): string {
  return `${indent}# ${text.replace(/[\r\n]+/g, ' ')}`;
}

export function renderRulesYaml(set: RuleSet, meta: { version: string; inputs: readonly string[] }): string {
  const out: string[] = [];
  out.push(comment(`Prometheus rules written by vllm-tune ${meta.version} (vllm-tune alerts); what each rule means: docs/alerts.md`, ''));
  out.push(comment(`inputs: ${meta.inputs.join(', ')}`, ''));
  for (const h of set.header) out.push(comment(h, ''));
  out.push(comment('check with: promtool check rules <this file>', ''));
  out.push('groups:');
  out.push('  - name: vllm-tune');
  out.push(`    interval: ${formatDuration(set.intervalSeconds)}`);
  out.push('    rules:');
  const ind = '      ';
  const recs = recordingRules(set);
  if (recs.length) out.push(comment('recording rules: share of requests over each latency target, per rate window', ind));
  for (const r of recs) {
    out.push(`${ind}- record: ${r.name}`);
    out.push(`${ind}  expr: |-`);
    out.push(`${ind}    ${render(r.expr, 'rules')}`);
  }
  for (const a of set.alerts) {
    out.push(comment(`${a.alert} (${a.kind}, ${a.severity})`, ind));
    for (const line of a.calibration) out.push(comment(line, ind));
    out.push(`${ind}- alert: ${a.alert}`);
    out.push(`${ind}  expr: |-`);
    out.push(`${ind}    ${render(a.expr, 'rules')}`);
    if (a.forSeconds > 0) out.push(`${ind}  for: ${formatDuration(a.forSeconds)}`);
    out.push(`${ind}  labels:`);
    out.push(`${ind}    severity: ${a.severity}`);
    out.push(`${ind}  annotations:`);
    out.push(`${ind}    summary: ${JSON.stringify(a.summary)}`);
    out.push(`${ind}    description: ${JSON.stringify(a.description)}`);
  }
  if (!set.alerts.length) out.push(`${ind}[]`);
  for (const n of set.notGenerated) out.push(comment(`not written: ${n.kind}: ${n.reason}`, ''));
  return `${out.join('\n')}\n`;
}
