// The parallel query_range reader (src/ingest/prometheus-json/parallel.ts): the same stored series,
// warnings, input summary and errors with 1 or N worker threads. Workers run compiled code, so this
// test drives the compiled ingest in dist/ (`npm test` compiles first); the ranges are made small
// (VLLM_TUNE_PARALLEL_MIN_BYTES) so that files of a few MB are cut into several.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import crypto from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const dist = (p: string) => pathToFileURL(path.join(root, 'dist', 'src', p)).href;

interface Stats {
  rangesTaken: number;
  seriesTaken: number;
}
/* eslint-disable @typescript-eslint/no-explicit-any */
let ingest: (req: any) => Promise<any>;
let parallelStats: Stats;
let setLimits: (p: any) => void;
let dir: string;
const prevMin = process.env.VLLM_TUNE_PARALLEL_MIN_BYTES;

beforeAll(async () => {
  ({ ingest } = await import(dist('ingest/index.js')));
  ({ parallelStats } = await import(dist('ingest/prometheus-json/parallel.js')));
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
  return `{"status":"success","data":{"resultType":"matrix","result":[${items.join(',')}]}}`;
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

async function read(file: string, workers: number): Promise<{ fp?: ReturnType<typeof fingerprint>; error?: string; taken: number }> {
  const before = parallelStats.rangesTaken;
  try {
    const a = await ingest({ inputs: [file], options: { workers } });
    return { fp: fingerprint(a), taken: parallelStats.rangesTaken - before };
  } catch (e: any) {
    return { error: `${e.code}: ${e.message} @${JSON.stringify(e.position)}`, taken: parallelStats.rangesTaken - before };
  }
}

function write(name: string, body: string | Buffer): string {
  const f = path.join(dir, name);
  writeFileSync(f, body);
  return f;
}

/** The file read by 1, 2 and 5 threads gives the same answer; returns the answers. */
async function same(file: string) {
  const one = await read(file, 1);
  expect(one.taken).toBe(0);
  const two = await read(file, 2);
  const five = await read(file, 5);
  expect(two.fp).toEqual(one.fp);
  expect(two.error).toBe(one.error);
  expect(five.fp).toEqual(one.fp);
  expect(five.error).toBe(one.error);
  return { one, two, five };
}

describe('parallel query_range reader: same result with 1 or N threads', () => {
  it('a fleet export: every range handed over, every series and sample identical', async () => {
    const f = write('fleet.json', response(fleet(8, 40)));
    const { one, two, five } = await same(f);
    expect(one.fp!.series).toBe(320);
    expect(one.fp!.warnings).toEqual([]);
    expect(two.taken).toBe(1);
    expect(five.taken).toBe(4);
  });

  it('NaN/Inf values and a timestamp in milliseconds inside worker ranges: same drops and warnings', async () => {
    const items = fleet(4, 40, {
      extra: (k) => (k === 100 ? series({ __name__: 'vllm:gpu_cache_usage_perc', instance: 'x' }, 50, 1_700_000_000, (i) => (i % 7 === 0 ? 'NaN' : i % 11 === 0 ? '+Inf' : String(i / 100))) : k === 130 ? series({ __name__: 'vllm:num_requests_waiting', instance: 'y' }, 20, 1_700_000_000_000, () => '1') : undefined),
    });
    const { one, five } = await same(write('bad-values.json', response(items)));
    expect(JSON.stringify(one.fp!.warnings)).toMatch(/NaN|not a number|milli/i);
    expect(five.taken).toBeGreaterThan(1);
  });

  it('a series repeated across ranges (overlapping responses) is appended in file order', async () => {
    const a = fleet(4, 40);
    const f = write('repeat.json', response(a) + '\n' + response(fleet(4, 40, { t0: 1_700_006_000 })));
    const { one, five } = await same(f);
    expect(one.fp!.series).toBe(160);
    expect(five.taken).toBeGreaterThan(1);
  });

  it('a syntax error in a worker range: the same error, at the same byte', async () => {
    const items = fleet(4, 40);
    items[120] = items[120].replace(/\[(\d+),"/g, (m, t, at) => (at > 3000 && at < 3040 ? `[${t},,"` : m));
    const f = write('broken.json', response(items));
    const { one, five } = await same(f);
    expect(one.error).toMatch(/^(?:JSON_SYNTAX|NOT_PROMETHEUS_RESPONSE): .*@\{"byte":\d+/);
    const at = Number(/"byte":(\d+)/.exec(one.error!)![1]);
    expect(at).toBeGreaterThan(100 * 12_000);
    expect(five.taken).toBeGreaterThan(0); // the ranges before the error were handed over
  });

  it('an error in the first series of a worker range: the worker hands back nothing, the main thread meets the error', async () => {
    const items = fleet(4, 40);
    const whole = response(items);
    // With 2 threads the cut is the first series object after the middle byte: break that one.
    const mid = Math.floor(whole.length / 2);
    const k = items.findIndex((_, i) => whole.indexOf(items[i]) > mid);
    items[k] = items[k].replace(/\[(\d+),"/, '[$1,,"');
    const f = write('broken-first.json', response(items));
    const one = await read(f, 1);
    const two = await read(f, 2);
    expect(one.error).toMatch(/^(?:JSON_SYNTAX|NOT_PROMETHEUS_RESPONSE): /);
    expect(two.error).toBe(one.error);
    expect(two.taken).toBe(0);
  });

  it('a series-like object that is not a result element (inside an unknown key) is not taken as a cut', async () => {
    const items = fleet(4, 40);
    // `,{"metric":` inside a value the reader skips: a byte search finds it, the walk never stops there.
    for (const k of [60, 61, 62, 63, 64, 100, 101, 102]) items[k] = items[k].replace(/\}$/, `,"x":[0${',{"metric":{"__name__":"fake"},"values":[[1,"1"]]}'.repeat(400)}]}`);
    const { one, five } = await same(write('decoy.json', response(items)));
    expect(JSON.stringify(one.fp)).not.toMatch(/fake/);
    expect(one.fp!.series).toBe(160);
    expect(five.fp!.series).toBe(160);
  });

  it('label values holding the cut pattern (escaped quotes) and odd whitespace', async () => {
    const items = fleet(3, 40).map((s, k) => (k % 9 === 0 ? s.replace('"model_name":"m"', `"model_name":${JSON.stringify('a,{"metric":{},"values":[[1,"2"]]}')}`) : s));
    const pretty = response(items).replace(/\},\{"metric"/g, '},\n  {\n    "metric"');
    const { one, five } = await same(write('pretty.json', pretty));
    expect(one.fp!.series).toBe(120);
    expect(five.taken).toBeGreaterThan(1);
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
    const { one, five } = await same(write('mixed.json', body));
    expect(one.fp!.inputs).toEqual(five.fp!.inputs);
    expect(JSON.stringify(one.fp!.inputs)).toMatch(/bare result array/);
    expect(five.taken).toBeGreaterThan(0);
  });

  it('a gzip file is read by the main thread alone, with the same result as the plain file', async () => {
    const body = response(fleet(4, 40));
    const plain = await read(write('plain.json', body), 4);
    const gz = await read(write('plain.json.gz', gzipSync(body)), 4);
    expect(gz.taken).toBe(0);
    expect(gz.fp!.digest).toBe(plain.fp!.digest);
  });

  it('the thread count: --workers wins over VLLM_TUNE_WORKERS; a bad VLLM_TUNE_WORKERS is BAD_OPTION', async () => {
    const f = write('threads.json', response(fleet(4, 40)));
    const prev = process.env.VLLM_TUNE_WORKERS;
    try {
      process.env.VLLM_TUNE_WORKERS = '1';
      expect((await read(f, 3)).taken).toBe(2); // workers: 3 given → 3 threads, 2 worker ranges
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
    const small = await read(write('small.json', response(fleet(1, 4))), 4);
    expect(small.taken).toBe(0);
    expect(small.fp!.series).toBe(4);
  });
});
