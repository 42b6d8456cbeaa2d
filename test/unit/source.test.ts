// The shared source reader: file bytes in reused buffers with read-ahead, and the contract every
// adapter relies on (a chunk stays valid while the next one is processed, and no longer).

import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileChunks, bufferSource, type InputSource } from '../../src/ingest/source.js';
import { ingest } from '../../src/ingest/index.js';
import { REAL_METRICS_TEXT, REAL_TRACES, ROOT } from '../support/paths.js';

function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = (i * 31 + (i >> 8)) & 0xff;
  return b;
}

describe('fileChunks', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-source-'));
  const size = 4096;
  for (const n of [0, 1, size - 1, size, size + 1, 3 * size + size / 2, 7 * size]) {
    it(`yields the bytes of a ${n}-byte file in order`, async () => {
      const file = path.join(dir, `f${n}`);
      const data = pattern(n);
      writeFileSync(file, data);
      const copies: Buffer[] = [];
      for await (const c of fileChunks(file, size)) {
        expect(c.length).toBeLessThanOrEqual(size);
        expect(c.length).toBeGreaterThan(0);
        copies.push(Buffer.from(c));
      }
      expect(Buffer.concat(copies).equals(data)).toBe(true);
      expect(copies.length).toBe(Math.ceil(n / size));
    });
  }

  it('reuses three buffers in turn; the previous chunk is intact while the next is handed out', async () => {
    const file = path.join(dir, 'ring');
    const data = pattern(6 * size);
    writeFileSync(file, data);
    const seen: Buffer[] = [];
    let i = 0;
    for await (const c of fileChunks(file, size)) {
      if (i > 0) expect(seen[i - 1].equals(data.subarray((i - 1) * size, i * size))).toBe(true);
      seen.push(c);
      i++;
    }
    expect(seen[3].buffer).toBe(seen[0].buffer);
    expect(seen[4].buffer).toBe(seen[1].buffer);
    expect(seen[1].buffer).not.toBe(seen[0].buffer);
  });

  it('closes the file when the consumer stops early', async () => {
    const file = path.join(dir, 'early');
    writeFileSync(file, pattern(10 * size));
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let k = 0; k < 5; k++) {
      for await (const c of fileChunks(file, size)) {
        expect(c.length).toBe(size);
        break;
      }
    }
    expect(fds()).toBe(before);
  });

  it.sequential('cleans up', () => rmSync(dir, { recursive: true, force: true }));
});

/**
 * Chunks of `size` bytes in a ring of three buffers, as the file reader hands them out, except that
 * the buffer of the chunk two back is filled with junk before each chunk is yielded: an adapter that
 * keeps bytes of a chunk longer than the contract allows reads junk and fails the comparison.
 */
function poisoned(raw: Buffer, size: number, display: string): InputSource {
  const base = bufferSource(raw, display);
  return {
    ...base,
    chunks: async function* () {
      const ring = [Buffer.alloc(size), Buffer.alloc(size), Buffer.alloc(size)];
      let k = 0;
      for (let i = 0; i < raw.length; i += size) {
        const slot = ring[k];
        const n = raw.copy(slot, 0, i, Math.min(raw.length, i + size));
        k = (k + 1) % 3;
        ring[k].fill(0x22); // the chunk before the previous one: gone
        yield slot.subarray(0, n);
      }
    },
  };
}

const inputs: { file: string; gz?: boolean }[] = [
  { file: 'test/fixtures/prometheus-json/matrix-pretty.json' },
  { file: 'test/fixtures/prometheus-json/labels-escapes.json' },
  { file: 'test/fixtures/prometheus-json/special-values.json' },
  { file: 'datasets/kv-cache-thrashing/metrics.json.gz', gz: true },
  { file: 'datasets/kv-cache-thrashing/vllm-serve.log' },
  { file: 'test/fixtures/prometheus-text/promtool-dump.txt' },
  { file: 'test/fixtures/prometheus-text/openmetrics-seconds.om' },
  { file: path.relative(ROOT, path.join(REAL_METRICS_TEXT, 'hardware-aware-router__vllm_metrics.txt')) },
  { file: 'test/fixtures/csv/grafana-wide-formatted.csv' },
  { file: 'test/fixtures/csv/series-rows-semicolon.csv' },
  { file: path.relative(ROOT, path.join(REAL_TRACES, 'h100__Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz')), gz: true },
];

describe('every streaming adapter keeps chunk bytes no longer than the reader contract allows', () => {
  for (const { file, gz } of inputs) {
    it(file, async () => {
      const disk = readFileSync(path.join(ROOT, file));
      const raw = gz ? gunzipSync(disk) : disk;
      const name = path.basename(file);
      const whole = await ingest({ inputs: [], sources: [bufferSource(raw, name)] });
      expect(whole.metrics.series.length + whole.profiles.length + Object.keys(whole.config.values).length).toBeGreaterThan(0);
      for (const size of [4099, 70001]) {
        const split = await ingest({ inputs: [], sources: [poisoned(raw, size, name)] });
        expect(split.metrics.series, `${size}-byte chunks`).toEqual(whole.metrics.series);
        expect(split.profiles, `${size}-byte chunks`).toEqual(whole.profiles);
        expect(split.config, `${size}-byte chunks`).toEqual(whole.config);
        expect(split.warnings, `${size}-byte chunks`).toEqual(whole.warnings);
      }
    });
  }
});

describe('lines longer than several chunks, and characters cut by a chunk boundary', () => {
  const long = 'x'.repeat(20000);
  const text = Buffer.from(
    `# HELP vllm:num_requests_running running\n# TYPE vllm:num_requests_running gauge\n` +
      `vllm:num_requests_running{instance="a",note="${long}"} 3 1700000000000\n` +
      `vllm:num_requests_running{instance="b",note="é${long}ü"} 4 1700000000000\n`,
  );
  const log = Buffer.from(
    `INFO 11-21 12:00:00 [api_server.py:1] ${long}\n` +
      `INFO 11-21 12:00:01 [llm_engine.py:1] Initializing a V1 LLM engine (v0.11.0) with config: model='meta-llama/Llama-3.1-8B-Instruct', max_seq_len=8192, tensor_parallel_size=1, enable_prefix_caching=True\n` +
      `INFO 11-21 12:00:02 [gpu_worker.py:1] ${'ü'.repeat(5000)}\n`,
  );
  for (const [name, raw] of [
    ['long.prom', text],
    ['vllm-serve.log', log],
  ] as const) {
    it(name, async () => {
      const whole = await ingest({ inputs: [], sources: [bufferSource(raw, name)] });
      expect(whole.metrics.series.length + Object.keys(whole.config.values).length).toBeGreaterThan(0);
      for (const size of [4099, 5003, 70001]) {
        const split = await ingest({ inputs: [], sources: [poisoned(raw, size, name)] });
        expect(split.metrics.series, `${size}-byte chunks`).toEqual(whole.metrics.series);
        expect(split.config, `${size}-byte chunks`).toEqual(whole.config);
        expect(split.warnings, `${size}-byte chunks`).toEqual(whole.warnings);
      }
    });
  }
});
