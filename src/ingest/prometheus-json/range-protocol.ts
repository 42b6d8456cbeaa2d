// What the main thread and the range workers of the parallel query_range reader share (parallel.ts,
// range-worker.ts): the claim states, the job, and the messages. A module of its own so that a worker
// loads only what it runs.

import type { SampleValues } from '../../model/series.js';
import type { SeriesTallies } from './series-object.js';

/** Claim states of a range (one Int32 each in the shared claim array); a worker's claim is
 * `CLAIM_WORKER + its index`, so that the main thread knows whose answer to wait for. */
export const CLAIM_FREE = 0;
export const CLAIM_MAIN = 1;
export const CLAIM_WORKER = 2;
/** Slot of the gate in the control array (tests: workers wait until it is open, see `gateAt`). */
export const CTRL_GATE = 0;

/** What every worker is given: the file, the cuts, and the shared claim state. */
export interface RangeJob {
  path: string;
  display: string;
  size: number;
  /** Range j (1 ≤ j < ranges) starts at its first series object at or after j·rangeBytes; range 0 is the main thread's. */
  rangeBytes: number;
  ranges: number;
  /** Int32 per range: CLAIM_FREE, CLAIM_MAIN or CLAIM_WORKER + worker index. */
  claims: SharedArrayBuffer;
  /** Int32 control words (CTRL_GATE: 1 when workers may claim). */
  ctrl: SharedArrayBuffer;
  worker: number;
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
  rawV?: SampleValues;
}

/** A worker's answer for one range: its whole series objects, and where the last one ends. */
export interface RunResult {
  /** Offset just after the last series object read (the main thread goes on from here). */
  endAbs: number;
  matrices: number;
  vectors: number;
  tallies: SeriesTallies;
  series: RunSeries[];
  cols: Float64Array[];
}

/** Messages of a worker: where a claimed range starts (-1: no series object in it), its result, and
 * that it found nothing more to claim. */
export type WorkerMessage = { kind: 'start'; range: number; start: number } | { kind: 'result'; range: number; result: RunResult } | { kind: 'idle' };
