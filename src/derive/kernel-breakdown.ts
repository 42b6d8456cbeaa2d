// KernelProfiles → GpuBreakdown: per device/rank, category shares, top kernels per category, idle
// and gaps, communication/compute overlap, launch pressure and CUDA-graph visibility, with an
// "unknown" marker and its reason wherever the input cannot tell. Pure: data in, data out.

import { CATEGORY_IDS, type CategoryShare, type DeviceBreakdown, type GpuBreakdown, type Unknown } from '../model/gpu-result.js';
import type { KernelProfile, KernelStat } from '../model/profile.js';

export interface BreakdownOptions {
  /** Top kernels listed per category. */
  topN?: number;
  /** Wall time for summary-only profiles that do not carry their own (seconds). */
  wallSeconds?: number;
}

/** Sub-class key for kernels whose rule gives no sub-class. */
export const NO_SUB = '-';

/** Share of graph kernels above which CUDA graphs count as "used" (judgement call: a few captured
 *  warm-up kernels should not flip the verdict). */
const GRAPH_USED_MIN_SHARE = 0.2;

function label(p: KernelProfile, device: string | null, multiDevice: boolean): string {
  const parts: string[] = [];
  if (p.rank !== undefined) parts.push(`rank ${p.rank}`);
  if (device !== null && (p.rank === undefined || multiDevice) && p.format !== 'key-averages') parts.push(`GPU ${device}`);
  if (parts.length === 0) parts.push('GPU');
  return `${parts.join(', ')} (${p.file})`;
}

function deviceBreakdown(p: KernelProfile, device: string | null, kernels: KernelStat[], multiDevice: boolean, opts: BreakdownOptions): DeviceBreakdown {
  const topN = opts.topN ?? 5;
  const unknown: Unknown[] = [];
  let activity = 0;
  for (const k of kernels) activity += k.totalNs;
  const categories: CategoryShare[] = CATEGORY_IDS.map((category) => {
    const ks = kernels.filter((k) => k.category === category);
    let ns = 0;
    let count = 0;
    for (const k of ks) {
      ns += k.totalNs;
      count += k.count;
    }
    const top = [...ks]
      .sort((a, b) => b.totalNs - a.totalNs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .slice(0, topN)
      .map((k) => {
        const t: CategoryShare['top'][number] = { name: k.name, count: k.count, totalNs: k.totalNs, meanNs: k.count > 0 ? Math.round(k.totalNs / k.count) : 0 };
        if (k.sub !== undefined) t.sub = k.sub;
        return t;
      });
    const bySub = new Map<string, { ns: number; count: number }>();
    for (const k of ks) {
      const key = k.sub ?? NO_SUB;
      const r = bySub.get(key) ?? { ns: 0, count: 0 };
      r.ns += k.totalNs;
      r.count += k.count;
      bySub.set(key, r);
    }
    const subs = [...bySub]
      .map(([sub, r]) => ({ sub, ns: r.ns, share: activity > 0 ? r.ns / activity : 0, count: r.count }))
      .sort((a, b) => b.ns - a.ns || (a.sub < b.sub ? -1 : a.sub > b.sub ? 1 : 0));
    return { category, ns, share: activity > 0 ? ns / activity : 0, count, subs, top };
  });
  const memoryByDirectionNs: Record<string, number> = {};
  for (const k of kernels) if (k.category === 'memory') memoryByDirectionNs[k.sub ?? 'other'] = (memoryByDirectionNs[k.sub ?? 'other'] ?? 0) + k.totalNs;

  const tl = device !== null ? p.devices?.find((d) => d.device === device) : p.devices?.length === 1 ? p.devices[0] : undefined;
  let idle: DeviceBreakdown['idle'] = null;
  let overlap: DeviceBreakdown['overlap'] = null;
  let exposedMemory: DeviceBreakdown['exposedMemory'];
  if (tl) {
    idle = { source: 'timeline', spanNs: tl.spanNs, busyNs: tl.busyNs, idleNs: tl.idleNs, idleShare: tl.spanNs > 0 ? tl.idleNs / tl.spanNs : 0, gaps: tl.gaps ?? null };
    if (tl.commNs !== undefined && tl.commNs > 0) {
      const ov = tl.commComputeOverlapNs ?? 0;
      // exposed communication (HTA, TraceLens): communication time during which no compute kernel runs
      overlap = { commNs: tl.commNs, computeNs: tl.computeNs ?? 0, overlapNs: ov, overlapShareOfComm: ov / tl.commNs, exposedCommNs: tl.commNs - ov };
    }
    // exposed memcpy (TraceLens): memory copies and sets during which no kernel runs
    if (tl.memoryNs !== undefined && tl.exposedMemoryNs !== undefined) exposedMemory = { memoryNs: tl.memoryNs, exposedNs: tl.exposedMemoryNs, exposedShareOfSpan: tl.spanNs > 0 ? tl.exposedMemoryNs / tl.spanNs : 0 };
  } else {
    const wallNs = p.wallNs ?? (opts.wallSeconds !== undefined ? Math.round(opts.wallSeconds * 1e9) : undefined);
    if (wallNs !== undefined && wallNs > 0) {
      // Summary only: busy is at most the activity sum (streams may overlap, so idle is a lower bound).
      const busy = Math.min(activity, wallNs);
      idle = { source: 'wall-seconds', spanNs: wallNs, busyNs: busy, idleNs: wallNs - busy, idleShare: (wallNs - busy) / wallNs, gaps: null };
      unknown.push({ what: 'idle gaps', reason: 'summary-only input: idle time from --wall-seconds minus summed kernel time (a lower bound if streams overlap); gap lengths unknown' });
    } else if (p.gpuActivity !== false) {
      unknown.push({ what: 'idle time', reason: `${p.format} is a summary without a timeline; give --wall-seconds to compute idle time` });
    }
    if (categories.find((c) => c.category === 'communication')!.ns > 0) unknown.push({ what: 'communication overlap', reason: 'needs a timeline (trace, cuda_gpu_trace or SQLite export)' });
  }

  const kernelCount = kernels.reduce((n, k) => n + (k.category === 'memory' ? 0 : k.count), 0);
  const sk = p.shortKernels;
  const li = p.launches;
  let cudaGraphs: DeviceBreakdown['launch']['cudaGraphs'] = 'unknown';
  if (li) {
    const graphShare = kernelCount > 0 ? li.graphKernels / kernelCount : 0;
    cudaGraphs = li.graphLaunches > 0 || graphShare >= GRAPH_USED_MIN_SHARE ? 'used' : 'not-seen';
  } else unknown.push({ what: 'CUDA graph use', reason: 'the input shows no launch API calls' });
  if (!sk && p.gpuActivity !== false) unknown.push({ what: 'launch pressure', reason: 'per-kernel durations are not in a summary; only counts and totals' });

  let ops: DeviceBreakdown['ops'] = null;
  const oc = p.opCheck?.find((o) => o.device === device) ?? (p.opCheck?.length === 1 && device === null ? p.opCheck[0] : undefined);
  if (oc && oc.linkedKernels > 0) {
    const { device: _d, ...rest } = oc;
    void _d;
    const l = oc.linkedNs;
    ops = { ...rest, agreeShare: l > 0 ? oc.agreeNs / l : 0, conflictShare: l > 0 ? oc.conflictNs / l : 0, attributedShare: l > 0 ? oc.attributedNs / l : 0 };
  } else if (p.gpuActivity !== false && p.format === 'kineto-trace') {
    unknown.push({ what: 'launching ops', reason: oc ? 'no kernel links to a CPU op through its External id (graph-replayed kernels, or a Kineto layout without the link)' : 'the trace has no CPU ops' });
  }
  const notes = [...(p.notes ?? [])];
  return {
    label: label(p, device, multiDevice),
    file: p.file,
    format: p.format,
    rank: p.rank ?? null,
    device,
    deviceName: p.deviceName ?? null,
    gpuActivity: p.gpuActivity !== false && kernels.length > 0,
    activityNs: activity,
    categories,
    gemmDenseNs: categories.find((c) => c.category === 'gemm')!.ns,
    gemmMoeNs: categories.find((c) => c.category === 'moe_gemm')!.ns,
    memoryByDirectionNs,
    idle,
    overlap,
    ...(exposedMemory ? { exposedMemory } : {}),
    launch: {
      kernels: kernelCount,
      shortKernels: sk ? sk.count : null,
      shortShare: sk && kernelCount > 0 ? sk.count / kernelCount : null,
      thresholdNs: sk?.thresholdNs ?? 5_000,
      launchCalls: li ? li.launchCalls : null,
      meanLaunchCallNs: li && li.launchCalls > 0 ? Math.round(li.launchCallNs / li.launchCalls) : null,
      graphLaunches: li ? li.graphLaunches : null,
      graphKernels: li ? li.graphKernels : null,
      cudaGraphs,
    },
    ops,
    unknown,
    notes,
  };
}

export function kernelBreakdown(profiles: KernelProfile[], opts: BreakdownOptions = {}): GpuBreakdown {
  const devices: DeviceBreakdown[] = [];
  const unknown: Unknown[] = [];
  for (const p of profiles) {
    const ids = new Set<string>();
    for (const k of p.kernels) if (k.device !== undefined) ids.add(k.device);
    if (p.format === 'key-averages' || ids.size <= 1) {
      devices.push(deviceBreakdown(p, p.format === 'key-averages' ? null : ([...ids][0] ?? p.devices?.[0]?.device ?? null), p.kernels, false, opts));
      continue;
    }
    const sorted = [...ids].sort((a, b) => (Number(a) - Number(b)) || (a < b ? -1 : a > b ? 1 : 0));
    for (const id of sorted) devices.push(deviceBreakdown(p, id, p.kernels.filter((k) => k.device === id), true, opts));
  }
  if (profiles.length > 0 && devices.every((d) => !d.gpuActivity)) unknown.push({ what: 'GPU time', reason: 'no GPU activity in the profiles given (CPU-only)' });
  const active = devices.filter((d) => d.gpuActivity);
  const categoryShares: Record<string, number> = {};
  for (const c of CATEGORY_IDS) categoryShares[c] = active.length ? active.reduce((s, d) => s + d.categories.find((x) => x.category === c)!.share, 0) / active.length : 0;
  const subShares: Record<string, number> = {};
  if (active.length) {
    for (const d of active) for (const c of d.categories) for (const sb of c.subs) subShares[`${c.category}/${sb.sub}`] = (subShares[`${c.category}/${sb.sub}`] ?? 0) + sb.share / active.length;
  }
  const withIdle = active.filter((d) => d.idle);
  const idleShare = withIdle.length ? withIdle.reduce((s, d) => s + d.idle!.idleShare, 0) / withIdle.length : null;
  return { devices, fleet: { devices: active.length, categoryShares, subShares: sortedRecord(subShares), idleShare }, unknown };
}

function sortedRecord(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of Object.keys(r).sort()) out[k] = r[k];
  return out;
}
