// Worker thread of the parallel query_range reader (parallel.ts): claim ranges from the end of the
// file backwards, find where each starts (the first series object after its cut), read its series
// objects with the main thread's own code (series-object.ts), store each batch as the sink would
// (`batchKind`: Int32Array or Float64Array, timestamps shared between series with the same times),
// and send them back, a range at a time. In a range it stops after the last whole series object
// before anything it does not expect — the main thread reads on from there and meets that thing
// itself. It stops claiming at the first range the main thread has claimed.

import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { Labels, SampleValues } from '../../model/series.js';
import { InputError } from '../../errors.js';
import { BATCH_HAS_BAD } from '../accumulator.js';
import { JsonByteReader } from '../bytes/json-reader.js';
import { CHUNK_BYTES, chunkRing, fileChunks } from '../source.js';
import { sharedFloat64 } from '../../model/shared-memory.js';
import { ValueSlabs } from '../value-slabs.js';
import { CLAIM_FREE, CLAIM_MAIN, CLAIM_WORKER, CTRL_GATE, type RangeJob, type RunResult, type RunSeries, type WorkerMessage } from './range-protocol.js';
import { SeriesObjectReader, type SeriesTarget } from './series-object.js';

/** How many recent timestamp columns a series is compared with before it gets its own. */
const COLUMN_SEARCH = 8;

function samePrefix(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The series of one range, and the worker's recent timestamp columns (kept from range to range). */
class RunCollector implements SeriesTarget {
  series: RunSeries[] = [];
  transfer: ArrayBuffer[] = [];
  /** The columns this range's series use (`RunSeries.col` indexes it). */
  cols: Float64Array[] = [];
  private colIndex = new Map<Float64Array, number>();
  /** The worker's most recent columns, in shared memory: a range whose series carry the same times
   * as the range before refers to the same memory instead of sending another copy. */
  private readonly recent: Float64Array[] = [];

  /** Start the next range (the recent columns stay). */
  nextRange(): void {
    this.series = [];
    this.transfer = [];
    this.cols = [];
    this.colIndex = new Map();
  }

  take(name: string, labels: Labels, atAbs: number, t: Float64Array, v: SampleValues, n: number, kind: number): void {
    const flat: string[] = [];
    for (const k of Object.keys(labels)) flat.push(k, labels[k]);
    if (kind === BATCH_HAS_BAD) {
      const rawT = t.slice(0, n);
      const rawV = v.slice(0, n);
      this.transfer.push(rawT.buffer, rawV.buffer);
      this.series.push({ name, labels: flat, atAbs, n, col: -1, rawT, rawV });
      return;
    }
    // The stored block, in shared memory (the worker's value slabs): the main thread and later the
    // analysis workers read it without a copy.
    this.series.push({ name, labels: flat, atAbs, n, col: this.column(t, n), block: v });
  }

  private column(t: Float64Array, n: number): number {
    const recent = this.recent;
    let c: Float64Array | undefined;
    for (let i = recent.length - 1; i >= 0 && !c; i--) if (recent[i].length >= n && samePrefix(recent[i], t, n)) c = recent[i];
    if (!c) {
      c = sharedFloat64(n);
      c.set(t.subarray(0, n));
      recent.push(c);
      if (recent.length > COLUMN_SEARCH) recent.shift();
    }
    let i = this.colIndex.get(c);
    if (i === undefined) {
      i = this.cols.push(c) - 1;
      this.colIndex.set(c, i);
    }
    return i;
  }
}

const SEARCH_WINDOW = 256 * 1024;
/** How far the search windows overlap: a start whose bytes straddle two windows is seen in the second
 * (unless its whitespace is longer than this — a missed start only means a later one, or the main
 * thread reading the range). */
const SEARCH_OVERLAP = 256;
/** The first keys a series object may open with (after its `"`). */
const FIRST_KEYS = ['metric"', 'values"', 'value"'].map((k) => Buffer.from(k));

const isWs = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

/**
 * Whether `b[i]` (a `{`) opens a plausible series object: `,` before it, then `{"metric":`,
 * `{"values":` or `{"value":`, whitespace allowed, all within [lo, end).
 */
function seriesStartAt(b: Buffer, i: number, lo: number, end: number): boolean {
  let p = i - 1;
  while (p >= lo && isWs(b[p])) p--;
  if (p < lo || b[p] !== 0x2c) return false;
  let q = i + 1;
  while (q < end && isWs(b[q])) q++;
  if (q >= end || b[q] !== 0x22) return false;
  q++;
  for (const key of FIRST_KEYS) {
    if (q + key.length > end || b.compare(key, 0, key.length, q, q + key.length) !== 0) continue;
    let e = q + key.length;
    while (e < end && isWs(b[e])) e++;
    return e < end && b[e] === 0x3a;
  }
  return false;
}

/**
 * The first plausible series-object start after `from` (its `,` at or after it) and before `stop`, or
 * -1. Only a guess: the main thread uses it only if its own walk arrives there. `{` occurs only in
 * series and label objects (never in the `values` arrays), so a byte search for it finds candidates fast.
 */
async function findSeriesStart(fh: FileHandle, buf: Buffer, from: number, stop: number): Promise<number> {
  for (let at = from; at < stop; at += SEARCH_WINDOW - SEARCH_OVERLAP) {
    const { bytesRead } = await fh.read(buf, 0, SEARCH_WINDOW, at);
    if (bytesRead === 0) break;
    const b = bytesRead < SEARCH_WINDOW ? buf.subarray(0, bytesRead) : buf;
    for (let i = b.indexOf(0x7b); i >= 0; i = b.indexOf(0x7b, i + 1)) {
      if (at + i >= stop) return -1;
      if (seriesStartAt(b, i, 0, bytesRead)) return at + i;
    }
    if (bytesRead < SEARCH_WINDOW) break;
  }
  return -1;
}

/** The series objects from `start` (a guessed series start) up to the first one at or after `stop`. */
async function readRange(job: RangeJob, collector: RunCollector, slabs: ValueSlabs, ring: Buffer[], start: number, stop: number): Promise<{ out: RunResult; transfer: ArrayBuffer[] }> {
  const r = new JsonByteReader(job.display, fileChunks(job.path, CHUNK_BYTES, start, ring), start);
  collector.nextRange();
  const shapeError = (message: string, abs: number) => new InputError({ code: 'NOT_PROMETHEUS_RESPONSE', file: job.display, position: { byte: abs }, message });
  const objects = new SeriesObjectReader(r, shapeError, collector, slabs);
  const out: RunResult = { endAbs: start, matrices: 0, vectors: 0, tallies: objects.tallies(), series: [], cols: [] };
  let whole = 0;
  try {
    while ((await r.peek()) === 0x7b) {
      const kind = await objects.read();
      if (kind === 'matrix') out.matrices++;
      else if (kind === 'vector') out.vectors++;
      out.endAbs = r.offset;
      out.tallies = objects.tallies();
      whole = collector.series.length;
      if ((await r.peek()) !== 0x2c) break;
      r.pos++;
      await r.peek();
      if (r.offset >= stop) break;
    }
  } catch {
    // An error (or the end of the input) inside a series object: the main thread reads on from
    // endAbs, meets it and reports it exactly as it would without workers.
  }
  await r.close().catch(() => undefined);
  out.series = collector.series.slice(0, whole);
  out.cols = collector.cols;
  return { out, transfer: collector.transfer };
}

const post = (m: WorkerMessage, transfer?: ArrayBuffer[]) => parentPort!.postMessage(m, transfer);

async function run(job: RangeJob): Promise<void> {
  const claims = new Int32Array(job.claims);
  const ctrl = new Int32Array(job.ctrl);
  // A closed gate (tests only, parallel.ts gateAt): wait for the main thread to open it.
  while (Atomics.load(ctrl, CTRL_GATE) === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  const mine = CLAIM_WORKER + job.worker;
  const search = { fh: await fsp.open(job.path, 'r').catch(() => undefined), buf: Buffer.allocUnsafe(SEARCH_WINDOW) };
  const ring = chunkRing(); // the read buffers of every range (one range at a time)
  const collector = new RunCollector();
  const slabs = new ValueSlabs(); // the values of every range (one range at a time)
  for (let j = job.ranges - 1; j >= 1; j--) {
    const was = Atomics.compareExchange(claims, j, CLAIM_FREE, mine);
    if (was === CLAIM_MAIN) break; // the main thread has come this far: the ranges before are its own
    if (was !== CLAIM_FREE) continue; // another worker's
    const stop = j + 1 < job.ranges ? (j + 1) * job.rangeBytes : Infinity;
    const start = search.fh ? await findSeriesStart(search.fh, search.buf, j * job.rangeBytes, Math.min(stop, job.size)).catch(() => -1) : -1;
    post({ kind: 'start', range: j, start });
    if (start < 0) continue;
    const { out, transfer } = await readRange(job, collector, slabs, ring, start, stop);
    post({ kind: 'result', range: j, result: out }, transfer);
  }
  await search.fh?.close().catch(() => undefined);
  post({ kind: 'idle' });
}

await run(workerData as RangeJob);
