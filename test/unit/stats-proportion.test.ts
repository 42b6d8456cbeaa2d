// Comparing shares and length histograms (src/stats/proportion.ts): hand-computed values on tiny counts,
// and the empty, equal and one-sided edge cases.

import { describe, expect, it } from 'vitest';
import { ksBinned, proportions, psi, psiNoiseFloor, twoProportionZ } from '../../src/stats/proportion.js';

describe('twoProportionZ', () => {
  it('pooled z by hand: 30 of 100 against 10 of 100', () => {
    // p̄ = 40/200 = 0.2; se = √(0.2 · 0.8 · (1/100 + 1/100)) = √0.0032; z = 0.2 / √0.0032 = 3.5355…
    expect(twoProportionZ(30, 100, 10, 100)).toBeCloseTo(0.2 / Math.sqrt(0.0032), 12);
    expect(twoProportionZ(10, 100, 30, 100)).toBeCloseTo(-0.2 / Math.sqrt(0.0032), 12);
  });
  it('unequal samples: 6 of 20 against 40 of 1000', () => {
    const p = 46 / 1020;
    expect(twoProportionZ(6, 20, 40, 1000)).toBeCloseTo((0.3 - 0.04) / Math.sqrt(p * (1 - p) * (1 / 20 + 1 / 1000)), 12);
  });
  it('equal shares give 0 (also all 0 or all 1); an empty sample gives NaN', () => {
    expect(twoProportionZ(0, 50, 0, 500)).toBe(0);
    expect(twoProportionZ(50, 50, 500, 500)).toBe(0);
    expect(twoProportionZ(5, 50, 50, 500)).toBe(0);
    expect(twoProportionZ(1, 0, 1, 10)).toBeNaN();
    expect(twoProportionZ(1, 10, 0, 0)).toBeNaN();
  });
  it('a share rising from 0 is finite (the pooled variance is not 0)', () => {
    // p̄ = 5/105; z = (5/5 − 0) / √(p̄(1 − p̄)(1/5 + 1/100))
    const p = 5 / 105;
    expect(twoProportionZ(5, 5, 0, 100)).toBeCloseTo(1 / Math.sqrt(p * (1 - p) * 0.21), 12);
  });
});

describe('psi', () => {
  it('by hand: [50, 50] against [20, 80]', () => {
    // (0.2 − 0.5) ln(0.2/0.5) + (0.8 − 0.5) ln(0.8/0.5)
    expect(psi([50, 50], [20, 80])).toBeCloseTo(-0.3 * Math.log(0.4) + 0.3 * Math.log(1.6), 12);
  });
  it('symmetric, 0 for the same shape at any scale, empty-on-both buckets contribute nothing', () => {
    expect(psi([1, 2, 3, 0], [3, 2, 1, 0])).toBeCloseTo(psi([3, 2, 1, 0], [1, 2, 3, 0]), 12);
    expect(psi([10, 20, 30], [1, 2, 3])).toBeCloseTo(0, 12);
    expect(psi([10, 20, 30, 0, 0], [1, 2, 3, 0, 0])).toBeCloseTo(0, 12);
  });
  it('a bucket empty on one side is floored at epsilon (1e-4), not infinite', () => {
    // baseline all in bucket 0; window all in bucket 1: 2 × (1 − 1e-4) ln(1 / 1e-4)
    expect(psi([10, 0], [0, 10])).toBeCloseTo(2 * (1 - 1e-4) * Math.log(1e4), 10);
  });
  it('equals Σ (a − e) ln(a / e) over the arrays `proportions` returns, bit for bit (random counts with zeros, NaN, negatives)', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const count = () => {
      const r = rnd();
      return r < 0.2 ? 0 : r < 0.25 ? NaN : r < 0.3 ? -rnd() * 10 : r < 0.6 ? Math.floor(rnd() * 1000) : rnd() * 1e6;
    };
    for (let c = 0; c < 500; c++) {
      const B = 1 + Math.floor(rnd() * 30);
      const e = Array.from({ length: B }, count);
      const a = Array.from({ length: B }, count);
      const pe = proportions(e);
      const pa = proportions(a);
      let want = NaN;
      if (pe && pa) {
        want = 0;
        for (let i = 0; i < B; i++) {
          if (pe[i] === 0 && pa[i] === 0) continue;
          const x = Math.max(pe[i], 1e-4);
          const y = Math.max(pa[i], 1e-4);
          want += (y - x) * Math.log(y / x);
        }
      }
      expect(Object.is(psi(e, a), want)).toBe(true);
    }
  });
  it('NaN when either side has no observation; length mismatch throws', () => {
    expect(psi([0, 0], [1, 1])).toBeNaN();
    expect(psi([1, 1], [0, 0])).toBeNaN();
    expect(() => psi([1], [1, 2])).toThrow(/buckets/);
  });
  it('noise floor (B − 1)(1/n_a + 1/n_e); proportions ignore NaN and negatives', () => {
    expect(psiNoiseFloor(10, 1000, 200)).toBeCloseTo(9 * (0.001 + 0.005), 12);
    expect(psiNoiseFloor(10, 0, 200)).toBeNaN();
    expect(Array.from(proportions([1, NaN, -2, 3])!)).toEqual([0.25, 0, 0, 0.75]);
    expect(proportions([0, NaN])).toBeNull();
  });
});

describe('ksBinned', () => {
  it('the largest gap of the cumulative proportions at the bucket bounds', () => {
    // cumulative: [0.5, 1] vs [0.2, 1] → 0.3; [0.25, 0.5, 1] vs [0, 0.5, 1] → 0.25
    expect(ksBinned([50, 50], [20, 80])).toBeCloseTo(0.3, 12);
    expect(ksBinned([1, 1, 2], [0, 2, 2])).toBeCloseTo(0.25, 12);
    expect(ksBinned([1, 1], [0, 0])).toBeNaN();
  });
});
