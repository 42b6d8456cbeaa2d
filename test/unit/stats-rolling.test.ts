import { describe, expect, it } from 'vitest';
import {
  detectAnomalies,
  episodes,
  MAD_SCALE,
  medianMad,
  robustZScore,
  rollingMeanStd,
  rollingRobustZScore,
  rollingZScore,
} from '../../src/stats/rolling.js';
import { mulberry32 as rng } from '../../src/stats/prng.js';

const f = (...x: number[]) => Float64Array.from(x);
const nanIdx = (a: Float64Array) => [...a].flatMap((x, i) => (Number.isNaN(x) ? [i] : []));


describe('rollingMeanStd', () => {
  it('trailing window including the current point', () => {
    const { mean, std } = rollingMeanStd(f(1, 2, 3, 4, 5), { window: 3 });
    expect(nanIdx(mean)).toEqual([0, 1]);
    expect([...mean.subarray(2)]).toEqual([2, 3, 4]);
    expect([...std.subarray(2)]).toEqual([1, 1, 1]);
  });
  it('minSamples lets a partial window through', () => {
    const { mean, std } = rollingMeanStd(f(1, 2, 3), { window: 3, minSamples: 2 });
    expect(mean[1]).toBe(1.5);
    expect(std[1]).toBeCloseTo(Math.SQRT1_2, 15);
  });
  it('skips NaN inside the window', () => {
    const { mean, std } = rollingMeanStd(f(1, NaN, 3, 5), { window: 3, minSamples: 2 });
    expect(nanIdx(mean)).toEqual([0, 1]);
    expect(mean[2]).toBe(2); // {1, 3}
    expect(std[2]).toBeCloseTo(Math.SQRT2, 15);
    expect(mean[3]).toBe(4); // {3, 5}
    expect(std[3]).toBeCloseTo(Math.SQRT2, 15);
  });
  it('empty input and bad windows', () => {
    expect(rollingMeanStd(new Float64Array(0), { window: 3 }).mean.length).toBe(0);
    expect(() => rollingMeanStd(f(1), { window: 1 })).toThrow(RangeError);
    expect(() => rollingMeanStd(f(1), { window: 2.5 })).toThrow(RangeError);
  });
});

describe('rollingZScore', () => {
  it('scores a point against the window before it', () => {
    // baseline 1,2,3,2,1: mean 1.8, sample variance 2.8/4 = 0.7 → z = 8.2/√0.7
    const z = rollingZScore(f(1, 2, 3, 2, 1, 10), { window: 5 });
    expect(nanIdx(z)).toEqual([0, 1, 2, 3, 4]);
    expect(z[5]).toBeCloseTo(8.2 / Math.sqrt(0.7), 12);
  });
  it('a flat baseline gives 0 for an equal point and ±Infinity otherwise', () => {
    expect(rollingZScore(f(5, 5, 5, 5, 6), { window: 4 })[4]).toBe(Infinity);
    expect(rollingZScore(f(5, 5, 5, 5, 4), { window: 4 })[4]).toBe(-Infinity);
    expect(rollingZScore(f(5, 5, 5, 5, 5), { window: 4 })[4]).toBe(0);
  });
  it('NaN points score NaN and are left out of later baselines', () => {
    const z = rollingZScore(f(1, 3, NaN, 1, 3, 2), { window: 3, minSamples: 2 });
    expect(Number.isNaN(z[2])).toBe(true);
    // z[3] vs {1, 3}: mean 2, s √2 → −1/√2; z[5] vs {NaN, 1, 3} → 0
    expect(z[3]).toBeCloseTo(-1 / Math.SQRT2, 15);
    expect(z[5]).toBe(0);
  });
  it('matches a brute-force two-pass computation over 150k points (crosses the 65,536 resync)', () => {
    const r = rng(7);
    const n = 150_000;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = 1e6 + r() * 10 + (i % 1000 === 0 ? 50 : 0);
    const w = 20;
    const z = rollingZScore(v, { window: w });
    let maxErr = 0;
    for (let i = w; i < n; i += 7) {
      let s = 0;
      for (let j = i - w; j < i; j++) s += v[j];
      const m = s / w;
      let q = 0;
      for (let j = i - w; j < i; j++) q += (v[j] - m) ** 2;
      const expected = (v[i] - m) / Math.sqrt(q / (w - 1));
      maxErr = Math.max(maxErr, Math.abs(z[i] - expected) / Math.max(1, Math.abs(expected)));
    }
    expect(maxErr).toBeLessThan(1e-6);
  });
});

describe('robust z', () => {
  it('median and MAD, odd and even counts, NaN ignored', () => {
    expect(medianMad(f(1, 2, 3, 4, 100))).toEqual({ median: 3, mad: 1, n: 5 }); // deviations 2,1,0,1,97
    expect(medianMad(f(4, 1, NaN, 3, 2))).toEqual({ median: 2.5, mad: 1, n: 4 }); // deviations 1.5,.5,.5,1.5
    expect(medianMad(f(NaN))).toEqual({ median: NaN, mad: NaN, n: 0 });
  });
  it('scores by (x − median) / (1.4826 · MAD)', () => {
    const z = robustZScore(f(1, 2, 3, 4, 100));
    expect(z[4]).toBeCloseTo(97 / MAD_SCALE, 12);
    expect(z[0]).toBeCloseTo(-2 / MAD_SCALE, 12);
    expect(z[2]).toBe(0);
  });
  it('MAD 0: equal points 0, others ±Infinity', () => {
    expect([...robustZScore(f(2, 2, 2, 3, 1))]).toEqual([0, 0, 0, Infinity, -Infinity]);
  });
  it('rolling variant uses the window before the point', () => {
    const z = rollingRobustZScore(f(1, 2, 3, 4, 100, 3), { window: 4 });
    expect(nanIdx(z)).toEqual([0, 1, 2, 3]);
    expect(z[4]).toBeCloseTo((100 - 2.5) / MAD_SCALE, 12); // {1,2,3,4}: median 2.5, MAD 1
    expect(z[5]).toBeCloseTo((3 - 3.5) / MAD_SCALE, 12); // {2,3,4,100}: median 3.5, deviations .5,.5,1.5,96.5 → MAD 1
  });
  it('rolling variant matches medianMad of each window on random data with ties and NaN', () => {
    const r = rng(11);
    const n = 3000;
    const v = new Float64Array(n);
    for (let i = 0; i < n; i++) v[i] = i % 97 === 0 ? NaN : Math.round(r() * 20);
    const w = 15;
    const z = rollingRobustZScore(v, { window: w, minSamples: 10 });
    for (let i = 0; i < n; i++) {
      const base = v.subarray(Math.max(0, i - w), i);
      const { median, mad, n: cnt } = medianMad(base);
      // independent MAD: sort the absolute deviations and take their median
      const dev = Float64Array.from([...base].filter((x) => !Number.isNaN(x)), (x) => Math.abs(x - median)).sort();
      if (cnt > 0) expect(mad).toBe(dev.length % 2 ? dev[dev.length >> 1] : (dev[dev.length / 2 - 1] + dev[dev.length / 2]) / 2);
      if (Number.isNaN(v[i]) || cnt < 10) {
        expect(Number.isNaN(z[i])).toBe(true);
        continue;
      }
      const d = v[i] - median;
      const expected = mad > 0 ? d / (MAD_SCALE * mad) : d === 0 ? 0 : d > 0 ? Infinity : -Infinity;
      expect(z[i]).toBe(expected);
    }
  });
});

describe('episodes', () => {
  const t = Float64Array.from({ length: 10 }, (_, i) => 100 + 10 * i);
  const v = Float64Array.from({ length: 10 }, (_, i) => i * 1.5);
  const score = f(0, 4, 5, 0, 3.5, 0, NaN, -4, -3, 0);
  it('merges consecutive anomalous points of one direction', () => {
    const e = episodes(t, v, score, { threshold: 3 });
    expect(e.map((x) => [x.startIndex, x.endIndex, x.direction, x.peakIndex, x.peakScore, x.anomalousPoints])).toEqual([
      [1, 2, 'up', 2, 5, 2],
      [4, 4, 'up', 4, 3.5, 1],
      [7, 8, 'down', 7, -4, 2],
    ]);
    expect([e[0].startSeconds, e[0].endSeconds, e[0].peakSeconds, e[0].peakValue]).toEqual([110, 120, 120, 3]);
  });
  it('bridges gaps up to maxGap but never across a change of direction', () => {
    const e = episodes(t, v, score, { threshold: 3, maxGap: 1 });
    expect(e.map((x) => [x.startIndex, x.endIndex, x.direction, x.anomalousPoints])).toEqual([
      [1, 4, 'up', 3],
      [7, 8, 'down', 2],
    ]);
    expect(episodes(t, v, score, { threshold: 3, maxGap: 9 }).length).toBe(2);
  });
  it('minPoints drops lone points; threshold is inclusive; Infinity counts', () => {
    expect(episodes(t, v, score, { threshold: 3, minPoints: 2 }).map((x) => x.startIndex)).toEqual([1, 7]);
    expect(episodes(t, v, score, { threshold: 5 }).map((x) => x.startIndex)).toEqual([2]);
    expect(episodes(f(0, 1), f(0, 1), f(0, Infinity)).map((x) => x.peakScore)).toEqual([Infinity]);
    expect(episodes(new Float64Array(0), new Float64Array(0), new Float64Array(0))).toEqual([]);
  });
  it('detectAnomalies finds an injected spike without the spike masking itself', () => {
    const n = 200;
    const tt = Float64Array.from({ length: n }, (_, i) => i * 10);
    const vv = Float64Array.from({ length: n }, (_, i) => 10 + (i % 2 ? 0.5 : -0.5));
    vv[150] = 30;
    vv[151] = 31;
    const { episodes: eps } = detectAnomalies(tt, vv, { window: 30, threshold: 4 });
    expect(eps.length).toBe(1);
    // the peak is the largest |score|: 30 against a clean baseline scores far above 31 against a baseline holding the 30
    expect([eps[0].startIndex, eps[0].endIndex, eps[0].peakIndex, eps[0].peakValue, eps[0].direction]).toEqual([150, 151, 150, 30, "up"]);
    const robust = detectAnomalies(tt, vv, { window: 30, threshold: 4, robust: true }).episodes;
    expect(robust.map((e) => [e.startIndex, e.endIndex])).toEqual([[150, 151]]);
  });
});
