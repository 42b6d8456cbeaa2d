// An analysis worker thread (threads.ts): a view over the main thread's series — the same samples in
// shared memory, not a copy. It runs scopeWork for the replicas it was given and hands back the signals
// and everything its view computed (exportMemo); then it computes each task it was given (the view-wide
// pieces threads.ts lists) and hands back each value as soon as it has it. Every message is answered,
// with an error message where that part failed (the main thread then computes it itself).

import { workerData, type MessagePort } from 'node:worker_threads';
import { MetricSet, type Series } from '../model/series.js';
import type { ServingConfig } from '../model/serving-config.js';
import type { SloTargets } from '../derive/slo.js';
import { AnalysisView } from '../derive/view.js';
import { capacityReview, type CapacityOptions } from '../derive/capacity-review.js';
import { correlations } from '../derive/anomalies.js';
import { qualitySection } from '../derive/quality-section.js';
import { alertsReplay } from '../alerts/index.js';
import { scopeWork } from './scope-work.js';
import type { TaskName, ThreadMessage } from './threads.js';

export interface ThreadJob {
  port: MessagePort;
  /** [0]: messages posted; [1]: pieces of work finished (progress). */
  state: Int32Array;
  series: Series[];
  /** Series whose labels object has no prototype (a structured clone gives it one back). */
  nullProtoLabels: Uint8Array;
  /** Whether `config.values` has no prototype. */
  nullProtoConfig: boolean;
  config: ServingConfig;
  slo: SloTargets;
  scopes: string[];
  tasks: TaskName[];
  /** The capacity review's options (--capacity, --gpu-hour-price). */
  capacity?: CapacityOptions;
}

const job = workerData as ThreadJob;
const tick = () => void Atomics.add(job.state, 1, 1);

function post(m: ThreadMessage, transfer: ArrayBuffer[] = []): void {
  try {
    job.port.postMessage(m, transfer);
  } catch (e) {
    job.port.postMessage({ kind: m.kind, ...(m.kind === 'task' ? { task: m.task } : {}), error: `could not hand back the results: ${(e as Error).message}` } satisfies ThreadMessage);
  }
  Atomics.add(job.state, 0, 1);
  Atomics.notify(job.state, 0);
}

const failMessage = (e: unknown) => (e as Error)?.message ?? String(e);
// Test hook (test/integration/analysis-threads.test.ts): a worker whose every part fails.
const failing = process.env.VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL === '1';

let view: AnalysisView | undefined;
try {
  if (failing) throw new Error('failing as the test asked');
  for (let i = 0; i < job.series.length; i++) if (job.nullProtoLabels[i]) Object.setPrototypeOf(job.series[i].labels, null);
  if (job.nullProtoConfig) Object.setPrototypeOf(job.config.values, null);
  view = new AnalysisView(new MetricSet(job.series), job.config, job.slo);
} catch (e) {
  if (job.scopes.length) post({ kind: 'scopes', error: failMessage(e) });
  for (const task of job.tasks) post({ kind: 'task', task, error: failMessage(e) });
}
if (view) {
  const v = view;
  if (job.scopes.length) {
    try {
      const signals = scopeWork(v, job.scopes, tick);
      const out = v.exportMemo();
      post({ kind: 'scopes', signals, memo: out.memo }, out.transfer);
    } catch (e) {
      post({ kind: 'scopes', error: failMessage(e) });
    }
  }
  const compute: Record<TaskName, () => unknown> = {
    capacity: () => capacityReview(v, job.capacity),
    correlations: () => correlations(v),
    quality: () => qualitySection(v),
    alerts: () => alertsReplay(v.metrics, [], job.slo, { progress: tick }),
  };
  for (const task of job.tasks) {
    try {
      post({ kind: 'task', task, value: compute[task]() });
    } catch (e) {
      post({ kind: 'task', task, error: failMessage(e) });
    }
    tick();
  }
}
job.port.close();
