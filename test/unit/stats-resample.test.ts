import { describe, expect, it } from 'vitest';
import { alignSeries, alignToGrid, counterResetIndices, gapIndices, stepGrid, warmupTrim } from '../../src/stats/resample.js';
import { nanMax, nanMean, nanMin, nanQuantile, nanQuantiles, nanStd, nanSum, nanSummary } from '../../src/stats/summary.js';

const f = (...x: number[]) => Float64Array.from(x);
const B = 1_700_000_000;
const at = (...x: number[]) => Float64Array.from(x, (s) => B + s);

describe('NaN-ignoring aggregates', () => {
  const a = f(3, 1, NaN, 2, 4);
  it('mean, min, max, sum, std', () => {
    expect([nanMean(a), nanMin(a), nanMax(a), nanSum(a)]).toEqual([2.5, 1, 4, 10]);
    expect(nanStd(a)).toBeCloseTo(Math.sqrt(5 / 3), 15); // squares 2.25 + .25 + .25 + 2.25 = 5, / 3
  });
  it('type-7 quantiles: rank q·(n − 1) interpolated', () => {
    expect(nanQuantile(a, 0.5)).toBe(2.5); // rank 1.5 between 2 and 3
    expect(nanQuantile(a, 0.95)).toBeCloseTo(3.85, 14); // rank 2.85: 3·0.15 + 4·0.85
    expect(nanQuantiles(a, [0, 1])).toEqual([1, 4]);
    expect(Number.isNaN(nanQuantile(a, 1.5))).toBe(true);
  });
  it('summary with nulls where undefined', () => {
    const s = nanSummary(a);
    expect([s.n, s.mean, s.min, s.max, s.p50]).toEqual([4, 2.5, 1, 4, 2.5]);
    expect(s.p95).toBeCloseTo(3.85, 14);
    expect(s.p99).toBeCloseTo(3.97, 14);
    expect(s.std).toBeCloseTo(Math.sqrt(5 / 3), 15);
    expect(nanSummary(f(NaN, NaN))).toEqual({ n: 0, mean: null, min: null, max: null, p50: null, p95: null, p99: null, std: null });
    expect(nanSummary(f(7))).toEqual({ n: 1, mean: 7, min: 7, max: 7, p50: 7, p95: 7, p99: 7, std: null });
  });
  it('empty and all-NaN arrays give NaN', () => {
    for (const fn of [nanMean, nanMin, nanMax, nanSum, nanStd]) expect(Number.isNaN(fn(new Float64Array(0)))).toBe(true);
    expect(Number.isNaN(nanQuantile(f(NaN), 0.5))).toBe(true);
  });
});

describe('alignToGrid', () => {
  it('takes the latest sample at or before each grid time', () => {
    const out = alignToGrid(at(0, 10, 20), f(1, 2, 3), at(-5, 0, 5, 15, 25));
    expect(Number.isNaN(out[0])).toBe(true);
    expect([...out.subarray(1)]).toEqual([1, 1, 2, 3]);
  });
  it('staleness limit is closed: exactly 300 s old still counts, 301 s does not', () => {
    const out = alignToGrid(at(0, 10), f(1, 2), at(310, 311));
    expect(out[0]).toBe(2);
    expect(Number.isNaN(out[1])).toBe(true);
    expect([...alignToGrid(at(0), f(1), at(30), { stalenessSeconds: 30 })]).toEqual([1]);
    expect(Number.isNaN(alignToGrid(at(0), f(1), at(31), { stalenessSeconds: 30 })[0])).toBe(true);
  });
  it('a NaN sample marks the series stale until the next sample', () => {
    const out = alignToGrid(at(0, 10, 20), f(1, NaN, 3), at(5, 15, 25));
    expect(out[0]).toBe(1);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(3);
  });
  it('several series on one step grid; empty input', () => {
    const grid = stepGrid(B, B + 30, 10);
    expect([...grid]).toEqual([B, B + 10, B + 20, B + 30]);
    const [a, b] = alignSeries([{ t: at(0, 20), v: f(1, 2) }, { t: at(15), v: f(9) }], grid);
    expect([...a]).toEqual([1, 1, 2, 2]);
    expect(nanSum(b)).toBe(18);
    expect(Number.isNaN(b[0]) && Number.isNaN(b[1])).toBe(true);
    expect(Number.isNaN(alignToGrid(new Float64Array(0), new Float64Array(0), at(0))[0])).toBe(true);
    expect(stepGrid(10, 0, 1).length).toBe(0);
  });
});

describe('restart detection and warm-up trimming', () => {
  it('finds counter resets and gaps', () => {
    expect(counterResetIndices(f(1, 2, NaN, 0, 5, 3))).toEqual([3, 5]);
    expect(gapIndices(at(0, 10, 20, 100, 110), 30)).toEqual([3]);
  });
  const t = Float64Array.from({ length: 21 }, (_, i) => B + 10 * i); // 0 … 200 s
  it('drops the warm-up after the start and each restart, and the cool-down before a restart', () => {
    // start: [0, 30) → 0,1,2; restart at 100: [100, 130) → 10,11,12 and (80, 100) → 9
    const r = warmupTrim(t, [10], { warmupSeconds: 30, cooldownSeconds: 20 });
    expect(r.ranges).toEqual([
      { startIndex: 3, endIndex: 8 },
      { startIndex: 13, endIndex: 20 },
    ]);
    expect(r.dropped).toBe(7);
    expect(r.keep[9]).toBe(0);
    expect(r.keep[8]).toBe(1);
  });
  it('predicate form, trimEnd, and trimStart off', () => {
    const r = warmupTrim(t, (i) => i === 10, { warmupSeconds: 30, cooldownSeconds: 20, trimEnd: true });
    expect(r.ranges.at(-1)).toEqual({ startIndex: 13, endIndex: 18 }); // (180, 200] dropped
    expect(r.dropped).toBe(9);
    const s = warmupTrim(t, [], { warmupSeconds: 30, trimStart: false });
    expect(s.dropped).toBe(0);
    expect(s.ranges).toEqual([{ startIndex: 0, endIndex: 20 }]);
    expect(warmupTrim(new Float64Array(0), [])).toEqual({ keep: new Uint8Array(0), ranges: [], dropped: 0 });
  });
});
