// "## Configuration": one column per distinct configuration (group) when replicas differ, which
// replicas ran it and when, each value with where it came from; inferred values marked as inferred,
// with how, never shown as read.

import type { ConfigTimeline, Inference, SettingValue } from '../model/config-timeline.js';
import { COMPARED_SETTINGS } from '../model/vocabulary.js';
import { duration, int, table, time } from './format.js';
import { codeCell, mdText } from './escape.js';

const SOURCE: Record<SettingValue['source'], string> = { flag: 'flag', cache_config_info: 'metrics', log: 'log', inferred: 'inferred' };

/** How an inferred value was found, in words. */
export function inferenceText(i: Inference): string {
  switch (i.method) {
    case 'iteration-tokens':
      return `steps of more than ${int(i.lowerBound)} tokens in vllm:iteration_tokens_total (bucket up to ${i.bucketUpper === null ? '+Inf' : int(i.bucketUpper)})`;
    case 'running-plateau':
      return `running requests flat at ${int(i.value)} while requests waited and KV had room (${int(i.points)} scrapes, ${Math.round(i.plateauShare * 100)}% of the segment)`;
    case 'running-max':
      return `running requests reached ${int(i.lowerBound)}`;
  }
}

function cell(v: SettingValue | undefined): string {
  if (!v) return 'unknown';
  if (v.source === 'inferred') return `${v.bound === 'lower' ? '≥ ' : ''}${codeCell(String(v.value))} (inferred)`;
  return `${codeCell(String(v.value))} (${SOURCE[v.source]})`;
}

export function renderConfigSection(tl: ConfigTimeline): string[] {
  const out: string[] = ['## Configuration', ''];
  if (!tl.replicas.length) {
    out.push('No replica is named in the metrics; settings from flags and logs apply to all.', '');
    return out;
  }
  const groups = tl.groups;
  // Segments per group: the inferred values differ per segment; show the first segment's.
  const firstSeg = (gid: string) => tl.replicas.flatMap((r) => r.segments).find((s) => s.group === gid);
  const rows: string[][] = [];
  const settings = [...COMPARED_SETTINGS].filter((k) => groups.some((g) => firstSeg(g.id)?.values[k]));
  for (const k of settings) {
    const cells = groups.map((g) => cell(firstSeg(g.id)?.values[k]));
    const differs = new Set(groups.map((g) => String(g.values[k]?.value ?? '?'))).size > 1;
    rows.push([`${codeCell(k)}${differs ? ' **differs**' : ''}`, ...cells]);
  }
  const head = ['setting', ...groups.map((g) => (groups.length > 1 ? `configuration ${g.id}` : 'value'))];
  if (groups.length > 1) out.push(`The replicas ran ${groups.length} different configurations:`, '');
  out.push(table(head, rows, ['l', ...groups.map(() => 'l' as const)]), '');
  // Who ran what, when.
  const who: string[][] = [];
  for (const r of tl.replicas) {
    for (const s of r.segments) who.push([mdText(r.replica), mdText(r.model ?? 'unknown'), groups.length > 1 ? s.group : '–', time(s.startSeconds), time(s.endSeconds), duration(s.endSeconds - s.startSeconds), s.processStartSeconds !== null ? time(s.processStartSeconds) : '–']);
  }
  out.push(table(['replica', 'model', 'configuration', 'from', 'to', 'for', 'process started'], who), '');
  const inferred = tl.replicas.flatMap((r) => r.segments.flatMap((s) => Object.entries(s.values).filter(([, v]) => v.source === 'inferred' && v.inference).map(([k, v]) => `- ${codeCell(k)} on ${mdText(r.replica)}: ${v.bound === 'lower' ? 'at least ' : ''}${int(Number(v.value))}, inferred from ${mdText(inferenceText(v.inference!))}. Not read from any input: pass the server log or \`--set ${k}=…\` to replace it.`)));
  if (inferred.length) out.push('Inferred settings (no input states them):', '', ...[...new Set(inferred)], '');
  for (const u of tl.unattributed) out.push(`- Log ${mdText(u.file)} was not used: ${mdText(u.reason)}.`);
  if (tl.unattributed.length) out.push('');
  return out;
}
