// Parquet metadata and page headers checked against the file before hyparquet allocates anything
// from them (issue 11 §2: a 13 KB file whose page header claimed millions of values drove the
// process to 2–3 GB and a fatal V8 error). A file that fails a check is PARQUET_CORRUPT (exit 2).
//
// Checked, from the footer (validateMetadata):
//   - every row group's num_rows is a whole number ≥ 0, and they add up to the file's num_rows;
//   - every column chunk's byte range (dictionary or first data page, total_compressed_size) lies
//     inside the file, before the footer; its sizes and value count are whole numbers ≥ 0;
//   - a flat column chunk holds exactly its row group's rows (the spec: num_values counts nulls);
//     a nested one (a MAP of labels) at most max(rows, 8 × its uncompressed bytes): every value
//     beyond one per row costs at least one bit of repetition level;
//   - every column chunk's path names a leaf of the schema.
// Checked, per page, when hyparquet fetches a column chunk (guardFile wraps the file):
//   - the page lies inside its chunk; its uncompressed size is at most the chunk's
//     total_uncompressed_size (and 1 GiB, the most one page buffer may hold);
//   - its value count is at most the chunk's (and its nulls at most its values), a dictionary's
//     at most one per byte of the page.

import type { AsyncBuffer, ColumnChunk, FileMetaData } from 'hyparquet';
import { parquetHeader } from 'hyparquet/src/column.js';
import { InputError, type InputErrorInit } from '../errors.js';

const MAX_PAGE_BYTES = 1 << 30;

/**
 * `position`: the column and the byte (of the page header, or of the column chunk) where that is
 * known; the start of the footer for a fault of the footer itself.
 */
export function corrupt(display: string, message: string, position?: InputErrorInit['position']): InputError {
  return new InputError({ code: 'PARQUET_CORRUPT', file: display, ...(position ? { position } : {}), message: `damaged Parquet file: ${message}`, hint: 'the file is truncated or corrupted; write it again (pyarrow, DuckDB, Spark)' });
}

/** Byte offset of the footer (the Thrift FileMetaData), from the length hyparquet read before it. */
function footerAt(metadata: FileMetaData, fileSize: number): { byte: number } | undefined {
  const n = (metadata as { metadata_length?: unknown }).metadata_length;
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0 && n + 8 <= fileSize ? { byte: fileSize - 8 - n } : undefined;
}

const whole = (x: unknown): x is number | bigint => (typeof x === 'bigint' ? x >= 0n : typeof x === 'number' && Number.isSafeInteger(x) && x >= 0);
const num = (x: number | bigint): number => Number(x);

interface ChunkSpan {
  start: number;
  end: number;
  rows: number;
  values: number;
  uncompressed: number;
  flat: boolean;
  name: string;
  checked: boolean;
}

/** Check the footer (see the header); returns the column chunks' spans for guardFile. */
export function validateMetadata(metadata: FileMetaData, fileSize: number, display: string): ChunkSpan[] {
  const foot = footerAt(metadata, fileSize);
  const inFooter = (column?: string) => (foot || column !== undefined ? { ...foot, ...(column !== undefined ? { column } : {}) } : undefined);
  for (const [k, el] of metadata.schema.entries()) {
    if (typeof el?.name !== 'string') throw corrupt(display, `schema element ${k} has no name`, inFooter());
  }
  const flatCols = new Set<string>();
  // Top-level leaves are flat; anything under a group (LIST/MAP) is nested.
  let i = 1;
  const schema = metadata.schema;
  const top = schema[0]?.num_children ?? 0;
  for (let c = 0; c < top && i < schema.length; c++) {
    const el = schema[i];
    if (!el.num_children) {
      if (el.repetition_type !== 'REPEATED') flatCols.add(el.name);
      i++;
    } else {
      // skip the whole subtree
      let pending = 1;
      while (pending > 0 && i < schema.length) {
        pending += (schema[i].num_children ?? 0) - 1;
        i++;
      }
    }
  }
  const leaves = leafPaths(metadata);
  if (!whole(metadata.num_rows)) throw corrupt(display, `the footer's row count ${String(metadata.num_rows)} is not a whole number`, inFooter());
  let rows = 0;
  const spans: ChunkSpan[] = [];
  const footerStart = fileSize - 8;
  for (const [g, rg] of metadata.row_groups.entries()) {
    if (!whole(rg.num_rows)) throw corrupt(display, `row group ${g} declares ${String(rg.num_rows)} rows`, inFooter());
    const n = num(rg.num_rows);
    rows += n;
    for (const col of rg.columns as ColumnChunk[]) {
      const m = col.meta_data;
      if (!m) continue;
      const name = (m.path_in_schema ?? []).join('.');
      // hyparquet resolves each chunk's path while it starts reading the row group's columns: a path
      // missing from the schema throws after the earlier columns' reads began, and their rejections
      // then escape every handler (an unhandled rejection ends the process).
      if (!Array.isArray(m.path_in_schema) || !leaves.has(m.path_in_schema.join('\u0000'))) throw corrupt(display, `column chunk ${JSON.stringify(name)} in row group ${g} is not a column of the file's schema`, inFooter(name));
      const start = m.dictionary_page_offset !== undefined && num(m.dictionary_page_offset) > 0 ? m.dictionary_page_offset : m.data_page_offset;
      for (const [what, x] of [['start', start], ['compressed size', m.total_compressed_size], ['uncompressed size', m.total_uncompressed_size], ['value count', m.num_values]] as const) {
        if (!whole(x)) throw corrupt(display, `column ${JSON.stringify(name)} in row group ${g}: ${what} ${String(x)} is not a whole number`, inFooter(name));
      }
      const s = num(start);
      const e = s + num(m.total_compressed_size);
      if (s < 4 || e > footerStart) throw corrupt(display, `column ${JSON.stringify(name)} in row group ${g} spans bytes ${s}–${e}, outside the file's data (4–${footerStart})`, inFooter(name));
      const values = num(m.num_values);
      const flat = m.path_in_schema?.length === 1 && flatCols.has(m.path_in_schema[0]);
      if (flat && values !== n) throw corrupt(display, `column ${JSON.stringify(name)} in row group ${g} holds ${values} values for ${n} rows`, inFooter(name));
      if (!flat && values > Math.max(n, 8 * num(m.total_uncompressed_size))) throw corrupt(display, `column ${JSON.stringify(name)} in row group ${g} claims ${values} values in ${num(m.total_uncompressed_size)} bytes`, inFooter(name));
      spans.push({ start: s, end: e, rows: n, values, uncompressed: num(m.total_uncompressed_size), flat, name, checked: false });
    }
  }
  if (rows !== num(metadata.num_rows)) throw corrupt(display, `the row groups hold ${rows} rows, the footer says ${num(metadata.num_rows)}`, inFooter());
  return spans;
}

/** The paths (joined with NUL) of the schema's leaves, walking the flattened schema's num_children. */
function leafPaths(metadata: FileMetaData): Set<string> {
  const out = new Set<string>();
  const schema = metadata.schema;
  // An explicit stack of (path, children left): a corrupt footer may nest deeper than the call stack.
  const stack: { path: string[]; left: number }[] = [{ path: [], left: schema[0]?.num_children ?? 0 }];
  for (let i = 1; i < schema.length && stack.length; ) {
    const top = stack[stack.length - 1];
    if (top.left <= 0) {
      stack.pop();
      continue;
    }
    top.left--;
    const el = schema[i++];
    const path = [...top.path, el.name];
    const n = el.num_children ?? 0;
    if (n > 0) stack.push({ path, left: n });
    else out.add(path.join('\u0000'));
  }
  return out;
}

/** Walk the page headers of one column chunk held in `bytes` (which starts at file offset `at`). */
function checkPages(bytes: Uint8Array, at: number, span: ChunkSpan, display: string): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader = { view, offset: span.start - at };
  const end = span.end - at;
  let values = 0;
  while (reader.offset < end - 1) {
    let h: ReturnType<typeof parquetHeader>;
    const headerAt = reader.offset;
    try {
      h = parquetHeader(reader);
    } catch (e) {
      throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: unreadable page header (${(e as Error).message})`, { column: span.name, byte: at + headerAt });
    }
    if (!whole(h.compressed_page_size) || !whole(h.uncompressed_page_size)) throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: negative page size`, { column: span.name, byte: at + headerAt });
    const c = num(h.compressed_page_size);
    const u = num(h.uncompressed_page_size);
    if (reader.offset + c > end) throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: ${c} bytes run past the column chunk`, { column: span.name, byte: at + headerAt });
    if (u > Math.max(span.uncompressed, c) || u > MAX_PAGE_BYTES) throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: ${u} bytes uncompressed, more than the column chunk's ${span.uncompressed}`, { column: span.name, byte: at + headerAt });
    const dict = h.dictionary_page_header;
    const dp = h.data_page_header ?? h.data_page_header_v2;
    if (dict) {
      if (!whole(dict.num_values) || num(dict.num_values) > Math.max(u, 1)) throw corrupt(display, `column ${JSON.stringify(span.name)}, dictionary at byte ${at + headerAt}: ${String(dict.num_values)} values in ${u} bytes`, { column: span.name, byte: at + headerAt });
    } else if (dp) {
      if (!whole(dp.num_values)) throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: value count ${String(dp.num_values)}`, { column: span.name, byte: at + headerAt });
      values += num(dp.num_values);
      if (values > span.values) throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: the pages hold more values than the chunk's ${span.values}`, { column: span.name, byte: at + headerAt });
      const v2 = h.data_page_header_v2;
      if (v2 && (!whole(v2.num_nulls) || num(v2.num_nulls) > num(v2.num_values) || !whole(v2.definition_levels_byte_length) || !whole(v2.repetition_levels_byte_length) || num(v2.definition_levels_byte_length) + num(v2.repetition_levels_byte_length) > u)) {
        throw corrupt(display, `column ${JSON.stringify(span.name)}, page at byte ${at + headerAt}: inconsistent v2 page header`, { column: span.name, byte: at + headerAt });
      }
    }
    reader.offset += c;
  }
}

/**
 * The file as hyparquet sees it, with every column chunk's page headers checked the first time a
 * slice holding the whole chunk is read (hyparquet reads a chunk in one slice). No extra I/O.
 */
export function guardFile(file: AsyncBuffer, spans: ChunkSpan[], display: string): AsyncBuffer {
  const check = async (start: number, end?: number): Promise<ArrayBuffer> => {
    const ab = await file.slice(start, end);
    const stop = start + ab.byteLength;
    for (const s of spans) {
      if (s.checked || s.start < start || s.end > stop) continue;
      checkPages(new Uint8Array(ab), start, s, display);
      s.checked = true;
    }
    return ab;
  };
  return {
    byteLength: file.byteLength,
    slice(start: number, end?: number): Promise<ArrayBuffer> {
      const p = check(start, end);
      // hyparquet requests slices ahead and awaits them later: a rejection must not count as
      // unhandled in the meantime (it took the process down); whoever awaits the slice still gets it.
      p.catch(() => {});
      return p;
    },
  };
}
