// Flags and plumbing shared by the commands: input options, durations, atomic output, progress.

import { terminal } from '../report/escape.js';
import { Option, type Command } from 'commander';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { IngestRequest } from '../ingest/index.js';
import { parseDurationSeconds } from '../duration.js';

export interface InputFlags {
  scrapeInterval?: string;
  set?: string[];
  kernelPatterns?: string;
  wallSeconds?: string;
  clientUtcOffset?: string;
}

export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('--scrape-interval <duration>', 'time between successive /metrics scrapes that carry no timestamps (e.g. 15s)')
    .option('--set <key=value>', 'a serving setting the inputs do not show (repeatable), e.g. --set max_num_seqs=256', collect, [])
    .option('--kernel-patterns <file>', 'extra kernel-classification rules (JSON), tried before the built-in ones')
    .option('--wall-seconds <seconds>', 'wall time of a summary-only GPU profile, so idle time can be computed')
    .option('--client-utc-offset <±HH:MM>', 'UTC offset of the machine that ran a benchmark client whose result has zone-less times (vLLM `date`), e.g. +02:00');
}

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** `500ms`, `0.5s`, `2m`, `1h`, `1d`, or a bare number of seconds → seconds (src/duration.ts). */
export { parseDurationSeconds };

export function parseSetFlags(list: string[] = []): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // `--set constructor=1` is a setting like any other
  for (const kv of list) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InputError({ code: 'BAD_OPTION', message: `--set ${JSON.stringify(kv)} is not key=value`, hint: 'e.g. --set max_num_seqs=256' });
    const key = kv.slice(0, eq).trim();
    if (!/^[A-Za-z_][A-Za-z0-9_.-]*$/.test(key) || key === '__proto__') {
      throw new InputError({ code: 'BAD_OPTION', message: `--set ${JSON.stringify(key)}: not a setting name`, hint: 'a vLLM setting such as max_num_seqs or kv_cache_dtype' });
    }
    out[key] = kv.slice(eq + 1).trim();
  }
  return out;
}

export function ingestRequestFrom(inputs: string[], f: InputFlags): IngestRequest {
  const options: IngestRequest['options'] = {};
  if (f.scrapeInterval) options.scrapeIntervalSeconds = parseDurationSeconds(f.scrapeInterval, '--scrape-interval');
  if (f.kernelPatterns) options.kernelPatternsFile = f.kernelPatterns;
  if (f.wallSeconds) options.wallSeconds = parseDurationSeconds(f.wallSeconds, '--wall-seconds');
  if (f.clientUtcOffset !== undefined) options.clientUtcOffsetMinutes = parseUtcOffset(f.clientUtcOffset);
  return { inputs, options, set: parseSetFlags(f.set) };
}

/** `+02:00`, `-0530`, `+2`, `0`, `Z` → minutes east of UTC. */
export function parseUtcOffset(text: string): number {
  const t = text.trim();
  if (t === 'Z' || t === 'z') return 0;
  const m = /^([+-]?)(\d{1,2})(?::?(\d{2}))?$/.exec(t);
  const min = m ? (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : NaN;
  if (!m || Number(m[3] ?? 0) >= 60 || min < -12 * 60 || min > 14 * 60) {
    throw new InputError({ code: 'BAD_OPTION', message: `--client-utc-offset ${JSON.stringify(text)} is not a UTC offset`, hint: 'e.g. +02:00, -05:00, 0' });
  }
  return min;
}

export function choiceOption(flags: string, description: string, choices: string[]): Option {
  return new Option(flags, description).choices(choices);
}

/** Progress lines on a terminal only (stderr), never in pipes or CI logs. */
export function progress(quiet = false): (msg: string) => void {
  if (quiet || !process.stderr.isTTY) return () => {};
  return (msg) => process.stderr.write(`\r\x1b[2K${terminal(msg)}`);
}

export function endProgress(quiet = false): void {
  if (!quiet && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
}

/**
 * Write several files whole or not at all: each goes to a temp file in the target directory first,
 * and only when all are written are they renamed into place.
 */
export async function writeFilesAtomically(dir: string, files: { name: string; content: string }[]): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  const tmps: { tmp: string; final: string }[] = [];
  try {
    for (const f of files) {
      const final = path.join(dir, f.name);
      if (path.relative(dir, final).startsWith('..')) throw new Error(`refusing to write outside ${dir}: ${f.name}`);
      await fsp.mkdir(path.dirname(final), { recursive: true });
      const tmp = `${final}.${process.pid}.tmp`;
      await fsp.writeFile(tmp, f.content);
      tmps.push({ tmp, final });
    }
  } catch (e) {
    await Promise.all(tmps.map((t) => fsp.rm(t.tmp, { force: true })));
    throw e;
  }
  for (const t of tmps) await fsp.rename(t.tmp, t.final);
  return tmps.map((t) => t.final);
}

/** A file-name-safe report name. */
export function safeName(raw: string): string {
  const s = raw.replace(/\.(gz|json|prom|txt|om|csv|parquet|log)$/gi, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return s || 'report';
}
