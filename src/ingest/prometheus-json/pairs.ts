// The `values` arrays of a Prometheus query_range response — nearly all of its bytes — scanned in
// place from the JSON reader's buffer into two scratch arrays (timestamps, values) that the series
// reader hands to the sink when the series ends.
//
// The hot loop inlines the decimal fast path of ../bytes/decimal.ts (Clinger: ≤ 15 significant
// digits, one exact division; 16–18 digits through `exactQuotient`) for the common pair
// `[1732269600.781,"0.4375"]`; anything else in a pair — exponents, long mantissas, NaN/±Inf, a bare
// number, whitespace in odd places — goes through the general `scanPair`/`slowValue`, which use the
// toolkit's functions. Tests compare the adapter's values with JSON.parse + Number() on random input.

import type { InputError } from '../../errors.js';
import { JsonByteReader, describeByte } from '../bytes/json-reader.js';
import { NUM_NEED_MORE, POW10, exactQuotient, latin1, longDecimal, numValue, scanNumber, specialValue } from '../bytes/decimal.js';
import { BATCH_FLOAT64, BATCH_INT32, MAX_TIME_SECONDS } from '../accumulator.js';

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

/** Reads the pairs of one series into scratch arrays (reused from series to series). */
export class PairScanner {
  /** Timestamps and values of the series being read, valid for [0, k). */
  st = new Float64Array(1024);
  sv = new Float64Array(1024);
  k = 0;
  /** Values that were not numbers (skipped), over the whole file. */
  badValues = 0;
  private expectComma = false;
  // What the hot loop saw of the samples [0, k), so that `batchKind` needs no second pass: a sample
  // it cannot vouch for (one through the general path, a timestamp past MAX_TIME_SECONDS) makes the
  // kind unknown; otherwise every value is finite and every timestamp in range, and `nonInt` says
  // whether some value is not held exactly by an Int32Array.
  private unsure = false;
  private nonInt = false;

  constructor(
    private readonly r: JsonByteReader,
    private readonly shapeError: (message: string, abs: number) => InputError,
  ) {}

  /** Forget the samples: a new series. */
  reset(): void {
    this.k = 0;
    this.unsure = false;
    this.nonInt = false;
  }

  /** `batchKind(st, sv, k)` when the scanner knows it without a pass (BATCH_INT32 or BATCH_FLOAT64), else -1. */
  knownKind(): number {
    return this.unsure ? -1 : this.nonInt ? BATCH_FLOAT64 : BATCH_INT32;
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
  private scan(): boolean {
    const r = this.r;
    const b = r.buf;
    const n = b.length;
    let p = r.pos;
    let expectComma = this.expectComma;
    let st = this.st;
    let sv = this.sv;
    let cap = st.length;
    let k = this.k;
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
            sv = this.sv;
            cap = st.length;
          }
          st[k] = t;
          sv[k] = v;
          k++;
          // batchKind's tests, while the sample is at hand (t ≥ 0 and v finite on this path; -0 is not an int32)
          if ((v | 0) !== v || (v === 0 && neg)) nonInt = true;
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
