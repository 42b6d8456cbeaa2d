// The parallel query_range reader (src/ingest/prometheus-json/parallel.ts): the same stored series,
// warnings, input summary and errors with 1 or N worker threads, whoever claims which range. Workers
// run compiled code, so this test drives the compiled ingest in dist/ (`npm test` compiles first); the
// ranges are made small (VLLM_TUNE_PARALLEL_MIN_BYTES) so that files of a few MB are cut into many,
// and VLLM_TUNE_PARALLEL_GATE fixes the schedule: the workers claim every range before the main thread
// reads (gate 0), the main thread claims the first k ranges before the workers start (gate k: a worker
// that starts late), or the main thread claims them all (a gate never reached).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const dist = (p: string) => pathToFileURL(path.join(root, 'dist', 'src', p)).href;

interface Stats {
  rangesTaken: number;
  seriesTaken: number;
  rangesClaimedByMain: number;
}
/* eslint-disable @typescript-eslint/no-explicit-any */
let ingest: (req: any) => Promise<any>;
let parallelStats: Stats;
let rangePlan: (size: number, threads: number) => { rangeBytes: number; ranges: number } | undefined;
let setLimits: (p: any) => void;
let dir: string;
const prevMin = process.env.VLLM_TUNE_PARALLEL_MIN_BYTES;
/** The main thread never claims range 10⁶: the workers wait until the end (they start "too late"). */
const NEVER = 1_000_000;

beforeAll(async () => {
  ({ ingest } = await import(dist('ingest/index.js')));
  ({ parallelStats, rangePlan } = await import(dist('ingest/prometheus-json/parallel.js')));
  ({ setLimits } = await import(dist('limits.js')));
  process.env.VLLM_TUNE_PARALLEL_MIN_BYTES = String(64 * 1024);
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-par-'));
});
afterAll(() => {
  if (prevMin === undefined) delete process.env.VLLM_TUNE_PARALLEL_MIN_BYTES;
  else process.env.VLLM_TUNE_PARALLEL_MIN_BYTES = prevMin;
  setLimits({});
  rmSync(dir, { recursive: true, force: true });
});

/** A series object of `n` samples from `t0` every 10 s; `value(i)` gives the value text. */
function series(metric: Record<string, string>, n: number, t0: number, value: (i: number) => string, step = 10): string {
  const vals: string[] = [];
  for (let i = 0; i < n; i++) vals.push(`[${t0 + i * step},"${value(i)}"]`);
  return `{"metric":${JSON.stringify(metric)},"values":[${vals.join(',')}]}`;
}

function response(items: string[]): string {
  return `${RESPONSE_HEAD}${items.join(',')}]}}`;
}

/** Many series of 600 samples (≈ 12 kB each): counters (int), gauges (float), two scrape grids. */
function fleet(replicas: number, metrics: number, opts: { t0?: number; extra?: (i: number) => string | undefined } = {}): string[] {
  const out: string[] = [];
  const t0 = opts.t0 ?? 1_700_000_000;
  let k = 0;
  for (let r = 0; r < replicas; r++) {
    for (let m = 0; m < metrics; m++) {
      const extra = opts.extra?.(k);
      if (extra !== undefined) out.push(extra);
      const labels = { __name__: m % 2 ? `vllm:num_requests_running` : `vllm:prompt_tokens_total`, instance: `10.0.0.${r}:8000`, model_name: 'm', shard: String(m) };
      out.push(series(labels, 600, t0 + (r % 2) * 5, m % 2 ? (i) => ((i * 7 + m) % 13) / 4 + '' : (i) => String(i * 40 + m)));
      k++;
    }
  }
  return out;
}

/** Everything ingest stored, as one digest, plus what a reader of the report sees besides the samples. */
function fingerprint(a: any): { digest: string; inputs: unknown; warnings: unknown; series: number } {
  const h = crypto.createHash('sha256');
  for (const s of a.metrics.series) {
    h.update(JSON.stringify([s.name, s.labels, s.v.constructor.name]));
    h.update(Buffer.from(s.t.buffer, s.t.byteOffset, s.t.byteLength));
    h.update(Buffer.from(s.v.buffer, s.v.byteOffset, s.v.byteLength));
  }
  return { digest: h.digest('hex'), inputs: a.inputs, warnings: a.warnings, series: a.metrics.series.length };
}

interface Outcome {
  fp?: ReturnType<typeof fingerprint>;
  error?: string;
  /** Ranges whose series the main thread took from a worker. */
  taken: number;
  /** Ranges the main thread claimed (and read) itself. */
  mainClaimed: number;
}

/** Ingest `file` with `workers` threads; `gate`: VLLM_TUNE_PARALLEL_GATE (undefined: none, the natural race). */
async function read(file: string, workers: number, gate?: number): Promise<Outcome> {
  const before = { ...parallelStats };
  const prevGate = process.env.VLLM_TUNE_PARALLEL_GATE;
  if (gate === undefined) delete process.env.VLLM_TUNE_PARALLEL_GATE;
  else process.env.VLLM_TUNE_PARALLEL_GATE = String(gate);
  const counts = () => ({ taken: parallelStats.rangesTaken - before.rangesTaken, mainClaimed: parallelStats.rangesClaimedByMain - before.rangesClaimedByMain });
  try {
    const a = await ingest({ inputs: [file], options: { workers } });
    return { fp: fingerprint(a), ...counts() };
  } catch (e: any) {
    return { error: `${e.code}: ${e.message} @${JSON.stringify(e.position)}`, ...counts() };
  } finally {
    if (prevGate === undefined) delete process.env.VLLM_TUNE_PARALLEL_GATE;
    else process.env.VLLM_TUNE_PARALLEL_GATE = prevGate;
  }
}

function write(name: string, body: string | Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, body);
  return f;
}

/**
 * The file read by one thread, and by 2, 3 and 5 threads under every schedule, gives the same answer;
 * returns the answers: `workers2`/`workers5` (the workers claimed every range first), `late` (2
 * threads, the main thread claimed ranges 1–3 before the worker started), `mainOnly` (2 threads, the
 * worker never got a range), `race` (3 threads, no gate).
 */
async function same(file: string) {
  const one = await read(file, 1);
  expect(one.taken).toBe(0);
  expect(one.mainClaimed).toBe(0);
  const runs = {
    workers2: await read(file, 2, 0),
    workers5: await read(file, 5, 0),
    late: await read(file, 2, 3),
    mainOnly: await read(file, 2, NEVER),
    race: await read(file, 3),
  };
  for (const [name, run] of Object.entries(runs)) {
    expect({ name, fp: run.fp, error: run.error }).toEqual({ name, fp: one.fp, error: one.error });
  }
  expect(runs.mainOnly.taken).toBe(0);
  return { one, ...runs };
}

const RESPONSE_HEAD = '{"status":"success","data":{"resultType":"matrix","result":[';

/** Where each series object of `response(items)` starts in the file (the items are ASCII). */
function offsets(items: string[]): number[] {
  let at = RESPONSE_HEAD.length;
  return items.map((s) => {
    const o = at;
    at += s.length + 1;
    return o;
  });
}

/**
 * The start of every worker range (1 ≤ j < ranges) that has one: the first series object after the
 * cut j·rangeBytes (its `,` at or after the cut) and before the next cut.
 */
function rangeStarts(offs: number[], p: { rangeBytes: number; ranges: number }): number[] {
  const out: number[] = [];
  for (let j = 1; j < p.ranges; j++) {
    const o = offs.find((x) => x > j * p.rangeBytes);
    if (o !== undefined && o < (j + 1) * p.rangeBytes) out.push(o);
  }
  return out;
}

/** The ranges of `file` for `threads` threads. */
function plan(file: string, threads: number): { rangeBytes: number; ranges: number } {
  const p = rangePlan(statSync(file).size, threads);
  expect(p).toBeDefined();
  return p!;
}

describe('parallel query_range reader: same result with 1 or N threads', () => {
  it('a fleet export: every range handed over, every series and sample identical', async () => {
    const items = fleet(8, 40);
    const f = write('fleet.json', response(items));
    const { one, workers2, workers5, late, mainOnly, race } = await same(f);
    expect(one.fp!.series).toBe(320);
    expect(one.fp!.warnings).toEqual([]);
    // Every range after the first has a series start: whoever claimed it, it is read once.
    const r2 = plan(f, 2).ranges;
    const r5 = plan(f, 5).ranges;
    expect(r2).toBeGreaterThan(8);
    expect(r5).toBeGreaterThan(r2);
    expect(rangeStarts(offsets(items), plan(f, 5))).toHaveLength(r5 - 1);
    expect(workers2).toMatchObject({ taken: r2 - 1, mainClaimed: 0 });
    expect(workers5).toMatchObject({ taken: r5 - 1, mainClaimed: 0 });
    expect(late).toMatchObject({ taken: r2 - 4, mainClaimed: 3 });
    expect(mainOnly).toMatchObject({ taken: 0, mainClaimed: r2 - 1 });
    expect(race.taken + race.mainClaimed).toBe(plan(f, 3).ranges - 1);
  });

  it('a series longer than a range: the ranges inside it have no start, and are passed', async () => {
    const items = fleet(4, 40);
    // ≈ 1.1 MB: several ranges (≈ 190 kB with 2 threads) lie inside it.
    items[60] = series({ __name__: 'vllm:num_requests_running', instance: 'big' }, 60_000, 1_700_000_000, (i) => String(i % 97));
    const f = write('long-series.json', response(items));
    const { one, workers2, mainOnly } = await same(f);
    expect(one.fp!.series).toBe(160);
    const p = plan(f, 2);
    const starts = rangeStarts(offsets(items), p);
    expect(starts.length).toBeLessThan(p.ranges - 4);
    expect(workers2.taken).toBe(starts.length);
    expect(mainOnly.mainClaimed).toBe(p.ranges - 1);
  });

  it('NaN/Inf values and a timestamp in milliseconds inside worker ranges: same drops and warnings', async () => {
    const items = fleet(4, 40, {
      extra: (k) => (k === 100 ? series({ __name__: 'vllm:gpu_cache_usage_perc', instance: 'x' }, 50, 1_700_000_000, (i) => (i % 7 === 0 ? 'NaN' : i % 11 === 0 ? '+Inf' : String(i / 100))) : k === 130 ? series({ __name__: 'vllm:num_requests_waiting', instance: 'y' }, 20, 1_700_000_000_000, () => '1') : undefined),
    });
    const f = write('bad-values.json', response(items));
    const { one, workers5 } = await same(f);
    expect(JSON.stringify(one.fp!.warnings)).toMatch(/NaN|not a number|milli/i);
    expect(workers5.taken).toBe(rangeStarts(offsets(items), plan(f, 5)).length);
  });

  it('a series repeated across ranges (overlapping responses) is appended in file order', async () => {
    const a = fleet(4, 40);
    const f = write('repeat.json', response(a) + '\n' + response(fleet(4, 40, { t0: 1_700_006_000 })));
    const { one, workers5 } = await same(f);
    expect(one.fp!.series).toBe(160);
    // The element after the second response's `[` has no `,` before it: the range holding it starts later.
    expect(workers5.taken).toBeGreaterThan(plan(f, 5).ranges / 2);
  });

  it('a syntax error in a worker range: the same error, at the same byte', async () => {
    const items = fleet(4, 40);
    items[120] = items[120].replace(/\[(\d+),"/g, (m, t, at) => (at > 3000 && at < 3040 ? `[${t},,"` : m));
    const f = write('broken.json', response(items));
    const { one, workers2, late } = await same(f);
    expect(one.error).toMatch(/^(?:JSON_SYNTAX|NOT_PROMETHEUS_RESPONSE): .*@\{"byte":\d+/);
    const at = Number(/"byte":(\d+)/.exec(one.error!)![1]);
    expect(at).toBeGreaterThan(100 * 12_000);
    // Every range that starts before the broken series was handed over (that of the broken series
    // with the series before it), none after it.
    const offs = offsets(items);
    expect(at).toBeGreaterThan(offs[120]);
    expect(at).toBeLessThan(offs[121]);
    const before = rangeStarts(offs, plan(f, 2)).filter((o) => o < offs[120]).length;
    expect(before).toBeGreaterThan(5);
    expect(workers2.taken).toBe(before);
    expect(late.taken).toBe(before - 3);
  });

  it('an error in the first series of a worker range: the worker hands back nothing, the main thread meets the error', async () => {
    const items = fleet(4, 40);
    const whole = response(items);
    // With 2 threads, range 5 starts at the first series object after its cut: break that one.
    const { rangeBytes } = plan(write('broken-first.json', whole), 2);
    const k = items.findIndex((_, i) => whole.indexOf(items[i]) > 5 * rangeBytes);
    items[k] = items[k].replace(/\[(\d+),"/, '[$1,,"');
    const f = write('broken-first.json', response(items));
    const { one, workers2 } = await same(f);
    expect(one.error).toMatch(/^(?:JSON_SYNTAX|NOT_PROMETHEUS_RESPONSE): /);
    expect(workers2.taken).toBe(4);
  });

  it('a series-like object that is not a result element (inside an unknown key) is not taken as a cut', async () => {
    const items = fleet(4, 40);
    // `,{"metric":` inside a value the reader skips: a byte search finds it, the walk never stops there.
    for (const k of [60, 61, 62, 63, 64, 100, 101, 102]) items[k] = items[k].replace(/\}$/, `,"x":[0${',{"metric":{"__name__":"fake"},"values":[[1,"1"]]}'.repeat(400)}]}`);
    const f = write('decoy.json', response(items));
    const { one, workers2 } = await same(f);
    expect(JSON.stringify(one.fp)).not.toMatch(/fake/);
    expect(one.fp!.series).toBe(160);
    // The ranges whose search met a decoy were read by the main thread (their guess thrown away).
    expect(workers2.taken).toBeGreaterThan(0);
    expect(workers2.taken).toBeLessThan(plan(f, 2).ranges - 1);
  });

  it('label values holding the cut pattern (escaped quotes) and odd whitespace', async () => {
    const items = fleet(3, 40).map((s, k) => (k % 9 === 0 ? s.replace('"model_name":"m"', `"model_name":${JSON.stringify('a,{"metric":{},"values":[[1,"2"]]}')}`) : s));
    const pretty = response(items).replace(/\},\{"metric"/g, '},\n  {\n    "metric"');
    const f = write('pretty.json', pretty);
    const { one, workers5 } = await same(f);
    expect(one.fp!.series).toBe(120);
    expect(workers5.taken).toBeGreaterThan(plan(f, 5).ranges / 2);
  });

  it('the series limit met inside a worker range: the same LIMIT_EXCEEDED at the same series', async () => {
    setLimits({ maxSeries: 100 });
    try {
      const { one } = await same(write('limit.json', response(fleet(4, 40))));
      expect(one.error).toMatch(/^LIMIT_EXCEEDED: more than 100 distinct series/);
    } finally {
      setLimits({});
    }
  });

  it('values then metric, vector results, a bare result array and a second response', async () => {
    const swapped = fleet(2, 40).map((s) => s.replace(/^\{"metric":(\{[^}]*\}),"values":(\[.*\])\}$/, '{"values":$2,"metric":$1}'));
    const vec = Array.from({ length: 300 }, (_, i) => `{"metric":{"__name__":"vllm:num_requests_running","pod":"p${i}"},"value":[1700000000,"${i}"]}`);
    const body = `[${swapped.join(',')}]\n{"status":"success","data":{"resultType":"vector","result":[${vec.join(',')}]}}\n${response(fleet(2, 40, { t0: 1_700_010_000 }))}`;
    const { one, workers5 } = await same(write('mixed.json', body));
    expect(JSON.stringify(one.fp!.inputs)).toMatch(/bare result array/);
    expect(workers5.taken).toBeGreaterThan(0);
  });

  it('a gzip file is read by the main thread alone, with the same result as the plain file', async () => {
    const body = response(fleet(4, 40));
    const plain = await read(write('plain.json', body), 4, 0);
    const gz = await read(write('plain.json.gz', gzipSync(body)), 4, 0);
    expect(plain.taken).toBeGreaterThan(0);
    expect(gz).toMatchObject({ taken: 0, mainClaimed: 0 });
    expect(gz.fp!.digest).toBe(plain.fp!.digest);
  });

  it('the thread count: --workers wins over VLLM_TUNE_WORKERS; a bad VLLM_TUNE_WORKERS is BAD_OPTION', async () => {
    const items = fleet(4, 40);
    const f = write('threads.json', response(items));
    const prev = process.env.VLLM_TUNE_WORKERS;
    try {
      process.env.VLLM_TUNE_WORKERS = '1';
      // workers: 3 given → 3 threads: the ranges for 3
      expect((await read(f, 3, 0)).taken).toBe(rangeStarts(offsets(items), plan(f, 3)).length);
      const envOnly = await ingest({ inputs: [f] }).then(() => 'ok', (e: any) => e.code);
      expect(envOnly).toBe('ok');
      process.env.VLLM_TUNE_WORKERS = 'two';
      const bad = await ingest({ inputs: [f] }).then(() => 'ok', (e: any) => `${e.code}: ${e.message}`);
      expect(bad).toMatch(/^BAD_OPTION: VLLM_TUNE_WORKERS "two": expected a whole number/);
    } finally {
      if (prev === undefined) delete process.env.VLLM_TUNE_WORKERS;
      else process.env.VLLM_TUNE_WORKERS = prev;
    }
  });

  it('a file too small for two ranges is not cut', async () => {
    const small = await read(write('small.json', response(fleet(1, 4))), 4, 0);
    expect(small).toMatchObject({ taken: 0, mainClaimed: 0 });
    expect(small.fp!.series).toBe(4);
  });
});
