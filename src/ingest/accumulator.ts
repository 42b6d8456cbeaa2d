// Growable per-series storage behind SampleSink (split out of sink.ts): timestamp columns shared by
// series scraped together (TimeColumn, TimePool), SeriesAccumulator, and the accepted time range.

import type { Resolved } from '../model/metric-catalog.js';
import type { Labels, SampleValues } from '../model/series.js';
import { sharedFloat64, sharedInt32 } from '../model/shared-memory.js';

const EMPTY = new Float64Array(0);

/** Growth factor of accumulator buffers: 1.5 keeps the slack (and the peak RSS) lower than doubling. */
const GROWTH = 1.5;

/** Whether `x` is held exactly by an Int32Array (not -0, not NaN, no fraction, in range). */
export function isInt32(x: number): boolean {
  return (x | 0) === x && (x !== 0 || 1 / x > 0);
}

/**
 * Append-only timestamps shared by the accumulators of series scraped at the same times. Every
 * series of a Prometheus target carries the same scrape times, so keeping them once instead of per
 * series halves the memory of ingest (a week of 10 s data for 8 replicas: 141M samples).
 */
class TimeColumn {
  t = new Float64Array(1024);
  length = 0;

  append(x: number): void {
    if (this.length === this.t.length) this.reserve(1);
    this.t[this.length++] = x;
  }

  /** Append `ts[from..to)`. */
  appendRange(ts: Float64Array, from: number, to: number): void {
    const n = to - from;
    if (this.length + n > this.t.length) this.reserve(n);
    this.t.set(from === 0 && to === ts.length ? ts : ts.subarray(from, to), this.length);
    this.length += n;
  }

  private reserve(n: number): void {
    const t = new Float64Array(Math.max(this.length + n, Math.ceil(this.t.length * GROWTH)));
    t.set(this.t.subarray(0, this.length));
    this.t = t;
  }
}

/** The columns a sink's accumulators may share, found by their first timestamp. */
export class TimePool {
  private readonly columns: TimeColumn[] = [];

  columnStartingAt(first: number): TimeColumn {
    for (const c of this.columns) if (c.t[0] === first) return c;
    const c = new TimeColumn();
    this.columns.push(c);
    // A handful of distinct scrape schedules is the norm; bound the search for pathological inputs.
    if (this.columns.length > 64) this.columns.shift();
    return c;
  }
}

/**
 * Growable storage for one series. Adapters push samples one at a time (`push`) or a series' worth
 * at once (`pushMany`, the query_range path).
 *
 * Values are kept compact: a series whose values are all integers in the int32 range (histogram
 * buckets, counts, most counters and gauges) is stored as an Int32Array, half the memory of float64;
 * any other value keeps its block as float64. Storage grows by appending blocks — nothing already
 * stored is copied again while it grows — and `take()` joins the blocks once (a series read in one
 * batch is a single exact block, handed over without a copy).
 *
 * Timestamps live in a column shared with other series while they agree sample for sample, and are
 * copied out on the first disagreement (copy-on-write), so sharing never changes what a series holds.
 */
export class SeriesAccumulator {
  length = 0;
  /** Set when a pushed timestamp was not greater than the previous one. */
  unordered = false;
  nanCount = 0;
  /** +Inf/-Inf values dropped (legal in the exposition format, meaningless as a gauge or counter). */
  infCount = 0;
  /** Samples dropped for a timestamp outside [MIN_TIME_SECONDS, MAX_TIME_SECONDS]. */
  badTimeCount = 0;
  /** The first such timestamp, for the warning. */
  badTimeExample = NaN;
  readonly files = new Set<string>();
  /** Shared timestamps, valid for [0, length), or null once this series has its own. */
  private col: TimeColumn | null = null;
  private own: Float64Array;
  /** Full value blocks, in order. */
  private blocks: SampleValues[] = [];
  /** The block being filled by `push`, `curLen` values used; an Int32Array while `curInt`. */
  private cur: SampleValues;
  private curLen = 0;
  private curInt: boolean;
  private nextBlock: number;
  /** Set when a block holds fewer values than its memory (a `push` block sealed part-full). */
  private loose = false;

  constructor(
    readonly rawName: string,
    readonly resolved: Resolved,
    readonly labels: Labels,
    initialCapacity = 64,
    private readonly pool?: TimePool,
  ) {
    this.own = pool ? EMPTY : new Float64Array(initialCapacity);
    this.nextBlock = Math.max(4, initialCapacity);
    this.cur = EMPTY;
    this.curInt = false;
  }

  /** Timestamps, valid for [0, length). */
  get t(): Float64Array {
    return this.col ? this.col.t : this.own;
  }

  /** Drop the buffers once finish() has taken what it keeps, so they can be collected early. */
  release(): void {
    this.col = null;
    this.own = EMPTY;
    this.blocks = [];
    this.cur = EMPTY;
    this.curLen = 0;
    this.length = 0;
  }

  push(tSeconds: number, value: number): void {
    if (value - value !== 0) {
      // NaN or ±Inf: not a number an analysis can use.
      if (value !== value) this.nanCount++;
      else this.infCount++;
      return;
    }
    if (!(tSeconds >= MIN_TIME_SECONDS && tSeconds <= MAX_TIME_SECONDS)) {
      if (this.badTimeCount++ === 0) this.badTimeExample = tSeconds;
      return;
    }
    const n = this.length;
    if (n === 0 && this.pool && this.own.length === 0) this.col = this.pool.columnStartingAt(tSeconds);
    const col = this.col;
    if (col) {
      if (n > 0 && tSeconds <= col.t[n - 1]) this.unordered = true;
      if (n === col.length) col.append(tSeconds);
      else if (col.t[n] !== tSeconds) this.detach(n, tSeconds);
    } else {
      if (n > 0 && tSeconds <= this.own[n - 1]) this.unordered = true;
      if (n === this.own.length) this.own = grown(this.own, n);
      this.own[n] = tSeconds;
    }
    let k = this.curLen;
    if (k === this.cur.length) {
      this.seal();
      this.startBlock();
      k = 0;
    }
    if (this.curInt && !isInt32(value)) this.curToFloat();
    this.cur[k] = value;
    this.curLen = k + 1;
    this.length = n + 1;
  }

  /**
   * Append the first `n` samples of `t`/`v` — the same result as `n` calls of `push`, in one pass
   * over the timestamps (compared with the shared column, not copied, when they agree) and one copy
   * of the values into an exact block. `known`: the batch's `batchKind` when the caller has it (the
   * query_range scanner), else -1.
   */
  pushMany(t: Float64Array, v: SampleValues, n: number, known = -1): void {
    if (n <= 0) return;
    const kind = known >= 0 ? known : batchKind(t, v, n);
    if (kind === BATCH_HAS_BAD) {
      // Some samples are dropped (and counted) by push's rules: batch the others.
      const t2 = new Float64Array(n);
      const v2 = new Float64Array(n);
      let m = 0;
      for (let i = 0; i < n; i++) {
        const x = v[i];
        const ti = t[i];
        if (x - x !== 0) {
          if (x !== x) this.nanCount++;
          else this.infCount++;
        } else if (!(ti >= MIN_TIME_SECONDS && ti <= MAX_TIME_SECONDS)) {
          if (this.badTimeCount++ === 0) this.badTimeExample = ti;
        } else {
          t2[m] = ti;
          v2[m++] = x;
        }
      }
      if (m > 0) this.pushBatch(t2, v2, m);
      return;
    }
    this.pushBatch(t, v, n, kind === BATCH_INT32);
  }

  /**
   * Append a batch already classified by `batchKind` (not BATCH_HAS_BAD) and stored in its block:
   * an Int32Array for BATCH_INT32, a Float64Array otherwise, of exactly `n` values, kept as it is —
   * the result of `pushMany(t, v, n)` without the copy (the query_range scanner writes its values
   * straight into such blocks, on the main thread or a range worker).
   */
  pushBlock(t: Float64Array, block: SampleValues, n: number): void {
    if (n <= 0) return;
    this.appendTimes(t, n);
    this.seal();
    this.blocks.push(block);
    this.length += n;
  }

  /** A batch of valid samples (`allInt`: every value is an int32, when known). */
  private pushBatch(t: Float64Array, v: SampleValues, n: number, allInt?: boolean): void {
    if (allInt === undefined) {
      allInt = true;
      for (let i = 0; i < n; i++) if (!isInt32(v[i])) allInt = false;
    }
    this.appendTimes(t, n);
    this.seal();
    const block = allInt ? sharedInt32(n) : sharedFloat64(n);
    block.set(n === v.length ? v : v.subarray(0, n));
    this.blocks.push(block);
    this.length += n;
  }

  /** Timestamps of a batch: shared column compared (or extended), or own storage appended. */
  private appendTimes(ts: Float64Array, n: number): void {
    const len = this.length;
    if (len === 0 && this.pool && this.own.length === 0) this.col = this.pool.columnStartingAt(ts[0]);
    let prev = len > 0 ? this.t[len - 1] : -Infinity;
    for (let i = 0; i < n; i++) {
      const x = ts[i];
      if (x <= prev) {
        this.unordered = true;
        break;
      }
      prev = x;
    }
    const col = this.col;
    if (col) {
      const overlap = Math.min(n, col.length - len);
      const ct = col.t;
      let k = 0;
      while (k < overlap && ct[len + k] === ts[k]) k++;
      if (k === overlap) {
        if (n > overlap) col.appendRange(ts, overlap, n);
        return;
      }
      this.detach(len + k, ts[k]);
      this.appendOwn(ts, k + 1, n, len + k + 1);
      return;
    }
    this.appendOwn(ts, 0, n, len);
  }

  /** Own timestamps: `ts[from..to)` at index `at`. */
  private appendOwn(ts: Float64Array, from: number, to: number, at: number): void {
    const need = at + (to - from);
    if (need > this.own.length) {
      const own = new Float64Array(Math.max(need, Math.ceil(this.own.length * GROWTH), 64));
      own.set(this.own.subarray(0, at));
      this.own = own;
    }
    if (to > from) this.own.set(ts.subarray(from, to), at);
  }

  /** Close the block being filled by `push`, keeping its used part. */
  private seal(): void {
    if (this.curLen > 0) {
      if (this.curLen < this.cur.length) this.loose = true;
      this.blocks.push(this.curLen === this.cur.length ? this.cur : this.cur.subarray(0, this.curLen));
    }
    this.cur = EMPTY;
    this.curLen = 0;
  }

  /** A new block for `push`: int32 until a value needs float64; sizes grow with the series. */
  private startBlock(): void {
    const size = Math.max(this.nextBlock, Math.ceil(this.length * (GROWTH - 1)), 64);
    this.nextBlock = size;
    this.cur = sharedInt32(size);
    this.curInt = true;
    this.curLen = 0;
  }

  /** The block being filled holds a value int32 cannot: make it float64 (earlier blocks stay as they are). */
  private curToFloat(): void {
    const f = sharedFloat64(this.cur.length);
    f.set(this.cur.subarray(0, this.curLen));
    this.cur = f;
    this.curInt = false;
  }

  /**
   * The samples pushed so far, in push order: timestamps (a prefix view of the shared column, or the
   * own array) and the values joined into one array — Int32Array when every value is an int32,
   * Float64Array otherwise. `exact`: the values' memory holds nothing else that is not stored
   * (a block of exactly its values, or a committed slab block); else it is part of a larger buffer
   * being filled, and a copy keeps memory to what is stored.
   */
  take(): { t: Float64Array; v: SampleValues; exact: boolean } {
    const t = this.t.subarray(0, this.length);
    const open = this.curLen > 0;
    const blocks = open ? [...this.blocks, this.cur.subarray(0, this.curLen)] : this.blocks;
    if (blocks.length === 1) return { t, v: blocks[0], exact: !this.loose && !(open && this.curLen < this.cur.length) };
    let allInt = true;
    for (const b of blocks) if (!(b instanceof Int32Array)) allInt = false;
    const v = allInt ? sharedInt32(this.length) : sharedFloat64(this.length);
    let k = 0;
    for (const b of blocks) {
      v.set(b, k);
      k += b.length;
    }
    return { t, v, exact: true };
  }

  /** Leave the shared column: copy its first n timestamps and append `next`. */
  private detach(n: number, next: number): void {
    const own = new Float64Array(Math.max(64, Math.ceil((n + 1) * GROWTH)));
    own.set(this.col!.t.subarray(0, n));
    own[n] = next;
    this.own = own;
    this.col = null;
  }
}

/** `batchKind`: some samples are NaN/±Inf or out of the time range (pushMany drops and counts them). */
export const BATCH_HAS_BAD = 0;
/** `batchKind`: every value is held exactly by an Int32Array. */
export const BATCH_INT32 = 1;
/** `batchKind`: valid samples, some value needs a Float64Array. */
export const BATCH_FLOAT64 = 2;

/** How `pushMany` stores the first `n` samples of `t`/`v`. */
export function batchKind(t: Float64Array, v: SampleValues, n: number): number {
  let allInt = true;
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const x = v[i];
    if ((x | 0) !== x || (x === 0 && 1 / x < 0)) {
      allInt = false;
      if (x - x !== 0) bad++;
    }
    const ti = t[i];
    if (!(ti >= MIN_TIME_SECONDS && ti <= MAX_TIME_SECONDS)) bad++;
  }
  return bad ? BATCH_HAS_BAD : allInt ? BATCH_INT32 : BATCH_FLOAT64;
}

/**
 * Sample timestamps we accept, Unix seconds: 1970-01-01 to 9999-12-31. Outside it a timestamp is
 * garbage or in another unit (ms or µs read as seconds); it would also stretch the window over
 * millennia and cannot be printed as a date.
 */
export const MIN_TIME_SECONDS = 0;
export const MAX_TIME_SECONDS = 253402300799;

function grown(a: Float64Array, used: number): Float64Array {
  const b = new Float64Array(Math.max(64, Math.ceil(a.length * GROWTH)));
  b.set(a.subarray(0, used));
  return b;
}
