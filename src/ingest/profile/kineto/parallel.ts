// Reading a large trace file on several threads. The file is cut into blocks; workers (worker.ts) each
// take the next block, find its first event start (a guess, resync.ts), scan to the first event at or
// after the block's end and send the events back as records. The main thread feeds the records to the
// aggregator strictly in file order, so the profile is the one a single thread gives.
//
// Why the result is exact: block 0 is scanned from the start of the file. A block's records are used
// only when its scan began at exactly the byte where the previous block's scan stopped — the previous
// scan knew it was at an event of `traceEvents`, so the guess is confirmed and the block's scan is the
// scan a single thread would have made. A block whose guess is not confirmed is re-scanned by the main
// thread from where the previous scan stopped; a block that the previous scan ran past entirely is
// dropped. Errors count only from confirmed scans, so a file gives the same error as on one thread.
// The workers hold no aggregation state; memory is bounded by the blocks in flight (one per worker,
// plus one) and their record buffers, which go back to the worker that filled them.

import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { InputError, type InputErrorInit } from '../../../errors.js';
import { Ch, isWs } from './bytes.js';
import { deliver } from './deliver.js';
import type { KinetoAggregator } from './aggregate.js';
import { LocalSink } from './aggregate.js';
import type { ScannedEvent } from './events.js';
import { scanRange } from './range.js';
import { WorkerNames, replay } from './records.js';
import type { ScanHeader } from './scanner.js';

export interface WorkerInit {
  /** The file, opened by the main thread (positional reads from several threads are safe). */
  fd: number;
  size: number;
  display: string;
  cpuOps: boolean;
  chunkBytes: number;
  blockBytes: number;
  nBlocks: number;
  /** This worker's index (in its results: which worker's names and buffers they use). */
  index: number;
  /** Scanner state at an event start: 2 in `traceEvents`, 4 in a bare array. */
  state: 2 | 4;
  /** A worker does not start block j before the main thread has consumed block j − ahead. */
  ahead: number;
  /** [blocks consumed by the main thread, stop flag, next block to take] */
  ctrl: SharedArrayBuffer;
  /** Record buffers come back on this port once the main thread has used them (the worker polls it). */
  returns: MessagePort;
}

export interface BlockResult {
  k: number;
  /** The worker that scanned it. */
  w: number;
  /** Where the scan began (−1: no event start in the block). */
  from: number;
  stop: number;
  eof: boolean;
  events: number;
  header: ScanHeader;
  sawEvents: boolean;
  rec: Float64Array<SharedArrayBuffer>;
  n: number;
  strs: string[];
  newNames: string[];
  error?: Omit<InputErrorInit, 'file'>;
  fatal?: string;
}

export interface ParallelOptions {
  workers: number;
  blockBytes: number;
  chunkBytes?: number;
  /** The worker script (default: worker.js next to this module, i.e. the compiled one). */
  workerUrl?: URL | undefined;
}

export interface ParallelRead {
  events: number;
  header: ScanHeader;
  sawEvents: boolean;
  /** Worker threads used. */
  threads: number;
  /** Blocks re-scanned by the main thread (a start guess not confirmed); for tests and the bench. */
  rescanned: number;
}

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Whether the worker script is there (the compiled one is not when running from TypeScript sources, e.g. under vitest). */
export function parallelAvailable(url: URL = WORKER_URL): boolean {
  return url.protocol === 'file:' && existsSync(fileURLToPath(url));
}

/** `traceEvents` (2) or a bare array (4), from the first byte of the file; null when neither (the single-thread reader reports it). */
function eventState(fd: number): 2 | 4 | null {
  const b = Buffer.alloc(4096);
  const n = readSync(fd, b, 0, b.length, 0);
  let p = n >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
  while (p < n && isWs(b[p])) p++;
  return b[p] === Ch.LBrace ? 2 : b[p] === Ch.LBrack ? 4 : null;
}

/** Scan `path` (not compressed) into `agg`; null when the file cannot be read this way. */
export async function readKinetoParallel(path: string, display: string, agg: KinetoAggregator, opts: ParallelOptions): Promise<ParallelRead | null> {
  const fd = openSync(path, 'r');
  const size = fstatSync(fd).size;
  const state = eventState(fd);
  if (state === null) {
    closeSync(fd);
    return null;
  }
  const cpuOps = agg.linker !== undefined;
  const chunkBytes = opts.chunkBytes ?? 1 << 20;
  const B = Math.max(1, opts.blockBytes);
  const nBlocks = Math.ceil(size / B);
  const limitOf = (k: number): number => Math.min(size, (k + 1) * B);
  const nWorkers = Math.max(1, Math.min(opts.workers, nBlocks));
  // Each worker takes the next untaken block from a shared counter (no round trip through this thread
  // per block, which on a busy machine costs a scheduling delay each time; a worker that gets more CPU
  // takes more blocks); it waits only when its block is `ahead` blocks past what this thread has
  // consumed, which bounds the results held here (a block's records are about a quarter of its size).
  const ctrl = new Int32Array(new SharedArrayBuffer(12));
  const ahead = nWorkers + 2;
  const workers: Worker[] = [];
  const returns: MessagePort[] = [];
  const names: WorkerNames[] = [];
  const local = new LocalSink(agg);
  const onLocal = (ev: ScannedEvent): void => deliver(ev, local);
  let mainBufs: [Buffer, Buffer] | undefined;
  const out: ParallelRead = { events: 0, header: {}, sawEvents: false, threads: nWorkers, rescanned: 0 };
  const results = new Map<number, BlockResult>();
  let k = 0; // next block to consume
  let pos = 0; // where the confirmed scan stands
  let done = false;
  let failed = false;

  const take = (r: { stop: number; eof: boolean; events: number; header: ScanHeader; sawEvents: boolean }): void => {
    out.events += r.events;
    Object.assign(out.header, r.header);
    out.sawEvents ||= r.sawEvents;
    pos = r.stop;
    if (r.eof) done = true;
  };

  try {
    await new Promise<void>((resolve, reject) => {
      const consume = (): void => {
        while (!failed && results.has(k)) {
          const r = results.get(k)!;
          results.delete(k);
          names[r.w].add(r.newNames);
          if (r.fatal) throw new Error(`Kineto worker failed: ${r.fatal}`);
          if (!done && pos < limitOf(k)) {
            if (r.from === pos && !r.error) {
              replay(r.rec, r.n, r.strs, names[r.w], agg);
              take(r);
              // the buffer goes back to its worker: records of a whole file then cost a few buffers,
              // not one per block left for the garbage collector (shared, not transferred: see records.ts)
              returns[r.w].postMessage(r.rec);
            } else if (r.from === pos) {
              throw new InputError({ ...r.error!, file: display });
            } else {
              // the start guess was wrong: this thread scans the block from where the confirmed scan stands
              out.rescanned++;
              mainBufs ??= [Buffer.allocUnsafe(chunkBytes), Buffer.allocUnsafe(chunkBytes)];
              take(scanRange(fd, size, display, cpuOps, pos, state, limitOf(k), onLocal, mainBufs));
            }
          }
          k++;
          Atomics.store(ctrl, 0, k);
          Atomics.notify(ctrl, 0);
        }
        // once the confirmed scan has reached the end of the file, the ranges still out are not needed
        if ((k >= nBlocks || done) && !failed) resolve();
      };
      const fail = (e: unknown): void => {
        failed = true;
        reject(e);
      };
      for (let i = 0; i < nWorkers; i++) {
        const { port1, port2 } = new MessageChannel();
        returns.push(port1);
        const init: WorkerInit = { fd, size, display, cpuOps, chunkBytes, blockBytes: B, nBlocks, index: i, state, ahead, ctrl: ctrl.buffer as SharedArrayBuffer, returns: port2 };
        const w = new Worker(opts.workerUrl ?? WORKER_URL, { workerData: init, transferList: [port2], resourceLimits: { maxYoungGenerationSizeMb: 4 } });
        w.on('message', (r: BlockResult) => {
          results.set(r.k, r);
          try {
            consume();
          } catch (e) {
            fail(e);
          }
        });
        w.on('error', fail);
        w.on('exit', (code) => {
          if (code !== 0) fail(new Error(`Kineto worker exited with code ${code}`));
        });
        workers.push(w);
        names.push(new WorkerNames());
      }
    });
    if (!done) throw new Error(`Kineto parallel read ended at byte ${pos} of ${size}`);
    return out;
  } finally {
    Atomics.store(ctrl, 1, 1);
    Atomics.notify(ctrl, 0);
    await Promise.all(workers.map((w) => w.terminate()));
    for (const p of returns) p.close();
    closeSync(fd);
  }
}
