// `npm run fuzz [-- --seconds 60 --seed 1 --format parquet]`: a seeded mutation fuzzer over the seed
// files of every input format (test/fixtures, the datasets' vLLM logs), run in-process through the
// whole pipeline (fuzz/pipeline.ts), plus the real CLI for a sample of cases.
//
// A case fails when it throws anything but an InputError, takes longer than --case-ms, makes the
// process's RSS pass --rss-mb (the worker's heap is also capped there), or — CLI sample — exits with
// anything but 0 or 2, prints more than one line for an error, or leaves files after an error.
// Every failing case is written to test/fixtures/fuzz/<format>/<sha>.bin with a note in index.json;
// test/unit/fuzz-regressions.test.ts replays them all in `npm test`, and this harness replays them
// first. A native abort (it takes the process down) is caught by a supervisor process, which saves
// the case being run and resumes after it. Exit code 1 when anything failed.
//
// Throughput (cases/s per format) is printed at the end.

import { fork, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { bufferSource } from '../src/ingest/source.js';
import { detectAdapter, ingest } from '../src/ingest/index.js';
import { InputError } from '../src/errors.js';
import { parallelStats } from '../src/ingest/prometheus-json/parallel.js';
import { Rng, mutate } from './mutate.js';
import type { Outcome } from './pipeline.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root (this file runs from dist/fuzz/). */
const ROOT = path.resolve(here, '..', '..');
const CRASHERS = path.join(ROOT, 'test', 'fixtures', 'fuzz');
const STATE = path.join(ROOT, '.tmp', 'fuzz');
const BIN = path.join(ROOT, 'bin', 'vllm-tune');
/** Seed files larger than this are skipped: the harness is about many cases, not big ones. */
const MAX_SEED_BYTES = 300_000;
/** After one query_range case in this many, a mutated large query_range seed is read from a file by one
 * and by three threads, and the two compared. */
const PARALLEL_EVERY = 8;

interface Options {
  seconds: number;
  /** Stop after this many cases (0: until the time is spent). CI uses it: the same cases on any machine. */
  cases: number;
  seed: number;
  caseMs: number;
  rssMb: number;
  cliEvery: number;
  formats: string[];
  startCase: number;
  child: boolean;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { seconds: NaN, cases: 0, seed: 1, caseMs: 10_000, rssMb: 1536, cliEvery: 25, formats: [], startCase: 0, child: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const v = () => argv[++i];
    if (a === '--seconds') o.seconds = Number(v());
    else if (a === '--cases') o.cases = Number(v());
    else if (a === '--seed') o.seed = Number(v());
    else if (a === '--case-ms') o.caseMs = Number(v());
    else if (a === '--rss-mb') o.rssMb = Number(v());
    else if (a === '--cli-every') o.cliEvery = Number(v());
    else if (a === '--format') o.formats.push(v());
    else if (a === '--start-case') o.startCase = Number(v());
    else if (a === '--child') o.child = true;
    else throw new Error(`fuzz: unknown argument ${a}`);
  }
  if (!(Number.isInteger(o.cases) && o.cases >= 0)) throw new Error('fuzz: --cases takes a whole number');
  // With a case count the time is only a safety limit (reaching it fails the run).
  if (Number.isNaN(o.seconds)) o.seconds = o.cases ? 1800 : 60;
  return o;
}

// ---------------------------------------------------------------------------------------------
// Seeds and crashers

interface Seed {
  format: string;
  file: string;
  bytes: Buffer;
}

function walk(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((e) => {
    const p = path.join(dir, e);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

function loadSeeds(formats: string[]): Map<string, Seed[]> {
  const files = [
    ...walk(path.join(ROOT, 'test', 'fixtures')).filter((f) => !f.startsWith(CRASHERS) && !f.includes(`${path.sep}kernel-corpus${path.sep}`)),
    ...walk(path.join(ROOT, 'datasets')).filter((f) => /\.log$/.test(f)),
  ].filter((f) => !/\.(md|mjs|py|sql|ts|txt\.md)$/i.test(f) && !/SOURCES|README/i.test(path.basename(f)));
  const by = new Map<string, Seed[]>();
  for (const f of files.sort()) {
    const st = statSync(f);
    if (st.size === 0 || st.size > MAX_SEED_BYTES) continue;
    const bytes = readFileSync(f);
    let format: string;
    try {
      format = detectAdapter(bufferSource(bytes, f)).id;
    } catch {
      continue; // not an input we read (dashboards, corpora): not a seed
    }
    if (formats.length && !formats.includes(format)) continue;
    let list = by.get(format);
    if (!list) by.set(format, (list = []));
    list.push({ format, file: path.relative(ROOT, f), bytes });
  }
  return by;
}

interface CrasherNote {
  /** A known failure not fixed yet, and why: replays skip it (and say so). */
  open?: string;
  format: string;
  kind: string;
  message: string;
  seedFile?: string;
  ops?: string[];
  seed?: number;
  case?: number;
}

function indexPath(): string {
  return path.join(CRASHERS, 'index.json');
}

function readIndex(): Record<string, CrasherNote> {
  return existsSync(indexPath()) ? (JSON.parse(readFileSync(indexPath(), 'utf8')) as Record<string, CrasherNote>) : {};
}

function saveCrasher(bytes: Buffer, note: CrasherNote): string {
  const sha = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const rel = `${note.format}/${sha}.bin`;
  mkdirSync(path.join(CRASHERS, note.format), { recursive: true });
  writeFileSync(path.join(CRASHERS, rel), bytes);
  const idx = readIndex();
  if (!idx[rel]) {
    idx[rel] = note;
    const sorted = Object.fromEntries(Object.entries(idx).sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileSync(indexPath(), `${JSON.stringify(sorted, null, 2)}\n`);
  }
  return rel;
}

// ---------------------------------------------------------------------------------------------
// The worker and the budgets

class Runner {
  private worker!: Worker;
  private nextId = 0;
  constructor(private readonly o: Options) {
    this.spawn();
  }

  private spawn(): void {
    this.worker = new Worker(path.join(here, 'worker.js'), { resourceLimits: { maxOldGenerationSizeMb: this.o.rssMb } });
    this.worker.unref();
  }

  /** Run one case within the time and memory budgets. */
  run(bytes: Buffer, name: string): Promise<{ outcome: Outcome | { kind: 'timeout' | 'memory'; message: string }; ms: number }> {
    const id = this.nextId++;
    const t0 = performance.now();
    return new Promise((resolve) => {
      let finished = false;
      const finish = (r: { outcome: Outcome | { kind: 'timeout' | 'memory'; message: string }; ms: number }, restart: boolean) => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        clearInterval(rssTimer);
        this.worker.off('message', onMsg);
        this.worker.off('error', onErr);
        this.worker.off('exit', onExit);
        if (restart) {
          void this.worker.terminate();
          this.spawn();
        }
        resolve(r);
      };
      const onMsg = (m: { id: number; outcome: Outcome; ms: number }) => {
        if (m.id === id) finish({ outcome: m.outcome, ms: m.ms }, false);
      };
      const onErr = (e: Error) => finish({ outcome: { kind: 'memory', message: `worker died: ${e.message}` }, ms: performance.now() - t0 }, true);
      const onExit = (code: number) => finish({ outcome: { kind: 'memory', message: `worker exited (${code})` }, ms: performance.now() - t0 }, true);
      const timer = setTimeout(() => finish({ outcome: { kind: 'timeout', message: `over the ${this.o.caseMs} ms case budget` }, ms: performance.now() - t0 }, true), this.o.caseMs);
      const rssTimer = setInterval(() => {
        const rss = process.memoryUsage.rss() / 2 ** 20;
        if (rss > this.o.rssMb) finish({ outcome: { kind: 'memory', message: `RSS ${rss.toFixed(0)} MB over the ${this.o.rssMb} MB budget` }, ms: performance.now() - t0 }, true);
      }, 50);
      this.worker.on('message', onMsg);
      this.worker.on('error', onErr);
      this.worker.on('exit', onExit);
      const copy = new Uint8Array(bytes); // a copy: the buffer may be a view into a seed
      this.worker.postMessage({ id, bytes: copy, name }, [copy.buffer]);
    });
  }

  close(): Promise<number> {
    return this.worker.terminate();
  }
}

/** The real CLI on one case: exit 0 or 2; an error is one line and leaves no file. Resolves to the problem, or null. */
function cliCheck(bytes: Buffer, caseMs: number): Promise<string | null> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-fuzz-'));
  const input = path.join(dir, 'case.in');
  const out = path.join(dir, 'out');
  writeFileSync(input, bytes);
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, 'analyze', input, '--out', out, '--name', 'case', '--json', '-q'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, VLLM_TUNE_DEBUG: '' } });
    let stderr = '';
    c.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => c.kill('SIGKILL'), caseMs * 3);
    c.on('close', (status, signal) => {
      clearTimeout(timer);
      let bad: string | null = null;
      if (signal) bad = `CLI killed by ${signal}${signal === 'SIGKILL' ? ` (over ${caseMs * 3} ms)` : ''}`;
      else if (status === 0) bad = existsSync(path.join(out, 'case.json')) ? null : 'CLI exit 0 without case.json';
      else if (status !== 2) bad = `CLI exit ${status}: ${stderr.split('\n')[0].slice(0, 300)}`;
      else {
        const lines = stderr.split('\n').filter(Boolean);
        if (lines.length !== 1 || !lines[0].startsWith('vllm-tune: ')) bad = `CLI exit 2 but stderr is not one line: ${JSON.stringify(stderr.slice(0, 300))}`;
        else if (existsSync(out) && readdirSync(out).length) bad = `CLI exit 2 but wrote ${readdirSync(out).join(', ')}`;
      }
      rmSync(dir, { recursive: true, force: true });
      resolve(bad);
    });
  });
}

/** What ingest makes of a file: a digest of every stored series, warning and input summary, or the error. */
async function ingestOutcome(file: string, workers: number): Promise<string> {
  try {
    const a = await ingest({ inputs: [file], options: { workers } });
    const h = createHash('sha256');
    for (const s of a.metrics.series) {
      h.update(JSON.stringify([s.name, s.labels, s.v.constructor.name]));
      h.update(Buffer.from(s.t.buffer, s.t.byteOffset, s.t.byteLength));
      h.update(Buffer.from(s.v.buffer, s.v.byteOffset, s.v.byteLength));
    }
    h.update(JSON.stringify([a.inputs, a.warnings]));
    return `ok ${h.digest('hex')}`;
  } catch (e) {
    return e instanceof InputError ? `input error ${e.code}: ${e.message} @${JSON.stringify(e.position ?? null)}` : `crash ${e instanceof Error ? e.message : String(e)}`;
  }
}

/**
 * The parallel query_range reader on one case (src/ingest/prometheus-json/parallel.ts): read with one
 * thread and with three over ranges of 64 bytes or more (VLLM_TUNE_PARALLEL_MIN_BYTES, set by the
 * fuzzing process), it must store the same series or fail with the same error at the same byte.
 * The three-thread read has a fixed schedule (VLLM_TUNE_PARALLEL_GATE): the workers claim every range
 * before the main thread reads (`gate` 0), or after it claimed the first `gate` ranges itself — on
 * files this small the main thread would otherwise finish before a worker starts. Resolves to the
 * difference, or null.
 */
async function parallelCheck(bytes: Buffer, gate: number): Promise<string | null> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-fuzz-par-'));
  const input = path.join(dir, 'case.json');
  writeFileSync(input, bytes);
  try {
    const one = await ingestOutcome(input, 1);
    process.env.VLLM_TUNE_PARALLEL_GATE = String(gate);
    const three = await ingestOutcome(input, 3).finally(() => delete process.env.VLLM_TUNE_PARALLEL_GATE);
    return one === three ? null : `one thread: ${one.slice(0, 200)}; three threads (gate ${gate}): ${three.slice(0, 200)}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------
// The fuzzing process

interface FormatStats {
  cases: number;
  ok: number;
  input: number;
  failed: number;
  ms: number;
}

async function child(o: Options): Promise<void> {
  mkdirSync(STATE, { recursive: true });
  const seeds = loadSeeds(o.formats);
  const formats = [...seeds.keys()].sort();
  const runner = new Runner(o);
  const failures: string[] = [];
  const stats = new Map<string, FormatStats>(formats.map((f) => [f, { cases: 0, ok: 0, input: 0, failed: 0, ms: 0 }]));
  const report = (rel: string, note: CrasherNote) => {
    failures.push(`${rel}: ${note.kind}: ${note.message}`);
    process.stdout.write(`fuzz: FAIL ${rel} (${note.format}, ${note.kind}): ${note.message}\n`);
  };

  // 1. Replay every saved crasher (only in the first child of a run).
  if (o.startCase === 0) {
    const idx = readIndex();
    let open = 0;
    for (const rel of Object.keys(idx).sort()) {
      const file = path.join(CRASHERS, rel);
      if (!existsSync(file)) continue;
      if (idx[rel].open) {
        // A known, unfixed failure (index.json says why): listed, not run.
        open++;
        process.stdout.write(`fuzz: OPEN ${rel}: ${idx[rel].open}\n`);
        continue;
      }
      writeFileSync(path.join(STATE, 'current.json'), JSON.stringify({ replay: rel }));
      const r = await runner.run(readFileSync(file), rel);
      if (r.outcome.kind !== 'ok' && r.outcome.kind !== 'input') report(rel, { ...idx[rel], kind: r.outcome.kind, message: 'message' in r.outcome ? r.outcome.message : '' });
    }
    process.stdout.write(`fuzz: replayed ${Object.keys(idx).length - open} saved crashers${failures.length ? `, ${failures.length} still failing` : ', all handled'}${open ? ` (${open} open, not run)` : ''}\n`);
  }

  // 2. Fuzz round-robin over the formats until the time budget is spent.
  const deadline = Date.now() + o.seconds * 1000;
  const allBytes = formats.flatMap((f) => seeds.get(f)!.map((s) => s.bytes));
  let cli = 0;
  let cliFailed = 0;
  let cliBusy: Promise<void> | null = null;
  let parallelChecks = 0;
  let promCases = 0;
  process.env.VLLM_TUNE_PARALLEL_MIN_BYTES = '64';
  const bigJsonSeeds = (seeds.get('prometheus-json') ?? []).filter((x) => x.bytes.length >= 8192);
  const lastCase = o.cases || Infinity;
  for (let k = o.startCase; k < lastCase && Date.now() < deadline && formats.length; k++) {
    const format = formats[k % formats.length];
    const rng = new Rng((o.seed * 0x9e3779b1 + k * 0x85ebca6b) >>> 0);
    const list = seeds.get(format)!;
    const seed = list[rng.int(list.length)];
    const { bytes, ops } = mutate(seed.bytes, rng, rng.int(3) === 0 ? allBytes : list.map((s) => s.bytes));
    writeFileSync(path.join(STATE, 'current.bin'), bytes);
    writeFileSync(path.join(STATE, 'current.json'), JSON.stringify({ format, seedFile: seed.file, ops, seed: o.seed, case: k }));
    const r = await runner.run(bytes, `fuzz-case-${k}`);
    const st = stats.get(format)!;
    st.cases++;
    st.ms += r.ms;
    if (r.outcome.kind === 'ok') st.ok++;
    else if (r.outcome.kind === 'input') st.input++;
    else {
      st.failed++;
      const note: CrasherNote = { format, kind: r.outcome.kind, message: r.outcome.message, seedFile: seed.file, ops, seed: o.seed, case: k };
      report(saveCrasher(bytes, note), note);
    }
    // One query_range case in PARALLEL_EVERY: the same result with one and three reader threads.
    // Its input: a mutation of a seed with many series objects (a small one has nothing to cut).
    if (format === 'prometheus-json' && promCases++ % PARALLEL_EVERY === 0 && bigJsonSeeds.length) {
      parallelChecks++;
      const big = bigJsonSeeds[rng.int(bigJsonSeeds.length)];
      const par = mutate(big.bytes, rng, [big.bytes]);
      const bad = await parallelCheck(par.bytes, parallelChecks % 3);
      if (bad) {
        const note: CrasherNote = { format, kind: 'parallel', message: bad, seedFile: big.file, ops: par.ops, seed: o.seed, case: k };
        st.failed++;
        report(saveCrasher(par.bytes, note), note);
      }
    }
    // The CLI sample runs beside the in-process cases (one at a time; a sample due while one runs is skipped).
    if (o.cliEvery > 0 && k % o.cliEvery === 0 && !cliBusy && r.outcome.kind !== 'timeout' && r.outcome.kind !== 'memory') {
      cli++;
      const note: CrasherNote = { format, kind: 'cli', message: '', seedFile: seed.file, ops, seed: o.seed, case: k };
      const caseBytes = bytes;
      cliBusy = cliCheck(caseBytes, o.caseMs).then((bad) => {
        cliBusy = null;
        if (bad) {
          cliFailed++;
          note.message = bad;
          report(saveCrasher(caseBytes, note), note);
        }
      });
    }
  }
  if (cliBusy) await cliBusy;
  await runner.close();

  let total = 0;
  for (const f of formats) {
    const s = stats.get(f)!;
    total += s.cases;
    const rate = s.ms > 0 ? (s.cases / (s.ms / 1000)).toFixed(1) : '–';
    process.stdout.write(`fuzz: ${f.padEnd(16)} ${String(s.cases).padStart(6)} cases, ${rate.padStart(7)} cases/s of pipeline time (ok ${s.ok}, input error ${s.input}, failed ${s.failed}; ${seeds.get(f)!.length} seeds)\n`);
  }
  process.stdout.write(`fuzz: CLI sample: ${cli} runs, ${cliFailed} failed; query_range read by 1 and by 3 threads: ${parallelChecks} cases (${parallelStats.rangesTaken} worker ranges taken)\n`);
  writeFileSync(path.join(STATE, 'result.json'), JSON.stringify({ total, failures, lastCase: o.startCase + total }));
  process.exitCode = failures.length ? 1 : 0;
}

/** The supervisor: runs the fuzzing child, catches native aborts, saves the case that caused one. */
async function supervise(o: Options): Promise<void> {
  const started = Date.now();
  const end = started + o.seconds * 1000;
  mkdirSync(STATE, { recursive: true });
  process.stdout.write(`fuzz: seed ${o.seed}, ${o.cases ? `cases 0–${o.cases - 1} (time limit ${o.seconds} s)` : `${o.seconds} s`}, case budget ${o.caseMs} ms, RSS budget ${o.rssMb} MB, CLI every ${o.cliEvery} cases${o.formats.length ? `, formats ${o.formats.join(', ')}` : ''}\n`);
  let startCase = 0;
  let failed = false;
  let total = 0;
  let reached = 0;
  for (;;) {
    const left = Math.max(1, Math.round((end - Date.now()) / 1000));
    rmSync(path.join(STATE, 'result.json'), { force: true });
    const args = ['--child', '--seconds', String(left), '--cases', String(o.cases), '--seed', String(o.seed), '--case-ms', String(o.caseMs), '--rss-mb', String(o.rssMb), '--cli-every', String(o.cliEvery), '--start-case', String(startCase), ...o.formats.flatMap((f) => ['--format', f])];
    const code = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
      const c = fork(fileURLToPath(import.meta.url), args, { stdio: 'inherit', execArgv: [`--max-old-space-size=${o.rssMb}`] });
      c.on('exit', (code, signal) => resolve({ code, signal }));
    });
    const resultFile = path.join(STATE, 'result.json');
    if (existsSync(resultFile)) {
      const r = JSON.parse(readFileSync(resultFile, 'utf8')) as { total: number; failures: string[]; lastCase: number };
      total += r.total;
      reached = r.lastCase;
      if (r.failures.length || code.code !== 0) failed = true;
      break;
    }
    // The child died without a result: a native abort or an out-of-memory of the whole process.
    failed = true;
    const cur = JSON.parse(readFileSync(path.join(STATE, 'current.json'), 'utf8')) as { format?: string; seedFile?: string; ops?: string[]; seed?: number; case?: number; replay?: string };
    const how = `process died (${code.signal ?? `exit ${code.code}`})`;
    if (cur.replay) process.stdout.write(`fuzz: FAIL ${cur.replay}: ${how} on replay\n`);
    else {
      const rel = saveCrasher(readFileSync(path.join(STATE, 'current.bin')), { format: cur.format!, kind: 'abort', message: how, seedFile: cur.seedFile, ops: cur.ops, seed: cur.seed, case: cur.case });
      process.stdout.write(`fuzz: FAIL ${rel} (${cur.format}, abort): ${how}\n`);
    }
    if (Date.now() >= end - 2000 || cur.replay) break;
    startCase = (cur.case ?? startCase) + 1;
    reached = startCase;
    if (o.cases && startCase >= o.cases) break;
  }
  if (o.cases && reached < o.cases) {
    failed = true;
    process.stdout.write(`fuzz: FAIL only cases 0–${reached - 1} of the ${o.cases} ran within the ${o.seconds} s limit\n`);
  }
  process.stdout.write(`fuzz: ${failed ? 'FAILED' : 'passed'}: ${total} cases in ${((Date.now() - started) / 1000).toFixed(0)} s${failed ? ' — see the FAIL lines; cases saved under test/fixtures/fuzz/' : ''}\n`);
  process.exitCode = failed ? 1 : 0;
}

const opts = parseArgs(process.argv.slice(2));
if (opts.child) await child(opts);
else await supervise(opts);
