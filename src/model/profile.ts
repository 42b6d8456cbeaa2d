// GPU-profile vocabulary: per-kernel totals and, where a timeline is known, busy/idle per device.
// Ingest adapters for Kineto traces, key_averages tables and Nsight Systems exports produce these;
// src/derive/kernel-breakdown.ts turns them into the GpuBreakdown the report and diagnoses read.
// All times are integer nanoseconds (`…Ns`).

export type KernelCategory = 'attention' | 'gemm' | 'moe_gemm' | 'communication' | 'memory' | 'other';

export const KERNEL_CATEGORIES: readonly KernelCategory[] = ['attention', 'gemm', 'moe_gemm', 'communication', 'memory', 'other'];

export interface KernelStat {
  name: string;
  category: KernelCategory;
  /** Finer label from the pattern file: memory direction (HtoD, DtoH, DtoD, PtoP, memset), `conv`, `kv_cache_write`… */
  sub?: string;
  /** Device the kernel ran on, when known (Kineto pid/args.device, nsys deviceId, key_averages rank). */
  device?: string;
  count: number;
  totalNs: number;
  minNs?: number;
  maxNs?: number;
}

/** Distribution of idle gaps between busy intervals on one device. */
export interface GapStats {
  count: number;
  totalNs: number;
  p50Ns: number;
  p90Ns: number;
  maxNs: number;
  /** Idle time in gaps longer than each threshold (keys are thresholds in ns, as strings). */
  totalOverNs: Record<string, number>;
  countOver: Record<string, number>;
}

export interface DeviceTimeline {
  /** Device id as the profile names it (Kineto pid/args.device, nsys deviceId). */
  device: string;
  /** First start to last end of GPU activity on the device. */
  spanNs: number;
  /** Union of kernel, memcpy and memset intervals. */
  busyNs: number;
  idleNs: number;
  gaps?: GapStats;
  /** Union of communication kernels, union of the other kernels, and the time both ran at once. */
  commNs?: number;
  computeNs?: number;
  commComputeOverlapNs?: number;
  /** Union of memcpy/memset intervals, and the part of it during which no kernel runs (TraceLens's
   *  exposed memcpy; memsets counted with the copies). Absent when the device has none. */
  memoryNs?: number;
  exposedMemoryNs?: number;
  /** Distinct streams seen on the device. */
  streams?: number;
  /** Intervals that arrived too late for the streaming union (see src/ingest/profile/intervals.ts). */
  lateIntervals?: number;
}

/** How kernels were launched, where the input shows it. */
export interface LaunchInfo {
  /** Kernel-launch API calls (cudaLaunchKernel, cuLaunchKernel, hipLaunchKernel, …). */
  launchCalls: number;
  launchCallNs: number;
  /** Graph-launch API calls (cudaGraphLaunch, hipGraphLaunch). */
  graphLaunches: number;
  /** Kernels that ran as part of a CUDA/HIP graph (Kineto `graph id` arg, or launched by a graph launch). */
  graphKernels: number;
}

/** Kernels shorter than a launch-overhead threshold, counted at ingest. */
export interface ShortKernels {
  thresholdNs: number;
  count: number;
  totalNs: number;
}

/** A (kernel, launching op) pair where the op's class and the kernel name's class differ. */
export interface OpPair {
  kernel: string;
  kernelCategory: KernelCategory;
  kernelSub?: string;
  /** The deciding op: the innermost op with an attention/MoE/GEMM/communication class, else the innermost known op. */
  op: string;
  opClass: 'attention' | 'moe' | 'gemm' | 'communication' | 'other';
  /** conflict: both classes are definite and differ; attributed: the name is `other`, the op says what it belongs to. */
  verdict: 'conflict' | 'attributed';
  count: number;
  ns: number;
}

/** The op cross-check on one device (kernels only; memcpy/memset are not launched by kernels' ops). */
export interface OpCheckDevice {
  device: string;
  kernels: number;
  kernelNs: number;
  /** Linked to a CPU op through args["External id"]. */
  linkedKernels: number;
  linkedNs: number;
  /** Replayed from a CUDA graph: their op is the one around cudaGraphLaunch, not a launching op. */
  graphKernels: number;
  graphNs: number;
  /** No External id, or none of the trace's CPU ops carries it. */
  unlinkedKernels: number;
  unlinkedNs: number;
  /** Of the linked time: op and name agree; conflict; attributed (name `other`); op has no class. */
  agreeNs: number;
  conflictNs: number;
  attributedNs: number;
  noOpinionNs: number;
  /** Conflicts first, then attributions, each by time; at most 20. */
  pairs: OpPair[];
}

export interface KernelProfile {
  /** Input file it came from. */
  file: string;
  format: string;
  rank?: number;
  worldSize?: number;
  deviceName?: string;
  kernels: KernelStat[];
  /** Present when the input has a timeline (traces, cuda_gpu_trace, SQLite). */
  devices?: DeviceTimeline[];
  /** False when the input holds no GPU activity at all (CPU-only traces): "no GPU activity". */
  gpuActivity?: boolean;
  /** Whether per-kernel times are exclusive device times (true for traces, nsys, Self CUDA). */
  launches?: LaunchInfo;
  shortKernels?: ShortKernels;
  /** Wall time the profile covers, when known (given with --wall-seconds for summary-only inputs). */
  wallNs?: number;
  /** Present when the input carries CPU ops (Kineto traces): see OpCheckDevice. */
  opCheck?: OpCheckDevice[];
  /** Plain-words notes on the variant read (e.g. "key_averages: Self CUDA column"). */
  notes?: string[];
}
