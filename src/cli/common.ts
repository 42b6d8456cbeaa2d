// Flags and plumbing shared by the commands: input options, durations, atomic output, progress.

import { DEFAULT_LIMITS, positiveInt, setLimits, type Limits } from '../limits.js';
import { haveSecrets, redactSecrets } from '../redact.js';
import { terminal } from '../report/escape.js';
import { Option, type Command } from 'commander';
import { existsSync, promises as fsp } from 'node:fs';
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
  maxSeries?: string;
  maxLabelLength?: string;
  maxDecompressionRatio?: string;
  workers?: string;
}

export function addInputOptions(cmd: Command): Command {
  return cmd
    .option('--scrape-interval <duration>', 'time between successive /metrics scrapes that carry no timestamps (e.g. 15s)')
    .option('--set <key=value>', 'a serving setting the inputs do not show (repeatable), e.g. --set max_num_seqs=256', collect, [])
    .option('--kernel-patterns <file>', 'extra kernel-classification rules (JSON), tried before the built-in ones')
    .option('--wall-seconds <seconds>', 'wall time of a summary-only GPU profile, so idle time can be computed')
    .option('--client-utc-offset <±HH:MM>', 'UTC offset of the machine that ran a benchmark client whose result has zone-less times (vLLM `date`), e.g. +02:00')
    .option('--max-series <n>', `most distinct series read (default ${DEFAULT_LIMITS.maxSeries}; docs/limits.md)`)
    .option('--max-label-length <n>', `longest metric name, label name or value, in characters (default ${DEFAULT_LIMITS.maxLabelLength})`)
    .option('--max-decompression-ratio <n>', `most a gzip input may expand, per compressed byte (default ${DEFAULT_LIMITS.maxDecompressionRatio}×, 16 MiB floor)`)
    .option('--workers <n>', 'threads that read one large query_range JSON file or Kineto trace, and that analyse the replicas of a large input; same result with any number (default: VLLM_TUNE_WORKERS, else the cores available, at most 4 for the analysis; 1: one thread)');
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
  const lim: Partial<Limits> = {};
  const ms = positiveInt(f.maxSeries, '--max-series');
  const ml = positiveInt(f.maxLabelLength, '--max-label-length');
  const mr = positiveInt(f.maxDecompressionRatio, '--max-decompression-ratio');
  if (ms !== undefined) lim.maxSeries = ms;
  if (ml !== undefined) lim.maxLabelLength = ml;
  if (mr !== undefined) lim.maxDecompressionRatio = mr;
  setLimits(lim);
  const options: IngestRequest['options'] = {};
  if (f.scrapeInterval) options.scrapeIntervalSeconds = parseDurationSeconds(f.scrapeInterval, '--scrape-interval');
  if (f.kernelPatterns) options.kernelPatternsFile = f.kernelPatterns;
  if (f.wallSeconds) options.wallSeconds = parseDurationSeconds(f.wallSeconds, '--wall-seconds');
  if (f.clientUtcOffset !== undefined) options.clientUtcOffsetMinutes = parseUtcOffset(f.clientUtcOffset);
  const workers = positiveInt(f.workers, '--workers');
  if (workers !== undefined) options.workers = workers;
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
 * Write one report's files (Markdown, JSON, charts) together, so that a reader finds either the old
 * report or the new one, and two runs writing the same report never interleave (issue 11 §7):
 *
 * 1. A lock per report name, `.<name>.vllm-tune.lock` in the output directory (created exclusively,
 *    holding our pid). A second run waits for it (up to LOCK_WAIT_MS); a lock whose pid is dead is
 *    stale and taken over.
 * 2. Under the lock, interrupted writes of dead runs are finished or undone first (below).
 * 3. Every file is written into a temporary directory inside the output directory
 *    (`.<name>.vllm-tune-<pid>-<n>.tmp/`: same file system, so renames are atomic), then a `COMMIT`
 *    list is written there (itself by rename).
 * 4. The files are renamed into place, JSON first, charts next, the Markdown (the entry point)
 *    last; then the temporary directory is removed.
 *
 * A run killed before its COMMIT list exists leaves the old report untouched and its temporary
 * directory is deleted by the next run; killed during the renames, the next run writing to the
 * directory completes the renames from the list (the new report, whole). Stale `*.<pid>.tmp` files of
 * the previous scheme are removed when their pid is dead. Nothing is written outside `dir`.
 */
export async function writeFilesAtomically(dir: string, files: { name: string; content: string }[]): Promise<string[]> {
  await fsp.mkdir(dir, { recursive: true });
  for (const f of files) {
    const final = path.join(dir, f.name);
    if (path.relative(dir, final).startsWith('..') || path.isAbsolute(path.relative(dir, final))) throw new Error(`refusing to write outside ${dir}: ${f.name}`);
  }
  const report = reportStem(files[0]?.name ?? 'report');
  const release = await lockReport(dir, report);
  try {
    await recoverInterrupted(dir, report);
    const tmp = path.join(dir, `.${report}.vllm-tune-${process.pid}-${Date.now().toString(36)}.tmp`);
    await fsp.mkdir(tmp);
    // JSON first, charts next, Markdown last: the entry point switches last.
    const order = [...files].sort((a, b) => rank(a.name) - rank(b.name));
    try {
      for (const f of order) {
        await fsp.mkdir(path.dirname(path.join(tmp, f.name)), { recursive: true });
        await fsp.writeFile(path.join(tmp, f.name), haveSecrets() ? redactSecrets(f.content) : f.content);
      }
      await fsp.writeFile(path.join(tmp, 'COMMIT.part'), JSON.stringify(order.map((f) => f.name)));
      await fsp.rename(path.join(tmp, 'COMMIT.part'), path.join(tmp, 'COMMIT'));
    } catch (e) {
      await fsp.rm(tmp, { recursive: true, force: true });
      throw e;
    }
    await commit(dir, tmp, order.map((f) => f.name));
    return files.map((f) => path.join(dir, f.name));
  } finally {
    await release();
  }
}

/** How long a run waits for another run writing the same report. */
const LOCK_WAIT_MS = 120_000;

function reportStem(name: string): string {
  return path.basename(name).replace(/\.[^.]*$/, '') || 'report';
}

function rank(name: string): number {
  return /\.json$/i.test(name) ? 0 : /\.md$/i.test(name) ? 2 : 1;
}

function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function lockReport(dir: string, report: string): Promise<() => Promise<void>> {
  const lock = path.join(dir, `.${report}.vllm-tune.lock`);
  const t0 = Date.now();
  for (;;) {
    try {
      const fh = await fsp.open(lock, 'wx');
      await fh.writeFile(String(process.pid));
      await fh.close();
      return () => fsp.rm(lock, { force: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const owner = Number((await fsp.readFile(lock, 'utf8').catch(() => '')).trim());
    if (owner && !pidAlive(owner)) {
      await fsp.rm(lock, { force: true }); // a dead run's lock
      continue;
    }
    if (Date.now() - t0 > LOCK_WAIT_MS) {
      throw new InputError({ code: 'OUTPUT_LOCKED', file: lock, message: `another vllm-tune run${owner ? ` (pid ${owner})` : ''} has been writing report ${JSON.stringify(report)} for over ${LOCK_WAIT_MS / 1000} s`, hint: 'wait for it, or use another --out or --name' });
    }
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
}

async function commit(dir: string, tmp: string, names: string[]): Promise<void> {
  for (const n of names) {
    const from = path.join(tmp, n);
    if (!existsSync(from)) continue; // renamed before an interruption
    await fsp.mkdir(path.dirname(path.join(dir, n)), { recursive: true });
    await fsp.rename(from, path.join(dir, n));
    testHookAfterRename();
  }
  await fsp.rm(tmp, { recursive: true, force: true });
}

/** Finish (COMMIT list present) or undo (absent) the interrupted writes of dead runs. */
async function recoverInterrupted(dir: string, report: string): Promise<void> {
  const prefix = `.${report}.vllm-tune-`;
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    if (e.isDirectory() && e.name.startsWith(prefix) && e.name.endsWith('.tmp')) {
      const pid = Number(e.name.slice(prefix.length).split('-')[0]);
      if (pidAlive(pid)) continue;
      const tmp = path.join(dir, e.name);
      const list = await fsp.readFile(path.join(tmp, 'COMMIT'), 'utf8').then((t) => JSON.parse(t) as string[], () => null);
      if (list) await commit(dir, tmp, list);
      else await fsp.rm(tmp, { recursive: true, force: true });
    } else if (e.isFile()) {
      // The previous scheme's temp files: `<file>.<pid>.tmp`.
      const m = /\.(\d+)\.tmp$/.exec(e.name);
      if (m && !pidAlive(Number(m[1]))) await fsp.rm(path.join(dir, e.name), { force: true });
    }
  }
}

/** Tests only: VLLM_TUNE_TEST_KILL_AFTER_RENAMES=n kills the process (SIGKILL) after n renames. */
let renames = 0;
function testHookAfterRename(): void {
  const n = Number(process.env.VLLM_TUNE_TEST_KILL_AFTER_RENAMES);
  if (Number.isInteger(n) && n > 0 && ++renames >= n) process.kill(process.pid, 'SIGKILL');
}

/** A file-name-safe report name. */
export function safeName(raw: string): string {
  const s = raw.replace(/\.(gz|json|prom|txt|om|csv|parquet|log)$/gi, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|[-.]+$/g, '');
  return s || 'report';
}
