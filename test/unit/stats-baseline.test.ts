// Frozen robust baseline: hand-computed episodes on tiny series, seeded level shifts, the new-normal
// limit, the score cap, and the sorted window against a brute-force median/MAD.

import { describe, expect, it } from 'vitest';
import { frozenBaselineAnomalies, SortedFifo, type FrozenBaselineOptions } from '../../src/stats/baseline.js';
import { detectAnomalies, medianMad } from '../../src/stats/rolling.js';
import { mulberry32 } from '../../src/stats/prng.js';

const STEP = 10;
const times = (n: number, step = STEP) => Float64Array.from({ length: n }, (_, i) => 1_000_000 + i * step);

function normal(seed: number): () => number {
  const u = mulberry32(seed);
  return () => {
    let a = u();
    while (a === 0) a = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
}

const BASE: FrozenBaselineOptions = {
  stepSeconds: STEP,
  baselineSeconds: 600,
  minBaselineSeconds: 300,
  minBaselinePoints: 10,
  threshold: 4,
  minEpisodeSeconds: 60,
  bridgeSeconds: 30,
  maxEpisodeSeconds: 7200,
  absFloor: 0.5,
  relFloor: 0.05,
  scoreCap: 50,
};

describe('SortedFifo', () => {
  it('median and MAD of the last `capacity` values equal a brute-force computation', () => {
    const u = mulberry32(7);
    const fifo = new SortedFifo(25);
    const all: number[] = [];
    for (let i = 0; i < 400; i++) {
      const x = Math.round(u() * 20) / 2; // ties on purpose
      fifo.push(x);
      all.push(x);
      const ref = medianMad(all.slice(-25));
      const med = fifo.median();
      expect(med).toBe(ref.median);
      expect(fifo.mad(med)).toBe(ref.mad);
      expect(fifo.size).toBe(Math.min(25, i + 1));
    }
  });
  it('ignores NaN; clear empties it', () => {
    const f = new SortedFifo(3);
    f.push(NaN);
    expect(f.size).toBe(0);
    f.push(2);
    f.push(1);
    expect(f.median()).toBe(1.5);
    f.clear();
    expect(Number.isNaN(f.median())).toBe(true);
  });
});

describe('frozenBaselineAnomalies: exact values', () => {
  it('a flat zero baseline uses the absolute floor: 0 → 5 scores 5 / 0.5 = 10, not Infinity', () => {
    const n = 200;
    const v = new Float64Array(n);
    for (let i = 100; i < 130; i++) v[i] = 5;
    const t = times(n);
    const r = frozenBaselineAnomalies(t, v, BASE);
    expect(r.episodes).toHaveLength(1);
    const e = r.episodes[0];
    expect([e.startIndex, e.endIndex, e.startSeconds, e.endSeconds]).toEqual([100, 129, t[100], t[129] + STEP]);
    expect([e.baselineValue, e.baselineScale, e.peakScore, e.rawPeakScore, e.scoreCapped]).toEqual([0, 0.5, 10, 10, false]);
    expect([e.peakIndex, e.peakValue, e.direction, e.anomalousPoints, e.acceptedAsNormal]).toEqual([100, 5, 'up', 30, false]);
    // warm-up: 30 points (300 s) learnt unscored
    expect(Number.isNaN(r.score[29])).toBe(true);
    expect(r.score[30]).toBe(0);
  });

  it('the relative floor: 100 → 130 on a flat 100 scores 30 / (0.05 · 100) = 6', () => {
    const n = 120;
    const v = new Float64Array(n).fill(100);
    for (let i = 60; i < 80; i++) v[i] = 130;
    const e = frozenBaselineAnomalies(times(n), v, BASE).episodes;
    expect(e.map((x) => [x.startIndex, x.endIndex, x.peakScore, x.baselineScale])).toEqual([[60, 79, 6, 5]]);
  });

  it('the scale is 1.4826 · MAD when that is above the floors', () => {
    // baseline cycles 8, 10, 12: median 10 and MAD 2 at every window size; scale 2.9652; 40 scores (40 − 10) / 2.9652
    const n = 100;
    const v = Float64Array.from({ length: n }, (_, i) => 8 + 2 * (i % 3));
    for (let i = 70; i < 80; i++) v[i] = 40;
    const e = frozenBaselineAnomalies(times(n), v, BASE).episodes;
    expect(e).toHaveLength(1);
    expect(e[0].baselineScale).toBeCloseTo(2.9652, 12);
    expect(e[0].peakScore).toBeCloseTo(30 / 2.9652, 12);
  });

  it('short episodes are dropped; calm gaps up to bridgeSeconds are bridged; a change of direction starts a new episode', () => {
    const n = 200;
    const v = new Float64Array(n).fill(10);
    // 50 s up (too short: 5 points < 60 s)
    for (let i = 40; i < 45; i++) v[i] = 20;
    // 80 s up, 30 s calm, 40 s up → one episode 60…74
    for (let i = 60; i < 68; i++) v[i] = 20;
    for (let i = 71; i < 75; i++) v[i] = 20;
    // then 70 s down right after
    for (let i = 75; i < 82; i++) v[i] = 0;
    const e = frozenBaselineAnomalies(times(n), v, BASE).episodes;
    expect(e.map((x) => [x.startIndex, x.endIndex, x.direction, x.anomalousPoints])).toEqual([
      [60, 74, 'up', 12],
      [75, 81, 'down', 7],
    ]);
  });

  it('the score is capped; the raw score and the cap flag say so', () => {
    const n = 150;
    const z = normal(3);
    const v = Float64Array.from({ length: n }, () => 100 + 0.1 * z());
    for (let i = 100; i < 120; i++) v[i] = 200;
    const e = frozenBaselineAnomalies(times(n), v, { ...BASE, absFloor: 0.01, relFloor: 0 }).episodes;
    expect(e).toHaveLength(1);
    expect(e[0].peakScore).toBe(50);
    expect(e[0].scoreCapped).toBe(true);
    expect(e[0].rawPeakScore).toBeGreaterThan(500);
  });
});

describe('frozenBaselineAnomalies: level shifts', () => {
  const hourly = { ...BASE, baselineSeconds: 3600, minBaselineSeconds: 900, minBaselinePoints: 12, minEpisodeSeconds: 120, bridgeSeconds: 120, absFloor: 0.01, relFloor: 0.02 };

  for (const sigma of [0.5, 1, 2]) {
    it(`a 30-minute shift of 15σ + 10 stays one episode for its whole length (noise σ=${sigma})`, () => {
      const n = 4 * 360; // 4 h at 10 s
      const z = normal(11 + sigma);
      const v = Float64Array.from({ length: n }, () => 50 + sigma * z());
      const s0 = 2 * 360; // shift from 2 h to 2 h 30 min
      const s1 = s0 + 180;
      for (let i = s0; i < s1; i++) v[i] += 15 * sigma + 10;
      const t = times(n);
      const r = frozenBaselineAnomalies(t, v, hourly);
      const big = r.episodes.filter((e) => e.endSeconds - e.startSeconds >= 600);
      expect(big).toHaveLength(1);
      expect(Math.abs(big[0].startSeconds - t[s0])).toBeLessThanOrEqual(STEP);
      expect(Math.abs(big[0].endSeconds - t[s1])).toBeLessThanOrEqual(STEP);
      expect(Math.abs(big[0].baselineValue - 50)).toBeLessThan(0.2 * sigma + 0.05);
      // nothing else of any length
      expect(r.episodes).toHaveLength(1);
      // a trailing 10-minute rolling baseline (the previous method) absorbs the same shift: its episode
      // ends long before the shift does
      const old = detectAnomalies(t, v, { window: 60, threshold: 4, minSamples: 30, robust: true, maxGap: 3, minPoints: 3 }).episodes;
      const oldLongest = Math.max(...old.map((e) => e.endSeconds - e.startSeconds));
      expect(oldLongest).toBeLessThan(900);
    });
  }

  it('a shift that persists past maxEpisodeSeconds is accepted as the new normal, once', () => {
    const n = 8 * 360;
    const z = normal(5);
    const v = Float64Array.from({ length: n }, () => 50 + z());
    const s0 = 2 * 360;
    for (let i = s0; i < n; i++) v[i] += 20;
    const t = times(n);
    const r = frozenBaselineAnomalies(t, v, hourly);
    expect(r.episodes).toHaveLength(1);
    const e = r.episodes[0];
    expect(e.acceptedAsNormal).toBe(true);
    expect(e.startIndex).toBe(s0);
    expect(e.endSeconds - e.startSeconds).toBeGreaterThanOrEqual(7200 - 2 * STEP);
    expect(e.endSeconds - e.startSeconds).toBeLessThanOrEqual(7200);
    // afterwards the baseline is the shifted level
    expect(r.baseline[n - 1]).toBeGreaterThan(69);
    expect(r.baseline[n - 1]).toBeLessThan(71);
  });

  it('calm points inside a bridged episode are not learnt; calm points after it are', () => {
    const n = 300;
    const v = new Float64Array(n).fill(10);
    for (let i = 100; i < 200; i++) v[i] = i % 3 === 0 ? 10 : 30; // shift with a calm point every 30 s
    const r = frozenBaselineAnomalies(times(n), v, BASE);
    expect(r.episodes.map((e) => [e.startIndex, e.endIndex])).toEqual([[100, 199]]);
    expect(r.baseline[150]).toBe(10);
    expect(r.baseline[250]).toBe(10);
  });

  it('NaN points are skipped; a gap longer than the bridge ends the episode', () => {
    const n = 200;
    const v = new Float64Array(n).fill(1);
    for (let i = 100; i < 120; i++) v[i] = 9;
    for (let i = 120; i < 130; i++) v[i] = NaN;
    for (let i = 130; i < 150; i++) v[i] = 9;
    const e = frozenBaselineAnomalies(times(n), v, BASE).episodes;
    expect(e.map((x) => [x.startIndex, x.endIndex])).toEqual([
      [100, 119],
      [130, 149],
    ]);
    const bridged = frozenBaselineAnomalies(times(n), v, { ...BASE, bridgeSeconds: 100 }).episodes;
    expect(bridged.map((x) => [x.startIndex, x.endIndex])).toEqual([[100, 149]]);
  });
});
