// Nsight Systems SQLite export: the committed fixture (test/fixtures/profiles/nsys-small.sqlite,
// made by make-nsys-sqlite.mjs from nsys-schema.sql + nsys-small.sql) read end to end, every number
// hand-checked from the rows in nsys-small.sql; a SQLite file without CUPTI tables is SQLITE_SCHEMA.

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'libsql';
import { nsysSqliteAdapter, readNsysSqliteProfile } from '../../src/ingest/from-nsys-sqlite.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { detectAdapter } from '../../src/ingest/index.js';
import { bufferSource, fileSource } from '../../src/ingest/source.js';
import { InputError } from '../../src/errors.js';
import type { KernelProfile } from '../../src/model/profile.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURE = path.resolve(here, '../fixtures/profiles/nsys-small.sqlite');
const classifier = new KernelClassifier();

function perDeviceCategory(p: KernelProfile): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const k of p.kernels) {
    const d = (out[k.device!] ??= {});
    d[k.category] = (d[k.category] ?? 0) + k.totalNs;
  }
  return out;
}

describe('nsys SQLite export', () => {
  it('is detected from the 16-byte SQLite header', async () => {
    const src = await fileSource(FIXTURE, 'nsys-small.sqlite');
    expect(detectAdapter(src).id).toBe('nsys-sqlite');
    expect(nsysSqliteAdapter.sniff(Buffer.from('SQLite format 2\0'), '', src)).toBe(false);
  });

  it('per-device category totals, memory by direction', async () => {
    const { profile, rows } = await readNsysSqliteProfile(await fileSource(FIXTURE, 'nsys-small.sqlite'), classifier);
    expect(rows).toBe(12); // 9 kernels + 2 memcpy + 1 memset
    expect(profile.format).toBe('nsys-sqlite');
    expect(profile.deviceName).toBe('NVIDIA H100 80GB HBM3');
    // device 0: gemm 10000 + 8000, nccl 15000, flash 12000, rms_norm 2500, HtoD 5000 + memset 500
    // device 1: gemm 7000, nccl 20000, flash 3000, rms_norm 1000, DtoH 2000
    expect(perDeviceCategory(profile)).toEqual({
      '0': { gemm: 18_000, communication: 15_000, attention: 12_000, other: 2_500, memory: 5_500 },
      '1': { gemm: 7_000, communication: 20_000, attention: 3_000, other: 1_000, memory: 2_000 },
    });
    const mem = profile.kernels.filter((k) => k.category === 'memory').map((k) => [k.device, k.name, k.sub, k.count, k.totalNs]);
    expect(mem).toEqual([
      ['0', '[CUDA memcpy Host-to-Device]', 'HtoD', 1, 5_000],
      ['1', '[CUDA memcpy Device-to-Host]', 'DtoH', 1, 2_000],
      ['0', '[CUDA memset]', 'memset', 1, 500],
    ]);
    const gemm0 = profile.kernels.find((k) => k.device === '0' && k.category === 'gemm')!;
    expect([gemm0.count, gemm0.totalNs, gemm0.minNs, gemm0.maxNs]).toEqual([2, 18_000, 8_000, 10_000]);
    expect(gemm0.name).toMatch(/^sm90_xmma_gemm_bf16bf16/); // demangledName, not shortName
  });

  it('busy, idle, gaps and comm/compute overlap per device (rows stored out of order)', async () => {
    const { profile } = await readNsysSqliteProfile(await fileSource(FIXTURE), classifier);
    const [d0, d1] = profile.devices!;
    // device 0: union [1000,21000) ∪ [30000,35000) ∪ [40000,60000) ∪ [100000,103000) = 48000 ns;
    // span 1000 → 103000; gaps 9000, 5000, 40000. Comm [6000,21000) overlaps gemm [1000,11000) for 5000.
    expect(d0).toMatchObject({ device: '0', spanNs: 102_000, busyNs: 48_000, idleNs: 54_000, streams: 3, commNs: 15_000, computeNs: 32_500, commComputeOverlapNs: 5_000 });
    expect(d0.gaps).toMatchObject({ count: 3, totalNs: 54_000, p50Ns: 9_000, maxNs: 40_000 });
    expect(d0.gaps!.countOver['10000']).toBe(1);
    // device 1: [2000,31000) (back-to-back kernels and the copy merge) ∪ [50000,54000) = 33000 ns
    expect(d1).toMatchObject({ device: '1', spanNs: 52_000, busyNs: 33_000, idleNs: 19_000, streams: 1, commNs: 20_000, computeNs: 11_000, commComputeOverlapNs: 0 });
    expect(d1.gaps).toMatchObject({ count: 1, totalNs: 19_000 });
    expect(d0.lateIntervals).toBeUndefined();
  });

  it('launches, CUDA graph kernels and short kernels', async () => {
    const { profile } = await readNsysSqliteProfile(await fileSource(FIXTURE), classifier);
    expect(profile.launches).toEqual({ launchCalls: 7, launchCallNs: 28_000, graphLaunches: 1, graphKernels: 2 });
    // kernels < 5 µs: rms_norm 2500 (dev 0), flash 3000 and rms_norm 1000 (dev 1 graph)
    expect(profile.shortKernels).toEqual({ thresholdNs: 5_000, count: 3, totalNs: 6_500 });
    expect(profile.gpuActivity).toBe(true);
  });

  it('a gzip-compressed export reads the same', async () => {
    const gz = gzipSync(readFileSync(FIXTURE));
    const src = bufferSource(gz, 'nsys-small.sqlite.gz');
    expect(detectAdapter(src).id).toBe('nsys-sqlite');
    const { profile } = await readNsysSqliteProfile(src, classifier);
    expect(profile.devices!.map((d) => d.busyNs)).toEqual([48_000, 33_000]);
  });
});

describe('nsys SQLite: bad input', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'nsys-sqlite-test-'));
  it('a SQLite file without CUPTI tables → SQLITE_SCHEMA naming the tables found', async () => {
    const f = path.join(dir, 'other.sqlite');
    const db = new Database(f);
    db.exec('CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT); CREATE TABLE OSRT_API (start INTEGER, end INTEGER); CREATE TABLE NVTX_EVENTS (start INTEGER)');
    db.close();
    const err = await readNsysSqliteProfile(await fileSource(f, 'other.sqlite'), classifier).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('SQLITE_SCHEMA');
    expect((err as InputError).file).toBe('other.sqlite');
    expect((err as InputError).message).toContain('tables found: NVTX_EVENTS, OSRT_API, StringIds');
    expect((err as InputError).hint).toMatch(/nsys profile -t cuda/);
  });
  it('a kernel table without the time columns → SQLITE_SCHEMA naming them', async () => {
    const f = path.join(dir, 'old.sqlite');
    const db = new Database(f);
    db.exec('CREATE TABLE StringIds (id INTEGER PRIMARY KEY, value TEXT); CREATE TABLE CUPTI_ACTIVITY_KIND_KERNEL (deviceId INTEGER, streamId INTEGER, demangledName INTEGER)');
    db.close();
    const err = await readNsysSqliteProfile(await fileSource(f, 'old.sqlite'), classifier).catch((e: unknown) => e);
    expect((err as InputError).code).toBe('SQLITE_SCHEMA');
    expect((err as InputError).message).toContain('lacks column(s) start, end');
  });
  it('empty CUPTI tables → "no GPU activity", not an error', async () => {
    const f = path.join(dir, 'empty.sqlite');
    const db = new Database(f);
    db.exec(readFileSync(path.resolve(here, '../fixtures/profiles/nsys-schema.sql'), 'utf8'));
    db.close();
    const { profile, rows } = await readNsysSqliteProfile(await fileSource(f), classifier);
    expect([rows, profile.gpuActivity, profile.kernels.length, profile.devices]).toEqual([0, false, 0, undefined]);
    expect(profile.notes?.[0]).toMatch(/^no GPU activity/);
  });
  it('SQLite magic followed by garbage → SQLITE_SCHEMA, not a crash', async () => {
    const f = path.join(dir, 'garbage.sqlite');
    writeFileSync(f, Buffer.concat([Buffer.from('SQLite format 3\0', 'latin1'), Buffer.alloc(4096, 0x5a)]));
    const err = await readNsysSqliteProfile(await fileSource(f, 'garbage.sqlite'), classifier).catch((e: unknown) => e);
    expect((err as InputError).code).toBe('SQLITE_SCHEMA');
    expect((err as InputError).message).toMatch(/^not a readable SQLite database/);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('nsys SQLite: older exports', () => {
  it('without graphNodeId, graph kernels are found from a shared correlation id', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'nsys-sqlite-old-'));
    const f = path.join(dir, 'no-graph-column.sqlite');
    writeFileSync(f, readFileSync(FIXTURE));
    const db = new Database(f);
    db.exec('ALTER TABLE CUPTI_ACTIVITY_KIND_KERNEL DROP COLUMN graphNodeId');
    db.close();
    const { profile } = await readNsysSqliteProfile(await fileSource(f), classifier);
    expect(profile.launches?.graphKernels).toBe(2);
    expect(profile.devices!.map((d) => d.busyNs)).toEqual([48_000, 33_000]);
    rmSync(dir, { recursive: true, force: true });
  });
});
