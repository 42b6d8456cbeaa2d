// Helpers for the GPU-profile diagnoses: shares per device from the GpuBreakdown, the worst device, and
// the thresholds (judgement calls, documented in each code's page under docs/findings/).

import type { DeviceBreakdown, GpuBreakdown } from '../model/gpu-result.js';

/** Collectives above a fifth of GPU time: at TP=2..8 on NVLink, all-reduce is typically 5–15% of a
 *  decode step; 20% means the interconnect or the TP degree is the limit (judgement call). */
export const COMM_SHARE_WARN = 0.2;
/** Only the part of communication not hidden behind compute counts, where a timeline shows it. */
export const COMM_SHARE_CRIT = 0.35;
/** Idle above 20% of the profiled span: the GPU waits on the host (scheduler, Python, launches);
 *  a well-fed decode loop with CUDA graphs stays under ~10% (judgement call). */
export const IDLE_SHARE_WARN = 0.2;
export const IDLE_SHARE_CRIT = 0.4;
/** Attention above 40% of GPU time: decode attention reads the whole KV cache every step and
 *  dominates at long contexts / large batches; GEMMs usually lead otherwise (judgement call). */
export const ATTENTION_SHARE_WARN = 0.4;
export const ATTENTION_SHARE_CRIT = 0.6;
/** Dense + MoE GEMMs above 60% of GPU time: weight-bound; quantised weights or bigger batches pay
 *  off directly (judgement call). */
export const GEMM_SHARE_WARN = 0.6;
export const GEMM_SHARE_CRIT = 0.8;
/** Short-kernel share above which launch overhead matters (kernels shorter than ~5 µs). */
export const SHORT_KERNEL_SHARE = 0.5;

export function share(d: DeviceBreakdown, cat: string): number {
  return d.categories.find((c) => c.category === cat)?.share ?? 0;
}

/** Devices with GPU activity, or the reason there are none. */
export function activeDevices(gpu: GpuBreakdown | undefined): DeviceBreakdown[] | string {
  if (!gpu) return 'no GPU profile given';
  const active = gpu.devices.filter((d) => d.gpuActivity);
  if (!active.length) return gpu.devices.length ? 'the GPU profiles hold no GPU activity (CPU-only)' : 'no GPU profile given';
  return active;
}

/** The device where f is largest, and the devices at or over a threshold. */
export function worstDevice(devs: DeviceBreakdown[], f: (d: DeviceBreakdown) => number, threshold: number): { d: DeviceBreakdown; v: number; over: DeviceBreakdown[] } {
  let best = devs[0];
  let bv = f(best);
  for (const d of devs.slice(1)) {
    const v = f(d);
    if (v > bv) {
      bv = v;
      best = d;
    }
  }
  return { d: best, v: bv, over: devs.filter((d) => f(d) >= threshold) };
}

/** Exposed communication share: comm minus the part overlapped with compute, over activity time. */
export function exposedComm(d: DeviceBreakdown): number {
  const comm = d.categories.find((c) => c.category === 'communication');
  if (!comm) return 0;
  if (!d.overlap || d.activityNs === 0) return comm.share;
  return Math.max(0, comm.ns - d.overlap.overlapNs) / d.activityNs;
}

export function devicesLabel(over: DeviceBreakdown[]): string {
  return over.map((d) => d.label).join('; ');
}
