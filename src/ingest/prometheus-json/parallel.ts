// The parallel query_range reader (issue 13 §3): a large plain JSON file is cut into byte ranges at
// series boundaries; worker threads read the series objects of ranges 1…N−1 (range-worker.ts) while
// the main thread reads the file from the start as always. When the main thread's walk reaches the
// first series object of a worker's range, as an element of a result array, it takes that worker's
// series (in file order) and goes on right after the last of them.
//
// Why the output is the same with 1 or N workers, byte for byte:
// - a cut is only a guess (`,{"metric":` found by a byte search); it is used only if the main
//   thread's own structured walk arrives exactly there as a series element — otherwise the main
//   thread reads that stretch itself and the worker's work is thrown away;
// - a worker hands back only whole series objects, each read by the same code as the main thread's
//   (series-object.ts); at the first thing it does not expect (an error, the end of the array, a
//   non-series element) it stops after the last whole series, and the main thread reads on from
//   there — so every error is found, worded and positioned by the main thread, as without workers;
// - the series go into the sink in file order, through the same open/limit checks, stored exactly
//   as `pushMany` stores them (the worker classifies each batch with the same `batchKind`).

import { existsSync, promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { SampleValues } from '../../model/series.js';
import type { SampleSink } from '../sink.js';
import type { InputSource } from '../source.js';
import type { SeriesTallies } from './series-object.js';
import { openAt } from './reader.js';

/** Smallest range worth a worker: below it, thread start-up and the hand-over cost more than they save. */
export const DEFAULT_MIN_RANGE_BYTES = 32 * 1024 * 1024;
/** How far past a cut the search for a series boundary goes before the cut is given up. */
const SEARCH_BYTES = 64 * 1024 * 1024;
const SEARCH_WINDOW = 4 * 1024 * 1024;

/** What a range worker is asked to read. */
export interface RangeJob {
  path: string;
  display: string;
  /** Offset of the `{` of the range's first series object. */
  start: number;
  /** The worker stops before the first series object that starts at or after this offset. */
  stop: number;
}

/** One series object read by a worker. */
export interface RunSeries {
  name: string;
  /** Label names and values, alternating, in the order of the input. */
  labels: string[];
  /** Offset of the series object (for errors of the sink: a limit). */
  atAbs: number;
  n: number;
  /** Index of its timestamps in `RunResult.cols` (a column shared by series with the same times). */
  col: number;
  /** Values stored as `pushMany` stores them; absent when the batch holds samples it drops. */
  block?: SampleValues;
  /** The raw samples, when `block` is absent (the sink drops and counts the bad ones). */
  rawT?: Float64Array;
  rawV?: Float64Array;
}

/** A worker's answer: its whole series objects, and where the last one ends. */
export interface RunResult {
  /** Offset just after the last series object read (the main thread goes on from here). */
  endAbs: number;
  matrices: number;
  vectors: number;
  tallies: SeriesTallies;
  series: RunSeries[];
  cols: Float64Array[];
}

/** Ranges handed over by workers in this process so far (tests check that the parallel path ran). */
export const parallelStats = { rangesTaken: 0, seriesTaken: 0 };


function minRangeBytes(): number {
  const env = Number(process.env.VLLM_TUNE_PARALLEL_MIN_BYTES);
  return Number.isFinite(env) && env >= 1 ? env : DEFAULT_MIN_RANGE_BYTES;
}

// The compiled worker next to this module; when running from TypeScript sources (tests under vitest)
// there is none, and files are read on the main thread only.
const WORKER_URL = new URL('./range-worker.js', import.meta.url);
const workerAvailable = (): boolean => WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));

/** A `,` then a series object whose first key is `metric` or `values`/`value`: the `{` is captured. */
const SERIES_START = /,[ \t\r\n]*(\{)[ \t\r\n]*"(?:metric|values?)"[ \t\r\n]*:/g;

/** The first plausible series-object start at or after `from`, or -1. */
async function findSeriesStart(path: string, from: number, size: number): Promise<number> {
  const fh = await fsp.open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(SEARCH_WINDOW);
    for (let at = from; at < Math.min(size, from + SEARCH_BYTES); at += SEARCH_WINDOW - 256) {
      const { bytesRead } = await fh.read(buf, 0, SEARCH_WINDOW, at);
      if (bytesRead === 0) break;
      SERIES_START.lastIndex = 0;
      const m = SERIES_START.exec(buf.toString('latin1', 0, bytesRead));
      if (m) return at + m.index + m[0].indexOf('{');
    }
    return -1;
  } finally {
    await fh.close();
  }
}

/** The worker ranges of the main thread's walk, by the offset of their first series object. */
export class RangeHandoff {
  private readonly jobs = new Map<number, Promise<RunResult | null>>();
  private readonly workers: Worker[] = [];
  readonly threads: number;

  constructor(jobs: RangeJob[]) {
    for (const job of jobs) {
      let w: Worker;
      try {
        w = new Worker(WORKER_URL, { workerData: job });
      } catch {
        continue; // no thread for this range (resource limits): the main thread reads it
      }
      this.workers.push(w);
      this.jobs.set(
        job.start,
        new Promise<RunResult | null>((resolve) => {
          w.once('message', (m: RunResult) => resolve(m));
          w.once('error', () => resolve(null));
          w.once('exit', () => resolve(null));
        }),
      );
    }
    this.threads = this.workers.length + 1;
  }

  /** The result of the range that starts at `abs`, if a worker read one (each is taken once). */
  take(abs: number): Promise<RunResult | null> | undefined {
    const j = this.jobs.get(abs);
    if (j) this.jobs.delete(abs);
    return j;
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
    this.jobs.clear();
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/**
 * Worker ranges for a file, or undefined where reading it on the main thread alone is the plan: a
 * compressed or non-file input, one worker, a file too small for two ranges, or no series boundary
 * found near any cut.
 */
export async function planRanges(src: InputSource, workers: number): Promise<RangeHandoff | undefined> {
  if (!src.path || src.gzip || !src.chunksFrom || src.sizeBytes === undefined || !workerAvailable()) return undefined;
  const size = src.sizeBytes;
  const parts = Math.min(workers, Math.floor(size / minRangeBytes()));
  if (parts < 2) return undefined;
  const starts: number[] = [];
  for (let i = 1; i < parts; i++) {
    const at = await findSeriesStart(src.path, Math.floor((i * size) / parts), size);
    if (at > (starts.at(-1) ?? 0)) starts.push(at);
  }
  if (!starts.length) return undefined;
  return new RangeHandoff(starts.map((start, i) => ({ path: src.path!, display: src.display, start, stop: starts[i + 1] ?? Infinity })));
}
