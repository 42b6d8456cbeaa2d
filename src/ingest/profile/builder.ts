// Shared aggregation for timeline inputs (Kineto traces, nsys cuda_gpu_trace, nsys SQLite): one
// stats record per (device, kernel name), and per device the streaming unions of busy, communication
// and compute intervals. Nothing here grows with the number of events except the idle-gap list.

import type { DeviceTimeline, KernelCategory, KernelProfile, KernelStat, LaunchInfo } from '../../model/profile.js';
import type { KernelClassifier } from './classify.js';
import { IntervalUnion, gapStats } from './intervals.js';

/** Kernels shorter than this are "launch-sized": a kernel launch costs the host about 5 µs
 *  (cudaLaunchKernel on current drivers, measured by many; judgement call), so a kernel shorter
 *  than that cannot keep the GPU busy unless launches are batched (CUDA graphs). */
export const SHORT_KERNEL_NS = 5_000;

export type GpuActivityKind = 'kernel' | 'memcpy' | 'memset';

interface Stat extends KernelStat {
  minNs: number;
  maxNs: number;
}

class DeviceState {
  readonly busy = new IntervalUnion(true);
  readonly comm = new IntervalUnion(false);
  readonly compute = new IntervalUnion(false);
  /** comm ∪ compute, for the overlap. */
  readonly kernels = new IntervalUnion(false);
  /** Last start seen per stream: the minimum is the watermark below which no new event starts. */
  readonly streamLast = new Map<string, number>();
  lastCorr = NaN;
  corrRun = 0;
  watermark = (): number => {
    let m = Infinity;
    for (const v of this.streamLast.values()) if (v < m) m = v;
    return m;
  };
}

export class ProfileBuilder {
  private readonly stats = new Map<string, Stat>();
  private readonly devices = new Map<string, DeviceState>();
  private readonly launches: LaunchInfo = { launchCalls: 0, launchCallNs: 0, graphLaunches: 0, graphKernels: 0 };
  private shortCount = 0;
  private shortNs = 0;
  gpuEvents = 0;
  runtimeEvents = 0;

  constructor(private readonly classifier: KernelClassifier) {}

  private device(id: string): DeviceState {
    let d = this.devices.get(id);
    if (!d) this.devices.set(id, (d = new DeviceState()));
    return d;
  }

  /**
   * One GPU activity. `startNs` may be relative to any origin (all events of a file share it).
   * `corr` is the launch correlation id when known; `graph` is true when the input says the kernel
   * ran inside a CUDA graph.
   */
  add(kind: GpuActivityKind, device: string, stream: string, name: string, startNs: number, durNs: number, corr?: number, graph?: boolean): void {
    this.gpuEvents++;
    const key = `${device}\u0000${name}`;
    let st = this.stats.get(key);
    if (!st) {
      const c = this.classifier.classify(name);
      let category: KernelCategory = c.category;
      let sub = c.sub;
      if (kind !== 'kernel' && category !== 'memory') {
        category = 'memory';
        sub = kind === 'memset' ? 'memset' : 'other';
      }
      st = { name, category, device, count: 0, totalNs: 0, minNs: Infinity, maxNs: -Infinity };
      if (sub !== undefined) st.sub = sub;
      this.stats.set(key, st);
    }
    st.count++;
    st.totalNs += durNs;
    if (durNs < st.minNs) st.minNs = durNs;
    if (durNs > st.maxNs) st.maxNs = durNs;

    const d = this.device(device);
    d.streamLast.set(stream, startNs);
    const end = startNs + durNs;
    d.busy.add(startNs, end, d.watermark);
    if (kind === 'kernel') {
      if (st.category === 'communication') d.comm.add(startNs, end, d.watermark);
      else if (st.category !== 'memory') d.compute.add(startNs, end, d.watermark);
      if (st.category !== 'memory') d.kernels.add(startNs, end, d.watermark);
      if (durNs < SHORT_KERNEL_NS) {
        this.shortCount++;
        this.shortNs += durNs;
      }
      // A graph launch runs many kernels under one correlation id: consecutive kernels of a
      // device sharing an id are graph kernels even when the input has no `graph id` field.
      if (corr !== undefined && corr === d.lastCorr) {
        d.corrRun++;
        this.launches.graphKernels += d.corrRun === 2 && !graph ? 2 : 1;
      } else {
        d.corrRun = 1;
        if (graph) this.launches.graphKernels++;
      }
      if (corr !== undefined) d.lastCorr = corr;
    }
  }

  /** A host-side runtime/driver API call (cudaLaunchKernel, cudaGraphLaunch, …). */
  runtime(name: string, durNs: number): void {
    this.runtimeEvents++;
    if (/GraphLaunch/.test(name)) this.launches.graphLaunches++;
    else if (/Launch(?:Cooperative)?Kernel|ModuleLaunchKernel|LaunchKernelExC/.test(name)) {
      this.launches.launchCalls++;
      this.launches.launchCallNs += durNs;
    }
  }

  hasGpuActivity(): boolean {
    return this.gpuEvents > 0;
  }

  finish(base: Omit<KernelProfile, 'kernels' | 'devices' | 'gpuActivity' | 'launches' | 'shortKernels'>, opts: { timeline: boolean; launches: boolean }): KernelProfile {
    const kernels: KernelStat[] = [...this.stats.values()]
      .map((s) => ({ ...s }))
      .sort((a, b) => b.totalNs - a.totalNs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const p: KernelProfile = { ...base, kernels, gpuActivity: this.gpuEvents > 0 };
    if (opts.timeline && this.gpuEvents > 0) {
      const devices: DeviceTimeline[] = [];
      for (const [id, d] of [...this.devices].sort(([a], [b]) => cmpDevice(a, b))) {
        const busy = d.busy.finish();
        const comm = d.comm.finish();
        const compute = d.compute.finish();
        // Union of comm and compute = both lengths minus their overlap; the busy union also holds
        // memcpy/memset, so overlap is computed from a fourth union only when both exist.
        let overlap = 0;
        if (comm.busyNs > 0 && compute.busyNs > 0) overlap = Math.max(0, comm.busyNs + compute.busyNs - kernelUnion(d));
        const span = busy.lastNs - busy.firstNs;
        const t: DeviceTimeline = {
          device: id,
          spanNs: span,
          busyNs: busy.busyNs,
          idleNs: Math.max(0, span - busy.busyNs),
          gaps: gapStats(busy.gaps),
          commNs: comm.busyNs,
          computeNs: compute.busyNs,
          commComputeOverlapNs: overlap,
          streams: d.streamLast.size,
        };
        const late = d.busy.late + d.comm.late + d.compute.late + d.kernels.late;
        if (late) t.lateIntervals = late;
        devices.push(t);
      }
      p.devices = devices;
    }
    if (opts.launches) p.launches = { ...this.launches };
    if (this.gpuEvents > 0) p.shortKernels = { thresholdNs: SHORT_KERNEL_NS, count: this.shortCount, totalNs: this.shortNs };
    return p;
  }
}

/** Union length of comm ∪ compute, recomputed from the intervals kept for that purpose. */
function kernelUnion(d: DeviceState): number {
  return d.kernels.finish().busyNs;
}

function cmpDevice(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
