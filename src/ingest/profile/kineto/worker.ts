// Worker thread of the parallel Kineto reader (parallel.ts): for each block it takes (the next untaken
// one, from a shared counter) find the first event start (resync.ts), scan to the first event at or after the block end,
// and send the events back as records (records.ts). It computes nothing else: all aggregation stays on
// the main thread, in file order.

import { readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { InputError } from '../../../errors.js';
import { deliver } from './deliver.js';
import type { ScannedEvent } from './events.js';
import { scanRange } from './range.js';
import { RecordWriter } from './records.js';
import { RESYNC_LOOKBACK, findEventStart } from './resync.js';
import type { BlockResult, WorkerInit } from './parallel.js';

const init = workerData as WorkerInit;
const fd = init.fd;
const bufs: [Buffer, Buffer] = [Buffer.allocUnsafe(init.chunkBytes), Buffer.allocUnsafe(init.chunkBytes)];
const writer = new RecordWriter();
const onEvent = (ev: ScannedEvent): void => deliver(ev, writer);

/** First event start in [start, limit): −1 none. */
function resync(start: number, limit: number): number {
  const lo = Math.max(0, start - RESYNC_LOOKBACK);
  for (let ahead = RESYNC_LOOKBACK; ; ahead = Infinity) {
    const hi = Math.min(init.size, limit, start + ahead);
    const b = hi - lo <= bufs[0].length ? bufs[0].subarray(0, hi - lo) : Buffer.allocUnsafe(hi - lo);
    const n = readSync(fd, b, 0, b.length, lo);
    const at = findEventStart(b.subarray(0, n), lo, start, limit);
    if (at !== -2) return at;
    if (hi >= Math.min(init.size, limit)) return -1;
  }
}

/** Record buffers the main thread has finished with. */
const pool: Float64Array<SharedArrayBuffer>[] = [];

function run(k: number): BlockResult {
  for (let m = receiveMessageOnPort(init.returns); m; m = receiveMessageOnPort(init.returns)) pool.push(m.message as Float64Array<SharedArrayBuffer>);
  writer.reset(pool.pop());
  const start = k * init.blockBytes;
  const limit = Math.min(init.size, start + init.blockBytes);
  const base = { k, w: init.index, from: start, stop: -1, eof: false, events: 0, header: {}, sawEvents: false };
  const from = k === 0 ? 0 : resync(start, limit);
  if (from < 0) return { ...base, from: -1, rec: writer.rec, n: 0, strs: [], newNames: writer.newNames };
  try {
    const r = scanRange(fd, init.size, init.display, init.cpuOps, from, k === 0 ? 0 : init.state, limit, onEvent, bufs);
    return { ...r, k, w: init.index, from, rec: writer.rec, n: writer.n, strs: writer.strs, newNames: writer.newNames };
  } catch (e) {
    const out = { ...base, from, rec: writer.rec, n: 0, strs: [], newNames: writer.newNames };
    if (e instanceof InputError) return { ...out, error: { code: e.code, message: e.message, hint: e.hint, position: e.position } };
    return { ...out, fatal: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
}

const ctrl = new Int32Array(init.ctrl);
for (;;) {
  const k = Atomics.add(ctrl, 2, 1);
  if (k >= init.nBlocks) break;
  for (;;) {
    if (Atomics.load(ctrl, 1)) break;
    const consumed = Atomics.load(ctrl, 0);
    if (k - consumed < init.ahead) break;
    Atomics.wait(ctrl, 0, consumed, 1000);
  }
  if (Atomics.load(ctrl, 1)) break;
  const r = run(k);
  parentPort!.postMessage(r);
}
