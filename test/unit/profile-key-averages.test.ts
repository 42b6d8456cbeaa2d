// key_averages() tables: the log-prefixed, interleaved two-rank fixture (made by
// test/fixtures/profiles/make-key-averages.py following torch's table layout), CPU-only and old layouts.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { keyAveragesAdapter, keyAveragesProfiles, parseKeyAveragesText, parseTimeCell } from '../../src/ingest/from-key-averages.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { detectAdapter } from '../../src/ingest/index.js';
import { bufferSource } from '../../src/ingest/source.js';
import { InputError } from '../../src/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIX = path.resolve(here, '../fixtures/profiles/key-averages-vllm-tp2.log');
const classifier = new KernelClassifier();

function byCategory(ks: { category: string; totalNs: number }[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k of ks) o[k.category] = (o[k.category] ?? 0) + k.totalNs;
  return o;
}

describe('key_averages tables', () => {
  it('time cells in s / ms / us / ns', () => {
    expect([parseTimeCell('1.234ms'), parseTimeCell('12.979us'), parseTimeCell('2.5s'), parseTimeCell('100ns'), parseTimeCell('0.000us')]).toEqual([1_234_000, 12_979, 2_500_000_000, 100, 0]);
    expect(parseTimeCell('12 apples')).toBeUndefined();
  });

  it('is detected from content, ahead of the vLLM log adapter', () => {
    const buf = readFileSync(FIX);
    expect(detectAdapter(bufferSource(buf, 'x.log')).id).toBe('key-averages');
  });

  it('reads the two interleaved, log-prefixed tables of a TP=2 vLLM run', () => {
    const text = readFileSync(FIX, 'utf8');
    const tables = parseKeyAveragesText(text, 'x.log');
    expect(tables.map((t) => [t.prefix, t.rows.length, t.deviceTotalNs])).toEqual([
      ['VllmWorker TP0 pid=4012', 7, 10_020_000],
      ['VllmWorker TP1 pid=4013', 3, 9_500_000],
    ]);
    const profiles = keyAveragesProfiles(tables, 'x.log', classifier, undefined).sort((a, b) => a.rank! - b.rank!);
    expect(profiles.map((p) => p.rank)).toEqual([0, 1]);
    const [p0, p1] = profiles;
    // TP0: 4.5 ms flash attention, 3 ms nvjet GEMM, 2 ms NCCL, 0.5 ms rms_norm, 20 µs HtoD = 10.02 ms (= footer)
    expect(byCategory(p0.kernels)).toEqual({ attention: 4_500_000, gemm: 3_000_000, communication: 2_000_000, other: 500_000, memory: 20_000 });
    expect(p0.kernels[0]).toEqual({ name: 'void flash::flash_fwd_splitkv_kernel<Flash_fwd_kerne...', category: 'attention', device: '0', count: 280, totalNs: 4_500_000 });
    expect(p0.kernels.find((k) => k.category === 'memory')).toMatchObject({ sub: 'HtoD', count: 4 });
    // aten::mm and cudaLaunchKernel have no self CUDA time: not kernels
    expect(p0.kernels.some((k) => k.name === 'aten::mm' || k.name === 'cudaLaunchKernel')).toBe(false);
    expect(p0.devices).toBeUndefined();
    expect(p0.wallNs).toBeUndefined();
    // TP1 lists 9.0 of 9.5 ms: the 0.5 ms remainder is kept as unlisted `other`
    expect(byCategory(p1.kernels)).toEqual({ attention: 4_000_000, gemm: 3_000_000, communication: 2_000_000, other: 500_000 });
    expect(p1.kernels.find((k) => k.sub === 'unlisted')).toMatchObject({ count: 0, totalNs: 500_000 });
    expect(p1.notes?.join(' ')).toContain('94.7%');
  });

  it('adapter: one profile per table, --wall-seconds carried', async () => {
    const added: unknown[] = [];
    const ctx = { options: { wallSeconds: 0.02 }, addProfile: (p: unknown) => added.push(p), warn: () => {} } as never;
    const res = await keyAveragesAdapter.read(bufferSource(readFileSync(FIX), 'x.log'), ctx);
    expect(added.length).toBe(2);
    expect((added[0] as { wallNs: number }).wallNs).toBe(20_000_000);
    expect(res.detail).toBe('2 key_averages table(s); summary only, no timeline');
  });

  it('CPU-only table → no GPU activity', () => {
    const text = [
      '---------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  ',
      '                             Name    Self CPU %      Self CPU   CPU total %     CPU total  CPU time avg    # of Calls  ',
      '---------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  ',
      '                  aten::embedding        10.00%       1.000ms        50.00%       5.000ms       5.000ms             1  ',
      '                     aten::linear        90.00%       9.000ms        50.00%       5.000ms       5.000ms             1  ',
      '---------------------------------  ------------  ------------  ------------  ------------  ------------  ------------  ',
      'Self CPU time total: 10.000ms',
    ].join('\n');
    const p = keyAveragesProfiles(parseKeyAveragesText(text, 'cpu.txt'), 'cpu.txt', classifier);
    expect(p).toHaveLength(1);
    expect(p[0].gpuActivity).toBe(false);
    expect(p[0].kernels).toEqual([]);
  });

  it('older layout (CUDA total %, Number of Calls, no Self CUDA): inclusive totals, said so', () => {
    const text = [
      '-----------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ',
      'Name         Self CPU total %  Self CPU total   CPU total %      CPU total        CPU time avg     CUDA total %     CUDA total       CUDA time avg    Number of Calls  ',
      '-----------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ',
      'addmm        40.00%           2.000ms          40.00%           2.000ms          1.000ms          80.00%           8.000ms          4.000ms          2                ',
      'relu         60.00%           3.000ms          60.00%           3.000ms          3.000ms          20.00%           2.000ms          2.000ms          1                ',
      '-----------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ---------------  ',
      'Self CPU time total: 5.000ms',
      'CUDA time total: 10.000ms',
    ].join('\n');
    const tables = parseKeyAveragesText(text, 'old.txt');
    expect(tables[0].usesSelf).toBe(false);
    const p = keyAveragesProfiles(tables, 'old.txt', classifier)[0];
    expect(p.kernels.map((k) => [k.name, k.count, k.totalNs])).toEqual([['addmm', 2, 8_000_000], ['relu', 1, 2_000_000]]);
    expect(p.notes?.join(' ')).toMatch(/inclusive CUDA totals/);
  });

  it('a bad time cell → PROFILE_TABLE with line and column', () => {
    const text = readFileSync(FIX, 'utf8').replace('4.500ms', '4.500xx');
    const err = (() => { try { parseKeyAveragesText(text, 'bad.log'); } catch (e) { return e; } })() as InputError;
    expect(err).toBeInstanceOf(InputError);
    expect(err.code).toBe('PROFILE_TABLE');
    expect(err.position).toEqual({ line: 9, column: 'Self CUDA' });
  });
});

// Real torch 2.11 tables from an H200 (test/fixtures/real-h200/README.md), each printed from the same
// profile as a Kineto trace: the table's kernel time by class must be the trace's. In torch 2.x an
// op's Self CUDA is the time of the kernels it launched (which have rows of their own), and a
// record_function range has a device-side row spanning its kernels: counted as kernels, both made
// the GPU time 56 times too large (1.06 s for 18.3 ms) on hf-llama-generate.
describe('key_averages of real torch 2.11 profiles agree with the trace of the same profile', async () => {
  const { ingest } = await import('../../src/ingest/index.js');
  const H200 = path.resolve(here, '../fixtures/real-h200');
  for (const name of ['hf-llama-generate', 'op-zoo', 'compiled-llama']) {
    it(name, async () => {
      const [trace, table] = await Promise.all(['trace.json.gz', 'key_averages.txt'].map(async (ext) => (await ingest({ inputs: [path.join(H200, `${name}.${ext}`)] })).profiles[0]));
      const a = byCategory(trace.kernels);
      const b = byCategory(table.kernels);
      const total = (o: Record<string, number>) => Object.values(o).reduce((x, y) => x + y, 0);
      // The footer is printed with 3 decimals of ms: 1 µs of rounding.
      expect(Math.abs(total(b) - total(a))).toBeLessThan(Math.max(2000, 0.005 * total(a)));
      for (const c of ['attention', 'gemm', 'memory', 'communication'] as const) {
        expect(Math.abs((b[c] ?? 0) - (a[c] ?? 0)), c).toBeLessThan(Math.max(2000, 0.01 * (a[c] ?? 0)));
      }
      expect(table.notes?.join(' ')).toMatch(/op rows with device time .* not counted again/);
      expect(table.notes?.join(' ')).toMatch(/record_function ranges? on the GPU timeline not counted/);
      // No op or range name is taken for a kernel.
      expect(table.kernels.filter((k) => /^aten::|^## Call|^generate_|^Torch-Compiled Region/.test(k.name))).toEqual([]);
    });
  }
});
