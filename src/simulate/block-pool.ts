// The paged KV cache of vLLM v1: a pool of blocks with an LRU free queue (a doubly linked list over
// typed arrays, as `kv_cache_utils.FreeKVCacheBlockQueue`) and the prefix-cache map from block
// content keys to cached blocks (`block_pool.py`).

import type { Req } from './request.js';


export class BlockPool {
  readonly n: number;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  readonly ref: Int32Array;
  private readonly key: Float64Array;
  private head = -1;
  private tail = -1;
  numFree: number;
  readonly cached = new Map<number, number>();
  evictions = 0;

  constructor(n: number) {
    this.n = n;
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.ref = new Int32Array(n);
    this.key = new Float64Array(n).fill(-0.5);
    this.numFree = 0;
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < this.n; i++) {
      this.prev[i] = i - 1;
      this.next[i] = i + 1 < this.n ? i + 1 : -1;
      this.ref[i] = 0;
      this.key[i] = -0.5;
    }
    this.head = this.n > 0 ? 0 : -1;
    this.tail = this.n - 1;
    this.numFree = this.n;
    this.cached.clear();
  }

  private unlink(b: number): void {
    const p = this.prev[b];
    const q = this.next[b];
    if (p >= 0) this.next[p] = q;
    else this.head = q;
    if (q >= 0) this.prev[q] = p;
    else this.tail = p;
    this.numFree--;
  }

  /** Take the least recently freed block, evicting its cached hash. */
  allocate(): number {
    const b = this.head;
    this.unlink(b);
    const k = this.key[b];
    if (k !== -0.5) {
      if (this.cached.get(k) === b) this.cached.delete(k);
      this.key[b] = -0.5;
      this.evictions++;
    }
    this.ref[b] = 1;
    return b;
  }

  /** A prefix-cache hit: take a reference, pulling the block out of the free queue if idle. */
  touch(b: number): void {
    if (this.ref[b] === 0) this.unlink(b);
    this.ref[b]++;
  }

  release(b: number): void {
    if (--this.ref[b] > 0) return;
    this.prev[b] = this.tail;
    this.next[b] = -1;
    if (this.tail >= 0) this.next[this.tail] = b;
    else this.head = b;
    this.tail = b;
    this.numFree++;
  }

  /** Register a full block under its content key (first writer wins, as in vLLM). */
  register(b: number, k: number): void {
    if (this.key[b] !== -0.5 || this.cached.has(k)) return;
    this.key[b] = k;
    this.cached.set(k, b);
  }
}

/** Content key of block `k` of a request: shared-prefix blocks are keyed by prefix, the rest by request. */
export function blockKey(r: Req, k: number, bs: number): number {
  if (r.prefixId >= 0 && (k + 1) * bs <= r.prefixLen) return -(r.prefixId * 65536 + k + 1);
  return r.id * 65536 + k;
}

