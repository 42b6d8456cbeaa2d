// "## Latency against the targets": the latency triad per replica against the use-case targets.

import type { LatencyRow, Result } from '../model/result.js';
import { duration, pct, table } from './format.js';
import { mdText as md } from './escape.js';

function latencyCells(r: LatencyRow): string[] {
  const verdict = r.verdict === 'breached' ? '**breached**' : r.verdict === 'met' ? 'met' : 'unknown';
  return [r.id === 'ttft' ? 'TTFT' : r.id === 'tbt' ? 'time between tokens' : 'end-to-end', md(r.scope), duration(r.p50Seconds), duration(r.p95Seconds), duration(r.p99Seconds), duration(r.targetSeconds), r.overTargetRatio === null ? '–' : pct(r.overTargetRatio), verdict];
}

export function renderLatencySection(result: Result): string[] {
  if (!result.latency.length) return [];
  const out: string[] = [];
  out.push(`## Latency against the ${md(result.slo.profile)} targets`, '');
  out.push(`Targets: TTFT ${duration(result.slo.ttftSeconds)}, time between tokens ${duration(result.slo.tbtSeconds)}, end-to-end ${duration(result.slo.e2eSeconds)} (p95 over the window, from the histogram buckets as PromQL \`histogram_quantile\` computes them).`, '');
  out.push(table(['latency', 'scope', 'p50', 'p95', 'p99', 'target', 'over target', 'verdict'], result.latency.map(latencyCells), ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l']));
  const caveats = result.latency.filter((r) => r.caveat);
  if (caveats.length) {
    out.push('');
    for (const r of caveats) out.push(`- ${r.id.toUpperCase()} ${md(r.scope)}: ${md(r.caveat!)}`);
  }
  out.push('');
  return out;
}
