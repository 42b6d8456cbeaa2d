// Per-device timeline in one sorted sweep. Every GPU activity is an interval [start, end) with a
// class (memory, communication kernel, compute kernel). Sweeping the intervals in start order, five
// running unions are kept at once — all activity (busy, with the idle gaps between its merged
// pieces), memory copies/sets, communication kernels, compute kernels, and kernels of either kind —
// each as one open [start, end) plus a running total, so the comm/compute overlap is
// |comm| + |compute| − |comm ∪ compute| and the exposed memory time (copies and sets while no kernel
// runs) is |busy| − |kernels|, with no extra pass and no interval kept once swept.
//
// Input order: a source that delivers intervals sorted by start (the SQLite export, read with
// ORDER BY start) sweeps each interval as it arrives (`sorted = true`). A trace only promises that
// each stream is in time order, so by default intervals are buffered in typed arrays; when the buffer
// fills it is sorted and every interval starting before the watermark (the earliest "last start"
// over the device's streams: no later event of any stream can start before it) is swept.
// An interval that arrives after the sweep passed its start (a trace far out of order) is clipped to
// the sweep position and counted in `late`, so the caller can warn that idle may be overstated.

import type { GapStats } from '../../model/profile.js';

export const enum Cls {
  Memory = 0,
  Comm = 1,
  Compute = 2,
}

const INITIAL = 1024;
const GAP_PAGE = 1 << 16;
const COMPACT_AT = 1 << 16;

export interface SweepResult {
  firstNs: number;
  lastNs: number;
  busyNs: number;
  /** Union of memcpy/memset intervals. */
  memoryNs: number;
  commNs: number;
  computeNs: number;
  kernelNs: number;
  gaps: Float64Array;
  late: number;
}

export class DeviceSweep {
  // pending (unsorted) intervals
  private s = new Float64Array(INITIAL);
  private e = new Float64Array(INITIAL);
  private c = new Uint8Array(INITIAL);
  private n = 0;
  private bufSorted = true;
  // sweep state: position and four open intervals with running totals
  private pos = -Infinity;
  private bS = 0;
  private bE = -Infinity;
  private busy = 0;
  private mS = 0;
  private mE = -Infinity;
  private mem = 0;
  private cS = 0;
  private cE = -Infinity;
  private comm = 0;
  private pS = 0;
  private pE = -Infinity;
  private comp = 0;
  private kS = 0;
  private kE = -Infinity;
  private kern = 0;
  /** Idle gaps beyond the first GAP_PAGE, in pages of GAP_PAGE filled in order: growing never copies what
   *  is already there (the pages are joined once, by finish()). */
  private gapPages: Float64Array[] = [];
  private gapBuf = new Float64Array(INITIAL);
  private gapN = 0;
  first = Infinity;
  last = -Infinity;
  late = 0;
  /** Last start seen per stream: the minimum is the watermark (buffered mode). One small object per
   *  stream, and the current stream's cached, so a run of events on one stream costs no Map lookup. */
  private readonly streamLast = new Map<number | string, { v: number }>();
  private curStream: number | string | undefined = undefined;
  private curSlot: { v: number } = { v: 0 };

  constructor(private readonly sorted = false) {}

  /** One interval; `stream` is only used for the watermark in buffered mode. */
  add(start: number, end: number, cls: Cls, stream: number | string): void {
    if (end < start) end = start;
    if (start < this.first) this.first = start;
    if (end > this.last) this.last = end;
    if (stream !== this.curStream) {
      let slot = this.streamLast.get(stream);
      if (slot === undefined) this.streamLast.set(stream, (slot = { v: start }));
      this.curStream = stream;
      this.curSlot = slot;
    }
    this.curSlot.v = start;
    if (this.sorted) {
      this.sweep(start, end, cls);
      return;
    }
    let n = this.n;
    if (n === this.s.length) {
      if (n >= COMPACT_AT) this.compact(this.watermark());
      n = this.n;
      if (n === this.s.length) this.grow();
    }
    if (n > 0 && start < this.s[n - 1]) this.bufSorted = false;
    this.s[n] = start;
    this.e[n] = end;
    this.c[n] = cls;
    this.n = n + 1;
  }

  private watermark(): number {
    let m = Infinity;
    for (const x of this.streamLast.values()) if (x.v < m) m = x.v;
    return m;
  }

  private grow(): void {
    const cap = this.s.length * 2;
    const s = new Float64Array(cap);
    s.set(this.s.subarray(0, this.n));
    const e = new Float64Array(cap);
    e.set(this.e.subarray(0, this.n));
    const c = new Uint8Array(cap);
    c.set(this.c.subarray(0, this.n));
    this.s = s;
    this.e = e;
    this.c = c;
  }

  /** Sort the buffer and sweep every interval that starts before `before`. */
  private compact(before: number): void {
    const n = this.n;
    if (n === 0) return;
    let s = this.s;
    let e = this.e;
    let c = this.c;
    if (!this.bufSorted) {
      const idx = new Uint32Array(n);
      for (let i = 0; i < n; i++) idx[i] = i;
      idx.sort((a, b) => s[a] - s[b] || a - b);
      const s2 = new Float64Array(s.length);
      const e2 = new Float64Array(s.length);
      const c2 = new Uint8Array(s.length);
      for (let k = 0; k < n; k++) {
        const i = idx[k];
        s2[k] = s[i];
        e2[k] = e[i];
        c2[k] = c[i];
      }
      this.s = s = s2;
      this.e = e = e2;
      this.c = c = c2;
      this.bufSorted = true;
    }
    let k = 0;
    while (k < n && s[k] < before) {
      this.sweep(s[k], e[k], c[k]);
      k++;
    }
    if (k > 0) {
      s.copyWithin(0, k, n);
      e.copyWithin(0, k, n);
      c.copyWithin(0, k, n);
    }
    this.n = n - k;
  }

  private sweep(s: number, e: number, cls: number): void {
    if (s < this.pos) {
      this.late++;
      s = this.pos;
      if (e <= s) return;
    }
    this.pos = s;
    // all activity (with gaps)
    if (s > this.bE) {
      if (this.bE !== -Infinity) {
        this.busy += this.bE - this.bS;
        if (this.gapN === this.gapBuf.length) {
          if (this.gapN < GAP_PAGE) {
            const g = new Float64Array(this.gapN * 2);
            g.set(this.gapBuf);
            this.gapBuf = g;
          } else {
            this.gapPages.push(this.gapBuf);
            this.gapBuf = new Float64Array(GAP_PAGE);
            this.gapN = 0;
          }
        }
        this.gapBuf[this.gapN++] = s - this.bE;
      }
      this.bS = s;
      this.bE = e;
    } else if (e > this.bE) this.bE = e;
    if (cls === Cls.Memory) {
      if (s > this.mE) {
        if (this.mE !== -Infinity) this.mem += this.mE - this.mS;
        this.mS = s;
        this.mE = e;
      } else if (e > this.mE) this.mE = e;
      return;
    }
    if (cls === Cls.Comm) {
      if (s > this.cE) {
        if (this.cE !== -Infinity) this.comm += this.cE - this.cS;
        this.cS = s;
        this.cE = e;
      } else if (e > this.cE) this.cE = e;
    } else if (s > this.pE) {
      if (this.pE !== -Infinity) this.comp += this.pE - this.pS;
      this.pS = s;
      this.pE = e;
    } else if (e > this.pE) this.pE = e;
    if (s > this.kE) {
      if (this.kE !== -Infinity) this.kern += this.kE - this.kS;
      this.kS = s;
      this.kE = e;
    } else if (e > this.kE) this.kE = e;
  }

  /** All gaps in one array (the pages joined once, at the end; a second call returns the same array). */
  private gaps(): Float64Array {
    if (this.gapPages.length === 0) return this.gapBuf.subarray(0, this.gapN);
    let n = this.gapN;
    for (const pg of this.gapPages) n += pg.length;
    const all = new Float64Array(n);
    let o = 0;
    for (const pg of this.gapPages) {
      all.set(pg, o);
      o += pg.length;
    }
    all.set(this.gapBuf.subarray(0, this.gapN), o);
    this.gapPages = [];
    this.gapBuf = all;
    this.gapN = n;
    return all;
  }

  /** Distinct streams seen. */
  get streams(): number {
    return this.streamLast.size;
  }

  /** Sweep what is left and close the open intervals. */
  finish(): SweepResult {
    this.compact(Infinity);
    const close = (S: number, E: number, total: number): number => (E === -Infinity ? total : total + (E - S));
    return {
      firstNs: this.first,
      lastNs: this.last,
      busyNs: close(this.bS, this.bE, this.busy),
      memoryNs: close(this.mS, this.mE, this.mem),
      commNs: close(this.cS, this.cE, this.comm),
      computeNs: close(this.pS, this.pE, this.comp),
      kernelNs: close(this.kS, this.kE, this.kern),
      gaps: this.gaps(),
      late: this.late,
    };
  }
}

/** Gap thresholds reported: 10 µs (launch-sized), 100 µs, 1 ms (host-side stalls), 10 ms. */
export const GAP_THRESHOLDS_NS = [10_000, 100_000, 1_000_000, 10_000_000] as const;

/**
 * The k-th smallest value of a[lo..hi] (0-based k), moving it to a[k] with everything after k no
 * smaller (quickselect with a three-way partition, so runs of equal gaps cost nothing extra).
 */
function selectK(a: Float64Array, k: number, lo: number, hi: number): number {
  while (lo < hi) {
    const x0 = a[lo];
    const x1 = a[(lo + hi) >> 1];
    const x2 = a[hi];
    const x = x0 < x1 ? (x1 < x2 ? x1 : x0 < x2 ? x2 : x0) : x0 < x2 ? x0 : x1 < x2 ? x2 : x1;
    let lt = lo;
    let i = lo;
    let gt = hi;
    while (i <= gt) {
      const v = a[i];
      if (v < x) {
        a[i] = a[lt];
        a[lt] = v;
        lt++;
        i++;
      } else if (v > x) {
        a[i] = a[gt];
        a[gt] = v;
        gt--;
      } else i++;
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return x;
  }
  return a[k];
}

/**
 * Gap statistics: nearest-rank p50/p90 by selection (no full sort of what can be millions of gaps).
 * The selection reorders `gaps` in place (a copy would double the largest buffer of a long trace at
 * the end of the read); callers pass a buffer they no longer need.
 */
export function gapStats(gaps: Float64Array): GapStats {
  const n = gaps.length;
  let total = 0;
  let max = 0;
  const T = GAP_THRESHOLDS_NS;
  const over = new Float64Array(T.length);
  const overN = new Float64Array(T.length);
  for (let i = 0; i < n; i++) {
    const g = gaps[i];
    total += g;
    if (g > max) max = g;
    for (let j = 0; j < T.length; j++) {
      if (g <= T[j]) break;
      over[j] += g;
      overN[j]++;
    }
  }
  const totalOverNs: Record<string, number> = {};
  const countOver: Record<string, number> = {};
  for (let j = 0; j < T.length; j++) {
    totalOverNs[String(T[j])] = over[j];
    countOver[String(T[j])] = overN[j];
  }
  let p50 = 0;
  let p90 = 0;
  if (n > 0) {
    const a = gaps;
    const k50 = Math.max(1, Math.ceil(0.5 * n)) - 1;
    const k90 = Math.max(1, Math.ceil(0.9 * n)) - 1;
    p50 = selectK(a, k50, 0, n - 1);
    p90 = selectK(a, k90, k50, n - 1);
  }
  return { count: n, totalNs: total, p50Ns: p50, p90Ns: p90, maxNs: n ? max : 0, totalOverNs, countOver };
}
