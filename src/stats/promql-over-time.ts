// PromQL range functions beyond rate/increase, as Prometheus 2.42 evaluates them over float samples:
// `resets`, `changes`, `avg_over_time`, `min_over_time`, `max_over_time`, `predict_linear`. Written from
// the behaviour of promql/functions.go (2.42); no code was copied. The window is the one `rangeSamples`
// in promql.ts decides (2.x: T − range ≤ t ≤ T, both ends closed), computed in integer milliseconds.
//
// Every function returns one value per evaluation time, NaN where Prometheus returns no element (no
// sample in the window; for predict_linear, fewer than two). NaN sample values (staleness markers) are
// skipped, as in promql.ts.

import { toMs } from './promql.js';

export type OverTimeFn = 'resets' | 'changes' | 'avg_over_time' | 'min_over_time' | 'max_over_time';

// Compensated sums are Neumaier's, as Prometheus's kahanSumInc: t = sum + inc; c += (sum − t) + inc when
// |sum| ≥ |inc|, else (inc − t) + sum; sum = t. Written out where used (a helper returning the pair
// allocated one per sample in the hot loops).

/** Clean (t in ms, v) arrays without NaN samples. */
function clean(t: Float64Array, v: Float64Array | Int32Array): { tMs: Float64Array; v: Float64Array | Int32Array } {
  if (t.length !== v.length) throw new Error(`range function: t has ${t.length} samples, v has ${v.length}`);
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === v[i]) n++;
  const tMs = new Float64Array(n);
  const vv = n === v.length ? v : new Float64Array(n);
  let k = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== v[i]) continue;
    tMs[k] = toMs(t[i]);
    if (vv !== v) vv[k] = v[i];
    k++;
  }
  return { tMs, v: vv };
}

/** Calls `f(lo, hi, k)` with the sample index range [lo, hi) of each evaluation time k. */
function windows(tMs: Float64Array, evalTimes: Float64Array, rangeSeconds: number, f: (lo: number, hi: number, k: number) => void): void {
  const rangeMs = toMs(rangeSeconds);
  const n = tMs.length;
  let lo = 0;
  let hi = 0;
  let prev = -Infinity;
  for (let k = 0; k < evalTimes.length; k++) {
    const maxt = toMs(evalTimes[k]);
    const mint = maxt - rangeMs;
    if (maxt < prev) {
      lo = 0;
      hi = 0;
    }
    prev = maxt;
    while (lo < n && tMs[lo] < mint) lo++;
    if (hi < lo) hi = lo;
    while (hi < n && tMs[hi] <= maxt) hi++;
    f(lo, hi, k);
  }
}

/** `resets`, `changes` or `<agg>_over_time` of `x[rangeSeconds]` at each evaluation time. */
export function overTime(fn: OverTimeFn, tIn: Float64Array, vIn: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number): Float64Array {
  const { tMs, v } = clean(tIn, vIn);
  const out = new Float64Array(evalTimes.length);
  windows(tMs, evalTimes, rangeSeconds, (lo, hi, k) => {
    if (hi <= lo) {
      out[k] = NaN;
      return;
    }
    switch (fn) {
      case 'resets': {
        let r = 0;
        for (let i = lo + 1; i < hi; i++) if (v[i] < v[i - 1]) r++;
        out[k] = r;
        return;
      }
      case 'changes': {
        let c = 0;
        for (let i = lo + 1; i < hi; i++) if (v[i] !== v[i - 1]) c++;
        out[k] = c;
        return;
      }
      case 'max_over_time': {
        let m = v[lo];
        for (let i = lo + 1; i < hi; i++) if (v[i] > m) m = v[i];
        out[k] = m;
        return;
      }
      case 'min_over_time': {
        let m = v[lo];
        for (let i = lo + 1; i < hi; i++) if (v[i] < m) m = v[i];
        out[k] = m;
        return;
      }
      case 'avg_over_time': {
        // Incremental mean with compensation, the form Prometheus uses against overflow.
        let mean = 0;
        let c = 0;
        let count = 0;
        for (let i = lo; i < hi; i++) {
          count++;
          // kahanInc(v[i] / count − mean / count, mean, c), written out: no pair allocated per sample.
          const inc = v[i] / count - mean / count;
          const t = mean + inc;
          if (Math.abs(mean) >= Math.abs(inc)) c += mean - t + inc;
          else c += inc - t + mean;
          mean = t;
        }
        out[k] = mean + c;
        return;
      }
    }
  });
  return out;
}

/**
 * Least-squares slope and intercept of the samples in [lo, hi), x measured in seconds from
 * `interceptMs` (Prometheus's linearRegression with compensated sums; a constant series has slope 0).
 */
export function linearRegression(tMs: Float64Array, v: Float64Array | Int32Array, lo: number, hi: number, interceptMs: number): { slope: number; intercept: number } {
  let n = 0;
  let sumX = 0;
  let cX = 0;
  let sumY = 0;
  let cY = 0;
  let sumXY = 0;
  let cXY = 0;
  let sumX2 = 0;
  let cX2 = 0;
  const initY = v[lo];
  let constY = true;
  for (let i = lo; i < hi; i++) {
    const y = v[i];
    if (constY && i > lo && y !== initY) constY = false;
    n += 1;
    const x = (tMs[i] - interceptMs) / 1e3;
    // Four kahanInc steps written out (the same operations, no pair allocated per sample).
    let t = sumX + x;
    if (Math.abs(sumX) >= Math.abs(x)) cX += sumX - t + x;
    else cX += x - t + sumX;
    sumX = t;
    t = sumY + y;
    if (Math.abs(sumY) >= Math.abs(y)) cY += sumY - t + y;
    else cY += y - t + sumY;
    sumY = t;
    const xy = x * y;
    t = sumXY + xy;
    if (Math.abs(sumXY) >= Math.abs(xy)) cXY += sumXY - t + xy;
    else cXY += xy - t + sumXY;
    sumXY = t;
    const x2 = x * x;
    t = sumX2 + x2;
    if (Math.abs(sumX2) >= Math.abs(x2)) cX2 += sumX2 - t + x2;
    else cX2 += x2 - t + sumX2;
    sumX2 = t;
  }
  if (constY) return Number.isFinite(initY) ? { slope: 0, intercept: initY } : { slope: NaN, intercept: NaN };
  sumX += cX;
  sumY += cY;
  sumXY += cXY;
  sumX2 += cX2;
  const covXY = sumXY - (sumX * sumY) / n;
  const varX = sumX2 - (sumX * sumX) / n;
  const slope = covXY / varX;
  const intercept = sumY / n - (slope * sumX) / n;
  return { slope, intercept };
}

/** `predict_linear(x[rangeSeconds], aheadSeconds)` at each evaluation time (NaN with fewer than 2 samples). */
export function predictLinear(tIn: Float64Array, vIn: Float64Array | Int32Array, evalTimes: Float64Array, rangeSeconds: number, aheadSeconds: number): Float64Array {
  const { tMs, v } = clean(tIn, vIn);
  const out = new Float64Array(evalTimes.length);
  windows(tMs, evalTimes, rangeSeconds, (lo, hi, k) => {
    if (hi - lo < 2) {
      out[k] = NaN;
      return;
    }
    const { slope, intercept } = linearRegression(tMs, v, lo, hi, toMs(evalTimes[k]));
    out[k] = slope * aheadSeconds + intercept;
  });
  return out;
}
