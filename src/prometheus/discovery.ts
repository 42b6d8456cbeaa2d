// Discovery: which of the metrics we use exist in the window (restricted by --selector), via
// /api/v1/series (raw mode: also counts series per name, to size chunks) or label values (aggregate
// mode: names only, cheap on fleets of thousands of replicas). What is not found is reported:
// absent is unknown, never zero.

import { CATALOG, resolveMetricName, type CatalogEntry } from '../model/metric-catalog.js';
import type { PromClient } from './client.js';
import { formatApiTime } from './time.js';

export type SourceGroup = 'vllm' | 'dcgm' | 'process';
export const GROUPS: readonly SourceGroup[] = ['vllm', 'dcgm', 'process'];

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\\\$&');
}

/** Raw names (as exporters write them) of the catalog entries of one source, for a regex. */
function catalogRawNames(source: 'dcgm' | 'process'): string[] {
  const out: string[] = [];
  for (const e of CATALOG) {
    if (e.source !== source) continue;
    out.push(e.name);
    if (e.kind === 'counter') out.push(e.name.replace(/_total$/, ''));
  }
  return out;
}

/** The `match[]` selectors of discovery, one per source group. */
export function discoverySelectors(selector: string): Record<SourceGroup, string> {
  const extra = selector ? `,${selector}` : '';
  return {
    vllm: `{__name__=~"vllm:.+"${extra}}`,
    dcgm: `{__name__=~"${catalogRawNames('dcgm').map(escapeRe).join('|')}"${extra}}`,
    process: `{__name__=~"${catalogRawNames('process').map(escapeRe).join('|')}"${extra}}`,
  };
}

export interface Discovery {
  /** Raw metric name → number of series in the window, per group (sorted by name). */
  found: Record<SourceGroup, Map<string, number>>;
  /** Catalog names (canonical) with no series in the window, per group. v0-only metrics are left out. */
  notFound: Record<SourceGroup, string[]>;
  /** Series counted (raw mode), or names (aggregate mode). */
  total: number;
  warnings: string[];
}

export function groupOf(name: string): SourceGroup {
  if (name.startsWith('vllm:')) return 'vllm';
  if (name.startsWith('DCGM_')) return 'dcgm';
  return 'process';
}

/** Catalog entries seen, from the raw names found (aliases and histogram parts resolve to their entry). */
function notFoundOf(found: Record<SourceGroup, Map<string, number>>): Record<SourceGroup, string[]> {
  const seen = new Set<CatalogEntry>();
  for (const g of GROUPS) for (const name of found[g].keys()) {
    const e = resolveMetricName(name).entry;
    if (e) seen.add(e);
  }
  const out: Record<SourceGroup, string[]> = { vllm: [], dcgm: [], process: [] };
  for (const e of CATALOG) if (!e.v0Only && e.kind !== 'info' && !seen.has(e)) out[e.source].push(e.name);
  // Info metrics (cache_config_info) are worth reporting too when absent: they carry the config.
  for (const e of CATALOG) if (e.kind === 'info' && e.name === 'vllm:cache_config_info' && !seen.has(e)) out.vllm.push(e.name);
  return out;
}

export async function discover(client: PromClient, start: number, end: number, selector: string, namesOnly: boolean): Promise<Discovery> {
  const sels = discoverySelectors(selector);
  const found: Record<SourceGroup, Map<string, number>> = { vllm: new Map(), dcgm: new Map(), process: new Map() };
  const warnings: string[] = [];
  let total = 0;
  const time: [string, string][] = [
    ['start', formatApiTime(start)],
    ['end', formatApiTime(end)],
  ];
  await Promise.all(
    GROUPS.map(async (g) => {
      if (namesOnly) {
        const r = await client.api<string[]>('label/__name__/values', [['match[]', sels[g]], ...time]);
        warnings.push(...r.warnings);
        for (const n of r.data) found[g].set(n, 0);
        total += r.data.length;
      } else {
        const r = await client.api<Record<string, string>[]>('series', [['match[]', sels[g]], ...time]);
        warnings.push(...r.warnings);
        for (const ls of r.data) {
          const n = ls.__name__;
          if (!n) continue;
          found[g].set(n, (found[g].get(n) ?? 0) + 1);
        }
        total += r.data.length;
      }
    }),
  );
  for (const g of GROUPS) found[g] = new Map([...found[g]].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { found, notFound: notFoundOf(found), total, warnings };
}
