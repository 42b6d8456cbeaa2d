// Where the query_range scanner (prometheus-json/pairs.ts) writes a series' values: straight into the
// memory that keeps them. A series is written into the free tail of a shared Int32 slab while every
// value so far is an int32, and moves once to the tail of a Float64 slab at its first value that is
// not. When the series ends its region is committed — the tail starts after it — and handed to the
// sink as the stored block (`SeriesAccumulator.pushBlock`): no scratch array, no copy, no allocation
// per series. A region that is not committed (a batch holding samples the sink drops) is written over
// by the next series.
//
// Memory: slabs live in SharedArrayBuffers, so the analysis threads read the blocks without a copy
// (model/shared-memory.ts). A slab's untouched tail costs address space, not memory (fresh pages are
// mapped on their first write), so a series that would not fit in what is left of the current slab —
// judged by the caller's expected length — starts a new slab rather than being copied later. A
// committed block keeps its whole slab alive; the sink keeps every block it is given unless it joins
// or re-sorts a series (one read in several pieces), so that is rare.

import { sharedFloat64, sharedInt32 } from '../model/shared-memory.js';

/** Values in the first slab of a reader; each later slab doubles, up to MAX_SLAB. */
const MIN_SLAB = 1 << 12;
/** Largest slab (values) unless one series needs more: 16 MB of int32, 32 MB of float64. */
const MAX_SLAB = 1 << 22;

const EMPTY_I32 = new Int32Array(0);
const EMPTY_F64 = new Float64Array(0);

export class ValueSlabs {
  private i32: Int32Array = EMPTY_I32;
  private iOff = 0;
  private f64: Float64Array = EMPTY_F64;
  private fOff = 0;
  private nextSize = MIN_SLAB;

  /** The open Int32 region: the tail of the current slab, at least `want` values (a new slab when the tail is shorter). */
  intRegion(want: number): Int32Array {
    if (this.i32.length - this.iOff < want) {
      this.i32 = sharedInt32(this.size(want));
      this.iOff = 0;
    }
    return this.i32.subarray(this.iOff);
  }

  /** The open Float64 region, as `intRegion`. */
  floatRegion(want: number): Float64Array {
    if (this.f64.length - this.fOff < want) {
      this.f64 = sharedFloat64(this.size(want));
      this.fOff = 0;
    }
    return this.f64.subarray(this.fOff);
  }

  /** The open Int32 region, full with `used` values, moved to a new slab of at least `want` values (the values copied). */
  growInt(region: Int32Array, used: number, want: number): Int32Array {
    const s = sharedInt32(this.size(want));
    s.set(region.subarray(0, used));
    this.i32 = s;
    this.iOff = 0;
    return s;
  }

  /** `growInt` for the open Float64 region. */
  growFloat(region: Float64Array, used: number, want: number): Float64Array {
    const s = sharedFloat64(this.size(want));
    s.set(region.subarray(0, used));
    this.f64 = s;
    this.fOff = 0;
    return s;
  }

  /** Keep the first `n` values of the open Int32 region: the stored block (exactly `n` values). */
  commitInt(n: number): Int32Array {
    const b = this.i32.subarray(this.iOff, this.iOff + n);
    this.iOff += n;
    return b;
  }

  /** `commitInt` for the open Float64 region. */
  commitFloat(n: number): Float64Array {
    const b = this.f64.subarray(this.fOff, this.fOff + n);
    this.fOff += n;
    return b;
  }

  private size(want: number): number {
    const s = Math.max(this.nextSize, want);
    this.nextSize = Math.min(MAX_SLAB, this.nextSize * 2);
    return s;
  }
}
