// Robust trend: Theil–Sen slope and the Mann–Kendall test, for leak-like steady growth.
//
// Theil–Sen is the median of the slopes of all pairs. Exact for up to `maxPairs` pairs (default 250,000,
// i.e. n ≤ 707); beyond that the median is taken over `maxPairs` pairs drawn with a seeded PRNG, so the
// cost is bounded (O(maxPairs) with a selection instead of a sort) and the result deterministic. The
// sampled median of pair slopes estimates the exact one with a rank error of about 1/√maxPairs
// (≈ 0.2 percentile points at the default).
//
// Mann–Kendall: S = Σ_{i<j} sign(v_j − v_i) counted exactly in O(n log n) (merge-sort inversion count),
// Var(S) = [n(n−1)(2n+5) − Σ t(t−1)(2t+5)] / 18 over tie groups of size t, z with continuity correction
// (S ∓ 1)/√Var, two-sided p = 2Φ(−|z|), tau = S / (n(n−1)/2) (Kendall's tau-a, as pymannkendall).
// The plain test assumes independent points; monitoring data is autocorrelated, which overstates
// significance. `pCorrected` inflates Var(S) by (1 + ρ₁)/(1 − ρ₁), ρ₁ the lag-1 autocorrelation of the
// Theil–Sen residuals (the AR(1) form of the Hamed–Rao / Yue–Wang effective-sample-size correction;
// only when ρ₁ > 0). Detectors should use `pCorrected` and the slope's magnitude, not `p` alone.

import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { lag1Autocorrelation } from './correlation.js';

export interface TheilSenResult {
  /** Median pair slope, value units per second. */
  slopePerSecond: number;
  /** v ≈ intercept + slopePerSecond · (t − originSeconds): median of the residual offsets. */
  intercept: number;
  /** t of the first point used (times are made relative to it to keep precision). */
  originSeconds: number;
  n: number;
  /** Pair slopes the median was taken over. */
  pairs: number;
  /** False when pairs were sampled (n(n−1)/2 > maxPairs). */
  exact: boolean;
}

export interface TheilSenOptions {
  maxPairs?: number;
  seed?: number;
}


/** k-th smallest (0-based) of a[0..n), in place (Hoare quickselect, median-of-three pivot). */
function select(a: Float64Array, n: number, k: number): number {
  let lo = 0;
  let hi = n - 1;
  while (hi > lo) {
    const mid = (lo + hi) >>> 1;
    // median of three as pivot
    let x = a[lo];
    let y = a[mid];
    let z = a[hi];
    if (x > y) [x, y] = [y, x];
    if (y > z) [y, z] = [z, y];
    if (x > y) [x, y] = [y, x];
    const pivot = y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function median(a: Float64Array, n: number): number {
  if (n === 0) return NaN;
  const h = n >> 1;
  const upper = select(a, n, h);
  if (n % 2) return upper;
  // the largest of the lower half after selection
  let lower = -Infinity;
  for (let i = 0; i < h; i++) if (a[i] > lower) lower = a[i];
  return (lower + upper) / 2;
}

/**
 * The points where both t and v are present, as Float64Arrays: the inputs themselves when they already
 * are that (nothing here writes into them), dense copies otherwise.
 */
function dense(t: ArrayLike<number>, v: ArrayLike<number>): [Float64Array, Float64Array] {
  if (t.length !== v.length) throw new Error(`trend: t has ${t.length} points, v has ${v.length}`);
  let n = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === v[i] && t[i] === t[i]) n++;
  if (n === v.length && t instanceof Float64Array && v instanceof Float64Array) return [t, v];
  const tt = new Float64Array(n);
  const vv = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < v.length; i++) {
    if (v[i] === v[i] && t[i] === t[i]) {
      tt[k] = t[i];
      vv[k++] = v[i];
    }
  }
  return [tt, vv];
}

/**
 * Scratch for the pair slopes and residuals, reused across calls (a sampled Theil–Sen fills 2 MB:
 * a fresh array each time cost more in page faults than the slopes themselves). Grown on demand.
 */
let scratch = new Float64Array(0);
function scratchOf(n: number): Float64Array {
  if (scratch.length < n) scratch = new Float64Array(Math.max(n, 2 * scratch.length));
  return scratch;
}

/** Theil–Sen slope (per second) and intercept of v over t. NaN slope with fewer than 2 distinct times. */
export function theilSen(tIn: ArrayLike<number>, vIn: ArrayLike<number>, opts: TheilSenOptions = {}): TheilSenResult {
  const [t, v] = dense(tIn, vIn);
  const n = t.length;
  const origin = n ? t[0] : NaN;
  const maxPairs = Math.max(1, Math.floor(opts.maxPairs ?? 250_000));
  const total = (n * (n - 1)) / 2;
  const exact = total <= maxPairs;
  // Only [0, m) is read: what is left from an earlier call beyond it does not matter.
  const slopes = scratchOf(Math.max(exact ? total : maxPairs, n));
  let m = 0;
  if (exact) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const dt = t[j] - t[i];
        if (dt !== 0) slopes[m++] = (v[j] - v[i]) / dt;
      }
    }
  } else {
    // mulberry32(seed)'s draws, its steps written out here: as a closure call each draw came back as a
    // boxed number (500,000 per fit). The same operations, so the same pairs.
    let a = (opts.seed ?? 1) >>> 0;
    for (let k = 0; k < maxPairs; k++) {
      a = (a + 0x6d2b79f5) >>> 0;
      let x = a;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      const i = Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * n);
      a = (a + 0x6d2b79f5) >>> 0;
      x = a;
      x = Math.imul(x ^ (x >>> 15), x | 1);
      x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
      let j = Math.floor((((x ^ (x >>> 14)) >>> 0) / 4294967296) * (n - 1));
      if (j >= i) j++;
      const dt = t[j] - t[i];
      if (dt !== 0) slopes[m++] = (v[j] - v[i]) / dt;
    }
  }
  const slope = median(slopes, m);
  // The slopes are no longer needed: the residuals take their place.
  const resid = slopes;
  for (let i = 0; i < n; i++) resid[i] = v[i] - slope * (t[i] - origin);
  const intercept = m ? median(resid, n) : NaN;
  return { slopePerSecond: slope, intercept, originSeconds: origin, n, pairs: m, exact };
}

export interface MannKendallResult {
  skipped?: undefined;
  n: number;
  /** Σ sign(v_j − v_i) over i < j. */
  s: number;
  varS: number;
  /** Kendall's tau-a = S / (n(n−1)/2). */
  tau: number;
  z: number;
  /** Two-sided p for independent observations. */
  p: number;
  /** Lag-1 autocorrelation of the Theil–Sen residuals (NaN when they are constant). */
  lag1: number;
  /** Factor applied to Var(S) for `zCorrected`/`pCorrected` (1 when lag1 ≤ 0). */
  varianceInflation: number;
  zCorrected: number;
  pCorrected: number;
}

export interface TrendSkipped {
  skipped: 'constant' | 'too-short';
  n: number;
  reason: string;
}

/**
 * Count pairs i < j with a[i] > a[j] (strict inversions) by merge sort; `a` is sorted in place.
 * Equal elements are not counted (the left one is taken first).
 */
function countInversions(a: Float64Array): number {
  const n = a.length;
  let buf: Float64Array = new Float64Array(n);
  let src: Float64Array = a;
  let inv = 0;
  for (let width = 1; width < n; width *= 2) {
    for (let lo = 0; lo < n; lo += 2 * width) {
      const mid = Math.min(lo + width, n);
      const hi = Math.min(lo + 2 * width, n);
      let i = lo;
      let j = mid;
      let k = lo;
      while (i < mid && j < hi) {
        if (src[i] <= src[j]) buf[k++] = src[i++];
        else {
          inv += mid - i;
          buf[k++] = src[j++];
        }
      }
      while (i < mid) buf[k++] = src[i++];
      while (j < hi) buf[k++] = src[j++];
    }
    const tmp = src;
    src = buf;
    buf = tmp;
  }
  if (src !== a) a.set(src);
  return inv;
}

/** S statistic and the tie term Σ t(t−1)(2t+5) of v in time order, O(n log n). */
function kendallS(v: Float64Array): { s: number; tieTerm: number; tiePairs: number } {
  const n = v.length;
  const a = v.slice();
  const discordant = countInversions(a); // a is now sorted
  let tieTerm = 0;
  let tiePairs = 0;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    while (j < n && a[j] === a[i]) j++;
    const g = j - i;
    if (g > 1) {
      tieTerm += g * (g - 1) * (2 * g + 5);
      tiePairs += (g * (g - 1)) / 2;
    }
    i = j;
  }
  const total = (n * (n - 1)) / 2;
  const concordant = total - discordant - tiePairs;
  return { s: concordant - discordant, tieTerm, tiePairs };
}

/**
 * Mann–Kendall trend test on v in time order (NaN dropped). `t` is only used for the Theil–Sen residuals
 * of the autocorrelation correction; pass the sample times. Skipped when fewer than `minPoints` (default
 * 4) values or all values equal.
 */
export function mannKendall(tIn: ArrayLike<number>, vIn: ArrayLike<number>, opts: { minPoints?: number } = {}): MannKendallResult | TrendSkipped {
  return mannKendallWithSlope(tIn, vIn, opts).mk;
}

/** mannKendall, and the Theil–Sen fit (default sampling) its correction used, when it got that far. */
function mannKendallWithSlope(tIn: ArrayLike<number>, vIn: ArrayLike<number>, opts: { minPoints?: number }): { mk: MannKendallResult | TrendSkipped; ts: TheilSenResult | null } {
  const [t, v] = dense(tIn, vIn);
  const n = v.length;
  const minPoints = Math.max(3, opts.minPoints ?? 4);
  if (n < minPoints) return { mk: { skipped: 'too-short', n, reason: `${n} points, need at least ${minPoints}` }, ts: null };
  const { s, tieTerm } = kendallS(v);
  const varS = (n * (n - 1) * (2 * n + 5) - tieTerm) / 18;
  if (!(varS > 0)) return { mk: { skipped: 'constant', n, reason: 'all values are equal' }, ts: null };
  const zOf = (variance: number) => (s > 0 ? (s - 1) / Math.sqrt(variance) : s < 0 ? (s + 1) / Math.sqrt(variance) : 0);
  const pOf = (z: number) => Math.min(1, 2 * normalCdf(-Math.abs(z), 0, 1));
  const z = zOf(varS);
  const ts = theilSen(t, v);
  const resid = new Float64Array(n);
  for (let i = 0; i < n; i++) resid[i] = v[i] - ts.slopePerSecond * (t[i] - ts.originSeconds);
  const lag1 = lag1Autocorrelation(resid);
  const varianceInflation = lag1 > 0 ? (lag1 >= 1 ? Infinity : (1 + lag1) / (1 - lag1)) : 1;
  const zCorrected = Number.isFinite(varianceInflation) ? zOf(varS * varianceInflation) : 0;
  return { mk: { n, s, varS, tau: s / ((n * (n - 1)) / 2), z, p: pOf(z), lag1, varianceInflation, zCorrected, pCorrected: pOf(zCorrected) }, ts };
}

/** Theil–Sen slope plus Mann–Kendall significance in one result. */
export function trend(
  t: ArrayLike<number>,
  v: ArrayLike<number>,
  opts: TheilSenOptions & { minPoints?: number } = {},
): (TheilSenResult & MannKendallResult) | TrendSkipped {
  const { mk, ts } = mannKendallWithSlope(t, v, opts);
  if (mk.skipped !== undefined) return mk;
  // The test's own fit is this one when the options ask for the default sampling (same points, same
  // pairs): computed once, not twice.
  const defaultSampling = Math.max(1, Math.floor(opts.maxPairs ?? 250_000)) === 250_000 && (opts.seed ?? 1) === 1;
  return { ...(ts && defaultSampling ? ts : theilSen(t, v, opts)), ...mk };
}
