// The CLI as a user runs it: the compiled bin/vllm-tune (built by `npm test` before vitest runs).

import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { REAL_DASHBOARDS, REAL_METRICS_TEXT } from '../support/paths.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin', 'vllm-tune');
const real = REAL_METRICS_TEXT;

function run(args: string[], cwd = root) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, VLLM_TUNE_DEBUG: '' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('vllm-tune CLI', () => {
  it('--version and --help exit 0', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    expect(run(['--version'])).toMatchObject({ code: 0, out: `${pkg.version}\n` });
    const h = run(['analyze', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toContain('--fail-on');
  });

  it('inspect --json reads a real vLLM /metrics scrape: config and histogram counts', () => {
    const r = run(['inspect', '--json', path.join(real, 'hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom')]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.config.values.num_gpu_blocks).toMatchObject({ value: 22538, source: 'cache_config_info' });
    expect(j.config.values.gpu_memory_utilization.value).toBe(0.88);
    expect(j.inputs[0].format).toBe('prometheus-text');
    const ttftCount = j.inventory.metrics.find((m: { name: string }) => m.name === 'vllm:time_to_first_token_seconds_count');
    expect(ttftCount.series).toBe(1);
  });

  it('alerts writes a rules file promtool accepts, with the calibration as comments; a bad selector is one line, exit 2', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vt-'));
    const file = path.join(out, 'rules.yml');
    const r = run(['alerts', 'datasets/memory-leak', '-o', file, '--selector', '{job="vllm"}']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/rules\.yml: \d+ alerting and \d+ recording rules; on the inputs' history would have fired: VllmMemoryGrowth ×1/);
    const yaml = readFileSync(file, 'utf8');
    expect(yaml).toContain('vllm:num_requests_waiting{job="vllm"}');
    expect(yaml).toMatch(/# for 30m: the shortest of 1 incident seen \(MEMORY_LEAK on 10\.0\.0\.11:8000/);
    const check = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    if (check.error === undefined) expect(check.stdout).toMatch(/SUCCESS: \d+ rules found/);
    const bad = run(['alerts', 'datasets/memory-leak', '--selector', '{job=vllm}']);
    expect(bad.code).toBe(2);
    expect(bad.err.trim().split('\n')).toHaveLength(1);
    expect(bad.err).toContain('--selector "{job=vllm}": the value of job must be quoted');
  });

  it('analyze joins a benchmark client result with the server metrics of its window (real dataset, --client-utc-offset)', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vt-'));
    // prefill-starvation: a batch job from minute 20 to 35 (2025-11-20 10:20Z..10:35Z) floods the queue.
    const bench = path.join(out, 'bench.json');
    writeFileSync(bench, JSON.stringify({ date: '20251120-123500', endpoint_type: 'openai', backend: 'openai', label: null, model_id: 'meta-llama/Llama-3.1-8B-Instruct', num_prompts: 2900, request_rate: 3.2, duration: 900, completed: 2880, failed: 0, total_input_tokens: 46080000, total_output_tokens: 92160, request_throughput: 3.2, mean_ttft_ms: 61000, median_ttft_ms: 58000, p99_ttft_ms: 120000 }));
    const r = run(['analyze', 'datasets/prefill-starvation', bench, '--client-utc-offset', '+02:00', '--out', out, '--json', '-q', '--no-charts']);
    expect(r.code).toBe(0);
    const result = JSON.parse(readFileSync(path.join(out, 'prefill-starvation.json'), 'utf8'));
    const j = result.client.runs[0].join;
    expect([j.windowStartSeconds, j.windowEndSeconds]).toEqual([1763634000, 1763634900]);
    expect(j.alignmentConfidence).toBe('high');
    expect(j.load).toBe('saturated');
    expect(j.waitingMax).toBeGreaterThan(100);
    const md = readFileSync(path.join(out, 'prefill-starvation.md'), 'utf8');
    expect(md).toContain("## Load test: the client's view");
    expect(md).toContain('**saturated**');
  });

  it('analyze with no inputs reports on the bundled dataset', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vt-'));
    const r = run(['analyze', '--out', out, '--json', '-q']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/kv-cache-thrashing\.md: \d+ findings/);
    const result = JSON.parse(readFileSync(path.join(out, 'kv-cache-thrashing.json'), 'utf8'));
    expect(result.findings.map((f: { code: string }) => f.code)).toContain('KV_CACHE_THRASHING');
    expect(readFileSync(path.join(out, 'kv-cache-thrashing.md'), 'utf8')).toContain('vllm serve <model>');
  });

  it('--fail-on critical exits 1 when a critical finding exists, 0 otherwise', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vt-'));
    expect(run(['analyze', 'datasets/kv-cache-thrashing', '--out', out, '--fail-on', 'critical', '-q']).code).toBe(1);
    expect(run(['analyze', 'datasets/healthy-baseline', '--out', out, '--fail-on', 'warning', '-q']).code).toBe(0);
  });

  describe('bad input: one line naming the file and the error code, exit 2, nothing written', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-bad-'));
    const valid = readFileSync(path.join(root, 'test/fixtures/prometheus-json/matrix-min.json'));
    writeFileSync(path.join(dir, 'empty.json'), '');
    writeFileSync(path.join(dir, 'random.bin'), Buffer.from([0x00, 0x01, 0x02, 0xff, 0xfe, 0x10, 0x00, 0x7f]));
    writeFileSync(path.join(dir, 'truncated.json.gz'), gzipSync(valid).subarray(0, 20));
    const cases: [string, string][] = [
      [path.join(dir, 'empty.json'), 'EMPTY_INPUT'],
      [path.join(dir, 'random.bin'), 'UNRECOGNISED_FORMAT'],
      [path.join(dir, 'truncated.json.gz'), 'TRUNCATED_GZIP'],
      [path.join(root, 'test/fixtures/prometheus-json/syntax-error.json'), 'JSON_SYNTAX'],
      [path.join(root, 'test/fixtures/prometheus-json/error-bad-data.json'), 'PROMETHEUS_ERROR'],
      [path.join(root, 'test/fixtures/prometheus-json/not-prometheus.json'), 'NOT_PROMETHEUS_RESPONSE'],
      [path.join(REAL_DASHBOARDS, 'vllm_examples_production_monitoring__grafana.json'), 'NOT_PROMETHEUS_RESPONSE'],
      [path.join(root, 'test/fixtures/csv/bad-timestamp.csv'), 'CSV_SYNTAX'],
      [path.join(root, 'test/fixtures/prometheus-text/syntax-error.prom'), 'TEXT_SYNTAX'],
      [path.join(root, 'test/fixtures/csv/no-time.csv'), 'CSV_NO_TIME_COLUMN'],
      [path.join(root, 'test/fixtures/parquet/lzo-codec.parquet'), 'PARQUET_UNSUPPORTED'],
      [path.join(dir, 'does-not-exist.json'), 'NOT_FOUND'],
    ];
    for (const [file, code] of cases) {
      it(code, () => {
        const out = mkdtempSync(path.join(os.tmpdir(), 'vt-out-'));
        const r = run(['analyze', file, '--out', out, '-q']);
        expect(r.code).toBe(2);
        const lines = r.err.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0]).toContain(`[${code}]`);
        expect(lines[0]).toContain(path.basename(file));
        expect(r.err).not.toMatch(/\n\s+at /);
        expect(readdirSync(out)).toEqual([]);
      });
    }

    it('the line names the position where the reader knows it (docs/errors.md)', () => {
      const lzo = path.join(root, 'test/fixtures/parquet/lzo-codec.parquet');
      let r = run(['analyze', lzo, '--out', mkdtempSync(path.join(os.tmpdir(), 'vt-out-')), '-q']);
      expect(r.code).toBe(2);
      // `ts`, the first column chunk written with LZO, starts at byte 4 (test/unit/error-positions.test.ts)
      expect(r.err).toBe(`vllm-tune: ${lzo}, byte 4, column "ts": Parquet compression codec LZO is not supported [PARQUET_UNSUPPORTED] — rewrite the file with zstd, snappy, gzip, brotli, lz4 or no compression (e.g. pyarrow.parquet.write_table(t, f, compression="zstd"))\n`);
      const gz = path.join(dir, 'truncated.json.gz'); // 20 bytes: the stream stops at byte 20
      r = run(['analyze', gz, '--out', mkdtempSync(path.join(os.tmpdir(), 'vt-out-')), '-q']);
      expect(r.code).toBe(2);
      expect(r.err).toBe(`vllm-tune: ${gz}, byte 20: gzip stream ends early (file truncated?) [TRUNCATED_GZIP] — copy the file again; \`gzip -t FILE\` checks it\n`);
    });
  });
});
