// Nsight Systems SQLite export (generated, not committed): the tables and columns nsys writes
// (test/fixtures/profiles/nsys-schema.sql), 2M kernel rows on 2 devices × 4 streams with 200
// distinct long demangled names, 100k memcpy, 20k memset, 2M runtime API rows and 20k other
// strings (≈ 230 MB). The check compares kernel count and total kernel ns with the generator's
// closed-form values. BENCH_NSYS_ROWS overrides the number of kernel rows.

import { existsSync, readFileSync, statSync, writeFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import type { BenchCase } from '../lib.js';
import { readNsysSqliteProfile } from '../../src/ingest/from-nsys-sqlite.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { fileSource } from '../../src/ingest/source.js';

const ROWS = Number(process.env.BENCH_NSYS_ROWS ?? 2_000_000);

function schemaSql(): string {
  // from dist/bench/cases or bench/cases
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const up of ['../..', '../../..']) {
    const p = path.resolve(here, up, 'test/fixtures/profiles/nsys-schema.sql');
    if (existsSync(p)) return readFileSync(p, 'utf8');
  }
  throw new Error('nsys-schema.sql not found');
}

function generate(file: string, rows: number): { kernels: number; kernelNs: number } {
  rmSync(file, { force: true });
  const db = new Database(file);
  db.exec(schemaSql());
  const last = rows - 1;
  db.exec(`
    BEGIN;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
    INSERT INTO StringIds SELECT i, CASE i % 5
      WHEN 0 THEN printf('void flash::flash_fwd_splitkv_kernel<Flash_fwd_kernel_traits<%d, 64, 128, 4, false, false, cutlass::bfloat16_t, Flash_kernel_traits<128, 64, 128, 4, cutlass::bfloat16_t>>, true, false, false, false, true, true, false, false>(flash::Flash_fwd_params)', i)
      WHEN 1 THEN printf('sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x%dx64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas', i)
      WHEN 2 THEN printf('ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<%dul>)', i)
      WHEN 3 THEN printf('void vllm::rms_norm_kernel<c10::BFloat16, %d>(c10::BFloat16 *, const c10::BFloat16 *, const c10::BFloat16 *, float, int, int)', i)
      ELSE printf('void vllm::act_and_mul_kernel<c10::BFloat16, &(c10::BFloat16 vllm::silu_kernel<c10::BFloat16>(const c10::BFloat16 &)), %d>(c10::BFloat16 *, const c10::BFloat16 *, int)', i) END FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
    INSERT INTO StringIds SELECT 1000 + i, printf('kernel_short_%d', i) FROM n;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000)
    INSERT INTO StringIds SELECT 5000 + i, printf('thread or NVTX string %d %08x', i, (i * 2654435761) % 4294967296) FROM n;
    INSERT INTO StringIds VALUES (3001, 'cudaLaunchKernel_v7000'), (3002, 'cudaGraphLaunch_v10000'), (3003, 'cudaMemcpyAsync_v3020'), (3004, 'cudaStreamSynchronize_v3020');
    INSERT INTO TARGET_INFO_GPU (vmId, id, name, cuDevice) VALUES (0, 0, 'NVIDIA H100 80GB HBM3', 0), (0, 1, 'NVIDIA H100 80GB HBM3', 1);
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${last})
    INSERT INTO CUPTI_ACTIVITY_KIND_KERNEL SELECT
      1000000 + (i / 2) * 10000 + (i * 7919 % 3000),
      1000000 + (i / 2) * 10000 + (i * 7919 % 3000) + 1000 + (i * 104729 % 8000),
      i % 2, 1, NULL, 7 + ((i / 2) % 4), i + 1, 71159018176512, 1 + ((i * 31) % 200), 1001 + ((i * 31) % 200), NULL, 1, 0, 128,
      132, 1, 1, 384, 1, 1, 0, 1024, 0, 0, i + 1, 0, CASE WHEN i % 3 = 0 THEN i ELSE NULL END, 1 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${Math.max(0, Math.floor(rows / 20) - 1)})
    INSERT INTO CUPTI_ACTIVITY_KIND_MEMCPY SELECT
      1000000 + i * 200000 + 500, 1000000 + i * 200000 + 500 + 2000 + (i % 7) * 300, i % 2, 1, NULL, 20, 3000000 + i, 71159018176512,
      4096 * (1 + i % 16), CASE i % 4 WHEN 0 THEN 1 WHEN 1 THEN 2 WHEN 2 THEN 8 ELSE 10 END, NULL, 0, 1, i % 2, 1, i % 2, 1, 0, NULL, 0 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${Math.max(0, Math.floor(rows / 100) - 1)})
    INSERT INTO CUPTI_ACTIVITY_KIND_MEMSET SELECT
      1000000 + i * 1000000 + 900, 1000000 + i * 1000000 + 2400, i % 2, 1, NULL, 20, 4000000 + i, 71159018176512, 0, 65536, NULL, 1 FROM n;
    WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${last})
    INSERT INTO CUPTI_ACTIVITY_KIND_RUNTIME SELECT 900000 + (i / 2) * 10000, 904000 + (i / 2) * 10000, 1, 71159018180754, i + 1,
      CASE WHEN i % 50 = 0 THEN 3002 ELSE 3001 END, 0, NULL FROM n;
    COMMIT;`);
  db.close();
  let kernelNs = 0;
  for (let i = 0; i < rows; i++) kernelNs += 1000 + ((i * 104729) % 8000);
  return { kernels: rows, kernelNs };
}

const benchCase: BenchCase = {
  id: 'ingest-nsys-sqlite',
  title: `Nsight Systems SQLite export (${ROWS} kernel rows, generated): libsql → per-kernel totals and device timeline`,
  async prepare(outDir) {
    const file = path.join(outDir, `nsys-${ROWS}.sqlite`);
    const metaFile = `${file}.meta.json`;
    if (!existsSync(file) || !existsSync(metaFile)) writeFileSync(metaFile, JSON.stringify(generate(file, ROWS)));
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Record<string, number>;
    return { file, bytes: statSync(file).size, meta };
  },
  async run(prepared) {
    const { profile, rows } = await readNsysSqliteProfile(await fileSource(prepared.file), new KernelClassifier());
    let kernels = 0;
    let kernelNs = 0;
    for (const k of profile.kernels) {
      if (k.category === 'memory') continue;
      kernels += k.count;
      kernelNs += k.totalNs;
    }
    return {
      items: rows,
      itemName: 'rows',
      check: { kernels, kernelNs, expectedKernels: prepared.meta?.kernels ?? '?', expectedKernelNs: prepared.meta?.kernelNs ?? '?', graphLaunches: profile.launches?.graphLaunches ?? 0 },
    };
  },
};

export default benchCase;
