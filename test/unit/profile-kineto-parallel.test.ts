// A large uncompressed trace is scanned by worker threads in byte ranges (src/ingest/profile/kineto/
// parallel.ts); the profile must be the one a single thread gives, byte for byte (every number, the
// notes), and a broken file must give the same error (code, message, byte position), whatever the
// range size and wherever a range boundary falls: inside an event, inside a string that holds `{"ph":`,
// on an event's first byte. Real traces from test/fixtures/real/traces are read both ways, then
// synthetic ones built to put boundaries in the hard places, in Kineto's multi-line layout and minified.
//
// The workers run the TypeScript sources: the worker module and everything it imports are compiled by
// tsc into a temporary directory, so the test checks the code in src/, not a build in dist/ that may be
// stale.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { REAL_TRACES, ROOT } from '../support/paths.js';
import { PARALLEL_MIN_BYTES, kinetoWorkers, readKinetoProfile, type KinetoReadOptions } from '../../src/ingest/from-kineto.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { fileSource } from '../../src/ingest/source.js';
import { InputError } from '../../src/errors.js';

let tmp: string;
let workerUrl: URL;
const classifier = new KernelClassifier();

/** Compile src/…/worker.ts and what it imports (tsc follows the imports) into `out`; the worker's URL. */
function buildWorker(out: string): URL {
  const tsc = path.join(ROOT, 'node_modules/.bin/tsc');
  const args = ['--ignoreConfig', '--outDir', out, '--rootDir', path.join(ROOT, 'src'), '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--types', 'node', '--skipLibCheck', '--strict', '--resolveJsonModule'];
  execFileSync(tsc, [...args, path.join(ROOT, 'src/ingest/profile/kineto/worker.ts')], { cwd: ROOT, stdio: 'pipe' });
  writeFileSync(path.join(out, 'package.json'), '{"type": "module"}\n');
  return pathToFileURL(path.join(out, 'ingest/profile/kineto/worker.js'));
}

beforeAll(() => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kineto-par-'));
  workerUrl = buildWorker(path.join(tmp, 'src'));
});

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function plain(file: string): string {
  const out = path.join(tmp, file.replace(/\.gz$/, ''));
  let b = readFileSync(path.join(REAL_TRACES, file));
  if (file.endsWith('.gz')) b = gunzipSync(b);
  writeFileSync(out, b);
  return out;
}

function write(name: string, text: string | Buffer): string {
  const out = path.join(tmp, name);
  writeFileSync(out, text);
  return out;
}

interface Outcome {
  /** The profile as JSON, or the error: code, file, message, position and the line the CLI prints. */
  out: string;
  events: number;
  threads: number;
  rescanned: number;
}

async function read(file: string, opts: KinetoReadOptions): Promise<Outcome> {
  try {
    const r = await readKinetoProfile(await fileSource(file, 'trace.json'), classifier, { workerUrl, ...opts });
    return { out: JSON.stringify(r.profile), events: r.events, threads: r.scanThreads, rescanned: r.rescannedBlocks };
  } catch (e) {
    if (!(e instanceof InputError)) throw e;
    return { out: `error ${JSON.stringify({ code: e.code, file: e.file, message: e.message, position: e.position, line: e.oneLine() })}`, events: -1, threads: 0, rescanned: 0 };
  }
}

const one = (file: string): Promise<Outcome> => read(file, { workers: 1 });
const par = (file: string, blockBytes: number, workers = 3): Promise<Outcome> => read(file, { workers, blockBytes, parallelMinBytes: 0 });

/** Same outcome on 1 and N threads, for each range size; returns the one-thread outcome. */
async function same(file: string, blocks: number[], workers = 3): Promise<{ seq: Outcome; pars: Outcome[] }> {
  const seq = await one(file);
  expect(seq.threads).toBe(1);
  const pars: Outcome[] = [];
  for (const b of blocks) {
    const p = await par(file, b, workers);
    expect(p.out, `${path.basename(file)}, ranges of ${b} bytes`).toBe(seq.out);
    expect(p.events).toBe(seq.events);
    pars.push(p);
  }
  return { seq, pars };
}

describe('Kineto trace scanned by worker threads: real traces', () => {
  const files = readdirSync(REAL_TRACES).filter((f) => /\.json(\.gz)?$/.test(f)).sort();

  it('the corpus is there', () => {
    expect(files.length).toBeGreaterThanOrEqual(20);
  });

  for (const file of files) {
    it(`${file}: same profile (or error) on 1 and 3 threads`, async () => {
      const f = plain(file);
      const size = readFileSync(f).length;
      // ranges of a quarter of the file, and of 4 KiB where that makes fewer than ~300 ranges
      const blocks = [Math.ceil(size / 4), ...(size <= 1_200_000 ? [4096] : [])];
      const { seq, pars } = await same(f, blocks);
      if (!seq.out.startsWith('error')) {
        pars.forEach((p, i) => expect(p.threads).toBe(Math.min(3, Math.ceil(size / blocks[i]))));
      }
    });
  }

  it("Kineto's multi-line layout: every range start is found by the workers (no re-scan by the main thread)", async () => {
    const f = plain('h100__Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz');
    const { pars } = await same(f, [65536]);
    expect(pars[0].threads).toBe(3);
    expect(pars[0].rescanned).toBe(0);
  });

  it('minified JSON (no line breaks): start guesses fail, the main thread re-scans those ranges, same profile', async () => {
    const f = plain('inference__sglang_decode__sglang_Qwen3-8B_decode.json.gz');
    const { seq, pars } = await same(f, [16384]);
    expect(pars[0].rescanned).toBeGreaterThan(0);
    expect(seq.events).toBeGreaterThan(1000);
  });
});

// A synthetic trace whose kernel names hold `{"ph": "X", …}` and braces, with nested args, flow events,
// kernels without `dur`, an array of objects before `traceEvents` and deviceProperties after it.
function hostileTrace(minified: boolean): { text: string; kernels: number; bad: number } {
  const ev: string[] = [];
  let kernels = 0;
  let bad = 0;
  for (let i = 0; i < 400; i++) {
    const name = i % 3 === 0 ? `k}, {"ph": "X", "cat": "kernel", "name": "fake", "dur": 99999}, {\n  {"x": [${i}` : i % 3 === 1 ? `gemm_${i % 7}` : `void f<{lambda()#${i % 5}}>("q\\")`;
    ev.push(`{"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1, "tid": 1, "ts": ${1000 + i * 10}, "dur": 8, "args": {"External id": ${i}, "Input Dims": [[1, 2], [3]], "a": {"b": [{"c": "}"}]}}}`);
    const dur = i % 50 === 7 ? '' : `"dur": ${3 + (i % 4)},`;
    if (dur) kernels++;
    else bad++;
    ev.push(`{\n    "ph": "X", "cat": "kernel", "name": ${JSON.stringify(name)}, "pid": 0, "tid": 7,\n    "ts": ${1002 + i * 10}.5, ${dur}\n    "args": {\n      "External id": ${i}, "device": 0, "stream": 7, "correlation": ${5000 + i}, "grid": [1, 1, 1],\n      "nested": [{"k": "}}"}, {"k": "{"}]\n    }\n  }`);
    ev.push(`{"ph": "f", "id": ${i}, "pid": 0, "tid": 7, "ts": ${1002 + i * 10}, "cat": "ac2g", "name": "ac2g"}`);
  }
  const header = `{"schemaVersion": 1, "samples": [${Array.from({ length: 300 }, (_, i) => `{"x": ${i}, "s": "{\\"ph\\": 1}"}`).join(',\n  ')}],\n`;
  let text = `${header}"traceEvents": [\n  ${ev.join(',\n  ')}\n], "deviceProperties": [{"id": 0, "name": "After GPU"}], "traceName": "t"}\n`;
  if (minified) text = JSON.stringify(JSON.parse(text));
  return { text, kernels, bad };
}

describe('Kineto trace scanned by worker threads: range boundaries in the hard places', () => {
  for (const minified of [false, true]) {
    const layout = minified ? 'minified' : 'multi-line';

    it(`${layout}: boundary inside a name that holds {"ph": …}, inside an event, on an event start, on the comma before one`, async () => {
      const { text, kernels, bad } = hostileTrace(minified);
      const f = write(`hostile-${layout}.json`, text);
      // the first range boundary is at `blockBytes`: put it where it hurts
      const fake = text.indexOf('{\\"ph\\": \\"X\\", \\"cat\\": \\"kernel\\", \\"name\\": \\"fake');
      const ev = text.indexOf(minified ? '{"ph":"X","cat":"kernel"' : '{\n    "ph": "X", "cat": "kernel"', text.indexOf('traceEvents') + 5000);
      const comma = text.lastIndexOf(',', ev);
      expect(fake).toBeGreaterThan(0);
      expect(ev).toBeGreaterThan(0);
      const blocks = [fake, fake + 1, ev, ev + 1, comma, 2048, 7001];
      const { seq, pars } = await same(f, blocks);
      const profile = JSON.parse(seq.out) as { kernels: { name: string; count: number }[]; deviceName?: string; notes?: string[] };
      expect(seq.events).toBe(1200);
      expect(profile.deviceName).toBe('After GPU');
      expect(profile.kernels.some((k) => k.name === 'fake')).toBe(false);
      expect(profile.kernels.reduce((n, k) => n + k.count, 0)).toBe(kernels);
      expect(profile.notes).toContain(`${bad} GPU events without ts/dur were skipped`);
      for (const p of pars) expect(p.threads).toBe(3);
      // minified: with no line break to start from, a boundary inside the name is taken for an event
      // start (the `{` after `, `); the guess is not confirmed and the main thread re-scans that range
      if (minified) expect(pars[0].rescanned).toBeGreaterThan(0);
    });

    it(`${layout}: a bare array of events`, async () => {
      const { text } = hostileTrace(minified);
      const arr = JSON.stringify(JSON.parse(text).traceEvents, null, minified ? undefined : 2);
      const f = write(`bare-${layout}.json`, arr);
      const { seq } = await same(f, [5000]);
      expect(seq.events).toBe(1200);
    });
  }

  it('a file smaller than one range: one worker scans it all, same profile', async () => {
    const f = write('small.json', hostileTrace(false).text);
    const size = readFileSync(f).length;
    const { pars } = await same(f, [size, size + 1, 1 << 30]);
    for (const p of pars) expect(p.threads).toBe(1);
  });

  it('files below the size threshold and gzip files are read by this thread', async () => {
    const { text } = hostileTrace(false);
    const f = write('under.json', text);
    expect(text.length).toBeLessThan(PARALLEL_MIN_BYTES);
    const small = await read(f, { workers: 3, blockBytes: 512 });
    expect(small.threads).toBe(1);
    const gz = write('hostile.json.gz', gzipSync(text));
    const z = await read(gz, { workers: 3, blockBytes: 512, parallelMinBytes: 0 });
    expect(z.threads).toBe(1);
    expect(z.out).toBe((await one(f)).out);
  });
});

describe('Kineto trace scanned by worker threads: errors', () => {
  const base = (): string => readFileSync(plain('h100__Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz'), 'utf8');
  /** Offset of an event start (a `{` after `},`) at or after `frac` of the text. */
  const eventAt = (text: string, frac: number): number => {
    const re = /\}\s*,\s*\{/g;
    re.lastIndex = Math.floor(text.length * frac);
    const m = re.exec(text)!;
    return m.index + m[0].length - 1;
  };

  it('the same error, code, message and byte position on 1 and 3 threads', async () => {
    const text = base();
    const a = eventAt(text, 0.3);
    const b = eventAt(text, 0.75);
    expect(text[a]).toBe('{');
    expect(b - a).toBeGreaterThan(1 << 20);
    const cases: Record<string, string> = {
      truncated: text.slice(0, Math.floor(text.length * 0.7)),
      'garbage between events': `${text.slice(0, b)}@ ${text.slice(b)}`,
      'an element that is not an object': `${text.slice(0, b)}5, ${text.slice(b)}`,
      'a key without a colon': `${text.slice(0, b + 1)}"ph" "X", ${text.slice(b + 1)}`,
      'two broken events, the earlier one is reported': `${text.slice(0, a + 1)}"cat" 1, ${text.slice(a + 1, b)}@ ${text.slice(b)}`,
      'data after the end': `${text} x`,
    };
    for (const [name, t] of Object.entries(cases)) {
      const f = write(`broken-${name.replace(/\W+/g, '-')}.json`, t);
      const seq = await one(f);
      expect(seq.out, name).toMatch(/^error /);
      const p = await par(f, 1 << 20);
      expect(p.out, name).toBe(seq.out);
    }
    // the earlier of two errors wins, though a worker finds the later one too
    const two = JSON.parse((await one(path.join(tmp, 'broken-two-broken-events-the-earlier-one-is-reported.json'))).out.slice(6)) as { position: { byte: number } };
    expect(two.position.byte).toBeGreaterThan(a);
    expect(two.position.byte).toBeLessThan(b);
  });
});

describe('worker count', () => {
  const saved = process.env.VLLM_TUNE_WORKERS;
  afterEach(() => {
    if (saved === undefined) delete process.env.VLLM_TUNE_WORKERS;
    else process.env.VLLM_TUNE_WORKERS = saved;
  });

  it('VLLM_TUNE_WORKERS, else the CPUs this process may use; a bad value is a one-line error', () => {
    delete process.env.VLLM_TUNE_WORKERS;
    expect(kinetoWorkers()).toBe(os.availableParallelism());
    process.env.VLLM_TUNE_WORKERS = '1';
    expect(kinetoWorkers()).toBe(1);
    process.env.VLLM_TUNE_WORKERS = '6';
    expect(kinetoWorkers()).toBe(6);
    for (const bad of ['0', '-2', '2.5', 'many']) {
      process.env.VLLM_TUNE_WORKERS = bad;
      expect(() => kinetoWorkers()).toThrow(/VLLM_TUNE_WORKERS .*whole number/);
    }
  });
});
