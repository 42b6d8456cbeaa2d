// Event records: how a worker hands scanned events to the main thread. One Float64Array per block of
// the file, on a SharedArrayBuffer (posted without a copy and sent back for reuse once replayed), one
// record per event in file order:
//   kernel/memcpy/memset  [cat, name, device, stream, tsUs, fracNs, durNs, corr, graphId, extId]
//   CPU op                [6, name, tid, tsUs, fracNs, durNs, extId]
//   runtime call          [4, kind, durNs, corr]
//   GPU event without ts  [7]
// A name is the worker's interned id (the names it interned first in this block travel with the block)
// or −1 with the decoded name in `strs`; a device, stream or thread id that is a string is NaN with the
// string in `strs`. `strs` is read in the order the strings were written.

import { Cat } from './keys.js';
import type { EventSink, RtKind } from './deliver.js';
import { internedString } from './names.js';
import type { KinetoAggregator } from './aggregate.js';

const REC_OP = 6;
const REC_RT = 4;
const REC_BAD = 7;

/**
 * Records live on SharedArrayBuffers rather than being transferred: transferring an ArrayBuffer detaches
 * it, and the first detach in a thread makes V8 drop every optimised function that reads typed arrays
 * and recompile them with a detach check on each access (measured: the workers' scan about half as
 * fast). A shared buffer is never detached.
 */
function shared(n: number): Float64Array<SharedArrayBuffer> {
  return new Float64Array(new SharedArrayBuffer(n * 8));
}

/** Worker side: an EventSink that writes records. */
export class RecordWriter implements EventSink {
  rec: Float64Array<SharedArrayBuffer> = shared(1 << 16);
  n = 0;
  strs: string[] = [];
  /** Names interned (in this thread's table) since the last block, in id order. */
  newNames: string[] = [];
  private known = 0;

  private cap = this.rec.length;

  /** Start a block, writing into `reuse` when the main thread sent one back, else into a new array (the
   *  last one belongs to the main thread until it comes back). */
  reset(reuse?: Float64Array<SharedArrayBuffer>): void {
    this.rec = reuse ?? shared(this.cap);
    this.n = 0;
    this.strs = [];
    this.newNames = [];
  }

  private room(k: number): Float64Array {
    if (this.n + k > this.rec.length) {
      const r = shared(Math.max(this.n + k, this.rec.length * 2));
      r.set(this.rec.subarray(0, this.n));
      this.rec = r;
      this.cap = r.length;
    }
    return this.rec;
  }

  private name(raw: number, name: string | undefined): number {
    if (raw < 0) {
      this.strs.push(name!);
      return -1;
    }
    while (raw >= this.known) this.newNames.push(internedString(this.known++));
    return raw;
  }

  private key(v: number | string): number {
    if (typeof v === 'number') return v;
    this.strs.push(v);
    return NaN;
  }

  op(tid: number | string, tsUs: number, fracNs: number, durNs: number, raw: number, name: string | undefined, extId: number): void {
    const r = this.room(7);
    let n = this.n;
    r[n++] = REC_OP;
    r[n++] = this.name(raw, name);
    r[n++] = this.key(tid);
    r[n++] = tsUs;
    r[n++] = fracNs;
    r[n++] = durNs;
    r[n++] = extId;
    this.n = n;
  }

  gpu(cat: Cat, raw: number, name: string | undefined, device: number | string, stream: number | string, tsUs: number, fracNs: number, durNs: number, corr: number, graphId: number, extId: number): void {
    const r = this.room(10);
    let n = this.n;
    r[n++] = cat;
    r[n++] = this.name(raw, name);
    r[n++] = this.key(device);
    r[n++] = this.key(stream);
    r[n++] = tsUs;
    r[n++] = fracNs;
    r[n++] = durNs;
    r[n++] = corr;
    r[n++] = graphId;
    r[n++] = extId;
    this.n = n;
  }

  badGpu(): void {
    const r = this.room(1);
    r[this.n++] = REC_BAD;
  }

  runtime(kind: RtKind, durNs: number, corr: number): void {
    const r = this.room(4);
    let n = this.n;
    r[n++] = REC_RT;
    r[n++] = kind;
    r[n++] = durNs;
    r[n++] = corr;
    this.n = n;
  }
}

/** Main side: one worker's names (its interned ids → NameTable ids, resolved on first use). */
export class WorkerNames {
  private strings: string[] = [];
  private ids = new Int32Array(1024).fill(-1);

  add(newNames: readonly string[]): void {
    for (const s of newNames) this.strings.push(s);
    if (this.strings.length > this.ids.length) {
      const m = new Int32Array(Math.max(this.strings.length, this.ids.length * 2)).fill(-1);
      m.set(this.ids);
      this.ids = m;
    }
  }

  id(raw: number, agg: KinetoAggregator): number {
    let id = this.ids[raw];
    if (id < 0) id = this.ids[raw] = agg.names.idOf(this.strings[raw]);
    return id;
  }
}

/** Feed one block's records to the aggregator, in order. */
export function replay(rec: Float64Array, n: number, strs: readonly string[], names: WorkerNames, agg: KinetoAggregator): void {
  let si = 0;
  let i = 0;
  while (i < n) {
    const t = rec[i];
    if (t === Cat.Kernel || t === Cat.Memcpy || t === Cat.Memset) {
      const raw = rec[i + 1];
      const name = raw < 0 ? agg.names.idOf(strs[si++]) : names.id(raw, agg);
      let device: number | string = rec[i + 2];
      if (device !== device) device = strs[si++];
      let stream: number | string = rec[i + 3];
      if (stream !== stream) stream = strs[si++];
      agg.gpu(t, name, device, stream, rec[i + 4], rec[i + 5], rec[i + 6], rec[i + 7], rec[i + 8], rec[i + 9]);
      i += 10;
    } else if (t === REC_OP) {
      const raw = rec[i + 1];
      const name = raw < 0 ? agg.names.idOf(strs[si++]) : names.id(raw, agg);
      let tid: number | string = rec[i + 2];
      if (tid !== tid) tid = strs[si++];
      agg.op(tid, rec[i + 3], rec[i + 4], rec[i + 5], name, rec[i + 6]);
      i += 7;
    } else if (t === REC_RT) {
      agg.runtime(rec[i + 1], rec[i + 2], rec[i + 3]);
      i += 4;
    } else {
      agg.badGpu();
      i += 1;
    }
  }
}
