// CompareResult → Markdown: the verdict paragraph, the metrics per scope with their test, the findings
// resolved / new / persisting, the configuration changes, and the method. Pure: data in, string out.

import type { CompareResult, MetricChange } from '../model/compare-result.js';
import { FINDING_TITLES } from '../model/catalog.js';
import { duration, int, num, pct, table, time } from './format.js';
import { code, codeCell, mdText as md } from './escape.js';

const METRIC_NAME: Record<MetricChange['metric'], string> = {
  'requests-per-second': 'requests/s',
  'prompt-tokens-per-second': 'prompt tokens/s',
  'output-tokens-per-second': 'output tokens/s',
  'ttft-p95': 'TTFT p95',
  'tbt-p95': 'time between tokens p95',
  'e2e-p95': 'end-to-end p95',
  waiting: 'waiting requests',
  'preemptions-per-second': 'preemptions/s',
  'kv-usage': 'KV usage',
  running: 'running requests',
  'gpu-util': 'GPU utilization',
};

function value(m: Pick<MetricChange, 'unit'>, x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (m.unit === 'seconds') return duration(x);
  if (m.unit === 'ratio') return pct(x);
  if (m.unit === 'percent') return `${num(x)}%`;
  return num(x);
}

/** A relative change: whole percent from 10 % on, one decimal below 10 % and for near-total drops (−99.5 %). */
const signedPct = (x: number | null) => (x === null || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : '−'}${pct(Math.abs(x), Math.abs(x) >= 0.1 && !(Math.abs(x) > 0.99 && Math.abs(x) < 1) ? 0 : 1)}`);
/** A ratio, with a fourth digit when it is within 1 % of 1. */
const ratio = (x: number) => `×${num(x, Math.abs(x - 1) < 0.01 ? 4 : 3)}`;

const ASSESS: Record<MetricChange['assessment'], string> = {
  improved: 'improved',
  regressed: 'regressed',
  unchanged: 'unchanged',
  changed: 'changed',
  gone: 'gone',
  appeared: 'appeared',
  'not-significant': 'not significant',
  'not-compared': 'not compared',
};

/** "TTFT p95 −97% (74 s → 2.1 s)", "preemptions gone (0.6/s → 0)". */
function phrase(m: MetricChange): string {
  const name = METRIC_NAME[m.metric];
  if (m.after === 0 && (m.before ?? 0) > 0) return `${name} gone (${value(m, m.before)} → 0)`;
  if (m.before === 0 && (m.after ?? 0) > 0) return `${name} appeared (0 → ${value(m, m.after)})`;
  // Beyond doubling a ratio reads better than a percentage (×1,963 rather than +196,200%).
  const change = m.relativeChange !== null && m.relativeChange > 1 ? `×${num(1 + m.relativeChange)}` : signedPct(m.relativeChange);
  return `${name} ${change} (${value(m, m.before)} → ${value(m, m.after)})`;
}

/** "`KV_CACHE_THRASHING` on a, b; `QUEUE_BUILDUP` on a": findings grouped by code. */
function byCode(list: readonly CompareResult['findings']['resolved'][number][], severity = false): string {
  const groups = new Map<string, string[]>();
  for (const f of list) {
    const k = severity ? `${f.code} (${f.severity})` : f.code;
    groups.set(k, [...(groups.get(k) ?? []), ...(f.replicas.length ? f.replicas : [f.scope])]);
  }
  return [...groups].map(([k, reps]) => `${code(k.split(' ')[0])}${k.includes(' ') ? ` ${k.slice(k.indexOf(' ') + 1)}` : ''} on ${md([...new Set(reps)].sort().join(', '))}`).join('; ');
}

/** The one-paragraph verdict. */
export function verdictParagraph(r: CompareResult): string {
  const fleet = r.metrics.filter((m) => m.scope === 'fleet');
  const good = fleet.filter((m) => m.direction !== 'neutral' && (m.assessment === 'improved' || m.assessment === 'gone'));
  const bad = fleet.filter((m) => m.assessment === 'regressed');
  const head = { improved: 'The change worked', regressed: 'The change made things worse', mixed: 'Mixed result', unchanged: 'No significant change' }[r.verdict.outcome];
  const parts: string[] = [];
  if (r.findings.resolved.length) {
    const roots = r.findings.resolved.filter((f) => !f.causedBy);
    parts.push(`resolved ${byCode(roots.length ? roots : r.findings.resolved)}`);
  }
  if (good.length) parts.push(good.map(phrase).join(', '));
  if (bad.length) parts.push(`${r.verdict.outcome === 'regressed' ? '' : 'worse: '}${bad.map(phrase).join(', ')}`);
  const newRoots = r.findings.new.filter((f) => !f.causedBy);
  if (newRoots.length) parts.push(`new: ${byCode(newRoots, true)}`);
  const worse = r.findings.persisting.filter((p) => p.severity === 'worse');
  if (worse.length) parts.push(`more severe: ${worse.map((p) => code(p.after.code)).join(', ')}`);
  const tp = fleet.find((m) => m.metric === 'output-tokens-per-second') ?? fleet.find((m) => m.metric === 'requests-per-second');
  const throughput = r.verdict.throughput === 'unknown' || !tp ? '' : r.verdict.throughput === 'unchanged' ? `throughput unchanged (${METRIC_NAME[tp.metric]} ${signedPct(tp.relativeChange)}${tp.significant ? `, under the ${pct(r.method.minRelativeChange, 0)} that counts` : ', not significant'})` : `throughput ${r.verdict.throughput} (${phrase(tp)})`;
  const persisting = r.findings.persisting.filter((p) => !p.after.causedBy).map((p) => code(p.after.code));
  const tail = [throughput, persisting.length ? `still present: ${[...new Set(persisting)].join(', ')}` : ''].filter(Boolean);
  const body = [...parts, ...tail];
  const cfg = r.configChanges.filter((c) => !c.within);
  const changed = cfg.length ? ` Configuration changed: ${[...new Set(cfg.map((c) => `${c.setting} ${String(c.before)} → ${String(c.after)}`))].map((x) => code(x)).join(', ')}.` : '';
  return `${head}${body.length ? `: ${body.join('; ')}` : ''}.${changed}`;
}

function metricRow(m: MetricChange): string[] {
  const t = m.test;
  const test = t ? `${ratio(t.ratio)} (${ratio(t.ratioLow)} to ${ratio(t.ratioHigh)}), p ${t.p < 0.001 ? '< 0.001' : num(t.p, 2)}, ${t.beforeBlocks}+${t.afterBlocks} blocks` : 'too few bins';
  const flag = m.severity === 'critical' ? ' (target broken)' : '';
  return [METRIC_NAME[m.metric], value(m, m.before), value(m, m.after), signedPct(m.relativeChange), test, `${ASSESS[m.assessment]}${flag}`];
}

export function renderCompareMarkdown(r: CompareResult, opts: { docsBase?: string } = {}): string {
  const docs = opts.docsBase ?? '../docs';
  const out: string[] = [`# vLLM comparison: ${md(r.name)}`, ''];
  const w = (s: CompareResult['before']) => `${time(s.startSeconds)} → ${time(s.endSeconds)} (${duration(s.endSeconds - s.startSeconds)}; ${s.inputs.map((i) => md(i.file)).join(', ') || 'no inputs'})`;
  out.push(`Generated by vllm-tune ${md(r.tool.version)}.${r.splitSeconds !== null ? ` One input cut at ${time(r.splitSeconds)}.` : ''} Before: ${w(r.before)}. After: ${w(r.after)}.`, '');
  if (r.onlyBefore.length || r.onlyAfter.length) out.push(`Replicas only before: ${r.onlyBefore.map((x) => code(x)).join(', ') || 'none'}; only after: ${r.onlyAfter.map((x) => code(x)).join(', ') || 'none'} (compared in the fleet totals only).`, '');
  out.push('## Verdict', '', verdictParagraph(r), '');
  if (r.regressions.length) out.push(`Regressions (what \`--fail-on\` reads): ${r.regressions.map((x) => `${code(x.id)} on ${md(x.scope)} (${x.severity})`).join(', ')}.`, '');

  out.push('## Metrics', '');
  out.push(`Before and after are over each whole side (rates: total ÷ duration; gauges: mean; p95: the pooled histogram). The test compares the per-${duration(r.method.binSeconds)} values of the two sides on a log scale, in blocks that absorb their autocorrelation (docs/capacity.md, "Compare"): the ratio of geometric means after ÷ before with its 95% interval, and p. A change counts when p < ${num(r.method.alpha)} and the whole-side values differ by at least ${pct(r.method.minRelativeChange, 0)}.`, '');
  const scopes = [...new Set(r.metrics.map((m) => m.scope))];
  for (const s of scopes) {
    out.push(`### ${s === 'fleet' ? 'Fleet' : md(s)}`, '');
    out.push(table(['metric', 'before', 'after', 'change', 'per-bin ratio (95% interval), p', 'assessment'], r.metrics.filter((m) => m.scope === s).map(metricRow), ['l', 'r', 'r', 'r', 'l', 'l']), '');
  }

  out.push('## Findings', '');
  const line = (f: CompareResult['findings']['resolved'][number]) => `${code(f.code)} (${f.severity}) on ${md(f.replicas.join(', ') || f.scope)} — ${md(FINDING_TITLES[f.code])}${f.causedBy ? `, a consequence of ${code(f.causedBy.split('@')[0])}` : ''}`;
  out.push(`Matched by code and replica. Resolved (before only): ${r.findings.resolved.length}; new (after only): ${r.findings.new.length}; persisting: ${r.findings.persisting.length}.`, '');
  if (r.findings.resolved.length) out.push('Resolved:', '', ...r.findings.resolved.map((f) => `- ${line(f)}`), '');
  if (r.findings.new.length) out.push('New:', '', ...r.findings.new.map((f) => `- ${line(f)}`), '');
  if (r.findings.persisting.length) out.push('Persisting:', '', ...r.findings.persisting.map((p) => `- ${line(p.after)}${p.severity === 'same' ? '' : ` — ${p.severity === 'worse' ? 'more' : 'less'} severe than before (${p.before.severity})`}`), '');

  out.push('## Configuration changes', '');
  if (!r.configChanges.length) out.push('None seen: the settings the inputs state are the same on both sides (a setting stated on one side only is not compared).', '');
  else {
    out.push(
      table(
        ['replica', 'setting', 'before', 'after', 'where'],
        r.configChanges.map((c) => [md(c.replica), codeCell(c.setting), `${codeCell(String(c.before))} (${md(c.beforeSource ?? '')})`, `${codeCell(String(c.after))} (${md(c.afterSource ?? '')})`, c.within ? `inside the ${c.within} window` : 'between the windows']),
        ['l', 'l', 'l', 'l', 'l'],
      ),
      '',
    );
  }
  const warn = [...r.before.warnings.map((x) => ({ ...x, side: 'before' })), ...r.after.warnings.map((x) => ({ ...x, side: 'after' }))];
  out.push('## Input warnings', '');
  if (!warn.length) out.push('None.');
  else for (const x of warn) out.push(`- ${x.side}: ${code(x.code)}${x.file ? ` ${md(x.file)}` : ''}: ${md(x.message)}`);
  out.push('', `Method: [docs/capacity.md](${docs}/capacity.md). Findings: ${int(r.before.findings.length)} before, ${int(r.after.findings.length)} after.`, '');
  return out.join('\n');
}
