import { describe, expect, it } from 'vitest';
import { averageRanks, lag1Autocorrelation, laggedCorrelation, pearson, spearman, type Correlation, type CorrelationResult } from '../../src/stats/correlation.js';

const f = (...x: number[]) => Float64Array.from(x);

function ok(c: Correlation | ReturnType<typeof laggedCorrelation>): CorrelationResult {
  if (c.skipped !== undefined) throw new Error(`unexpectedly skipped: ${c.reason}`);
  return c;
}

/** Student t CDF with 3 degrees of freedom in closed form, an independent check on @stdlib's. */
function tcdf3(t: number): number {
  const u = t / Math.sqrt(3);
  return 0.5 + (u / (1 + (t * t) / 3) + Math.atan(u)) / Math.PI;
}

describe('pearson', () => {
  it('x = 1…5, y = 2,4,5,4,5: r = 6/√60, t-test with 3 df', () => {
    // dx −2…2, dy −2,0,1,0,1: Sxy 6, Sxx 10, Syy 6. Lag-1 autocorrelations 4/10 and 0 → product 0 → no correction.
    const c = ok(pearson(f(1, 2, 3, 4, 5), f(2, 4, 5, 4, 5)));
    expect(c.r).toBeCloseTo(6 / Math.sqrt(60), 15);
    expect(c.lag1[0]).toBeCloseTo(0.4, 15);
    expect(c.lag1[1]).toBeCloseTo(0, 15);
    expect([c.n, c.nEffective, c.df]).toEqual([5, 5, 3]);
    const t = c.r * Math.sqrt(3 / (1 - c.r * c.r));
    expect(c.t).toBeCloseTo(t, 12);
    expect(c.p).toBeCloseTo(2 * (1 - tcdf3(t)), 10); // ≈ 0.12403
    expect(c.p).toBeCloseTo(0.12403, 4);
  });

  it('autocorrelated series get an effective n = n(1 − ρxρy)/(1 + ρxρy)', () => {
    // x = 1…8: ρx = 26.25/42 = 0.625. y = 2,1,4,3,6,5,8,7: ρy = 20.25/42. Sxy 38, Sxx = Syy = 42 → r = 19/21.
    const x = f(1, 2, 3, 4, 5, 6, 7, 8);
    const y = f(2, 1, 4, 3, 6, 5, 8, 7);
    const prod = 0.625 * (20.25 / 42);
    const c = ok(pearson(x, y));
    expect(c.r).toBeCloseTo(19 / 21, 15);
    expect(c.nEffective).toBeCloseTo((8 * (1 - prod)) / (1 + prod), 12);
    const plain = ok(pearson(x, y, { autocorrelationCorrection: false }));
    expect(plain.nEffective).toBe(8);
    expect(c.p).toBeGreaterThan(plain.p);
  });

  it('uses complete pairs only', () => {
    const c = ok(pearson(f(1, NaN, 2, 3, 4, 5, 9), f(2, 7, 4, 5, 4, 5, NaN)));
    expect(c.n).toBe(5);
    expect(c.r).toBeCloseTo(6 / Math.sqrt(60), 15);
  });

  it('perfect correlation: r = ±1, p = 0', () => {
    const c = ok(pearson(f(1, 2, 3, 4), f(8, 6, 4, 2)));
    expect(c.r).toBe(-1);
    expect(c.p).toBe(0);
  });

  it('skips constant and too-short series with a reason', () => {
    expect(pearson(f(1, 1, 1, 1, 1), f(1, 2, 3, 4, 5))).toMatchObject({ skipped: 'constant', n: 5, reason: 'the first series is constant' });
    expect(pearson(f(1, 2, 3, 4, 5), f(0.1, 0.1, 0.1, 0.1, 0.1))).toMatchObject({ skipped: 'constant', reason: 'the second series is constant' });
    expect(pearson(f(1, 2, 3), f(1, 2, 4))).toMatchObject({ skipped: 'too-short', n: 3 });
    expect(pearson(f(1, 2, 3, NaN, 5), f(1, 2, 4, 5, NaN))).toMatchObject({ skipped: 'too-short', n: 3 });
    expect(pearson(f(1, 2, 3), f(1, 2, 4), { minPoints: 3 }).skipped).toBeUndefined();
    expect(pearson(new Float64Array(0), new Float64Array(0))).toMatchObject({ skipped: 'too-short', n: 0 });
    expect(() => pearson(f(1, 2), f(1))).toThrow();
  });

  it('lag-1 autocorrelation', () => {
    expect(lag1Autocorrelation(f(1, 2, 3, 4, 5, 6, 7, 8))).toBeCloseTo(0.625, 15);
    expect(lag1Autocorrelation(f(1, -1, 1, -1))).toBeCloseTo(-0.75, 15); // Σ d_i d_{i+1} = −3, Σ d² = 4
    expect(Number.isNaN(lag1Autocorrelation(f(3, 3, 3)))).toBe(true);
  });
});

describe('spearman', () => {
  it('average ranks for ties', () => {
    expect([...averageRanks(f(10, 30, 20, 30, 5))]).toEqual([2, 4.5, 3, 4.5, 1]);
  });
  it('x = 1,2,2,3 vs y = 1,3,2,4: Pearson of ranks = 4.5/√22.5', () => {
    // ranks x 1, 2.5, 2.5, 4; y 1, 3, 2, 4: Sxy 4.5, Sxx 4.5, Syy 5
    const c = ok(spearman(f(1, 2, 2, 3), f(1, 3, 2, 4)));
    expect(c.r).toBeCloseTo(4.5 / Math.sqrt(22.5), 15);
  });
  it('is 1 for any monotonic relation', () => {
    expect(ok(spearman(f(1, 2, 3, 4, 5, 6), f(1, 8, 27, 64, 125, 216))).r).toBeCloseTo(1, 15);
    expect(spearman(f(2, 2, 2, 2), f(1, 2, 3, 4))).toMatchObject({ skipped: 'constant' });
  });
});

describe('laggedCorrelation', () => {
  const x = f(0, 0, 1, 5, 2, 0, 0, 0, 3, 1, 0, 0, 4, 2, 0, 0);
  const y = new Float64Array(x.length);
  for (let i = 2; i < x.length; i++) y[i] = x[i - 2]; // y repeats x two samples later

  it('positive best lag when the first series leads', () => {
    const c = laggedCorrelation(x, y, 4);
    if (c.skipped !== undefined) throw new Error(c.reason);
    expect(c.bestLag).toBe(2);
    expect(c.r).toBeCloseTo(1, 12);
    expect([...c.lags]).toEqual([-4, -3, -2, -1, 0, 1, 2, 3, 4]);
    expect(c.rByLag[6]).toBeCloseTo(1, 12);
    expect(c.n).toBe(14); // 16 − 2 overlapping pairs
    expect(c.pAdjusted).toBe(Math.min(1, c.p * 9));
  });
  it('negative when the second series leads; spearman variant agrees', () => {
    const c = laggedCorrelation(y, x, 4);
    if (c.skipped !== undefined) throw new Error(c.reason);
    expect(c.bestLag).toBe(-2);
    const s = laggedCorrelation(y, x, 4, { method: 'spearman' });
    if (s.skipped !== undefined) throw new Error(s.reason);
    expect(s.bestLag).toBe(-2);
  });
  it('lag 0 wins ties; r at lag 0 equals pearson', () => {
    const a = f(1, 3, 2, 5, 4, 6, 8, 7);
    const c = laggedCorrelation(a, a, 2);
    if (c.skipped !== undefined) throw new Error(c.reason);
    expect(c.bestLag).toBe(0);
    expect(c.rByLag[2]).toBe(ok(pearson(a, a)).r);
  });
  it('skips a constant series with the lag-0 reason', () => {
    expect(laggedCorrelation(f(1, 1, 1, 1, 1, 1), f(1, 2, 3, 4, 5, 6), 2)).toMatchObject({ skipped: 'constant' });
    expect(laggedCorrelation(f(1, 2), f(2, 1), 3)).toMatchObject({ skipped: 'too-short' });
    expect(() => laggedCorrelation(x, y, -1)).toThrow(RangeError);
  });
});
