// Number parsing for the text exposition hot loop, on a string range: no substring on the common path.
//
// Fast path (Clinger): up to 15 significant digits accumulate exactly in a double, and one division
// (or multiplication) by an exact power of ten ≤ 1e22 is correctly rounded, so the result is
// bit-identical to `Number(text)`. Longer mantissas, exponents outside that range and special forms
// (`NaN`, `+Inf`, `-Inf`, hex, …) fall back to `Number()` / a small table on the substring.

const POW10 = new Float64Array(23);
for (let i = 0, p = 1; i < 23; i++, p *= 10) POW10[i] = p;

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

const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX_RE = /^[+-]?0[xX][0-9a-fA-F]+$/;

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
