// Worker thread of the parallel query_range reader (parallel.ts): read the series objects of one byte
// range with the main thread's own code (series-object.ts), store each batch as the sink would
// (`batchKind`: Int32Array or Float64Array, timestamps shared between series with the same times),
// and send them back. It stops after the last whole series object before anything it does not
// expect — the main thread reads on from there and meets that thing itself.

import { parentPort, workerData } from 'node:worker_threads';
import type { Labels, SampleValues } from '../../model/series.js';
import { InputError } from '../../errors.js';
import { BATCH_HAS_BAD, BATCH_INT32, batchKind } from '../accumulator.js';
import { JsonByteReader } from '../bytes/json-reader.js';
import { CHUNK_BYTES, fileChunks } from '../source.js';
import { sharedFloat64, sharedInt32 } from '../../model/shared-memory.js';
import type { RangeJob, RunResult, RunSeries } from './parallel.js';
import { SeriesObjectReader, type SeriesTarget } from './series-object.js';

/** How many recent timestamp columns a series is compared with before it gets its own. */
const COLUMN_SEARCH = 8;

function samePrefix(a: Float64Array, b: Float64Array, n: number): boolean {
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

class RunCollector implements SeriesTarget {
  readonly series: RunSeries[] = [];
  readonly cols: Float64Array[] = [];
  readonly transfer: ArrayBuffer[] = [];

  take(name: string, labels: Labels, atAbs: number, t: Float64Array, v: Float64Array, n: number): void {
    const flat: string[] = [];
    for (const k of Object.keys(labels)) flat.push(k, labels[k]);
    const kind = batchKind(t, v, n);
    if (kind === BATCH_HAS_BAD) {
      const rawT = t.slice(0, n);
      const rawV = v.slice(0, n);
      this.transfer.push(rawT.buffer, rawV.buffer);
      this.series.push({ name, labels: flat, atAbs, n, col: -1, rawT, rawV });
      return;
    }
    // Shared memory: the block is the stored series, which analysis workers later read without a copy.
    const block: SampleValues = kind === BATCH_INT32 ? sharedInt32(n) : sharedFloat64(n);
    block.set(v.subarray(0, n));
    this.series.push({ name, labels: flat, atAbs, n, col: this.column(t, n), block });
  }

  private column(t: Float64Array, n: number): number {
    const cols = this.cols;
    for (let i = cols.length - 1; i >= 0 && i >= cols.length - COLUMN_SEARCH; i--) {
      if (cols[i].length >= n && samePrefix(cols[i], t, n)) return i;
    }
    const c = t.slice(0, n);
    cols.push(c);
    this.transfer.push(c.buffer);
    return cols.length - 1;
  }
}

async function run(job: RangeJob): Promise<void> {
  const r = new JsonByteReader(job.display, fileChunks(job.path, CHUNK_BYTES, job.start), job.start);
  const collector = new RunCollector();
  const shapeError = (message: string, abs: number) => new InputError({ code: 'NOT_PROMETHEUS_RESPONSE', file: job.display, position: { byte: abs }, message });
  const objects = new SeriesObjectReader(r, shapeError, collector);
  const out: RunResult = { endAbs: job.start, matrices: 0, vectors: 0, tallies: objects.tallies(), series: [], cols: [] };
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
      if (r.offset >= job.stop) break;
    }
  } catch {
    // An error (or the end of the input) inside a series object: the main thread reads on from
    // endAbs, meets it and reports it exactly as it would without workers.
  }
  await r.close().catch(() => undefined);
  out.series = collector.series.slice(0, whole);
  out.cols = collector.cols;
  parentPort!.postMessage(out, collector.transfer);
}

await run(workerData as RangeJob);
