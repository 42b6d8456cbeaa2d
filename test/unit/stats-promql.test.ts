// Hand-computed PromQL results (Prometheus 2.42 semantics). Each expectation's arithmetic is in the comment.
import { describe, expect, it } from 'vitest';
import { mulberry32 as prng } from '../../src/stats/prng.js';
import {
  bucketFractionBelow,
  evalGrid,
  extrapolatedRate,
  extrapolatedRateIn,
  histogramQuantile,
  histogramQuantileDetail,
  histogramQuantileSeries,
  increase,
  promDurationMs,
  promTimeMs,
  rangeSamples,
  RateWindowCache,
  rateWindows,
  rate,
  sumAligned,
} from '../../src/stats/promql.js';

const B = 1_700_000_000; // a realistic Unix-seconds base, so ms rounding is exercised
const f = (...x: number[]) => Float64Array.from(x);
const at = (...x: number[]) => Float64Array.from(x, (s) => B + s);

describe('evalGrid', () => {
  it('steps from start while ≤ end, in integer ms', () => {
    expect([...evalGrid(B, B + 30, 10)]).toEqual([B, B + 10, B + 20, B + 30]);
    expect([...evalGrid(B, B + 29.999, 10)]).toEqual([B, B + 10, B + 20]);
    expect([...evalGrid(B + 0.5, B + 0.5, 10)]).toEqual([B + 0.5]);
  });
  it('parses times like the query API (fraction rounded to ms) and steps like a Go duration', () => {
    expect(promTimeMs(B + 0.1234)).toBe(B * 1000 + 123);
    expect(promTimeMs(B + 0.1236)).toBe(B * 1000 + 124);
    expect(promDurationMs(0.0155)).toBe(15); // 15.5 ms truncated
    expect([...evalGrid(B + 0.1234, B + 0.2, 0.05)]).toEqual([B + 0.123, B + 0.173]);
  });
  it('is empty for end < start or a non-positive step', () => {
    expect(evalGrid(10, 9, 1).length).toBe(0);
    expect(evalGrid(0, 10, 0).length).toBe(0);
    expect(evalGrid(0, 10, -1).length).toBe(0);
  });
});

describe('rangeSamples (2.42: closed window [T−r, T])', () => {
  const t = at(0, 10, 20, 30);
  it('includes samples exactly on both edges', () => {
    expect(rangeSamples(t, B + 30, 20)).toEqual({ start: 1, end: 4 }); // 10, 20, 30
    expect(rangeSamples(t, B + 25, 15)).toEqual({ start: 1, end: 3 }); // 10, 20
  });
  it('works at millisecond resolution', () => {
    const tm = at(0.001, 10.001, 20.001);
    expect(rangeSamples(tm, B + 20.001, 20)).toEqual({ start: 0, end: 3 });
    expect(rangeSamples(tm, B + 20.002, 20)).toEqual({ start: 1, end: 3 });
  });
  it('is empty outside the data and on empty input', () => {
    expect(rangeSamples(t, B - 1, 10)).toEqual({ start: 0, end: 0 });
    expect(rangeSamples(t, B + 100, 10)).toEqual({ start: 4, end: 4 });
    expect(rangeSamples(new Float64Array(0), B, 10)).toEqual({ start: 0, end: 0 });
  });
});

describe('rate / increase', () => {
  it('a straight counter covering the window exactly: increase 60, rate 1', () => {
    const t = at(0, 10, 20, 30, 40, 50, 60);
    const v = f(0, 10, 20, 30, 40, 50, 60);
    expect([...increase(t, v, f(B + 60), 60)]).toEqual([60]);
    expect([...rate(t, v, f(B + 60), 60)]).toEqual([1]);
  });

  it('the closed left edge matters: samples 5, 10, 30 at 0, 10, 20 give increase 25 (left-open 3.x would give 30)', () => {
    // closed: all 3 samples, result 25, sampled 20 s, durations to edges 0, zero point 20·5/25 = 4 not < 0 → factor 1.
    // left-open would drop t=0: result 20 over 10 s, zero point 10·10/20 = 5 s < 10 → interval 15 → 30.
    expect([...increase(at(0, 10, 20), f(5, 10, 30), f(B + 20), 20)]).toEqual([25]);
  });

  it('counter reset: 10, 20, 5, 15, 25 → 15 + 20 = 35 over 40 s', () => {
    const t = at(0, 10, 20, 30, 40);
    const v = f(10, 20, 5, 15, 25);
    expect([...increase(t, v, f(B + 40), 40)]).toEqual([35]);
    expect([...rate(t, v, f(B + 40), 40)]).toEqual([0.875]);
  });

  it('two resets, the second to zero', () => {
    // 3 → 7 (+4), reset to 2 (+7 correction), → 6, reset to 0 (+6 correction) → 5: result 5 − 3 + 7 + 6 = 15
    const t = at(0, 10, 20, 30, 40, 50);
    const v = f(3, 7, 2, 6, 0, 5);
    expect([...increase(t, v, f(B + 50), 50)]).toEqual([15]);
  });

  it('extrapolates to both edges when the gaps are under 1.1 × the average interval', () => {
    // samples 5, 15, 25 in [0, 30]: result 20 over 20 s, +5 each side → factor 30/20 → 30; rate 30/30 = 1
    const t = at(5, 15, 25);
    const v = f(100, 110, 120);
    expect([...increase(t, v, f(B + 30), 30)]).toEqual([30]);
    expect([...rate(t, v, f(B + 30), 30)]).toEqual([1]);
  });

  it('extrapolates only half an interval when the edge is far, and never below the counter zero', () => {
    // t 20, 30 (values 0, 10) in [0, 60]: result 10, avg 10, threshold 11.
    // start: 20 s away, but zero point at 10·0/10 = 0 s → +0; end: 30 s ≥ 11 → +5. Interval 15 → ×1.5.
    expect([...increase(at(20, 30), f(0, 10), f(B + 60), 60)]).toEqual([15]);
    expect([...rate(at(20, 30), f(0, 10), f(B + 60), 60)]).toEqual([0.25]);
    // Same with values 100, 110: zero point 100 s away, so start and end both +5 → interval 20 → ×2.
    expect([...increase(at(20, 30), f(100, 110), f(B + 60), 60)]).toEqual([20]);
  });

  it('the zero-point clamp shortens the start extrapolation', () => {
    // t 5, 15, 25, values 2, 12, 22 in [0, 30]: result 20, sampled 20; start gap 5, zero point 20·2/20 = 2 → use 2.
    // interval 20 + 2 + 5 = 27 → 20 · 27/20 = 27
    expect(increase(at(5, 15, 25), f(2, 12, 22), f(B + 30), 30)[0]).toBeCloseTo(27, 12);
  });

  it('millisecond edges: the window [T−20, T] drops a sample 1 ms too old', () => {
    const t = at(0.001, 10.001, 20.001);
    const v = f(0, 10, 20);
    expect([...increase(t, v, f(B + 20.001), 20)]).toEqual([20]);
    // At T = 20.002 the first sample is out; 10 over 10 s, start gap 9.999 (< 11), end gap 0.001 → 10·20/10
    expect(increase(t, v, f(B + 20.002), 20)[0]).toBeCloseTo(20, 12);
  });

  it('gauge delta (isCounter=false) has no reset correction and no zero clamp', () => {
    // delta of 10, 20, 5 over [0, 20]: 5 − 10 = −5, factor 1
    expect([...extrapolatedRate(at(0, 10, 20), f(10, 20, 5), f(B + 20), 20, false, false)]).toEqual([-5]);
  });

  it('NaN with fewer than 2 samples in the window, and on empty input', () => {
    const t = at(0, 10, 20);
    const v = f(1, 2, 3);
    // [−5, 5] holds only t=0 → NaN; [5, 15] only t=10 → NaN; [10, 20] holds 2 → 3 over the whole window → 1; [90, 100] none
    const out = increase(t, v, f(B + 5, B + 15, B + 20, B + 100), 10);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(Number.isNaN(out[1])).toBe(true);
    expect(out[2]).toBe(1);
    expect(Number.isNaN(out[3])).toBe(true);
    expect(increase(new Float64Array(0), new Float64Array(0), f(B), 10).length).toBe(1);
    expect(Number.isNaN(increase(new Float64Array(0), new Float64Array(0), f(B), 10)[0])).toBe(true);
    expect(increase(t, v, new Float64Array(0), 10).length).toBe(0);
  });

  it('evaluates a grid with overlapping windows like a range query', () => {
    const t = at(0, 10, 20, 30, 40);
    const v = f(0, 10, 20, 30, 40);
    const out = increase(t, v, evalGrid(B, B + 40, 10), 20);
    // T=0: one sample → NaN. T=10: 0,10 in [−10,10]: 10 over 10 s; start gap 10 (< 11) but zero point at 0 → +0; end 0 → 10.
    // T=20..40: three samples spanning 20 s exactly → 20.
    expect(Number.isNaN(out[0])).toBe(true);
    expect([...out.subarray(1)]).toEqual([10, 20, 20, 20]);
  });

  it('accepts eval times in any order', () => {
    const t = at(0, 10, 20, 30, 40);
    const v = f(0, 10, 20, 30, 40);
    const up = increase(t, v, f(B + 20, B + 30, B + 40), 20);
    const down = increase(t, v, f(B + 40, B + 30, B + 20), 20);
    expect([...down]).toEqual([...up].reverse());
  });

  it('skips NaN values (staleness markers)', () => {
    expect([...increase(at(0, 10, 20, 30), f(0, NaN, 20, 30), f(B + 30), 30)]).toEqual([30]);
    expect(Number.isNaN(increase(at(0, 10), f(NaN, 5), f(B + 10), 10)[0])).toBe(true);
  });

  it('rejects mismatched lengths', () => {
    expect(() => rate(at(0, 1), f(1), f(B), 10)).toThrow(/samples/);
  });
});

/**
 * extrapolatedRate written the plain way, one window at a time: drop NaN samples, select the window with
 * rangeSamples, always run the reset scan. The optimised version (two pointers, reset counts kept as they
 * move, no scratch arrays) must give the same bits.
 */
function referenceRate(t: Float64Array, v: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number, isCounter: boolean, isRate: boolean): Float64Array {
  const keep = [...v.keys()].filter((i) => !Number.isNaN(v[i]));
  const tt = Float64Array.from(keep, (i) => t[i]);
  const vv = Float64Array.from(keep, (i) => v[i]);
  const ms = (x: number) => Math.round(x * 1000);
  const rangeMs = ms(rangeSeconds);
  const rangeSecs = Math.trunc(rangeMs / 1000) + ((rangeMs - Math.trunc(rangeMs / 1000) * 1000) * 1e6) / 1e9;
  return Float64Array.from(evalTimes, (T) => {
    const { start, end } = rangeSamples(tt, T, rangeSeconds);
    if (end - start < 2) return NaN;
    const first = start;
    const last = end - 1;
    let result = vv[last] - vv[first];
    if (isCounter) for (let i = first + 1; i <= last; i++) if (vv[i] < vv[i - 1]) result += vv[i - 1];
    const maxt = ms(T);
    const mint = maxt - rangeMs;
    let toStart = (ms(tt[first]) - mint) / 1000;
    const toEnd = (maxt - ms(tt[last])) / 1000;
    const sampled = (ms(tt[last]) - ms(tt[first])) / 1000;
    const avg = sampled / (end - start - 1);
    if (isCounter && result > 0 && vv[first] >= 0) toStart = Math.min(toStart, sampled * (vv[first] / result));
    let interval = sampled;
    interval += toStart < avg * 1.1 ? toStart : avg / 2;
    interval += toEnd < avg * 1.1 ? toEnd : avg / 2;
    let factor = interval / sampled;
    if (isRate) factor /= rangeSecs;
    return result * factor;
  });
}

describe('extrapolatedRate against a plain reference', () => {
  it('gives the same bits on random series with resets, NaN, gaps and unordered eval times', () => {
    const rnd = prng(20261204);
    let compared = 0;
    let withResets = 0;
    for (let c = 0; c < 400; c++) {
      const n = Math.floor(rnd() * 120);
      const ints = rnd() < 0.25;
      const t = new Float64Array(n);
      const vals: number[] = [];
      let time = B + Math.floor(rnd() * 1e6) / 1000;
      let val = rnd() < 0.5 ? 0 : Math.floor(rnd() * 1000);
      for (let i = 0; i < n; i++) {
        // 10 s scrapes with millisecond jitter, now and then a long gap.
        time += rnd() < 0.05 ? 60 + Math.floor(rnd() * 300) : 10 + Math.floor(rnd() * 200 - 100) / 1000;
        t[i] = Math.round(time * 1000) / 1000;
        const r = rnd();
        if (r < 0.06) val = rnd() < 0.5 ? 0 : Math.floor(val * rnd());
        else val += ints ? Math.floor(rnd() * 50) : rnd() * 50;
        vals.push(!ints && rnd() < 0.05 ? NaN : val);
      }
      const v = ints ? Int32Array.from(vals) : Float64Array.from(vals);
      const range = [10, 20, 30.5, 60, 120, 300][Math.floor(rnd() * 6)];
      const lo = n ? t[0] - 50 : B;
      const hi = n ? t[n - 1] + 50 : B + 100;
      const step = [1, 5, 7.5, 10, 33.3][Math.floor(rnd() * 5)];
      let times = Array.from({ length: Math.max(0, Math.floor((hi - lo) / step)) }, (_, i) => lo + i * step);
      const order = rnd();
      if (order < 0.15) times.reverse();
      else if (order < 0.3) times = times.map((x) => ({ x, k: rnd() })).sort((a, b) => a.k - b.k).map((p) => p.x);
      else if (order < 0.4) times = times.flatMap((x) => (rnd() < 0.2 ? [x, x] : [x]));
      const ev = Float64Array.from(times);
      // Windows found once and shared by two series on the same timestamps (the second without NaN,
      // integers half the time) must give what each series gets on its own.
      const windows = rateWindows(t, ev, range);
      const v2 = rnd() < 0.5 ? Int32Array.from(vals, (x, i) => (Number.isNaN(x) ? i : Math.floor(x / 2))) : Float64Array.from(vals, (x, i) => (Number.isNaN(x) ? i : x * 1.5));
      for (const isCounter of [true, false]) {
        for (const isRate of [true, false]) {
          const want = referenceRate(t, v, ev, range, isCounter, isRate);
          const want2 = referenceRate(t, v2, ev, range, isCounter, isRate);
          for (const [how, got, w] of [
            ['alone', extrapolatedRate(t, v, ev, range, isCounter, isRate), want],
            ['shared windows', extrapolatedRateIn(windows, v, isCounter, isRate), want],
            ['shared windows, second series', extrapolatedRateIn(windows, v2, isCounter, isRate), want2],
          ] as const) {
            expect(got.length).toBe(w.length);
            for (let i = 0; i < got.length; i++) {
              if (!Object.is(got[i], w[i])) expect({ how, c, i, isCounter, isRate, got: got[i] }).toEqual({ how, c, i, isCounter, isRate, got: w[i] });
            }
            compared += got.length;
          }
        }
      }
      for (let i = 1; i < n; i++) if (vals[i] < vals[i - 1]) withResets++;
    }
    // The random cases really exercise what they are meant to.
    expect(compared).toBeGreaterThan(100_000);
    expect(withResets).toBeGreaterThan(500);
  });
});

describe('RateWindowCache', () => {
  it('rates and sums series sharing timestamps with the bits of extrapolatedRate and sumAligned', () => {
    const rnd = prng(7);
    const n = 500;
    // 10 s scrapes with millisecond jitter and a 1000 s gap (windows with fewer than two samples).
    const t = Float64Array.from({ length: n }, (_, i) => B + i * 10 + (i >= 250 ? 1000 : 0) + Math.floor(rnd() * 40 - 20) / 1000);
    const series: (Float64Array | Int32Array)[] = [];
    for (let s = 0; s < 6; s++) {
      let x = Math.floor(rnd() * 100);
      const vals = Array.from({ length: n }, () => (rnd() < 0.02 ? (x = Math.floor(rnd() * 5)) : (x += Math.floor(rnd() * 30))));
      // Floats with a NaN (a staleness marker) in one series, integers elsewhere; resets in all.
      series.push(s === 2 ? Float64Array.from(vals, (y, i) => (i === 77 ? NaN : y + 0.5)) : s % 2 ? Float64Array.from(vals) : Int32Array.from(vals));
    }
    const t2 = Float64Array.from({ length: n + 100 }, (_, i) => B + i * 10);
    const v2 = Int32Array.from(t2, (_, i) => i * 3);
    const grid = evalGrid(B, B + n * 10 + 1000, 70);
    const cache = new RateWindowCache();
    let resets = 0;
    for (const range of [280, 300, 3600]) {
      for (const isRate of [true, false]) {
        // Twice over: the first request of a (timestamps, grid, range) rates alone, later ones share windows.
        for (let pass = 0; pass < 2; pass++) {
          const alone = series.map((v) => extrapolatedRate(t, v, grid, range, true, isRate));
          series.forEach((v, i) => expect([...cache.rate(t, v, grid, range, true, isRate)]).toEqual([...alone[i]]));
          // Plus (first) a series on timestamps of its own, without the gap: the sum has values inside the gap.
          const sum = new Float64Array(grid.length).fill(NaN);
          cache.addRate(sum, t2, v2, grid, range, true, isRate);
          for (const v of series) cache.addRate(sum, t, v, grid, range, true, isRate);
          expect([...sum]).toEqual([...sumAligned([extrapolatedRate(t2, v2, grid, range, true, isRate), ...alone])]);
        }
      }
    }
    for (const v of series) for (let i = 1; i < n; i++) if (v[i] < v[i - 1]) resets++;
    expect(resets).toBeGreaterThan(20);
  });
});

describe('sumAligned', () => {
  it('adds present values, NaN only where every series is absent', () => {
    const out = sumAligned([f(1, NaN, NaN), f(2, 3, NaN)]);
    expect(out[0]).toBe(3);
    expect(out[1]).toBe(3);
    expect(Number.isNaN(out[2])).toBe(true);
    expect(sumAligned([]).length).toBe(0);
  });
});

describe('histogramQuantile', () => {
  const les = [0.1, 0.2, 1, Infinity];
  const counts = [50, 70, 110, 120];

  it('interpolates linearly inside the bucket', () => {
    // q=0.5: rank 60 → bucket (0.1, 0.2] holding 20, 10 into it → 0.1 + 0.1·10/20
    expect(histogramQuantile(0.5, les, counts)).toBeCloseTo(0.15, 15);
    // q=0.25: rank 30 → first bucket from 0: 0.1 · 30/50
    expect(histogramQuantile(0.25, les, counts)).toBeCloseTo(0.06, 15);
    // q=0.9: rank 108 → (0.2, 1] holding 40, 38 into it → 0.2 + 0.8·38/40 = 0.96
    expect(histogramQuantile(0.9, les, counts)).toBeCloseTo(0.96, 15);
    expect(histogramQuantile(0, les, counts)).toBe(0);
  });

  it('returns the highest finite bound when the rank falls in +Inf', () => {
    expect(histogramQuantile(0.95, les, counts)).toBe(1); // rank 114 > 110
    expect(histogramQuantile(1, les, counts)).toBe(1);
  });

  it('does not care about input order', () => {
    expect(histogramQuantile(0.5, [Infinity, 1, 0.1, 0.2], [120, 110, 50, 70])).toBeCloseTo(0.15, 15);
  });

  it('q outside [0, 1] and NaN q', () => {
    expect(histogramQuantile(-0.1, les, counts)).toBe(-Infinity);
    expect(histogramQuantile(1.1, les, counts)).toBe(Infinity);
    expect(Number.isNaN(histogramQuantile(NaN, les, counts))).toBe(true);
  });

  it('NaN without a +Inf bucket, with zero observations, with fewer than 2 buckets, on empty input', () => {
    expect(Number.isNaN(histogramQuantile(0.5, [0.1, 0.2, 1], [50, 70, 110]))).toBe(true);
    expect(Number.isNaN(histogramQuantile(0.5, les, [0, 0, 0, 0]))).toBe(true);
    expect(Number.isNaN(histogramQuantile(0.5, [Infinity], [10]))).toBe(true);
    expect(Number.isNaN(histogramQuantile(0.5, [], []))).toBe(true);
  });

  it('NaN for q=0 when the first bucket is empty (0/0, as Prometheus)', () => {
    expect(Number.isNaN(histogramQuantile(0, [0.1, 0.2, Infinity], [0, 5, 10]))).toBe(true);
  });

  it('negative buckets: the lowest bound is returned when it is ≤ 0', () => {
    const nl = [-0.2, -0.1, 0.3, Infinity];
    const nc = [10, 20, 20, 30];
    expect(histogramQuantile(0.2, nl, nc)).toBe(-0.2); // rank 6 in the lowest bucket
    expect(histogramQuantile(0.5, nl, nc)).toBeCloseTo(-0.15, 15); // rank 15: −0.2 + 0.1·5/10
    expect(histogramQuantile(0.67, nl, nc)).toBe(0.3); // rank 20.1 > 20 → +Inf bucket
  });

  it('fixes non-monotonic counts and coalesces equal bounds', () => {
    // 10, 5, 20 → 10, 10, 20; q=0.5 rank 10 → first bucket: 0.1·10/10; q=0.6 rank 12 → overflow → 0.2
    expect(histogramQuantile(0.5, [0.1, 0.2, Infinity], [10, 5, 20])).toBeCloseTo(0.1, 15);
    expect(histogramQuantile(0.6, [0.1, 0.2, Infinity], [10, 5, 20])).toBe(0.2);
    // le 0.1 twice (3 + 2 = 5): rank 4 → 0.1·4/5
    expect(histogramQuantile(0.4, [0.1, 0.1, Infinity], [3, 2, 10])).toBeCloseTo(0.08, 15);
  });

  it('treats NaN counts as absent buckets', () => {
    expect(histogramQuantile(0.5, [0.1, 0.2, 1, Infinity], [50, NaN, 110, 120])).toBeCloseTo(0.1 + 0.9 * (10 / 60), 15);
  });
});

describe('histogramQuantileDetail', () => {
  const les = [0.1, 0.2, 0.3, 1, Infinity];
  const counts = [10, 20, 30, 40, 50];
  it('names the bucket and flags wide ones', () => {
    const d = histogramQuantileDetail(0.5, les, counts); // rank 25 in (0.2, 0.3]: 0.2 + 0.1·5/10
    expect(d.kind).toBe('interpolated');
    expect(d.value).toBeCloseTo(0.25, 15);
    expect([d.lower, d.upper, d.bucketCount, d.totalCount]).toEqual([0.2, 0.3, 10, 50]);
    expect(d.wide).toBe(false); // (0.3 − 0.2)/0.3 = 0.33 ≤ 0.5
    const w = histogramQuantileDetail(0.7, les, counts); // rank 35 in (0.3, 1]: width 0.7 > 0.5
    expect(w.value).toBeCloseTo(0.65, 15);
    expect(w.wide).toBe(true);
    expect(histogramQuantileDetail(0.7, les, counts, { wideRelativeWidth: 0.8 }).wide).toBe(false);
  });
  it('first bucket and overflow are always wide', () => {
    const first = histogramQuantileDetail(0.05, les, counts);
    expect([first.kind, first.lower, first.upper, first.wide]).toEqual(['first-bucket', 0, 0.1, true]);
    const over = histogramQuantileDetail(0.9, les, counts);
    expect([over.kind, over.value, over.lower, over.upper, over.bucketCount, over.wide]).toEqual(['overflow', 1, 1, Infinity, 10, true]);
  });
  it('invalid results say so', () => {
    expect(histogramQuantileDetail(0.5, [1], [1]).kind).toBe('invalid');
  });
});

describe('histogramQuantileSeries', () => {
  it('computes the quantile at each grid point and counts wide/overflow points', () => {
    const les = [0.1, 0.2, 1, Infinity];
    const series = [f(50, 0, NaN), f(70, 0, NaN), f(110, 10, NaN), f(120, 20, NaN)];
    const r = histogramQuantileSeries(0.5, les, series);
    expect(r.value[0]).toBeCloseTo(0.15, 15);
    expect(r.value[1]).toBeCloseTo(1, 15); // rank 10 ≥ 10 in (0.2, 1] exactly at its top: 0.2 + 0.8·10/10
    expect(Number.isNaN(r.value[2])).toBe(true); // every bucket absent
    expect([...r.wide]).toEqual([0, 1, 0]);
    expect(r.wideCount).toBe(1);
    expect(r.overflowCount).toBe(0);
  });
});

describe('histogramQuantileSeries against histogramQuantileDetail per point', () => {
  it('same value, wide and overflow flags at every point (one detail object reused across points)', () => {
    const rnd = prng(42);
    const les = [0.05, 0.1, 0.1, 0.5, 1, 2.5, Infinity];
    const n = 400;
    // Random cumulative counts, some points with an absent bucket, some with nothing observed, some
    // non-monotonic (the fix applies), ranks landing in the first bucket and in +Inf.
    const series = les.map(() => new Float64Array(n));
    for (let i = 0; i < n; i++) {
      let c = rnd() < 0.1 ? 0 : Math.floor(rnd() * 5);
      for (let j = 0; j < les.length; j++) {
        c += rnd() < 0.2 ? 0 : Math.floor(rnd() * (j === les.length - 1 ? 40 : 8));
        series[j][i] = rnd() < 0.03 ? NaN : rnd() < 0.05 ? Math.max(0, c - 3) : c;
      }
    }
    for (const q of [0, 0.01, 0.5, 0.95, 0.999, 1, -0.1, 1.5, NaN]) {
      const r = histogramQuantileSeries(q, les, series);
      let wide = 0;
      let overflow = 0;
      for (let i = 0; i < n; i++) {
        const d = histogramQuantileDetail(q, les, series.map((s) => s[i]));
        expect([q, i, r.value[i], r.wide[i], r.overflow[i]]).toEqual([q, i, d.value, d.wide ? 1 : 0, d.kind === 'overflow' ? 1 : 0]);
        if (d.wide) wide++;
        if (d.kind === 'overflow') overflow++;
      }
      expect([r.wideCount, r.overflowCount]).toEqual([wide, overflow]);
    }
    // A detail returned earlier is not changed by later calls.
    const first = histogramQuantileDetail(0.5, les, [1, 2, 3, 4, 5, 6, 7]);
    const copy = { ...first };
    histogramQuantileDetail(0.99, les, [0, 0, 0, 0, 0, 0, 9]);
    histogramQuantileSeries(0.5, les, series);
    expect(first).toEqual(copy);
    expect(Object.keys(first)).toEqual(['value', 'kind', 'lower', 'upper', 'bucketCount', 'totalCount', 'wide']);
  });
});

describe('bucketFractionBelow', () => {
  const les = [0.1, 0.2, 1, Infinity];
  const counts = [50, 70, 110, 120];
  it('exact on a bucket boundary, interpolated elsewhere', () => {
    expect(bucketFractionBelow(0.2, les, counts)).toEqual({ fraction: 70 / 120, exact: true, lower: 0.2, upper: 0.2 });
    const mid = bucketFractionBelow(0.15, les, counts); // (50 + 20·0.5)/120
    expect(mid.fraction).toBeCloseTo(0.5, 15);
    expect([mid.exact, mid.lower, mid.upper]).toEqual([false, 0.1, 0.2]);
    expect(bucketFractionBelow(0.05, les, counts).fraction).toBeCloseTo(25 / 120, 15);
    expect(bucketFractionBelow(5, les, counts).fraction).toBeCloseTo(110 / 120, 15); // beyond the last finite bound
  });
  it('NaN without +Inf or observations', () => {
    expect(Number.isNaN(bucketFractionBelow(0.1, [0.1, 1], [1, 2]).fraction)).toBe(true);
    expect(Number.isNaN(bucketFractionBelow(0.1, les, [0, 0, 0, 0]).fraction)).toBe(true);
  });
});
