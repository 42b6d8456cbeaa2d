// CSV cells → numbers (split out of from-csv.ts): the timestamp parser (epoch units, ISO 8601, the
// previous row's bytes as a fast path), the value parser (Grafana formatted cells), and their warnings.

import { InputError } from '../../errors.js';
import type { IngestContext } from '../adapter.js';
import { parseCellNumber } from '../bytes/decimal.js';
import type { InputSource } from '../source.js';
import { epochToSeconds, parseTimestamp, timeUnitFromHeader } from './common.js';
import type { CsvTokenizer } from './csv-tokenizer.js';
import { parseUnitCell } from './units.js';

export interface Warned {
  noZone: boolean;
  badValues: number;
  firstBadValue?: { row: number; column: string; text: string };
  units: Map<string, Set<string>>;
  guessedPercent: Set<string>;
}

export type TimeParser = (rec: CsvTokenizer, i: number, row: number) => number;
export type ValueParser = (rec: CsvTokenizer, i: number, metric: string, column: string, row: number) => number | undefined;

export function makeTimeParser(src: InputSource, header: string, column: string, warned: Warned): TimeParser {
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
export function makeValueParser(warned: Warned): ValueParser {
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

export function emitWarnings(src: InputSource, ctx: IngestContext, w: Warned): void {
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
