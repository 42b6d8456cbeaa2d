// How many threads read one large input (a query_range JSON file, a Kineto trace): `--workers` when
// given, else VLLM_TUNE_WORKERS (a whole number ≥ 1; a bad value is a one-line BAD_OPTION error), else
// the CPUs this process may use. 1 = the main thread alone. The result is the same whatever the number
// (src/ingest/prometheus-json/parallel.ts, src/ingest/profile/kineto/parallel.ts).

import os from 'node:os';
import { positiveInt } from '../limits.js';

export function readerThreads(requested?: number): number {
  return requested ?? positiveInt(process.env.VLLM_TUNE_WORKERS, 'VLLM_TUNE_WORKERS') ?? os.availableParallelism();
}
