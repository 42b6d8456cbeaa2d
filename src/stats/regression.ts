// Ordinary least squares with standard errors, Student-t quantiles, and two-sample tests on block
// means: the numerics behind the capacity review (growth of daily peaks, step time against batch
// size) and `vllm-tune compare`. Pure, no vLLM knowledge. Formulas in docs/capacity.md.

import { lag1Autocorrelation } from './correlation.js';
import tcdf from '@stdlib/stats-base-dists-t-cdf';

export interface OlsFit {
  /** Coefficients, one per column of X. */
  beta: number[];
  /** Standard error of each coefficient: √(s² · (XᵀX)⁻¹ᵢᵢ). */
  se: number[];
  /** Covariance of the coefficients: s² · (XᵀX)⁻¹. */
  cov: number[][];
  /** Residual variance s² = RSS / (n − p). */
  residualVariance: number;
  /** Degrees of freedom n − p. */
  df: number;
  n: number;
  /** 1 − RSS / TSS (TSS about the mean of y). */
  r2: number;
}

/**
 * OLS of y on the columns of X (rows are observations; include a column of ones for an intercept).
 * Null when there are no more observations than columns or XᵀX is singular. Small p only (the
 * normal equations, solved by Gauss–Jordan elimination with partial pivoting).
 */
export function ols(X: readonly (readonly number[])[], y: readonly number[]): OlsFit | null {
  const n = y.length;
  if (!n || X.length !== n) return null;
  const p = X[0].length;
  if (n <= p) return null;
  const xtx = Array.from({ length: p }, () => new Array<number>(p).fill(0));
  const xty = new Array<number>(p).fill(0);
  for (let i = 0; i < n; i++) {
    const row = X[i];
    for (let a = 0; a < p; a++) {
      xty[a] += row[a] * y[i];
      for (let b = 0; b < p; b++) xtx[a][b] += row[a] * row[b];
    }
  }
  const inv = invert(xtx);
  if (!inv) return null;
  const beta = inv.map((r) => r.reduce((s, v, j) => s + v * xty[j], 0));
  let rss = 0;
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += y[i];
  ybar /= n;
  let tss = 0;
  for (let i = 0; i < n; i++) {
    let fit = 0;
    for (let a = 0; a < p; a++) fit += beta[a] * X[i][a];
    rss += (y[i] - fit) ** 2;
    tss += (y[i] - ybar) ** 2;
  }
  const df = n - p;
  const s2 = rss / df;
  const cov = inv.map((r) => r.map((v) => v * s2));
  return { beta, se: cov.map((r, i) => Math.sqrt(Math.max(0, r[i]))), cov, residualVariance: s2, df, n, r2: tss > 0 ? 1 - rss / tss : NaN };
}

/** Inverse of a small square matrix by Gauss–Jordan elimination (null when singular). */
export function invert(m: readonly (readonly number[])[]): number[][] | null {
  const p = m.length;
  const a = m.map((r, i) => [...r, ...Array.from({ length: p }, (_, j) => (i === j ? 1 : 0))]);
  let scale = 0;
  for (const r of m) for (const v of r) scale = Math.max(scale, Math.abs(v));
  for (let c = 0; c < p; c++) {
    let piv = c;
    for (let r = c + 1; r < p; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
    if (!(Math.abs(a[piv][c]) > 1e-12 * Math.max(1, scale))) return null;
    [a[c], a[piv]] = [a[piv], a[c]];
    const d = a[c][c];
    for (let j = 0; j < 2 * p; j++) a[c][j] /= d;
    for (let r = 0; r < p; r++) {
      if (r === c) continue;
      const f = a[r][c];
      if (f === 0) continue;
      for (let j = 0; j < 2 * p; j++) a[r][j] -= f * a[c][j];
    }
  }
  return a.map((r) => r.slice(p));
}

/** Fitted value x·β and its standard error √(x Σ xᵀ) (the confidence band of the mean, not a prediction band). */
export function predict(fit: OlsFit, x: readonly number[]): { value: number; se: number } {
  let v = 0;
  for (let i = 0; i < x.length; i++) v += fit.beta[i] * x[i];
  let s = 0;
  for (let i = 0; i < x.length; i++) for (let j = 0; j < x.length; j++) s += x[i] * fit.cov[i][j] * x[j];
  return { value: v, se: Math.sqrt(Math.max(0, s)) };
}

/**
 * The p-quantile of Student's t with `df` degrees of freedom, by bisection on @stdlib's CDF (to 1e-10;
 * df may be fractional, as Welch's is). Infinity-safe: df ≥ 1e6 is the normal quantile to that precision.
 */
export function tQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return NaN;
  if (p === 0.5) return 0;
  if (p < 0.5) return -tQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (tcdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-10 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (tcdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Two-sided p-value of a t statistic. */
export function tTwoSidedP(t: number, df: number): number {
  if (!Number.isFinite(t) || !(df > 0)) return NaN;
  return 2 * (1 - tcdf(Math.abs(t), df));
}

/** Lag-1 autocorrelation of a dense array (NaN when constant or shorter than 3). */
export function lag1(a: readonly number[]): number {
  return a.length < 3 ? NaN : lag1Autocorrelation(a);
}

/**
 * Block length for batch means of an autocorrelated series. Under AR(1) the variance of a mean is
 * (1 + ρ)/(1 − ρ) times the independent one: that many values carry one independent observation. Block
 * means of that length are still correlated with their neighbours, so blocks are twice as long; ρ is the
 * lag-1 autocorrelation corrected for its small-sample bias (Kendall: E[ρ̂] ≈ ρ − (1 + 3ρ)/n). Capped so
 * that at least `minBlocks` blocks remain (then the test is weaker than it says: docs/capacity.md).
 */
export function blockLength(a: readonly number[], minBlocks = 3): number {
  const r = lag1(a);
  const want = Number.isFinite(r) ? blockLengthFor(r, a.length) : 1;
  return Math.max(1, Math.min(want, Math.floor(a.length / minBlocks)));
}

/** The uncapped block length for an estimated lag-1 autocorrelation over n values. */
export function blockLengthFor(rhoHat: number, n: number): number {
  const r = Math.min(0.99, rhoHat + (1 + 3 * rhoHat) / n);
  return r > 0 ? Math.ceil((2 * (1 + r)) / (1 - r)) : 1;
}

/** Means of consecutive blocks of `len` values (a shorter last block is dropped unless it is the only one). */
export function blockMeans(a: readonly number[], len: number): number[] {
  const out: number[] = [];
  for (let i = 0; i + len <= a.length; i += len) {
    let s = 0;
    for (let j = i; j < i + len; j++) s += a[j];
    out.push(s / len);
  }
  if (!out.length && a.length) out.push(a.reduce((s, v) => s + v, 0) / a.length);
  return out;
}

export interface WelchResult {
  /** mean(b) − mean(a). */
  difference: number;
  se: number;
  df: number;
  t: number;
  p: number;
  /** 95 % confidence interval of the difference. */
  low: number;
  high: number;
}

/** Welch's unequal-variance t test of mean(b) − mean(a); null with fewer than 2 values on a side. */
export function welch(a: readonly number[], b: readonly number[], level = 0.95): WelchResult | null {
  if (a.length < 2 || b.length < 2) return null;
  const mean = (x: readonly number[]) => x.reduce((s, v) => s + v, 0) / x.length;
  const variance = (x: readonly number[], m: number) => x.reduce((s, v) => s + (v - m) ** 2, 0) / (x.length - 1);
  const ma = mean(a);
  const mb = mean(b);
  const va = variance(a, ma) / a.length;
  const vb = variance(b, mb) / b.length;
  const se = Math.sqrt(va + vb);
  const difference = mb - ma;
  // Rounding noise is no spread (block means of one constant differ in the last bits): below 1e-12 of
  // the values' size, the spread and the difference count as zero.
  const tiny = 1e-12 * (1 + Math.abs(ma) + Math.abs(mb));
  if (!(se > tiny)) {
    const same = Math.abs(difference) <= tiny;
    return { difference, se: 0, df: a.length + b.length - 2, t: same ? 0 : Infinity * Math.sign(difference), p: same ? 1 : 0, low: difference, high: difference };
  }
  const df = (va + vb) ** 2 / ((va * va) / (a.length - 1) + (vb * vb) / (b.length - 1));
  const t = difference / se;
  const q = tQuantile(1 - (1 - level) / 2, df);
  return { difference, se, df, t, p: tTwoSidedP(t, df), low: difference - q * se, high: difference + q * se };
}
