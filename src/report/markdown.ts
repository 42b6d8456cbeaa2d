// Result → Markdown, read top-down: the verdict (causes first, their consequences nested under them,
// then the `vllm serve` blocks), the findings with their episodes, context and arithmetic, the
// configuration per replica, the latency and capacity tables, and an appendix with what no finding
// used (metric inventory, anomaly lists, correlations). Pure: data in, string out; no statistics.

import type { Finding, Recommendation, Result, Summary3 } from '../model/result.js';
import { FINDING_TITLES } from '../model/catalog.js';
import { bytes, duration, int, num, pct, table, time } from './format.js';
import { code, codeBlock, codeCell, linkDest, linkText, mdText as md, visible } from './escape.js';
import { renderInventory } from './inventory.js';
import { renderAnomalySection } from './anomaly-section.js';
import { EPISODE_COLUMNS, FINDING_SUMMARY } from './findings-text.js';
import { changeText, REASON_TEXT } from './reasons.js';
import { renderConfigSection } from './config-section.js';
import { renderLatencySection } from './latency-section.js';
import { renderDecompositionSection } from './decomposition-section.js';
import { effectLines, recommendationEffect } from './what-if-text.js';

/** Whether two time spans overlap. */
const overlaps = (a: { startSeconds: number; endSeconds: number }, b: { startSeconds: number; endSeconds: number }) => a.startSeconds <= b.endSeconds && b.startSeconds <= a.endSeconds;

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;
const SEVERITY_MARK = { critical: '🔴 critical', warning: '🟠 warning', info: '🔵 info' } as const;

export interface MarkdownOptions {
  /** Relative path from the report to the repository's docs/findings/ (for links). */
  docsBase?: string;
  /** Whether the SVG charts are written next to the report (links only then). Default true. */
  charts?: boolean;
  /** Extra sections rendered by other modules (e.g. GPU breakdown), already Markdown. */
  extraSections?: string[];
}

function s3(x: Summary3, f: (n: number | null) => string): string[] {
  return [f(x.mean), f(x.p95), f(x.max)];
}

function title(f: Finding): string {
  return FINDING_TITLES[f.code];
}

function who(f: Finding): string {
  return f.scope === 'fleet' ? 'fleet' : md(f.scope);
}

/** Findings with no cause, and a map from each finding id to its consequences. */
function tree(findings: Finding[]): { roots: Finding[]; children: Map<string, Finding[]> } {
  const ids = new Set(findings.map((f) => f.id));
  const children = new Map<string, Finding[]>();
  const roots: Finding[] = [];
  for (const f of findings) {
    if (f.causedBy && ids.has(f.causedBy)) {
      const l = children.get(f.causedBy) ?? [];
      l.push(f);
      children.set(f.causedBy, l);
    } else roots.push(f);
  }
  roots.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
  return { roots, children };
}

function verdictLines(f: Finding, children: Map<string, Finding[]>, depth: number, out: string[]): void {
  const pad = '  '.repeat(depth);
  const prefix = depth === 0 ? `${SEVERITY_MARK[f.severity]} ` : depth === 1 ? '↳ ' : '↳ ';
  out.push(`${pad}- ${prefix}**${md(title(f))}** — ${who(f)}: ${FINDING_SUMMARY[f.code](f)}`);
  for (const c of children.get(f.id) ?? []) verdictLines(c, children, depth + 1, out);
}

function recLine(r: Recommendation, result: Result): string[] {
  const t = REASON_TEXT[r.reason.kind](r);
  const out = [`- ${changeText(r)} — ${r.confidence} confidence${r.role === 'alternative' ? ', an alternative' : ''}, for ${md(r.replicas.join(', ') || 'the fleet')}`];
  out.push(`  - Why: ${t.because}.`);
  out.push(`  - Expected effect: ${t.effect}.`);
  const replayed = recommendationEffect(r, result);
  if (replayed) out.push(`  - ${replayed}`);
  out.push(`  - Risk: ${t.risk}.`);
  if (r.overruled?.length) out.push(`  - Also proposed: ${r.overruled.map((o) => `${code(String(o.to))} by ${o.findings.map((x) => code(x)).join(', ')}`).join('; ')} — ${r.setting === 'max_num_seqs' || r.setting === 'max_num_batched_tokens' ? 'the smaller value is the binding constraint' : 'reconciled by the policy in src/recommend/merge.ts'}.`);
  return out;
}

function serveBlockLines(result: Result): string[] {
  const out: string[] = [];
  const recs = new Map(result.recommendations.map((r) => [r.id, r]));
  for (const b of result.serveBlocks) {
    const label = b.fleet ? 'every replica' : b.replicas.join(', ');
    const groups = result.config.groups.length > 1 ? ` (configuration ${b.groups.join(', ')})` : '';
    out.push(`For ${md(label)}${md(groups)}:`, '');
    out.push(codeBlock(`vllm serve <model> \\\n  ${b.flags.map(visible).join(' \\\n  ')}`));
    const conditional = b.recommendations.map((id) => recs.get(id)!).filter((r) => r && r.relation !== 'set');
    for (const r of conditional) out.push('', `- ${changeText(r)}.`);
    out.push('');
    out.push(...effectLines(b));
  }
  return out;
}

function episodeTable(f: Finding): string {
  const cols = EPISODE_COLUMNS[f.code];
  const head = ['from', 'to', 'for', ...cols.map((c) => c.label)];
  const rows = f.episodes.map((e) => [time(e.startSeconds), time(e.endSeconds), duration(e.durationSeconds), ...cols.map((c) => c.cell(e))]);
  return table(head, rows, ['l', 'l', 'r', ...cols.map(() => 'r' as const)]);
}

const TRAFFIC_ROWS: [keyof NonNullable<Finding['context']>['during'], string, (x: number | null) => string][] = [
  ['requestsPerSecond', 'requests/s', (x) => num(x)],
  ['promptTokensPerSecond', 'prompt tokens/s', (x) => int(x)],
  ['promptTokensMean', 'prompt tokens (mean)', (x) => int(x)],
  ['promptTokensP95', 'prompt tokens (p95)', (x) => int(x)],
  ['outputTokensMean', 'output tokens (mean)', (x) => int(x)],
  ['prefixCacheHitRatio', 'prefix-cache hit rate', (x) => pct(x)],
  ['runningMean', 'running (mean)', (x) => num(x)],
  ['waitingMean', 'waiting (mean)', (x) => num(x)],
  ['kvUsageMeanRatio', 'KV usage (mean)', (x) => pct(x)],
  ['ttftP95Seconds', 'TTFT p95', (x) => duration(x)],
];

const TRIGGER_NAME: Record<string, string> = {
  requestsPerSecond: 'the request rate',
  promptTokensPerSecond: 'the prompt tokens per second',
  promptTokensMean: 'the mean prompt length',
  promptTokensP95: 'the p95 prompt length',
  outputTokensMean: 'the mean output length',
  prefixCacheHitRatio: 'the prefix-cache hit rate',
};

function contextLines(f: Finding): string[] {
  const c = f.context;
  if (!c) return [];
  const out: string[] = [];
  const cols = [c.before && 'before', 'during', c.after && 'after'].filter(Boolean) as string[];
  const stats = [c.before, c.during, c.after].filter(Boolean) as NonNullable<typeof c.before>[];
  out.push(`Around the longest episode (${time(c.during.startSeconds)} → ${time(c.during.endSeconds)}):`, '');
  out.push(table(['', ...cols], TRAFFIC_ROWS.map(([k, label, fmt]) => [label, ...stats.map((s) => fmt(s[k] as number | null))]), ['l', ...cols.map(() => 'r' as const)]));
  out.push('');
  const q = (k: string, x: number) => (k === 'prefixCacheHitRatio' ? pct(x) : Math.abs(x) >= 1000 ? int(x) : num(x));
  if (c.trigger) {
    const also = c.changes.filter((x) => x.quantity !== c.trigger!.quantity).map((x) => `${TRIGGER_NAME[x.quantity] ?? md(x.quantity)} ×${num(x.ratio)}`);
    out.push(`What changed: ${TRIGGER_NAME[c.trigger.quantity] ?? md(c.trigger.quantity)} went from ${q(c.trigger.quantity, c.trigger.before)} to ${q(c.trigger.quantity, c.trigger.during)} (×${num(c.trigger.ratio)}) as the episode began${also.length ? `; also ${also.join(', ')}` : ''}.`, '');
  }
  else if (c.before) out.push('What changed: no traffic quantity moved by 1.5× or more from before to during; the trigger is not in the traffic these metrics show.', '');
  if (c.decomposition) {
    const d = c.decomposition as Record<string, number | null>;
    const other = (x: number | null | undefined) => (typeof x === 'number' && Math.abs(x) >= 0.0005 ? ` + ${duration(x)} other` : '');
    if (typeof d.ttftMeanSeconds === 'number') {
      out.push(
        `Latency split during the episode (means per request): TTFT ${duration(d.ttftMeanSeconds)} = ${duration(d.queueMeanSeconds ?? null)} waiting + ${duration(d.prefillMeanSeconds ?? null)} prefill${other(d.ttftResidualSeconds)}${typeof d.e2eMeanSeconds === 'number' && typeof d.decodeMeanSeconds === 'number' ? `; end-to-end ${duration(d.e2eMeanSeconds)} adds ${duration(d.decodeMeanSeconds)} of decode` : ''}.`,
        '',
      );
    }
  }
  return out;
}

function findingSection(result: Result, f: Finding, children: Map<string, Finding[]>, docsBase: string, charts: boolean, level: number, out: string[]): void {
  const h = '#'.repeat(level);
  out.push(`${h} ${md(title(f))} — ${SEVERITY_MARK[f.severity]}`, '');
  out.push(`${code(f.code)} · ${who(f)}${f.causedBy ? ` · a consequence of ${code(f.causedBy)}` : ''} · [what this means and how to fix it](${linkDest(`${docsBase}/${f.code}.md`)})`, '');
  out.push(FINDING_SUMMARY[f.code](f), '');
  if (f.episodes.length && EPISODE_COLUMNS[f.code].length) out.push(episodeTable(f), '');
  out.push(...contextLines(f));
  const recs = result.recommendations.filter((r) => f.recommendations.includes(r.id));
  if (recs.length) {
    out.push('What to change:', '');
    for (const r of recs) out.push(...recLine(r, result));
    out.push('');
  } else if (f.causedBy) out.push(`No advice of its own: it follows from ${code(f.causedBy)}.`, '');
  if (charts) for (const c of result.charts.filter((x) => x.finding === f.id)) out.push(`![${linkText(c.title)}](${linkDest(c.file)})`, '');
  for (const c of children.get(f.id) ?? []) findingSection(result, c, children, docsBase, charts, Math.min(level + 1, 5), out);
}

export function renderMarkdown(result: Result, opts: MarkdownOptions = {}): string {
  const out: string[] = [];
  const docsBase = opts.docsBase ?? '../docs/findings';
  const charts = opts.charts !== false;
  const inv = result.inventory;
  out.push(`# vLLM analysis: ${md(result.name)}`, '');
  out.push(`Generated by vllm-tune ${md(result.tool.version)}. ${inv.window ? `Window ${time(inv.window.startSeconds)} → ${time(inv.window.endSeconds)} (${duration(inv.window.endSeconds - inv.window.startSeconds)}${inv.window.stepSeconds ? `, step ${duration(inv.window.stepSeconds)}` : ''}).` : inv.snapshotOnly ? 'Input is a single scrape without timestamps: cumulative values only.' : 'No time-series data.'} Replicas: ${inv.replicas.length ? inv.replicas.map((r) => code(r.id)).join(', ') : 'none named'}. Models: ${inv.models.length ? inv.models.map((m) => code(m)).join(', ') : 'unknown'}.`, '');

  // Verdict: causes first, consequences nested, then the serve blocks.
  const { roots, children } = tree(result.findings);
  out.push('## Verdict', '');
  if (result.findings.length === 0) out.push(result.signals.length || result.gpu ? 'No problems found in the evaluated checks.' : 'No checks could be evaluated on these inputs (see "Checks not evaluated").');
  else for (const f of roots) verdictLines(f, children, 0, out);
  out.push('');
  if (result.serveBlocks.length) {
    out.push('### What to change', '');
    out.push(...serveBlockLines(result));
    const alternatives = result.recommendations.filter((r) => r.role === 'alternative');
    if (alternatives.length) out.push(`Alternatives (other trade-offs, not in the blocks): ${alternatives.map((r) => `${code(`--${r.setting.replace(/_/g, '-')} ${String(r.to)}`)} for ${md(r.replicas.join(', ') || 'the fleet')}`).join('; ')}. Details under each finding.`, '');
  }
  const overview = charts ? result.charts.filter((c) => c.finding === undefined) : [];
  for (const c of overview) out.push(`![${linkText(c.title)}](${linkDest(c.file)})`, '');

  if (roots.length) {
    out.push('## Findings', '');
    for (const f of roots) findingSection(result, f, children, docsBase, charts, 3, out);
  }

  out.push(...renderConfigSection(result.config));
  if (result.latency.length) out.push(renderLatencySection(result), '');
  if (result.latencyDecomposition?.length) out.push(renderDecompositionSection(result.latencyDecomposition), '');
  if (result.throughput.length) {
    out.push('## Throughput', '');
    out.push(table(['scope', 'prompt tok/s mean', 'p95', 'max', 'output tok/s mean', 'p95', 'max', 'req/s mean', 'p95', 'max'], result.throughput.map((r) => [md(r.scope), ...s3(r.promptTokensPerSecond, (x) => num(x)), ...s3(r.generationTokensPerSecond, (x) => num(x)), ...s3(r.requestsPerSecond, (x) => num(x))]), ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  }
  if (result.capacity.length) {
    out.push('## Capacity', '');
    out.push(
      table(
        ['scope', 'KV usage mean', 'p95', 'max', 'waiting mean', 'p95', 'max', 'running mean', 'max', 'preemptions/s mean', 'preemptions', 'prefix-cache hit rate'],
        result.capacity.map((r) => [md(r.scope), ...s3(r.kvUsageRatio, (x) => pct(x)), ...s3(r.waitingRequests, (x) => num(x)), num(r.runningRequests.mean), num(r.runningRequests.max), num(r.preemptionsPerSecond.mean), int(r.preemptionsTotal), pct(r.prefixCacheHitRatio)]),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  for (const s of opts.extraSections ?? []) out.push(s.trimEnd(), '');

  if (result.notEvaluated.length) {
    out.push('## Checks not evaluated', '');
    for (const n of result.notEvaluated) out.push(`- ${code(n.code)}: ${md(n.reason)}`);
    out.push('');
  }
  out.push('## Input warnings', '');
  if (result.warnings.length === 0) out.push('None.');
  else for (const w of result.warnings) out.push(`- ${code(w.code)}${w.file ? ` ${md(w.file)}` : ''}: ${md(w.message)}`);
  out.push('');

  // Appendix: what no finding used.
  out.push('## Appendix', '');
  out.push('### What was analysed', '');
  out.push(table(['input', 'format', 'what was read', 'series', 'samples', 'size'], result.inputs.map((i) => [md(i.file), codeCell(i.format), md(i.detail), int(i.series), int(i.samples), i.sizeBytes === undefined ? '–' : bytes(i.sizeBytes)]), ['l', 'l', 'l', 'r', 'r', 'r']), '');
  const unused = result.anomalies.filter((a) => !result.findings.some((f) => (f.replicas.includes(a.scope) || f.scope === a.scope) && f.episodes.some((e) => overlaps(e, a))));
  if (unused.length) out.push(renderAnomalySection(unused).replace(/^## Anomaly episodes/, '### Anomaly episodes no finding covers'), '');
  if (result.correlations.length) {
    out.push('### Strongest correlations', '');
    out.push('Lead/lag from the cross-correlation peak: a positive lead means the first metric moved first.', '');
    out.push(table(['metric A', 'metric B', 'scope', 'Pearson r', 'Spearman ρ', 'A leads B by', 'p-value', 'points'], result.correlations.map((c) => [codeCell(c.a), codeCell(c.b), md(c.scope), num(c.pearson), num(c.spearman), duration(c.leadSeconds), num(c.pValue, 2), int(c.n)]), ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r']), '');
  }
  out.push('### Metrics read', '');
  out.push(renderInventory(inv), '');
  return out.join('\n');
}
