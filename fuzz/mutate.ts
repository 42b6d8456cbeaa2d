// Seeded mutators for the fuzz harness: bit flips, interesting bytes, truncations, splices from other
// seeds, duplicated and deleted chunks, hostile tokens (numbers that overflow, prototype names, bad
// escapes, control characters, long runs, deep nesting), and gzip wrapping (whole or truncated).
// Deterministic: the same seed and case number give the same bytes.

import { gzipSync } from 'node:zlib';

/** xorshift32: small, fast, good enough to pick mutations. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }
  next(): number {
    let x = this.s;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.s = x >>> 0;
    return this.s / 0x100000000;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)];
  }
}

const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xff, 0xfe, 0x22, 0x27, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x2c, 0x3a, 0x0a, 0x0d, 0x09, 0x30, 0x39, 0x2d, 0x2e, 0x65, 0x7c, 0x60, 0x3c, 0x23];

/** Values that have broken parsers and analyses before (issue 11) or plausibly could. */
export const HOSTILE_TOKENS: readonly string[] = [
  'NaN', '+Inf', '-Inf', 'Infinity', '1e309', '-1e309', '4.9e-324', '99999999999999', '-99999999999999', '1e21', '-0', '0x1F', '1_000',
  '9007199254740993', '18446744073709551616', '""', '"__proto__"', '"constructor"', '"toString"', '__proto__', 'constructor', 'prototype',
  '\\q', '\\u12', '\\ud800', '\\u0000', '\u0000', '\u001b[2J', '\u202e', '\r', '\r\n', '\n\n', '\t', '\ufeff', 'null', 'true', '[]', '{}',
  '|', '`', '``', '<script>alert(1)</script>', '](javascript:alert(1))', '# ', '%s%n', '${x}', ',', '"', "'", '{', '}', '[', ']', ':', '=', '#',
];

function hostileToken(rng: Rng): Buffer {
  const r = rng.int(20);
  if (r === 0) return Buffer.alloc(1 + rng.int(100_000), 0x41); // a long run: a huge name or label
  if (r === 1) return Buffer.from('['.repeat(1 + rng.int(5000)));
  if (r === 2) return Buffer.from('{"a":'.repeat(1 + rng.int(2000)));
  if (r === 3) return Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xe2, 0x82].slice(0, 1 + rng.int(6))); // invalid UTF-8
  return Buffer.from(rng.pick(HOSTILE_TOKENS), 'utf8');
}

type Mutator = (b: Buffer, rng: Rng, others: readonly Buffer[]) => Buffer;

const pos = (b: Buffer, rng: Rng) => (b.length ? rng.int(b.length + 1) : 0);

export const MUTATORS: Record<string, Mutator> = {
  bitflip(b, rng) {
    const out = Buffer.from(b);
    const n = 1 + rng.int(8);
    for (let i = 0; i < n && out.length; i++) out[rng.int(out.length)] ^= 1 << rng.int(8);
    return out;
  },
  bytes(b, rng) {
    const out = Buffer.from(b);
    const n = 1 + rng.int(4);
    for (let i = 0; i < n && out.length; i++) out[rng.int(out.length)] = rng.pick(INTERESTING_BYTES);
    return out;
  },
  truncate(b, rng) {
    return b.subarray(0, pos(b, rng));
  },
  splice(b, rng, others) {
    const o = others.length ? rng.pick(others) : b;
    const a = pos(o, rng);
    const len = rng.int(Math.min(4096, o.length - a) + 1);
    const at = pos(b, rng);
    const cut = rng.int(Math.min(4096, b.length - at) + 1);
    return Buffer.concat([b.subarray(0, at), o.subarray(a, a + len), b.subarray(at + cut)]);
  },
  duplicate(b, rng) {
    const a = pos(b, rng);
    const len = rng.int(Math.min(8192, b.length - a) + 1);
    const chunk = b.subarray(a, a + len);
    const times = 1 + (rng.int(4) === 0 ? rng.int(200) : rng.int(3));
    const at = pos(b, rng);
    return Buffer.concat([b.subarray(0, at), ...Array<Buffer>(times).fill(chunk), b.subarray(at)]);
  },
  delete(b, rng) {
    const a = pos(b, rng);
    const len = rng.int(Math.min(4096, b.length - a) + 1);
    return Buffer.concat([b.subarray(0, a), b.subarray(a + len)]);
  },
  hostile(b, rng) {
    // Insert, or replace a run of digits / a token between delimiters with, a hostile value.
    const tok = hostileToken(rng);
    if (rng.int(2) === 0) {
      const at = pos(b, rng);
      return Buffer.concat([b.subarray(0, at), tok, b.subarray(at)]);
    }
    const start = pos(b, rng);
    let i = start;
    while (i < b.length && !isDigit(b[i])) i++;
    let j = i;
    while (j < b.length && (isDigit(b[j]) || b[j] === 0x2e || b[j] === 0x65 || b[j] === 0x2d)) j++;
    return Buffer.concat([b.subarray(0, i), tok, b.subarray(j)]);
  },
  gzip(b, rng) {
    const z = gzipSync(b);
    return rng.int(3) === 0 ? z.subarray(0, rng.int(z.length + 1)) : z;
  },
};

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

const NAMES = Object.keys(MUTATORS).filter((n) => n !== 'gzip');

/** One mutated case: 1–3 stacked mutations, sometimes gzipped last. */
export function mutate(seed: Buffer, rng: Rng, others: readonly Buffer[]): { bytes: Buffer; ops: string[] } {
  let b = seed;
  const ops: string[] = [];
  const n = 1 + rng.int(3);
  for (let i = 0; i < n; i++) {
    const name = rng.pick(NAMES);
    b = MUTATORS[name](b, rng, others);
    ops.push(name);
  }
  if (rng.int(12) === 0) {
    b = MUTATORS.gzip(b, rng, others);
    ops.push('gzip');
  }
  return { bytes: b, ops };
}
