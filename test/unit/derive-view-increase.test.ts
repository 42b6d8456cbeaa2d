// windowIncrease takes a four-way path for Int32 values (exact integer sums, so any order gives the
// same number): it must equal the one-running-sum path the same values take as Float64.
import { describe, expect, it } from 'vitest';
import { mulberry32 as prng } from '../../src/stats/prng.js';
import { windowIncrease } from '../../src/derive/view.js';

describe('windowIncrease on Int32 values', () => {
  it('hand example: 3, 7, 2, 6, 0, 5 → 4 + 2 + 4 + 0 + 5 = 15', () => {
    expect(windowIncrease(Int32Array.from([3, 7, 2, 6, 0, 5]))).toBe(15);
    expect(windowIncrease(Int32Array.from([5]))).toBe(0);
    expect(windowIncrease(new Int32Array(0))).toBe(0);
  });

  it('equals the sequential Float64 sum on random counters with resets, negative values and the int32 extremes', () => {
    const rnd = prng(7);
    for (let c = 0; c < 300; c++) {
      const n = c < 40 ? c : Math.floor(rnd() * 5000);
      const v = new Int32Array(n);
      let x = Math.floor(rnd() * 1000);
      for (let i = 0; i < n; i++) {
        const r = rnd();
        if (r < 0.03) x = Math.floor(rnd() * 100) - 50; // reset, sometimes below zero
        else if (r < 0.04) x = rnd() < 0.5 ? 2 ** 31 - 1 : -(2 ** 31);
        else x = Math.min(2 ** 31 - 1, x + Math.floor(rnd() * 1e6));
        v[i] = x;
      }
      const seq = windowIncrease(Float64Array.from(v));
      expect(Object.is(windowIncrease(v), seq)).toBe(true);
    }
  });
});
