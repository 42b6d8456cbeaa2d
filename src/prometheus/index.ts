// Public entry points of the live-Prometheus path, used by `vllm-tune fetch` and `analyze --prometheus`.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { SeriesInput } from '../ingest/from-series.js';
import { runFetch, type ExportMeta } from './fetch.js';
import type { FetchOptions } from './options.js';

export { addPrometheusOptions, parsePrometheusFlags, type FetchOptions, type PrometheusFlags } from './options.js';
export type { ExportMeta, Gap } from './fetch.js';

/** Sidecar name next to an export file (the ingest walker skips `*.meta.json`). */
export function sidecarPath(out: string, isDir: boolean): string {
  return isDir ? path.join(out, 'fetch.meta.json') : `${out}.meta.json`;
}

async function isDirectoryTarget(out: string): Promise<boolean> {
  if (/[\\/]$/.test(out)) return true;
  try {
    return (await fsp.stat(out)).isDirectory();
  } catch {
    return false;
  }
}

export interface FetchToPathResult {
  meta: ExportMeta;
  warnings: string[];
  /** Export files, then the sidecar. */
  written: string[];
}

/**
 * Fetch into `out`: a file (`.json`, one query_range document plus `<out>.meta.json`) or a directory
 * (existing, or given with a trailing `/`: `vllm.json`, `dcgm.json`, `process.json` and `fetch.meta.json`).
 * Written whole or not at all.
 */
export async function fetchToPath(o: FetchOptions, out: string, onProgress?: (msg: string) => void): Promise<FetchToPathResult> {
  const isDir = await isDirectoryTarget(out);
  if (isDir) await fsp.mkdir(out, { recursive: true });
  else await fsp.mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const r = await runFetch(o, isDir ? { dir: out.replace(/[\\/]+$/, '') || '.' } : { file: out }, onProgress);
  const side = sidecarPath(out, isDir);
  const tmp = `${side}.${process.pid}.tmp`;
  await fsp.writeFile(tmp, `${JSON.stringify({ ...r.meta, warnings: r.warnings }, null, 2)}\n`);
  await fsp.rename(tmp, side);
  return { meta: r.meta, warnings: r.warnings, written: [...r.written, side] };
}

/**
 * Fetch into memory (`analyze --prometheus`): the series of each source group (vllm, dcgm, process),
 * handed to `ingest({ series })` directly — no query_range JSON is built and parsed again.
 */
export async function fetchSeries(o: FetchOptions, onProgress?: (msg: string) => void): Promise<{ inputs: SeriesInput[]; meta: ExportMeta; warnings: string[] }> {
  const r = await runFetch(o, { memory: true }, onProgress);
  return { inputs: r.inputs, meta: r.meta, warnings: r.warnings };
}
