// Correlations between metrics: Pearson, Spearman, and lagged cross-correlation to tell which moved first,
// with p-values that do not overstate significance for autocorrelated monitoring series.
//
// Significance. For a correlation r over n pairs, t = r·√(df / (1 − r²)) follows Student's t with
// df = n_eff − 2 under the null. Monitoring series are strongly autocorrelated (a 10 s sample is much
// like the one before), which makes n overstate the independent information. We use the effective
// sample size of Bartlett (1946) for two AR(1)-like series, as popularised by Bretherton et al. (1999):
//
//     n_eff = n · (1 − ρx·ρy) / (1 + ρx·ρy)
//
// where ρx, ρy are the lag-1 autocorrelations of the paired series. It is applied only when ρx·ρy > 0
// (it never raises n), and clamped to [3, n] so df ≥ 1. The t CDF is @stdlib's (individual package).
//
// NaN marks a missing point: Pearson/Spearman use the pairs where both values are present.

import tcdf from '@stdlib/stats-base-dists-t-cdf';

export interface CorrelationOptions {
  /** Fewer complete pairs than this → skipped 'too-short'. Default 4 (clamped to ≥ 3). */
  minPoints?: number;
  /** Apply the autocorrelation (effective n) correction. Default true. */
  autocorrelationCorrection?: boolean;
}

export interface CorrelationResult {
  skipped?: undefined;
  r: number;
  /** Complete pairs used. */
  n: number;
  /** Effective sample size after the autocorrelation correction (= n without it). */
  nEffective: number;
  /** Lag-1 autocorrelations of the two paired series (of their ranks for Spearman). */
  lag1: [number, number];
  t: number;
  df: number;
  /** Two-sided p-value. */
  p: number;
}

export interface CorrelationSkipped {
  skipped: 'constant' | 'too-short';
  n: number;
  reason: string;
}

export type Correlation = CorrelationResult | CorrelationSkipped;

/** Lag-1 autocorrelation Σ(aᵢ − ā)(aᵢ₊₁ − ā) / Σ(aᵢ − ā)² of a dense array (NaN when constant or n < 2). */
export function lag1Autocorrelation(a: ArrayLike<number>): number {
  const n = a.length;
  if (n < 2) return NaN;
  let s = 0;
  for (let i = 0; i < n; i++) s += a[i];
  const m = s / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = a[i] - m;
    den += d * d;
    if (i + 1 < n) num += d * (a[i + 1] - m);
  }
  return den > 0 ? num / den : NaN;
}

/** The complete pairs of x and y (both non-NaN), as dense arrays. */
function completePairs(x: ArrayLike<number>, y: ArrayLike<number>): [Float64Array, Float64Array] {
  if (x.length !== y.length) throw new Error(`correlation: x has ${x.length} points, y has ${y.length}`);
  let n = 0;
  for (let i = 0; i < x.length; i++) if (x[i] === x[i] && y[i] === y[i]) n++;
  const a = new Float64Array(n);
  const b = new Float64Array(n);
  let k = 0;
  for (let i = 0; i < x.length; i++) {
    if (x[i] === x[i] && y[i] === y[i]) {
      a[k] = x[i];
      b[k++] = y[i];
    }
  }
  return [a, b];
}

function isConstant(a: Float64Array): boolean {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < min) min = a[i];
    if (a[i] > max) max = a[i];
  }
  return min === max;
}

function skipCheck(a: Float64Array, b: Float64Array, minPoints: number): CorrelationSkipped | null {
  const n = a.length;
  if (n < minPoints) return { skipped: 'too-short', n, reason: `${n} complete pairs, need at least ${minPoints}` };
  const ca = isConstant(a);
  const cb = isConstant(b);
  if (ca || cb) return { skipped: 'constant', n, reason: ca && cb ? 'both series are constant' : `the ${ca ? 'first' : 'second'} series is constant` };
  return null;
}

/** Pearson r of dense arrays, two-pass for accuracy, clamped to [−1, 1]. */
function pearsonDense(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    sa += a[i];
    sb += b[i];
  }
  const ma = sa / n;
  const mb = sb / n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i] - ma;
    const db = b[i] - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  const r = sab / Math.sqrt(saa * sbb);
  return r > 1 ? 1 : r < -1 ? -1 : r;
}

/** Significance of r over dense arrays a, b (already checked). */
function significance(r: number, a: Float64Array, b: Float64Array, correct: boolean): CorrelationResult {
  const n = a.length;
  const l1a = lag1Autocorrelation(a);
  const l1b = lag1Autocorrelation(b);
  let nEff = n;
  const prod = l1a * l1b;
  if (correct && prod > 0) nEff = Math.min(n, Math.max(3, (n * (1 - prod)) / (1 + prod)));
  const df = nEff - 2;
  const rr = r * r;
  const t = rr >= 1 ? (r > 0 ? Infinity : -Infinity) : r * Math.sqrt(df / (1 - rr));
  const p = Number.isFinite(t) ? Math.min(1, 2 * tcdf(-Math.abs(t), df)) : 0;
  return { r, n, nEffective: nEff, lag1: [l1a, l1b], t, df, p };
}

/** Pearson correlation over the complete pairs, with an autocorrelation-aware p-value. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>, opts: CorrelationOptions = {}): Correlation {
  const [a, b] = completePairs(x, y);
  const skip = skipCheck(a, b, Math.max(3, opts.minPoints ?? 4));
  if (skip) return skip;
  return significance(pearsonDense(a, b), a, b, opts.autocorrelationCorrection ?? true);
}

/** Ranks 1…n with ties given their average rank. */
export function averageRanks(a: ArrayLike<number>): Float64Array {
  const n = a.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((i, j) => a[i] - a[j]);
  const ranks = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i + 1;
    while (j < n && a[idx[j]] === a[idx[i]]) j++;
    const avg = (i + 1 + j) / 2; // ranks i+1 … j
    for (let k = i; k < j; k++) ranks[idx[k]] = avg;
    i = j;
  }
  return ranks;
}

/** Spearman correlation (Pearson of average ranks) over the complete pairs, same p-value treatment. */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>, opts: CorrelationOptions = {}): Correlation {
  const [a, b] = completePairs(x, y);
  const skip = skipCheck(a, b, Math.max(3, opts.minPoints ?? 4));
  if (skip) return skip;
  const ra = averageRanks(a);
  const rb = averageRanks(b);
  return significance(pearsonDense(ra, rb), ra, rb, opts.autocorrelationCorrection ?? true);
}

export interface LaggedOptions extends CorrelationOptions {
  method?: 'pearson' | 'spearman';
}

export interface LaggedResult extends CorrelationResult {
  /**
   * Lag (in samples) with the largest |r|. Positive: the FIRST series leads — x at i pairs with y at i + lag,
   * so a change in x shows up in y `lag` samples later. Negative: the second series leads.
   */
  bestLag: number;
  /** p of the best lag multiplied by the number of lags tried (Bonferroni), capped at 1. */
  pAdjusted: number;
  /** Every lag tried, −maxLag … maxLag, and its r (NaN where that lag was skipped). */
  lags: Int32Array;
  rByLag: Float64Array;
}

/**
 * Lagged cross-correlation over lags −maxLag … maxLag (in samples, on series already aligned to one step).
 * Returns the lag with the largest |r| (ties: the smaller |lag|, then the positive one) with its p-value;
 * because picking the best of 2·maxLag + 1 lags inflates significance, `pAdjusted` applies Bonferroni.
 * Skipped with the reason of lag 0 when no lag can be evaluated.
 */
export function laggedCorrelation(x: ArrayLike<number>, y: ArrayLike<number>, maxLag: number, opts: LaggedOptions = {}): LaggedResult | CorrelationSkipped {
  if (x.length !== y.length) throw new Error(`laggedCorrelation: x has ${x.length} points, y has ${y.length}`);
  if (!Number.isInteger(maxLag) || maxLag < 0) throw new RangeError(`maxLag must be a non-negative integer, got ${maxLag}`);
  const n = x.length;
  const fn = opts.method === 'spearman' ? spearman : pearson;
  const L = Math.min(maxLag, Math.max(0, n - 1));
  const lags = new Int32Array(2 * L + 1);
  const rByLag = new Float64Array(2 * L + 1).fill(NaN);
  for (let k = -L; k <= L; k++) lags[k + L] = k;
  const slice = (a: ArrayLike<number>, from: number, to: number): Float64Array => Float64Array.from({ length: to - from }, (_, i) => a[from + i]);
  let best: CorrelationResult | null = null;
  let bestLag = 0;
  let lag0Skip: CorrelationSkipped | null = null;
  // Visit 0, 1, −1, 2, −2, … so a strict improvement is needed to move away from smaller lags.
  for (let step = 0; step <= 2 * L; step++) {
    const k = step === 0 ? 0 : step % 2 ? (step + 1) / 2 : -step / 2;
    // x[i] with y[i + k]: for k ≥ 0, i ∈ [0, n − k); for k < 0, i ∈ [−k, n)
    const xs = k >= 0 ? slice(x, 0, n - k) : slice(x, -k, n);
    const ys = k >= 0 ? slice(y, k, n) : slice(y, 0, n + k);
    const c = fn(xs, ys, opts);
    if (c.skipped !== undefined) {
      if (k === 0) lag0Skip = c;
      continue;
    }
    rByLag[k + L] = c.r;
    if (!best || Math.abs(c.r) > Math.abs(best.r)) {
      best = c;
      bestLag = k;
    }
  }
  if (!best) return lag0Skip ?? { skipped: 'too-short', n, reason: 'no lag had enough complete pairs' };
  return { ...best, bestLag, pAdjusted: Math.min(1, best.p * lags.length), lags, rByLag };
}
