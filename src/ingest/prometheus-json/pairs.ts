// The `values` arrays of a Prometheus query_range response — nearly all of its bytes — scanned in
// place from the JSON reader's buffer: timestamps into a scratch array (the sink compares them with
// the shared scrape-time columns, so most are never stored again), values straight into the memory
// that stores them (../value-slabs.ts: an Int32 region while every value is an int32, a Float64 one
// from the first that is not), handed to the sink as the stored block when the series ends.
//
// The hot loop inlines the decimal fast path of ../bytes/decimal.ts (Clinger: ≤ 15 significant
// digits, one exact division; 16–18 digits through `exactQuotient`) for the common pair
// `[1732269600.781,"0.4375"]`; anything else in a pair — exponents, long mantissas, NaN/±Inf, a bare
// number, whitespace in odd places — goes through the general `scanPair`/`slowValue`, which use the
// toolkit's functions. Tests compare the adapter's values with JSON.parse + Number() on random input.

import type { InputError } from '../../errors.js';
import { JsonByteReader, describeByte } from '../bytes/json-reader.js';
import { NUM_NEED_MORE, POW10, exactQuotient, latin1, longDecimal, numValue, scanNumber, specialValue } from '../bytes/decimal.js';
import { BATCH_FLOAT64, BATCH_HAS_BAD, BATCH_INT32, MAX_TIME_SECONDS, batchKind, isInt32 } from '../accumulator.js';
import type { SampleValues } from '../../model/series.js';
import { ValueSlabs } from '../value-slabs.js';

// Return codes of the pair scanner.
const PAIR_NEED_MORE = -1;
const PAIR_ERROR = -2;
const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);
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

/** Reads the pairs of one series: timestamps into a scratch array (reused from series to series),
 * values into the open region of the reader's value slabs. */
export class PairScanner {
  /** Timestamps of the series being read, valid for [0, k). */
  st = new Float64Array(1024);
  k = 0;
  /** After `seal`: the series' values — the stored block, or the region when the batch has samples the sink drops. */
  values: SampleValues = EMPTY_F64;
  /** Values that were not numbers (skipped), over the whole file. */
  badValues = 0;
  private expectComma = false;
  // Values [0, k): in `iv` (the open Int32 region) while every one is an int32, in `fv` (the open
  // Float64 region) from the first that is not (`nonInt`).
  private iv: Int32Array = EMPTY_I32;
  private fv: Float64Array = EMPTY_F64;
  private nonInt = false;
  // What the hot loop saw of the samples [0, k), so that `seal` needs no second pass: a sample it
  // cannot vouch for (one through the general path, a timestamp past MAX_TIME_SECONDS) makes the
  // kind unknown; otherwise every value is finite and every timestamp in range.
  private unsure = false;

  constructor(
    private readonly r: JsonByteReader,
    private readonly shapeError: (message: string, abs: number) => InputError,
    private readonly slabs: ValueSlabs = new ValueSlabs(),
  ) {}

  /** Forget the samples: a new series. */
  reset(): void {
    this.k = 0;
    this.unsure = false;
    this.nonInt = false;
    this.iv = this.slabs.ints.region(this.slabs.expect);
    this.fv = EMPTY_F64;
  }

  /**
   * End the series of `k` samples: returns its `batchKind` and sets `values`. Unless BATCH_HAS_BAD,
   * `values` is the stored block — exactly `k` values in shared memory, an Int32Array for
   * BATCH_INT32 — which the caller keeps; otherwise it is the region, valid for [0, k) until the next
   * series starts.
   */
  seal(): number {
    const k = this.k;
    const nonInt = this.nonInt;
    const kind = this.unsure ? batchKind(this.st, nonInt ? this.fv : this.iv, k) : nonInt ? BATCH_FLOAT64 : BATCH_INT32;
    // batchKind agrees with the region's type: a series moves to Float64 only at a value an int32
    // cannot hold, which makes it BATCH_FLOAT64 (or BATCH_HAS_BAD), never BATCH_INT32.
    if (kind === BATCH_HAS_BAD) this.values = nonInt ? this.fv : this.iv;
    else this.values = nonInt ? this.slabs.floats.commit(k) : this.slabs.ints.commit(k);
    this.slabs.expect = Math.max(64, k);
    return kind;
  }

  /** Scan a `values` array (or, when `single`, one `value` pair) at the read position. */
  async read(single: boolean): Promise<void> {
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
    while (!this.scan()) {
      if (!(await r.fill())) throw r.endsEarly();
    }
  }

  private pairError(): InputError {
    const abs = this.r.base + pairErrAt;
    return pairErrShape ? this.shapeError(pairErr, abs) : this.r.syntaxError(pairErr, abs);
  }

  private store(t: number, v: number): void {
    this.unsure = true;
    const k = this.k;
    if (k === this.capacity()) this.grow();
    this.st[k] = t;
    if (this.nonInt) this.fv[k] = v;
    else if (isInt32(v)) this.iv[k] = v;
    else {
      this.toFloat();
      this.fv[k] = v;
    }
    this.k = k + 1;
  }

  /** Room for how many samples the arrays have now. */
  private capacity(): number {
    const n = this.nonInt ? this.fv.length : this.iv.length;
    return n < this.st.length ? n : this.st.length;
  }

  /** More room than the `k` samples held (the full array grows: the scratch doubles, a region moves to a new slab). */
  private grow(): void {
    const k = this.k;
    if (this.st.length === k) {
      const t = new Float64Array(k * 2);
      t.set(this.st);
      this.st = t;
    }
    const want = Math.max(64, Math.ceil(k * 1.5));
    if (this.nonInt) {
      if (this.fv.length === k) this.fv = this.slabs.floats.grow(this.fv, k, want);
    } else if (this.iv.length === k) this.iv = this.slabs.ints.grow(this.iv, k, want);
  }

  /** The series' `k` values so far are int32 and the next is not: move them to a Float64 region. */
  private toFloat(): void {
    const k = this.k;
    const fv = this.slabs.floats.region(Math.max(k + 1, this.slabs.expect));
    fv.set(this.iv.subarray(0, k));
    this.fv = fv;
    this.nonInt = true;
  }

  /**
   * The hot loop: pairs of a `values` array from the read position until `]` (returns true) or the
   * end of the buffer (returns false; the read position stays before the incomplete pair).
   *
   * Everything is inlined for the common form `[1732269600.781,"0.4375"]` (plain decimals of at most
   * 15 significant digits, any whitespace); anything else in a pair — exponents, long mantissas,
   * NaN/±Inf, a bare-number value — goes through the general `scanPair`/`slowValue`.
   */
  private scan(): boolean {
    const r = this.r;
    const b = r.buf;
    const n = b.length;
    let p = r.pos;
    let expectComma = this.expectComma;
    let st = this.st;
    let iv = this.iv;
    let fv = this.fv;
    let k = this.k;
    let cap = this.capacity();
    let unsure = this.unsure;
    let nonInt = this.nonInt;
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
          unsure = true;
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
            iv = this.iv;
            fv = this.fv;
            cap = this.capacity();
          }
          st[k] = t;
          if (nonInt) fv[k] = v;
          else if ((v | 0) === v && (v !== 0 || 1 / v > 0)) iv[k] = v; // isInt32, written out in the hot loop
          else {
            // the first value an int32 cannot hold (a fraction, -0, NaN from the general path)
            this.k = k;
            this.toFloat();
            nonInt = true;
            fv = this.fv;
            cap = this.capacity();
            fv[k] = v;
          }
          k++;
          // batchKind's test of the time, while the sample is at hand (t ≥ 0 on this path)
          if (t > MAX_TIME_SECONDS) unsure = true;
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
        this.k = k;
        this.nonInt = nonInt;
        this.store(pairT, pairV);
        k = this.k;
        nonInt = this.nonInt;
        st = this.st;
        iv = this.iv;
        fv = this.fv;
        cap = this.capacity();
        unsure = true;
      } else this.badValues++;
      p = e;
      expectComma = true;
    }
    r.pos = p;
    this.expectComma = expectComma;
    this.k = k;
    this.unsure = unsure;
    this.nonInt = nonInt;
    return done;
  }
}
