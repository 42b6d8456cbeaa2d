// nsys stats CSV: kernel summary with preamble and quoted names containing commas; GPU trace with
// a timeline on two devices (hand-checked union); API summary for launch counts.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { nsysBlocks, nsysCsvProfile, nsysCsvAdapter } from '../../src/ingest/from-nsys-csv.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { detectAdapter } from '../../src/ingest/index.js';
import { bufferSource } from '../../src/ingest/source.js';
import { InputError } from '../../src/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fix = (f: string) => readFileSync(path.resolve(here, '../fixtures/profiles', f), 'utf8');
const classifier = new KernelClassifier();

describe('nsys stats CSV', () => {
  it('detected from content (preamble first)', () => {
    for (const f of ['nsys-kern-sum.csv', 'nsys-gpu-trace.csv']) expect(detectAdapter(bufferSource(Buffer.from(fix(f)), f)).id).toBe('nsys-csv');
  });

  it('cuda_gpu_kern_sum + cuda_api_sum: quoted names with commas, categories, launches', () => {
    const blocks = nsysBlocks(fix('nsys-kern-sum.csv'), 'k.csv');
    expect(blocks.map((b) => [b.kind, b.rows.length, b.line])).toEqual([['kern_sum', 4], ['api_sum', 3]].map(([k, n], i) => [k, n, i === 0 ? 6 : 16]));
    const p = nsysCsvProfile(blocks, 'k.csv', classifier, 0.02);
    expect(p.kernels.map((k) => [k.category, k.count, k.totalNs, k.minNs, k.maxNs])).toEqual([
      ['attention', 300, 4_500_000, 12_000, 20_000],
      ['gemm', 600, 3_000_000, 4_000, 6_000],
      ['communication', 60, 2_000_000, 30_000, 40_000],
      ['other', 100, 500_000, 4_500, 5_500],
    ]);
    expect(p.kernels[2].name).toBe('void vllm::cross_device_reduce_1stage<__nv_bfloat16, 8>(vllm::RankData *, vllm::RankSignals, vllm::Signal *, __nv_bfloat16 *, int, int)');
    expect(p.devices).toBeUndefined();
    expect(p.wallNs).toBe(20_000_000);
    expect(p.launches).toEqual({ launchCalls: 1000, launchCallNs: 8_000_000, graphLaunches: 10, graphKernels: 0 });
  });

  it('cuda_gpu_trace: per-device union (hand-checked)', () => {
    const p = nsysCsvProfile(nsysBlocks(fix('nsys-gpu-trace.csv'), 't.csv'), 't.csv', classifier);
    // device 0 (ns from 1,000,000): [0,10000] ∪ [5000,20000] ∪ [30000,35000] ∪ [100000,100500]
    //   busy = 20000 + 5000 + 500 = 25500; span = 100500; gaps 10000 and 65000
    // device 1: [0,20000] ∪ [20000,21000] → busy 21000, span 21000, no gap
    expect(p.devices!.map((d) => [d.device, d.spanNs, d.busyNs, d.idleNs, d.gaps!.count, d.gaps!.maxNs])).toEqual([
      ['0', 100_500, 25_500, 75_000, 2, 65_000],
      ['1', 21_000, 21_000, 0, 0, 0],
    ]);
    expect(p.devices![0]).toMatchObject({ commNs: 15_000, computeNs: 10_500, commComputeOverlapNs: 5_000, streams: 2 });
    const mem = p.kernels.filter((k) => k.category === 'memory').map((k) => [k.device, k.sub, k.totalNs]);
    expect(mem).toEqual([['0', 'HtoD', 5_000], ['1', 'memset', 1_000]]);
  });

  it('a broken number → PROFILE_TABLE with line and column', async () => {
    const bad = fix('nsys-gpu-trace.csv').replace('1005000,15000', '1005000,abc');
    const ctx = { options: {}, addProfile: () => {}, warn: () => {} } as never;
    const err = await nsysCsvAdapter.read(bufferSource(Buffer.from(bad), 'bad.csv'), ctx).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('PROFILE_TABLE');
    expect((err as InputError).position).toEqual({ line: 7, column: 'Duration (ns)' });
  });
});
