// CSV metrics: the long format (one row per sample: time, metric name, value, labels as columns or
// as one `{a="b"}` selector column) and Grafana's wide "Series joined by time" export (a time column
// and one column per series whose header carries the series). Streamed over the source's 1 MiB
// chunks through a byte tokenizer (tabular/csv-tokenizer.ts; it replaced csv-parse, 60% of the time
// in bench ingest-csv) that decodes only the cells used; empty cells are missing samples, never zeros.

import { InputError } from '../errors.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { columnRole } from './tabular/common.js';
import { parseCellNumber } from './bytes/decimal.js';
import { CsvTokenizer, CsvUnclosedQuote, FIELD_PLAIN, FIELD_QUOTED } from './tabular/csv-tokenizer.js';
import { emitWarnings, type Warned } from './tabular/csv-cells.js';
import { setupLayout, type RowHandler } from './tabular/csv-layouts.js';
import { SEP_RE, detectDelimiter, firstLine, stripBom } from './tabular/csv-sniff.js';
import { csvFormat } from './sniff/text.js';

// Sniffing lives in tabular/csv-sniff.ts; importers of from-csv.js keep finding these here.
export { detectDelimiter, splitLine } from './tabular/csv-sniff.js';

function isLetter(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}

export const csvAdapter: Adapter = {
  ...csvFormat,
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
