// The symptom alerts: latency error-budget burn per latency target (multi-window, multi-burn-rate,
// SRE workbook ch. 5), pages and tickets. Split out of rules.ts; code moved, not changed.

import type { SloTargets } from '../derive/slo.js';
import { histogramParts } from '../model/metric-catalog.js';
import type { MetricSet } from '../model/series.js';
import type { Vec } from './evaluate.js';
import { and, anyOf, arith, cmp, formatDuration, record, type Expr } from './expr.js';
import { Ctx, finish, fmtSec, leMatcher, pctFmt, who, type Out } from './rules-context.js';

/** SRE workbook table 5-8 (30-day SLO period): (long, short, burn factor). */
export const BURN_WINDOWS = {
  page: [
    { long: 3600, short: 300, factor: 14.4 },
    { long: 6 * 3600, short: 1800, factor: 6 },
  ],
  ticket: [
    { long: 86400, short: 2 * 3600, factor: 3 },
    { long: 3 * 86400, short: 6 * 3600, factor: 1 },
  ],
} as const;

const LATENCY = [
  { id: 'ttft', name: 'Ttft', metric: 'vllm:time_to_first_token_seconds', words: 'time to first token', target: (s: SloTargets) => s.ttftSeconds },
  { id: 'tbt', name: 'Tbt', metric: 'vllm:inter_token_latency_seconds', words: 'time between tokens', target: (s: SloTargets) => s.tbtSeconds },
  { id: 'e2e', name: 'E2e', metric: 'vllm:e2e_request_latency_seconds', words: 'end-to-end latency', target: (s: SloTargets) => s.e2eSeconds },
] as const;

/** Bucket bounds of a histogram in the inputs, ascending and finite. */
function bucketBounds(metrics: MetricSet, base: string): number[] {
  const set = new Set<number>();
  for (const s of metrics.get(histogramParts(base).bucket)) {
    const le = Number(s.labels.le);
    if (Number.isFinite(le)) set.add(le);
  }
  return [...set].sort((a, b) => a - b);
}

function maxOf(vec: Vec): { value: number; at: number } | null {
  let best: { value: number; at: number } | null = null;
  for (const el of vec.values()) for (let i = 0; i < el.v.length; i++) if (el.has[i] && Number.isFinite(el.v[i]) && (!best || el.v[i] > best.value)) best = { value: el.v[i], at: i };
  return best;
}

export function burnAlerts(c: Ctx): Out[] {
  const out: Out[] = [];
  const budget = Number((1 - c.o.objective).toPrecision(12));
  for (const l of LATENCY) {
    const base = l.metric;
    const bucket = histogramParts(base).bucket;
    if (!c.series(bucket).length) {
      out.push({ kind: `${l.id}-burn`, reason: `${base}_bucket is not in the inputs` });
      continue;
    }
    const target = l.target(c.o.slo);
    const bounds = bucketBounds(c.metrics, base);
    const le = [...bounds].reverse().find((b) => b <= target + 1e-12);
    if (le === undefined) {
      out.push({ kind: `${l.id}-burn`, reason: `the ${l.words} target ${fmtSec(target)} is below the smallest bucket bound (${fmtSec(bounds[0])})` });
      continue;
    }
    const G = c.groupBy;
    const windows = [...new Set([...BURN_WINDOWS.page, ...BURN_WINDOWS.ticket].flatMap((w) => [w.long, w.short]))].sort((a, b) => a - b);
    const rec = new Map<number, Expr>();
    for (const w of windows) {
      const good = c.rate(bucket, w, G, [leMatcher(le)], '_bucket', '_bucket');
      const all = c.rate(bucket, w, G, [], '_bucket', '_count');
      rec.set(w, record(`vllm_tune:${l.id}_over_target:ratio_rate${formatDuration(w)}`, arith('-', 1, arith('/', good, all))));
    }
    const calib: string[] = [
      `SLI: share of requests with ${l.words} above ${fmtSec(le)} (vLLM histogram ${c.names(bucket, '_bucket').join(' / ')}, bucket le=${fmtSec(le)}${le !== target ? `, the largest bound not above the ${fmtSec(target)} target` : ''})`,
      `objective ${pctFmt(c.o.objective)} of requests within target, so the error budget is ${pctFmt(budget)}; burn factors and windows from the SRE workbook (30-day period), not from the history`,
    ];
    // What the history burned, per window.
    const maxBurn: string[] = [];
    for (const w of windows) {
      const m = maxOf(c.evaluate(rec.get(w)!));
      maxBurn.push(`${formatDuration(w)} ${m ? `${Number((m.value / budget).toPrecision(3))}×` : 'n/a'}`);
    }
    calib.push(`highest burn rate on this history per window: ${maxBurn.join(', ')} (n/a: the data is shorter than the window)`);
    for (const sev of ['page', 'ticket'] as const) {
      const pairs = BURN_WINDOWS[sev].filter((p) => p.factor * budget < 1);
      const skipped = BURN_WINDOWS[sev].filter((p) => p.factor * budget >= 1);
      if (!pairs.length) {
        out.push({ kind: `${l.id}-burn-${sev}`, reason: `every ${sev} burn factor × the ${pctFmt(budget)} budget is ≥ 100%: such an alert could never fire` });
        continue;
      }
      const parts = pairs.map((p) => and(cmp('>', rec.get(p.long)!, burnThreshold(p.factor, budget)), cmp('>', rec.get(p.short)!, burnThreshold(p.factor, budget))));
      const expr = anyOf(parts);
      const lines = [...calib, `fires when ${pairs.map((p) => `the ${formatDuration(p.long)} and ${formatDuration(p.short)} error ratios both exceed ${p.factor} × ${pctFmt(budget)} = ${pctFmt(p.factor * budget)}`).join(', or ')}`];
      if (skipped.length) lines.push(`left out: ${skipped.map((p) => `${formatDuration(p.long)}/${formatDuration(p.short)} at ${p.factor}× (would need more than 100% errors)`).join(', ')}`);
      lines.push(`for 0s: the short window already makes the alert stop soon after the burn stops (SRE workbook)`);
      out.push(
        finish(
          c,
          {
            kind: `${l.id}-burn-${sev}`,
            alert: `Vllm${l.name}BudgetBurn${sev === 'page' ? 'Fast' : 'Slow'}`,
            severity: sev,
            expr,
            forSeconds: 0,
            summary: `vLLM ${l.words} error budget burning ${sev === 'page' ? 'fast' : 'steadily'} on ${who(G)}`,
            description: `{{ $value | humanizePercentage }} of requests took longer than ${fmtSec(le)} (${l.words}) over ${formatDuration(pairs[0].long)}; the objective allows ${pctFmt(budget)}.`,
            calibration: lines,
          },
          ['LATENCY_SLO_BREACH'],
        ),
      );
    }
  }
  return out;
}
/** The error ratio a burn factor stands for, without binary noise (14.4 × 0.05 = 0.72, not 0.7200000000000006). */
function burnThreshold(factor: number, budget: number): number {
  return Number((factor * budget).toPrecision(12));
}
