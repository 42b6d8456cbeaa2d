// One toolkit for numbers in the ingest hot loops: every adapter parses decimals here (or, where a
// hot loop inlines the fast path for speed, is tested against these functions).
//
//   bytes, JSON grammar, streaming   scanNumber        index after the number, NUM_NEED_MORE at a chunk end
//   bytes, a delimited field         parseDecimal      strict `[+-]?digits[.digits]`; NaN when not exact
//   bytes, 16–18 significant digits  longDecimal / exactQuotient (no string)
//   text, a delimited token          parseNumberRange  the exposition grammar incl. exponents, NaN, ±Inf, hex
//   text, a whole cell               parseCellNumber   Number() plus the special spellings
//   special spellings                specialValue / parseNumberToken
//
// Fast path (Clinger): up to 15 significant digits accumulate exactly in a double, and one division
// (or multiplication) by an exact power of ten ≤ 1e22 is correctly rounded, so the result is
// bit-identical to `Number(text)`. Longer mantissas, exponents outside that range and other forms
// fall back to `Number()` on the bytes — never a different value than Number() would give.

/** 10^0 … 10^22, each exact in a double. */
export const POW10 = new Float64Array(23);
for (let i = 0, p = 1; i < 23; i++, p *= 10) POW10[i] = p;

/** Node's Buffer#latin1Slice skips toString's argument handling (~2× faster on short strings). */
type Latin1Slicer = { latin1Slice?: (start: number, end: number) => string };
const hasLatin1Slice = typeof (Buffer.prototype as unknown as Latin1Slicer).latin1Slice === 'function';
/** `b[start, end)` as a latin1 string (number text is ASCII). */
export function latin1(b: Buffer, start: number, end: number): string {
  return hasLatin1Slice ? (b as unknown as Required<Latin1Slicer>).latin1Slice(start, end) : b.toString('latin1', start, end);
}

const JSON_NUMBER_RE = /^-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;
const MAX_EXACT_MANTISSA = 2 ** 53;

/** Result of the last `scanNumber` call (module-level to avoid allocating per number). */
export let numValue = 0;

/** `scanNumber` return codes (negative; a valid result is the index after the number). */
export const NUM_NEED_MORE = -1;
export const NUM_INVALID = -2;

/**
 * Parse the number starting at `b[i]`. Returns the index just after it, NUM_NEED_MORE when the
 * buffer ends inside (or right after) the number — it may continue in the next chunk — or NUM_INVALID
 * when no number starts here. Accepts `-`, digits, an optional fraction and exponent (leading zeros
 * and `1.` are tolerated).
 */
export function scanNumber(b: Buffer, i: number, n: number): number {
  let neg = false;
  if (i < n && b[i] === 0x2d) {
    neg = true;
    i++;
  }
  const start = i;
  let m = 0;
  let digits = 0;
  let frac = 0;
  let c = 0;
  while (i < n) {
    c = b[i];
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      i++;
    } else break;
  }
  if (i >= n) return NUM_NEED_MORE;
  if (digits === 0) return NUM_INVALID;
  if (c === 0x2e) {
    i++;
    while (i < n) {
      c = b[i];
      if (c >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        digits++;
        frac++;
        i++;
      } else break;
    }
    if (i >= n) return NUM_NEED_MORE;
  }
  if (c === 0x65 || c === 0x45 || digits > 15) return slowNumber(b, start, i, n, neg);
  const v = frac === 0 ? m : m / POW10[frac];
  numValue = neg ? -v : v;
  return i;
}

function slowNumber(b: Buffer, start: number, i: number, n: number, neg: boolean): number {
  while (i < n) {
    const c = b[i];
    if ((c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b || c === 0x2d) i++;
    else break;
  }
  if (i >= n) return NUM_NEED_MORE;
  const text = b.toString('latin1', start, i);
  if (!JSON_NUMBER_RE.test(text)) return NUM_INVALID;
  const v = Number(text);
  numValue = neg ? -v : v;
  return i;
}

/** Special values as Prometheus / OpenMetrics / Go's `strconv.ParseFloat` write them. */
const SPECIAL: Record<string, number> = {
  nan: NaN,
  inf: Infinity,
  '+inf': Infinity,
  '-inf': -Infinity,
  infinity: Infinity,
  '+infinity': Infinity,
  '-infinity': -Infinity,
};

/**
 * Value strings other than plain decimals: Prometheus writes `NaN`, `+Inf`, `-Inf` (Go's
 * strconv also reads `Inf`, `inf`, `nan`), or a decimal with an exponent or sign. Undefined when the
 * text is no number.
 */
export function specialValue(text: string): number | undefined {
  const lower = text.toLowerCase();
  if (Object.prototype.hasOwnProperty.call(SPECIAL, lower)) return SPECIAL[lower];
  const t = text.trim();
  if (t !== '' && FLOAT_RE.test(t)) return Number(t);
  return undefined;
}

/**
 * `[+-]?digits[.digits]` or `[+-]?.digits` in buf[s, e) → the number `Number()` gives; NaN for
 * anything else or when the mantissa (≥ 2^53) or the number of decimals (> 22) is too large for an
 * exact result (the caller then uses its slow path).
 */
export function parseDecimal(buf: Buffer, s: number, e: number): number {
  if (s >= e) return NaN;
  let i = s;
  let neg = false;
  let c = buf[i];
  if (c === 45 || c === 43) {
    neg = c === 45;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (; i < e; i++) {
    c = buf[i];
    if (c >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c === 46 && frac < 0) {
      frac = 0;
    } else return NaN;
  }
  if (digits === 0 || m >= MAX_EXACT_MANTISSA || frac > 22) return NaN;
  const v = frac > 0 ? m / POW10[frac] : m;
  return neg ? -v : v;
}

/** A value cell of a table (CSV, Parquet strings): `Number()`'s grammar plus NaN/±Inf spellings. Undefined otherwise. */
export function parseCellNumber(s: string): number | undefined {
  const n = Number(s);
  if (n === n) {
    // Number('') and Number('  ') are 0: callers skip empty cells before calling.
    return s.trim() === '' ? undefined : n;
  }
  const t = s.trim().toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}


/** Slow path: the full grammar. Returns undefined when the token is not a number. */
export function parseNumberToken(tok: string): number | undefined {
  if (FLOAT_RE.test(tok)) return Number(tok);
  const lower = tok.toLowerCase();
  if (Object.prototype.hasOwnProperty.call(SPECIAL, lower)) return SPECIAL[lower];
  if (HEX_RE.test(tok)) {
    const neg = tok[0] === '-';
    const body = tok.replace(/^[+-]/, '');
    const n = Number(body);
    return neg ? -n : n;
  }
  return undefined;
}

/**
 * Parse the number in `s[a, b)`. Returns undefined when it is not a number. The caller has already
 * delimited the token (no whitespace inside).
 */
export function parseNumberRange(s: string, a: number, b: number): number | undefined {
  let i = a;
  let c = s.charCodeAt(i);
  let neg = false;
  if (c === 0x2d /* - */ || c === 0x2b /* + */) {
    neg = c === 0x2d;
    i++;
  }
  let m = 0;
  let digits = 0;
  let frac = 0;
  while (i < b) {
    c = s.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      digits++;
      i++;
    } else break;
  }
  if (i < b && c === 0x2e /* . */) {
    i++;
    while (i < b) {
      c = s.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39) {
        m = m * 10 + (c - 0x30);
        digits++;
        frac++;
        i++;
      } else break;
    }
  }
  let exp = 0;
  if (i < b && (c === 0x65 || c === 0x45) /* e E */ && digits > 0) {
    i++;
    let eneg = false;
    c = s.charCodeAt(i);
    if (c === 0x2d || c === 0x2b) {
      eneg = c === 0x2d;
      i++;
    }
    const es = i;
    while (i < b) {
      c = s.charCodeAt(i);
      if (c >= 0x30 && c <= 0x39 && i - es < 6) {
        exp = exp * 10 + (c - 0x30);
        i++;
      } else break;
    }
    if (i === es) return undefined; // `1e`, `1e+`
    if (eneg) exp = -exp;
  }
  if (i !== b || digits === 0) return parseNumberToken(s.slice(a, b));
  // Every character was a digit, `.`, sign or exponent: a decimal number. `Number()` is exact for
  // the cases Clinger's fast path cannot take (more than 15 digits, large exponents).
  const p = exp - frac;
  if (digits > 15 || p < -22 || p > 22) return Number(s.slice(a, b));
  const x = p === 0 ? m : p < 0 ? m / POW10[-p] : m * POW10[p];
  return neg ? -x : x;
}

// Exact conversion of decimals with 16–18 significant digits without making a string (values such
// as 0.43758320540099954 — Python floats printed by Prometheus — are common in real exports and
// cost ~300 ns each through Number()). The mantissa M = H·10⁹ + L is exact in a double-double (H <
// 10⁹ makes H·10⁹ = (H·1953125)·2⁹ exact); q0 = M/10^f is corrected by the exact remainder
// M − q0·10^f (Dekker's product). When the result lies within 2⁻²⁰ ulp of a rounding midpoint —
// the error bound is ~2⁻⁵¹ ulp — the caller falls back to Number(), so the result is always
// bit-identical to Number(text).

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE_ENDIAN ? 1 : 0;
const POW2 = new Float64Array(2048); // POW2[e] = 2^(e − 1075): the ulp of a double with biased exponent e
for (let e = 1; e < 2047; e++) POW2[e] = 2 ** (e - 1075);
const SPLIT = 134217729; // 2^27 + 1 (Veltkamp)

/**
 * `b[i..end)` holds `-?digits[.digits]`. Returns the correctly rounded double, or undefined when the
 * caller must use Number() (more than 18 significant digits, more than 22 fraction digits, or a
 * result too close to a rounding midpoint).
 */
export function longDecimal(b: Buffer, i: number, end: number): number | undefined {
  let neg = false;
  if (b[i] === 0x2d) {
    neg = true;
    i++;
  }
  // Count significant digits (leading zeros excluded) and fraction digits.
  let sig = 0;
  let frac = 0;
  let seenDot = false;
  let started = false;
  for (let k = i; k < end; k++) {
    const c = b[k];
    if (c === 0x2e) {
      seenDot = true;
      continue;
    }
    if (seenDot) frac++;
    if (started || c !== 0x30) {
      started = true;
      sig++;
    }
  }
  if (sig > 18 || frac > 22) return undefined;
  if (sig <= 15) {
    // (only reached for forms the hot loop leaves aside, e.g. many leading zeros)
    let m = 0;
    for (let k = i; k < end; k++) if (b[k] !== 0x2e) m = m * 10 + (b[k] - 0x30);
    const x = frac === 0 ? m : m / POW10[frac];
    return neg ? -x : x;
  }
  // H: the first sig − 9 significant digits, L: the last 9.
  let h = 0;
  let l = 0;
  let seen = 0;
  started = false;
  for (let k = i; k < end; k++) {
    const c = b[k];
    if (c === 0x2e) continue;
    if (!started && c === 0x30) continue;
    started = true;
    if (seen < sig - 9) h = h * 10 + (c - 0x30);
    else l = l * 10 + (c - 0x30);
    seen++;
  }
  const x = exactQuotient(h, 9, l, frac);
  if (x === undefined) return undefined;
  return neg ? -x : x;
}

const TWO53 = 9007199254740992;
const POW5 = new Float64Array(23);
for (let i = 0, x = 1; i < 23; i++, x *= 5) POW5[i] = x;

/**
 * (h·10^k + l) / 10^frac correctly rounded, for integers 0 ≤ h, l < 2^53 and frac ≤ 22; undefined
 * when h·10^k is not exact or the result is too close to a rounding midpoint (use Number()).
 */
export function exactQuotient(h: number, k: number, l: number, frac: number): number | undefined {
  if (h * POW5[k] >= TWO53 || frac > 22) return undefined;
  const p = h * POW10[k]; // exact: h·5^k < 2^53, times 2^k
  const s = p + l; // M rounded once
  if (frac === 0) return s;
  const bv = s - p;
  const e = p - (s - bv) + (l - bv); // M = s + e exactly (TwoSum)
  const d = POW10[frac];
  const q0 = s / d;
  // q0·d = ph + pl exactly (Dekker)
  const ph = q0 * d;
  let t = SPLIT * q0;
  const qh = t - (t - q0);
  const ql = q0 - qh;
  t = SPLIT * d;
  const dh = t - (t - d);
  const dl = d - dh;
  const pl = qh * dh - ph + qh * dl + ql * dh + ql * dl;
  const r = s - ph - pl + e; // M − q0·d (s − ph is exact: Sterbenz)
  const delta = r / d;
  const x = q0 + delta;
  // How far the true quotient is from x, against half an ulp of x.
  const off = Math.abs(q0 - x + delta);
  F64[0] = x;
  const half = POW2[(U32[HI] >>> 20) & 0x7ff] * 0.5;
  if (half === 0 || Math.abs(off - half) <= half * 9.5367431640625e-7 /* 2^-20 */) return undefined;
  return x;
}
