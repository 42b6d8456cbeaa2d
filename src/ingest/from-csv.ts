// CSV metrics: the long format (one row per sample: time, metric name, value, labels as columns or
// as one `{a="b"}` selector column) and Grafana's wide "Series joined by time" export (a time column
// and one column per series whose header carries the series). Streamed over the source's 1 MiB
// chunks through a byte tokenizer (tabular/csv-tokenizer.ts; it replaced csv-parse, 60% of the time
// in bench ingest-csv) that decodes only the cells used; empty cells are missing samples, never zeros.

import { InputError, withPosition } from '../errors.js';
import type { Labels } from '../model/series.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { SeriesAccumulator } from './sink.js';
import type { InputSource } from './source.js';
import {
  SeriesRouter,
  columnRole,
  epochToSeconds,
  findRole,
  listColumns,
  parseSelector,
  parseTimestamp,
  timeUnitFromHeader,
} from './tabular/common.js';
import { parseUnitCell } from './tabular/units.js';
import { parseCellNumber } from './bytes/decimal.js';
import { CellInterner, CsvTokenizer, CsvUnclosedQuote, FIELD_PLAIN, FIELD_QUOTED } from './tabular/csv-tokenizer.js';

const DELIMS = [',', ';', '\t'] as const;

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** First physical line (without CR). */
function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Split one line on `delim` outside double quotes (enough for sniffing a header). */
export function splitLine(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQ) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQ = false;
      } else cur += c;
    } else if (c === '"') inQ = true;
    else if (c === delim) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Occurrences of `delim` outside double quotes and outside `{…}` (selectors hold commas). */
function countDelims(line: string, delim: string): number {
  let n = 0;
  let inQ = false;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') inQ = !inQ;
    else if (inQ) continue;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === delim && depth === 0) n++;
  }
  return n;
}

/** The delimiter the header line uses: the most frequent of `,` `;` TAB outside quotes and braces. */
export function detectDelimiter(header: string): string {
  let best: string = ',';
  let bestN = 0;
  for (const d of DELIMS) {
    const n = countDelims(header, d);
    if (n > bestN) {
      best = d;
      bestN = n;
    }
  }
  return best;
}

/** Excel hint line Grafana writes first with "Download for Excel": `sep=,`. */
const SEP_RE = /^sep=(.)$/;

// A Prometheus exposition line (`name{…} value [ts]`) must not be mistaken for a CSV header.
const EXPOSITION_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+\S+(\s+\S+)?\s*$/;

function sniffCsv(headText: string): boolean {
  let text = stripBom(headText);
  if (SEP_RE.test(firstLine(text))) text = text.slice(text.indexOf('\n') + 1);
  const header = firstLine(text);
  if (header.trim() === '' || /^\s*[#{[]/.test(header) || EXPOSITION_RE.test(header)) return false;
  const delim = detectDelimiter(header);
  const cols = splitLine(header, delim).map((c) => c.trim());
  if (cols.length < 2) return false;
  if (cols.some((c) => columnRole(c) !== undefined)) return true;
  // No recognised column name: accept when the next line has as many fields and holds a number.
  const rest = text.slice(text.indexOf('\n') + 1);
  if (!rest) return false;
  const second = splitLine(firstLine(rest), delim);
  return second.length === cols.length && second.some((c) => parseCellNumber(c) !== undefined || parseTimestamp(c) !== undefined);
}

interface Warned {
  noZone: boolean;
  badValues: number;
  firstBadValue?: { row: number; column: string; text: string };
  units: Map<string, Set<string>>;
  guessedPercent: Set<string>;
}

type RowHandler = (rec: CsvTokenizer, row: number) => number;

export const csvAdapter: Adapter = {
  id: 'csv-long',
  label: 'CSV (long format or Grafana wide export)',
  sniff: (_head, headText) => sniffCsv(headText),
  read: (src, ctx) => readCsv(src, ctx),
};

/** Whether a record (after the first header) is another table's header: `Time,…` with no number. */
function isRepeatedHeader(rec: CsvTokenizer): boolean {
  if (rec.count === 0) return false;
  const k = rec.kinds[0];
  const first = k === FIELD_QUOTED ? rec.buf[rec.starts[0] + 1] : k === FIELD_PLAIN ? rec.buf[rec.starts[0]] : rec.field(0).charCodeAt(0);
  if (rec.ends[0] === rec.starts[0] || !isLetter(first)) return false;
  const cells = rec.fields();
  return columnRole(cells[0]) === 'time' && cells.every((c) => parseCellNumber(c) === undefined);
}

async function readCsv(src: InputSource, ctx: IngestContext): Promise<AdapterResult> {
  const headText = stripBom(src.head.toString('utf8'));
  const sepLine = SEP_RE.exec(firstLine(headText));
  const delimiter = sepLine ? sepLine[1] : detectDelimiter(firstLine(headText));
  let skipSep = sepLine !== null;
  const warned: Warned = { noZone: false, badValues: 0, units: new Map(), guessedPercent: new Set() };
  let handler: RowHandler | undefined;
  let header: string[] = [];
  let detail = '';
  let format: AdapterResult['format'] = 'csv-long';
  let describe: () => string = () => '';
  let pending = 0;

  const onRecord = (rec: CsvTokenizer): void => {
    const row = rec.row; // CSV record number, header = row 1
    if (skipSep) {
      skipSep = false;
      return;
    }
    // Grafana without "Series joined by time" writes one table per series, each with its header.
    if (handler && isRepeatedHeader(rec)) handler = undefined;
    if (!handler) {
      header = rec.fields().map((h) => h.trim());
      const setup = setupLayout(src, ctx, header, warned);
      handler = setup.handler;
      format = setup.format;
      describe = setup.describe;
      return;
    }
    if (rec.count !== header.length) {
      if (rec.count === 1 && rec.field(0).trim() === '') return;
      throw new InputError({
        code: 'CSV_SYNTAX',
        file: src.display,
        position: { row },
        message: `row has ${rec.count} fields, the header has ${header.length}`,
        hint: 'every row must have as many fields as the header (a field with a comma must be quoted)',
      });
    }
    pending += handler(rec, row);
    if (pending >= 65536) {
      ctx.sink.countSamples(pending);
      pending = 0;
    }
  };

  let tok: CsvTokenizer;
  try {
    tok = new CsvTokenizer(delimiter, onRecord);
  } catch (e) {
    throw new InputError({
      code: 'CSV_SYNTAX',
      file: src.display,
      position: { row: 1 },
      message: `the sep= line names a delimiter ${JSON.stringify(delimiter)} this reader does not support`,
      hint: 'use , ; or TAB as the delimiter',
    });
  }
  try {
    for await (const chunk of src.chunks()) tok.push(chunk);
    tok.end();
  } catch (e) {
    if (e instanceof CsvUnclosedQuote) {
      throw new InputError({
        code: 'CSV_SYNTAX',
        file: src.display,
        position: { row: e.row, byte: e.byte },
        message: `CSV does not parse: a quoted field opened on row ${e.row} (byte ${e.byte}) is never closed`,
        hint: 'check the quoting on that row (quotes inside a field are doubled: "")',
      });
    }
    throw e;
  }
  ctx.sink.countSamples(pending);
  if (!handler) {
    throw new InputError({ code: 'EMPTY_INPUT', file: src.display, message: 'CSV has no header row' });
  }
  emitWarnings(src, ctx, warned);
  detail = describe();
  return { detail, format };
}

function emitWarnings(src: InputSource, ctx: IngestContext, w: Warned): void {
  if (w.noZone) {
    ctx.warn({ code: 'TIMESTAMP_NO_ZONE', file: src.display, message: 'timestamps carry no time zone; they were read as UTC (Grafana writes the browser\'s local time: check the offset)' });
  }
  if (w.badValues) {
    const f = w.firstBadValue!;
    ctx.warn({
      code: 'CSV_BAD_VALUE',
      file: src.display,
      count: w.badValues,
      message: `${w.badValues} cells are not numbers and were skipped (first: row ${f.row}, column ${JSON.stringify(f.column)}: ${JSON.stringify(f.text.slice(0, 40))})`,
    });
  }
  if (w.units.size) {
    const parts = [...w.units].map(([col, units]) => `${col}: ${[...units].join(' ')}`);
    ctx.warn({
      code: 'CSV_FORMATTED_VALUES',
      file: src.display,
      message: `values carry display units (Grafana "Formatted data"); converted back to raw units, losing the shown rounding — ${parts.slice(0, 6).join('; ')}${parts.length > 6 ? '; …' : ''}`,
    });
  }
  if (w.guessedPercent.size) {
    ctx.warn({
      code: 'CSV_PERCENT_SCALE',
      file: src.display,
      message: `"%" values of metrics with no known scale were kept as shown (0–100): ${[...w.guessedPercent].slice(0, 6).join(', ')}`,
    });
  }
}

interface Layout {
  handler: RowHandler;
  format: 'csv-long' | 'csv-wide';
  describe: () => string;
}

type TimeParser = (rec: CsvTokenizer, i: number, row: number) => number;
type ValueParser = (rec: CsvTokenizer, i: number, metric: string, column: string, row: number) => number | undefined;

function makeTimeParser(src: InputSource, header: string, column: string, warned: Warned): TimeParser {
  const unit = timeUnitFromHeader(header);
  const scale = unit === 'millis' ? 1e-3 : unit === 'micros' ? 1e-6 : unit === 'nanos' ? 1e-9 : 1;
  // Rows of one time step share the timestamp: compare the raw bytes with the previous cell's.
  let last = Buffer.alloc(64);
  let lastLen = -1;
  let lastT = NaN;
  const fromString = (cell: string, row: number): number => {
    const n = cell.length > 0 && cell.length < 25 ? Number(cell) : NaN;
    if (n === n && cell.trim() !== '') return unit ? n * scale : epochToSeconds(n);
    const p = parseTimestamp(cell);
    if (!p) {
      throw new InputError({
        code: 'CSV_SYNTAX',
        file: src.display,
        position: { row, column },
        message: `timestamp ${JSON.stringify(cell.slice(0, 40))} is neither epoch seconds/ms/µs/ns nor ISO 8601`,
        hint: 'timestamps look like 1732269600, 1732269600000 or 2024-11-22T10:00:00Z',
      });
    }
    if (p.noZone) warned.noZone = true;
    return p.seconds;
  };
  return (rec, i, row) => {
    const buf = rec.buf;
    const s = rec.starts[i];
    const e = rec.ends[i];
    const len = e - s;
    if (len === lastLen) {
      let k = 0;
      while (k < len && buf[s + k] === last[k]) k++;
      if (k === len) return lastT;
    }
    const n = len < 25 ? rec.number(i) : NaN;
    const t = n === n ? (unit ? n * scale : epochToSeconds(n)) : fromString(rec.field(i), row);
    if (len > last.length) last = Buffer.alloc(len * 2);
    buf.copy(last, 0, s, e);
    lastLen = len;
    lastT = t;
    return t;
  };
}

/** Cell → value: number, or a Grafana formatted string, or undefined (skipped, counted). */
function makeValueParser(warned: Warned): ValueParser {
  return (rec, i, metric, column, row) => {
    const fast = rec.number(i);
    if (fast === fast) return fast;
    const cell = rec.field(i);
    const n = parseCellNumber(cell);
    if (n !== undefined) return n;
    const u = parseUnitCell(cell, metric);
    if (u) {
      let set = warned.units.get(column);
      if (!set) warned.units.set(column, (set = new Set()));
      set.add(u.unit);
      if (u.guessed) warned.guessedPercent.add(metric);
      return u.value;
    }
    warned.badValues++;
    if (!warned.firstBadValue) warned.firstBadValue = { row, column, text: cell };
    return undefined;
  };
}

function setupLayout(src: InputSource, ctx: IngestContext, header: string[], warned: Warned): Layout {
  const timeIdx = findRole(header, 'time');
  if (timeIdx < 0) {
    throw new InputError({
      code: 'CSV_NO_TIME_COLUMN',
      file: src.display,
      position: { row: 1 },
      message: `CSV has no time column; columns found: ${listColumns(header)}`,
      hint: 'name the timestamp column time, timestamp, ts or Time (epoch s/ms or ISO 8601)',
    });
  }
  const nameIdx = findRole(header, 'name');
  const valueIdx = findRole(header, 'value');
  const selIdx = findRole(header, 'selector');
  const parseTime = makeTimeParser(src, header[timeIdx], header[timeIdx], warned);
  const parseValue = makeValueParser(warned);
  const router = new SeriesRouter(ctx.sink);

  if (valueIdx >= 0) {
    if (nameIdx < 0 && selIdx < 0) {
      throw new InputError({
        code: 'CSV_SYNTAX',
        file: src.display,
        position: { row: 1 },
        message: `long-format CSV has a value column but no metric-name column; columns found: ${listColumns(header)}`,
        hint: 'add a column metric (or name/__name__/series) holding the metric name or selector',
      });
    }
    return longLayout(src, header, { timeIdx, nameIdx, valueIdx, selIdx }, parseTime, parseValue, router);
  }
  return wideLayout(src, ctx, header, timeIdx, parseTime, parseValue);
}

interface Leaf {
  acc: SeriesAccumulator;
  metric: string;
}

function longLayout(
  src: InputSource,
  header: string[],
  idx: { timeIdx: number; nameIdx: number; valueIdx: number; selIdx: number },
  parseTime: TimeParser,
  parseValue: ValueParser,
  router: SeriesRouter,
): Layout {
  const { timeIdx, nameIdx, valueIdx, selIdx } = idx;
  const labelIdx: number[] = [];
  for (let i = 0; i < header.length; i++) {
    if (i !== timeIdx && i !== nameIdx && i !== valueIdx && i !== selIdx) labelIdx.push(i);
  }
  // Columns that identify the series. Each is interned by its raw bytes (a repeated cell costs no
  // string); the ids lead through a tree of maps to the series, with the previous row's ids as a
  // fast path. The string key and labels are built once per distinct series.
  const keyIdx = [nameIdx, selIdx, ...labelIdx].filter((i) => i >= 0);
  const nKeys = keyIdx.length;
  const interners = keyIdx.map(() => new CellInterner());
  const prevIds = new Int32Array(nKeys).fill(-1);
  const root = new Map<number, unknown>();
  let leaf: Leaf | undefined;
  const valueCol = header[valueIdx];

  const open = (cells: string[], row: number): { name: string; labels: Labels } => {
    let name = nameIdx >= 0 ? cells[nameIdx].trim() : '';
    const labels: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
    if (name.includes('{')) {
      const sel = parseSelector(name);
      if (!sel) throw selectorError(src, row, header[nameIdx], name);
      name = sel.name;
      Object.assign(labels, sel.labels);
    }
    if (selIdx >= 0 && cells[selIdx].trim() !== '') {
      const text = cells[selIdx].trim();
      const sel = parseSelector(text.startsWith('{') || !name ? text : `{${text.replace(/^\{|\}$/g, '')}}`);
      if (!sel) throw selectorError(src, row, header[selIdx], text);
      if (!name) name = sel.name;
      Object.assign(labels, sel.labels);
    }
    for (const i of labelIdx) {
      const v = cells[i];
      if (v !== '') labels[header[i]] = v;
    }
    if (!name) {
      throw new InputError({ code: 'CSV_SYNTAX', file: src.display, position: { row }, message: 'row has no metric name', hint: 'fill the metric-name column' });
    }
    return { name, labels };
  };

  const find = (row: number): Leaf => {
    let node = root;
    for (let k = 0; k < nKeys - 1; k++) {
      let next = node.get(prevIds[k]) as Map<number, unknown> | undefined;
      if (!next) node.set(prevIds[k], (next = new Map()));
      node = next;
    }
    let found = node.get(prevIds[nKeys - 1]) as Leaf | undefined;
    if (!found) {
      const cells: string[] = new Array(header.length).fill('');
      let key = '';
      for (let k = 0; k < nKeys; k++) {
        const c = interners[k].value(prevIds[k]);
        cells[keyIdx[k]] = c;
        key += k ? `\u0001${c}` : c;
      }
      let opened: { name: string; labels: Labels } | undefined;
      let acc: SeriesAccumulator;
      try {
        acc = router.get(key, () => (opened = open(cells, row)));
      } catch (e) {
        throw withPosition(e, { row }); // a series or label-length limit, at the row of a new series
      }
      found = { acc, metric: opened ? opened.name : acc.rawName };
      node.set(prevIds[nKeys - 1], found);
    }
    return found;
  };

  const handler: RowHandler = (rec, row) => {
    let same = leaf !== undefined;
    for (let k = 0; k < nKeys; k++) {
      const id = interners[k].id(rec, keyIdx[k]);
      if (id !== prevIds[k]) {
        prevIds[k] = id;
        same = false;
      }
    }
    if (!same) leaf = find(row);
    if (rec.isEmpty(valueIdx)) return 0;
    const v = parseValue(rec, valueIdx, leaf!.metric, valueCol, row);
    if (v === undefined) return 0;
    leaf!.acc.push(parseTime(rec, timeIdx, row), v);
    return 1;
  };
  const how = selIdx >= 0 ? 'labels in a selector column' : nameIdx >= 0 && labelIdx.length === 0 ? 'labels in the name column' : `labels as columns (${labelIdx.map((i) => header[i]).join(', ')})`;
  return { handler, format: 'csv-long', describe: () => `long format, ${router.size} series, ${how}` };
}

function selectorError(src: InputSource, row: number, column: string, text: string): InputError {
  return new InputError({
    code: 'CSV_SYNTAX',
    file: src.display,
    position: { row, column },
    message: `cannot read the series selector ${JSON.stringify(text.slice(0, 80))}`,
    hint: 'selectors look like vllm:num_requests_running{instance="a:8000",job="vllm"}',
  });
}

function wideLayout(
  src: InputSource,
  ctx: IngestContext,
  header: string[],
  timeIdx: number,
  parseTime: TimeParser,
  parseValue: ValueParser,
): Layout {
  const cols: number[] = [];
  const names: string[] = [];
  const labels: Labels[] = [];
  const aliases: string[] = [];
  for (let i = 0; i < header.length; i++) {
    if (i === timeIdx) continue;
    const h = header[i] || `column_${i + 1}`;
    const sel = h.includes('{') ? parseSelector(h) : undefined;
    cols.push(i);
    if (sel && sel.name) {
      names.push(sel.name);
      labels.push(sel.labels);
    } else {
      names.push(h);
      labels.push({});
      aliases.push(h);
    }
  }
  if (aliases.length) {
    ctx.warn({
      code: 'CSV_SERIES_ALIAS',
      file: src.display,
      count: aliases.length,
      message: `${aliases.length} column headers are legend aliases, not selectors; each was read as a metric of that name with unknown labels: ${aliases.slice(0, 5).map((a) => JSON.stringify(a)).join(', ')}${aliases.length > 5 ? ', …' : ''} (export with the legend unset to keep metric names and labels)`,
    });
  }
  const accs: (SeriesAccumulator | undefined)[] = new Array(cols.length);
  const handler: RowHandler = (rec, row) => {
    const t = parseTime(rec, timeIdx, row);
    let n = 0;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k];
      if (rec.isEmpty(c)) continue;
      const v = parseValue(rec, c, names[k], header[c], row);
      if (v === undefined) continue;
      let acc = accs[k];
      if (!acc) {
        try {
          acc = accs[k] = ctx.sink.open(names[k], labels[k]);
        } catch (e) {
          throw withPosition(e, { row, column: header[c] }); // a series or label-length limit
        }
      }
      acc.push(t, v);
      n++;
    }
    return n;
  };
  return {
    handler,
    format: 'csv-wide',
    describe: () => `Grafana wide export (series joined by time), ${cols.length} series columns${aliases.length ? `, ${aliases.length} with legend aliases (labels unknown)` : ''}`,
  };
}
