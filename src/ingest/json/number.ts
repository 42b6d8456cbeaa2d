// Byte-level number parsing for hot loops: no string per number on the common path.
//
// Fast path (Clinger): up to 15 significant digits accumulate exactly in a double, and one division
// (or multiplication) by an exact power of ten ≤ 1e22 is correctly rounded, so the result is
// bit-identical to `Number(text)`. Longer mantissas, exponents outside that range and other forms
// fall back to `Number()` on the bytes.

/** Result of the last `scanNumber` call (module-level to avoid allocating per number). */
export let numValue = 0;

/** `scanNumber` return codes (negative; a valid result is the index after the number). */
export const NUM_NEED_MORE = -1;
export const NUM_INVALID = -2;

const POW10 = new Float64Array(23);
for (let i = 0, p = 1; i < 23; i++, p *= 10) POW10[i] = p;

const JSON_NUMBER_RE = /^-?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?$/;

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

/**
 * Value strings other than plain decimals: Prometheus writes `NaN`, `+Inf`, `-Inf` (Go's
 * strconv also reads `Inf`, `inf`, `nan`). Returns undefined when the text is no number.
 */
export function specialValue(text: string): number | undefined {
  switch (text.toLowerCase()) {
    case 'nan':
      return NaN;
    case '+inf':
    case 'inf':
    case '+infinity':
    case 'infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
  }
  const t = text.trim();
  if (t !== '' && /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return Number(t);
  return undefined;
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
