// Anomaly episodes against a frozen, robust baseline.
//
// A trailing rolling window (rolling.ts) learns from every point, so a level shift becomes "normal" as
// soon as it fills the window: a 30-minute incident scored against a 10-minute trailing window reads as
// a 10-minute episode. Here the baseline learns only from points that were not anomalous, and it is
// frozen while an episode runs, so a shift stays anomalous for as long as it lasts — up to
// `maxEpisodeSeconds`, after which a shift that is still there is accepted as the new normal (the
// episode says so, and the baseline restarts from the shifted data).
//
// The baseline at a point is the median of the last `baselineSeconds / stepSeconds` accepted points;
// its scale is max(1.4826 · MAD, absFloor, relFloor · |median|), with 1.2533 · mean absolute deviation
// standing in for a MAD of 0 (more than half the baseline on one value: a small integer gauge). The floors keep a flat baseline (a
// queue at 0, no preemptions: MAD 0) from scoring every small move as infinitely anomalous, and keep a
// change that is small against the level itself (2 % on a busy gauge) from counting. The score of a
// point is (x − median) / scale, a robust z. A caller may add a floor that depends on the level
// (`floorAt`): for a quantile read off histogram buckets, the bucket's resolution. Everything is in seconds so that an incident reads the same
// on a 10-second and on a 70-second grid.
//
// Pure numerics, no vLLM knowledge: src/derive/anomalies.ts chooses the series and the floors.

import { MAD_SCALE, sortedMad, sortedMedian } from './rolling.js';

export interface FrozenBaselineOptions {
  /** Spacing of the points in seconds (the evaluation grid's step). */
  stepSeconds: number;
  /** The baseline is the last `baselineSeconds / stepSeconds` accepted (non-anomalous) points. */
  baselineSeconds: number;
  /** Points are scored only once this much accepted data exists; before that they are learnt, unscored. */
  minBaselineSeconds: number;
  /** … and at least this many points (a MAD of a handful of points is not a spread). */
  minBaselinePoints: number;
  /** |score| at or above which a point is anomalous. */
  threshold: number;
  /** An episode must span at least this long (first to last anomalous point, plus one step). */
  minEpisodeSeconds: number;
  /** Calm stretches up to this long between anomalous points of one direction do not end the episode. */
  bridgeSeconds: number;
  /** A shift still present after this long is accepted as the new normal. */
  maxEpisodeSeconds: number;
  /** Smallest scale, in the series' unit. Must be > 0. */
  absFloor: number;
  /** Smallest scale as a fraction of |baseline median|. */
  relFloor: number;
  /** |score| reported at most this large (the episode records that it was capped). */
  scoreCap: number;
  /**
   * An extra scale floor that depends on the baseline's level — for a series read off histogram
   * buckets, the resolution of the bucket the baseline lies in (the caller knows the layout).
   */
  floorAt?: (median: number) => number;
}

export interface BaselineEpisode {
  startIndex: number;
  /** Last anomalous point. */
  endIndex: number;
  startSeconds: number;
  /** Last anomalous point's time plus one step (the point stands for its interval). */
  endSeconds: number;
  peakIndex: number;
  peakSeconds: number;
  peakValue: number;
  /** Robust z of the peak, capped at ±scoreCap. */
  peakScore: number;
  /** The uncapped score (may be very large when the baseline is tight). */
  rawPeakScore: number;
  scoreCapped: boolean;
  direction: 'up' | 'down';
  /** Baseline median and scale the episode was scored against (frozen for its duration). */
  baselineValue: number;
  baselineScale: number;
  anomalousPoints: number;
  /** The episode reached maxEpisodeSeconds and the shift became the new baseline. */
  acceptedAsNormal: boolean;
}

export interface FrozenBaselineResult {
  /** Score per point (NaN while the baseline warms up and where the value is NaN). */
  score: Float64Array;
  /** Baseline median in force at each point (NaN while warming up). */
  baseline: Float64Array;
  episodes: BaselineEpisode[];
}

/**
 * A window of the last `capacity` values pushed, kept sorted as well, so that its median and MAD cost
 * O(log n) and a push O(n) memory moves (n ≤ a few hundred here).
 */
export class SortedFifo {
  private readonly ring: Float64Array;
  readonly sorted: Float64Array;
  private head = 0;
  size = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be an integer ≥ 1, got ${capacity}`);
    this.ring = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  push(x: number): void {
    if (x !== x) return;
    if (this.size === this.capacity) {
      const out = this.ring[this.head];
      const k = this.lowerBound(out);
      this.sorted.copyWithin(k, k + 1, this.size);
      this.size--;
    }
    const k = this.upperBound(x);
    this.sorted.copyWithin(k + 1, k, this.size);
    this.sorted[k] = x;
    this.size++;
    this.ring[this.head] = x;
    this.head = (this.head + 1) % this.capacity;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
  }

  median(): number {
    return this.size ? sortedMedian(this.sorted, this.size) : NaN;
  }

  mad(med: number): number {
    return this.size ? sortedMad(this.sorted, this.size, med) : NaN;
  }

  /** Mean absolute deviation from `med` (O(size); used only when the MAD is 0). */
  meanAbsDev(med: number): number {
    if (!this.size) return NaN;
    let s = 0;
    for (let i = 0; i < this.size; i++) s += Math.abs(this.sorted[i] - med);
    return s / this.size;
  }

  private lowerBound(x: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private upperBound(x: number): number {
    let lo = 0;
    let hi = this.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] <= x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

interface Open {
  start: number;
  lastAnom: number;
  peak: number;
  peakZ: number;
  dir: 'up' | 'down';
  med: number;
  scale: number;
  points: number;
}

function check(o: FrozenBaselineOptions): void {
  if (!(o.stepSeconds > 0)) throw new RangeError(`stepSeconds must be > 0, got ${o.stepSeconds}`);
  if (!(o.absFloor > 0)) throw new RangeError(`absFloor must be > 0, got ${o.absFloor}`);
  if (!(o.threshold > 0)) throw new RangeError(`threshold must be > 0, got ${o.threshold}`);
  if (!(o.baselineSeconds >= o.stepSeconds)) throw new RangeError('baselineSeconds must be at least one step');
}

/**
 * Score each point against the frozen baseline and merge anomalous points into episodes (see the file
 * header). `t` ascending, evenly spaced by `stepSeconds` (gaps are NaN values, not missing times).
 */
export function frozenBaselineAnomalies(t: Float64Array, v: Float64Array, o: FrozenBaselineOptions): FrozenBaselineResult {
  if (t.length !== v.length) throw new Error('frozenBaselineAnomalies: t and v lengths differ');
  check(o);
  const n = v.length;
  const step = o.stepSeconds;
  const cap = Math.max(1, Math.round(o.baselineSeconds / step));
  const need = Math.min(cap, Math.max(o.minBaselinePoints, Math.ceil(o.minBaselineSeconds / step)));
  const fifo = new SortedFifo(cap);
  const score = new Float64Array(n).fill(NaN);
  const baseline = new Float64Array(n).fill(NaN);
  const episodes: BaselineEpisode[] = [];
  let cur: Open | null = null;
  /** Calm points seen since the open episode's last anomalous point: learnt only if the episode ends. */
  let pending: number[] = [];

  const close = (accepted: boolean): void => {
    const c = cur!;
    cur = null;
    if (!accepted) for (const j of pending) fifo.push(v[j]);
    pending = [];
    if (t[c.lastAnom] - t[c.start] + step < o.minEpisodeSeconds) return;
    const raw = c.peakZ;
    const capped = Math.abs(raw) > o.scoreCap;
    episodes.push({
      startIndex: c.start,
      endIndex: c.lastAnom,
      startSeconds: t[c.start],
      endSeconds: t[c.lastAnom] + step,
      peakIndex: c.peak,
      peakSeconds: t[c.peak],
      peakValue: v[c.peak],
      peakScore: capped ? Math.sign(raw) * o.scoreCap : raw,
      rawPeakScore: raw,
      scoreCapped: capped,
      direction: c.dir,
      baselineValue: c.med,
      baselineScale: c.scale,
      anomalousPoints: c.points,
      acceptedAsNormal: accepted,
    });
  };

  for (let i = 0; i < n; i++) {
    const x = v[i];
    // A calm (or missing) stretch longer than the bridge ends the open episode; its calm points are learnt.
    if (cur && t[i] - t[cur.lastAnom] - step > o.bridgeSeconds) close(false);
    if (x !== x) continue;
    if (fifo.size < need && !cur) {
      fifo.push(x);
      continue;
    }
    // While an episode runs the baseline is the one it opened with (nothing is learnt meanwhile).
    let med: number = cur ? cur.med : fifo.median();
    let scale: number = cur ? cur.scale : baselineScale(fifo, med, o);
    let z = zOf(x, med, scale);
    let anom = Math.abs(z) >= o.threshold;
    const dir = z > 0 ? 'up' : 'down';
    if (cur && anom && dir !== cur.dir) {
      // The other direction: a new event (a spike, then a dip). Re-score against the refreshed baseline.
      close(false);
      med = fifo.median();
      scale = baselineScale(fifo, med, o);
      z = zOf(x, med, scale);
      anom = Math.abs(z) >= o.threshold;
    }
    score[i] = z;
    baseline[i] = med;
    if (cur) {
      if (anom) {
        cur.lastAnom = i;
        cur.points++;
        pending = [];
        if (Math.abs(z) > Math.abs(cur.peakZ)) {
          cur.peak = i;
          cur.peakZ = z;
        }
      } else pending.push(i);
    } else if (anom) {
      cur = { start: i, lastAnom: i, peak: i, peakZ: z, dir: z > 0 ? 'up' : 'down', med, scale, points: 1 };
    } else fifo.push(x);
    if (cur && t[i] - t[cur.start] + step >= o.maxEpisodeSeconds) {
      // The shift has lasted the longest an episode may: it is the new normal. The baseline restarts
      // from the latest points (the shifted level), up to one baseline's worth.
      close(true);
      fifo.clear();
      for (let j = Math.max(0, i - cap + 1); j <= i; j++) fifo.push(v[j]);
    }
  }
  if (cur) close(false);
  return { score, baseline, episodes };
}

/** √(π/2): makes the mean absolute deviation an estimator of σ for normal data. */
export const MEAN_AD_SCALE = 1.2533141373155;

/**
 * The baseline's spread as a σ: 1.4826 · MAD, or — when more than half the baseline sits on one value
 * (a small integer gauge, a quantile stuck at a bucket bound) and the MAD is 0 — 1.2533 · the mean
 * absolute deviation from the median (the fallback of the modified z-score), then the floors.
 */
export function baselineScale(fifo: SortedFifo, med: number, o: Pick<FrozenBaselineOptions, 'absFloor' | 'relFloor' | 'floorAt'>): number {
  const mad = fifo.mad(med);
  const spread = mad > 0 ? MAD_SCALE * mad : MEAN_AD_SCALE * fifo.meanAbsDev(med);
  const extra = o.floorAt ? o.floorAt(med) : 0;
  return Math.max(spread === spread ? spread : 0, o.absFloor, o.relFloor * Math.abs(med), extra > 0 ? extra : 0);
}

function zOf(x: number, med: number, scale: number): number {
  return (x - med) / scale;
}
