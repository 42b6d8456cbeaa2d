// An analysis worker thread (threads.ts): a view over the main thread's series — the same samples in
// shared memory, not a copy — runs scopeWork for the replicas it was given, then hands back the signals
// and everything its view computed (exportMemo). It always answers, with an error message if it failed.

import { workerData, type MessagePort } from 'node:worker_threads';
import { MetricSet, type Series } from '../model/series.js';
import type { ServingConfig } from '../model/serving-config.js';
import type { SloTargets } from '../derive/slo.js';
import { AnalysisView } from '../derive/view.js';
import { scopeWork } from './scope-work.js';
import type { ThreadAnswer } from './threads.js';

export interface ThreadJob {
  port: MessagePort;
  /** [0]: set to 1 when the answer is posted; [1]: counts finished pieces of work (progress). */
  state: Int32Array;
  series: Series[];
  /** Series whose labels object has no prototype (a structured clone gives it one back). */
  nullProtoLabels: Uint8Array;
  /** Whether `config.values` has no prototype. */
  nullProtoConfig: boolean;
  config: ServingConfig;
  slo: SloTargets;
  scopes: string[];
}

const job = workerData as ThreadJob;
let answer: ThreadAnswer;
let transfer: ArrayBuffer[] = [];
try {
  // Test hook (test/integration/analysis-threads.test.ts): a worker that fails before any work.
  if (process.env.VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL === '1') throw new Error('failing as the test asked');
  for (let i = 0; i < job.series.length; i++) if (job.nullProtoLabels[i]) Object.setPrototypeOf(job.series[i].labels, null);
  if (job.nullProtoConfig) Object.setPrototypeOf(job.config.values, null);
  const view = new AnalysisView(new MetricSet(job.series), job.config, job.slo);
  const signals = scopeWork(view, job.scopes, () => Atomics.add(job.state, 1, 1));
  const out = view.exportMemo();
  answer = { signals, memo: out.memo };
  transfer = out.transfer;
} catch (e) {
  answer = { error: (e as Error)?.message ?? String(e) };
}
try {
  job.port.postMessage(answer, transfer);
} catch (e) {
  job.port.postMessage({ error: `could not hand back the results: ${(e as Error).message}` });
}
Atomics.store(job.state, 0, 1);
Atomics.notify(job.state, 0);
job.port.close();
