// The rule generator: from the inputs' series (their metric names as stored, their labels) and the
// analysis' findings, the Prometheus recording and alerting rules for every diagnosis PromQL can
// express, each calibrated on the history (calibrate.ts) and replayed on it (evaluate.ts).
//
// Doctrine (docs/alerts.md): symptom alerts page (latency error-budget burn, SRE workbook ch. 5);
// cause alerts open a ticket (KV pressure with preemptions, queue, prefix-cache hit rate, memory
// growth, restarts, GPU under-use, the shares of answers cut at length and of requests aborted), so
// nobody is woken twice for one incident.
//
// The shared context and helpers are in rules-context.ts, the burn (symptom) alerts in rules-burn.ts,
// the cause alerts in rules-causes.ts; this module assembles them and keeps the public names.

import { fmtDuration, type FindingLike } from './calibrate.js';
import type { MetricSet } from '../model/series.js';
import { recordsOf, type Expr } from './expr.js';
import { burnAlerts } from './rules-burn.js';
import { gaugeAbove, gpuUnderuse, kvPressure, memoryGrowth, prefixCache, restarts, shareRise } from './rules-causes.js';
import { Ctx, fmtSec, pctFmt, type AlertGenOptions, type GeneratedAlert, type Out, type RuleSet } from './rules-context.js';

export { MAX_RULE_EVALUATIONS, commonLabels, leMatcher, type AlertGenOptions, type GeneratedAlert, type RuleSet } from './rules-context.js';
export { BURN_WINDOWS } from './rules-burn.js';

/** Every rule the inputs allow, calibrated on them and replayed over them. */
export function generateRules(metrics: MetricSet, findings: readonly FindingLike[], o: AlertGenOptions): RuleSet {
  const c = new Ctx(metrics, findings, o);
  const results: Out[] = [
    ...burnAlerts(c),
    kvPressure(c),
    gaugeAbove(c, {
      kind: 'queue-buildup',
      alert: 'VllmQueueBuildup',
      metric: 'vllm:num_requests_waiting',
      codes: ['QUEUE_BUILDUP', 'PREFILL_STARVATION'],
      defaultFor: 600,
      summary: 'vLLM requests queueing',
      description: '{{ $value | humanize }} requests waiting to be scheduled. See docs/findings/QUEUE_BUILDUP.md.',
      what: 'the 5m average of waiting requests',
    }),
    gaugeAbove(c, {
      kind: 'kv-swapping',
      alert: 'VllmKvSwapping',
      metric: 'vllm:num_requests_swapped',
      codes: ['KV_SWAPPING'],
      defaultFor: 300,
      summary: 'vLLM swapping KV blocks to CPU',
      description: '{{ $value | humanize }} requests swapped to CPU memory (v0 engine). See docs/findings/KV_SWAPPING.md.',
      what: 'the 5m average of swapped requests',
    }),
    prefixCache(c),
    ...memoryGrowth(c),
    restarts(c),
    gpuUnderuse(c),
    shareRise(c, {
      kind: 'truncation-rise',
      alert: 'VllmTruncationRise',
      reasons: ['length'],
      codes: ['TRUNCATION_RISE'],
      // The smallest rise TRUNCATION_RISE reports (docs/quality.md); 10% uncalibrated (healthy chat cuts ≈ 2%).
      rise: 0.05,
      fallback: 0.1,
      defaultFor: 600,
      summary: 'vLLM answers cut at their length limit',
      description: '{{ $value | humanizePercentage }} of the requests finished in the last 15 minutes ended at max_tokens or max_model_len (finished_reason="length"): answers cut mid-sentence. See docs/findings/TRUNCATION_RISE.md.',
      what: 'the 15m share of requests finished by "length"',
    }),
    shareRise(c, {
      kind: 'abort-rise',
      alert: 'VllmAbortRise',
      reasons: ['abort', 'error'],
      codes: ['ABORT_RISE'],
      // The smallest rise ABORT_RISE reports (docs/quality.md); 5% uncalibrated.
      rise: 0.02,
      fallback: 0.05,
      defaultFor: 300,
      summary: 'vLLM requests ending without an answer',
      description: '{{ $value | humanizePercentage }} of the requests finished in the last 15 minutes were aborted or failed (finished_reason "abort" or "error"); many vLLM V1 versions do not count client aborts at all. See docs/findings/ABORT_RISE.md.',
      what: 'the 15m share of requests finished by "abort" or "error"',
    }),
  ];
  const alerts = results.filter((r): r is GeneratedAlert => 'alert' in r);
  const notGenerated = results.filter((r): r is { kind: string; reason: string } => !('alert' in r));
  const header = [
    `latency targets: TTFT ${fmtSec(o.slo.ttftSeconds)}, time between tokens ${fmtSec(o.slo.tbtSeconds)}, end-to-end ${fmtSec(o.slo.e2eSeconds)}; objective ${pctFmt(o.objective)} of requests within each`,
    `grouped by ${c.groupBy.length ? c.groupBy.join(', ') : 'nothing (fleet-wide)'}${o.groupBy ? ' (--group-by)' : ' (the replica labels every vLLM series in the inputs carries)'}`,
    `selector: ${o.selectorText ?? 'none'}`,
    c.times.length
      ? `calibrated on ${new Date(c.dataStart * 1000).toISOString().replace('.000Z', 'Z')} .. ${new Date(c.dataEnd * 1000).toISOString().replace('.000Z', 'Z')} (${fmtDuration(c.dataEnd - c.dataStart)}), replayed every ${fmtDuration(o.intervalSeconds)}`
      : 'no history to calibrate on (a single scrape, or less than one evaluation interval): default thresholds and for:, nothing replayed',
  ];
  return { intervalSeconds: o.intervalSeconds, selectorText: o.selectorText, groupBy: c.groupBy, alerts, notGenerated, header, historyCodes: [...c.h.asked].sort() };
}

/** The recording rules the alerts use, each once, in dependency order. */
export function recordingRules(set: RuleSet): { name: string; expr: Expr }[] {
  const out: { name: string; expr: Expr }[] = [];
  for (const a of set.alerts) for (const r of recordsOf(a.expr)) if (!out.some((x) => x.name === r.name)) out.push(r);
  return out;
}
