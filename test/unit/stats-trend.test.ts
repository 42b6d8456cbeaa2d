import { describe, expect, it } from 'vitest';
import { mannKendall, theilSen, trend, type MannKendallResult } from '../../src/stats/trend.js';

const f = (...x: number[]) => Float64Array.from(x);
const B = 1_700_000_000;
const idx = (n: number, base = 0, step = 1) => Float64Array.from({ length: n }, (_, i) => base + i * step);

/** Φ(x) by the Abramowitz–Stegun 7.1.26 erf approximation (|error| < 1.5e-7), independent of @stdlib. */
function phi(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

function ok(r: ReturnType<typeof mannKendall>): MannKendallResult {
  if (r.skipped !== undefined) throw new Error(r.reason);
  return r;
}

describe('theilSen', () => {
  it('ignores an outlier: slopes 1 (×6), 25, 33, 49, 97 → median 1, intercept 0', () => {
    const r = theilSen(idx(5, B, 1), f(0, 1, 2, 3, 100));
    expect(r.slopePerSecond).toBe(1);
    expect(r.intercept).toBe(0);
    expect([r.originSeconds, r.n, r.pairs, r.exact]).toEqual([B, 5, 10, true]);
  });
  it('odd number of slopes and a time step of 10 s', () => {
    // t 0,10,20 v 0,5,30: slopes 0.5, 3, 1.5 → median 1.5; residuals 0, −10, 0 → intercept 0
    const r = theilSen(idx(3, B, 10), f(0, 5, 30));
    expect(r.slopePerSecond).toBe(1.5);
    expect(r.intercept).toBe(0);
  });
  it('NaN points are dropped; fewer than 2 points give NaN', () => {
    expect(theilSen(idx(4, B), f(0, NaN, 2, 3)).slopePerSecond).toBe(1);
    expect(Number.isNaN(theilSen(f(B), f(1)).slopePerSecond)).toBe(true);
    expect(Number.isNaN(theilSen(new Float64Array(0), new Float64Array(0)).slopePerSecond)).toBe(true);
  });
  it('sampled path: exact on a line, close to the exact median on noisy data, deterministic', () => {
    const n = 5000;
    const t = idx(n, B, 10);
    const line = Float64Array.from(t, (x) => 3 + 0.25 * (x - B));
    const s = theilSen(t, line);
    expect(s.exact).toBe(false);
    expect(s.pairs).toBe(250_000);
    expect(s.slopePerSecond).toBeCloseTo(0.25, 12);
    expect(s.intercept).toBeCloseTo(3, 6);
    // noisy: compare the sampled estimate with the exact one (n = 1500 → 1,124,250 pairs)
    let seed = 42;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    const m = 1500;
    const tn = idx(m, B, 10);
    const vn = Float64Array.from(tn, (x) => 0.01 * (x - B) + (rnd() - 0.5) * 20);
    const exact = theilSen(tn, vn, { maxPairs: 2_000_000 });
    const sampled = theilSen(tn, vn);
    expect(exact.exact).toBe(true);
    expect(sampled.exact).toBe(false);
    expect(Math.abs(sampled.slopePerSecond - exact.slopePerSecond)).toBeLessThan(0.01 * exact.slopePerSecond);
    expect(theilSen(tn, vn).slopePerSecond).toBe(sampled.slopePerSecond);
  });
});

describe('mannKendall', () => {
  it('strictly increasing 1…5: S 10, Var 50/3, z 9/√(50/3), tau 1', () => {
    const r = ok(mannKendall(idx(5), f(1, 2, 3, 4, 5)));
    expect([r.s, r.tau]).toEqual([10, 1]);
    expect(r.varS).toBeCloseTo(50 / 3, 12); // 5·4·15/18
    expect(r.z).toBeCloseTo(9 / Math.sqrt(50 / 3), 12);
    expect(r.p).toBeCloseTo(2 * (1 - phi(r.z)), 6); // ≈ 0.0275
  });
  it('tie correction: 1,2,2,3 → S 5, Var (156 − 18)/18', () => {
    const r = ok(mannKendall(idx(4), f(1, 2, 2, 3)));
    expect(r.s).toBe(5);
    expect(r.varS).toBeCloseTo(138 / 18, 12);
    expect(r.z).toBeCloseTo(4 / Math.sqrt(138 / 18), 12);
    expect(r.tau).toBeCloseTo(5 / 6, 15);
  });
  it('decreasing series: negative S, z with +1 continuity correction', () => {
    const r = ok(mannKendall(idx(5), f(5, 3, 4, 1, 0)));
    // pairs: (5,3)− (5,4)− (5,1)− (5,0)− (3,4)+ (3,1)− (3,0)− (4,1)− (4,0)− (1,0)− → S = 1 − 9 = −8
    expect(r.s).toBe(-8);
    expect(r.z).toBeCloseTo(-7 / Math.sqrt(50 / 3), 12);
  });
  it('S matches a brute-force O(n²) count on random data with many ties', () => {
    let seed = 7;
    const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);
    const n = 2000;
    const v = Float64Array.from({ length: n }, () => Math.floor(rnd() * 30));
    let s = 0;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) s += Math.sign(v[j] - v[i]);
    const counts = new Map<number, number>();
    for (const x of v) counts.set(x, (counts.get(x) ?? 0) + 1);
    let tie = 0;
    for (const g of counts.values()) tie += g * (g - 1) * (2 * g + 5);
    const r = ok(mannKendall(idx(n), v));
    expect(r.s).toBe(s);
    expect(r.varS).toBeCloseTo((n * (n - 1) * (2 * n + 5) - tie) / 18, 6);
  });
  it('autocorrelation correction inflates the variance for a smooth wave around a trend', () => {
    const n = 200;
    const t = idx(n, B, 10);
    const v = Float64Array.from({ length: n }, (_, i) => 0.05 * i + Math.sin(i / 8));
    const r = ok(mannKendall(t, v));
    expect(r.lag1).toBeGreaterThan(0.9);
    expect(r.varianceInflation).toBeCloseTo((1 + r.lag1) / (1 - r.lag1), 12);
    expect(r.zCorrected).toBeCloseTo((r.s - 1) / Math.sqrt(r.varS * r.varianceInflation), 12);
    expect(r.pCorrected).toBeGreaterThan(r.p);
  });
  it('skips constant and too-short series', () => {
    expect(mannKendall(idx(5), f(2, 2, 2, 2, 2))).toMatchObject({ skipped: 'constant', n: 5 });
    expect(mannKendall(idx(3), f(1, 2, 3))).toMatchObject({ skipped: 'too-short', n: 3 });
    expect(mannKendall(idx(4), f(1, NaN, 2, 3))).toMatchObject({ skipped: 'too-short', n: 3 });
  });
});

describe('trend', () => {
  it('combines the slope and the test', () => {
    const r = trend(idx(5, B, 60), f(10, 11, 12, 13, 100));
    if (r.skipped !== undefined) throw new Error(r.reason);
    expect(r.slopePerSecond).toBeCloseTo(1 / 60, 15);
    expect([r.s, r.tau, r.n]).toEqual([10, 1, 5]);
    expect(trend(idx(2), f(1, 2))).toMatchObject({ skipped: 'too-short' });
  });
});

describe('trend and theilSen reuse', () => {
  /** A plain Theil–Sen, fresh arrays every time (the reference for the reused scratch). */
  function plainTheilSen(t: Float64Array, v: Float64Array): { slope: number; intercept: number } {
    const slopes: number[] = [];
    for (let i = 0; i < t.length; i++) for (let j = i + 1; j < t.length; j++) if (t[j] !== t[i]) slopes.push((v[j] - v[i]) / (t[j] - t[i]));
    const med = (a: number[]) => {
      const s = [...a].sort((x, y) => x - y);
      const h = s.length >> 1;
      return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
    };
    const slope = med(slopes);
    return { slope, intercept: med(Array.from(t, (x, i) => v[i] - slope * (x - t[0]))) };
  }

  it('calls of different sizes in a row give what each gives alone; trend is theilSen plus mannKendall', () => {
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    // Big, small, big again: the scratch of an earlier call must not leak into a later one.
    for (const n of [700, 9, 1200, 40, 3]) {
      const t = idx(n, B, 10);
      const v = Float64Array.from(t, (x, i) => 0.5 * i + rnd() * 20 + (i % 17 === 0 ? 500 : 0));
      const r = theilSen(t, v, { maxPairs: 1e9 });
      const want = plainTheilSen(t, v);
      expect([n, r.slopePerSecond, r.intercept]).toEqual([n, want.slope, want.intercept]);
      // Sampled and exact, default options and others: trend's fit is exactly theilSen's with the same options.
      for (const opts of [{}, { maxPairs: 5000 }, { seed: 9 }, { maxPairs: 250_000, seed: 1 }]) {
        const tr = trend(t, v, opts);
        const mk = mannKendall(t, v, opts);
        if (mk.skipped !== undefined) {
          expect(tr).toEqual(mk);
          continue;
        }
        expect(tr).toEqual({ ...theilSen(t, v, opts), ...mk });
      }
    }
  });

  it('leaves its inputs as they were', () => {
    const t = idx(2000, B, 10);
    const v = Float64Array.from(t, (_, i) => Math.sin(i) * 10 + i);
    const t0 = t.slice();
    const v0 = v.slice();
    trend(t, v);
    theilSen(t, v);
    expect([...t]).toEqual([...t0]);
    expect([...v]).toEqual([...v0]);
  });
});

describe('theilSen sampled pairs', () => {
  it('draws the pairs mulberry32(seed) draws: the same slope and intercept, bit for bit', async () => {
    const { mulberry32 } = await import('../../src/stats/prng.js');
    // The sampled path as first written, with the closure generator.
    const reference = (t: Float64Array, v: Float64Array, maxPairs: number, seed: number) => {
      const n = t.length;
      const rnd = mulberry32(seed);
      const slopes: number[] = [];
      for (let k = 0; k < maxPairs; k++) {
        const i = Math.floor(rnd() * n);
        let j = Math.floor(rnd() * (n - 1));
        if (j >= i) j++;
        const dt = t[j] - t[i];
        if (dt !== 0) slopes.push((v[j] - v[i]) / dt);
      }
      const med = (a: number[]) => {
        const s = Float64Array.from(a).sort();
        const h = s.length >> 1;
        return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
      };
      const slope = med(slopes);
      return { slope, intercept: med(Array.from(t, (x, i) => v[i] - slope * (x - t[0]))) };
    };
    for (const [n, maxPairs, seed] of [[300, 1001, 1], [5000, 20_000, 7], [77, 500, 123456789]] as const) {
      const t = idx(n, B, 10);
      const v = Float64Array.from(t, (_, i) => Math.sqrt(i) * 3 + ((i * 7919) % 13));
      const r = theilSen(t, v, { maxPairs, seed });
      expect(r.exact).toBe(false);
      const want = reference(t, v, maxPairs, seed);
      expect([r.slopePerSecond, r.intercept]).toEqual([want.slope, want.intercept]);
    }
  });
});
