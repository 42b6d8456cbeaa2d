// The paged KV cache of vLLM v1: a pool of blocks with an LRU free queue (a doubly linked list over
// typed arrays, as `kv_cache_utils.FreeKVCacheBlockQueue`) and the prefix-cache map from block
// content keys to cached blocks (`block_pool.py`).

import type { Req } from './request.js';

/**
 * Content key → block, as an open-addressing hash table over typed arrays (linear probing, deletion
 * by backward shift): keys are integers up to ~2^40 that a Map would box on every insert — this was a
 * quarter of the simulator's time. Holds at most one key per block.
 */
export class KeyTable {
  private readonly keys: Float64Array;
  private readonly vals: Int32Array;
  private readonly mask: number;
  size = 0;

  constructor(maxEntries: number) {
    let cap = 16;
    while (cap < maxEntries * 2) cap *= 2;
    this.keys = new Float64Array(cap);
    this.vals = new Int32Array(cap).fill(-1);
    this.mask = cap - 1;
  }

  private slot(k: number): number {
    const lo = k >>> 0;
    const hi = Math.floor(k / 4294967296) | 0;
    let h = Math.imul(lo ^ Math.imul(hi, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 15;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 13;
    return h & this.mask;
  }

  /** The block cached under `k`, or -1. */
  get(k: number): number {
    const keys = this.keys;
    const vals = this.vals;
    for (let i = this.slot(k); ; i = (i + 1) & this.mask) {
      const v = vals[i];
      if (v < 0) return -1;
      if (keys[i] === k) return v;
    }
  }

  /** Insert `k` (absent) → `b`. */
  set(k: number, b: number): void {
    const keys = this.keys;
    const vals = this.vals;
    let i = this.slot(k);
    while (vals[i] >= 0) i = (i + 1) & this.mask;
    keys[i] = k;
    vals[i] = b;
    this.size++;
  }

  /** Remove `k` if it maps to `b`. */
  deleteIf(k: number, b: number): void {
    const keys = this.keys;
    const vals = this.vals;
    const mask = this.mask;
    let i = this.slot(k);
    for (;;) {
      const v = vals[i];
      if (v < 0) return;
      if (keys[i] === k) break;
      i = (i + 1) & mask;
    }
    if (vals[i] !== b) return;
    // Backward-shift deletion: move later entries of the probe run into the hole when their home allows.
    let hole = i;
    let j = i;
    for (;;) {
      j = (j + 1) & mask;
      if (vals[j] < 0) break;
      const home = this.slot(keys[j]);
      // Entry j may move to the hole when its home is not cyclically in (hole, j].
      const inRange = hole <= j ? home > hole && home <= j : home > hole || home <= j;
      if (inRange) continue;
      keys[hole] = keys[j];
      vals[hole] = vals[j];
      hole = j;
    }
    vals[hole] = -1;
    this.size--;
  }

  clear(): void {
    this.vals.fill(-1);
    this.size = 0;
  }
}

export class BlockPool {
  readonly n: number;
  private readonly prev: Int32Array;
  private readonly next: Int32Array;
  readonly ref: Int32Array;
  private readonly key: Float64Array;
  private head = -1;
  private tail = -1;
  numFree: number;
  readonly cached: KeyTable;
  evictions = 0;

  constructor(n: number) {
    this.n = n;
    this.prev = new Int32Array(n);
    this.next = new Int32Array(n);
    this.ref = new Int32Array(n);
    this.key = new Float64Array(n).fill(-0.5);
    this.cached = new KeyTable(n);
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
      this.cached.deleteIf(k, b);
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
    if (this.key[b] !== -0.5 || this.cached.get(k) >= 0) return;
    this.key[b] = k;
    this.cached.set(k, b);
  }
}

/** Content key of block `k` of a request: shared-prefix blocks are keyed by prefix, the rest by request. */
export function blockKey(r: Req, k: number, bs: number): number {
  if (r.prefixId >= 0 && (k + 1) * bs <= r.prefixLen) return -(r.prefixId * 65536 + k + 1);
  return r.id * 65536 + k;
}

