// The series part of a sample line — `name`, `name{a="b",…}`, or promtool's `{__name__="name", a="b"}` —
// found quickly on every line (to key a cache) and parsed fully only the first time it is seen.

import { canonicalBound } from '../../model/series.js';

/** A syntax problem at a character offset from the start of the line. */
export class SeriesSyntaxError extends Error {
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(message);
  }
}

function isNameStart(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a;
}
function isNameChar(c: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || (c >= 0x30 && c <= 0x39);
}

/** Index of the `"` that closes a quoted string opened at `open`, or -1 before `end`. */
function closingQuote(s: string, open: number, end: number): number {
  let q = s.indexOf('"', open + 1);
  while (q !== -1 && q < end) {
    let bs = 0;
    for (let k = q - 1; k > open && s.charCodeAt(k) === 0x5c; k--) bs++;
    if ((bs & 1) === 0) return q;
    q = s.indexOf('"', q + 1);
  }
  return -1;
}

/**
 * End (exclusive) of the series part of the line `s[pos, end)`: after the metric name, or after the
 * `}` closing the label set. Label values may hold `,`, `}`, `=`, `#`, spaces and escaped quotes.
 * Throws SeriesSyntaxError when there is no well-formed series part.
 */
export function findSeriesEnd(s: string, pos: number, end: number): number {
  let i = pos;
  let c = s.charCodeAt(i);
  if (c !== 0x7b /* { */) {
    if (!isNameStart(c)) throw new SeriesSyntaxError('a sample line must start with a metric name', 0);
    i++;
    while (i < end && isNameChar(s.charCodeAt(i))) i++;
    if (i >= end) throw new SeriesSyntaxError('metric name without a value', i - pos);
    c = s.charCodeAt(i);
    if (c !== 0x7b) return i;
  }
  // Inside `{…}`: outside quotes only names, `=`, `,` and spaces occur; jump over quoted values.
  i++;
  while (i < end) {
    c = s.charCodeAt(i);
    if (c === 0x7d /* } */) return i + 1;
    if (c === 0x22 /* " */) {
      const q = closingQuote(s, i, end);
      if (q === -1) throw new SeriesSyntaxError('unterminated quoted label value', i - pos);
      i = q + 1;
    } else i++;
  }
  throw new SeriesSyntaxError('label set is not closed with }', end - pos);
}

/** Decode the escapes of a quoted label value: `\\`, `\"`, `\n` (exposition), plus Go's `strconv.Quote` forms (promtool dump). */
export function unescapeLabelValue(raw: string): string {
  if (raw.indexOf('\\') === -1) return raw;
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (ch !== '\\' || i + 1 >= raw.length) {
      out += ch;
      continue;
    }
    const n = raw[++i];
    switch (n) {
      case 'n': out += '\n'; break;
      case 't': out += '\t'; break;
      case 'r': out += '\r'; break;
      case '\\': out += '\\'; break;
      case '"': out += '"'; break;
      case 'x':
      case 'u':
      case 'U': {
        const len = n === 'x' ? 2 : n === 'u' ? 4 : 8;
        const hex = raw.slice(i + 1, i + 1 + len);
        if (hex.length === len && /^[0-9a-fA-F]+$/.test(hex)) {
          out += n === 'x' ? String.fromCharCode(parseInt(hex, 16)) : String.fromCodePoint(parseInt(hex, 16));
          i += len;
        } else out += `\\${n}`;
        break;
      }
      default:
        out += `\\${n}`; // unknown escape: kept as written
    }
  }
  return out;
}

export { canonicalBound } from '../../model/series.js';

export interface ParsedSeries {
  name: string;
  labels: Record<string, string>;
}

const LABEL_NAME_RE = /[A-Za-z_][A-Za-z0-9_]*/y;

/**
 * Parse the series text found by `findSeriesEnd` into its metric name and labels (without
 * `__name__`). `le` and `quantile` values are canonicalised (see `canonicalBound`).
 */
export function parseSeries(text: string): ParsedSeries {
  let i = 0;
  const n = text.length;
  let name = '';
  const labels: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
  if (text.charCodeAt(0) !== 0x7b) {
    if (!isNameStart(text.charCodeAt(0))) throw new SeriesSyntaxError('a sample line must start with a metric name', 0);
    i = 1;
    while (i < n && isNameChar(text.charCodeAt(i))) i++;
    name = text.slice(0, i);
    if (i === n) return { name, labels };
    if (text.charCodeAt(i) !== 0x7b) throw new SeriesSyntaxError(`unexpected ${JSON.stringify(text[i])} in the metric name`, i);
  }
  i++; // past `{`
  const skipSpace = () => {
    while (i < n && (text.charCodeAt(i) === 0x20 || text.charCodeAt(i) === 0x09)) i++;
  };
  let first = true;
  for (;;) {
    skipSpace();
    if (i >= n) throw new SeriesSyntaxError('label set is not closed with }', i);
    if (text.charCodeAt(i) === 0x7d) break;
    if (!first) {
      throw new SeriesSyntaxError(`expected , or } in the label set, found ${JSON.stringify(text[i])}`, i);
    }
    // One `name="value"` pair, or a bare quoted metric name (Prometheus 3 UTF-8 form `{"my.metric", a="b"}`).
    let key: string;
    if (text.charCodeAt(i) === 0x22) {
      const q = closingQuote(text, i, n);
      if (q === -1) throw new SeriesSyntaxError('unterminated quoted name', i);
      key = unescapeLabelValue(text.slice(i + 1, q));
      i = q + 1;
      skipSpace();
      if (text.charCodeAt(i) !== 0x3d) {
        if (name) throw new SeriesSyntaxError('two metric names in one series', i);
        name = key;
        key = '';
      }
    } else {
      LABEL_NAME_RE.lastIndex = i;
      const m = LABEL_NAME_RE.exec(text);
      if (!m) throw new SeriesSyntaxError(`invalid label name at ${JSON.stringify(text.slice(i, i + 12))}`, i);
      key = m[0];
      i += key.length;
      skipSpace();
    }
    if (key) {
      if (text.charCodeAt(i) !== 0x3d) throw new SeriesSyntaxError(`expected = after label name ${key}`, i);
      i++;
      skipSpace();
      if (text.charCodeAt(i) !== 0x22) throw new SeriesSyntaxError(`label ${key}: value must be in double quotes`, i);
      const q = closingQuote(text, i, n);
      if (q === -1) throw new SeriesSyntaxError(`label ${key}: unterminated value`, i);
      let value = unescapeLabelValue(text.slice(i + 1, q));
      i = q + 1;
      if (key === '__name__') {
        if (name) throw new SeriesSyntaxError('metric name given twice', i);
        name = value;
      } else {
        if (key === 'le' || key === 'quantile') value = canonicalBound(value);
        if (Object.prototype.hasOwnProperty.call(labels, key)) throw new SeriesSyntaxError(`label ${key} appears twice`, i);
        labels[key] = value;
      }
    }
    skipSpace();
    if (text.charCodeAt(i) === 0x2c) {
      i++;
      first = true; // a trailing comma before `}` is allowed
      continue;
    }
    first = false;
  }
  if (i !== n - 1) throw new SeriesSyntaxError('unexpected text after the label set', i + 1);
  if (!name) throw new SeriesSyntaxError('series has no metric name (no __name__ label)', 0);
  return { name, labels };
}
