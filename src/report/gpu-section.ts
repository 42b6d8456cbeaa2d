// "## Where GPU time goes": the GpuBreakdown as Markdown. Pure and deterministic: fixed number
// formatting, stable order; every name from a profile goes through ./escape.ts.

import type { DeviceBreakdown, GpuBreakdown } from '../model/gpu-result.js';
import { codeCell, mdText } from './escape.js';

export function fmtNs(ns: number): string {
  const a = Math.abs(ns);
  if (a >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
  if (a >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (a >= 1e3) return `${(ns / 1e3).toFixed(1)} µs`;
  return `${Math.round(ns)} ns`;
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

const TITLES: Record<string, string> = {
  attention: 'attention',
  gemm: 'GEMM (dense)',
  moe_gemm: 'GEMM (MoE grouped)',
  communication: 'communication',
  memory: 'memory copies/sets',
  other: 'other',
};

/** A category's title; a key we do not know (from a hand-edited Result) is shown escaped. */
function title(k: string): string {
  return Object.hasOwn(TITLES, k) ? TITLES[k] : mdText(k);
}

const SUB_TITLES: Record<string, string> = {
  '-': 'unlabelled',
  triton_fused: 'Triton fused (torch.compile)',
  normalization: 'normalization',
  rotary: 'rotary embedding',
  quantization: 'quantization',
  sampling: 'sampling / softmax / top-k',
  copy_reduction: 'copies / reductions',
  elementwise: 'activation / element-wise',
  moe_routing: 'MoE routing',
  unmatched: 'unmatched names',
  kv_cache_write: 'KV-cache writes',
  metadata: 'metadata',
  linear_attention: 'linear attention',
  conv: 'convolution',
  nccl: 'NCCL/RCCL',
  custom_allreduce: 'custom all-reduce',
  all_to_all: 'all-to-all / other collectives',
};

function subTitle(k: string): string {
  return Object.hasOwn(SUB_TITLES, k) ? SUB_TITLES[k] : mdText(k);
}

function shortName(name: string, max = 90): string {
  return name.length > max ? `${name.slice(0, max - 1)}…` : name;
}

function device(d: DeviceBreakdown): string[] {
  const out: string[] = [];
  out.push(`### ${mdText(d.label)}${d.deviceName ? ` — ${mdText(d.deviceName)}` : ''}`);
  out.push('');
  if (!d.gpuActivity) {
    out.push('No GPU activity in this profile (CPU-only).');
    for (const n of d.notes) out.push(`- ${mdText(n)}`);
    out.push('');
    return out;
  }
  out.push('| category | time | share | kernels |');
  out.push('|---|---:|---:|---:|');
  for (const c of d.categories) {
    out.push(`| ${title(c.category)} | ${fmtNs(c.ns)} | ${pct(c.share)} | ${c.count} |`);
    // `other` is split into what it is; other categories show their sub-classes only when there are several
    if (c.ns > 0 && c.category !== 'memory' && (c.category === 'other' || c.subs.length > 1)) {
      for (const sb of c.subs) out.push(`| · ${subTitle(sb.sub)} | ${fmtNs(sb.ns)} | ${pct(sb.share)} | ${sb.count} |`);
    }
  }
  if (d.idle) {
    out.push(`| idle${d.idle.source === 'wall-seconds' ? ' (from --wall-seconds)' : ''} | ${fmtNs(d.idle.idleNs)} | ${pct(d.idle.idleShare)} of ${fmtNs(d.idle.spanNs)} | |`);
  }
  out.push('');
  out.push(`Shares are of the summed GPU activity time (${fmtNs(d.activityNs)}); idle is a share of the profiled span.`);
  const dirs = Object.keys(d.memoryByDirectionNs).sort();
  if (dirs.length) out.push(`Memory by direction: ${dirs.map((k) => `${mdText(k)} ${fmtNs(d.memoryByDirectionNs[k])}`).join(', ')}.`);
  if (d.idle?.gaps && d.idle.gaps.count > 0) {
    const g = d.idle.gaps;
    out.push(`Idle gaps: ${g.count}, median ${fmtNs(g.p50Ns)}, p90 ${fmtNs(g.p90Ns)}, longest ${fmtNs(g.maxNs)}; ${fmtNs(g.totalOverNs['1000000'] ?? 0)} of idle in gaps over 1 ms (${g.countOver['1000000'] ?? 0} gaps).`);
  }
  if (d.overlap) out.push(`Communication ${fmtNs(d.overlap.commNs)}, of which ${pct(d.overlap.overlapShareOfComm)} overlapped with compute; exposed communication ${fmtNs(d.overlap.exposedCommNs)}.`);
  if (d.exposedMemory) out.push(`Memory copies and sets ${fmtNs(d.exposedMemory.memoryNs)} (their union on the timeline); exposed, with no kernel running: ${fmtNs(d.exposedMemory.exposedNs)} (${pct(d.exposedMemory.exposedShareOfSpan)} of the span).`);
  const l = d.launch;
  const launchBits: string[] = [`${l.kernels} kernels`];
  if (l.shortKernels !== null && l.shortShare !== null) launchBits.push(`${l.shortKernels} (${pct(l.shortShare)}) shorter than ${fmtNs(l.thresholdNs)}`);
  if (l.meanLaunchCallNs !== null) launchBits.push(`mean launch call ${fmtNs(l.meanLaunchCallNs)}`);
  launchBits.push(l.cudaGraphs === 'used' ? `CUDA graphs used (${l.graphLaunches ?? 0} graph launches, ${l.graphKernels ?? 0} graph kernels)` : l.cudaGraphs === 'not-seen' ? 'no CUDA graph launches seen' : 'CUDA graph use unknown');
  out.push(`Launches: ${launchBits.join('; ')}.`);
  out.push('');
  if (d.ops) {
    const o = d.ops;
    out.push(
      `Launching ops: ${o.linkedKernels} of ${o.kernels} kernels linked to the CPU op that launched them${o.graphKernels ? ` (${o.graphKernels} replayed from CUDA graphs have none)` : ''}; of the linked time, op and kernel name agree on ${pct(o.agreeShare)}, disagree on ${pct(o.conflictShare)}, and the op attributes ${pct(o.attributedShare)} (kernels the name leaves in other).`,
    );
    if (o.pairs.length) {
      out.push('');
      out.push('| verdict | kernel | name says | launched by | op says | count | time |');
      out.push('|---|---|---|---|---|---:|---:|');
      for (const p of o.pairs.slice(0, 10)) out.push(`| ${p.verdict} | ${codeCell(shortName(p.kernel))} | ${title(p.kernelCategory)}${p.kernelSub ? ` / ${subTitle(p.kernelSub)}` : ''} | ${codeCell(shortName(p.op, 60))} | ${mdText(p.opClass)} | ${p.count} | ${fmtNs(p.ns)} |`);
    }
    out.push('');
  }
  const withTop = d.categories.filter((c) => c.top.length > 0);
  if (withTop.length) {
    out.push('| category | kernel | count | total | mean |');
    out.push('|---|---|---:|---:|---:|');
    for (const c of withTop) for (const k of c.top) out.push(`| ${title(c.category)} | ${codeCell(shortName(k.name))} | ${k.count} | ${fmtNs(k.totalNs)} | ${fmtNs(k.meanNs)} |`);
    out.push('');
  }
  for (const u of d.unknown) out.push(`- Unknown — ${mdText(u.what)}: ${mdText(u.reason)}.`);
  for (const n of d.notes) out.push(`- ${mdText(n)}`);
  if (d.unknown.length || d.notes.length) out.push('');
  return out;
}

export function renderGpuSection(gpu: GpuBreakdown): string {
  const out: string[] = ['## Where GPU time goes', ''];
  if (gpu.devices.length === 0) {
    out.push('No GPU profile was given.', '');
    return out.join('\n');
  }
  if (gpu.fleet.devices > 1) {
    out.push(`Mean over ${gpu.fleet.devices} device profiles (one per GPU and input file): ${Object.entries(gpu.fleet.categoryShares).filter(([, v]) => v > 0).map(([k, v]) => `${title(k)} ${pct(v)}`).join(', ')}${gpu.fleet.idleShare !== null ? `; idle ${pct(gpu.fleet.idleShare)}` : ''}.`, '');
  }
  for (const d of gpu.devices) out.push(...device(d));
  for (const u of gpu.unknown) out.push(`- Unknown — ${mdText(u.what)}: ${mdText(u.reason)}.`);
  return out.join('\n').replace(/\n+$/, '\n');
}
