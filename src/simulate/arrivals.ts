// Request arrivals: a Poisson process per stream, non-homogeneous by thinning against the rate
// profile, and the draw of each request's prompt (shared prefix + unique part), output length and
// max_tokens. Each stream has its own seeded generator, so a stream's requests do not depend on what
// the engine does with them (a counterfactual run with other settings sees the same traffic).

import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { Req } from './request.js';
import { Rng, zipfCdf } from './rng.js';
import type { EmpiricalDist, MixSchedule, RateProfile, StreamSpec } from './types.js';

export class ArrivalStream {
  readonly spec: StreamSpec;
  private readonly rng: Rng;
  private readonly prefixCdf: Float64Array | null;
  readonly prefixLens: Int32Array;
  private rateMax = NaN;
  next = Infinity;

  constructor(spec: StreamSpec, rng: Rng, maxModelLen: number, readonly index = 0) {
    this.spec = spec;
    this.rng = rng;
    const p = spec.prefix;
    this.prefixCdf = p && p.share > 0 ? zipfCdf(p.count, p.zipf) : null;
    this.prefixLens = new Int32Array(p ? p.count : 0);
    if (p) for (let i = 0; i < p.count; i++) this.prefixLens[i] = clampInt(rng.logNormal(p.length.median, p.length.sigma), 16, Math.floor(maxModelLen / 2));
  }

  /** Next arrival after `t` by thinning a Poisson process at the maximum rate. */
  advance(t: number, end: number): void {
    if (this.rateMax !== this.rateMax) this.rateMax = maxRate(this.spec.rate, end);
    if (this.rateMax <= 0) {
      this.next = Infinity;
      return;
    }
    let x = t;
    for (;;) {
      x += this.rng.exp(this.rateMax);
      if (x >= end) {
        this.next = Infinity;
        return;
      }
      if (this.rng.next() * this.rateMax <= rateAt(this.spec.rate, x)) {
        this.next = x;
        return;
      }
    }
  }

  /** Draw the request that arrives now. */
  draw(id: number, maxModelLen: number, waiting: number): Req {
    const s = this.spec;
    if (s.mix) return this.drawFromMix(id, maxModelLen, waiting, s.mix);
    const rng = this.rng;
    let prefixId = -1;
    let prefixLen = 0;
    if (this.prefixCdf && rng.next() < s.prefix!.share) {
      prefixId = rng.zipf(this.prefixCdf);
      prefixLen = this.prefixLens[prefixId];
    }
    const unique = clampInt(rng.logNormal(s.prompt.median, s.prompt.sigma), 1, maxModelLen);
    const promptLen = Math.min(prefixLen + unique, maxModelLen - 16);
    if (prefixLen > promptLen) prefixLen = promptLen;
    const natural = clampInt(rng.logNormal(s.output.median, s.output.sigma), 1, 1 << 20);
    const maxTokens = s.maxTokens[rng.int(s.maxTokens.length)];
    const limit = Math.max(1, Math.min(maxTokens, maxModelLen - promptLen));
    const stop = natural < limit;
    return new Req(id, this.next, promptLen, stop ? natural : limit, stop ? 'stop' : 'length', maxTokens, prefixId, prefixLen, waiting, this.index);
  }

  /** Replay: total prompt and output lengths from the segment's measured histograms; a shared prefix carved out of the prompt. */
  private drawFromMix(id: number, maxModelLen: number, waiting: number, mix: MixSchedule): Req {
    const s = this.spec;
    const rng = this.rng;
    const seg = Math.min(mix.prompt.length - 1, Math.max(0, Math.floor(this.next / mix.step)));
    let prefixId = -1;
    let prefixLen = 0;
    if (this.prefixCdf && rng.next() < s.prefix!.share) {
      prefixId = rng.zipf(this.prefixCdf);
      prefixLen = this.prefixLens[prefixId];
    }
    // The two lengths' ranks coupled by a Gaussian copula with correlation rho (replay calibrates it).
    let u1: number;
    let u2: number;
    const rho = mix.rho ?? 0;
    if (rho !== 0) {
      const z1 = rng.normal();
      const z2 = rho * z1 + Math.sqrt(1 - rho * rho) * rng.normal();
      u1 = normalCdf(z1, 0, 1);
      u2 = normalCdf(z2, 0, 1);
    } else {
      u1 = rng.next();
      u2 = rng.next();
    }
    const promptLen = Math.min(sampleEmpirical(mix.prompt[seg], rng, u1), maxModelLen - 16);
    if (prefixLen > promptLen - 1) prefixLen = promptLen - 1;
    if (prefixLen <= 0) {
      prefixLen = 0;
      prefixId = -1;
    }
    const out = Math.max(1, Math.min(sampleEmpirical(mix.output[seg], rng, u2), maxModelLen - promptLen));
    return new Req(id, this.next, promptLen, out, 'stop', maxModelLen, prefixId, prefixLen, waiting, this.index);
  }
}

/** Bucket `i` of an empirical distribution: its bounds. */
function bucketSpan(d: Pick<EmpiricalDist, 'bounds' | 'max'>, i: number): [number, number] {
  const lo = i === 0 ? 0.5 : d.bounds[i - 1];
  const hi = i < d.bounds.length ? d.bounds[i] : Math.max(lo, d.max);
  return [lo, hi];
}

/** Inverse CDF of the density ∝ x^(−a) on [lo, hi]. */
function powerInv(lo: number, hi: number, a: number, u: number): number {
  if (Math.abs(a - 1) < 1e-9) return lo * Math.pow(hi / lo, u);
  const e = 1 - a;
  const l = Math.pow(lo, e);
  return Math.pow(l + u * (Math.pow(hi, e) - l), 1 / e);
}

/** Mean of the density ∝ x^(−a) on [lo, hi]. */
export function powerMean(lo: number, hi: number, a: number): number {
  if (!(hi > lo)) return hi;
  if (Math.abs(a - 1) < 1e-9) return (hi - lo) / Math.log(hi / lo);
  if (Math.abs(a - 2) < 1e-9) return Math.log(hi / lo) / (1 / lo - 1 / hi);
  return ((1 - a) / (2 - a)) * (Math.pow(hi, 2 - a) - Math.pow(lo, 2 - a)) / (Math.pow(hi, 1 - a) - Math.pow(lo, 1 - a));
}

/** A draw from an empirical (histogram) length distribution, ≥ 1; `u` picks the bucket (its rank). */
export function sampleEmpirical(d: EmpiricalDist, rng: Rng, u = rng.next()): number {
  let acc = 0;
  let i = 0;
  for (; i < d.probs.length - 1; i++) {
    acc += d.probs[i];
    if (u < acc) break;
  }
  const [lo, hi] = bucketSpan(d, i);
  const v = rng.next();
  if (hi <= lo) return Math.max(1, Math.round(hi));
  // Token counts are integers and a bucket holds values ≤ its bound: round up, so a draw stays in its bucket.
  return Math.max(1, Math.min(Math.floor(hi), Math.ceil(powerInv(lo, hi, d.exponent, v))));
}

/** Mean of an empirical distribution at within-bucket exponent `a`. */
export function empiricalMean(d: Omit<EmpiricalDist, 'exponent'>, a: number): number {
  let m = 0;
  for (let i = 0; i < d.probs.length; i++) {
    if (!d.probs[i]) continue;
    const [lo, hi] = bucketSpan(d, i);
    m += d.probs[i] * powerMean(lo, hi, a);
  }
  return m;
}

/** The within-bucket exponent (in [−2, 8]) that gives the distribution mean `target`; the mean falls as it grows. */
export function fitExponent(d: Omit<EmpiricalDist, 'exponent'>, target: number): number {
  let lo = -2;
  let hi = 8;
  if (!Number.isFinite(target)) return 1;
  if (empiricalMean(d, lo) <= target) return lo;
  if (empiricalMean(d, hi) >= target) return hi;
  for (let k = 0; k < 40; k++) {
    const mid = (lo + hi) / 2;
    if (empiricalMean(d, mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function clampInt(x: number, lo: number, hi: number): number {
  const r = Math.round(x);
  return r < lo ? lo : r > hi ? hi : r;
}

const DAY = 86400;

export function rateAt(r: RateProfile, t: number): number {
  if (r.window && (t < r.window.start || t >= r.window.end)) return 0;
  if (r.windows && !r.windows.some((w) => t >= w.start && t < w.end)) return 0;
  let base = r.rps;
  if (r.curve) {
    const i = Math.floor((t - r.curve.start) / r.curve.step);
    base = i >= 0 && i < r.curve.rps.length ? r.curve.rps[i] : 0;
  }
  if (r.steps) for (const s of r.steps) if (t >= s.at) base = s.rps;
  if (r.diurnal) base *= 1 + r.diurnal.amplitude * Math.sin((2 * Math.PI * t) / r.diurnal.periodSeconds + (r.diurnal.phase ?? 0));
  if (r.weekly && isWeekend(r.weekly, t)) base *= r.weekly.weekendFactor;
  if (r.growth) base *= Math.pow(1 + r.growth.perDay, t / DAY);
  return Math.max(0, base);
}

/** Saturday or Sunday (UTC) at offset t. */
export function isWeekend(w: NonNullable<RateProfile['weekly']>, t: number): boolean {
  const day = (w.startDayOfWeek + Math.floor((w.startSecondOfDay + t) / DAY)) % 7;
  return day >= 5;
}

/** An upper bound of the rate over [0, end) (the thinning envelope). */
function maxRate(r: RateProfile, end: number): number {
  let base = r.rps;
  if (r.curve) base = r.curve.rps.reduce((a, b) => Math.max(a, b), 0);
  if (r.steps) for (const s of r.steps) base = Math.max(base, s.rps);
  if (r.diurnal) base *= 1 + Math.abs(r.diurnal.amplitude);
  if (r.weekly) base *= Math.max(1, r.weekly.weekendFactor);
  if (r.growth) base *= Math.max(1, Math.pow(1 + r.growth.perDay, end / DAY));
  return base;
}

