// Analysis on several threads (issue 13 §3). Worker threads (worker.ts) get views over the main
// thread's series — the samples sit in shared memory (model/shared-memory.ts), so a worker reads them
// without a copy — and take two kinds of work off the main thread:
// - view-wide pieces that depend on nothing the main thread decides (TASKS: the capacity review, the
//   correlations, the quality section, and the alert-rule replay made without findings): the first
//   worker computes them in the order the main thread needs them, and the main thread takes each
//   answer when it gets there (`take`) instead of computing it;
// - with three threads or more, the per-replica work (every detector, the anomaly scans:
//   scope-work.ts) of some replicas: the other workers hand back their signals and everything their
//   views computed, which the main thread's view takes into its memo (AnalysisView.importMemo).
// On this project's 2-CPU machine the replica split did not pay (two threads computing views at once
// ran 40 % slower each, and each recomputes the fleet-wide values), the view-wide pieces did: so the
// first worker gets those, and replicas are shared out only among further threads.
//
// Why the Result is the same with 1 or N threads: every value a worker hands over is computed by the
// same functions from the same samples (the memo only ever saves recomputing a value); the alert replay
// is used only where its findings cannot change it (alerts/index.ts replayWithoutFindingsHolds); the
// signals are put in the Result's order by runDetectors. A worker that fails, or stops making progress,
// is left behind: the main thread computes whatever it did not hand over.
//
// The main thread waits synchronously (Atomics.wait, then receiveMessageOnPort), so runAnalysis stays
// a synchronous function.

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Signal } from '../model/result.js';
import type { MetricSet } from '../model/series.js';
import { isShared } from '../model/shared-memory.js';
import type { AnalysisView, ViewMemo } from '../derive/view.js';
import type { CapacityOptions } from '../derive/capacity-review.js';
import { signalKey } from '../detectors/run.js';
import { readerThreads } from '../ingest/threads.js';
import { positiveInt } from '../limits.js';
import { scopeWork } from './scope-work.js';
import type { ThreadJob } from './worker.js';

/** The view-wide pieces a worker computes ahead, in the order the main thread needs them. */
export const TASKS = ['capacity', 'correlations', 'quality', 'alerts'] as const;
export type TaskName = (typeof TASKS)[number];

/** A worker's messages, in the order posted: its replicas' work first (when it has replicas), then each task. */
export type ThreadMessage =
  | { kind: 'scopes'; signals: Signal[]; memo: ViewMemo }
  | { kind: 'task'; task: TaskName; value: unknown }
  | { kind: 'scopes' | 'task'; task?: TaskName; error: string };

/** Fewest samples worth a second thread: below it a worker's start (~0.2 s) costs more than it saves. */
export const DEFAULT_MIN_SAMPLES = 16_000_000;
/** Most analysis threads by default: each worker holds its own view (memory). */
export const DEFAULT_MAX_THREADS = 4;
/** Unshared sample bytes a worker may be given as a copy; past it the analysis stays on one thread. */
const MAX_COPIED_BYTES = 16 * 2 ** 20;
/** A worker that finishes nothing for this long is left behind (the main thread does its work). */
const STALL_MS = 30_000;

/** Analyses run on several threads in this process (tests check which paths ran). */
export const analysisThreadStats = { runs: 0, workersAnswered: 0, workersLeftBehind: 0, tasksTaken: 0, tasksLeftBehind: 0, alertsReplayed: 0, alertsReused: 0 };

const WORKER_URL = new URL('./worker.js', import.meta.url);
const workerAvailable = (): boolean => WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));

interface Running {
  worker: Worker;
  port: MessagePort;
  /** [0]: messages posted; [1]: pieces of work finished (progress). */
  state: Int32Array;
  scopes: string[];
  tasks: readonly TaskName[];
  /** Messages received so far, by 'scopes' or task name. */
  inbox: Map<string, ThreadMessage>;
  received: number;
  /** Tasks taken (the worker stops when all are). */
  taken: number;
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
 * Workers for a view on `threads` threads in all (default: readerThreads, at most DEFAULT_MAX_THREADS),
 * or null where one thread is the plan: one thread, too few samples, samples not in shared memory,
 * or no compiled worker (running from TypeScript sources).
 */
export function startAnalysisThreads(view: AnalysisView, threads: number | undefined, capacity: CapacityOptions | undefined): AnalysisThreads | null {
  const metrics = view.metrics;
  const wanted = threads ?? Math.min(readerThreads(), DEFAULT_MAX_THREADS);
  const minSamples = positiveInt(process.env.VLLM_TUNE_PARALLEL_MIN_SAMPLES, 'VLLM_TUNE_PARALLEL_MIN_SAMPLES') ?? DEFAULT_MIN_SAMPLES;
  if (wanted < 2 || !workerAvailable() || metrics.sampleCount < minSamples || unsharedBytes(metrics) > MAX_COPIED_BYTES) return null;
  // The first worker: the view-wide tasks. Further threads share the replicas with the main thread.
  const groups = shareOut(view.replicas, Math.max(1, Math.min(wanted - 1, view.replicas.length)));
  return new AnalysisThreads(view, groups, capacity);
}

export class AnalysisThreads {
  private readonly running: Running[] = [];
  /** The replicas the main thread takes (the first group, and any a worker could not start with). */
  readonly mainScopes: string[];

  constructor(
    private readonly view: AnalysisView,
    groups: string[][],
    capacity: CapacityOptions | undefined,
  ) {
    analysisThreadStats.runs++;
    this.mainScopes = [...groups[0]];
    const series = view.metrics.series as never as ThreadJob['series'];
    const nullProtoLabels = new Uint8Array(series.length);
    for (let i = 0; i < series.length; i++) nullProtoLabels[i] = Object.getPrototypeOf(series[i].labels) === null ? 1 : 0;
    const jobs: { scopes: string[]; tasks: readonly TaskName[] }[] = [{ scopes: [], tasks: TASKS }, ...groups.slice(1).map((scopes) => ({ scopes, tasks: [] }))];
    for (const { scopes, tasks } of jobs) {
      const { port1, port2 } = new MessageChannel();
      const state = new Int32Array(new SharedArrayBuffer(8));
      const job: ThreadJob = {
        port: port2,
        state,
        series,
        nullProtoLabels,
        nullProtoConfig: Object.getPrototypeOf(view.config.values) === null,
        config: view.config,
        slo: view.slo,
        scopes,
        tasks: [...tasks],
        ...(capacity ? { capacity } : {}),
      };
      try {
        const worker = new Worker(WORKER_URL, { workerData: job, transferList: [port2] });
        worker.unref();
        worker.on('error', () => undefined); // answered through `state`; a crash is a stall
        port1.unref();
        this.running.push({ worker, port: port1, state, scopes, tasks, inbox: new Map(), received: 0, taken: 0, stopped: false });
      } catch {
        port1.close();
        this.mainScopes.push(...scopes); // no thread for these replicas: the main thread takes them (tasks: computed when taken)
      }
    }
  }

  /**
   * Run the main thread's share of the replicas, wait for the workers that have replicas and take what
   * they computed into the view. Returns every per-replica signal computed so far, by signalKey
   * (runDetectors computes the rest).
   */
  finish(): Map<string, Signal> {
    const done = new Map<string, Signal>();
    for (const s of scopeWork(this.view, this.mainScopes)) done.set(signalKey(s.id, s.scope), s);
    for (const r of this.running) {
      if (!r.scopes.length) continue;
      const m = receive(r, 'scopes');
      if (!r.tasks.length) stop(r);
      if (!m || 'error' in m || m.kind !== 'scopes') {
        analysisThreadStats.workersLeftBehind++;
        stop(r);
        continue;
      }
      analysisThreadStats.workersAnswered++;
      this.view.importMemo(m.memo);
      for (const s of m.signals) done.set(signalKey(s.id, s.scope), s);
    }
    return done;
  }

  /**
   * A task's value as the worker computed it, or undefined (no worker has it, it failed or stalled: the
   * caller computes it). Each task is taken once.
   */
  take<T>(task: TaskName): { value: T } | undefined {
    const r = this.running.find((x) => x.tasks.includes(task));
    if (!r) return undefined;
    const m = receive(r, task);
    r.inbox.delete(task);
    r.taken++;
    if (r.taken === r.tasks.length) stop(r);
    if (!m || 'error' in m || m.kind !== 'task') {
      analysisThreadStats.tasksLeftBehind++;
      return undefined;
    }
    analysisThreadStats.tasksTaken++;
    return { value: m.value as T };
  }

  /** Stop every worker still running. */
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

/** The worker's message for `key` ('scopes' or a task), or undefined when it made no progress for STALL_MS. */
function receive(r: Running, key: string): ThreadMessage | undefined {
  let progress = Atomics.load(r.state, 1);
  let since = Date.now();
  while (!r.inbox.has(key)) {
    if (r.stopped) return undefined;
    if (r.received < Atomics.load(r.state, 0)) {
      const m = receiveMessageOnPort(r.port)?.message as ThreadMessage | undefined;
      if (!m) return undefined;
      r.received++;
      r.inbox.set(m.kind === 'scopes' ? 'scopes' : m.task!, m);
      continue;
    }
    Atomics.wait(r.state, 0, r.received, 1000);
    const p = Atomics.load(r.state, 1);
    if (p !== progress) {
      progress = p;
      since = Date.now();
    } else if (Atomics.load(r.state, 0) === r.received && Date.now() - since > STALL_MS) {
      stop(r);
      return undefined;
    }
  }
  return r.inbox.get(key);
}
