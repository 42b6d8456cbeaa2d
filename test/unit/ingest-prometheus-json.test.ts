// Prometheus HTTP API JSON adapter: every response variant, errors with positions, chunk-boundary
// robustness (the same bytes split at every position), merging files, gzip, and bit-exact numbers
// against an independent JSON.parse + Number() reference.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promJsonAdapter, sniffPrometheusJson, UNNAMED_METRIC } from '../../src/ingest/from-prometheus-json.js';
import { SampleSink, SeriesAccumulator } from '../../src/ingest/sink.js';
import { resolveMetricName } from '../../src/model/metric-catalog.js';
import { bufferSource, fileSource, type InputSource } from '../../src/ingest/source.js';
import { ingest } from '../../src/ingest/index.js';
import { ServingConfigBuilder } from '../../src/model/serving-config.js';
import { InputError } from '../../src/errors.js';
import type { InputWarning, SampleValues, Series } from '../../src/model/series.js';
import type { IngestContext } from '../../src/ingest/adapter.js';
import { REAL } from '../support/paths.js';
import { JsonByteReader } from '../../src/ingest/bytes/json-reader.js';
import { SeriesObjectReader } from '../../src/ingest/prometheus-json/series-object.js';
import { BATCH_FLOAT64, BATCH_HAS_BAD, BATCH_INT32, batchKind } from '../../src/ingest/accumulator.js';
import { isShared } from '../../src/model/shared-memory.js';
import { mulberry32 } from '../../src/stats/prng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIX = path.resolve(here, '../fixtures/prometheus-json');
const fx = (name: string) => path.join(FIX, name);
const bytes = (name: string) => readFileSync(fx(name));

/** A source whose chunks are cut at the given offsets (to test state carried across chunks). */
function cutSource(data: Buffer, cuts: number[], display = 'test.json'): InputSource {
  const base = bufferSource(data, display);
  return {
    ...base,
    chunks: async function* () {
      let prev = 0;
      for (const c of [...cuts, data.length]) {
        if (c > prev) yield Buffer.from(data.subarray(prev, c));
        prev = c;
      }
    },
  };
}

/** Fixed-size chunks. */
function sizedSource(data: Buffer, size: number, display = 'test.json'): InputSource {
  const cuts: number[] = [];
  for (let i = size; i < data.length; i += size) cuts.push(i);
  return cutSource(data, cuts, display);
}

interface Read {
  detail: string;
  series: Series[];
  /** Adapter warnings (ctx.warn) followed by the sink's. */
  warnings: InputWarning[];
  samples: number;
  seriesCount: number;
}

async function readSources(...srcs: InputSource[]): Promise<Read> {
  const sink = new SampleSink();
  const warnings: InputWarning[] = [];
  const ctx: IngestContext = { sink, config: new ServingConfigBuilder(), options: {}, addProfile: () => {}, warn: (w) => warnings.push(w) };
  let detail = '';
  let samples = 0;
  let seriesCount = 0;
  for (const src of srcs) {
    sink.beginFile(src.display);
    detail = (await promJsonAdapter.read(src, ctx)).detail;
    samples += sink.fileStats(src.display).samples;
    seriesCount += sink.fileStats(src.display).series;
  }
  const fin = sink.finish();
  return { detail, series: fin.series, warnings: [...warnings, ...fin.warnings], samples, seriesCount };
}

const read = (data: Buffer, display = 'test.json') => readSources(bufferSource(data, display));

async function readError(src: InputSource): Promise<InputError> {
  try {
    await readSources(src);
  } catch (e) {
    if (e instanceof InputError) return e;
    throw e;
  }
  throw new Error('expected an InputError');
}

function find(series: Series[], name: string, labels?: Record<string, string>): Series {
  const s = series.find((x) => x.name === name && (!labels || Object.entries(labels).every(([k, v]) => x.labels[k] === v)));
  if (!s) throw new Error(`no series ${name} ${JSON.stringify(labels ?? {})} in ${series.map((x) => x.name).join(', ')}`);
  return s;
}

/** Plain, comparable form of series. */
function plain(series: Series[]) {
  return series.map((s) => ({ name: s.name, labels: { ...s.labels }, t: Array.from(s.t), v: Array.from(s.v) }));
}

const LLAMA = { engine: '0', instance: '10.0.0.5:8000', job: 'vllm', model_name: 'meta-llama/Llama-3.1-8B-Instruct' };

describe('sniff', () => {
  it('recognises responses, bare result arrays, and error bodies', () => {
    for (const f of ['matrix-pretty.json', 'matrix-min.json', 'bare-result.json', 'vector.json', 'error-bad-data.json', 'scalar.json', 'empty-result.json']) {
      expect(sniffPrometheusJson(bytes(f).toString('utf8')), f).toBe(true);
    }
    expect(sniffPrometheusJson('\ufeff{"status":"success","data":{"resultType":"matrix","result":[]}}')).toBe(true);
    expect(sniffPrometheusJson('[]')).toBe(true);
  });

  it('rejects other JSON: a plain object, Grafana dashboards, a Kineto trace, arrays of other things', async () => {
    expect(sniffPrometheusJson(bytes('not-prometheus.json').toString('utf8'))).toBe(false);
    expect(sniffPrometheusJson('{"data": 1}')).toBe(false);
    expect(sniffPrometheusJson('[{"name":"aten::mm","ph":"X"}]')).toBe(false);
    expect(sniffPrometheusJson('[1,2]')).toBe(false);
    for (const f of ['dashboards/aibrix__AIBrix_vLLM_Engine_Dashboard.json', 'dashboards/vllm_examples_production_monitoring__grafana.json', 'dashboards/llm-d__llm-d-dashboard.json']) {
      expect(sniffPrometheusJson(readFileSync(path.join(REAL, f), 'utf8').slice(0, 65536)), f).toBe(false);
    }
    const trace = await fileSource(path.join(REAL, 'traces/docs_traces__after_fix_trace.json'));
    expect(sniffPrometheusJson(trace.head.toString('utf8'))).toBe(false);
    const gzTrace = await fileSource(path.join(REAL, 'traces/critical_path__alexnet__benchmark_result_2869224_1695835535_trace.json.gz'));
    expect(sniffPrometheusJson(gzTrace.head.toString('utf8'))).toBe(false);
  });
});

describe('query_range matrix', () => {
  it('reads a pretty-printed whole response: names, labels, float-second timestamps, values', async () => {
    const r = await read(bytes('matrix-pretty.json'));
    expect(r.detail).toBe('query_range matrix');
    expect(r.series).toHaveLength(2);
    expect(r.samples).toBe(6);
    expect(r.seriesCount).toBe(2);
    const running = find(r.series, 'vllm:num_requests_running');
    expect(running.labels).toEqual(LLAMA);
    expect(Array.from(running.t)).toEqual([1732269600.781, 1732269610.781, 1732269620.781]);
    expect(Array.from(running.v)).toEqual([3, 7, 12]);
    // the old name is resolved through the catalog (the sink's job) and reported
    const kv = find(r.series, 'vllm:kv_cache_usage_perc');
    expect(kv.labels).toEqual(LLAMA);
    expect(Array.from(kv.v)).toEqual([0.0125, 0.4375, 0.91015625]);
    expect(r.warnings.map((w) => w.code)).toEqual(['RENAMED_METRIC']);
  });

  it('reads the minified form with other key orders (values before metric, data before status, resultType after result) to the same series', async () => {
    const pretty = await read(bytes('matrix-pretty.json'));
    const min = await read(bytes('matrix-min.json'));
    expect(min.detail).toBe('query_range matrix');
    expect(plain(min.series)).toEqual(plain(pretty.series));
    const byCode = Object.fromEntries(min.warnings.map((w) => [w.code, w]));
    expect(byCode.PROMETHEUS_WARNING.message).toContain('encountered a mix of histograms and floats for metric name "vllm:e2e_request_latency_seconds"');
    expect(byCode.PROMETHEUS_WARNING.count).toBe(1);
    expect(byCode.PROMETHEUS_INFO.message).toContain('metric might not be a counter');
  });

  it('skips a UTF-8 byte order mark', async () => {
    const withBom = await read(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('matrix-min.json')]));
    expect(plain(withBom.series)).toEqual(plain((await read(bytes('matrix-min.json'))).series));
  });

  it('reads the bare data.result array', async () => {
    const r = await read(bytes('bare-result.json'));
    expect(r.detail).toBe('query_range matrix (bare result array)');
    expect(r.series).toHaveLength(1);
    const s = find(r.series, 'vllm:num_requests_waiting');
    expect(s.labels).toEqual({ ...LLAMA, instance: '10.0.0.6:8000' });
    expect(Array.from(s.t)).toEqual([1732269600, 1732269610, 1732269620, 1732269630]);
    expect(Array.from(s.v)).toEqual([0, 4, 9, 2]);
  });

  it('reads "NaN", "+Inf", "-Inf", exponents and long mantissas exactly; NaN and ±Inf samples are dropped with a warning', async () => {
    const r = await read(bytes('special-values.json'));
    const s = find(r.series, 'vllm:e2e_request_latency_seconds_bucket');
    expect(s.labels).toEqual({ instance: '10.0.0.5:8000', le: '+Inf' });
    expect(Array.from(s.t)).toEqual([1732269630.5, 1732269640.5, 1732269650.5, 1732269660.5]);
    expect(Array.from(s.v)).toEqual([1.5e-7, -0.25, 123456789012345680, 0.30000000000000004]);
    expect(r.samples).toBe(7); // read, including the NaN and ±Inf the sink then drops
    expect(r.warnings.find((w) => w.code === 'NAN_SAMPLES')?.count).toBe(1);
    expect(r.warnings.find((w) => w.code === 'INFINITE_SAMPLES')?.count).toBe(2);
  });

  it('decodes escaped and non-ASCII label values', async () => {
    const r = await read(bytes('labels-escapes.json'));
    expect(r.series[0].labels).toEqual({ model_name: 'org/modèle-€', path: 'C:\\models\\x', quote: 'say "hi"', uni: 'é中', newline: 'a\nb' });
  });

  it('names series without __name__ as __unnamed__ with a warning', async () => {
    const r = await read(bytes('unnamed-rate.json'));
    const s = find(r.series, UNNAMED_METRIC);
    expect(s.labels).toEqual({ instance: '10.0.0.5:8000', job: 'vllm' });
    expect(Array.from(s.v)).toEqual([1.25, 2.5]);
    const w = r.warnings.find((x) => x.code === 'UNNAMED_SERIES');
    expect(w?.count).toBe(1);
    expect(w?.file).toBe('test.json');
  });

  it('turns an empty result into a warning, not a crash', async () => {
    const r = await read(bytes('empty-result.json'));
    expect(r.series).toHaveLength(0);
    expect(r.detail).toBe('query_range matrix');
    expect(r.warnings.map((w) => w.code)).toEqual(['EMPTY_RESULT']);
    const bare = await read(Buffer.from('[]\n'));
    expect(bare.warnings.map((w) => w.code)).toEqual(['EMPTY_RESULT']);
  });

  it('skips native-histogram samples with a warning and keeps float samples of other series', async () => {
    const body =
      '{"status":"success","data":{"resultType":"matrix","result":[' +
      '{"metric":{"__name__":"h"},"histograms":[[1732269600,{"count":"3","sum":"1.5","buckets":[[0,"0.5","1","3"]]}]]},' +
      '{"metric":{"__name__":"g"},"values":[[1732269600,"1"]]}]}}';
    const r = await read(Buffer.from(body));
    expect(r.series.map((s) => s.name)).toEqual(['g']);
    expect(r.warnings.find((w) => w.code === 'NATIVE_HISTOGRAM_SKIPPED')?.count).toBe(1);
  });

  it('skips sample values that are not numbers and counts them', async () => {
    const r = await read(Buffer.from('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"g"},"values":[[1,"1"],[2,"abc"],[3,""],[4,"4"]]}]}}'));
    expect(Array.from(r.series[0].t)).toEqual([1, 4]);
    expect(r.warnings.find((w) => w.code === 'BAD_SAMPLE_VALUE')?.count).toBe(2);
  });

  it('reads several responses concatenated in one file (a loop of curl >>)', async () => {
    const both = Buffer.concat([bytes('overlap-a.json'), bytes('overlap-b.json')]);
    const r = await read(both);
    expect(r.detail).toBe('query_range matrix, 2 responses');
    const a = find(r.series, 'vllm:num_requests_running', { instance: 'a:8000' });
    expect(Array.from(a.t)).toEqual([1732269600, 1732269610, 1732269620, 1732269630, 1732269640]);
    expect(Array.from(a.v)).toEqual([1, 2, 30, 4, 5]);
  });
});

describe('instant vector and scalar', () => {
  it('reads one sample per series from "value"', async () => {
    const r = await read(bytes('vector.json'));
    expect(r.detail).toBe('instant vector');
    expect(r.series).toHaveLength(2);
    const info = find(r.series, 'vllm:cache_config_info');
    expect(info.labels.num_gpu_blocks).toBe('22538');
    expect(info.labels.block_size).toBe('16');
    expect(Array.from(info.t)).toEqual([1732269651.781]);
    expect(Array.from(info.v)).toEqual([1]);
    expect(Array.from(find(r.series, 'vllm:num_requests_running').v)).toEqual([5]);
    // one-sample series are normal for an instant query: no SINGLE_SAMPLE_SERIES warning
    expect(r.warnings).toEqual([]);
  });

  it('ignores a scalar result with a warning', async () => {
    const r = await read(bytes('scalar.json'));
    expect(r.detail).toBe('scalar (ignored)');
    expect(r.series).toHaveLength(0);
    expect(r.warnings.map((w) => w.code)).toEqual(['SCALAR_RESULT_IGNORED']);
  });
});

describe('bad input', () => {
  it('an error body becomes PROMETHEUS_ERROR quoting errorType and error', async () => {
    const e = await readError(bufferSource(bytes('error-bad-data.json'), 'err.json'));
    expect(e.code).toBe('PROMETHEUS_ERROR');
    expect(e.file).toBe('err.json');
    expect(e.message).toContain('bad_data');
    expect(e.message).toContain('exceeded maximum resolution of 11,000 points per timeseries');
    expect(e.position).toBeUndefined();
    expect(e.hint).toContain('11,000 points');
    // an error body after another response in the same file: its offset is given
    const a = bytes('overlap-a.json');
    const e2 = await readError(bufferSource(Buffer.concat([a, bytes('error-bad-data.json')]), 'two.json'));
    expect([e2.code, e2.position]).toEqual(['PROMETHEUS_ERROR', { byte: a.length }]);
  });

  it('a JSON object that is no Prometheus response is NOT_PROMETHEUS_RESPONSE with a hint', async () => {
    const e = await readError(bufferSource(bytes('not-prometheus.json'), 'x.json'));
    expect(e.code).toBe('NOT_PROMETHEUS_RESPONSE');
    expect(e.position).toEqual({ byte: 0 });
    expect(e.hint).toContain('query_range');
    const e2 = await readError(bufferSource(Buffer.from('{"status":"success","data":{"resultType":"matrix","result":{"a":1}}}'), 'y.json'));
    expect(e2.code).toBe('NOT_PROMETHEUS_RESPONSE');
    expect(e2.position).toEqual({ byte: 59 }); // the '{' after "result":
    const e3 = await readError(bufferSource(Buffer.from('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["1732269600","1"]]}]}}'), 'z.json'));
    expect(e3.code).toBe('NOT_PROMETHEUS_RESPONSE');
    expect(e3.message).toContain('timestamp');
    expect(e3.position).toEqual({ byte: 84 });
    // pairs of the wrong length are valid JSON of the wrong shape
    for (const [values, at] of [['[[1732269600]]', 72], ['[[1732269600,"1","x"]]', 76], ['[[1,"1"],[2,"2",3]]', 75]] as const) {
      const e5 = await readError(bufferSource(Buffer.from(`{"status":"success","data":{"result":[{"metric":{},"values":${values}}]}}`), 'v.json'));
      expect([e5.code, e5.position], values).toEqual(['NOT_PROMETHEUS_RESPONSE', { byte: at }]);
    }
    // an array of arrays is neither series nor a scalar pair
    const e4 = await readError(bufferSource(Buffer.from('[[1732269600,"1"]]'), 'w.json'));
    expect([e4.code, e4.position]).toEqual(['NOT_PROMETHEUS_RESPONSE', { byte: 1 }]);
  });

  it('a JSON syntax error is JSON_SYNTAX at its byte offset', async () => {
    const data = bytes('syntax-error.json');
    const at = data.toString('latin1').indexOf('] [') + 2; // the '[' where ',' was expected
    expect(at).toBe(128);
    const e = await readError(bufferSource(data, 'bad.json'));
    expect(e.code).toBe('JSON_SYNTAX');
    expect(e.file).toBe('bad.json');
    expect(e.position).toEqual({ byte: 128 });
    expect(e.message).toContain("expected ',' or ']'");
    // errors elsewhere: in a skipped member, a bad literal, trailing garbage
    const cases: [string, number][] = [
      ['{"status":"success","stats":{"a":tru},"data":{"resultType":"matrix","result":[]}}', 33],
      ['{"status":"success","stats":{"a" 1},"data":{"resultType":"matrix","result":[]}}', 33],
      ['{"status":"success","data":{"resultType":"matrix","result":[]}} x', 64],
      ['{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"a",},"values":[]}]}}', 86],
    ];
    for (const [text, byte] of cases) {
      const err = await readError(bufferSource(Buffer.from(text), 'c.json'));
      expect([err.code, err.position], text).toEqual(['JSON_SYNTAX', { byte }]);
    }
  });

  it('a truncated file is JSON_SYNTAX "ends early" at its length', async () => {
    const data = bytes('truncated.json');
    const e = await readError(bufferSource(data, 't.json'));
    expect(e.code).toBe('JSON_SYNTAX');
    expect(e.message).toContain('ends early');
    expect(e.position).toEqual({ byte: data.length });
  });

  it('every proper prefix of a valid response is "ends early" at the prefix length', async () => {
    const data = bytes('matrix-min.json');
    for (let len = 1; len < data.length; len++) {
      const e = await readError(bufferSource(data.subarray(0, len), 'p.json'));
      expect([e.code, e.position?.byte, e.message.includes('ends early')], `prefix ${len}`).toEqual(['JSON_SYNTAX', len, true]);
    }
  });
});

describe('chunk boundaries', () => {
  const files = ['matrix-min.json', 'matrix-pretty.json', 'special-values.json', 'vector.json', 'labels-escapes.json', 'bare-result.json'];
  for (const f of files) {
    it(`${f}: split at every byte position, and in 1- and 7-byte chunks, reads the same`, async () => {
      const data = bytes(f);
      const ref = await read(data);
      const want = { series: plain(ref.series), warnings: ref.warnings, detail: ref.detail, samples: ref.samples };
      const srcs: InputSource[] = [sizedSource(data, 1), sizedSource(data, 7)];
      for (let cut = 1; cut < data.length; cut++) srcs.push(cutSource(data, [cut]));
      for (const src of srcs) {
        const r = await readSources(src);
        expect({ series: plain(r.series), warnings: r.warnings, detail: r.detail, samples: r.samples }).toEqual(want);
      }
    });
  }

  it('errors report the same code and offset whatever the chunking', async () => {
    for (const f of ['syntax-error.json', 'truncated.json', 'error-bad-data.json']) {
      const data = bytes(f);
      const ref = await readError(bufferSource(data, 'e.json'));
      for (let cut = 1; cut < data.length; cut++) {
        const e = await readError(cutSource(data, [cut], 'e.json'));
        expect([e.code, e.position, e.message], `${f} cut at ${cut}`).toEqual([ref.code, ref.position, ref.message]);
      }
      const e1 = await readError(sizedSource(data, 1, 'e.json'));
      expect([e1.code, e1.position]).toEqual([ref.code, ref.position]);
    }
  });
});

describe('large chunks (bridge buffers across chunk boundaries)', () => {
  it('a ~1 MB response with long labels and a long skipped member reads the same at chunk sizes above and below 64 KiB', async () => {
    const result = [];
    for (let s = 0; s < 30; s++) {
      const values: [number, string][] = [];
      for (let i = 0; i < 1200; i++) values.push([1732269600 + i * 10 + 0.125, String((s * 1200 + i) / 8)]);
      // every 7th series carries a 40 KB label value: a token longer than the 16 KiB bridge
      const metric: Record<string, string> = { __name__: `m${s}`, instance: `i${s}` };
      if (s % 7 === 3) metric.long = 'x'.repeat(40_000) + `é${s}`;
      result.push({ metric, values });
    }
    const doc = { status: 'success', stats: { note: 'y'.repeat(100_000), n: [1, 2.5, -3e-4, true, null] }, data: { resultType: 'matrix', result } };
    const data = Buffer.from(JSON.stringify(doc));
    expect(data.length).toBeGreaterThan(900_000);
    const ref = await readSources(sizedSource(data, data.length + 1));
    expect(ref.samples).toBe(30 * 1200);
    expect(ref.series).toHaveLength(30);
    const s10 = find(ref.series, 'm10');
    expect(s10.labels.long).toBe('x'.repeat(40_000) + 'é10');
    expect(s10.t[5]).toBe(1732269650.125);
    expect(s10.v[5]).toBe((10 * 1200 + 5) / 8);
    const want = plain(ref.series);
    for (const size of [65_537, 70_001, 100_003, 1 << 20]) {
      const r = await readSources(sizedSource(data, size));
      expect(plain(r.series), `chunk size ${size}`).toEqual(want);
    }
  });
});

describe('numbers are bit-exact against JSON.parse + Number()', () => {
  it('values of 17 digits in a file read exactly through the adapter', async () => {
    const vals = ['0.43758320540099954', '12345.678901234567', '-0.0062864479410089493', '9007199254740993'];
    const body = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"g"},"values":[${vals.map((v, i) => `[${1732269600 + i},"${v}"]`).join(',')}]}]}}`;
    const r = await read(Buffer.from(body));
    expect(Array.from(r.series[0].v)).toEqual(vals.map(Number));
  });

  /** Seeded PRNG (mulberry32). */
  function rng(seed: number) {
    return () => {
      seed |= 0;
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  it('random values of many digit counts and forms, pretty and minified, random chunk sizes', async () => {
    const rand = rng(42);
    const forms = [
      () => String(Math.floor(rand() * 1000)),
      () => (rand() * 100).toFixed(Math.floor(rand() * 8)),
      () => String(rand()), // 16–17 significant digits: slow path
      () => String(rand() * 1e-9), // exponent form
      () => String(Math.floor(rand() * 1e15)),
      () => (rand() * 1e6).toFixed(3),
      () => '-' + (rand() * 50).toFixed(2),
      () => ['NaN', '+Inf', '-Inf'][Math.floor(rand() * 3)],
      () => String(rand() * 1e21),
    ];
    const result = [];
    for (let s = 0; s < 40; s++) {
      const values: [number, string][] = [];
      const t0 = 1732269600 + Math.floor(rand() * 1000) + Math.floor(rand() * 1000) / 1000;
      for (let i = 0; i < 150; i++) values.push([Number((t0 + i * 15).toFixed(3)), forms[Math.floor(rand() * forms.length)]()]);
      result.push({ metric: { __name__: `m${s % 7}`, instance: `i${s}` }, values });
    }
    const doc = { status: 'success', data: { resultType: 'matrix', result } };
    for (const text of [JSON.stringify(doc), JSON.stringify(doc, null, 2)]) {
      const data = Buffer.from(text);
      // the reference: parse with JSON.parse, convert with Number(), drop NaN and ±Inf (the sink does), keep order (already ascending)
      const ref = new Map<string, { t: number[]; v: number[] }>();
      for (const s of (JSON.parse(text) as typeof doc).data.result) {
        const t: number[] = [];
        const v: number[] = [];
        for (const [ts, vs] of s.values) {
          const x = vs === '+Inf' ? Infinity : vs === '-Inf' ? -Infinity : Number(vs);
          if (!Number.isFinite(x)) continue;
          t.push(ts);
          v.push(x);
        }
        ref.set(`${s.metric.__name__}|${s.metric.instance}`, { t, v });
      }
      for (const size of [1 << 20, 4096, 333, 61]) {
        const r = await readSources(sizedSource(data, size));
        expect(r.series).toHaveLength(40);
        expect(r.samples).toBe(40 * 150);
        for (const s of r.series) {
          const want = ref.get(`${s.name}|${s.labels.instance}`)!;
          expect(Array.from(s.t)).toEqual(want.t);
          // Object.is per element: bit-exact, including -0
          const got = Array.from(s.v);
          expect(got.length).toBe(want.v.length);
          for (let i = 0; i < got.length; i++) if (!Object.is(got[i], want.v[i])) expect([i, got[i]]).toEqual([i, want.v[i]]);
        }
      }
    }
  });
});

describe('the scanner: values straight into stored blocks, with their batch kind', () => {
  interface Taken {
    kind: number;
    want: number;
    n: number;
    block: SampleValues;
    /** The values as handed over (the block may only be checked later for being overwritten). */
    values: number[];
    shared: boolean;
  }
  /** Read series objects `{"values":[…]}` one after another, as chunks of `size` bytes; what each hands over. */
  async function read(objects: string[], size: number): Promise<Taken[]> {
    const data = Buffer.from(objects.join(','));
    async function* chunks() {
      for (let i = 0; i < data.length; i += size) yield Buffer.from(data.subarray(i, i + size));
    }
    const r = new JsonByteReader('k.json', chunks());
    const out: Taken[] = [];
    const reader = new SeriesObjectReader(r, (m) => new InputError({ code: 'NOT_PROMETHEUS_RESPONSE', file: 'k.json', message: m }), {
      take(_name, _labels, _at, t, v, n, kind) {
        out.push({ kind, want: batchKind(t, v, n), n, block: v, values: Array.from(v.subarray(0, n)), shared: isShared(v) });
      },
    });
    for (;;) {
      await reader.read();
      if ((await r.peek()) !== 0x2c) break;
      r.pos++;
    }
    return out;
  }
  const obj = (vals: string[], ts = (i: number) => String(1732269600 + i * 10)) => `{"metric":{"__name__":"m"},"values":[${vals.map((v, i) => `[${ts(i)},"${v}"]`).join(',')}]}`;

  it("the kind is batchKind's; a stored block is exactly its values, Int32Array for int32, in shared memory", async () => {
    const cases = [
      ['0', '1', '42', '-7', '999999999'], // int32
      ['2147483647', '-2147483648'], // the int32 bounds: still int32
      ['2147483648'], // one past: float64
      ['-2147483649'],
      ['0', '-0'], // -0 is not an int32
      ['-0.0'],
      ['5.0', '3.00'], // integers written with a fraction: int32
      ['0.5', '1'],
      ['0.43758320540099954', '2'], // 17 digits
      ['12345678901234567890'], // long mantissa: general path
      ['1e3', '2'], // exponent: general path, integers
      ['NaN', '1'],
      ['+Inf'],
      ['1', '2', '3'],
    ];
    const objects = cases.map((c) => obj(c));
    objects.push(obj(['1', '2'], (i) => String(253402300799 + i))); // past MAX_TIME_SECONDS
    objects.push(obj(['1', '2'], (i) => (1732269600.5 + i).toFixed(3)));
    const I = BATCH_INT32;
    const F = BATCH_FLOAT64;
    const B = BATCH_HAS_BAD;
    const expected = [I, I, F, F, F, F, I, F, F, F, I, B, B, I, B, I];
    for (const size of [1 << 20, 7, 3]) {
      const got = await read(objects, size);
      expect(got.map((g) => g.kind)).toEqual(expected);
      got.forEach((g, i) => {
        expect({ i, size, kind: g.kind }).toEqual({ i, size, kind: g.want });
        if (g.kind === B) return;
        expect({ i, size, type: g.block.constructor.name, length: g.block.length, shared: g.shared }).toEqual({ i, size, type: g.kind === I ? 'Int32Array' : 'Float64Array', length: g.n, shared: true });
        // nothing read later wrote over a stored block
        expect({ i, size, values: Array.from(g.block) }).toEqual({ i, size, values: g.values });
      });
      expect(got[4].values.map((x) => Object.is(x, -0))).toEqual([false, true]);
    }
  });

  it('series of any length, turning float64 anywhere, each keep their values (regions grow, slabs fill)', async () => {
    const rand = mulberry32(7);
    const lengths = [1, 3, 5000, 2, 70_000, 64, 65, 9000, 1, 300_000, 12, 4096, 4097];
    const series = lengths.map((n) => {
      const at = rand() < 0.5 ? Math.floor(rand() * n) : n; // first non-integer value (n: none)
      return Array.from({ length: n }, (_, i) => (i === at ? String(i + 0.25) : String(Math.floor(rand() * 2000) - 1000)));
    });
    const got = await read(series.map((v) => obj(v)), 1 << 16);
    expect(got.map((g) => g.n)).toEqual(lengths);
    got.forEach((g, i) => {
      const want = series[i].map(Number);
      expect({ i, kind: g.kind }).toEqual({ i, kind: want.every((x) => Number.isInteger(x)) ? BATCH_INT32 : BATCH_FLOAT64 });
      expect(g.block.length).toBe(g.n);
      // compared after every series was read: no later series wrote over this one's block
      let bad = -1;
      for (let k = 0; k < g.n && bad < 0; k++) if (g.block[k] !== want[k]) bad = k;
      expect({ i, bad }).toEqual({ i, bad: -1 });
    });
  });
});

describe('through ingest(): detection, merging files, gzip', () => {
  it('merges two files by labels; the later file wins a repeated timestamp', async () => {
    const a = fx('overlap-a.json');
    const b = fx('overlap-b.json');
    const art = await ingest({ inputs: [a, b] });
    expect(art.inputs.map((i) => [i.format, i.detail, i.series, i.samples])).toEqual([
      ['prometheus-json', 'query_range matrix', 2, 4],
      ['prometheus-json', 'query_range matrix', 2, 4],
    ]);
    const running = art.metrics.get('vllm:num_requests_running', { instance: 'a:8000' });
    expect(running).toHaveLength(1);
    expect(Array.from(running[0].t)).toEqual([1732269600, 1732269610, 1732269620, 1732269630, 1732269640]);
    expect(Array.from(running[0].v)).toEqual([1, 2, 30, 4, 5]);
    expect(Array.from(art.metrics.get('vllm:num_requests_running', { instance: 'b:8000' })[0].v)).toEqual([9]);
    expect(Array.from(art.metrics.get('vllm:kv_cache_usage_perc', { instance: 'a:8000' })[0].v)).toEqual([0.5]);
    const codes = Object.fromEntries(art.warnings.map((w) => [w.code, w.count]));
    expect(codes.DUPLICATE_TIMESTAMPS).toBe(1);
    expect(codes.SINGLE_SAMPLE_SERIES).toBe(2);
  });

  it('reads a gzip-compressed response transparently', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'promjson-'));
    const gz = path.join(dir, 'range.json.gz');
    writeFileSync(gz, gzipSync(bytes('matrix-pretty.json')));
    const art = await ingest({ inputs: [gz] });
    expect(art.inputs[0].gzip).toBe(true);
    expect(art.inputs[0].format).toBe('prometheus-json');
    expect(art.inputs[0].samples).toBe(6);
    const kv = art.metrics.get('vllm:kv_cache_usage_perc');
    expect(Array.from(kv[0].t)).toEqual([1732269600.781, 1732269610.781, 1732269620.781]);
    expect(Array.from(kv[0].v)).toEqual([0.0125, 0.4375, 0.91015625]);
  });

  it('an error body read through ingest() is PROMETHEUS_ERROR naming the file', async () => {
    await expect(ingest({ inputs: [fx('error-bad-data.json')] })).rejects.toMatchObject({ code: 'PROMETHEUS_ERROR', file: fx('error-bad-data.json') });
  });
});

describe('SeriesAccumulator.pushMany (used by this adapter)', () => {
  it('follows the rules of push: NaN counted and dropped, order flagged, growth across batches', () => {
    const batches: [number[], number[]][] = [
      [[10, 20, 30], [1, NaN, 3]],
      [[40, 30, 50, 60, 70], [4, 5, NaN, 6, 7]],
      [[80, -5, 90, 1e12, 100], [Infinity, 8, -Infinity, 9, 10.5]],
    ];
    const one = new SeriesAccumulator('g', resolveMetricName('g'), {}, 4);
    const many = new SeriesAccumulator('g', resolveMetricName('g'), {}, 4);
    for (const [t, v] of batches) {
      for (let i = 0; i < t.length; i++) one.push(t[i], v[i]);
      many.pushMany(Float64Array.from(t), Float64Array.from(v), t.length);
    }
    expect(Array.from(many.take().t)).toEqual([10, 30, 40, 30, 60, 70, 100]);
    expect(Array.from(many.take().v)).toEqual([1, 3, 4, 5, 6, 7, 10.5]);
    expect([many.length, many.nanCount, many.infCount, many.badTimeCount, many.badTimeExample, many.unordered]).toEqual([7, 2, 2, 2, -5, true]);
    expect([one.length, one.nanCount, one.infCount, one.badTimeCount, one.badTimeExample, one.unordered]).toEqual([7, 2, 2, 2, -5, true]);
    expect(Array.from(one.take().t)).toEqual(Array.from(many.take().t));
    expect(Array.from(one.take().v)).toEqual(Array.from(many.take().v));
    const ordered = new SeriesAccumulator('g', resolveMetricName('g'), {}, 3);
    ordered.pushMany(Float64Array.from([1, 2, 3, 99]), Float64Array.from([5, 6, 7, 0]), 3);
    expect([ordered.length, ordered.unordered, ordered.t.length]).toEqual([3, false, 3]);
  });
});

