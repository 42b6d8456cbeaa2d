// Rolling statistics and anomaly scoring over Float64Arrays, plus merging anomalous points into episodes.
//
// Why hand-written loops: for 10M points and a 60-sample window, rolling sums / Welford over a
// Float64Array took 116 ms against 536 ms for @stdlib `incr/mmeanstdev`, 1,957 ms for @stdlib
// recomputed per window and 3,011 ms for simple-statistics per window (shared/notes/measured-facts.md;
// re-measured by `npm run bench -- stats-rolling`). The library is the bottleneck here, so we loop.
//
// Conventions: NaN values are missing points — they are skipped inside windows and get a NaN score.
// Standard deviations are sample standard deviations (divisor n − 1).

export interface RollingOptions {
  /** Trailing window length in samples. */
  window: number;
  /** Minimum non-NaN samples in the window for a value to be computed (clamped to [2, window]). */
  minSamples?: number;
}

export interface ZScoreOptions extends RollingOptions {
  /** |score| at or above which a point is anomalous. Default 3. */
  threshold?: number;
}

function checkWindow(window: number): void {
  if (!Number.isInteger(window) || window < 2) throw new RangeError(`window must be an integer ≥ 2, got ${window}`);
}

function minCount(opts: RollingOptions): number {
  const m = opts.minSamples ?? opts.window;
  return Math.max(2, Math.min(opts.window, Math.floor(m)));
}

/**
 * Welford accumulator that can also remove a value (for sliding windows). Re-summed from scratch every
 * 65,536 updates so rounding drift cannot build up over tens of millions of points.
 */
class SlidingMoments {
  n = 0;
  mean = 0;
  m2 = 0;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
  }
  /** Replace y (in the window) by x with the count unchanged: one update instead of add + remove. */
  replace(x: number, y: number, invN: number): void {
    const oldMean = this.mean;
    const newMean = oldMean + (x - y) * invN;
    this.mean = newMean;
    this.m2 += (x - y) * (x - newMean + y - oldMean);
    if (this.m2 < 0) this.m2 = 0;
  }
  remove(x: number): void {
    if (this.n <= 1) {
      this.n = 0;
      this.mean = 0;
      this.m2 = 0;
      return;
    }
    const d = x - this.mean;
    this.n--;
    this.mean -= d / this.n;
    this.m2 -= d * (x - this.mean);
    if (this.m2 < 0) this.m2 = 0;
  }
  /** Exact two-pass recomputation over v[from, to). */
  reset(v: Float64Array, from: number, to: number): void {
    let n = 0;
    let s = 0;
    for (let i = from; i < to; i++) {
      const x = v[i];
      if (x === x) {
        n++;
        s += x;
      }
    }
    const mean = n ? s / n : 0;
    let m2 = 0;
    for (let i = from; i < to; i++) {
      const x = v[i];
      if (x === x) m2 += (x - mean) * (x - mean);
    }
    this.n = n;
    this.mean = mean;
    this.m2 = m2;
  }
  std(): number {
    return this.n > 1 ? Math.sqrt(this.m2 / (this.n - 1)) : NaN;
  }
}

const RESYNC = 1 << 16;

/**
 * Mean and sample standard deviation of the trailing window v[i − window + 1 … i] (inclusive of i).
 * NaN where the window holds fewer than `minSamples` non-NaN values (default: a full window).
 */
export function rollingMeanStd(v: Float64Array, opts: RollingOptions): { mean: Float64Array; std: Float64Array } {
  checkWindow(opts.window);
  const w = opts.window;
  const need = minCount(opts);
  const n = v.length;
  const mean = new Float64Array(n);
  const std = new Float64Array(n);
  const acc = new SlidingMoments();
  const invW = 1 / w;
  for (let i = 0; i < n; i++) {
    if (i % RESYNC === 0 && i > 0) acc.reset(v, Math.max(0, i - w), i);
    const x = v[i];
    const out = i - w;
    const y = out >= 0 ? v[out] : NaN;
    if (x === x && y === y && acc.n === w) acc.replace(x, y, invW);
    else {
      if (x === x) acc.add(x);
      if (y === y) acc.remove(y);
    }
    if (acc.n >= need) {
      mean[i] = acc.mean;
      std[i] = acc.std();
    } else {
      mean[i] = NaN;
      std[i] = NaN;
    }
  }
  return { mean, std };
}

/**
 * Rolling z-score: each point against the `window` samples BEFORE it (v[i − window … i − 1]), so a spike
 * does not inflate its own baseline. NaN where the point is NaN or the baseline has fewer than
 * `minSamples` values (default: a full window). A zero-variance baseline gives 0 for an equal point and
 * ±Infinity for a different one (a step off a flat line is as anomalous as it gets; renderers must cope).
 */
export function rollingZScore(v: Float64Array, opts: RollingOptions): Float64Array {
  checkWindow(opts.window);
  const w = opts.window;
  const need = minCount(opts);
  const n = v.length;
  const z = new Float64Array(n);
  const acc = new SlidingMoments();
  const invW = 1 / w;
  for (let i = 0; i < n; i++) {
    // acc holds v[i − w … i − 1]
    if (i % RESYNC === 0 && i > 0) acc.reset(v, Math.max(0, i - w), i);
    const x = v[i];
    if (x !== x || acc.n < need) z[i] = NaN;
    else {
      const d = x - acc.mean;
      const s = acc.std();
      z[i] = s > 0 ? d / s : d === 0 ? 0 : d > 0 ? Infinity : -Infinity;
    }
    const out = i - w;
    const y = out >= 0 ? v[out] : NaN;
    if (x === x && y === y && acc.n === w) acc.replace(x, y, invW);
    else {
      if (x === x) acc.add(x);
      if (y === y) acc.remove(y);
    }
  }
  return z;
}

/** Consistency constant making the MAD an estimator of σ for normal data: 1 / Φ⁻¹(3/4). */
export const MAD_SCALE = 1.4826;

/** Median of the first m entries of a sorted array. */
export function sortedMedian(a: Float64Array, m: number): number {
  const h = m >> 1;
  return m % 2 ? a[h] : (a[h - 1] + a[h]) / 2;
}

/**
 * Median absolute deviation from `med` of sorted a[0..m): the median of |a[i] − med|. The deviations form
 * two sorted runs — left of the median read backwards, and right of it — so the k-th smallest deviation is
 * found by a binary search over how many come from the left run: O(log m), no copy.
 */
export function sortedMad(a: Float64Array, m: number, med: number): number {
  let r = 0; // first index with a[r] ≥ med; left run L[i] = med − a[r − 1 − i], right run R[j] = a[r + j] − med
  let hi = m;
  while (r < hi) {
    const mid = (r + hi) >>> 1;
    if (a[mid] < med) r = mid + 1;
    else hi = mid;
  }
  const k1 = (m - 1) >> 1;
  const k2 = m >> 1;
  return k1 === k2 ? kthDeviation(a, m, r, med, k1) : (kthDeviation(a, m, r, med, k1) + kthDeviation(a, m, r, med, k2)) / 2;
}

/** k-th smallest (0-based) of the merged runs L and R described in `sortedMad`. */
function kthDeviation(a: Float64Array, m: number, r: number, med: number, k: number): number {
  let lo = Math.max(0, k + 1 - (m - r));
  let up = Math.min(k + 1, r);
  while (lo < up) {
    const i = (lo + up) >>> 1; // take i from L, k + 1 − i from R
    if (med - a[r - 1 - i] < a[r + k - i] - med) lo = i + 1;
    else up = i;
  }
  const j = k + 1 - lo;
  const fromL = lo > 0 ? med - a[r - lo] : -Infinity;
  const fromR = j > 0 ? a[r + j - 1] - med : -Infinity;
  return fromL > fromR ? fromL : fromR;
}

/** Median and MAD of a whole array, NaN ignored. NaN for an all-NaN or empty array. */
export function medianMad(v: ArrayLike<number>): { median: number; mad: number; n: number } {
  const a = new Float64Array(v.length);
  let m = 0;
  for (let i = 0; i < v.length; i++) if (v[i] === v[i]) a[m++] = v[i];
  if (m === 0) return { median: NaN, mad: NaN, n: 0 };
  const s = a.subarray(0, m).sort();
  const med = sortedMedian(s, m);
  return { median: med, mad: sortedMad(s, m, med), n: m };
}

function robustScore(x: number, med: number, mad: number): number {
  const d = x - med;
  const scale = MAD_SCALE * mad;
  if (scale > 0) return d / scale;
  return d === 0 ? 0 : d > 0 ? Infinity : -Infinity;
}

/**
 * Robust z-scores against the whole array: (x − median) / (1.4826 · MAD). For heavy-tailed metrics where a
 * few extreme points would inflate a standard deviation. When the MAD is 0 (more than half the points
 * equal), points equal to the median score 0 and the others ±Infinity. NaN stays NaN.
 */
export function robustZScore(v: Float64Array): Float64Array {
  const { median, mad } = medianMad(v);
  const z = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) z[i] = v[i] === v[i] && median === median ? robustScore(v[i], median, mad) : NaN;
  return z;
}

/**
 * Rolling robust z-score: each point against the median/MAD of the `window` samples before it.
 * The baseline is kept sorted: each step replaces the outgoing value by the incoming one in place
 * (O(distance between their ranks)), and the MAD comes from the sorted window in O(log window).
 */
export function rollingRobustZScore(v: Float64Array, opts: RollingOptions): Float64Array {
  checkWindow(opts.window);
  const w = opts.window;
  const need = minCount(opts);
  const n = v.length;
  const z = new Float64Array(n);
  const win = new Float64Array(w);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if (x !== x || m < need) z[i] = NaN;
    else {
      const med = sortedMedian(win, m);
      z[i] = robustScore(x, med, sortedMad(win, m, med));
    }
    const out = i - w;
    const y = out >= 0 ? v[out] : NaN;
    const hasX = x === x;
    if (y === y) {
      // Find y (binary search), then slide the entries between y's slot and x's place by one and drop x
      // in: one pass over the span between the two ranks instead of a full delete plus a full insert.
      let lo = 0;
      let hi = m;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (win[mid] < y) lo = mid + 1;
        else hi = mid;
      }
      let q = lo;
      if (hasX) {
        if (x > y) {
          while (q + 1 < m && win[q + 1] < x) {
            win[q] = win[q + 1];
            q++;
          }
        } else {
          while (q > 0 && win[q - 1] > x) {
            win[q] = win[q - 1];
            q--;
          }
        }
        win[q] = x;
      } else {
        for (; q < m - 1; q++) win[q] = win[q + 1];
        m--;
      }
    } else if (hasX) {
      let q = m;
      while (q > 0 && win[q - 1] > x) {
        win[q] = win[q - 1];
        q--;
      }
      win[q] = x;
      m++;
    }
  }
  return z;
}

export interface Episode {
  startIndex: number;
  endIndex: number;
  startSeconds: number;
  endSeconds: number;
  /** Index, time and value of the point with the largest |score|. */
  peakIndex: number;
  peakSeconds: number;
  peakValue: number;
  peakScore: number;
  direction: 'up' | 'down';
  /** Anomalous points in the episode (≤ endIndex − startIndex + 1 when gaps were bridged). */
  anomalousPoints: number;
}

export interface EpisodeOptions {
  /** |score| at or above which a point is anomalous. Default 3. */
  threshold?: number;
  /** Up to this many non-anomalous points between two anomalous ones still join one episode. Default 0. */
  maxGap?: number;
  /** Drop episodes with fewer anomalous points than this. Default 1. */
  minPoints?: number;
}

/**
 * Merge anomalous points (|score| ≥ threshold) into episodes. Consecutive anomalous points of the same
 * direction join, bridging up to `maxGap` non-anomalous (or NaN) points; a point of the opposite
 * direction starts a new episode (a spike up then a dip are two events). An episode spans from its first
 * to its last anomalous point.
 */
export function episodes(t: Float64Array, v: Float64Array, score: Float64Array, opts: EpisodeOptions = {}): Episode[] {
  if (t.length !== v.length || v.length !== score.length) throw new Error('episodes: t, v and score lengths differ');
  const threshold = opts.threshold ?? 3;
  const maxGap = opts.maxGap ?? 0;
  const minPoints = opts.minPoints ?? 1;
  const out: Episode[] = [];
  let cur: Episode | null = null;
  const close = () => {
    if (cur && cur.anomalousPoints >= minPoints) out.push(cur);
    cur = null;
  };
  for (let i = 0; i < score.length; i++) {
    const s = score[i];
    if (!(Math.abs(s) >= threshold)) continue;
    const dir = s > 0 ? 'up' : 'down';
    const c = cur as Episode | null;
    if (c && c.direction === dir && i - c.endIndex - 1 <= maxGap) {
      c.endIndex = i;
      c.endSeconds = t[i];
      c.anomalousPoints++;
      if (Math.abs(s) > Math.abs(c.peakScore)) {
        c.peakIndex = i;
        c.peakSeconds = t[i];
        c.peakValue = v[i];
        c.peakScore = s;
      }
    } else {
      close();
      cur = {
        startIndex: i,
        endIndex: i,
        startSeconds: t[i],
        endSeconds: t[i],
        peakIndex: i,
        peakSeconds: t[i],
        peakValue: v[i],
        peakScore: s,
        direction: dir,
        anomalousPoints: 1,
      };
    }
  }
  close();
  return out;
}

/** Convenience: rolling z-scores (classic or robust) and their episodes in one call. */
export function detectAnomalies(
  t: Float64Array,
  v: Float64Array,
  opts: ZScoreOptions & { robust?: boolean; maxGap?: number; minPoints?: number },
): { score: Float64Array; episodes: Episode[] } {
  const score = opts.robust ? rollingRobustZScore(v, opts) : rollingZScore(v, opts);
  return { score, episodes: episodes(t, v, score, { threshold: opts.threshold ?? 3, maxGap: opts.maxGap, minPoints: opts.minPoints }) };
}
