// Streaming union of busy intervals on one device. Intervals arrive nearly sorted (each stream is
// serial and a trace lists a stream's events in time order), so we buffer them in typed arrays and,
// when the buffer fills, sort and merge it and *finalise* every merged interval that ends before
// the watermark the caller gives (the earliest "last start" over the device's streams: no later
// event of any stream can start before it). Finalised intervals only leave their length and the
// gap before them; memory is the buffer plus one float per idle gap.
// An interval that arrives after its region was finalised (a trace far out of order) is clipped to
// the finalised end and counted in `late`, so the caller can warn that idle may be overstated.

import type { GapStats } from '../../model/profile.js';

const INITIAL = 1024;
const COMPACT_AT = 1 << 16;

export class IntervalUnion {
  private s = new Float64Array(INITIAL);
  private e = new Float64Array(INITIAL);
  private n = 0;
  private finalEnd = -Infinity;
  private gapBuf: Float64Array | undefined;
  private gapN = 0;
  busyNs = 0;
  first = Infinity;
  last = -Infinity;
  late = 0;
  count = 0;

  constructor(recordGaps: boolean) {
    if (recordGaps) this.gapBuf = new Float64Array(INITIAL);
  }

  add(start: number, end: number, watermark: () => number): void {
    if (end < start) end = start;
    this.count++;
    if (start < this.first) this.first = start;
    if (end > this.last) this.last = end;
    if (start < this.finalEnd) {
      this.late++;
      if (end <= this.finalEnd) return;
      start = this.finalEnd;
    }
    if (this.n === this.s.length) {
      if (this.n >= COMPACT_AT) this.compact(watermark());
      if (this.n === this.s.length) this.grow();
    }
    this.s[this.n] = start;
    this.e[this.n] = end;
    this.n++;
  }

  private grow(): void {
    const cap = this.s.length * 2;
    const s = new Float64Array(cap);
    s.set(this.s.subarray(0, this.n));
    const e = new Float64Array(cap);
    e.set(this.e.subarray(0, this.n));
    this.s = s;
    this.e = e;
  }

  /** Sort and merge the buffer; finalise merged intervals ending before `before`. */
  private compact(before: number): void {
    const n = this.n;
    const idx = new Uint32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const s = this.s;
    const e = this.e;
    let sorted = true;
    for (let i = 1; i < n; i++) if (s[i] < s[i - 1]) { sorted = false; break; }
    if (!sorted) idx.sort((a, b) => s[a] - s[b]);
    const ms = new Float64Array(Math.max(INITIAL, this.s.length));
    const me = new Float64Array(ms.length);
    let m = 0;
    for (let k = 0; k < n; k++) {
      const i = idx[k];
      if (m > 0 && s[i] <= me[m - 1]) {
        if (e[i] > me[m - 1]) me[m - 1] = e[i];
      } else {
        ms[m] = s[i];
        me[m] = e[i];
        m++;
      }
    }
    // Finalise the prefix that ends before the watermark.
    let f = 0;
    while (f < m && me[f] < before) {
      this.finalise(ms[f], me[f]);
      f++;
    }
    this.s = ms;
    this.e = me;
    if (f > 0) {
      this.s.copyWithin(0, f, m);
      this.e.copyWithin(0, f, m);
    }
    this.n = m - f;
  }

  private finalise(start: number, end: number): void {
    if (start < this.finalEnd) start = this.finalEnd; // cannot happen after a merge, kept for safety
    if (end < start) return;
    if (this.finalEnd !== -Infinity && start > this.finalEnd && this.gapBuf) {
      if (this.gapN === this.gapBuf.length) {
        const g = new Float64Array(this.gapN * 2);
        g.set(this.gapBuf);
        this.gapBuf = g;
      }
      this.gapBuf[this.gapN++] = start - this.finalEnd;
    }
    this.busyNs += end - start;
    this.finalEnd = end;
  }

  /** Finalise everything; returns the busy total and the gaps (unsorted). */
  finish(): { busyNs: number; firstNs: number; lastNs: number; gaps: Float64Array } {
    if (this.n > 0) this.compact(Infinity);
    return { busyNs: this.busyNs, firstNs: this.first, lastNs: this.last, gaps: this.gapBuf ? this.gapBuf.subarray(0, this.gapN) : new Float64Array(0) };
  }
}

/** Gap thresholds reported: 10 µs (launch-sized), 100 µs, 1 ms (host-side stalls), 10 ms. */
export const GAP_THRESHOLDS_NS = [10_000, 100_000, 1_000_000, 10_000_000] as const;

/** Nearest-rank quantile of a sorted array. */
function nearestRank(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const k = Math.max(1, Math.ceil(q * sorted.length));
  return sorted[k - 1];
}

export function gapStats(gaps: Float64Array): GapStats {
  const sorted = Float64Array.from(gaps).sort();
  let total = 0;
  for (let i = 0; i < sorted.length; i++) total += sorted[i];
  const totalOverNs: Record<string, number> = {};
  const countOver: Record<string, number> = {};
  for (const t of GAP_THRESHOLDS_NS) {
    let sum = 0;
    let c = 0;
    for (let i = sorted.length - 1; i >= 0 && sorted[i] > t; i--) {
      sum += sorted[i];
      c++;
    }
    totalOverNs[String(t)] = sum;
    countOver[String(t)] = c;
  }
  return {
    count: sorted.length,
    totalNs: total,
    p50Ns: nearestRank(sorted, 0.5),
    p90Ns: nearestRank(sorted, 0.9),
    maxNs: sorted.length ? sorted[sorted.length - 1] : 0,
    totalOverNs,
    countOver,
  };
}
