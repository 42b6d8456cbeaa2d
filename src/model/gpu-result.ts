// What the GPU-profile analysis hands to the report and the diagnoses ("Where GPU time goes").
// Built by src/derive/kernel-breakdown.ts from KernelProfiles. Times in ns, shares 0–1.

import { z } from 'zod';

export const CATEGORY_IDS = ['attention', 'gemm', 'moe_gemm', 'communication', 'memory', 'other'] as const;

export const TopKernel = z.object({ name: z.string(), count: z.number(), totalNs: z.number(), meanNs: z.number(), sub: z.string().optional() });
export type TopKernel = z.infer<typeof TopKernel>;

/** One sub-class of a category (the rule's `sub`; `unmatched` for `other` names no rule matched,
 *  `-` for kernels whose rule gives none). Share is of the device's GPU activity time, like the category's. */
export const SubShare = z.object({ sub: z.string(), ns: z.number(), share: z.number(), count: z.number() });
export type SubShare = z.infer<typeof SubShare>;

export const CategoryShare = z.object({
  category: z.enum(CATEGORY_IDS),
  ns: z.number(),
  /** Share of the device's GPU activity time (sum of kernel + memcpy + memset durations). */
  share: z.number(),
  count: z.number(),
  /** The category split by sub-class, largest first (sums to `ns`). */
  subs: z.array(SubShare),
  top: z.array(TopKernel),
});
export type CategoryShare = z.infer<typeof CategoryShare>;

export const Unknown = z.object({ what: z.string(), reason: z.string() });
export type Unknown = z.infer<typeof Unknown>;

export const GapSummary = z.object({
  count: z.number(),
  totalNs: z.number(),
  p50Ns: z.number(),
  p90Ns: z.number(),
  maxNs: z.number(),
  totalOverNs: z.record(z.string(), z.number()),
  countOver: z.record(z.string(), z.number()),
});

/** The op cross-check of one device (src/ingest/profile/op-check.ts; definitions in docs/profiles.md). */
export const OpPairResult = z.object({
  kernel: z.string(),
  kernelCategory: z.enum(CATEGORY_IDS),
  kernelSub: z.string().optional(),
  op: z.string(),
  opClass: z.enum(['attention', 'moe', 'gemm', 'communication', 'other']),
  verdict: z.enum(['conflict', 'attributed']),
  count: z.number(),
  ns: z.number(),
});
export const OpCheckResult = z.object({
  kernels: z.number(),
  kernelNs: z.number(),
  linkedKernels: z.number(),
  linkedNs: z.number(),
  graphKernels: z.number(),
  graphNs: z.number(),
  unlinkedKernels: z.number(),
  unlinkedNs: z.number(),
  agreeNs: z.number(),
  conflictNs: z.number(),
  attributedNs: z.number(),
  noOpinionNs: z.number(),
  /** Of the linked kernel time: share where op and name agree / conflict / the op attributes an `other` kernel. */
  agreeShare: z.number(),
  conflictShare: z.number(),
  attributedShare: z.number(),
  pairs: z.array(OpPairResult),
});
export type OpCheckResult = z.infer<typeof OpCheckResult>;

export const DeviceBreakdown = z.object({
  /** Human label: "rank 0, GPU 2" or "GPU 0" and the file. */
  label: z.string(),
  file: z.string(),
  format: z.string(),
  rank: z.number().nullable(),
  device: z.string().nullable(),
  deviceName: z.string().nullable(),
  gpuActivity: z.boolean(),
  /** Sum of all GPU activity durations (may exceed busy time when streams overlap). */
  activityNs: z.number(),
  categories: z.array(CategoryShare),
  /** Dense and MoE GEMM apart, for the diagnoses. */
  gemmDenseNs: z.number(),
  gemmMoeNs: z.number(),
  memoryByDirectionNs: z.record(z.string(), z.number()),
  /** Where a timeline or a wall time exists. */
  idle: z
    .object({
      source: z.enum(['timeline', 'wall-seconds']),
      spanNs: z.number(),
      busyNs: z.number(),
      idleNs: z.number(),
      idleShare: z.number(),
      gaps: GapSummary.nullable(),
    })
    .nullable(),
  overlap: z
    .object({ commNs: z.number(), computeNs: z.number(), overlapNs: z.number(), overlapShareOfComm: z.number(), exposedCommNs: z.number() })
    .nullable(),
  /** From a timeline with memory copies/sets: their union, and the part with no kernel running (exposed). */
  exposedMemory: z.object({ memoryNs: z.number(), exposedNs: z.number(), exposedShareOfSpan: z.number() }).optional(),
  launch: z.object({
    kernels: z.number(),
    shortKernels: z.number().nullable(),
    shortShare: z.number().nullable(),
    thresholdNs: z.number(),
    launchCalls: z.number().nullable(),
    meanLaunchCallNs: z.number().nullable(),
    graphLaunches: z.number().nullable(),
    graphKernels: z.number().nullable(),
    cudaGraphs: z.enum(['used', 'not-seen', 'unknown']),
  }),
  /** Null when the input has no CPU ops linked to kernels (then `unknown` says why). */
  ops: OpCheckResult.nullable(),
  unknown: z.array(Unknown),
  notes: z.array(z.string()),
});
export type DeviceBreakdown = z.infer<typeof DeviceBreakdown>;

export const GpuBreakdown = z.object({
  devices: z.array(DeviceBreakdown),
  /** Across devices with GPU activity: mean shares (each device weighs the same). */
  fleet: z.object({
    devices: z.number(),
    categoryShares: z.record(z.string(), z.number()),
    /** Mean share per `category/sub` (e.g. `other/normalization`), each device weighing the same. */
    subShares: z.record(z.string(), z.number()),
    idleShare: z.number().nullable(),
  }),
  unknown: z.array(Unknown),
});
export type GpuBreakdown = z.infer<typeof GpuBreakdown>;
