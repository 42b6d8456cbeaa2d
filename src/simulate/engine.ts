// Discrete-event model of one vLLM v1 replica: Poisson arrivals (arrivals.ts), the v1 scheduler over a
// paged KV cache with prefix caching and preemption by recompute (scheduler.ts, block-pool.ts), and a
// roofline step time (cost.ts). This file runs the event loop — arrivals, steps, faults — and samples
// the replica's metrics (replica-metrics.ts) like a Prometheus scrape. See docs/simulator.md for every
// modelling choice.

import { InputError } from '../errors.js';
import { ArrivalStream } from './arrivals.js';
import { StepCost } from './cost.js';
import { planMemory, type MemoryPlan } from './presets.js';
import { ReplicaMetrics, type ProcessConfig } from './replica-metrics.js';
import type { Registry } from './registry.js';
import type { Req } from './request.js';
import { Rng } from './rng.js';
import { Scheduler, type TokenSink } from './scheduler.js';
import { Scraper } from './scrape.js';
import type { FaultSpec, ReplicaSpec, SimOptions } from './types.js';

export { rateAt } from './arrivals.js';

/** What a test sees after every engine step. */
export interface StepProbe {
  time: number;
  arrived: number;
  finished: number;
  dropped: number;
  running: number;
  waiting: number;
  blocksInUse: number;
  numGpuBlocks: number;
  scheduledTokens: number;
  preemptions: number;
}

export interface FinishProbe {
  arrival: number;
  /** Offset (s) of the finish. */
  finishedAt: number;
  /** Index of the stream (traffic mix) the request came from. */
  stream: number;
  ttft: number;
  e2e: number;
  queueTime: number;
  waitingAtArrival: number;
  promptLen: number;
  outputLen: number;
  finishReason: string;
  preemptions: number;
}

export interface ArrivalProbe {
  time: number;
  stream: number;
  promptLen: number;
  /** Output tokens it will produce (its natural length, cut by max_tokens and max_model_len). */
  outputLen: number;
  /** Lost because the target was down. */
  dropped: boolean;
}

export interface SimHooks {
  onStep?(p: StepProbe): void;
  onFinish?(p: FinishProbe): void;
  onArrival?(p: ArrivalProbe): void;
  /** A request's first token, at `now` (offset, s). */
  onFirstToken?(now: number, ttft: number, stream: number): void;
  /** Every later token: the gap since the request's previous token (inter-token latency). */
  onToken?(now: number, gap: number): void;
}

export interface ReplicaResult {
  /** The settings the replica started with (the first process). */
  spec: ReplicaSpec;
  plan: MemoryPlan;
  /** Every configuration a process of this replica ran with (index 0 = `spec`); a redeploy adds one. */
  configs: ProcessConfig[];
  /** The processes of the run, in order (the first one started before the window). */
  processes: ProcessRecord[];
  registry: Registry;
  /** Series-major matrix: `data[s * nScrapes + k]`; NaN where the target was down. */
  data: Float64Array;
  nScrapes: number;
  /** Unix seconds of the process (re)starts (= processes[i].start). */
  processStarts: number[];
  /** Unix seconds of the GPU UUIDs' device, for the DCGM labels. */
  gpuUuids: string[];
  stats: { arrived: number; finished: number; dropped: number; preemptions: number; steps: number; generatedTokens: number };
}


/** The KV pool of a configuration; vLLM refuses to start when it cannot hold one max_model_len sequence. */
export function planFor(spec: ReplicaSpec): MemoryPlan {
  const m = spec.model;
  const plan = planMemory(spec.gpu, m, {
    tp: spec.tensorParallelSize,
    gpuMemoryUtilization: spec.gpuMemoryUtilization,
    maxNumBatchedTokens: spec.maxNumBatchedTokens,
    blockSize: spec.blockSize,
    kvCacheDtype: spec.kvCacheDtype,
  });
  if (spec.numGpuBlocksOverride !== undefined) {
    plan.numGpuBlocks = spec.numGpuBlocksOverride;
    plan.kvTokens = plan.numGpuBlocks * spec.blockSize;
  }
  if (plan.kvTokens < spec.maxModelLen) {
    throw new InputError({
      code: 'BAD_OPTION',
      message: `${m.hfId} on ${spec.gpu.id} (TP ${spec.tensorParallelSize}) leaves KV room for ${plan.kvTokens} tokens, less than max_model_len ${spec.maxModelLen}`,
      hint: 'raise gpu_memory_utilization or tensor parallelism, or lower max_model_len (vLLM refuses to start here too)',
    });
  }
  return plan;
}

export interface ProcessRecord {
  /** Unix seconds the process started (`process_start_time_seconds`). */
  start: number;
  /** Index in `configs` of its settings. */
  config: number;
  cause: 'initial' | 'restart' | 'redeploy';
  /** Unix seconds the previous process stopped (crash or shutdown), for a restart or redeploy. */
  previousStoppedAt?: number;
  /** Offset (s) from which its /metrics answer (end of the down time). */
  upFrom: number;
}

type ProcessFault = Extract<FaultSpec, { kind: 'restart' | 'redeploy' }>;

/** Offset (s) at which a process replacing a crashed or redeployed one starts (the log's start-up takes 60 s). */
function nextProcessStart(f: ProcessFault): number {
  return f.kind === 'restart' ? f.at + 2.37 : f.at + Math.max(2.37, f.downSeconds - 60);
}

export function simulateReplica(spec: ReplicaSpec, opts: SimOptions, replicaIndex: number, hooks: SimHooks = {}): ReplicaResult {
  const rng = new Rng(opts.seed, 1000 + replicaIndex);
  const plan = planFor(spec);

  // --- faults; every redeploy adds a process configuration
  const leak = spec.faults.find((f) => f.kind === 'memory-leak') as Extract<FaultSpec, { kind: 'memory-leak' }> | undefined;
  const slow = spec.faults.find((f) => f.kind === 'slow-gpu') as Extract<FaultSpec, { kind: 'slow-gpu' }> | undefined;
  const restarts = (spec.faults.filter((f) => f.kind === 'restart' || f.kind === 'redeploy') as ProcessFault[]).sort((a, b) => a.at - b.at);
  const clockAt = (t: number) => (slow && t >= slow.start && (slow.end === undefined || t < slow.end) ? slow.clockFactor : 1);
  const configs: ProcessConfig[] = [{ spec, plan }];
  /** Configuration index of the process each restart starts. */
  const configAfter: number[] = [];
  for (const f of restarts) {
    if (f.kind === 'redeploy') {
      const eff: ReplicaSpec = { ...configs[configs.length - 1].spec, ...f.set };
      configs.push({ spec: eff, plan: planFor(eff) });
    }
    configAfter.push(configs.length - 1);
  }
  let restartIdx = 0;

  // --- metrics and the running process
  const metrics = new ReplicaMetrics(spec, configs, opts, replicaIndex);
  const reg = metrics.reg;
  const cur = reg.cur;
  const counters = { cur, cPreempt: metrics.cPreempt, cPqueries: metrics.cPqueries, cPhits: metrics.cPhits };
  const scraper = new Scraper(spec, opts, metrics, rng, clockAt, leak);
  const end = opts.durationSeconds;
  let proc = spec;
  let cost = new StepCost(spec, plan);
  let sched = new Scheduler(spec, plan.numGpuBlocks, counters);
  let preemptionsBefore = 0; // by earlier processes
  const useConfig = (c: number) => {
    proc = configs[c].spec;
    scraper.sched = sched;
    scraper.infoSeries = metrics.info[c];
    scraper.fbUsedMiB = Math.round((configs[c].plan.totalBytes * proc.gpuMemoryUtilization) / 1048576);
  };
  useConfig(0);
  scraper.processStart = opts.startTime - 86400 * 2 - 3600 * 5 - 1234.56 * (replicaIndex + 1);
  const processes: ProcessRecord[] = [{ start: scraper.processStart, config: 0, cause: 'initial', upFrom: 0 }];

  // --- arrivals and totals
  const streams = spec.streams.map((s, i) => new ArrivalStream(s, new Rng(opts.seed, replicaIndex * 100 + i), spec.maxModelLen, i));
  for (const s of streams) s.advance(0, end);
  let nextId = 1;
  let arrived = 0;
  let finished = 0;
  let dropped = 0;
  let steps = 0;
  let generated = 0;

  function nextArrivalTime(): number {
    let t = Infinity;
    for (const s of streams) if (s.next < t) t = s.next;
    return t;
  }

  function admitArrivals(upTo: number): void {
    for (;;) {
      let best: ArrivalStream | null = null;
      for (const s of streams) if (s.next <= upTo && (!best || s.next < best.next)) best = s;
      if (!best) return;
      const r = best.draw(nextId++, spec.maxModelLen, sched.waitingLen());
      arrived++;
      const lost = best.next < scraper.downUntil;
      if (lost) dropped++;
      else sched.enqueue(r);
      hooks.onArrival?.({ time: r.arrival, stream: r.stream, promptLen: r.promptLen, outputLen: r.outputTarget, dropped: lost });
      best.advance(best.next, end);
    }
  }

  /** The process dies (a crash or a redeploy): requests lost, target down, a new process from zero. */
  function replaceProcess(f: ProcessFault, config: number): void {
    dropped += sched.clear();
    reg.reset();
    if (config !== processes[processes.length - 1].config) {
      preemptionsBefore += sched.preemptions;
      const c = configs[config];
      cost = new StepCost(c.spec, c.plan);
      sched = new Scheduler(c.spec, c.plan.numGpuBlocks, counters);
      useConfig(config);
    }
    scraper.downUntil = f.at + f.downSeconds;
    scraper.processStart = opts.startTime + nextProcessStart(f);
    scraper.restarted();
    processes.push({ start: scraper.processStart, config, cause: f.kind, previousStoppedAt: opts.startTime + f.at, upFrom: f.at + f.downSeconds });
  }

  const onFirst = hooks.onFirstToken?.bind(hooks);
  const onToken = hooks.onToken?.bind(hooks);
  const sink: TokenSink = {
    firstToken: onFirst
      ? (r, now) => {
          metrics.firstToken(r, now);
          onFirst(now, now - r.arrival, r.stream);
        }
      : (r, now) => metrics.firstToken(r, now),
    nextToken: onToken
      ? (r, now) => {
          metrics.nextToken(r, now);
          onToken(now, now - r.lastTokenTs);
        }
      : (r, now) => metrics.nextToken(r, now),
    finished(r: Req, now: number) {
      finished++;
      metrics.finished(r, now);
      hooks.onFinish?.({
        arrival: r.arrival,
        finishedAt: now,
        stream: r.stream,
        ttft: r.firstTokenTs - r.arrival,
        e2e: now - r.arrival,
        queueTime: r.scheduledTs - r.arrival,
        waitingAtArrival: r.waitingAtArrival,
        promptLen: r.promptLen,
        outputLen: r.outputDone,
        finishReason: r.finishReason,
        preemptions: r.preemptions,
      });
    },
  };

  let t = 0;
  for (;;) {
    // Restart or redeploy: the process dies, the target is down, then a new process starts from zero.
    if (restartIdx < restarts.length && t >= restarts[restartIdx].at) {
      const f = restarts[restartIdx];
      const config = configAfter[restartIdx++];
      scraper.flush(f.at);
      replaceProcess(f, config);
      admitArrivals(f.at + f.downSeconds);
      if (t < f.at + f.downSeconds) t = f.at + f.downSeconds;
    }
    if (sched.inFlight() === 0) {
      let tNext = Math.min(nextArrivalTime(), end);
      if (restartIdx < restarts.length) tNext = Math.min(tNext, Math.max(t, restarts[restartIdx].at));
      if (tNext >= end) break;
      scraper.flush(tNext);
      t = Math.max(t, tNext);
      admitArrivals(t);
      continue;
    }
    const preemptedBefore = sched.preemptions;
    const tokens = sched.schedule();
    if (sched.schedReqs.length === 0 && sched.preemptions > preemptedBefore) continue; // everything was preempted: reschedule now
    if (sched.schedReqs.length === 0) {
      // Nothing fits (a request larger than the free pool with nothing running). Wait for the next arrival.
      const tNext = Math.min(nextArrivalTime(), end);
      if (tNext >= end) break;
      scraper.flush(tNext);
      t = tNext;
      admitArrivals(t);
      continue;
    }
    steps++;
    cost.step(sched.schedReqs, sched.schedN, tokens, clockAt(t));
    const st = cost;
    const busyFrac = st.gpuTime / st.dt;
    scraper.stepBegins(t, t + st.dt, busyFrac, busyFrac * (0.35 + 0.6 * (st.compute / Math.max(st.compute, st.memory))));
    const now = t + st.dt;
    scraper.flush(now);
    scraper.stepEnds(st.gpuTime, st.dt);

    // --- step end: KV computed, tokens sampled, requests finished
    sched.complete(t, now, sink);
    cur[metrics.cGen] += sched.genThisStep;
    cur[metrics.cPrompt] += sched.promptThisStep;
    generated += sched.genThisStep;
    reg.observe(metrics.hIter, sched.genThisStep + sched.promptThisStep);
    t = now;
    admitArrivals(t);
    if (hooks.onStep) {
      hooks.onStep({
        time: t,
        arrived,
        finished,
        dropped,
        running: sched.running.length,
        waiting: sched.waitingLen(),
        blocksInUse: sched.pool.n - sched.pool.numFree,
        numGpuBlocks: sched.pool.n,
        scheduledTokens: tokens,
        preemptions: preemptionsBefore + sched.preemptions,
      });
    }
    if (t >= end) break;
  }
  scraper.flush(end + 1e-9);
  return {
    spec,
    plan,
    configs,
    processes,
    registry: reg,
    data: scraper.data,
    nScrapes: scraper.nScrapes,
    processStarts: processes.map((p) => p.start),
    gpuUuids: metrics.gpuUuids,
    stats: { arrived, finished, dropped, preemptions: preemptionsBefore + sched.preemptions, steps, generatedTokens: generated },
  };
}
