// Errors give the position where the reader knows it (issue 11 §9, docs/errors.md): a broken input
// per adapter, and the exact line / row / byte / column / table the error must name. Expected
// positions are worked out from the input itself (where the broken byte was written, the Parquet
// footer's own length field, hyparquet's reading of the column chunk offsets), not from the code.

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'libsql';
import { parquetMetadata } from 'hyparquet';
import { ingest } from '../../src/ingest/index.js';
import { bufferSource, fileSource } from '../../src/ingest/source.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { readNsysSqliteProfile } from '../../src/ingest/from-nsys-sqlite.js';
import { validateMetadata } from '../../src/ingest/parquet-guard.js';
import { InputError } from '../../src/errors.js';
import { setLimits } from '../../src/limits.js';
import { lineAt, jsonParsePosition } from '../../src/ingest/text-position.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const pq = (name: string) => path.resolve(here, '../fixtures/parquet', name);

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-errpos-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => setLimits({}));

async function fails(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}
const ingestBytes = (bytes: Buffer | string, name: string) => fails(ingest({ inputs: [], sources: [bufferSource(Buffer.from(bytes), name)] }));
const ingestFile = (name: string, bytes: Buffer | string) => {
  const f = path.join(dir, name);
  writeFileSync(f, bytes);
  return fails(ingest({ inputs: [f] }));
};

describe('text-position helpers', () => {
  it('lineAt counts newlines before the offset; jsonParsePosition reads V8 messages', () => {
    expect([lineAt('a\nb\nc', 0), lineAt('a\nb\nc', 2), lineAt('a\nb\nc', 4), lineAt('a\nb\nc', 99)]).toEqual([1, 2, 3, 3]);
    const text = '{\n  "a": 1,\n  "b" 2\n}';
    const e = (() => {
      try {
        JSON.parse(text);
      } catch (x) {
        return x;
      }
    })();
    expect(jsonParsePosition(text, e)).toEqual({ line: 3 });
    expect(jsonParsePosition('{\n"a": [1,\n\n', new SyntaxError('Unexpected end of JSON input'))).toEqual({ line: 2 });
    expect(jsonParsePosition('x', new SyntaxError('Expected x (line 7 column 2)'))).toEqual({ line: 7 });
    expect(jsonParsePosition('x', new Error('something else'))).toBeUndefined();
  });
});

describe('Parquet', () => {
  const bytes = (name: string) => readFileSync(pq(name));
  const meta = (b: Buffer) => parquetMetadata(b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer);

  it('a codec no reader decodes: the first column chunk using it (column and byte)', async () => {
    const e = await fails(ingest({ inputs: [pq('lzo-codec.parquet')] }));
    expect(e.code).toBe('PARQUET_UNSUPPORTED');
    // hyparquet's metadata of the fixture: `ts` is the first chunk, its data page at byte 4
    const m = meta(bytes('lzo-codec.parquet')).row_groups[0].columns[0].meta_data!;
    expect([m.path_in_schema.join('.'), Number(m.data_page_offset), m.codec]).toEqual(['ts', 4, 'LZO']);
    expect(e.position).toEqual({ column: 'ts', byte: 4 });
  });

  it('an unreadable page header: its column and the byte the header starts at', async () => {
    const b = Buffer.from(bytes('long-zstd-v1.parquet'));
    const value = meta(b).row_groups[0].columns.find((c) => c.meta_data!.path_in_schema[0] === 'value')!.meta_data!;
    const at = Number(value.data_page_offset); // 198: `value` has no dictionary page
    expect(value.dictionary_page_offset).toBeUndefined();
    b.fill(0xff, at, at + 6); // field type 15: no Thrift type
    const e = await ingestBytes(b, 'bad-page.parquet');
    expect(e.code).toBe('PARQUET_CORRUPT');
    expect(e.position).toEqual({ column: 'value', byte: at });
    expect(e.message).toContain(`page at byte ${at}:`);
  });

  it('a broken magic number: the byte where the last PAR1 should start', async () => {
    const b = Buffer.from(bytes('long-zstd-v1.parquet'));
    b.write('PARX', b.length - 4);
    const e = await ingestBytes(b, 'magic.parquet');
    expect(e.position).toEqual({ byte: b.length - 4 });
  });

  it("a footer fault: the footer's start (from its length field), and the column when one is named", () => {
    const b = bytes('long-zstd-v1.parquet');
    const footer = b.length - 8 - b.readUInt32LE(b.length - 8); // 1450 − 8 − 732
    expect(footer).toBe(710);
    const m = meta(b);
    const rowsBad = { ...m, num_rows: -1n };
    let e = (() => {
      try {
        validateMetadata(rowsBad as typeof m, b.length, 'f.parquet');
      } catch (x) {
        return x as InputError;
      }
    })();
    expect(e?.code).toBe('PARQUET_CORRUPT');
    expect(e?.position).toEqual({ byte: footer });
    const rg = m.row_groups[0];
    const cols = rg.columns.map((c, i) => (i === 2 ? { ...c, meta_data: { ...c.meta_data!, num_values: 5n } } : c));
    e = (() => {
      try {
        validateMetadata({ ...m, row_groups: [{ ...rg, columns: cols }] } as typeof m, b.length, 'f.parquet');
      } catch (x) {
        return x as InputError;
      }
    })();
    expect(e?.message).toContain('"value" in row group 0 holds 5 values for 24 rows');
    expect(e?.position).toEqual({ byte: footer, column: 'value' });
  });

  it('a series over --max-series: the row (1-based, in the file) that opens it', async () => {
    setLimits({ maxSeries: 3 });
    const e = await fails(ingest({ inputs: [pq('long-zstd-v1.parquet')] }));
    expect(e.code).toBe('LIMIT_EXCEEDED');
    // the first row whose (metric, instance) is the 4th distinct one, read from the file's columns
    const { parquetReadObjects } = await import('hyparquet');
    const b = bytes('long-zstd-v1.parquet');
    const { compressors } = await import('hyparquet-compressors');
    const rows = (await parquetReadObjects({ file: b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer, compressors, columns: ['metric', 'instance', 'model_name'] })) as Record<string, unknown>[];
    const seen = new Set<string>();
    let fourth = -1;
    rows.forEach((r, i) => {
      seen.add(`${r.metric}|${r.instance}|${r.model_name}`);
      if (seen.size === 4 && fourth < 0) fourth = i + 1;
    });
    expect(fourth).toBeGreaterThan(1);
    expect(e.position).toEqual({ row: fourth });
  });
});

describe('Prometheus text, CSV and JSON: limits raised in the sink get the reader position', () => {
  it('text exposition: the line of the series over the limit', async () => {
    setLimits({ maxLabelLength: 40 });
    const e = await ingestFile('long.prom', `# TYPE vllm:num_requests_waiting gauge\nvllm:num_requests_waiting{instance="a:1"} 1 1732269600000\n\nvllm:num_requests_waiting{instance="${'x'.repeat(41)}"} 1 1732269600000\n`);
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.position).toEqual({ line: 4 });
  });
  it('CSV (long format): the row of the series over the limit', async () => {
    setLimits({ maxSeries: 1 });
    const e = await ingestFile('long.csv', 'time,metric,instance,value\n1732269600,vllm:num_requests_waiting,a:1,1\n1732269610,vllm:num_requests_waiting,a:1,2\n1732269610,vllm:num_requests_waiting,b:1,2\n');
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.position).toEqual({ row: 4 });
  });
  it('CSV (wide format): the row and the column of the series over the limit', async () => {
    setLimits({ maxSeries: 1 });
    const e = await ingestFile('wide.csv', 'Time,vllm:num_requests_waiting{instance="a:1"},vllm:num_requests_waiting{instance="b:1"}\n1732269600,1,\n1732269610,2,5\n');
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.position).toEqual({ row: 3, column: 'vllm:num_requests_waiting{instance="b:1"}' });
  });
  it('query_range JSON: the byte where the series over the limit starts', async () => {
    setLimits({ maxSeries: 1 });
    const s1 = '{"metric":{"__name__":"vllm:num_requests_waiting","instance":"a:1"},"values":[[1732269600,"1"]]}';
    const s2 = '{"metric":{"__name__":"vllm:num_requests_waiting","instance":"b:1"},"values":[[1732269600,"2"]]}';
    const body = `{"status":"success","data":{"resultType":"matrix","result":[${s1},${s2}]}}`;
    const e = await ingestBytes(body, 'q.json');
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.position).toEqual({ byte: body.indexOf(s2) });
  });
});

describe('benchmark client results', () => {
  const good = '{"date": "20250101-000000", "duration": 1.5, "completed": 3, "request_throughput": 2}';
  it('a pretty-printed result that does not parse: the line of the fault, not line 1', async () => {
    // the comma after 1.5 is missing: JSON.parse fails at the next key, on line 4
    const text = `{\n  "date": "20250101-000000",\n  "duration": 1.5\n  "completed": 3,\n  "request_throughput": 2\n}\n`;
    const e = await ingestFile('pretty.json', text);
    expect(e.code).toBe('JSON_SYNTAX');
    expect(e.position).toEqual({ line: 4 });
  });
  it('one object per line: the line of an object of an unknown layout', async () => {
    const e = await ingestFile('runs.jsonl', `${good}\n\n{"foo": 1}\n`);
    expect(e.code).toBe('CLIENT_RESULT_SHAPE');
    expect(e.position).toEqual({ line: 3 });
    expect(e.oneLine()).toMatch(/runs\.jsonl, line 3: neither a vLLM/);
  });
});

describe('kernel pattern file (--kernel-patterns)', () => {
  const load = (name: string, text: string) => {
    const f = path.join(dir, name);
    writeFileSync(f, text);
    try {
      KernelClassifier.fromOptions({ kernelPatternsFile: f });
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      return e as InputError;
    }
    throw new Error('expected an InputError');
  };
  it('JSON that does not parse: the line', () => {
    const e = load('k.json', '{\n  "rules": [\n    {"category": "gemm", "pattern": "^sm90_"},\n    {"category": "gemm" "pattern": "^x"}\n  ]\n}\n');
    expect(e.code).toBe('JSON_SYNTAX');
    expect(e.position).toEqual({ line: 4 });
  });
  it('a rule of the wrong shape: its row (rule number), as a bad pattern gets', () => {
    const e = load('k2.json', JSON.stringify({ rules: [{ category: 'gemm', pattern: '^a' }, { category: 'gemm', pattern: '^b' }, { category: 'nope', pattern: '^c' }] }));
    expect(e.code).toBe('BAD_OPTION');
    expect(e.position).toEqual({ row: 3 });
  });
});

describe('vLLM log', () => {
  it('a line over the 16 MiB limit: its line number', async () => {
    const head = 'INFO 11-22 10:00:00 api_server.py:100] vLLM API server version 0.6.3\nINFO 11-22 10:00:01 api_server.py:101] args: x\n';
    const e = await ingestBytes(Buffer.concat([Buffer.from(head), Buffer.alloc((16 << 20) + 10, 0x61)]), 'vllm.log');
    expect(e.code).toBe('LIMIT_EXCEEDED');
    expect(e.position).toEqual({ line: 3 });
  });
});

describe('gzip', () => {
  const gz = gzipSync(Buffer.from(`vllm:num_requests_waiting{instance="a:1"} 1 1732269600000\n`.repeat(2000)));
  const cut = gz.subarray(0, gz.length - 20);
  it('a stream that ends early: the byte where the file stops (on disk and in memory)', async () => {
    const f = path.join(dir, 'cut.prom.gz');
    writeFileSync(f, cut);
    const onDisk = await fails(fileSource(f).then(async (s) => {
      for await (const _ of s.chunks()) void _;
    }));
    expect(onDisk.code).toBe('TRUNCATED_GZIP');
    expect(onDisk.position).toEqual({ byte: cut.length });
    const inMemory = await fails(Promise.resolve().then(() => bufferSource(Buffer.from(cut), 'cut.gz')));
    expect(inMemory.position).toEqual({ byte: cut.length });
  });
});

describe('nsys SQLite export', () => {
  it('a table lacking columns: the table', async () => {
    const f = path.join(dir, 'old.sqlite');
    const db = new Database(f);
    db.exec('CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT); CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (start INTEGER, end INTEGER, deviceId INTEGER, streamId INTEGER, demangledName INTEGER); CREATE TABLE CUPTI_ACTIVITY_KIND_MEMSET (start INTEGER, end INTEGER)');
    db.close();
    const e = await fails(readNsysSqliteProfile(await fileSource(f, 'old.sqlite'), new KernelClassifier()));
    expect(e.code).toBe('SQLITE_SCHEMA');
    expect(e.position).toEqual({ table: 'CUPTI_ACTIVITY_KIND_MEMSET' });
    expect(e.oneLine()).toMatch(/^old\.sqlite, table "CUPTI_ACTIVITY_KIND_MEMSET": CUPTI_ACTIVITY_KIND_MEMSET lacks column\(s\) deviceId, streamId/);
  });
});
