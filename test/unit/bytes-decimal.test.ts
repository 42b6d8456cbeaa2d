// The decimal toolkit every ingest adapter parses numbers with (src/ingest/bytes/decimal.ts): each
// entry point is bit-identical to Number() on what it accepts, or declines so the caller's slow path
// (Number() on the text) decides.

import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/stats/prng.js';
import { NUM_INVALID, NUM_NEED_MORE, longDecimal, numValue, parseCellNumber, parseDecimal, parseNumberRange, parseNumberToken, scanNumber, specialValue } from '../../src/ingest/bytes/decimal.js';

describe('parseDecimal: a delimited field of bytes (CSV cells)', () => {
  const num = (s: string) => parseDecimal(Buffer.from(s), 0, Buffer.byteLength(s));

  it('equals Number() on plain decimals', () => {
    const rand = mulberry32(7);
    const cases = ['0', '-0', '+5', '5.', '.5', '007', '1732269600', '1732269600123', '57.1234', '-0.000001', '9007199254740991', '0.1', '0.3'];
    for (let i = 0; i < 20000; i++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 14);
      cases.push(x.toFixed(Math.floor(rand() * 9)), String(Math.round(x)));
    }
    let fast = 0;
    for (const c of cases) {
      const v = num(c);
      if (Number.isNaN(v)) continue; // too many digits for an exact result: the string path reads it
      fast++;
      expect([c, v]).toEqual([c, Number(c)]);
    }
    expect(fast).toBeGreaterThan(cases.length * 0.9);
    for (const c of cases.slice(0, 13)) expect([c, num(c)]).toEqual([c, Number(c)]); // all on the fast path
    expect(Object.is(num('-0'), -0)).toBe(true);
  });

  it('is NaN (left to the string path) for anything else', () => {
    for (const c of ['', '-', '.', '1e3', ' 1', '1 ', 'NaN', '+Inf', '0x10', '1.2.3', '12 ms', '90071992547409931', '1.00000000000000000000001']) {
      expect([c, num(c)]).toEqual([c, NaN]);
    }
  });
});


describe('longDecimal (16–18 significant digits without a string)', () => {
  const conv = (text: string) => {
    const b = Buffer.from(text, 'latin1');
    return longDecimal(b, 0, b.length);
  };

  it('is bit-identical to Number() or declines, on 300k random decimals at every point position', () => {
    let seed = 12345;
    const rnd = () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed / 4294967296;
    };
    let declined = 0;
    let checked = 0;
    for (let i = 0; i < 300_000; i++) {
      const sig = 16 + Math.floor(rnd() * 3); // 16..18 significant digits
      let digits = String(1 + Math.floor(rnd() * 9));
      while (digits.length < sig) digits += String(Math.floor(rnd() * 10));
      const lead = rnd() < 0.3 ? '0'.repeat(1 + Math.floor(rnd() * 3)) : '';
      const all = lead + digits;
      const point = Math.floor(rnd() * (all.length + 1)); // 0 → ".ddd" is not produced: use "0." then
      let text = point === 0 ? `0.${all}` : point === all.length ? all : `${all.slice(0, point)}.${all.slice(point)}`;
      if (rnd() < 0.2) text = `-${text}`;
      const got = conv(text);
      checked++;
      if (got === undefined) {
        declined++;
        continue;
      }
      if (!Object.is(got, Number(text))) expect([text, got]).toEqual([text, Number(text)]);
    }
    expect(checked).toBe(300_000);
    // declines only for > 22 fraction digits (leading zeros) or near-midpoints: rare
    expect(declined).toBeLessThan(3_000);
  });

  it('hard cases: ties to even on integers, values next to midpoints, Python floats', () => {
    for (const text of [
      '9007199254740993', // 2^53 + 1: a tie, rounds to even (…992)
      '9007199254740995', // tie, rounds to …996
      '18014398509481985',
      '0.30000000000000004',
      '0.43758320540099954',
      '1732269600.7810001',
      '4.9406564584124654', // digits of the smallest subnormal, scaled
      '2.2250738585072014',
      '0.10000000000000001',
      '123456789012345.678',
      '999999999999999999',
      '-0.000012345678901234567',
      '8.1000000000000003',
      '0.9999999999999999',
      '0.99999999999999994', // next to 1 − 2^-54: a midpoint neighbour
      '0.99999999999999995',
    ]) {
      const got = conv(text);
      if (got !== undefined) expect([text, got]).toEqual([text, Number(text)]);
    }
    expect(conv('9007199254740993')).toBe(9007199254740992);
    expect(conv('0.43758320540099954')).toBe(0.43758320540099954);
  });
});

describe('parseNumberRange / parseNumberToken: a token of text (exposition format)', () => {
  it('parseNumberRange agrees with Number() and reads Prometheus special values', () => {
    for (const s of ['0.7464299201965332', '1.7621345233911502e+09', '67.37902535299918', '1e+06', '2478.0', '-2.5E+2', '0.1', '123456789012345', '1234567890123456789', '.5', '5.', '1.5e-3', '1.69999900025e+09', '4.294967296e+09', '7e-30', '9.5e300', '1e22', '1e23', '-0', '0.000001']) {
      expect(parseNumberRange(`x${s}y`, 1, s.length + 1)).toBe(Number(s));
    }
    expect(parseNumberRange('+Inf', 0, 4)).toBe(Infinity);
    expect(parseNumberRange('-Inf', 0, 4)).toBe(-Infinity);
    expect(parseNumberRange('NaN', 0, 3)).toBeNaN();
    expect(parseNumberRange('1.2.3', 0, 5)).toBeUndefined();
    expect(parseNumberRange('1e', 0, 2)).toBeUndefined();
    expect(parseNumberRange('1e+', 0, 3)).toBeUndefined();
    expect(parseNumberRange('e5', 0, 2)).toBeUndefined();
    expect(parseNumberRange('abc', 0, 3)).toBeUndefined();
  });

  it('reads hex integers and special spellings only through the token path', () => {
    expect(parseNumberToken('0x1A')).toBe(26);
    expect(parseNumberToken('-0x10')).toBe(-16);
    expect(parseNumberToken('+Infinity')).toBe(Infinity);
    expect(parseNumberToken('nan')).toBeNaN();
    expect(parseNumberToken('1_000')).toBeUndefined();
  });
});

describe('scanNumber: a JSON number in a streamed byte buffer', () => {
  const scan = (s: string, n = s.length) => {
    const e = scanNumber(Buffer.from(s), 0, n);
    return e >= 0 ? { end: e, value: numValue } : e;
  };

  it('equals Number() on random JSON numbers, and stops at the first byte after the number', () => {
    const rand = mulberry32(11);
    for (let i = 0; i < 50000; i++) {
      const x = (rand() - 0.5) * 10 ** Math.floor(rand() * 40 - 20);
      const forms = [String(x), x.toFixed(Math.floor(rand() * 12)), x.toExponential(Math.floor(rand() * 16)), String(Math.round(x))];
      for (const f of forms) {
        const r = scan(`${f},`);
        expect(r, f).toEqual({ end: f.length, value: Number(f) });
      }
    }
  });

  it('asks for more bytes when the buffer ends inside or right after a number, and refuses non-numbers', () => {
    expect(scan('123', 3)).toBe(NUM_NEED_MORE);
    expect(scan('-1.5', 4)).toBe(NUM_NEED_MORE);
    expect(scan('1.', 2)).toBe(NUM_NEED_MORE);
    expect(scan('-', 1)).toBe(NUM_NEED_MORE);
    expect(scan('"1"')).toBe(NUM_INVALID);
    expect(scan('-x')).toBe(NUM_INVALID);
    expect(scan('1e+x,')).toBe(NUM_INVALID);
  });
});

describe('specialValue and parseCellNumber: whole strings', () => {
  it('reads the spellings Prometheus and Go write, and numbers with exponents', () => {
    expect(['NaN', 'nan', '+Inf', 'Inf', 'inf', '-Inf', '-infinity', '1e3', '+2.5', '.5'].map(specialValue)).toEqual([NaN, NaN, Infinity, Infinity, Infinity, -Infinity, -Infinity, 1000, 2.5, 0.5]);
    expect(specialValue('0x10')).toBeUndefined();
    expect(specialValue('abc')).toBeUndefined();
    expect(specialValue('')).toBeUndefined();
  });

  it('parseCellNumber: Number() plus the special spellings; blank cells are not numbers', () => {
    expect(['12', ' 12 ', '1e3', '0x10', 'Infinity', '-inf', 'NaN'].map(parseCellNumber)).toEqual([12, 12, 1000, 16, Infinity, -Infinity, NaN]);
    expect(parseCellNumber('')).toBeUndefined();
    expect(parseCellNumber('  ')).toBeUndefined();
    expect(parseCellNumber('12 ms')).toBeUndefined();
  });
});
