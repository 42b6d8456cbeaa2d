// Window-bounded views and episode runs: hand-computed values on tiny series.

import { describe, expect, it } from 'vitest';
import { cumulativeBelow, cumulativeBelowAt, increaseBetween, lastAtOrBefore, rollingMean } from '../../src/derive/windowed.js';
import { runsWhere } from '../../src/derive/episodes.js';
import type { Series } from '../../src/model/series.js';

const series = (t: number[], v: number[]): Series => ({ name: 'x_total', labels: {}, t: Float64Array.from(t), v: Float64Array.from(v) }) as Series;

describe('increaseBetween', () => {
  const s = series([0, 10, 20, 30, 40, 50], [100, 110, 125, 5, 15, 30]);
  it('counts from the last sample at or before t0 to the last at or before t1', () => {
    expect(increaseBetween(s, 10, 20)).toBe(15);
    expect(increaseBetween(s, 12, 20)).toBe(15); // baseline is the sample at 10
    expect(increaseBetween(s, 0, 25)).toBe(25);
  });
  it('a drop is a reset: the new value counts from zero', () => {
    expect(increaseBetween(s, 20, 30)).toBe(5);
    expect(increaseBetween(s, 0, 50)).toBe(10 + 15 + 5 + 10 + 15);
  });
  it('null when no sample is at or before t1; 0 for a window with one sample at its start', () => {
    expect(increaseBetween(s, -20, -10)).toBeNull();
    expect(increaseBetween(s, 50, 60)).toBe(0);
  });
  it('lastAtOrBefore', () => {
    const t = Float64Array.from([1, 2, 2, 5]);
    expect([0, 1, 2, 3, 5, 9].map((x) => lastAtOrBefore(t, x))).toEqual([-1, 0, 2, 2, 3, 3]);
  });
});

describe('cumulativeBelow', () => {
  const les = [0.1, 0.5, 1, Infinity];
  const counts = [10, 30, 40, 50];
  const c = (j: number) => counts[j];
  it('exact at a bucket bound', () => {
    expect(cumulativeBelow(les, c, 0.5)).toBe(30);
    expect(cumulativeBelow(les, c, 1)).toBe(40);
  });
  it('linear inside a bucket, from 0 in the first bucket', () => {
    expect(cumulativeBelow(les, c, 0.3)).toBeCloseTo(20, 12);
    expect(cumulativeBelow(les, c, 0.05)).toBeCloseTo(5, 12);
  });
  it('above the highest finite bound: everything below it', () => {
    expect(cumulativeBelow(les, c, 7)).toBe(40);
  });
  it('cumulativeBelowAt (counts as columns of per-bucket series) gives the same bits', () => {
    const layouts = [les, [0.1, 0.5, 1, 1, Infinity], [-1, 0, 2, Infinity], [Infinity]];
    let checked = 0;
    for (const L of layouts) {
      const cols = L.map((_, j) => Float64Array.from({ length: 9 }, (_, i) => (i === 3 ? NaN : j * 7.3 + i * 1.1)));
      for (let i = 0; i < 9; i++) {
        for (const x of [-2, -1, 0, 0.05, 0.1, 0.1 + 1e-13, 0.3, 0.5, 1, 1.7, 2, 9, Infinity, NaN]) {
          expect(Object.is(cumulativeBelowAt(L, cols, i, x), cumulativeBelow(L, (j) => cols[j][i], x))).toBe(true);
          checked++;
        }
      }
    }
    expect(checked).toBe(4 * 9 * 14);
  });
});

describe('rollingMean (centred, NaN-aware)', () => {
  it('averages a centred window and skips NaN', () => {
    const a = Float64Array.from([1, 2, 3, NaN, 5]);
    expect([...rollingMean(a, 3)]).toEqual([1.5, 2, 2.5, 4, 5]);
  });
  it('window of one is the identity; all-NaN windows stay NaN', () => {
    expect([...rollingMean(Float64Array.from([4, 5]), 1)]).toEqual([4, 5]);
    expect(Number.isNaN(rollingMean(Float64Array.from([NaN, NaN]), 2)[0])).toBe(true);
  });
});

describe('runsWhere', () => {
  const grid = Float64Array.from({ length: 20 }, (_, i) => i * 10);
  const on = (idx: number[]) => (i: number) => idx.includes(i);
  it('bridges short gaps and drops short runs (in seconds)', () => {
    const runs = runsWhere(grid, on([2, 3, 4, 6, 7, 12]), 10, { minSeconds: 30, bridgeSeconds: 10 });
    expect(runs).toEqual([{ startIndex: 2, endIndex: 7 }]);
  });
  it('a gap longer than the bridge splits runs', () => {
    const runs = runsWhere(grid, on([1, 2, 3, 7, 8, 9]), 10, { minSeconds: 20, bridgeSeconds: 20 });
    expect(runs).toEqual([{ startIndex: 1, endIndex: 3 }, { startIndex: 7, endIndex: 9 }]);
  });
  it('runs at the ends of the grid', () => {
    expect(runsWhere(grid, on([0, 1, 18, 19]), 10, { minSeconds: 20, bridgeSeconds: 0 })).toEqual([{ startIndex: 0, endIndex: 1 }, { startIndex: 18, endIndex: 19 }]);
  });
});
