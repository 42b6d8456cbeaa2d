// Comparing two samples of requests: a share (requests cut at max_tokens, aborted) between two
// stretches of time, and the distance between two histograms of lengths. Pure numerics on counts, no
// vLLM knowledge (src/derive/quality.ts chooses the counts).

/**
 * z of the rise of a share from a baseline (k0 of n0) to a window (k1 of n1), pooled two-proportion
 * test: (p1 − p0) / √(p̄(1 − p̄)(1/n1 + 1/n0)) with p̄ = (k0 + k1) / (n0 + n1). 0 when both shares are
 * equal (including both 0 or both 1), ±Infinity when they differ and p̄(1 − p̄) is 0 (cannot happen with
 * counts), NaN when either sample is empty.
 */
export function twoProportionZ(k1: number, n1: number, k0: number, n0: number): number {
  if (!(n1 > 0) || !(n0 > 0)) return NaN;
  const p1 = k1 / n1;
  const p0 = k0 / n0;
  if (p1 === p0) return 0;
  const p = (k0 + k1) / (n0 + n1);
  const se = Math.sqrt(p * (1 - p) * (1 / n1 + 1 / n0));
  return se > 0 ? (p1 - p0) / se : p1 > p0 ? Infinity : -Infinity;
}

/** Proportions of a vector of counts (NaN and negative counts as 0); null when the total is 0. */
export function proportions(counts: ArrayLike<number>): Float64Array | null {
  const total = positiveTotal(counts);
  if (!(total > 0)) return null;
  const out = new Float64Array(counts.length);
  for (let i = 0; i < counts.length; i++) out[i] = counts[i] > 0 ? counts[i] / total : 0;
  return out;
}

/**
 * Population stability index between a baseline and a window, both given as counts per bucket (the
 * same buckets, not cumulative): Σ (a − e) · ln(a / e) over the buckets, with each proportion floored
 * at `epsilon` so that a bucket empty on one side contributes a finite amount (a bucket empty on both
 * contributes 0). Symmetric in its arguments; 0 for identical shapes. NaN when either side is empty.
 *
 * Under no change the PSI of two samples is not 0: for B occupied buckets it is about
 * (B − 1)(1/n_a + 1/n_e) (its chi-square approximation), which `psiNoiseFloor` gives; callers require
 * enough requests that this floor is small against their threshold.
 */
export function psi(expected: ArrayLike<number>, actual: ArrayLike<number>, epsilon = 1e-4): number {
  if (expected.length !== actual.length) throw new Error(`psi: ${expected.length} vs ${actual.length} buckets`);
  // The proportions as `proportions` computes them, one at a time: no arrays (the length-drift scan
  // calls this at every grid point of every scope).
  const te = positiveTotal(expected);
  const ta = positiveTotal(actual);
  if (!(te > 0) || !(ta > 0)) return NaN;
  let s = 0;
  for (let i = 0; i < expected.length; i++) {
    const e = expected[i] > 0 ? expected[i] / te : 0;
    const a = actual[i] > 0 ? actual[i] / ta : 0;
    if (e === 0 && a === 0) continue;
    const pe = Math.max(e, epsilon);
    const pa = Math.max(a, epsilon);
    s += (pa - pe) * Math.log(pa / pe);
  }
  return s;
}

/** Sum of the positive counts (NaN and negative counts as 0), as `proportions` totals them. */
function positiveTotal(counts: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i];
    if (c > 0) total += c;
  }
  return total;
}

/** The PSI two samples of n_e and n_a observations over `buckets` occupied buckets show under no change: (B − 1)(1/n_a + 1/n_e). */
export function psiNoiseFloor(buckets: number, nExpected: number, nActual: number): number {
  if (!(nExpected > 0) || !(nActual > 0)) return NaN;
  return Math.max(0, buckets - 1) * (1 / nExpected + 1 / nActual);
}

/**
 * Kolmogorov–Smirnov distance between two binned samples: the largest gap between their cumulative
 * proportions at the bucket bounds. On binned data this is a lower bound of the KS distance of the
 * underlying samples (a shift inside one bucket is invisible). NaN when either side is empty.
 */
export function ksBinned(expected: ArrayLike<number>, actual: ArrayLike<number>): number {
  if (expected.length !== actual.length) throw new Error(`ksBinned: ${expected.length} vs ${actual.length} buckets`);
  const e = proportions(expected);
  const a = proportions(actual);
  if (!e || !a) return NaN;
  let ce = 0;
  let ca = 0;
  let d = 0;
  for (let i = 0; i < e.length; i++) {
    ce += e[i];
    ca += a[i];
    d = Math.max(d, Math.abs(ca - ce));
  }
  return d;
}
