// A cursor over one buffer of JSON: skip whitespace, strings and whole values, read numbers as
// (integer, nanosecond fraction) and ids, all without building strings. It never checks more syntax
// than it needs. When the buffer ends inside what is being read, the methods throw NEED_MORE and the
// caller (the scanner) resumes from a mark once more bytes have arrived.

import { InputError } from '../../../errors.js';
import { Ch, STRUCT, isWs } from './bytes.js';

/** Thrown when the buffer ends inside the value being read. */
export const NEED_MORE = { needMore: true };

const T_STRUCT = STRUCT;

export class JsonCursor {
  protected buf: Buffer = Buffer.alloc(0);
  protected end = 0;
  protected p = 0;
  /** Absolute byte offset of buf[0] in the decompressed input. */
  protected base = 0;

  constructor(protected readonly display: string) {}

  protected syntax(msg: string): InputError {
    return new InputError({ code: 'JSON_SYNTAX', file: this.display, position: { byte: this.base + this.p }, message: msg, hint: 'the trace is not valid JSON here' });
  }

  protected skipWsSafe(): void {
    while (this.p < this.end && isWs(this.buf[this.p])) this.p++;
  }

  protected skipWs(): void {
    const b = this.buf;
    let p = this.p;
    if (p < this.end && b[p] > 32) return;
    while (p < this.end && isWs(b[p])) p++;
    if (p >= this.end) {
      this.p = p;
      throw NEED_MORE;
    }
    this.p = p;
  }

  /**
   * Index of the closing quote of the string whose opening quote is at `p0`. Short strings (keys,
   * most values) are scanned in JS — a native indexOf call costs more than a few bytes of loop —
   * longer ones and escapes fall back to indexOf with a backslash count.
   */
  protected strEnd(p0: number): number {
    const b = this.buf;
    const end = this.end;
    let p = p0 + 1;
    const lim = p + 40 < end ? p + 40 : end;
    while (p < lim) {
      const c = b[p];
      if (c === Ch.Quote) return p;
      if (c === Ch.Backslash) break;
      p++;
    }
    for (;;) {
      const q = b.indexOf(Ch.Quote, p);
      if (q < 0 || q >= end) throw NEED_MORE;
      // Count the backslashes right before the quote: odd means escaped.
      let k = q - 1;
      let n = 0;
      while (k > p0 && b[k] === Ch.Backslash) {
        n++;
        k--;
      }
      if ((n & 1) === 0) return q;
      p = q + 1;
    }
  }

  /** At a `"`: moves past the closing quote; returns the index of the closing quote. */
  protected skipString(): number {
    const q = this.strEnd(this.p);
    this.p = q + 1;
    return q;
  }

  /**
   * Skip to just after the bracket that closes a container whose opening bracket is before `p`
   * (`depth` containers are open). Bytes are classified by a table: only quotes and brackets stop
   * the tight loop; strings are jumped over with strEnd. Values skipped this way are not
   * syntax-checked beyond bracket balance.
   */
  protected skipNested(p: number, depth: number): void {
    const b = this.buf;
    const end = this.end;
    const T = T_STRUCT;
    while (p < end) {
      const t = T[b[p]];
      if (t === 0) {
        p++;
        continue;
      }
      if (t === 1) {
        p = this.strEnd(p) + 1;
        continue;
      }
      if (t === 2) depth++;
      else if (--depth === 0) {
        this.p = p + 1;
        return;
      }
      p++;
    }
    throw NEED_MORE;
  }

  /** Inside `args` (its `{` consumed): skip to past its `}`, picking up a top-level "graph id" number
   *  and a 2021-layout "external id". */
  protected skipValue(): void {
    const b = this.buf;
    if (this.p >= this.end) throw NEED_MORE;
    const c = b[this.p];
    if (c === Ch.Quote) {
      this.skipString();
      return;
    }
    if (c === Ch.LBrace || c === Ch.LBrack) {
      this.skipNested(this.p + 1, 1);
      return;
    }
    // number, true, false, null: up to the next delimiter
    let p = this.p;
    while (p < this.end) {
      const x = b[p];
      if (x === Ch.Comma || x === Ch.RBrace || x === Ch.RBrack || isWs(x)) break;
      p++;
    }
    if (p >= this.end) throw NEED_MORE;
    if (p === this.p) throw this.syntax('expected a value');
    this.p = p;
  }

  /** Parse a JSON number at p as (integer part, nanoseconds from the first three decimals). Sets numInt/numFrac. */
  protected numInt = 0;
  protected numFrac = 0;
  protected parseNumber(): boolean {
    const b = this.buf;
    let p = this.p;
    const start = p;
    let neg = false;
    if (b[p] === 45) {
      neg = true;
      p++;
    }
    let int = 0;
    let digits = 0;
    while (p < this.end) {
      const x = b[p] - 48;
      if (x < 0 || x > 9) break;
      int = int * 10 + x;
      digits++;
      p++;
    }
    let frac = 0;
    if (p < this.end && b[p] === 46) {
      p++;
      let scale = 100;
      let roundDigit = -1;
      while (p < this.end) {
        const x = b[p] - 48;
        if (x < 0 || x > 9) break;
        if (scale >= 1) frac += x * scale;
        else if (roundDigit < 0) roundDigit = x;
        scale /= 10;
        p++;
      }
      if (roundDigit >= 5) frac += 1;
    }
    if (p >= this.end) throw NEED_MORE;
    const x = b[p];
    if (x === 101 || x === 69) {
      // exponent: rare; fall back to the slow path on the whole token
      this.p = start;
      this.skipValue();
      const v = Number(b.toString('latin1', start, this.p));
      if (!Number.isFinite(v)) return false;
      const whole = Math.trunc(v);
      this.numInt = whole;
      this.numFrac = Math.round((v - whole) * 1000);
      return true;
    }
    if (digits === 0) {
      this.p = start;
      this.skipValue();
      return false;
    }
    this.p = p;
    this.numInt = neg ? -int : int;
    this.numFrac = neg ? -frac : frac;
    return true;
  }

  /** Value that is either a number or a string holding an id ("stream 7"); sets idNum/idStr (no object per call). */
  protected idNum = NaN;
  protected idStr: string | undefined = undefined;
  protected parseId(): void {
    const b = this.buf;
    if (b[this.p] === Ch.Quote) {
      const s = this.p + 1;
      const e = this.skipString();
      const str = b.toString('utf8', s, e);
      const m = /^\D*(\d+)$/.exec(str);
      this.idNum = m ? Number(m[1]) : NaN;
      this.idStr = str;
      return;
    }
    this.idStr = undefined;
    this.idNum = this.parseNumber() ? this.numInt : NaN;
  }

}
