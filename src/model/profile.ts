// GPU-profile vocabulary: per-kernel totals and, where a timeline is known, busy/idle per device.
// (Owned by the GPU-profile work; ingest adapters for traces, key_averages and nsys produce these.)

export type KernelCategory = 'attention' | 'gemm' | 'moe_gemm' | 'communication' | 'memory' | 'other';

export interface KernelStat {
  name: string;
  category: KernelCategory;
  count: number;
  totalNs: number;
  minNs?: number;
  maxNs?: number;
}

export interface DeviceTimeline {
  /** Device id as the profile names it (Kineto pid, nsys deviceId). */
  device: string;
  spanNs: number;
  busyNs: number;
  idleNs: number;
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
}
