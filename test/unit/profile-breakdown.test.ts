// GpuBreakdown from profiles and the Markdown section. The GPU diagnoses that read it are tested with
// the others in diagnoses.test.ts ('GPU profile diagnoses').

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { kernelBreakdown } from '../../src/derive/kernel-breakdown.js';
import { renderGpuSection } from '../../src/report/gpu-section.js';
import { GpuBreakdown } from '../../src/model/gpu-result.js';
import { readKinetoProfile } from '../../src/ingest/from-kineto.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { fileSource } from '../../src/ingest/source.js';
import type { KernelProfile } from '../../src/model/profile.js';
import { REAL_TRACES } from '../support/paths.js';

const TRACES = REAL_TRACES;

function summary(kernels: [string, KernelProfile['kernels'][number]['category'], number, number][], extra: Partial<KernelProfile> = {}): KernelProfile {
  return { file: 'k.csv', format: 'nsys-csv', kernels: kernels.map(([name, category, count, totalNs]) => ({ name, category, count, totalNs })), gpuActivity: true, ...extra };
}

describe('kernelBreakdown', () => {
  it('shares, top kernels, unknown idle for a summary; idle from --wall-seconds', () => {
    const p = summary([['flash_fwd', 'attention', 10, 5_000_000], ['nvjet_a', 'gemm', 20, 3_000_000], ['fused_moe_kernel', 'moe_gemm', 5, 1_000_000], ['nccl', 'communication', 2, 1_000_000]]);
    const g = kernelBreakdown([p]);
    expect(GpuBreakdown.parse(g)).toEqual(g);
    const d = g.devices[0];
    expect(d.categories.map((c) => [c.category, c.ns, c.share])).toEqual([['attention', 5e6, 0.5], ['gemm', 3e6, 0.3], ['moe_gemm', 1e6, 0.1], ['communication', 1e6, 0.1], ['memory', 0, 0], ['other', 0, 0]]);
    expect(d.categories[0].top).toEqual([{ name: 'flash_fwd', count: 10, totalNs: 5e6, meanNs: 500_000 }]);
    expect([d.gemmDenseNs, d.gemmMoeNs]).toEqual([3e6, 1e6]);
    expect(d.idle).toBeNull();
    expect(d.unknown.map((u) => u.what)).toEqual(['idle time', 'communication overlap', 'CUDA graph use', 'launch pressure']);
    const w = kernelBreakdown([p], { wallSeconds: 0.02 }).devices[0];
    expect(w.idle).toMatchObject({ source: 'wall-seconds', spanNs: 20e6, busyNs: 10e6, idleNs: 10e6, idleShare: 0.5 });
  });

  it('real vLLM graph-execution trace: MoE apart, graphs used, idle from the timeline', async () => {
    const f = 'inference__vllm_decode_full__graph_execution.json.gz';
    const { profile } = await readKinetoProfile(await fileSource(path.join(TRACES, f), f), new KernelClassifier());
    const g = kernelBreakdown([profile]);
    const d = g.devices[0];
    expect(d.label).toBe(`rank 0 (${f})`);
    expect(d.gemmMoeNs).toBe(7_034_595);
    expect(d.launch.cudaGraphs).toBe('used');
    expect(d.idle?.source).toBe('timeline');
    expect(d.idle!.idleNs).toBe(profile.devices![0].idleNs);
    const md = renderGpuSection(g);
    expect(md.startsWith('## Where GPU time goes\n')).toBe(true);
    expect(md).toContain('| GEMM (MoE grouped) | 7.03 ms |');
    expect(renderGpuSection(g)).toBe(md); // deterministic
  });

  it('CPU-only profile → "no GPU activity"', () => {
    const g = kernelBreakdown([{ file: 'cpu.json', format: 'kineto-trace', kernels: [], gpuActivity: false, rank: 3 }]);
    expect(g.unknown).toEqual([{ what: 'GPU time', reason: 'no GPU activity in the profiles given (CPU-only)' }]);
    expect(renderGpuSection(g)).toContain('No GPU activity in this profile (CPU-only).');
    expect(g.devices.filter((d) => d.gpuActivity)).toEqual([]);
  });

  it('writes kernel names as table code cells: longer fence, escaped pipe, no entities', () => {
    const g = kernelBreakdown([summary([['void k<int>|x`y`', 'other', 1, 1000]])]);
    expect(renderGpuSection(g)).toContain('| `` void k<int>\\|x`y` `` |');
  });
});

describe('sub-classes in the breakdown', () => {
  it('splits each category by sub-class (exact shares) and keeps the fleet mean per category/sub', () => {
    const p: KernelProfile = {
      file: 'k.csv',
      format: 'nsys-csv',
      gpuActivity: true,
      kernels: [
        { name: 'a', category: 'other', sub: 'normalization', count: 4, totalNs: 2_000 },
        { name: 'b', category: 'other', sub: 'sampling', count: 1, totalNs: 1_000 },
        { name: 'c', category: 'other', sub: 'normalization', count: 2, totalNs: 1_000 },
        { name: 'd', category: 'other', sub: 'unmatched', count: 1, totalNs: 500 },
        { name: 'e', category: 'gemm', count: 1, totalNs: 5_500 },
      ],
    };
    const g = kernelBreakdown([p]);
    const other = g.devices[0].categories.find((c) => c.category === 'other')!;
    expect(other.subs).toEqual([
      { sub: 'normalization', ns: 3_000, share: 0.3, count: 6 },
      { sub: 'sampling', ns: 1_000, share: 0.1, count: 1 },
      { sub: 'unmatched', ns: 500, share: 0.05, count: 1 },
    ]);
    expect(g.devices[0].categories.find((c) => c.category === 'gemm')!.subs).toEqual([{ sub: '-', ns: 5_500, share: 0.55, count: 1 }]);
    expect(g.fleet.subShares).toEqual({ 'gemm/-': 0.55, 'other/normalization': 0.3, 'other/sampling': 0.1, 'other/unmatched': 0.05 });
    const md = renderGpuSection(g);
    expect(md).toContain('| · normalization | 3.0 µs | 30.0% | 6 |');
    expect(md).toContain('| · unmatched names | 500 ns | 5.0% | 1 |');
  });

  it('real H200 op-zoo trace: every sub-class sums to its category, and the norm/sampling/rotary ranges land in their sub-classes', async () => {
    const f = path.resolve(REAL_TRACES, '../../real-h200/op-zoo.trace.json.gz');
    const { profile } = await readKinetoProfile(await fileSource(f, 'op-zoo'), new KernelClassifier());
    const d = kernelBreakdown([profile]).devices[0];
    for (const c of d.categories) expect(c.subs.reduce((s, x) => s + x.ns, 0)).toBe(c.ns);
    const other = d.categories.find((c) => c.category === 'other')!;
    const subs = new Set(other.subs.map((s) => s.sub));
    for (const s of ['normalization', 'sampling', 'quantization', 'copy_reduction', 'elementwise']) expect(subs.has(s), s).toBe(true);
    expect(d.categories.find((c) => c.category === 'attention')!.ns).toBeGreaterThan(0);
  });
});

describe('op cross-check (launching CPU op vs kernel name)', () => {
  const H200 = path.resolve(REAL_TRACES, '../../real-h200');
  it('real HF Llama trace on H200: every kernel linked to its op; cuDNN attention reductions attributed to attention', async () => {
    const { profile } = await readKinetoProfile(await fileSource(path.join(H200, 'hf-llama-generate.trace.json.gz'), 'hf'), new KernelClassifier());
    const d = kernelBreakdown([profile]).devices[0];
    expect(GpuBreakdown.parse(kernelBreakdown([profile]))).toBeTruthy();
    const o = d.ops!;
    expect([o.kernels, o.linkedKernels, o.graphKernels, o.unlinkedKernels]).toEqual([6816, 6816, 0, 0]);
    expect(o.conflictNs).toBe(0);
    expect(o.agreeNs + o.attributedNs + o.noOpinionNs).toBe(o.linkedNs);
    expect(o.pairs.map((p) => [p.verdict, p.op, p.kernelCategory, p.kernelSub])).toEqual([['attributed', 'aten::_cudnn_attention_forward', 'other', 'copy_reduction']]);
    expect(renderGpuSection(kernelBreakdown([profile]))).toMatch(/Launching ops: 6816 of 6816 kernels linked .* disagree on 0\.0%/);
  });

  it('a wrong name rule shows up as a conflict with the op that launched the kernel (how FA3-as-GEMM would be caught)', async () => {
    const wrong = new KernelClassifier([{ category: 'gemm', pattern: '^pytorch_flash::' }]);
    const { profile } = await readKinetoProfile(await fileSource(path.join(H200, 'op-zoo.trace.json.gz'), 'zoo'), wrong);
    const o = kernelBreakdown([profile]).devices[0].ops!;
    const c = o.pairs.filter((p) => p.verdict === 'conflict');
    expect(c.length).toBeGreaterThan(0);
    expect(c.every((p) => p.kernel.includes('pytorch_flash::flash_fwd_kernel') && p.op === 'aten::_flash_attention_forward' && p.opClass === 'attention')).toBe(true);
    expect(c.reduce((n, p) => n + p.count, 0)).toBe(3);
    expect(o.conflictNs).toBe(c.reduce((n, p) => n + p.ns, 0));
  });

  it('CUDA-graph replays are counted apart; a 2022-23 layout (External id = correlation) is unlinked with a note', async () => {
    const { profile } = await readKinetoProfile(await fileSource(path.join(H200, 'compiled-llama.trace.json.gz'), 'c'), new KernelClassifier());
    expect(profile.opCheck![0]).toMatchObject({ kernels: 649, linkedKernels: 103, graphKernels: 546, unlinkedKernels: 0, conflictNs: 0 });
    const old = await readKinetoProfile(await fileSource(path.join(REAL_TRACES, 'et_replay_tests_inputs__linear_kineto.json.gz')), new KernelClassifier());
    expect(old.profile.opCheck![0]).toMatchObject({ kernels: 8716, linkedKernels: 0, unlinkedKernels: 8716 });
    expect(old.profile.notes?.some((n) => n.startsWith('op cross-check: 8716 kernels carry their correlation id'))).toBe(true);
    const d = kernelBreakdown([old.profile]).devices[0];
    expect(d.ops).toBeNull();
    expect(d.unknown.find((u) => u.what === 'launching ops')).toBeTruthy();
  });

  it('the op check changes no kernel total', async () => {
    const f = path.join(H200, 'hf-llama-generate.trace.json.gz');
    const on = await readKinetoProfile(await fileSource(f), new KernelClassifier());
    const off = await readKinetoProfile(await fileSource(f), new KernelClassifier(), { opCheck: false });
    expect(off.profile.opCheck).toBeUndefined();
    expect(on.profile.kernels).toEqual(off.profile.kernels);
    expect(on.profile.devices).toEqual(off.profile.devices);
  });
});
