// Shared pieces of the tabular readers (CSV and Parquet): recognising the long-format columns,
// parsing timestamps of every common shape into Unix seconds, parsing `name{a="b"}` selectors, and
// routing rows to one SeriesAccumulator per distinct series without building an object per row.

import type { Labels } from '../../model/series.js';
import type { SampleSink, SeriesAccumulator } from '../sink.js';

export type ColumnRole = 'time' | 'name' | 'value' | 'selector';

const TIME_NAMES = new Set(['time', 'timestamp', 'ts', 'date', 'datetime', 'time_stamp', 'timestamp_ms', 'timestamp_s', 'timestamp_seconds', 'timestamp_us', 'timestamp_ns', '_time', 'event_time']);
const NAME_NAMES = new Set(['metric', 'name', '__name__', 'metric_name', 'series', 'metricname']);
const VALUE_NAMES = new Set(['value', 'val', 'sample', 'sample_value', '_value']);
const SELECTOR_NAMES = new Set(['labels', 'selector', 'tags', 'metric_labels', 'label_set', 'labelset']);

function norm(h: string): string {
  return h.trim().toLowerCase();
}

/** Which long-format role a header name plays, if any (case-insensitive, common spellings). */
export function columnRole(header: string): ColumnRole | undefined {
  const h = norm(header);
  if (TIME_NAMES.has(h)) return 'time';
  if (NAME_NAMES.has(h)) return 'name';
  if (VALUE_NAMES.has(h)) return 'value';
  if (SELECTOR_NAMES.has(h)) return 'selector';
  return undefined;
}

/** Index of the first column with the role, or -1. */
export function findRole(headers: readonly string[], role: ColumnRole): number {
  for (let i = 0; i < headers.length; i++) if (columnRole(headers[i]) === role) return i;
  return -1;
}

/** Unit hint carried by a time column's name (`timestamp_ms`), else undefined (decide by magnitude). */
export function timeUnitFromHeader(header: string): 'seconds' | 'millis' | 'micros' | 'nanos' | undefined {
  const h = norm(header);
  if (/(_ms|_millis|_milliseconds)$/.test(h)) return 'millis';
  if (/(_us|_micros|_microseconds)$/.test(h)) return 'micros';
  if (/(_ns|_nanos|_nanoseconds)$/.test(h)) return 'nanos';
  if (/(_s|_sec|_seconds)$/.test(h)) return 'seconds';
  return undefined;
}

/**
 * Epoch number → seconds by magnitude: below 1e11 seconds (until year 5138), below 1e14
 * milliseconds, below 1e17 microseconds, otherwise nanoseconds.
 */
export function epochToSeconds(x: number): number {
  const a = x < 0 ? -x : x;
  if (a < 1e11) return x;
  if (a < 1e14) return x / 1e3;
  if (a < 1e17) return x / 1e6;
  return x / 1e9;
}

const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|z|UTC|[+-]\d{2}(?::?\d{2})?)?$/;
const NUM_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export interface ParsedTime {
  seconds: number;
  /** True when an ISO string carried no zone (read as UTC). */
  noZone: boolean;
}

/**
 * Parse a timestamp cell: epoch seconds/ms/µs/ns (by magnitude) or ISO 8601 / RFC 3339 with or
 * without a zone (no zone = UTC). Returns undefined when it is neither.
 */
export function parseTimestamp(s: string): ParsedTime | undefined {
  const t = s.trim();
  if (t === '') return undefined;
  if (NUM_RE.test(t)) return { seconds: epochToSeconds(Number(t)), noZone: false };
  const m = ISO_RE.exec(t);
  if (!m) return undefined;
  const [, y, mo, d, hh, mi, ss, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = hh ? Number(hh) : 0;
  const minute = mi ? Number(mi) : 0;
  const second = ss ? Number(ss) : 0;
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 24 || minute > 59 || second > 60) return undefined;
  let seconds = Date.UTC(Number(y), month - 1, day, hour, minute, second) / 1000;
  if (frac) seconds += Number(`0.${frac}`);
  if (zone && zone !== 'Z' && zone !== 'z' && zone !== 'UTC') {
    const sign = zone[0] === '-' ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offMin = Number(digits.slice(0, 2)) * 60 + (digits.length > 2 ? Number(digits.slice(2, 4)) : 0);
    seconds -= sign * offMin * 60;
  }
  return { seconds, noZone: !zone };
}

export interface Selector {
  name: string;
  labels: Record<string, string>;
}

/**
 * Parse a Prometheus selector: `name{a="b", c="d"}`, `{__name__="name",a="b"}`, `{a="b"}` or a
 * bare metric name. Returns undefined when the text is not of that shape (e.g. a legend alias).
 */
export function parseSelector(text: string): Selector | undefined {
  const s = text.trim();
  const brace = s.indexOf('{');
  if (brace < 0) {
    return /^[a-zA-Z_:][a-zA-Z0-9_:.]*$/.test(s) ? { name: s, labels: Object.create(null) as Record<string, string> } : undefined;
  }
  if (!s.endsWith('}')) return undefined;
  const name = s.slice(0, brace).trim();
  if (name !== '' && !/^[a-zA-Z_:][a-zA-Z0-9_:.]*$/.test(name)) return undefined;
  const labels: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
  let i = brace + 1;
  const end = s.length - 1;
  while (i < end) {
    while (i < end && (s[i] === ' ' || s[i] === ',')) i++;
    if (i >= end) break;
    const keyStart = i;
    while (i < end && /[a-zA-Z0-9_.]/.test(s[i])) i++;
    const key = s.slice(keyStart, i);
    if (!key) return undefined;
    while (i < end && s[i] === ' ') i++;
    if (s[i] !== '=') return undefined;
    i++;
    while (i < end && s[i] === ' ') i++;
    const q = s[i];
    if (q !== '"' && q !== "'") return undefined;
    i++;
    let val = '';
    for (;;) {
      if (i >= end) return undefined;
      const c = s[i];
      if (c === '\\' && i + 1 < end) {
        const n = s[i + 1];
        val += n === 'n' ? '\n' : n;
        i += 2;
        continue;
      }
      if (c === q) {
        i++;
        break;
      }
      val += c;
      i++;
    }
    labels[key] = val;
  }
  let metric = name;
  if (labels.__name__ !== undefined) {
    if (!metric) metric = labels.__name__;
    delete labels.__name__;
  }
  return { name: metric, labels };
}

/** A label set from separate label columns: empty cells mean "label absent", as in Prometheus. */
export function labelsFromCells(names: readonly string[], cells: readonly (string | undefined | null)[]): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
  for (let i = 0; i < names.length; i++) {
    const v = cells[i];
    if (v !== undefined && v !== null && v !== '') out[names[i]] = v;
  }
  return out;
}

/**
 * Routes rows to accumulators: one `sink.open` per distinct series, keyed by a caller-built string
 * key (cells joined by a separator that cannot occur in them), with a last-key fast path because
 * long-format exports are usually grouped by series or by time.
 */
export class SeriesRouter {
  private readonly map = new Map<string, SeriesAccumulator>();
  private lastKey: string | undefined;
  private lastAcc: SeriesAccumulator | undefined;

  constructor(private readonly sink: SampleSink) {}

  get(key: string, make: () => { name: string; labels: Labels }): SeriesAccumulator {
    if (key === this.lastKey) return this.lastAcc!;
    let acc = this.map.get(key);
    if (!acc) {
      const { name, labels } = make();
      acc = this.sink.open(name, labels);
      this.map.set(key, acc);
    }
    this.lastKey = key;
    this.lastAcc = acc;
    return acc;
  }

  get size(): number {
    return this.map.size;
  }
}

/** Quote a column list for messages. */
export function listColumns(headers: readonly string[]): string {
  const shown = headers.slice(0, 12).map((h) => JSON.stringify(h));
  return `${shown.join(', ')}${headers.length > 12 ? `, … (${headers.length} columns)` : ''}`;
}
