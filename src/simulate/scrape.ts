// Scrapes of one replica: at start + k × interval the replica's state is sampled into the
// series-major matrix — gauges as they are at that instant, counters and histogram buckets cumulative
// since the process started, DCGM averages over the interval, nothing of vLLM while the target is down.

import type { ReplicaMetrics } from './replica-metrics.js';
import type { Rng } from './rng.js';
import type { Scheduler } from './scheduler.js';
import type { ReplicaSpec, SimOptions } from './types.js';

const HOUR = 3600;
/** Framebuffer dcgm-exporter reports while no vLLM process holds the GPU, MiB. */
const FB_IDLE_MIB = 4;

export class Scraper {
  readonly nScrapes: number;
  /** Series-major matrix: `data[s * nScrapes + k]`; NaN where the target was down. */
  readonly data: Float64Array;
  /** Next scrape index. */
  k = 0;
  // GPU activity accumulators (for DCGM), and the step in progress.
  private busyCum = 0;
  private smCum = 0;
  private stepStart = 0;
  private stepEnd = 0;
  private stepBusyFrac = 0;
  private stepSmFrac = 0;
  private lastBusy = 0;
  private lastSm = 0;
  private rssNoise = 0;
  // The process being scraped (set by the engine).
  sched!: Scheduler;
  processStart = 0;
  /** Offset (s) before which the target is down. */
  downUntil = -1;
  /** `vllm:cache_config_info` series of the running process. */
  infoSeries = -1;
  /** Framebuffer the running process holds (vLLM preallocates gpu_memory_utilization × total), MiB. */
  fbUsedMiB = 0;

  constructor(
    private readonly spec: ReplicaSpec,
    private readonly opts: SimOptions,
    private readonly metrics: ReplicaMetrics,
    private readonly rng: Rng,
    private readonly clockAt: (t: number) => number,
    private readonly leak: { start: number; bytesPerHour: number } | undefined,
  ) {
    this.nScrapes = Math.max(1, Math.round(opts.durationSeconds / opts.scrapeIntervalSeconds));
    this.data = new Float64Array(metrics.reg.series.length * this.nScrapes);
  }

  /** A new process: the RSS noise starts over. */
  restarted(): void {
    this.rssNoise = 0;
  }

  /** A step runs from `start` to `end` with the GPU busy for `busyFrac` of it and SMs active for `smFrac`. */
  stepBegins(start: number, end: number, busyFrac: number, smFrac: number): void {
    this.stepStart = start;
    this.stepEnd = end;
    this.stepBusyFrac = busyFrac;
    this.stepSmFrac = smFrac;
  }

  stepEnds(gpuTime: number, dt: number): void {
    this.busyCum += gpuTime;
    this.smCum += dt * this.stepSmFrac;
  }

  /** Take every scrape due before `limit` (seconds since the start). */
  flush(limit: number): void {
    const interval = this.opts.scrapeIntervalSeconds;
    while (this.k < this.nScrapes && this.k * interval < limit) {
      this.snapshotAt(this.k * interval);
      this.k++;
    }
  }

  private snapshotAt(ts: number): void {
    const { spec, opts, metrics } = this;
    const reg = metrics.reg;
    const cur = reg.cur;
    const interval = opts.scrapeIntervalSeconds;
    const nScrapes = this.nScrapes;
    const k = this.k;
    // GPU activity over the interval that ends at ts (DCGM averages over its sample period).
    let busy = this.busyCum;
    let sm = this.smCum;
    if (ts > this.stepStart && ts < this.stepEnd) {
      busy += (ts - this.stepStart) * this.stepBusyFrac;
      sm += (ts - this.stepStart) * this.stepSmFrac;
    }
    const util = Math.min(100, Math.max(0, Math.round((100 * (busy - this.lastBusy)) / interval)));
    const smAct = Math.min(1, Math.max(0, (sm - this.lastSm) / interval));
    this.lastBusy = busy;
    this.lastSm = sm;
    const down = ts < this.downUntil;
    // Boost clock (scaled by a throttling fault) while kernels run, an idle clock otherwise.
    const clock = util > 0 ? Math.round(spec.gpu.smClockMHz * this.clockAt(ts)) : 345;
    const used = down ? FB_IDLE_MIB : this.fbUsedMiB;
    for (let g = 0; g < metrics.dUtil.length; g++) {
      cur[metrics.dUtil[g]] = util;
      cur[metrics.dUsed[g]] = used;
      cur[metrics.dFree[g]] = spec.gpu.memoryMiB - used;
      cur[metrics.dSm[g]] = Math.round(smAct * 1000) / 1000;
      cur[metrics.dClock[g]] = clock;
    }
    const data = this.data;
    if (down) {
      // Target down: no vLLM or process samples; DCGM keeps reporting.
      const nSeries = reg.series.length;
      for (let s = 0; s < nSeries; s++) data[s * nScrapes + k] = s >= metrics.firstDcgm ? cur[s] : NaN;
      return;
    }
    const sched = this.sched;
    const nBlocks = sched.pool.n;
    cur[metrics.gRunning] = sched.running.length;
    cur[metrics.gWaiting] = sched.waitingLen();
    cur[metrics.gKv] = nBlocks > 0 ? 1 - sched.pool.numFree / nBlocks : 0;
    // Only the running process's cache_config_info is exported; an earlier one's series ends.
    for (const s of metrics.info) cur[s] = NaN;
    cur[this.infoSeries] = 1;
    cur[metrics.gStart] = Math.round(this.processStart * 100) / 100;
    // RSS: base + a little per in-flight request + a slow sawtooth of the allocator + leak.
    this.rssNoise = this.rssNoise * 0.9 + (this.rng.next() - 0.5) * 4e6;
    const age = opts.startTime + ts - this.processStart;
    let rss = spec.baseRssBytes + sched.inFlight() * 180e3 + ((age % 1800) / 1800) * 60e6 + this.rssNoise;
    const leak = this.leak;
    if (leak) {
      const since = opts.startTime + ts - Math.max(this.processStart, opts.startTime + leak.start);
      if (since > 0) rss += (leak.bytesPerHour * since) / HOUR;
    }
    cur[metrics.gRss] = Math.round(rss / 4096) * 4096;
    reg.snapshot(data, nScrapes, k);
  }
}
