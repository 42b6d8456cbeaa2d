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
