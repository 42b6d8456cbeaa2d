// Parquet in the long format (time, metric name, value, labels as columns, a MAP column or a
// selector string), as pandas/pyarrow, DuckDB and Spark write it. Read with hyparquet one row group
// at a time, column by column (no row objects); files on disk are read by byte range, not whole.
// Column chunks can arrive in any order, so they are placed by their rowStart.

import { promises as fsp } from 'node:fs';
import type { AsyncBuffer, ColumnChunk, FileMetaData } from 'hyparquet';
import { InputError, withPosition } from '../errors.js';
import { labelsKey, type Labels } from '../model/series.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { SeriesAccumulator } from './sink.js';
import type { InputSource } from './source.js';
import { parquetFormat } from './sniff/binary.js';

/** hyparquet and its codecs (~100 modules) load with the first Parquet input, not with every run. */
type Lib = { hp: typeof import('hyparquet'); compressors: typeof import('hyparquet-compressors')['compressors']; guard: typeof import('./parquet-guard.js') };
let lib: Lib | undefined;
async function loadLib(): Promise<Lib> {
  if (!lib) {
    const [hp, c, guard] = await Promise.all([import('hyparquet'), import('hyparquet-compressors'), import('./parquet-guard.js')]);
    lib = { hp, compressors: c.compressors, guard };
  }
  return lib;
}
import { columnRole, epochToSeconds, listColumns, parseSelector, parseTimestamp, timeUnitFromHeader } from './tabular/common.js';
import { parseCellNumber } from './bytes/decimal.js';

/** Timestamps of TIMESTAMP/INT96/DATE columns come out of hyparquet already in Unix seconds. */
const PARSERS = {
  timestampFromMilliseconds: (v: bigint) => Number(v) / 1e3,
  timestampFromMicroseconds: (v: bigint) => Number(v) / 1e6,
  timestampFromNanoseconds: (v: bigint) => Number(v) / 1e9,
  dateFromDays: (d: number) => d * 86400,
};

type Column = ArrayLike<unknown>;

interface Plan {
  time: string;
  name?: string;
  value: string;
  selector?: string;
  labels: string[];
  /** How the time column is stored, for conversion. */
  timeKind: 'seconds' | 'epoch' | 'scaled';
  timeScale: number;
  timeNaive: boolean;
  /** Label columns whose values are MAPs (objects). */
  mapColumns: Set<string>;
}

export const parquetAdapter: Adapter = {
  ...parquetFormat,
  read: (src, ctx) => readParquet(src, ctx),
};

/**
 * A file on disk is read by byte range (footer, then each row group's column chunks) with one
 * positioned read per range, and nothing is cached: memory follows the row group, not the file.
 * Gzipped or in-memory inputs are read whole.
 */
async function openFile(src: InputSource): Promise<{ file: AsyncBuffer; close: () => Promise<void> }> {
  if (src.path && !src.gzip) {
    const fh = await fsp.open(src.path, 'r');
    const { size } = await fh.stat();
    const file: AsyncBuffer = {
      byteLength: size,
      async slice(start: number, end?: number): Promise<ArrayBuffer> {
        const stop = Math.min(end ?? size, size);
        const len = Math.max(0, stop - start);
        const ab = new ArrayBuffer(len);
        let off = 0;
        while (off < len) {
          const { bytesRead } = await fh.read(new Uint8Array(ab, off, len - off), 0, len - off, start + off);
          if (bytesRead === 0) break;
          off += bytesRead;
        }
        return ab;
      },
    };
    return { file, close: () => fh.close() };
  }
  const b = await src.bytes();
  return { file: b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, close: async () => {} };
}

/**
 * The first column chunk of row group `group` (of any group when undefined) that `match` accepts:
 * its column name and first byte, the position of an error hyparquet reports without one. Called
 * on the error path only.
 */
export function chunkPosition(metadata: FileMetaData | undefined, group: number | undefined, match: (m: NonNullable<ColumnChunk['meta_data']>) => boolean): { column: string; byte?: number } | undefined {
  if (!metadata) return undefined;
  const groups = group === undefined ? metadata.row_groups : metadata.row_groups.slice(group, group + 1);
  for (const rg of groups) {
    for (const c of rg.columns as ColumnChunk[]) {
      const m = c.meta_data;
      if (!m || !match(m)) continue;
      const column = (m.path_in_schema ?? []).join('.');
      const start = Number(m.dictionary_page_offset !== undefined && Number(m.dictionary_page_offset) > 0 ? m.dictionary_page_offset : m.data_page_offset);
      return Number.isSafeInteger(start) && start >= 0 ? { column, byte: start } : { column };
    }
  }
  return undefined;
}

/**
 * Where an unreadable footer fails (error path only): the magic in the last 4 bytes, the footer
 * length just before it, or the footer itself (its start, from that length) when its Thrift does
 * not decode. Undefined for a file too short to hold a footer.
 */
async function footerErrorPosition(file: AsyncBuffer, e: unknown): Promise<{ byte: number } | undefined> {
  const msg = e instanceof Error ? e.message : String(e);
  const size = file.byteLength;
  if (size < 12 || /too short/.test(msg)) return undefined;
  if (/footer != PAR1/.test(msg)) return { byte: size - 4 };
  if (/metadata length/.test(msg)) return { byte: size - 8 };
  try {
    const tail = new DataView(await file.slice(size - 8, size - 4));
    const n = tail.getUint32(0, true);
    return n + 8 <= size ? { byte: size - 8 - n } : undefined;
  } catch {
    return undefined;
  }
}

function hyparquetError(src: InputSource, e: unknown, metadata?: FileMetaData, group?: number): InputError {
  if (e instanceof InputError) return e; // from the guard (parquet-guard.ts)
  const msg = e instanceof Error ? e.message : String(e);
  const codec = /unsupported compression codec: (\w+)/.exec(msg);
  if (codec) {
    const position = chunkPosition(metadata, group, (m) => String(m.codec) === codec[1]);
    return new InputError({
      code: 'PARQUET_UNSUPPORTED',
      file: src.display,
      ...(position ? { position } : {}),
      message: `Parquet compression codec ${codec[1]} is not supported`,
      hint: 'rewrite the file with zstd, snappy, gzip, brotli, lz4 or no compression (e.g. pyarrow.parquet.write_table(t, f, compression="zstd"))',
    });
  }
  const enc = /unsupported (encoding|type|page type): (\S+)/.exec(msg);
  if (enc) {
    // hyparquet names a page's encoding; the column chunk's metadata lists the encodings of its pages.
    const position = enc[1] === 'encoding' ? chunkPosition(metadata, group, (m) => (m.encodings ?? []).map(String).includes(enc[2])) : undefined;
    return new InputError({
      code: 'PARQUET_UNSUPPORTED',
      file: src.display,
      ...(position ? { position } : {}),
      message: `Parquet ${enc[1]} ${enc[2]} is not supported`,
      hint: 'rewrite the file with default encodings (pyarrow, DuckDB and Spark defaults are all readable)',
    });
  }
  return new InputError({
    code: 'PARQUET_UNSUPPORTED',
    file: src.display,
    message: `cannot read this Parquet file: ${msg}`,
    hint: 'check that the file is complete (it must end with the PAR1 footer)',
  });
}

async function readParquet(src: InputSource, ctx: IngestContext): Promise<AdapterResult> {
  await loadLib();
  const { file, close } = await openFile(src);
  try {
    return await readOpened(src, ctx, file);
  } finally {
    await close();
  }
}

async function readOpened(src: InputSource, ctx: IngestContext, file: AsyncBuffer): Promise<AdapterResult> {
  // (reassigned below to the guarded view of the file)
  let metadata: FileMetaData;
  try {
    metadata = await lib!.hp.parquetMetadataAsync(file, { parsers: PARSERS });
  } catch (e) {
    throw withPosition(hyparquetError(src, e), await footerErrorPosition(file, e));
  }
  // The footer and, as each column chunk is fetched, its page headers checked against the file
  // before hyparquet allocates from them.
  const { guardFile, validateMetadata } = lib!.guard;
  file = guardFile(file, validateMetadata(metadata, file.byteLength, src.display), src.display);
  const plan = makePlan(src, metadata);
  const columns = [plan.time, plan.value, ...(plan.name ? [plan.name] : []), ...(plan.selector ? [plan.selector] : []), ...plan.labels];
  const router = new NestedRouter(ctx);
  const warn = { badTime: 0, badValue: 0 };
  let groupStart = 0;
  let rows = 0;
  for (const [group, rg] of metadata.row_groups.entries()) {
    const groupRows = Number(rg.num_rows);
    const groupEnd = groupStart + groupRows;
    if (groupRows === 0) continue;
    const chunks = new Map<string, { rowStart: number; data: Column }[]>();
    try {
      await lib!.hp.parquetRead({
        file,
        metadata,
        columns,
        rowStart: groupStart,
        rowEnd: groupEnd,
        compressors: lib!.compressors,
        parsers: PARSERS,
        onChunk: (c) => {
          let list = chunks.get(c.columnName);
          if (!list) chunks.set(c.columnName, (list = []));
          list.push({ rowStart: c.rowStart, data: c.columnData as Column });
        },
      });
    } catch (e) {
      throw hyparquetError(src, e, metadata, group);
    }
    const col = (name: string): Column => {
      try {
        return alignChunks(chunks.get(name) ?? [], groupStart, groupRows, name);
      } catch (e) {
        // fewer rows than the row group declares: the position is that column's chunk in this group
        throw lib!.guard.corrupt(src.display, (e as Error).message, chunkPosition(metadata, group, (m) => m.path_in_schema?.[0] === name));
      }
    };
    const n = processGroup(plan, router, groupRows, col, warn, groupStart + 1);
    ctx.sink.countSamples(n);
    rows += groupRows;
    groupStart = groupEnd;
  }
  if (plan.timeNaive) {
    ctx.warn({ code: 'TIMESTAMP_NO_ZONE', file: src.display, message: `Parquet column ${JSON.stringify(plan.time)} is a TIMESTAMP without time zone (isAdjustedToUTC=false); read as UTC` });
  }
  if (warn.badTime) ctx.warn({ code: 'PARQUET_BAD_TIME', file: src.display, count: warn.badTime, message: `${warn.badTime} rows have an empty or unreadable timestamp and were skipped` });
  if (warn.badValue) ctx.warn({ code: 'PARQUET_BAD_VALUE', file: src.display, count: warn.badValue, message: `${warn.badValue} values are not numbers and were skipped` });
  const how = plan.selector ? (plan.mapColumns.has(plan.selector) ? 'labels in a MAP column' : 'labels in a selector column') : plan.labels.length ? `labels as columns (${plan.labels.join(', ')})` : 'no label columns';
  const codecs = new Set<string>();
  for (const rg of metadata.row_groups) for (const c of rg.columns) if (c.meta_data) codecs.add(c.meta_data.codec);
  return {
    detail: `long format, ${rows} rows in ${metadata.row_groups.length} row group${metadata.row_groups.length === 1 ? '' : 's'}, ${router.size} series, ${how}, ${[...codecs].join('/')}`,
  };
}

/** One array covering [groupStart, groupStart + n) from chunks that may arrive out of order. */
export function alignChunks(list: { rowStart: number; data: Column }[], groupStart: number, n: number, name: string): Column {
  if (list.length === 1 && list[0].rowStart === groupStart && list[0].data.length === n) return list[0].data;
  list.sort((a, b) => a.rowStart - b.rowStart);
  const out: unknown[] = new Array(n);
  let filled = 0;
  for (const { rowStart, data } of list) {
    for (let i = 0; i < data.length; i++) {
      const r = rowStart + i - groupStart;
      if (r >= 0 && r < n) {
        out[r] = data[i];
        filled++;
      }
    }
  }
  if (filled < n) throw new Error(`parquet column ${name}: ${filled} of ${n} rows delivered`);
  return out;
}

function makePlan(src: InputSource, metadata: FileMetaData): Plan {
  const tree = lib!.hp.parquetSchema(metadata);
  const top = tree.children.map((c) => c.element.name);
  let time: string | undefined;
  let name: string | undefined;
  let value: string | undefined;
  let selector: string | undefined;
  for (const h of top) {
    const role = columnRole(h);
    if (role === 'time' && time === undefined) time = h;
    else if (role === 'name' && name === undefined) name = h;
    else if (role === 'value' && value === undefined) value = h;
    else if (role === 'selector' && selector === undefined) selector = h;
  }
  const missing: string[] = [];
  if (time === undefined) missing.push('time (time/timestamp/ts)');
  if (value === undefined) missing.push('value (value/val)');
  if (name === undefined && selector === undefined) missing.push('metric name (metric/name/__name__/series)');
  if (missing.length) {
    throw new InputError({
      code: 'PARQUET_SCHEMA',
      file: src.display,
      message: `Parquet file lacks the ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}; columns found: ${listColumns(top)}`,
      hint: 'the long format needs columns time, metric, value and labels as further columns',
    });
  }
  const mapColumns = new Set<string>();
  for (const c of tree.children) {
    const ct = c.element.converted_type;
    if (ct === 'MAP' || ct === 'MAP_KEY_VALUE' || c.element.logical_type?.type === 'MAP') mapColumns.add(c.element.name);
  }
  const labels = top.filter((h) => h !== time && h !== name && h !== value && h !== selector);
  const timeEl = tree.children.find((c) => c.element.name === time)!.element;
  const lt = timeEl.logical_type;
  const isTs = lt?.type === 'TIMESTAMP' || timeEl.converted_type === 'TIMESTAMP_MILLIS' || timeEl.converted_type === 'TIMESTAMP_MICROS' || timeEl.type === 'INT96' || timeEl.converted_type === 'DATE';
  const unit = timeUnitFromHeader(time!);
  return {
    time: time!,
    name,
    value: value!,
    selector,
    labels,
    timeKind: isTs ? 'seconds' : unit ? 'scaled' : 'epoch',
    timeScale: unit === 'millis' ? 1e-3 : unit === 'micros' ? 1e-6 : unit === 'nanos' ? 1e-9 : 1,
    timeNaive: lt?.type === 'TIMESTAMP' && lt.isAdjustedToUTC === false,
    mapColumns,
  };
}

const NULL_KEY = '\u0000';

/**
 * Series lookup keyed by the cell values themselves through nested Maps (one level per key column):
 * dictionary-decoded strings are shared instances whose hashes V8 caches, so a row costs a few
 * Map hits and no string building.
 */
class NestedRouter {
  private readonly root = new Map<unknown, unknown>();
  size = 0;
  constructor(private readonly ctx: IngestContext) {}

  /** keys: normalised key cells (name, selector, labels...), cells: the raw cells for opening. */
  get(keys: unknown[], open: () => { name: string; labels: Labels }): SeriesAccumulator {
    let m = this.root;
    const last = keys.length - 1;
    for (let k = 0; k < last; k++) {
      let next = m.get(keys[k]) as Map<unknown, unknown> | undefined;
      if (!next) m.set(keys[k], (next = new Map()));
      m = next;
    }
    let acc = m.get(keys[last]) as SeriesAccumulator | undefined;
    if (!acc) {
      const { name, labels } = open();
      acc = this.ctx.sink.open(name, labels);
      m.set(keys[last], acc);
      this.size++;
    }
    return acc;
  }
}

function keyOf(x: unknown): unknown {
  if (x === null || x === undefined) return NULL_KEY;
  if (typeof x === 'object') return labelsKey(mapToLabels(x));
  return x;
}

function mapToLabels(x: unknown): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
  if (x instanceof Map) {
    for (const [k, v] of x) if (v !== null && v !== undefined && v !== '') out[String(k)] = String(v);
  } else if (x && typeof x === 'object') {
    for (const [k, v] of Object.entries(x as Record<string, unknown>)) if (v !== null && v !== undefined && v !== '') out[k] = String(v);
  }
  return out;
}

function processGroup(
  plan: Plan,
  router: NestedRouter,
  n: number,
  col: (name: string) => Column,
  warn: { badTime: number; badValue: number },
  /** 1-based row number, in the file, of the group's first row (for error positions). */
  firstRow = 1,
): number {
  const tcol = col(plan.time);
  const vcol = col(plan.value);
  const keyNames = [...(plan.name ? [plan.name] : []), ...(plan.selector ? [plan.selector] : []), ...plan.labels];
  const keyCols = keyNames.map(col);
  const nk = keyCols.length;
  const prev: unknown[] = new Array(nk).fill(undefined);
  const keys: unknown[] = new Array(nk);
  let acc: SeriesAccumulator | undefined;
  let pushed = 0;
  const tBig = tcol instanceof BigInt64Array;
  const vF64 = vcol instanceof Float64Array;
  const scale = plan.timeScale;
  const kind = plan.timeKind;

  for (let r = 0; r < n; r++) {
    // Series: fast path when every key cell is the same instance as the previous row's.
    let same = acc !== undefined;
    for (let k = 0; k < nk; k++) {
      const c = keyCols[k][r];
      if (c !== prev[k]) {
        same = false;
        prev[k] = c;
      }
    }
    if (!same) {
      for (let k = 0; k < nk; k++) keys[k] = keyOf(prev[k]);
      const row = r;
      try {
        acc = router.get(keys, () => openSeries(plan, keyNames, keyCols, row));
      } catch (e) {
        throw withPosition(e, { row: firstRow + row }); // a series or label-length limit, at the row of a new series
      }
    }
    // Value
    let v: number;
    if (vF64) v = (vcol as Float64Array)[r];
    else {
      const x = vcol[r];
      if (x === null || x === undefined) continue;
      if (typeof x === 'number') v = x;
      else if (typeof x === 'bigint') v = Number(x);
      else {
        const p = parseCellNumber(String(x));
        if (p === undefined) {
          warn.badValue++;
          continue;
        }
        v = p;
      }
    }
    // Time
    let t: number;
    if (tBig) {
      const raw = Number((tcol as BigInt64Array)[r]);
      t = kind === 'scaled' ? raw * scale : epochToSeconds(raw);
    } else {
      const x = tcol[r];
      if (typeof x === 'number') t = kind === 'seconds' ? x : kind === 'scaled' ? x * scale : epochToSeconds(x);
      else if (typeof x === 'bigint') t = kind === 'scaled' ? Number(x) * scale : epochToSeconds(Number(x));
      else if (typeof x === 'string') {
        const p = parseTimestamp(x);
        if (!p) {
          warn.badTime++;
          continue;
        }
        t = p.seconds;
      } else if (x instanceof Date) t = x.getTime() / 1000;
      else {
        warn.badTime++;
        continue;
      }
    }
    acc!.push(t, v);
    pushed++;
  }
  return pushed;
}

function openSeries(plan: Plan, keyNames: string[], keyCols: Column[], r: number): { name: string; labels: Labels } {
  let name = '';
  const labels: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
  for (let k = 0; k < keyNames.length; k++) {
    const colName = keyNames[k];
    const x = keyCols[k][r];
    if (x === null || x === undefined || x === '') continue;
    if (colName === plan.name) {
      const s = String(x);
      const sel = s.includes('{') ? parseSelector(s) : undefined;
      if (sel) {
        name = sel.name;
        Object.assign(labels, sel.labels);
      } else name = s;
    } else if (colName === plan.selector || plan.mapColumns.has(colName)) {
      if (typeof x === 'object') Object.assign(labels, mapToLabels(x));
      else {
        const s = String(x).trim();
        const sel = parseSelector(s.startsWith('{') || s.includes('{') ? s : `{${s}}`);
        if (sel) {
          if (!name) name = sel.name;
          Object.assign(labels, sel.labels);
        } else labels[colName] = s;
      }
    } else labels[colName] = typeof x === 'object' ? JSON.stringify(x) : String(x);
  }
  return { name: name || '(unnamed)', labels };
}
