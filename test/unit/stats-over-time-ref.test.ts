// avg_over_time and predict_linear against a plain reference: one window at a time (rangeSamples), the
// compensated sums through a helper returning the (sum, compensation) pair, as Prometheus's kahanSumInc.
// The implementation writes those steps out in its loops; it must give the same bits.
import { describe, expect, it } from 'vitest';
import { mulberry32 as prng } from '../../src/stats/prng.js';
import { overTime, predictLinear } from '../../src/stats/promql-over-time.js';
import { rangeSamples } from '../../src/stats/promql.js';

function kahanInc(inc: number, sum: number, c: number): [number, number] {
  const t = sum + inc;
  if (Math.abs(sum) >= Math.abs(inc)) c += sum - t + inc;
  else c += inc - t + sum;
  return [t, c];
}

const ms = (x: number) => Math.round(x * 1000);

function refAvg(t: Float64Array, v: Float64Array, T: number, r: number): number {
  const { start, end } = rangeSamples(t, T, r);
  if (end <= start) return NaN;
  let mean = 0;
  let c = 0;
  let count = 0;
  for (let i = start; i < end; i++) {
    count++;
    [mean, c] = kahanInc(v[i] / count - mean / count, mean, c);
  }
  return mean + c;
}

function refPredict(t: Float64Array, v: Float64Array, T: number, r: number, ahead: number): number {
  const { start, end } = rangeSamples(t, T, r);
  if (end - start < 2) return NaN;
  let n = 0;
  let sumX = 0, cX = 0, sumY = 0, cY = 0, sumXY = 0, cXY = 0, sumX2 = 0, cX2 = 0;
  let constY = true;
  for (let i = start; i < end; i++) {
    const y = v[i];
    if (i > start && y !== v[start]) constY = false;
    n += 1;
    const x = (ms(t[i]) - ms(T)) / 1e3;
    [sumX, cX] = kahanInc(x, sumX, cX);
    [sumY, cY] = kahanInc(y, sumY, cY);
    [sumXY, cXY] = kahanInc(x * y, sumXY, cXY);
    [sumX2, cX2] = kahanInc(x * x, sumX2, cX2);
  }
  let slope: number;
  let intercept: number;
  if (constY) [slope, intercept] = Number.isFinite(v[start]) ? [0, v[start]] : [NaN, NaN];
  else {
    sumX += cX;
    sumY += cY;
    sumXY += cXY;
    sumX2 += cX2;
    slope = (sumXY - (sumX * sumY) / n) / (sumX2 - (sumX * sumX) / n);
    intercept = sumY / n - (slope * sumX) / n;
  }
  return slope * ahead + intercept;
}

describe('compensated range functions against a plain reference', () => {
  it('avg_over_time and predict_linear give the same bits on random gauges', () => {
    const rnd = prng(42);
    const B = 1_700_000_000;
    let compared = 0;
    for (let c = 0; c < 60; c++) {
      const n = 20 + Math.floor(rnd() * 300);
      const t = new Float64Array(n);
      const v = new Float64Array(n);
      let time = B;
      let level = rnd() * 1e9;
      for (let i = 0; i < n; i++) {
        time += 10 + Math.floor(rnd() * 100 - 50) / 1000;
        t[i] = Math.round(time * 1000) / 1000;
        // large level, small wiggles and steps: where compensation matters; now and then a flat stretch
        level += rnd() < 0.1 ? 0 : (rnd() - 0.4) * 1e3;
        v[i] = rnd() < 0.05 ? -level : level + rnd();
      }
      const range = [30, 60, 300, 600][Math.floor(rnd() * 4)];
      const ev = Float64Array.from({ length: 80 }, (_, k) => t[0] + k * ((t[n - 1] - t[0]) / 79));
      const avg = overTime('avg_over_time', t, v, ev, range);
      const pred = predictLinear(t, v, ev, range, 3600);
      for (let k = 0; k < ev.length; k++) {
        expect(Object.is(avg[k], refAvg(t, v, ev[k], range))).toBe(true);
        expect(Object.is(pred[k], refPredict(t, v, ev[k], range, 3600))).toBe(true);
        compared++;
      }
    }
    expect(compared).toBe(60 * 80);
  });
});
