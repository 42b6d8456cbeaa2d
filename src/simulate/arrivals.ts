// Request arrivals: a Poisson process per stream, non-homogeneous by thinning against the rate
// profile, and the draw of each request's prompt (shared prefix + unique part), output length and
// max_tokens. Each stream has its own seeded generator, so a stream's requests do not depend on what
// the engine does with them (a counterfactual run with other settings sees the same traffic).

import { Req } from './request.js';
import { Rng, zipfCdf } from './rng.js';
import type { RateProfile, StreamSpec } from './types.js';

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

