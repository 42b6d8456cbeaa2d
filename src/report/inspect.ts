// Text for `vllm-tune inspect` (Markdown-flavoured plain text, readable in a terminal). Every name
// from an input goes through terminal() (./escape.ts): no escape sequence reaches the terminal.

import type { InputSummary } from '../model/artifacts.js';
import type { Inventory } from '../model/inventory.js';
import type { ServingConfig } from '../model/serving-config.js';
import type { InputWarning } from '../model/series.js';
import { bytes, duration, int, time } from './format.js';
import { renderInventory } from './inventory.js';
import { terminal as t } from './escape.js';

export interface InspectReport {
  inputs: InputSummary[];
  inventory: Inventory;
  config: ServingConfig;
  profiles: { file: string; format: string; rank: number | null; kernels: number }[];
  warnings: InputWarning[];
}

export function renderInspect(r: InspectReport): string {
  const out: string[] = [];
  out.push('Inputs:');
  for (const i of r.inputs) out.push(`  ${t(i.file)}: ${t(i.format)}${i.gzip ? ' (gzip)' : ''} — ${t(i.detail)}; ${int(i.series)} series, ${int(i.samples)} samples${i.sizeBytes !== undefined ? `, ${bytes(i.sizeBytes)}` : ''}`);
  const inv = r.inventory;
  out.push('');
  if (inv.window) out.push(`Time range: ${time(inv.window.startSeconds)} → ${time(inv.window.endSeconds)} (${duration(inv.window.endSeconds - inv.window.startSeconds)}), step ${duration(inv.window.stepSeconds)}`);
  else if (inv.snapshotOnly) out.push('Time range: single scrape without timestamps (cumulative values only)');
  else out.push('Time range: none (no metric samples)');
  out.push(`Series: ${int(inv.seriesCount)}, samples: ${int(inv.sampleCount)}`);
  out.push(`Replicas: ${inv.replicas.length ? inv.replicas.map((x) => `${t(x.id)}${x.engine !== null ? ` (engine ${t(x.engine)})` : ''}`).join(', ') : 'none'}`);
  out.push(`Models: ${inv.models.length ? inv.models.map(t).join(', ') : 'unknown'}`);
  if (inv.devices.length) out.push(`GPUs (DCGM): ${inv.devices.map(t).join(', ')}`);
  if (r.profiles.length) out.push(`GPU profiles: ${r.profiles.map((p) => `${t(p.file)} (${t(p.format)}${p.rank !== null ? `, rank ${p.rank}` : ''}, ${p.kernels} kernels)`).join(', ')}`);
  out.push('');
  out.push('Serving config:');
  const keys = Object.keys(r.config.values);
  if (!keys.length) out.push('  nothing known (no cache_config_info, no vLLM log, no --set)');
  for (const k of keys) {
    const v = r.config.values[k];
    out.push(`  ${t(k)} = ${t(String(v.value))}  [${t(v.source)}${v.file ? `: ${t(v.file)}` : ''}]`);
  }
  for (const k of ['max_num_seqs', 'max_num_batched_tokens', 'enable_chunked_prefill']) if (!r.config.values[k]) out.push(`  ${k} = unknown (pass a vLLM server log or --set ${k}=…)`);
  out.push('');
  out.push('Metrics:');
  out.push(renderInventory(inv));
  out.push('');
  out.push(`Warnings: ${r.warnings.length ? '' : 'none'}`);
  for (const w of r.warnings) out.push(`  [${t(w.code)}]${w.file ? ` ${t(w.file)}:` : ''} ${t(w.message)}`);
  return `${out.join('\n')}\n`;
}
