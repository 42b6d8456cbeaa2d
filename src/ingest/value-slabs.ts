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

/** One kind of slab (Int32 or Float64): the current slab and where its free tail starts. */
class Slabs<A extends Int32Array | Float64Array> {
  private slab: A;
  private off = 0;

  constructor(
    private readonly make: (n: number) => A,
    private readonly size: (want: number) => number,
  ) {
    this.slab = make(0);
  }

  /** The open region: the tail of the current slab, at least `want` values (a new slab when the tail is shorter). */
  region(want: number): A {
    if (this.slab.length - this.off < want) {
      this.slab = this.make(this.size(want));
      this.off = 0;
    }
    return this.slab.subarray(this.off) as A;
  }

  /** The open region, full with `used` values, moved to a new slab of at least `want` values (the values copied). */
  grow(region: A, used: number, want: number): A {
    const s = this.make(this.size(want));
    s.set(region.subarray(0, used));
    this.slab = s;
    this.off = 0;
    return s;
  }

  /** Keep the first `n` values of the open region: the stored block (exactly `n` values). */
  commit(n: number): A {
    const b = this.slab.subarray(this.off, this.off + n) as A;
    this.off += n;
    return b;
  }
}

/** A reader's Int32 and Float64 slabs; slab sizes double from MIN_SLAB to MAX_SLAB across both. */
export class ValueSlabs {
  /** The length the next series is expected to have (the previous one's, kept across a range worker's
   *  ranges): its region is opened that long, so that it rarely outgrows the slab's tail. */
  expect = 1024;
  private nextSize = MIN_SLAB;
  private readonly sized = (want: number): number => {
    const s = Math.max(this.nextSize, want);
    this.nextSize = Math.min(MAX_SLAB, this.nextSize * 2);
    return s;
  };
  readonly ints = new Slabs<Int32Array>(sharedInt32, this.sized);
  readonly floats = new Slabs<Float64Array>(sharedFloat64, this.sized);
}
