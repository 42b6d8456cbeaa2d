// Shared aggregation for timeline inputs (Kineto traces, nsys cuda_gpu_trace, nsys SQLite): one
// stats record per (device, kernel name), and per device one sorted sweep (intervals.ts) that gives
// busy/idle, the idle gaps, and the communication/compute overlap. Nothing here grows with the
// number of events except the idle-gap list (and, for unsorted input, the sweep's sort buffer).

import type { DeviceTimeline, KernelCategory, KernelProfile, KernelStat, LaunchInfo } from '../../model/profile.js';
import type { KernelClassifier } from './classify.js';
import { Cls, DeviceSweep, gapStats } from './intervals.js';
import type { OpTally } from './op-check.js';

/** Kernels shorter than this are "launch-sized": a kernel launch costs the host about 5 µs
 *  (cudaLaunchKernel on current drivers, measured by many; judgement call), so a kernel shorter
 *  than that cannot keep the GPU busy unless launches are batched (CUDA graphs). */
export const SHORT_KERNEL_NS = 5_000;

export type GpuActivityKind = 'kernel' | 'memcpy' | 'memset';

/** Aggregate for one (device, name); `cls` is its timeline class, `kernel` false for memcpy/memset. */
export interface Stat extends KernelStat {
  minNs: number;
  maxNs: number;
  cls: Cls;
  kernel: boolean;
  /** Launching ops of this (device, name), when the op cross-check runs. */
  tally?: OpTally;
}

class DeviceState {
  readonly sweep: DeviceSweep;
  readonly stats = new Map<string, Stat>();
  lastCorr = NaN;
  corrRun = 0;
  constructor(sorted: boolean) {
    this.sweep = new DeviceSweep(sorted);
  }
}

export class ProfileBuilder {
  private readonly devices = new Map<number | string, DeviceState>();
  private readonly launches: LaunchInfo = { launchCalls: 0, launchCallNs: 0, graphLaunches: 0, graphKernels: 0 };
  private shortCount = 0;
  private shortNs = 0;
  private lastDevKey: number | string | undefined = undefined;
  private lastDev: DeviceState | undefined = undefined;
  gpuEvents = 0;
  runtimeEvents = 0;

  /** `sorted`: the caller delivers activities in start order across all streams of a device. */
  constructor(
    private readonly classifier: KernelClassifier,
    private readonly sorted = false,
  ) {}

  private device(id: number | string): DeviceState {
    if (id === this.lastDevKey && this.lastDev) return this.lastDev;
    let d = this.devices.get(id);
    if (!d) this.devices.set(id, (d = new DeviceState(this.sorted)));
    this.lastDevKey = id;
    this.lastDev = d;
    return d;
  }

  /** The stats record of (device, name), created and classified on first sight. */
  statFor(kind: GpuActivityKind, device: number | string, name: string): Stat {
    const d = this.device(device);
    let st = d.stats.get(name);
    if (st) return st;
    const c = this.classifier.classify(name);
    let category: KernelCategory = c.category;
    let sub = c.sub;
    if (kind !== 'kernel' && category !== 'memory') {
      category = 'memory';
      sub = kind === 'memset' ? 'memset' : 'other';
    }
    const cls = category === 'memory' ? Cls.Memory : category === 'communication' ? Cls.Comm : Cls.Compute;
    st = { name, category, device: String(device), count: 0, totalNs: 0, minNs: Infinity, maxNs: -Infinity, cls, kernel: kind === 'kernel' };
    if (sub !== undefined) st.sub = sub;
    d.stats.set(name, st);
    return st;
  }

  /**
   * One GPU activity of a known stats record. `startNs` may be relative to any origin (all events
   * of a file share it). `corr` is the launch correlation id when known; `graph` is true when the
   * input says the kernel ran inside a CUDA graph.
   */
  record(st: Stat, device: number | string, stream: number | string, startNs: number, durNs: number, corr?: number, graph?: boolean): void {
    this.gpuEvents++;
    st.count++;
    st.totalNs += durNs;
    if (durNs < st.minNs) st.minNs = durNs;
    if (durNs > st.maxNs) st.maxNs = durNs;
    const d = this.device(device);
    d.sweep.add(startNs, startNs + durNs, st.cls, stream);
    if (st.kernel) {
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

  /** One GPU activity (statFor + record). */
  add(kind: GpuActivityKind, device: number | string, stream: number | string, name: string, startNs: number, durNs: number, corr?: number, graph?: boolean): void {
    this.record(this.statFor(kind, device, name), device, stream, startNs, durNs, corr, graph);
  }

  /** A host-side runtime/driver API call (cudaLaunchKernel, cudaGraphLaunch, …), `calls` at once. */
  runtime(name: string, durNs: number, calls = 1): void {
    this.runtimeCall(/GraphLaunch/.test(name) ? 'graph' : /Launch(?:Cooperative)?Kernel|ModuleLaunchKernel|LaunchKernelExC/.test(name) ? 'launch' : 'other', durNs, calls);
  }

  /** Same, when the caller already knows the kind of call (no string work per event). */
  runtimeCall(kind: 'launch' | 'graph' | 'other', durNs: number, calls = 1): void {
    this.runtimeEvents += calls;
    if (kind === 'graph') this.launches.graphLaunches += calls;
    else if (kind === 'launch') {
      this.launches.launchCalls += calls;
      this.launches.launchCallNs += durNs;
    }
  }

  /** Kernel stats (not memcpy/memset) per device id, devices in id order. */
  kernelStatsByDevice(): [string, Stat[]][] {
    return [...this.devices]
      .map(([k, d]) => [String(k), [...d.stats.values()].filter((s) => s.kernel)] as [string, Stat[]])
      .sort(([a], [b]) => cmpDevice(a, b));
  }

  hasGpuActivity(): boolean {
    return this.gpuEvents > 0;
  }

  finish(base: Omit<KernelProfile, 'kernels' | 'devices' | 'gpuActivity' | 'launches' | 'shortKernels'>, opts: { timeline: boolean; launches: boolean }): KernelProfile {
    const kernels: KernelStat[] = [];
    for (const d of this.devices.values()) {
      for (const s of d.stats.values()) {
        const k: KernelStat = { name: s.name, category: s.category, device: s.device, count: s.count, totalNs: s.totalNs, minNs: s.minNs, maxNs: s.maxNs };
        if (s.sub !== undefined) k.sub = s.sub;
        kernels.push(k);
      }
    }
    kernels.sort((a, b) => b.totalNs - a.totalNs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || cmpDevice(a.device ?? '', b.device ?? ''));
    const p: KernelProfile = { ...base, kernels, gpuActivity: this.gpuEvents > 0 };
    if (opts.timeline && this.gpuEvents > 0) {
      const devices: DeviceTimeline[] = [];
      for (const [id, d] of [...this.devices].map(([k, v]) => [String(k), v] as const).sort(([a], [b]) => cmpDevice(a, b))) {
        const r = d.sweep.finish();
        const span = r.lastNs - r.firstNs;
        // |comm ∪ compute| = |comm| + |compute| − overlap
        const overlap = r.commNs > 0 && r.computeNs > 0 ? Math.max(0, r.commNs + r.computeNs - r.kernelNs) : 0;
        const t: DeviceTimeline = {
          device: id,
          spanNs: span,
          busyNs: r.busyNs,
          idleNs: Math.max(0, span - r.busyNs),
          gaps: gapStats(r.gaps),
          commNs: r.commNs,
          computeNs: r.computeNs,
          commComputeOverlapNs: overlap,
          streams: d.sweep.streams,
        };
        if (r.memoryNs > 0) {
          t.memoryNs = r.memoryNs;
          // busy = memory ∪ kernels, so the memory time with no kernel running is busy − |kernels|
          t.exposedMemoryNs = Math.max(0, r.busyNs - r.kernelNs);
        }
        if (r.late) t.lateIntervals = r.late;
        devices.push(t);
      }
      p.devices = devices;
    }
    if (opts.launches) p.launches = { ...this.launches };
    if (this.gpuEvents > 0) p.shortKernels = { thresholdNs: SHORT_KERNEL_NS, count: this.shortCount, totalNs: this.shortNs };
    return p;
  }
}

function cmpDevice(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
