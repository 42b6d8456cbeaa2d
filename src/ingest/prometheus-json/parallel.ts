// The parallel query_range reader (issue 13 §3): a large plain JSON file is cut into many byte ranges
// (a few MB each); worker threads claim ranges from the END of the file backwards and read their
// series objects (range-worker.ts), while the main thread reads the file from the start as always.
// Who reads a range is decided by a claim in shared memory (one Int32 per range: unclaimed, the main
// thread, or a worker), so neither side waits for the other: a worker that starts late just claims
// fewer ranges, and where the two meet at most one range is waited for.
//
// When the main thread's walk reaches the first series element at or after a range's cut, it claims
// the range (compare-and-exchange): if the range was still unclaimed, it reads on itself; if a worker
// holds it, the worker has told where its range starts (the first `,{"metric":` after the cut, found
// by the worker) and the main thread takes the worker's series when its walk arrives exactly there —
// in file order — and goes on right after the last of them.
//
// Why the output is the same with 1 or N threads, byte for byte, whoever claims what:
// - a range start is only a guess (a byte search); it is used only if the main thread's own
//   structured walk arrives exactly there as a series element — otherwise the main thread reads that
//   stretch itself and the worker's work is thrown away;
// - a worker hands back only whole series objects, each read by the same code as the main thread's
//   (series-object.ts); at the first thing it does not expect (an error, the end of the array, a
//   non-series element) it stops after the last whole series, and the main thread reads on from
//   there — so every error is found, worded and positioned by the main thread, as without workers;
// - the series go into the sink in file order, through the same open/limit checks, stored exactly
//   as `pushMany` stores them (the worker classifies each batch with the same `batchKind`).

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SampleSink } from '../sink.js';
import type { InputSource } from '../source.js';
import { openAt } from './reader.js';
import { CLAIM_FREE, CLAIM_MAIN, CLAIM_WORKER, CTRL_GATE, type RangeJob, type RunResult, type WorkerMessage } from './range-protocol.js';

/** Smallest range (below it the per-range cost — a file open, a search, a message — shows). */
export const DEFAULT_MIN_RANGE_BYTES = 4 * 1024 * 1024;
/** Largest range: where the two sides meet, the main thread may wait for up to one range. */
const MAX_RANGE_BYTES = 32 * 1024 * 1024;
/** Ranges per thread: enough that the side that starts late or runs slower just reads fewer. */
const RANGES_PER_THREAD = 16;
/** A file is split only when it holds this many smallest ranges: a worker's start-up (0.2 s) is
 * worth it only when the main thread alone would take clearly longer. */
const MIN_RANGES_PER_FILE = 16;

/** What the parallel reader did in this process so far (tests check which path ran). */
export const parallelStats = { rangesTaken: 0, seriesTaken: 0, rangesClaimedByMain: 0 };

function minRangeBytes(): number {
  const env = Number(process.env.VLLM_TUNE_PARALLEL_MIN_BYTES);
  return Number.isFinite(env) && env >= 1 ? env : DEFAULT_MIN_RANGE_BYTES;
}

/**
 * Tests only: VLLM_TUNE_PARALLEL_GATE=k makes the schedule fixed — workers start claiming only once
 * the main thread has claimed ranges 1…k itself (k = 0: at once), and the main thread then waits
 * until the workers have claimed all the rest before it reads on. Unset: no gate, no waiting.
 */
function gateAt(): number | undefined {
  const v = process.env.VLLM_TUNE_PARALLEL_GATE;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

// The compiled worker next to this module; when running from TypeScript sources (tests under vitest)
// there is none, and files are read on the main thread only.
const WORKER_URL = new URL('./range-worker.js', import.meta.url);
const workerAvailable = (): boolean => WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));

/** A value that arrives by message, with its resolver. */
interface Pending<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  done: boolean;
}
function pending<T>(): Pending<T> {
  let resolve!: (v: T) => void;
  const p: Pending<T> = { promise: new Promise<T>((r) => (resolve = r)), resolve: (v) => ((p.done = true), resolve(v)), done: false };
  return p;
}

/** The main thread's side of the claims: which range its walk is at, and the workers' answers. */
export class RangeHandoff {
  private readonly claims: Int32Array;
  private readonly ctrl: Int32Array;
  private readonly workers: Worker[] = [];
  private readonly alive: boolean[] = [];
  private readonly starts = new Map<number, Pending<number>>();
  private readonly results = new Map<number, Pending<RunResult | null>>();
  private readonly idle: Pending<void>[] = [];
  /** The next range whose cut the walk has not passed. */
  private next = 1;
  private nextCut: number;
  /** A worker's range whose start lies ahead of the walk. */
  private ahead: { range: number; start: number } | undefined;
  private readonly gate: number | undefined;
  /** Tests (gate 0): wait for the workers before the first series. */
  private waitFirst: boolean;
  readonly threads: number;

  constructor(
    private readonly job: Omit<RangeJob, 'worker'>,
    workers: number,
  ) {
    this.claims = new Int32Array(job.claims);
    this.ctrl = new Int32Array(job.ctrl);
    this.nextCut = job.rangeBytes;
    this.gate = gateAt();
    this.waitFirst = this.gate === 0;
    if (this.gate === undefined || this.gate === 0) this.openGate();
    for (let i = 0; i < workers; i++) {
      let w: Worker;
      try {
        w = new Worker(WORKER_URL, { workerData: { ...job, worker: i } satisfies RangeJob });
      } catch {
        break; // no more threads (resource limits): the main thread reads what they would have
      }
      const idle = pending<void>();
      this.workers.push(w);
      this.alive.push(true);
      this.idle.push(idle);
      w.on('message', (m: WorkerMessage) => {
        if (m.kind === 'start') this.startOf(m.range).resolve(m.start);
        else if (m.kind === 'result') this.resultOf(m.range).resolve(m.result);
        else idle.resolve();
      });
      const gone = () => {
        this.alive[i] = false;
        idle.resolve();
        // Whatever it claimed and did not answer, the main thread reads itself.
        for (const [range, p] of this.starts) if (!p.done && this.claims[range] === CLAIM_WORKER + i) p.resolve(-1);
        for (const [range, p] of this.results) if (!p.done && this.claims[range] === CLAIM_WORKER + i) p.resolve(null);
      };
      w.once('error', gone);
      w.once('exit', gone);
    }
    this.threads = this.workers.length + 1;
  }

  private startOf(range: number): Pending<number> {
    let p = this.starts.get(range);
    if (!p) this.starts.set(range, (p = pending<number>()));
    return p;
  }

  private resultOf(range: number): Pending<RunResult | null> {
    let p = this.results.get(range);
    if (!p) this.results.set(range, (p = pending<RunResult | null>()));
    return p;
  }

  private openGate(): void {
    Atomics.store(this.ctrl, CTRL_GATE, 1);
  }

  /**
   * The walk is at a series element at `abs`: a worker's series from here on (when its range starts
   * exactly here), null (read on), or undefined without waiting — the common case, no cut passed.
   */
  reach(abs: number): Promise<RunResult | null> | undefined {
    if (abs < this.nextCut && (this.ahead === undefined || abs < this.ahead.start) && !this.waitFirst) return undefined;
    return this.settle(abs);
  }

  private async settle(abs: number): Promise<RunResult | null> {
    if (this.waitFirst) {
      this.waitFirst = false;
      await this.workersIdle();
    }
    for (;;) {
      const a = this.ahead;
      if (a) {
        if (abs < a.start) return null;
        this.ahead = undefined;
        if (abs === a.start) {
          const p = this.results.get(a.range);
          return p ? p.promise : null;
        }
        // The walk went past the guessed start without an element there: the guess was wrong.
        this.results.delete(a.range);
        continue;
      }
      if (abs < this.nextCut) return null;
      const j = this.next++;
      this.nextCut = this.next < this.job.ranges ? this.next * this.job.rangeBytes : Infinity;
      const was = Atomics.compareExchange(this.claims, j, CLAIM_FREE, CLAIM_MAIN);
      if (was === CLAIM_FREE) {
        parallelStats.rangesClaimedByMain++;
        if (j === this.gate) {
          this.openGate();
          await this.workersIdle();
        }
        continue;
      }
      const w = was - CLAIM_WORKER;
      const p = this.startOf(j);
      if (!p.done && !this.alive[w]) p.resolve(-1);
      const start = await p.promise;
      this.starts.delete(j);
      if (start >= 0) {
        this.ahead = { range: j, start };
        const r = this.resultOf(j);
        if (!r.done && !this.alive[w]) r.resolve(null);
      }
    }
  }

  private async workersIdle(): Promise<void> {
    await Promise.all(this.idle.map((p) => p.promise));
  }

  /** Put a worker's series into the sink, in file order, as the main thread's reader would. */
  apply(run: RunResult, sink: SampleSink): void {
    parallelStats.rangesTaken++;
    parallelStats.seriesTaken += run.series.length;
    for (const s of run.series) {
      const labels: Record<string, string> = Object.create(null);
      for (let i = 0; i < s.labels.length; i += 2) labels[s.labels[i]] = s.labels[i + 1];
      const acc = openAt(sink, s.name, labels, s.n, s.atAbs);
      if (s.block) acc.pushBlock(run.cols[s.col].subarray(0, s.n), s.block, s.n);
      else acc.pushMany(s.rawT!, s.rawV!, s.n);
      sink.countSamples(s.n);
    }
  }

  /** Stop every worker (ranges never reached, or the walk failed). */
  async close(): Promise<void> {
    // Claim whatever is left, so that no worker starts another range, and let gated workers go.
    for (let j = 1; j < this.job.ranges; j++) Atomics.compareExchange(this.claims, j, CLAIM_FREE, CLAIM_MAIN);
    this.openGate();
    this.starts.clear();
    this.results.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** How a file of `size` bytes is cut for `threads` threads, or undefined when it is too small to cut. */
export function rangePlan(size: number, threads: number): { rangeBytes: number; ranges: number } | undefined {
  const min = minRangeBytes();
  if (threads < 2 || size < MIN_RANGES_PER_FILE * min) return undefined;
  const rangeBytes = Math.max(min, Math.min(MAX_RANGE_BYTES, Math.ceil(size / (threads * RANGES_PER_THREAD))));
  const ranges = Math.ceil(size / rangeBytes);
  return ranges < 2 ? undefined : { rangeBytes, ranges };
}

/**
 * The worker side of a file, or undefined where reading it on the main thread alone is the plan: a
 * compressed or non-file input, one thread, or a file too small to be worth a worker. Nothing is
 * read here: each worker finds the start of the ranges it claims.
 */
export function planRanges(src: InputSource, threads: number): RangeHandoff | undefined {
  if (threads < 2 || !src.path || src.gzip || !src.chunksFrom || src.sizeBytes === undefined || !workerAvailable()) return undefined;
  const size = src.sizeBytes;
  const plan = rangePlan(size, threads);
  if (!plan) return undefined;
  const { rangeBytes, ranges } = plan;
  const job = {
    path: src.path,
    display: src.display,
    size,
    rangeBytes,
    ranges,
    claims: new SharedArrayBuffer(4 * ranges),
    ctrl: new SharedArrayBuffer(4 * 4),
  };
  return new RangeHandoff(job, threads - 1);
}
