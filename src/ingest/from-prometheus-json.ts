// Prometheus HTTP API JSON: the response of /api/v1/query_range (matrix) or /api/v1/query (vector),
// whole or as the bare `data.result` array; several responses one after another (a loop of `curl >>`)
// are read too. Documented at https://prometheus.io/docs/prometheus/latest/querying/api/.
//
// Read as a stream of 1 MiB chunks by a byte scanner (json/reader.ts): label objects are parsed one
// at a time, the `values` arrays — nearly all of the bytes — are scanned in place with numbers parsed
// from the bytes (json/number.ts). Any key order and whitespace; no whole-file string.

import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import type { Labels } from '../model/series.js';
import { InputError } from '../errors.js';
import { JsonByteReader, describeByte } from './json/reader.js';
import { NUM_NEED_MORE, exactQuotient, longDecimal, numValue, scanNumber, specialValue } from './json/number.js';

/** Name given to series whose `metric` has no `__name__` (results of expressions like `rate(…)`). */
export const UNNAMED_METRIC = '__unnamed__';

const TOP_KEYS = '(?:status|data|errorType|error|warnings|infos)';
const OBJECT_START_RE = new RegExp(`^\\s*\\{\\s*"${TOP_KEYS}"\\s*:`);
const PROM_MARK_RE = /"status"\s*:\s*"(?:success|error)"|"resultType"\s*:\s*"(?:matrix|vector|scalar|string)"|"data"\s*:\s*\{\s*"result"\s*:/;
const BARE_ARRAY_RE = /^\s*\[\s*(?:\{\s*"(?:metric|values|value|histograms?)"\s*:|\]\s*$)/;

/** Cheap content check on the first ≤64 KiB. */
export function sniffPrometheusJson(headText: string): boolean {
  const s = headText.charCodeAt(0) === 0xfeff ? headText.slice(1) : headText;
  if (OBJECT_START_RE.test(s)) return PROM_MARK_RE.test(s);
  return BARE_ARRAY_RE.test(s);
}

// Return codes of the pair scanner.
const PAIR_NEED_MORE = -1;
const PAIR_ERROR = -2;
// Outputs of the last scanPair call (module-level: no allocation per sample).
let pairT = 0;
let pairV = 0;
/** False when the value string was not a number (the sample is skipped and counted). */
let pairOk = true;
let pairErrAt = 0;
let pairErr = '';
/** Whether the error is about the shape (a wrong type) rather than JSON syntax. */
let pairErrShape = false;

function isWs(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

/**
 * Scan one `[time, "value"]` pair starting at `b[i] === '['`. Returns the index after its `]`,
 * PAIR_NEED_MORE when the buffer ends inside it, or PAIR_ERROR (pairErrAt/pairErr set).
 */
function scanPair(b: Buffer, i: number, n: number): number {
  i++;
  while (i < n && isWs(b[i])) i++;
  if (i >= n) return PAIR_NEED_MORE;
  let e = scanNumber(b, i, n);
  if (e < 0) {
    if (e === NUM_NEED_MORE) return PAIR_NEED_MORE;
    pairErrAt = i;
    pairErrShape = true;
    pairErr = `expected a timestamp (a number of seconds), found ${describeByte(b[i])}`;
    return PAIR_ERROR;
  }
  pairT = numValue;
  i = e;
  while (i < n && isWs(b[i])) i++;
  if (i >= n) return PAIR_NEED_MORE;
  if (b[i] !== 0x2c) {
    pairErrAt = i;
    pairErrShape = b[i] === 0x5d; // `[t]` is valid JSON of the wrong shape
    pairErr = pairErrShape ? 'a pair needs a timestamp and a value: [time, "value"]' : `expected ',' between timestamp and value, found ${describeByte(b[i])}`;
    return PAIR_ERROR;
  }
  i++;
  while (i < n && isWs(b[i])) i++;
  if (i >= n) return PAIR_NEED_MORE;
  if (b[i] === 0x22) {
    i++;
    e = scanNumber(b, i, n);
    if (e === NUM_NEED_MORE) return PAIR_NEED_MORE;
    if (e >= 0 && b[e] === 0x22) {
      pairV = numValue;
      pairOk = true;
      i = e + 1;
    } else {
      // NaN, ±Inf, or not a number: read the whole string.
      const q = slowValue(b, i, n);
      if (q < 0) return PAIR_NEED_MORE;
      i = q;
    }
  } else {
    // Not Prometheus' own form, but some tools write the value as a bare JSON number.
    e = scanNumber(b, i, n);
    if (e < 0) {
      if (e === NUM_NEED_MORE) return PAIR_NEED_MORE;
      pairErrAt = i;
      pairErrShape = true;
      pairErr = `expected a "value" string, found ${describeByte(b[i])}`;
      return PAIR_ERROR;
    }
    pairV = numValue;
    pairOk = true;
    i = e;
  }
  while (i < n && isWs(b[i])) i++;
  if (i >= n) return PAIR_NEED_MORE;
  if (b[i] !== 0x5d) {
    pairErrAt = i;
    pairErrShape = b[i] === 0x2c; // a third element: valid JSON of the wrong shape
    pairErr = pairErrShape ? 'a pair has more than two elements; expected [time, "value"]' : `expected ']' closing a [time, "value"] pair, found ${describeByte(b[i])}`;
    return PAIR_ERROR;
  }
  return i + 1;
}

/** Node's Buffer#latin1Slice skips toString's argument handling (~2× faster on short strings). */
type Latin1Slicer = { latin1Slice?: (start: number, end: number) => string };
const hasLatin1Slice = typeof (Buffer.prototype as unknown as Latin1Slicer).latin1Slice === 'function';
function latin1(b: Buffer, start: number, end: number): string {
  return hasLatin1Slice ? (b as unknown as Required<Latin1Slicer>).latin1Slice(start, end) : b.toString('latin1', start, end);
}

const POW10 = new Float64Array(23);
for (let i = 0, x = 1; i < 23; i++, x *= 10) POW10[i] = x;

/**
 * The value string starting at `b[i]` (just after its opening quote) when it is not a short plain
 * decimal. Sets pairV/pairOk; returns the index after the closing quote, or PAIR_NEED_MORE.
 */
function slowValue(b: Buffer, i: number, n: number): number {
  let q = i;
  // plain: `-?digits[.digits]` (a long mantissa); numeric: only number bytes (an exponent form).
  let numeric = q < n && ((b[q] - 0x30) >>> 0 < 10 || (b[q] === 0x2d && q + 1 < n && (b[q + 1] - 0x30) >>> 0 < 10));
  let plain = numeric;
  let dots = 0;
  if (q < n && b[q] === 0x2d) q++;
  while (q < n) {
    const c = b[q];
    if (c === 0x22) break;
    if (c === 0x5c) {
      numeric = plain = false;
      q += 2;
      continue;
    }
    if ((c - 0x30) >>> 0 >= 10) {
      if (c === 0x2e) {
        if (++dots > 1) plain = false;
      } else {
        plain = false;
        if (c !== 0x2d && c !== 0x2b && c !== 0x65 && c !== 0x45) numeric = false;
      }
    }
    q++;
  }
  if (q >= n) return PAIR_NEED_MORE;
  let x: number | undefined;
  if (plain) {
    x = longDecimal(b, i, q);
    if (x === undefined) x = Number(latin1(b, i, q));
  } else if (numeric) {
    x = Number(latin1(b, i, q));
    if (x !== x) x = undefined;
  } else x = specialValue(latin1(b, i, q));
  pairOk = x !== undefined;
  pairV = x ?? NaN;
  return q + 1;
}

type ResultShape = 'matrix' | 'vector' | 'scalar' | 'string' | 'empty' | 'unknown';

/** Per-file reader: walks responses, series and pairs, and hands samples to the sink. */
class PromJsonReader {
  private readonly r: JsonByteReader;
  private readonly file: string;
  // Scratch arrays for the samples of the series being read (pushed to the sink when it ends, so
  // the sink's arrays get their exact size and `metric` may come after `values`).
  private st = new Float64Array(1024);
  private sv = new Float64Array(1024);
  private k = 0;
  private expectComma = false;
  // Per-file tallies for warnings and the detail line.
  private badValues = 0;
  private unnamed = 0;
  private nativeHistograms = 0;
  private ignoredScalars = 0;
  private emptyResults = 0;
  private responses = 0;
  private bare = false;
  private readonly shapes = new Set<ResultShape>();
  private readonly promWarnings: string[] = [];
  private readonly promInfos: string[] = [];

  constructor(
    src: InputSource,
    private readonly ctx: IngestContext,
  ) {
    this.r = new JsonByteReader(src.display, src.chunks());
    this.file = src.display;
  }

  private shapeError(message: string, abs: number, hint?: string): InputError {
    return new InputError({
      code: 'NOT_PROMETHEUS_RESPONSE',
      file: this.file,
      position: { byte: abs },
      message,
      hint: hint ?? 'expected the JSON of /api/v1/query_range or /api/v1/query: {"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},"values":[[1700000000,"1"],…]}]}}',
    });
  }

  async readAll(): Promise<AdapterResult> {
    const r = this.r;
    // UTF-8 byte order mark.
    let c = await r.peek();
    if (c === 0xef) {
      while (r.buf.length - r.pos < 3 && (await r.fill()));
      if (r.buf[r.pos + 1] === 0xbb && r.buf[r.pos + 2] === 0xbf) r.pos += 3;
      c = await r.peek();
    }
    if (c < 0) throw new InputError({ code: 'EMPTY_INPUT', file: this.file, message: 'input is empty' });
    for (;;) {
      if (c === 0x7b) await this.response();
      else if (c === 0x5b) {
        this.bare = true;
        this.responses++;
        await this.resultArray(true);
      } else if (this.responses === 0) throw this.shapeError(`a Prometheus API response is a JSON object or the array of its data.result; found ${describeByte(c)}`, r.offset);
      else throw r.syntaxError(`unexpected ${describeByte(c)} after the end of the JSON value`);
      c = await r.peek();
      if (c < 0) break;
      // Several responses one after another (JSON Lines / concatenated `curl` outputs).
      if (c !== 0x7b && c !== 0x5b) throw r.syntaxError(`unexpected ${describeByte(c)} after the end of the JSON value`);
    }
    this.emitWarnings();
    return { detail: this.detail() };
  }

  private async response(): Promise<void> {
    const r = this.r;
    const startAbs = r.offset;
    let status: string | undefined;
    let errorType: string | undefined;
    let error: string | undefined;
    let sawData = false;
    let shape: ResultShape | undefined;
    await r.object(async (key, keyAbs) => {
      switch (key) {
        case 'status':
          status = await this.stringValue(key);
          break;
        case 'errorType':
          errorType = await this.stringValue(key);
          break;
        case 'error':
          error = await this.stringValue(key);
          break;
        case 'warnings':
        case 'infos': {
          const { value, startAbs: at } = await r.captureJson();
          if (!Array.isArray(value)) throw this.shapeError(`"${key}" must be an array of strings`, at);
          for (const w of value) (key === 'warnings' ? this.promWarnings : this.promInfos).push(String(w));
          break;
        }
        case 'data': {
          if ((await r.peek()) === 0x6e) {
            // "data": null (error bodies may carry it)
            await r.skipValue();
            break;
          }
          if ((await r.peek()) !== 0x7b) throw this.shapeError('"data" must be an object with "resultType" and "result"', r.offset);
          sawData = true;
          shape = await this.data(keyAbs);
          break;
        }
        default:
          await r.skipValue();
      }
    });
    this.responses++;
    if (status === 'error' || ((errorType !== undefined || error !== undefined) && !sawData)) {
      throw new InputError({
        code: 'PROMETHEUS_ERROR',
        file: this.file,
        // the position helps only when the error body is one of several responses in the file
        ...(startAbs > 0 ? { position: { byte: startAbs } } : {}),
        message: `Prometheus answered with an error: ${errorType ?? 'unknown error type'}: ${error ?? '(no message)'}`,
        hint: errorType === 'bad_data' ? 'fix the query parameters (PromQL, start/end/step; at most 11,000 points per series) and export again' : 'fix the query or the server and export again; this file holds no samples',
      });
    }
    if (!sawData) {
      throw this.shapeError(status === undefined ? 'this JSON object is not a Prometheus API response (no "status" or "data")' : 'the response has no "data"', startAbs);
    }
    if (shape) this.shapes.add(shape);
  }

  private async stringValue(key: string): Promise<string> {
    const c = await this.r.peek();
    if (c !== 0x22) throw this.shapeError(`"${key}" must be a string, found ${describeByte(c)}`, this.r.offset);
    return this.r.readString();
  }

  private async data(dataAbs: number): Promise<ResultShape> {
    const r = this.r;
    let resultType: string | undefined;
    let seen: ResultShape | undefined;
    await r.object(async (key) => {
      if (key === 'resultType') resultType = await this.stringValue(key);
      else if (key === 'result') {
        const c = await r.peek();
        if (c !== 0x5b) throw this.shapeError(`"result" must be an array, found ${describeByte(c)}`, r.offset);
        seen = await this.resultArray(false);
      } else await r.skipValue();
    });
    if (seen === undefined) throw this.shapeError('"data" has no "result"', dataAbs);
    if (resultType === 'scalar' || resultType === 'string') {
      if (seen !== 'scalar' && seen !== 'empty') throw this.shapeError(`resultType "${resultType}" but the result holds series`, dataAbs);
      return resultType;
    }
    if (seen === 'scalar') {
      if (resultType === 'matrix' || resultType === 'vector') throw this.shapeError(`resultType "${resultType}" but the result is a single [time, value] pair`, dataAbs);
      return 'scalar';
    }
    if (seen === 'empty') {
      this.emptyResults++;
      return resultType === 'matrix' || resultType === 'vector' ? resultType : 'empty';
    }
    if (resultType === 'matrix' || resultType === 'vector') return resultType;
    return seen;
  }

  /** The `result` array (or a bare one): series objects, or a scalar/string `[t, v]` pair. */
  private async resultArray(bare: boolean): Promise<ResultShape> {
    const r = this.r;
    let kind = 'empty' as ResultShape;
    let vectors = 0;
    let matrices = 0;
    await r.array(async (index, c) => {
      if (c === 0x7b) {
        if (kind === 'scalar') throw this.shapeError('a result mixes series and plain values', r.offset);
        kind = 'unknown';
        const s = await this.series();
        if (s === 'matrix') matrices++;
        else if (s === 'vector') vectors++;
      } else {
        // A scalar or string result is one [time, value] pair: a number first.
        const startsPair = index === 0 && (c === 0x2d || (c - 0x30) >>> 0 < 10);
        if (startsPair) kind = 'scalar';
        else if (kind !== 'scalar') throw this.shapeError(`expected a series object {"metric":…}, found ${describeByte(c)}`, r.offset);
        await r.skipValue();
      }
    });
    if (kind === 'scalar') {
      this.ignoredScalars++;
      return 'scalar';
    }
    if (kind === 'empty') {
      if (bare) this.emptyResults++;
      return 'empty';
    }
    if (bare) this.shapes.add(matrices >= vectors ? 'matrix' : 'vector');
    return matrices === 0 && vectors > 0 ? 'vector' : matrices > 0 ? 'matrix' : 'unknown';
  }

  /** One series object: `metric` plus `values` (matrix) or `value` (vector), in any order. */
  private async series(): Promise<'matrix' | 'vector' | 'histogram' | 'none'> {
    const r = this.r;
    const startAbs = r.offset;
    let metric: Record<string, unknown> | undefined;
    let kind = 'none' as 'matrix' | 'vector' | 'histogram' | 'none';
    let hasSamples = false;
    this.k = 0;
    await r.object(async (key) => {
      switch (key) {
        case 'metric': {
          const { value, startAbs: at } = await r.captureJson();
          if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.shapeError('"metric" must be an object of label names to values', at);
          metric = value as Record<string, unknown>;
          break;
        }
        case 'values': {
          const c = await r.peek();
          if (c !== 0x5b) throw this.shapeError(`"values" must be an array of [time, "value"] pairs, found ${describeByte(c)}`, r.offset);
          await this.pairs(false);
          kind = 'matrix';
          hasSamples = true;
          break;
        }
        case 'value': {
          const c = await r.peek();
          if (c !== 0x5b) throw this.shapeError(`"value" must be a [time, "value"] pair, found ${describeByte(c)}`, r.offset);
          await this.pairs(true);
          if (kind !== 'matrix') kind = 'vector';
          hasSamples = true;
          break;
        }
        case 'histograms':
        case 'histogram':
          await r.skipValue();
          this.nativeHistograms++;
          if (kind === 'none') kind = 'histogram';
          break;
        default:
          await r.skipValue();
      }
    });
    if (metric === undefined && !hasSamples && kind !== 'histogram') throw this.shapeError('a series object needs "metric" and "values" (or "value")', startAbs);
    this.flush(metric ?? {}, startAbs);
    return kind;
  }

  /** Hand the scratch samples of the series just read to the sink. */
  private flush(metric: Record<string, unknown>, atAbs: number): void {
    let name = UNNAMED_METRIC;
    const labels: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
    for (const key of Object.keys(metric)) {
      const v = metric[key];
      if (typeof v !== 'string') throw this.shapeError(`label ${JSON.stringify(key)} has a ${v === null ? 'null' : typeof v} value; label values are strings`, atAbs);
      if (key === '__name__') name = v;
      else labels[key] = v;
    }
    if (name === UNNAMED_METRIC) this.unnamed++;
    const k = this.k;
    if (k === 0) return;
    const sink = this.ctx.sink;
    sink.open(name, labels as Labels, k).pushMany(this.st, this.sv, k);
    sink.countSamples(k);
    this.k = 0;
  }

  /** Scan a `values` array (or, when `single`, one `value` pair) at the read position. */
  private async pairs(single: boolean): Promise<void> {
    const r = this.r;
    if (single) {
      for (;;) {
        const e = scanPair(r.buf, r.pos, r.buf.length);
        if (e >= 0) {
          if (pairOk) this.store(pairT, pairV);
          else this.badValues++;
          r.pos = e;
          return;
        }
        if (e === PAIR_ERROR) throw this.pairError();
        if (!(await r.fill())) throw r.endsEarly();
      }
    }
    r.pos++; // '['
    this.expectComma = false;
    while (!this.scanPairs()) {
      if (!(await r.fill())) throw r.endsEarly();
    }
  }

  private pairError(): InputError {
    const abs = this.r.base + pairErrAt;
    return pairErrShape ? this.shapeError(pairErr, abs) : this.r.syntaxError(pairErr, abs);
  }

  private store(t: number, v: number): void {
    if (this.k === this.st.length) this.grow();
    this.st[this.k] = t;
    this.sv[this.k] = v;
    this.k++;
  }

  private grow(): void {
    const cap = this.st.length * 2;
    const t = new Float64Array(cap);
    t.set(this.st);
    const v = new Float64Array(cap);
    v.set(this.sv);
    this.st = t;
    this.sv = v;
  }

  /**
   * The hot loop: pairs of a `values` array from the read position until `]` (returns true) or the
   * end of the buffer (returns false; the read position stays before the incomplete pair).
   *
   * Everything is inlined for the common form `[1732269600.781,"0.4375"]` (plain decimals of at most
   * 15 significant digits, any whitespace); anything else in a pair — exponents, long mantissas,
   * NaN/±Inf, a bare-number value — goes through the general `scanPair`/`slowValue`.
   */
  private scanPairs(): boolean {
    const r = this.r;
    const b = r.buf;
    const n = b.length;
    let p = r.pos;
    let expectComma = this.expectComma;
    let st = this.st;
    let sv = this.sv;
    let cap = st.length;
    let k = this.k;
    let done = false;
    let c = 0;
    outer: for (;;) {
      let q = p;
      for (;;) {
        if (q >= n) break outer;
        c = b[q];
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) q++;
        else break;
      }
      if (c === 0x5d) {
        p = q + 1;
        done = true;
        break;
      }
      if (expectComma) {
        if (c !== 0x2c) {
          this.k = k;
          throw r.syntaxError(`expected ',' or ']' in a values array, found ${describeByte(c)}`, r.base + q);
        }
        q++;
        for (;;) {
          if (q >= n) break outer;
          c = b[q];
          if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) q++;
          else break;
        }
      }
      if (c !== 0x5b) {
        this.k = k;
        throw c === 0x5d ? r.syntaxError("a value must follow ','", r.base + q) : this.shapeError(`expected a [time, "value"] pair, found ${describeByte(c)}`, r.base + q);
      }
      const pairStart = q;
      let t = 0;
      let v = 0;
      let ok = true;
      fast: {
        q++;
        if (q >= n) break outer;
        c = b[q];
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (++q >= n) break outer;
          c = b[q];
        }
        // timestamp: digits [. digits]. The first 9 integer digits accumulate in int32 (`a`), any
        // more in the double `m`; the fraction (≤ 9 digits) in int32 `f`. With ≤ 15 digits in all,
        // `m·10^fd + f` is exact and one division rounds correctly (Clinger's fast path).
        let d = 0;
        let a = 0;
        let lim = q + 9 < n ? q + 9 : n;
        const ts = q;
        for (;;) {
          d = c - 0x30;
          if (d >>> 0 >= 10) break;
          a = a * 10 + d;
          if (++q >= lim) {
            if (q >= n) break outer;
            break;
          }
          c = b[q];
        }
        let m: number = a;
        if (q - ts === 9) {
          c = b[q];
          for (;;) {
            d = c - 0x30;
            if (d >>> 0 >= 10) break;
            m = m * 10 + d;
            if (++q >= n) break outer;
            c = b[q];
          }
        }
        let nd = q - ts;
        let fd = 0;
        let f = 0;
        if (d === -2 /* '.' */) {
          const fs = ++q;
          lim = q + 9 < n ? q + 9 : n;
          if (q >= n) break outer;
          c = b[q];
          for (;;) {
            d = c - 0x30;
            if (d >>> 0 >= 10) break;
            f = f * 10 + d;
            if (++q >= lim) {
              if (q >= n) break outer;
              d = b[q] - 0x30;
              break;
            }
            c = b[q];
          }
          fd = q - fs;
        }
        if (nd === 0 || nd + fd > 15 || d >>> 0 < 10 || d === 0x35 /* 'e' */ || d === 0x15 /* 'E' */) break fast;
        t = fd === 0 ? m : (m * POW10[fd] + f) / POW10[fd];
        c = d + 0x30;
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (++q >= n) break outer;
          c = b[q];
        }
        if (c !== 0x2c) break fast;
        if (++q >= n) break outer;
        c = b[q];
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (++q >= n) break outer;
          c = b[q];
        }
        if (c !== 0x22) break fast;
        // value: "[-]digits[.digits]", same scheme
        if (++q >= n) break outer;
        const vs = q;
        let neg = false;
        c = b[q];
        if (c === 0x2d /* '-' */) {
          neg = true;
          if (++q >= n) break outer;
          c = b[q];
        }
        const vi = q;
        a = 0;
        lim = q + 9 < n ? q + 9 : n;
        for (;;) {
          d = c - 0x30;
          if (d >>> 0 >= 10) break;
          a = a * 10 + d;
          if (++q >= lim) {
            if (q >= n) break outer;
            break;
          }
          c = b[q];
        }
        m = a;
        if (q - vi === 9) {
          c = b[q];
          for (;;) {
            d = c - 0x30;
            if (d >>> 0 >= 10) break;
            m = m * 10 + d;
            if (++q >= n) break outer;
            c = b[q];
          }
        }
        nd = q - vi;
        fd = 0;
        f = 0;
        if (d === -2) {
          const fs = ++q;
          lim = q + 9 < n ? q + 9 : n;
          if (q >= n) break outer;
          c = b[q];
          for (;;) {
            d = c - 0x30;
            if (d >>> 0 >= 10) break;
            f = f * 10 + d;
            if (++q >= lim) {
              if (q >= n) break outer;
              d = b[q] - 0x30;
              break;
            }
            c = b[q];
          }
          fd = q - fs;
        }
        // More fraction digits (typical of Python floats: 0.43758320540099954): a second group.
        let f2 = 0;
        let k2 = 0;
        if (fd === 9 && d >>> 0 < 10) {
          const s2 = q;
          lim = q + 9 < n ? q + 9 : n;
          c = b[q];
          for (;;) {
            d = c - 0x30;
            if (d >>> 0 >= 10) break;
            f2 = f2 * 10 + d;
            if (++q >= lim) {
              if (q >= n) break outer;
              d = b[q] - 0x30;
              break;
            }
            c = b[q];
          }
          k2 = q - s2;
        }
        let x: number | undefined;
        if (d === -14 /* '"' */ && nd > 0) {
          if (k2 === 0) {
            if (nd + fd <= 15) x = fd === 0 ? m : (m * POW10[fd] + f) / POW10[fd];
          } else if (m < 9007199) x = exactQuotient(m * 1e9 + f, k2, f2, 9 + k2);
        }
        if (x !== undefined) {
          v = neg ? -x : x;
          q++;
        } else {
          // NaN, ±Inf, exponents, long mantissas, not a number
          const e = slowValue(b, vs, n);
          if (e < 0) break outer; // the closing quote is in the next chunk
          v = pairV;
          ok = pairOk;
          q = e;
        }
        if (q >= n) break outer;
        c = b[q];
        while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          if (++q >= n) break outer;
          c = b[q];
        }
        if (c !== 0x5d) break fast;
        q++;
        if (ok) {
          if (k === cap) {
            this.k = k;
            this.grow();
            st = this.st;
            sv = this.sv;
            cap = st.length;
          }
          st[k] = t;
          sv[k] = v;
          k++;
        } else this.badValues++;
        p = q;
        expectComma = true;
        continue outer;
      }
      // General path for this pair.
      const e = scanPair(b, pairStart, n);
      if (e < 0) {
        if (e === PAIR_NEED_MORE) break;
        this.k = k;
        throw this.pairError();
      }
      if (pairOk) {
        if (k === cap) {
          this.k = k;
          this.grow();
          st = this.st;
          sv = this.sv;
          cap = st.length;
        }
        st[k] = pairT;
        sv[k] = pairV;
        k++;
      } else this.badValues++;
      p = e;
      expectComma = true;
    }
    r.pos = p;
    this.expectComma = expectComma;
    this.k = k;
    return done;
  }

  private emitWarnings(): void {
    const w = (code: string, message: string, count?: number) => this.ctx.warn({ code, message, file: this.file, ...(count !== undefined ? { count } : {}) });
    if (this.unnamed) w('UNNAMED_SERIES', `${this.unnamed} series have no __name__ (results of an expression such as rate(…)); they were read under the name ${UNNAMED_METRIC} — export the raw metrics to have them recognised`, this.unnamed);
    if (this.badValues) w('BAD_SAMPLE_VALUE', `${this.badValues} sample values were not numbers and were skipped`, this.badValues);
    if (this.nativeHistograms) w('NATIVE_HISTOGRAM_SKIPPED', `${this.nativeHistograms} series carry native-histogram samples, which are not read; export classic _bucket series instead`, this.nativeHistograms);
    if (this.ignoredScalars) w('SCALAR_RESULT_IGNORED', `${this.ignoredScalars === 1 ? 'a scalar or string result was' : `${this.ignoredScalars} scalar or string results were`} ignored: it has no labels or series to analyse`, this.ignoredScalars);
    if (this.emptyResults) w('EMPTY_RESULT', `${this.emptyResults === 1 ? 'the query returned' : `${this.emptyResults} queries returned`} no series (empty result); check the metric names, labels and time range of the query`, this.emptyResults);
    if (this.promWarnings.length) w('PROMETHEUS_WARNING', `Prometheus warned: ${this.promWarnings.slice(0, 3).join('; ')}${this.promWarnings.length > 3 ? '; …' : ''}`, this.promWarnings.length);
    if (this.promInfos.length) w('PROMETHEUS_INFO', `Prometheus noted: ${this.promInfos.slice(0, 3).join('; ')}${this.promInfos.length > 3 ? '; …' : ''}`, this.promInfos.length);
  }

  private detail(): string {
    const names: Record<ResultShape, string> = {
      matrix: 'query_range matrix',
      vector: 'instant vector',
      scalar: 'scalar (ignored)',
      string: 'string (ignored)',
      empty: 'empty result',
      unknown: 'series without samples',
    };
    const shapes = [...this.shapes];
    if (shapes.length === 0) shapes.push('empty');
    let d = shapes.map((s) => names[s]).join(' + ');
    if (this.bare) d += ' (bare result array)';
    if (this.responses > 1) d += `, ${this.responses} responses`;
    return d;
  }
}

export const promJsonAdapter: Adapter = {
  id: 'prometheus-json',
  label: 'Prometheus HTTP API JSON (query_range / query)',
  sniff: (_head, headText) => sniffPrometheusJson(headText),
  read: (src, ctx) => new PromJsonReader(src, ctx).readAll(),
};
