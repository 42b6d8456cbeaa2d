// The "Latency against the targets" section: window-wide quantiles (with their bucket when it is wide),
// the p95 per 5-minute window against the target, error-budget burn rates and the alert spans of the
// SRE workbook's multi-window method, and the caveats computed in derive. Pure: Result in, Markdown out.

import type { LatencyRow, QuantileBucket, Result } from '../model/result.js';
import { duration, num, pct, table, time } from './format.js';
import { mdText as md } from './escape.js';

const NAME = { ttft: 'TTFT', tbt: 'time between tokens', e2e: 'end-to-end' } as const;

/** A quantile, with its bucket's bounds when the bucket is too wide to trust the interpolated value. */
export function quantileCell(value: number | null, bucket: QuantileBucket | undefined): string {
  if (value === null) return '–';
  if (!bucket || !bucket.wide) return duration(value);
  if (bucket.upperSeconds === null) return `> ${duration(bucket.lowerSeconds)}`;
  if (bucket.lowerSeconds <= 0) return `${duration(value)} (≤ ${duration(bucket.upperSeconds)})`;
  return `${duration(value)} (${duration(bucket.lowerSeconds)}–${duration(bucket.upperSeconds)})`;
}

function windowLabel(s: number): string {
  return s % 3600 === 0 ? `${s / 3600} h` : `${Math.round(s / 60)} m`;
}

function burnAt(r: LatencyRow, windowSeconds: number): string {
  const b = r.burn?.rates.find((x) => x.windowSeconds === windowSeconds);
  if (!b || b.maxBurnRate === null) return '–';
  if (b.maxBurnRate === 0) return '0';
  return `${num(b.maxBurnRate)}× at ${time(b.atSeconds!).slice(11)}`;
}

function verdictCell(r: LatencyRow, rows: LatencyRow[]): string {
  if (r.verdict !== 'breached') return r.verdict === 'met' ? 'met' : 'unknown';
  // End-to-end over target with TTFT and TBT met on the same scope: the requests were long (end-to-end
  // ≈ TTFT + output tokens × TBT), not the server slow (LATENCY_SLO_BREACH says so, as information).
  const peers = rows.filter((x) => x.scope === r.scope && x.id !== 'e2e');
  if (r.id === 'e2e' && peers.length === 2 && peers.every((x) => x.verdict === 'met')) return '**breached** (TTFT and TBT met: long requests)';
  return '**breached**';
}

export function renderLatencySection(result: Result): string {
  const rows = result.latency;
  if (!rows.length) return '';
  const out: string[] = [];
  out.push(`## Latency against the ${md(result.slo.profile)} targets`);
  out.push('');
  out.push(
    `Targets: TTFT ${duration(result.slo.ttftSeconds)}, time between tokens ${duration(result.slo.tbtSeconds)}, end-to-end ${duration(result.slo.e2eSeconds)} (p95 over the window, from the histogram buckets as PromQL \`histogram_quantile\` computes them; a value in a wide bucket is shown with the bucket's bounds).`,
  );
  out.push('');
  out.push(
    table(
      ['latency', 'scope', 'p50', 'p95', 'p99', 'target', 'over target', 'verdict'],
      rows.map((r) => [NAME[r.id], md(r.scope), quantileCell(r.p50Seconds, r.p50Bucket), quantileCell(r.p95Seconds, r.p95Bucket), quantileCell(r.p99Seconds, r.p99Bucket), duration(r.targetSeconds), r.overTargetRatio === null ? '–' : pct(r.overTargetRatio), verdictCell(r, rows)]),
      ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    ),
  );
  const timed = rows.filter((r) => r.windows || r.burn);
  if (timed.length) {
    const W = timed.find((r) => r.windows)?.windows?.windowSeconds ?? 300;
    const burnWindows = [...new Set(timed.flatMap((r) => r.burn?.rates.map((x) => x.windowSeconds) ?? []))].sort((a, b) => a - b);
    out.push('');
    out.push(
      `Over time: the p95 of every ${windowLabel(W)} window (one per grid step) against the target, and error-budget burn rates — the share of requests over the target divided by the 5 % a p95 target allows, over trailing windows (1× spends the budget exactly; the SRE workbook pages when both the 1 h and the 5 m rate exceed 14.4, and opens a ticket when both the 6 h and the 30 m exceed 6).`,
    );
    out.push('');
    out.push(
      table(
        ['latency', 'scope', `${windowLabel(W)} windows over target`, `worst ${windowLabel(W)} p95`, 'worst window', ...burnWindows.map((w) => `max burn ${windowLabel(w)}`)],
        timed.map((r) => {
          const w = r.windows;
          return [
            NAME[r.id],
            md(r.scope),
            w && w.overTargetRatio !== null ? `${pct(w.overTargetRatio)} (${duration(w.overTargetSeconds)})` : '–',
            w?.worst ? quantileCell(w.worst.p95Seconds, w.worst.bucket) : '–',
            w?.worst ? `${time(w.worst.startSeconds)} → ${time(w.worst.endSeconds).slice(11)}` : '–',
            ...burnWindows.map((x) => burnAt(r, x)),
          ];
        }),
        ['l', 'l', 'r', 'r', 'l', ...burnWindows.map(() => 'r' as const)],
      ),
    );
    const lines: string[] = [];
    const dataEnd = result.inventory?.window?.endSeconds;
    const notEvaluated = new Set<string>();
    for (const r of timed) {
      for (const a of r.burn?.alerts ?? []) {
        const what = `${a.name === 'fast' ? 'fast-burn page' : 'slow-burn ticket'} (${windowLabel(a.longWindowSeconds)} and ${windowLabel(a.shortWindowSeconds)} burn > ${num(a.factor)})`;
        if (!a.evaluated) {
          notEvaluated.add(`${what}: not evaluated, ${a.reason ?? 'the data is too short'}.`);
          continue;
        }
        for (const s of a.spans) {
          const when = s.endSeconds > s.startSeconds ? `${time(s.startSeconds)} → ${time(s.endSeconds)} (${duration(s.endSeconds - s.startSeconds)}` : `at ${time(s.startSeconds)} (one evaluation`;
          const still = dataEnd !== undefined && s.endSeconds >= dataEnd ? ', still firing when the data ends' : '';
          lines.push(`- ${NAME[r.id]} ${md(r.scope)}: ${what} would have fired ${when}${still}; peak burn ${num(s.peakLongBurnRate)}× over ${windowLabel(a.longWindowSeconds)}, ${num(s.peakShortBurnRate)}× over ${windowLabel(a.shortWindowSeconds)}).`);
        }
      }
    }
    const fast = timed.flatMap((r) => r.burn?.alerts.filter((a) => a.name === 'fast' && a.evaluated) ?? []);
    const fits = Math.min(...timed.map((r) => r.burn?.rates.find((x) => x.windowSeconds === 3600)?.evaluated ?? Infinity));
    if (lines.length || notEvaluated.size || fast.length) out.push('');
    if (lines.length) out.push(...lines);
    else if (fast.length) out.push(`- No burn-rate alert would have fired${Number.isFinite(fits) ? ` (a full 1 h window fits at ${fits} grid point${fits === 1 ? '' : 's'} of the data)` : ''}.`);
    for (const n of notEvaluated) out.push(`- ${n[0].toUpperCase()}${n.slice(1)}`);
  }
  const caveats = rows.filter((r) => r.caveat);
  if (caveats.length) {
    out.push('');
    for (const r of caveats) out.push(`- ${r.id.toUpperCase()} ${md(r.scope)}: ${md(r.caveat!)}`);
  }
  return out.join('\n');
}
