// vLLM v1's scheduler over one KV block pool: `schedule()` is `Scheduler.schedule()` — running
// requests first (a decode is 1 token, an unfinished prefill its next chunk) within the token budget
// `max_num_batched_tokens`, preempting the newest running request when a block is missing; then
// waiting requests while `running < max_num_seqs`, with a prefix-cache lookup and chunked prefill;
// no admissions in a step that preempted. `complete()` applies the step's end: KV computed, full
// blocks registered in the prefix cache, tokens sampled, requests finished.

import { BlockPool, blockKey } from './block-pool.js';
import type { Req } from './request.js';
import type { ReplicaSpec } from './types.js';

/** Counters the scheduler bumps (the replica's current metric values). */
export interface SchedulerCounters {
  cur: Float64Array;
  cPreempt: number;
  cPqueries: number;
  cPhits: number;
}

/** Where the tokens of a completed step go (metrics, probes). */
export interface TokenSink {
  firstToken(r: Req, now: number): void;
  nextToken(r: Req, now: number): void;
  /** Called after the request's blocks were freed. */
  finished(r: Req, now: number): void;
}

export class Scheduler {
  running: Req[] = [];
  waiting: Req[] = [];
  wHead = 0;
  readonly pool: BlockPool;
  /** Preemptions since the process started. */
  preemptions = 0;
  /** The requests of the step being run and the tokens each computes. */
  readonly schedReqs: Req[] = [];
  readonly schedN: number[] = [];
  /** Generated and prompt tokens of the last completed step (vLLM's iteration tokens). */
  genThisStep = 0;
  promptThisStep = 0;
  private readonly bs: number;
  private readonly caching: boolean;

  constructor(
    readonly spec: ReplicaSpec,
    numGpuBlocks: number,
    private readonly counters: SchedulerCounters,
  ) {
    this.pool = new BlockPool(numGpuBlocks);
    this.bs = spec.blockSize;
    this.caching = spec.enablePrefixCaching;
  }

  waitingLen(): number {
    return this.waiting.length - this.wHead;
  }

  /** Requests running or waiting (in flight). */
  inFlight(): number {
    return this.running.length + this.waitingLen();
  }

  enqueue(r: Req): void {
    this.waiting.push(r);
  }

  /** A crash: every request is lost and the pool is empty and cold. Returns the requests lost. */
  clear(): number {
    const lost = this.inFlight();
    this.running = [];
    this.waiting = [];
    this.wHead = 0;
    this.pool.reset();
    return lost;
  }

  private freeBlocks(r: Req): void {
    // vLLM frees in reverse order so a request's tail blocks are evicted before its prefix blocks.
    const pool = this.pool;
    for (let i = r.blocks.length - 1; i >= 0; i--) pool.release(r.blocks[i]);
    r.blocks = [];
    r.hashed = 0;
  }

  private preempt(r: Req): void {
    this.freeBlocks(r);
    r.computed = 0;
    r.preemptions++;
    this.preemptions++;
    this.counters.cur[this.counters.cPreempt]++;
    if (this.wHead > 0) this.waiting[--this.wHead] = r;
    else this.waiting.unshift(r);
  }

  private allocate(r: Req, count: number): void {
    for (let i = 0; i < count; i++) r.blocks.push(this.pool.allocate());
  }

  /** One scheduler pass (vLLM v1 `Scheduler.schedule`). Returns the scheduled token count. */
  schedule(): number {
    const spec = this.spec;
    const pool = this.pool;
    const bs = this.bs;
    const schedReqs = this.schedReqs;
    const schedN = this.schedN;
    const running = this.running;
    schedReqs.length = 0;
    schedN.length = 0;
    let budget = spec.maxNumBatchedTokens;
    let preemptedNow = false;
    let i = 0;
    while (i < running.length && budget > 0) {
      const r = running[i];
      const numTokens = r.promptLen + r.outputDone;
      const n = Math.min(numTokens - r.computed, budget);
      let ok = true;
      for (;;) {
        const need = Math.ceil((r.computed + n) / bs) - r.blocks.length;
        if (need <= pool.numFree) {
          if (need > 0) this.allocate(r, need);
          break;
        }
        const victim = running.pop()!;
        this.preempt(victim);
        preemptedNow = true;
        if (victim === r) {
          ok = false;
          break;
        }
      }
      if (!ok) break;
      schedReqs.push(r);
      schedN.push(n);
      budget -= n;
      i++;
    }
    if (!preemptedNow) {
      const cur = this.counters.cur;
      while (this.waitingLen() > 0 && budget > 0 && running.length < spec.maxNumSeqs) {
        const r = this.waiting[this.wHead];
        const numTokens = r.promptLen + r.outputDone;
        // Prefix-cache lookup: the longest run of cached full blocks, never the whole prompt.
        let hitBlocks = 0;
        let idleHits = 0;
        if (this.caching) {
          const maxHit = Math.floor((numTokens - 1) / bs);
          while (hitBlocks < maxHit) {
            const b = pool.cached.get(blockKey(r, hitBlocks, bs));
            if (b < 0) break;
            if (pool.ref[b] === 0) idleHits++;
            hitBlocks++;
          }
        }
        const computed = hitBlocks * bs;
        let n = numTokens - computed;
        if (n > budget) {
          if (!spec.enableChunkedPrefill) break;
          n = budget;
        }
        const need = Math.ceil((computed + n) / bs) - hitBlocks;
        if (need > pool.numFree - idleHits) break;
        for (let h = 0; h < hitBlocks; h++) {
          const b = pool.cached.get(blockKey(r, h, bs));
          pool.touch(b);
          r.blocks.push(b);
        }
        r.hashed = hitBlocks;
        r.computed = computed;
        this.allocate(r, need);
        if (this.caching) {
          cur[this.counters.cPqueries] += numTokens;
          cur[this.counters.cPhits] += computed;
        }
        this.wHead++;
        if (this.wHead > 1024 && this.wHead * 2 > this.waiting.length) {
          this.waiting = this.waiting.slice(this.wHead);
          this.wHead = 0;
        }
        if (r.scheduledTs < 0) r.scheduledTs = -2; // set to the step start in complete()
        running.push(r);
        schedReqs.push(r);
        schedN.push(n);
        budget -= n;
      }
    }
    return spec.maxNumBatchedTokens - budget;
  }

  /** The end of the step that started at `t` and ends at `now`: KV computed, tokens sampled, requests finished. */
  complete(t: number, now: number, sink: TokenSink): void {
    const schedReqs = this.schedReqs;
    const schedN = this.schedN;
    const pool = this.pool;
    const bs = this.bs;
    let gen = 0;
    let prompt = 0;
    let anyFinished = false;
    for (let j = 0; j < schedReqs.length; j++) {
      const r = schedReqs[j];
      if (r.scheduledTs === -2) r.scheduledTs = t;
      r.computed += schedN[j];
      if (this.caching) {
        const full = Math.floor(r.computed / bs);
        for (let b = r.hashed; b < full; b++) pool.register(r.blocks[b], blockKey(r, b, bs));
        if (full > r.hashed) r.hashed = full;
      }
      if (r.computed < r.promptLen + r.outputDone) continue; // mid-prefill chunk
      r.outputDone++;
      gen++;
      if (r.firstTokenTs < 0) {
        r.firstTokenTs = now;
        sink.firstToken(r, now);
        prompt += r.promptLen;
      } else {
        sink.nextToken(r, now);
      }
      r.lastTokenTs = now;
      if (r.outputDone >= r.outputTarget) {
        this.freeBlocks(r);
        sink.finished(r, now);
        r.done = true;
        anyFinished = true;
      }
    }
    if (anyFinished) this.running = this.running.filter((r) => !r.done);
    this.genThisStep = gen;
    this.promptThisStep = prompt;
  }
}
