// Analysis on several threads (issue 13 §3): the replicas are shared out between the main thread and
// worker threads (worker.ts). Each thread runs the per-replica work of its replicas (scope-work.ts) on
// its own AnalysisView over the same series — the samples sit in shared memory (model/shared-memory.ts),
// so a worker reads them without a copy — and the workers hand back their signals and everything their
// views computed, which the main thread's view takes into its memo (AnalysisView.importMemo). The rest
// of the analysis then runs on the main thread as before and finds that work done.
//
// Why the Result is the same with 1 or N threads: every value a worker hands over is computed by the
// same functions from the same samples (the view's memo only ever saves recomputing a value), and the
// signals are put in the Result's order by runDetectors. A worker that fails, or stops making progress,
// is left behind: the main thread computes whatever it did not hand over.
//
// The main thread waits for the workers synchronously (Atomics.wait, then receiveMessageOnPort), so
// runAnalysis stays a synchronous function.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Signal } from '../model/result.js';
import type { MetricSet } from '../model/series.js';
import { isShared } from '../model/shared-memory.js';
import type { AnalysisView, ViewMemo } from '../derive/view.js';
import type { AlertsSection } from '../model/alerts-result.js';
import { signalKey } from '../detectors/run.js';
import { readerThreads } from '../ingest/threads.js';
import { positiveInt } from '../limits.js';
import { scopeWork } from './scope-work.js';
import type { ThreadJob } from './worker.js';

/** What a worker hands back first. */
export type ThreadAnswer = { signals: Signal[]; memo: ViewMemo } | { error: string };
/** Its second answer, when asked: the alert replay without findings. */
export type AlertsAnswer = { section: AlertsSection; historyCodes: string[] | null } | { error: string };

/** Fewest samples worth a second thread: below it a worker's start (~0.2 s) costs more than it saves. */
export const DEFAULT_MIN_SAMPLES = 16_000_000;
/** Most analysis threads by default: each worker holds its own view (memory), and 4 already take most of the gain. */
export const DEFAULT_MAX_THREADS = 4;
/** Unshared sample bytes a worker may be given as a copy; past it the analysis stays on one thread. */
const MAX_COPIED_BYTES = 16 * 2 ** 20;
/** A worker that finishes nothing for this long is left behind (its replicas are analysed here). */
const STALL_MS = 30_000;

/** Analyses run on several threads in this process (tests check that the path ran). */
export const analysisThreadStats = { runs: 0, workersAnswered: 0, workersLeftBehind: 0, alertsReplayed: 0, alertsReused: 0 };

const WORKER_URL = new URL('./worker.js', import.meta.url);
const workerAvailable = (): boolean => WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));

interface Running {
  worker: Worker;
  port: MessagePort;
  state: Int32Array;
  scopes: string[];
  /** Asked for the alert replay (a second answer). */
  alerts: boolean;
  stopped: boolean;
}

/** Unshared bytes of the samples (each buffer once). */
function unsharedBytes(metrics: MetricSet): number {
  const seen = new Set<ArrayBufferLike>();
  let n = 0;
  for (const s of metrics.series) {
    for (const a of [s.t, s.v]) {
      if (isShared(a) || seen.has(a.buffer)) continue;
      seen.add(a.buffer);
      n += a.buffer.byteLength;
    }
  }
  return n;
}

/** Replicas in `parts` contiguous groups of near-equal size. */
function shareOut(scopes: readonly string[], parts: number): string[][] {
  const out: string[][] = [];
  for (let i = 0; i < parts; i++) out.push(scopes.slice(Math.floor((i * scopes.length) / parts), Math.floor(((i + 1) * scopes.length) / parts)));
  return out;
}

/**
 * The per-replica work of a view's replicas on `threads` threads (see readerThreads), or null where one
 * thread is the plan: fewer than two replicas or threads, too few samples, samples not in shared
 * memory, or no compiled worker (running from TypeScript sources).
 */
export function startAnalysisThreads(view: AnalysisView, threads?: number): AnalysisThreads | null {
  const metrics = view.metrics;
  const wanted = Math.min(threads ?? Math.min(readerThreads(), DEFAULT_MAX_THREADS), view.replicas.length);
  const minSamples = positiveInt(process.env.VLLM_TUNE_PARALLEL_MIN_SAMPLES, 'VLLM_TUNE_PARALLEL_MIN_SAMPLES') ?? DEFAULT_MIN_SAMPLES;
  if (wanted < 2 || !workerAvailable() || metrics.sampleCount < minSamples || unsharedBytes(metrics) > MAX_COPIED_BYTES) return null;
  return new AnalysisThreads(view, shareOut(view.replicas, wanted));
}

export class AnalysisThreads {
  private readonly running: Running[] = [];
  /** The replicas the main thread takes (the first group, and any a worker could not start with). */
  readonly mainScopes: string[];

  constructor(
    private readonly view: AnalysisView,
    groups: string[][],
  ) {
    analysisThreadStats.runs++;
    this.mainScopes = [...groups[0]];
    const series = view.metrics.series as never as ThreadJob['series'];
    const nullProtoLabels = new Uint8Array(series.length);
    for (let i = 0; i < series.length; i++) nullProtoLabels[i] = Object.getPrototypeOf(series[i].labels) === null ? 1 : 0;
    for (const scopes of groups.slice(1)) {
      const { port1, port2 } = new MessageChannel();
      const state = new Int32Array(new SharedArrayBuffer(8));
      // The first worker then replays the alert rules without findings (see alerts()).
      const alerts = this.running.length === 0;
      const job: ThreadJob = { port: port2, state, series, nullProtoLabels, nullProtoConfig: Object.getPrototypeOf(view.config.values) === null, config: view.config, slo: view.slo, scopes, alerts };
      try {
        const worker = new Worker(WORKER_URL, { workerData: job, transferList: [port2] });
        worker.unref();
        worker.on('error', () => undefined); // answered through `state`; a crash is a stall
        port1.unref();
        this.running.push({ worker, port: port1, state, scopes, alerts, stopped: false });
      } catch {
        port1.close();
        this.mainScopes.push(...scopes); // no thread for these replicas: the main thread takes them
      }
    }
  }

  /**
   * Run the main thread's share, wait for the workers and take what they computed into the view.
   * Returns every per-replica signal computed so far, by signalKey (runDetectors computes the rest).
   */
  finish(): Map<string, Signal> {
    const done = new Map<string, Signal>();
    for (const s of scopeWork(this.view, this.mainScopes)) done.set(signalKey(s.id, s.scope), s);
    for (const r of this.running) {
      const answer = wait(r, 1) as ThreadAnswer | undefined;
      if (!answer || 'error' in answer || !r.alerts) stop(r);
      if (!answer || 'error' in answer) {
        analysisThreadStats.workersLeftBehind++;
        continue;
      }
      analysisThreadStats.workersAnswered++;
      this.view.importMemo(answer.memo);
      for (const s of answer.signals) done.set(signalKey(s.id, s.scope), s);
    }
    return done;
  }

  /**
   * The alert rules replayed without findings by the first worker (alerts/index.ts alertsReplay), or
   * undefined (no such worker, it failed or stalled). The caller uses it only where
   * replayWithoutFindingsHolds says the findings would not change it.
   */
  alertsWithoutFindings(): { section: AlertsSection; historyCodes: string[] | null } | undefined {
    const r = this.running.find((x) => x.alerts && !x.stopped);
    if (!r) return undefined;
    const answer = wait(r, 2) as AlertsAnswer | undefined;
    stop(r);
    return answer && !('error' in answer) ? answer : undefined;
  }

  /** Stop every worker still running (the alert replay is not needed). */
  close(): void {
    for (const r of this.running) stop(r);
  }
}

/** Stop a worker whose answers are all taken, or that is left behind (once). */
function stop(r: Running): void {
  if (r.stopped) return;
  r.stopped = true;
  r.port.close();
  void r.worker.terminate();
}

/** The worker's `n`-th answer, or undefined when it made no progress for STALL_MS. */
function wait(r: Running, n: number): ThreadAnswer | AlertsAnswer | undefined {
  let progress = Atomics.load(r.state, 1);
  let since = Date.now();
  while (Atomics.load(r.state, 0) < n) {
    Atomics.wait(r.state, 0, Atomics.load(r.state, 0), 1000);
    const p = Atomics.load(r.state, 1);
    if (p !== progress) {
      progress = p;
      since = Date.now();
    } else if (Date.now() - since > STALL_MS) return undefined;
  }
  return receiveMessageOnPort(r.port)?.message as ThreadAnswer | AlertsAnswer | undefined;
}
