// An analysis worker thread (threads.ts): a view over the main thread's series — the same samples in
// shared memory, not a copy — runs scopeWork for the replicas it was given, then hands back the signals
// and everything its view computed (exportMemo). Asked to, it then replays the alert rules as if there
// were no findings (alerts/index.ts alertsReplay), for the main thread to use when its findings turn out
// not to matter to them. It always answers each part, with an error message if that part failed.

import { workerData, type MessagePort } from 'node:worker_threads';
import { MetricSet, type Series } from '../model/series.js';
import type { ServingConfig } from '../model/serving-config.js';
import type { SloTargets } from '../derive/slo.js';
import { AnalysisView } from '../derive/view.js';
import { alertsReplay } from '../alerts/index.js';
import { scopeWork } from './scope-work.js';
import type { AlertsAnswer, ThreadAnswer } from './threads.js';

export interface ThreadJob {
  port: MessagePort;
  /** [0]: how many answers were posted; [1]: counts finished pieces of work (progress). */
  state: Int32Array;
  series: Series[];
  /** Series whose labels object has no prototype (a structured clone gives it one back). */
  nullProtoLabels: Uint8Array;
  /** Whether `config.values` has no prototype. */
  nullProtoConfig: boolean;
  config: ServingConfig;
  slo: SloTargets;
  scopes: string[];
  /** Replay the alert rules without findings after the scope work (a second answer). */
  alerts: boolean;
}

const job = workerData as ThreadJob;
const tick = () => void Atomics.add(job.state, 1, 1);

function post(answer: object, transfer: ArrayBuffer[] = []): void {
  try {
    job.port.postMessage(answer, transfer);
  } catch (e) {
    job.port.postMessage({ error: `could not hand back the results: ${(e as Error).message}` });
  }
  Atomics.add(job.state, 0, 1);
  Atomics.notify(job.state, 0);
}

let metrics: MetricSet | undefined;
try {
  // Test hook (test/integration/analysis-threads.test.ts): a worker that fails before any work.
  if (process.env.VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL === '1') throw new Error('failing as the test asked');
  for (let i = 0; i < job.series.length; i++) if (job.nullProtoLabels[i]) Object.setPrototypeOf(job.series[i].labels, null);
  if (job.nullProtoConfig) Object.setPrototypeOf(job.config.values, null);
  metrics = new MetricSet(job.series);
  const view = new AnalysisView(metrics, job.config, job.slo);
  const signals = scopeWork(view, job.scopes, tick);
  const out = view.exportMemo();
  post({ signals, memo: out.memo } satisfies ThreadAnswer, out.transfer);
} catch (e) {
  post({ error: (e as Error)?.message ?? String(e) } satisfies ThreadAnswer);
}
if (job.alerts) {
  try {
    if (!metrics) throw new Error('no series');
    post(alertsReplay(metrics, [], job.slo, { progress: tick }) satisfies AlertsAnswer);
  } catch (e) {
    post({ error: (e as Error)?.message ?? String(e) } satisfies AlertsAnswer);
  }
}
job.port.close();
