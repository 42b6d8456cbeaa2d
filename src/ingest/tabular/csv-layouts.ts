// CSV row readers (split out of from-csv.ts): the layout a header implies — long (one sample a row,
// rows routed to their series through interned key cells) or Grafana wide (one series a column).

import { InputError, withPosition } from '../../errors.js';
import type { Labels } from '../../model/series.js';
import type { IngestContext } from '../adapter.js';
import type { SeriesAccumulator } from '../sink.js';
import type { InputSource } from '../source.js';
import { SeriesRouter, findRole, listColumns, parseSelector } from './common.js';
import { makeTimeParser, makeValueParser, type TimeParser, type ValueParser, type Warned } from './csv-cells.js';
import { CellInterner, type CsvTokenizer } from './csv-tokenizer.js';

export type RowHandler = (rec: CsvTokenizer, row: number) => number;

export interface Layout {
  handler: RowHandler;
  format: 'csv-long' | 'csv-wide';
  describe: () => string;
}

export function setupLayout(src: InputSource, ctx: IngestContext, header: string[], warned: Warned): Layout {
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
