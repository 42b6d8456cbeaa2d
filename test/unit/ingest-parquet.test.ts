import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { alignChunks, parquetAdapter } from '../../src/ingest/from-parquet.js';
import { bufferSource } from '../../src/ingest/source.js';
import { InputError } from '../../src/errors.js';
import type { Artifacts } from '../../src/model/artifacts.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = (name: string) => path.resolve(here, '../fixtures/parquet', name);
const T0 = 1732269600; // 2024-11-22T10:00:00Z
const times = (n: number) => Array.from({ length: n }, (_, i) => T0 + 10 * i);

function series(a: Artifacts, name: string, match: Record<string, string> = {}) {
  const list = a.metrics.get(name, match);
  expect(list.length).toBe(1);
  return { labels: list[0].labels, t: Array.from(list[0].t), v: Array.from(list[0].v) };
}

/** The common 24-row data set every long-format fixture holds (see test/fixtures/parquet/README.md). */
function expectCommonData(a: Artifacts) {
  expect(a.inputs[0].format).toBe('parquet');
  expect(a.inputs[0].samples).toBe(23);
  expect(a.inputs[0].series).toBe(4);
  const ra = series(a, 'vllm:num_requests_running', { instance: 'a:8000' });
  expect(ra.labels).toEqual({ instance: 'a:8000', job: 'vllm', model_name: 'org/m' });
  expect(ra.t).toEqual(times(6));
  expect(ra.v).toEqual([0, 1, 2, 3, 4, 5]);
  const rb = series(a, 'vllm:num_requests_running', { instance: 'b:8000' });
  expect(rb.v).toEqual([10, 11, 12, 13, 14, 15]);
  const ka = series(a, 'vllm:kv_cache_usage_perc', { instance: 'a:8000' });
  expect(ka.labels).toEqual({ instance: 'a:8000', job: 'vllm' }); // NULL model_name = absent label
  expect(ka.v).toEqual([0, 0.125, 0.25, 0.375, 0.5, 0.625]);
  const kb = series(a, 'vllm:kv_cache_usage_perc', { instance: 'b:8000' });
  expect(kb.t).toEqual(times(5)); // NULL value at the 6th scrape = missing, not zero
  expect(kb.v).toEqual([0.5, 0.625, 0.75, 0.875, 1]);
}

describe('Parquet long format (DuckDB-written fixtures)', () => {
  it('zstd, v1 pages, TIMESTAMP micros, dictionary strings', async () => {
    const a = await ingest({ inputs: [fx('long-zstd-v1.parquet')] });
    expectCommonData(a);
    expect(a.inputs[0].detail).toContain('ZSTD');
    expect(a.warnings.find((w) => w.code === 'TIMESTAMP_NO_ZONE')?.message).toContain('"ts"');
  });

  it('snappy, v2 pages (delta / byte-stream-split / RLE dictionary), TIMESTAMP nanos', async () => {
    const a = await ingest({ inputs: [fx('long-snappy-v2.parquet')] });
    expectCommonData(a);
    expect(a.inputs[0].detail).toContain('SNAPPY');
  });

  it('gzip, TIMESTAMP millis, capitalised Time/Metric/Value', async () => {
    const a = await ingest({ inputs: [fx('long-gzip.parquet')] });
    expectCommonData(a);
    expect(a.inputs[0].detail).toContain('GZIP');
  });

  it('uncompressed, plain INT64 epoch milliseconds (BigInt), __name__ column', async () => {
    const a = await ingest({ inputs: [fx('long-none-epochms.parquet')] });
    expectCommonData(a);
    expect(a.inputs[0].detail).toContain('UNCOMPRESSED');
    expect(a.warnings.map((w) => w.code)).not.toContain('TIMESTAMP_NO_ZONE');
  });

  it('labels in a MAP column', async () => {
    const a = await ingest({ inputs: [fx('labels-map.parquet')] });
    expectCommonData(a);
    expect(a.inputs[0].detail).toContain('MAP');
  });

  it('selector strings in the name column, DOUBLE epoch seconds', async () => {
    const a = await ingest({ inputs: [fx('selector-string.parquet')] });
    expectCommonData(a);
  });

  it('several row groups', async () => {
    const a = await ingest({ inputs: [fx('multi-rowgroup.parquet')] });
    expect(a.inputs[0].detail).toContain('6000 rows in 3 row groups');
    for (const inst of ['a:8000', 'b:8000']) {
      const s = a.metrics.get('vllm:num_requests_waiting', { instance: inst })[0];
      expect(s.t.length).toBe(3000);
      expect(s.t[0]).toBe(T0);
      expect(s.t[2999]).toBe(T0 + 2999);
      // rows 4096… (3rd group) are seconds 2048…; values = second index
      expect(s.v[1023]).toBe(1023);
      expect(s.v[1024]).toBe(1024); // first row of the 2nd group
      expect(s.v[2048]).toBe(2048); // first row of the 3rd group
      let sum = 0;
      for (const x of s.v) sum += x;
      expect(sum).toBe((2999 * 3000) / 2);
    }
  });

  it('reads from memory when there is no file path (stdin)', async () => {
    const src = bufferSource(readFileSync(fx('long-zstd-v1.parquet')), '<stdin>');
    expect(parquetAdapter.sniff(src.head, '', src)).toBe(true);
    const a = await ingest({ inputs: [], sources: [src] });
    expectCommonData(a);
  });
});

describe('Parquet errors', () => {
  async function err(p: string): Promise<InputError> {
    try {
      await ingest({ inputs: [p] });
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return e as InputError;
    }
    throw new Error('expected an InputError');
  }

  it('missing name column → PARQUET_SCHEMA naming the columns found', async () => {
    const e = await err(fx('no-name-column.parquet'));
    expect(e.code).toBe('PARQUET_SCHEMA');
    expect(e.file).toBe(fx('no-name-column.parquet'));
    expect(e.message).toContain('metric name');
    expect(e.message).toContain('"ts", "value", "instance"');
  });

  it('a codec no reader decodes (LZO) → PARQUET_UNSUPPORTED naming it', async () => {
    const e = await err(fx('lzo-codec.parquet'));
    expect(e.code).toBe('PARQUET_UNSUPPORTED');
    expect(e.message).toContain('LZO');
  });

  it('a truncated file → PARQUET_UNSUPPORTED, not a crash', async () => {
    const b = readFileSync(fx('long-zstd-v1.parquet'));
    const src = bufferSource(b.subarray(0, b.length - 100), 'cut.parquet');
    await expect(ingest({ inputs: [], sources: [src] })).rejects.toMatchObject({ code: 'PARQUET_UNSUPPORTED', file: 'cut.parquet' });
  });
});

describe('chunk alignment', () => {
  it('places out-of-order chunks by rowStart within the row group', () => {
    const out = alignChunks(
      [
        { rowStart: 104, data: new Float64Array([4, 5]) },
        { rowStart: 100, data: new Float64Array([0, 1]) },
        { rowStart: 102, data: new Float64Array([2, 3]) },
      ],
      100,
      6,
      'v',
    );
    expect(Array.from(out as ArrayLike<number>)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(() => alignChunks([{ rowStart: 100, data: [1] }], 100, 2, 'v')).toThrow(/1 of 2 rows/);
  });
});
