// 1 GB synthetic Kineto trace (seeded; not committed): cpu_op with args, cuda_runtime launches and
// kernels with realistic vLLM names on two streams. The check compares the adapter's kernel count
// and total kernel ns with what the generator wrote. BENCH_KINETO_MB overrides the size while developing.
// The default run reads the file as `analyze` does: on os.availableParallelism() worker threads
// (VLLM_TUNE_WORKERS unset). Variants, each against the floor in the same run: 1 thread (the sequential
// reader), 2 and 4 worker threads (those that differ from the default), and the op cross-check off on the
// default threads and on one (its cost: compare with the default run and with VLLM_TUNE_WORKERS=1).

import { createHash } from 'node:crypto';
import os from 'node:os';
import { closeSync, existsSync, openSync, statSync, writeFileSync, writeSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase } from '../lib.js';
import { readKinetoProfile } from '../../src/ingest/from-kineto.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { fileSource } from '../../src/ingest/source.js';
import { mulberry32 as rng } from '../../src/stats/prng.js';

const TARGET_MB = Number(process.env.BENCH_KINETO_MB ?? 1000);
/** The op cross-check (kernel ↔ launching CPU op) runs unless BENCH_KINETO_OPCHECK=0. */
const OP_CHECK = process.env.BENCH_KINETO_OPCHECK !== '0';
/** Kineto numbers CPU ops (External id) and CUDA calls (correlation) apart: the ids differ, as in real traces. */
const CORR_OFFSET = 700_000;

const KERNELS = [
  'void flash::flash_fwd_splitkv_kernel<Flash_fwd_kernel_traits<128, 64, 128, 4, false, false, cutlass::bfloat16_t, Flash_kernel_traits<128, 64, 128, 4, cutlass::bfloat16_t> >, true, false, false, false, true, true, false, false>(flash::Flash_fwd_params)',
  'nvjet_tst_128x256_64x4_1x2_h_bz_coopA_NTN',
  'sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas',
  'void vllm::rms_norm_kernel<c10::BFloat16>(c10::BFloat16*, c10::BFloat16 const*, c10::BFloat16 const*, float, int, int)',
  'void vllm::rotary_embedding_kernel<c10::BFloat16, true>(long const*, c10::BFloat16*, c10::BFloat16*, c10::BFloat16 const*, int, long, long, long, int, int, int)',
  'void vllm::reshape_and_cache_flash_kernel<__nv_bfloat16, __nv_bfloat16, (vllm::Fp8KVCacheDataType)0>(__nv_bfloat16 const*, __nv_bfloat16 const*, __nv_bfloat16*, __nv_bfloat16*, long const*, long, long, long, long, int, int, int, float const*, float const*)',
  'ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)',
  'fused_moe_kernel',
  'void vllm::act_and_mul_kernel<c10::BFloat16, &(c10::BFloat16 vllm::silu_kernel<c10::BFloat16>(c10::BFloat16 const&)), true>(c10::BFloat16*, c10::BFloat16 const*, int)',
];

function generate(file: string, targetBytes: number): { kernels: number; kernelNs: number; events: number } {
  const r = rng(42);
  const fd = openSync(file, 'w');
  let written = 0;
  let buf = '{"schemaVersion": 1, "deviceProperties": [{"id": 0, "name": "NVIDIA H100 80GB HBM3"}], "distributedInfo": {"backend": "nccl", "rank": 0, "world_size": 2},\n  "traceEvents": [\n';
  let tsNs = 1_700_000_000_000_000; // µs epoch × 1000 would overflow; keep µs integer + ns fraction below
  let tsUs = 1_700_000_000_000;
  let gpuUs = tsUs;
  let kernels = 0;
  let kernelNs = 0;
  let events = 0;
  let corr = 1;
  const flush = (): void => {
    const b = Buffer.from(buf);
    writeSync(fd, b);
    written += b.length;
    buf = '';
  };
  const fmt = (us: number, ns: number): string => `${us}.${String(ns).padStart(3, '0')}`;
  let first = true;
  while (written + buf.length < targetBytes) {
    // one op: cpu_op with args, a runtime launch, a kernel
    const name = KERNELS[Math.floor(r() * KERNELS.length)];
    const cpuDurNs = 2000 + Math.floor(r() * 20000);
    const sep = first ? '' : ',\n';
    first = false;
    buf += `${sep}  {"ph": "X", "cat": "cpu_op", "name": "aten::mm", "pid": 1234, "tid": 1234, "ts": ${fmt(tsUs, 0)}, "dur": ${fmt(Math.floor(cpuDurNs / 1000), cpuDurNs % 1000)}, "args": {"External id": ${corr}, "Record function id": 0, "Input Dims": [[32, 4096], [4096, 4096]], "Input type": ["c10::BFloat16", "c10::BFloat16"], "Ev Idx": ${corr}}}`;
    buf += `,\n  {"ph": "X", "cat": "cuda_runtime", "name": "cudaLaunchKernel", "pid": 1234, "tid": 1234, "ts": ${fmt(tsUs + 1, 500)}, "dur": 4.250, "args": {"External id": ${corr}, "cbid": 211, "correlation": ${corr + CORR_OFFSET}}}`;
    const durNs = 1000 + Math.floor(r() * 80_000);
    const gapNs = Math.floor(r() * 3000);
    const startNs = gapNs;
    gpuUs += Math.floor(startNs / 1000);
    const stream = name.startsWith('nccl') ? 13 : 7;
    buf += `,\n  {"ph": "X", "cat": "kernel", "name": ${JSON.stringify(name)}, "pid": 0, "tid": ${stream}, "ts": ${fmt(gpuUs, startNs % 1000)}, "dur": ${fmt(Math.floor(durNs / 1000), durNs % 1000)}, "args": {"External id": ${corr}, "queued": 0, "device": 0, "context": 1, "stream": ${stream}, "correlation": ${corr + CORR_OFFSET}, "registers per thread": 128, "shared memory": 0, "blocks per SM": 1.5, "warps per SM": 6.0, "grid": [132, 1, 1], "block": [384, 1, 1], "est. achieved occupancy %": 12}}`;
    buf += `,\n  {"ph": "f", "id": ${corr + CORR_OFFSET}, "pid": 0, "tid": ${stream}, "ts": ${fmt(gpuUs, startNs % 1000)}, "cat": "ac2g", "name": "ac2g", "bp": "e"}`;
    gpuUs += Math.ceil(durNs / 1000) + 1;
    tsUs += Math.floor(cpuDurNs / 1000) + 3;
    kernels++;
    kernelNs += durNs;
    events += 4;
    corr++;
    if (buf.length > 1 << 20) flush();
  }
  buf += '\n], "traceName": "bench"}\n';
  flush();
  closeSync(fd);
  void tsNs;
  return { kernels, kernelNs, events };
}

const benchCase: BenchCase = {
  id: 'ingest-kineto',
  title: `Kineto trace (${TARGET_MB} MB synthetic): streaming scanner → per-kernel totals, device timeline, op cross-check; default run on os.availableParallelism() = ${os.availableParallelism()} worker threads`,
  targets: { floorShare: 0.4, peakRssMb: 128 },
  variants: [
    ...[1, 2, 4].filter((n) => n !== os.availableParallelism()).map((n) => ({ label: `VLLM_TUNE_WORKERS=${n}`, env: { VLLM_TUNE_WORKERS: String(n) } })),
    { label: 'op cross-check off', env: { BENCH_KINETO_OPCHECK: '0' } },
    { label: 'op cross-check off, VLLM_TUNE_WORKERS=1', env: { BENCH_KINETO_OPCHECK: '0', VLLM_TUNE_WORKERS: '1' } },
  ],
  async prepare(outDir) {
    const file = path.join(outDir, `kineto-${TARGET_MB}mb-v2.json`);
    const metaFile = `${file}.meta.json`;
    if (!existsSync(file) || !existsSync(metaFile)) {
      const meta = generate(file, TARGET_MB * 1e6);
      writeFileSync(metaFile, JSON.stringify(meta));
    }
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, number>;
    return { file, bytes: statSync(file).size, meta };
  },
  async run(prepared) {
    const { profile, events, scanThreads, rescannedBlocks } = await readKinetoProfile(await fileSource(prepared.file), new KernelClassifier(), { opCheck: OP_CHECK });
    let kernels = 0;
    let kernelNs = 0;
    for (const k of profile.kernels) {
      kernels += k.count;
      kernelNs += k.totalNs;
    }
    const oc = profile.opCheck?.[0];
    const notes = scanThreads > 1 ? `${scanThreads} worker threads scanned, ${rescannedBlocks} ranges re-scanned by the main thread` : 'one thread scanned';
    // the whole profile's digest: 1 and N threads must give the same bytes (the runner flags a difference)
    const digest = createHash('sha256').update(JSON.stringify(profile)).digest('hex').slice(0, 16);
    return { items: events, itemName: 'events', notes, check: { profile: digest, kernels, kernelNs, expectedKernels: prepared.meta?.kernels ?? '?', expectedKernelNs: prepared.meta?.kernelNs ?? '?', opCheck: oc ? `${oc.linkedKernels} linked, agree ${(oc.agreeNs / Math.max(1, oc.linkedNs)).toFixed(3)}` : 'off' } };
  },
};

export default benchCase;
