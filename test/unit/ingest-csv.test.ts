import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { csvAdapter } from '../../src/ingest/from-csv.js';
import { bufferSource, fileSource } from '../../src/ingest/source.js';
import { parquetAdapter } from '../../src/ingest/from-parquet.js';
import { InputError } from '../../src/errors.js';
import { parseSelector, parseTimestamp, epochToSeconds } from '../../src/ingest/tabular/common.js';
import { parseUnitCell } from '../../src/ingest/tabular/units.js';
import type { Artifacts } from '../../src/model/artifacts.js';
import { REAL } from '../support/paths.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fx = (name: string) => path.resolve(here, '../fixtures/csv', name);

function series(a: Artifacts, name: string, match: Record<string, string> = {}) {
  const list = a.metrics.get(name, match);
  expect(list.length).toBe(1);
  return { labels: list[0].labels, t: Array.from(list[0].t), v: Array.from(list[0].v) };
}

async function inputError(p: string): Promise<InputError> {
  try {
    await ingest({ inputs: [p] });
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

describe('CSV long format', () => {
  it('reads label columns, a quoted comma in a label, empty value and label cells', async () => {
    const a = await ingest({ inputs: [fx('long-labels.csv')] });
    expect(a.inputs[0].format).toBe('csv-long');
    expect(a.inputs[0].samples).toBe(7); // 8 rows, one empty value cell
    expect(a.inputs[0].series).toBe(3);
    const ra = series(a, 'vllm:num_requests_running', { instance: 'a:8000' });
    expect(ra.labels).toEqual({ instance: 'a:8000', job: 'vllm', model_name: 'org/m, v2' });
    expect(ra.t).toEqual([1732269600, 1732269610, 1732269630]); // the row at …620 had no value: missing, not 0
    expect(ra.v).toEqual([3, 4, 6]);
    const rb = series(a, 'vllm:num_requests_running', { instance: 'b:8000' });
    expect(rb.v).toEqual([1, 2]);
    // old vLLM name resolved; the empty model_name cell means the label is absent
    const kv = series(a, 'vllm:kv_cache_usage_perc');
    expect(kv.labels).toEqual({ instance: 'a:8000', job: 'vllm' });
    expect(kv.t).toEqual([1732269600, 1732269610]);
    expect(kv.v).toEqual([0.25, 0.5]);
    expect(a.warnings.map((w) => w.code)).toContain('RENAMED_METRIC');
  });

  it('reads a selector column with escaped quotes and ISO 8601 times in UTC and with offsets', async () => {
    const a = await ingest({ inputs: [fx('long-selector.csv')] });
    const sa = series(a, 'vllm:num_requests_waiting', { instance: 'a:8000' });
    expect(sa.labels).toEqual({ instance: 'a:8000', job: 'vllm', note: 'say "hi", ok' });
    expect(sa.t).toEqual([1732269600, 1732269610.5]); // 2024-11-22T10:00:00Z = 1732269600
    expect(sa.v).toEqual([0, 7]); // the third row's +Inf is dropped with a warning
    expect(a.warnings.find((w) => w.code === 'INFINITE_SAMPLES')?.count).toBe(1);
    const sb = series(a, 'vllm:num_requests_waiting', { instance: 'b:8000' });
    expect(sb.t).toEqual([1732266000]); // 10:00+01:00 = 09:00Z
    expect(sb.v).toEqual([2]);
    expect(a.warnings.map((w) => w.code)).not.toContain('TIMESTAMP_NO_ZONE');
  });

  it('reads ";"-separated "Series;Time;Value" rows with the series as a selector and epoch ms', async () => {
    const a = await ingest({ inputs: [fx('series-rows-semicolon.csv')] });
    expect(a.inputs[0].format).toBe('csv-long');
    const r = series(a, 'vllm:num_requests_running');
    expect(r.labels).toEqual({ instance: 'a:8000', job: 'vllm' });
    expect(r.t).toEqual([1732269600, 1732269610]);
    expect(r.v).toEqual([3, 5.5]);
    const p = series(a, 'vllm:num_preemptions_total'); // from {__name__="…"}
    expect(p.labels).toEqual({ instance: 'a:8000' });
    expect(p.v).toEqual([10, 12]);
  });
});

describe('CSV Grafana wide export', () => {
  it('reads selector headers with BOM, CRLF, epoch ms and empty cells as missing samples', async () => {
    const a = await ingest({ inputs: [fx('grafana-wide-selectors.csv')] });
    expect(a.inputs[0].format).toBe('csv-wide');
    expect(a.inputs[0].samples).toBe(4);
    const ra = series(a, 'vllm:num_requests_running', { instance: 'a:8000' });
    expect(ra.labels).toEqual({ instance: 'a:8000', job: 'vllm' });
    expect(ra.t).toEqual([1732269600, 1732269630]);
    expect(ra.v).toEqual([3, 5]);
    const rb = series(a, 'vllm:num_requests_running', { instance: 'b:8000' });
    expect(rb.t).toEqual([1732269600, 1732269615]);
    expect(rb.v).toEqual([1, 2]);
    expect(a.warnings.map((w) => w.code)).not.toContain('CSV_SERIES_ALIAS');
  });

  it('reads legend-alias headers as metric names with unknown labels and says so', async () => {
    const a = await ingest({ inputs: [fx('grafana-wide-alias.csv')] });
    expect(series(a, 'a:8000').v).toEqual([3, 4]);
    expect(series(a, 'a:8000').labels).toEqual({});
    expect(series(a, 'b:8000').t).toEqual([1732269600]);
    const w = a.warnings.find((x) => x.code === 'CSV_SERIES_ALIAS');
    expect(w?.count).toBe(2);
    expect(w?.message).toContain('"a:8000"');
  });

  it('reads "Formatted data" (sep= line, ";", local times, units in cells) and warns', async () => {
    const a = await ingest({ inputs: [fx('grafana-wide-formatted.csv')] });
    const kv = series(a, 'vllm:kv_cache_usage_perc');
    expect(kv.labels).toEqual({ instance: 'a:8000' });
    expect(kv.t).toEqual([1732269600, 1732269615]); // no zone: read as UTC
    expect(kv.v).toEqual([0.35, 0.405]); // a 0–1 ratio shown as %
    const lat = series(a, 'p99 latency a:8000');
    expect(lat.v).toEqual([0.95, 1.2]); // 950 ms, 1.20 s → seconds
    const codes = a.warnings.map((w) => w.code);
    expect(codes).toEqual(expect.arrayContaining(['TIMESTAMP_NO_ZONE', 'CSV_FORMATTED_VALUES', 'CSV_BAD_VALUE', 'CSV_SERIES_ALIAS']));
    expect(a.warnings.find((w) => w.code === 'CSV_BAD_VALUE')?.message).toContain('row 5');
  });
});

describe('CSV other layouts', () => {
  it('Grafana export without "Series joined by time": one table per series, each with its header', async () => {
    const text = '"Time","vllm:num_requests_running{instance=""a:8000""}"\r\n1732269600000,3\r\n1732269610000,4\r\n' +
      '"Time","vllm:num_requests_waiting{instance=""a:8000""}","vllm:num_requests_waiting{instance=""b:8000""}"\r\n1732269600000,7,8';
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from(text), 'frames.csv')] });
    expect(series(a, 'vllm:num_requests_running').v).toEqual([3, 4]);
    expect(series(a, 'vllm:num_requests_waiting', { instance: 'a:8000' }).v).toEqual([7]);
    expect(series(a, 'vllm:num_requests_waiting', { instance: 'b:8000' }).t).toEqual([1732269600]);
  });

  it('tab-separated long format with a timestamp_ms column', async () => {
    const text = 'timestamp_ms\tmetric\tvalue\tpod\n1732269600500\tvllm:num_requests_running\t2\tp-1\n1732269601500\tvllm:num_requests_running\t3\tp-1\n';
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from(text), 'x.tsv')] });
    const r = series(a, 'vllm:num_requests_running');
    expect(r.labels).toEqual({ pod: 'p-1' });
    expect(r.t).toEqual([1732269600.5, 1732269601.5]);
    expect(r.v).toEqual([2, 3]);
  });
});

describe('CSV errors', () => {
  it('no time column → CSV_NO_TIME_COLUMN naming the columns', async () => {
    const e = await inputError(fx('no-time.csv'));
    expect(e.code).toBe('CSV_NO_TIME_COLUMN');
    expect(e.file).toBe(fx('no-time.csv'));
    expect(e.message).toContain('"metric", "value", "instance"');
  });

  it('unparseable timestamp → CSV_SYNTAX with the row', async () => {
    const e = await inputError(fx('bad-timestamp.csv'));
    expect(e.code).toBe('CSV_SYNTAX');
    expect(e.position).toEqual({ row: 3, column: 'timestamp' });
    expect(e.message).toContain('"yesterday"');
  });

  it('ragged row → CSV_SYNTAX with the row', async () => {
    const e = await inputError(fx('ragged.csv'));
    expect(e.code).toBe('CSV_SYNTAX');
    expect(e.position?.row).toBe(3);
  });

  it('an unclosed quote → CSV_SYNTAX with a line', async () => {
    const src = bufferSource(Buffer.from('time,metric,value\n1732269600,"vllm:x,1\n'), 'q.csv');
    const sinkless = ingest({ inputs: [], sources: [src] });
    await expect(sinkless).rejects.toMatchObject({ code: 'CSV_SYNTAX', file: 'q.csv' });
  });
});

describe('CSV sniffing', () => {
  const sniff = (s: string) => csvAdapter.sniff(Buffer.from(s), s, bufferSource(Buffer.from(s), 'x'));
  it('claims CSV headers and leaves Prometheus text alone', () => {
    expect(sniff('timestamp,metric,value\n1,a,2\n')).toBe(true);
    expect(sniff('"Time","a:8000"\r\n1,2')).toBe(true);
    expect(sniff('# HELP vllm:x Number of requests, waiting\n# TYPE vllm:x gauge\nvllm:x 1\n')).toBe(false);
    expect(sniff('vllm:x{a="b",c="d"} 1\nvllm:x{a="e",c="f"} 2\n')).toBe(false);
    expect(sniff('{"status":"success","data":{}}')).toBe(false);
  });
});

describe('CSV and Parquet sniffing on real files by others', () => {
  it('claims none of the real metrics-text, trace and dashboard files', async () => {
    const real = REAL;
    const files = ['metrics-text', 'traces', 'dashboards'].flatMap((d) => readdirSync(path.join(real, d)).map((f) => path.join(real, d, f)));
    expect(files.length).toBeGreaterThan(20);
    for (const f of files) {
      const src = await fileSource(f);
      expect([f, csvAdapter.sniff(src.head, src.head.toString('utf8'), src)]).toEqual([f, false]);
      expect([f, parquetAdapter.sniff(src.head, '', src)]).toEqual([f, false]);
    }
  });
});

describe('tabular helpers', () => {
  it('epoch magnitude: s, ms, µs, ns all give the same second', () => {
    expect(epochToSeconds(1732269600)).toBe(1732269600);
    expect(epochToSeconds(1732269600123)).toBe(1732269600.123);
    expect(epochToSeconds(1732269600123456)).toBeCloseTo(1732269600.123456, 6);
    expect(epochToSeconds(1732269600123456789)).toBeCloseTo(1732269600.1234567, 5);
  });
  it('ISO 8601 variants', () => {
    expect(parseTimestamp('2024-11-22T10:00:00Z')).toEqual({ seconds: 1732269600, noZone: false });
    expect(parseTimestamp('2024-11-22 10:00:00')).toEqual({ seconds: 1732269600, noZone: true });
    expect(parseTimestamp('2024-11-22T05:30:00-04:30')).toEqual({ seconds: 1732269600, noZone: false });
    expect(parseTimestamp('2024-11-22T10:00:00.25+0000')?.seconds).toBe(1732269600.25);
    expect(parseTimestamp('22/11/2024 10:00')).toBeUndefined();
  });
  it('selectors', () => {
    expect(parseSelector('vllm:a{x="1", y="two, three"}')).toEqual({ name: 'vllm:a', labels: { x: '1', y: 'two, three' } });
    expect(parseSelector('{__name__="m",le="+Inf"}')).toEqual({ name: 'm', labels: { le: '+Inf' } });
    expect(parseSelector('{{instance}} running')).toBeUndefined();
  });
  it('Grafana display units', () => {
    expect(parseUnitCell('12.5 ms', 'x')?.value).toBe(0.0125);
    expect(parseUnitCell('35%', 'vllm:kv_cache_usage_perc')?.value).toBe(0.35);
    expect(parseUnitCell('35%', 'DCGM_FI_DEV_GPU_UTIL')).toMatchObject({ value: 35, guessed: false });
    expect(parseUnitCell('1.50 GiB', 'x')?.value).toBe(1.5 * 2 ** 30);
    expect(parseUnitCell('1.20 K', 'x')?.value).toBe(1200);
    expect(parseUnitCell('12 parsecs', 'x')).toBeUndefined();
  });
});

describe('CSV through the byte tokenizer', () => {
  /** A source that hands the content over in chunks of the given sizes (cycled). */
  function chunkedSource(data: Buffer, display: string, sizes: number[]) {
    const whole = bufferSource(data, display);
    return {
      ...whole,
      chunks: async function* () {
        let k = 0;
        for (let i = 0; i < data.length; ) {
          const n = sizes[k++ % sizes.length];
          yield Buffer.from(data.subarray(i, i + n));
          i += n;
        }
      },
    };
  }

  it('long-labels.csv read one byte (and 5, 2 bytes) at a time gives the same series and values', async () => {
    const data = readFileSync(fx('long-labels.csv'));
    for (const sizes of [[1], [5, 2]]) {
      const a = await ingest({ inputs: [], sources: [chunkedSource(data, 'long-labels.csv', sizes)] });
      expect(a.inputs[0].samples).toBe(7);
      const ra = series(a, 'vllm:num_requests_running', { instance: 'a:8000' });
      expect(ra.labels).toEqual({ instance: 'a:8000', job: 'vllm', model_name: 'org/m, v2' });
      expect(ra.t).toEqual([1732269600, 1732269610, 1732269630]);
      expect(ra.v).toEqual([3, 4, 6]);
      expect(series(a, 'vllm:kv_cache_usage_perc').v).toEqual([0.25, 0.5]);
    }
  });

  it('a label quoted on one row and bare on another is one series; quoted, exponent and spaced values', async () => {
    const text = 'time,metric,value,pod\n' +
      '1732269600,vllm:num_requests_running,1e3,p-1\n' +
      '"1732269610","vllm:num_requests_running","2.5","p-1"\n' +
      '1732269620,vllm:num_requests_running, -0.125 ,p-1\n' +
      '1732269630,vllm:num_requests_running,"say ""x""",p-1\n';
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from(text), 'q.csv')] });
    expect(a.inputs[0].series).toBe(1);
    const r = series(a, 'vllm:num_requests_running');
    expect(r.labels).toEqual({ pod: 'p-1' });
    expect(r.t).toEqual([1732269600, 1732269610, 1732269620]);
    expect(r.v).toEqual([1000, 2.5, -0.125]);
    expect(a.warnings.find((w) => w.code === 'CSV_BAD_VALUE')?.message).toContain('row 5');
  });

  it('an unclosed quote names the row and byte where the quote opened', async () => {
    const src = bufferSource(Buffer.from('time,metric,value\n1732269600,a,1\n1732269610,"vllm:x,1\n1732269620,a,2\n'), 'q.csv');
    const e = await ingest({ inputs: [], sources: [src] }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).code).toBe('CSV_SYNTAX');
    expect((e as InputError).position).toEqual({ row: 3, byte: 44 });
    expect((e as InputError).oneLine()).toContain('row 3');
  });
});
