// The simulator's exports: determinism under a seed, query_range JSON shape and content, OpenMetrics
// rules promtool relies on, the log lines the vLLM-log adapter reads, and a round trip through ingest().

import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_START, runScenario, writeExports, type ExportFormat } from '../../src/simulate/index.js';
import { ingest } from '../../src/ingest/index.js';
import { REAL_METRICS_TEXT } from '../support/paths.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-sim-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const ALL: ExportFormat[] = ['json', 'json.gz', 'openmetrics', 'csv', 'log'];

async function generate(name: string, seed: number, hours: number, formats: ExportFormat[] = ALL): Promise<string> {
  const dir = path.join(tmp, `${name}-${seed}-${hours}-${Math.random().toString(36).slice(2)}`);
  const run = runScenario(name, { seed, hours, replicas: 2 });
  await writeExports(dir, run.results, formats, run.meta);
  return dir;
}

function hashDir(dir: string): string {
  const h = createHash('sha256');
  for (const f of readdirSync(dir).sort()) {
    h.update(f);
    h.update(readFileSync(path.join(dir, f)));
  }
  return h.digest('hex');
}

const REQUIRED = [
  'vllm:num_requests_running',
  'vllm:num_requests_waiting',
  'vllm:kv_cache_usage_perc',
  'vllm:num_preemptions_total',
  'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total',
  'vllm:request_success_total',
  'vllm:prefix_cache_queries_total',
  'vllm:prefix_cache_hits_total',
  'vllm:cache_config_info',
  'process_resident_memory_bytes',
  'process_start_time_seconds',
  'DCGM_FI_DEV_GPU_UTIL',
  'DCGM_FI_DEV_FB_USED',
  'DCGM_FI_DEV_FB_FREE',
  'DCGM_FI_PROF_SM_ACTIVE',
  ...[
    'vllm:time_to_first_token_seconds',
    'vllm:inter_token_latency_seconds',
    'vllm:e2e_request_latency_seconds',
    'vllm:request_queue_time_seconds',
    'vllm:request_inference_time_seconds',
    'vllm:request_prefill_time_seconds',
    'vllm:request_decode_time_seconds',
    'vllm:request_prompt_tokens',
    'vllm:request_generation_tokens',
    'vllm:iteration_tokens_total',
    'vllm:request_params_max_tokens',
  ].flatMap((h) => [`${h}_bucket`, `${h}_sum`, `${h}_count`]),
];

interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

describe('determinism', () => {
  it('the same seed gives byte-identical files in every format; another seed does not', async () => {
    const a = await generate('replica-restart', 3, 0.05);
    const b = await generate('replica-restart', 3, 0.05);
    const c = await generate('replica-restart', 4, 0.05);
    expect(readdirSync(a).sort()).toEqual(['metrics.csv', 'metrics.json', 'metrics.json.gz', 'metrics.om.txt', 'vllm-serve.log']);
    expect(hashDir(a)).toBe(hashDir(b));
    expect(hashDir(a)).not.toBe(hashDir(c));
  });
});

describe('query_range JSON', () => {
  it('is a valid matrix response with every expected series for both replicas, string values and second timestamps', async () => {
    const dir = await generate('healthy-baseline', 1, 0.1, ['json.gz', 'json']);
    const text = gunzipSync(readFileSync(path.join(dir, 'metrics.json.gz'))).toString('utf8');
    expect(text).toBe(readFileSync(path.join(dir, 'metrics.json'), 'utf8'));
    const doc = JSON.parse(text) as { status: string; data: { resultType: string; result: PromSeries[] } };
    expect(doc.status).toBe('success');
    expect(doc.data.resultType).toBe('matrix');
    const result = doc.data.result;
    for (const inst of ['10.0.0.11:8000', '10.0.0.12:8000']) {
      const names = new Set(result.filter((s) => s.metric.instance === inst).map((s) => s.metric.__name__));
      for (const n of REQUIRED.filter((x) => !x.startsWith('DCGM'))) expect(names, `${n} on ${inst}`).toContain(n);
    }
    const dcgm = new Set(result.filter((s) => s.metric.__name__.startsWith('DCGM')).map((s) => `${s.metric.__name__} ${s.metric.Hostname} ${s.metric.gpu}`));
    expect(dcgm.size).toBe(2 * 5);
    // 0.1 h at 10 s = 36 scrapes, at 2025-11-20T10:00:00Z + k·10 s.
    const run = result.find((s) => s.metric.__name__ === 'vllm:num_requests_running')!;
    expect(run.metric).toEqual({ __name__: 'vllm:num_requests_running', engine: '0', instance: '10.0.0.11:8000', job: 'vllm', model_name: 'meta-llama/Llama-3.1-8B-Instruct' });
    expect(run.values.length).toBe(36);
    expect(run.values[0][0]).toBe(DEFAULT_START);
    expect(run.values[35][0]).toBe(DEFAULT_START + 350);
    for (const s of result) {
      for (let i = 0; i < s.values.length; i++) {
        expect(typeof s.values[i][1]).toBe('string');
        expect(Number.isFinite(Number(s.values[i][1]))).toBe(true);
        if (i) expect(s.values[i][0]).toBeGreaterThan(s.values[i - 1][0]);
      }
    }
    // Buckets: vLLM's le strings; cumulative at every time; +Inf equals _count.
    const ttft = result.filter((s) => s.metric.__name__ === 'vllm:time_to_first_token_seconds_bucket' && s.metric.instance === '10.0.0.11:8000');
    expect(ttft.map((s) => s.metric.le)).toEqual(['0.001', '0.005', '0.01', '0.02', '0.04', '0.06', '0.08', '0.1', '0.25', '0.5', '0.75', '1.0', '2.5', '5.0', '7.5', '10.0', '20.0', '40.0', '80.0', '160.0', '640.0', '2560.0', '+Inf']);
    const count = result.find((s) => s.metric.__name__ === 'vllm:time_to_first_token_seconds_count' && s.metric.instance === '10.0.0.11:8000')!;
    for (let k = 0; k < 36; k++) {
      for (let j = 1; j < ttft.length; j++) expect(Number(ttft[j].values[k][1])).toBeGreaterThanOrEqual(Number(ttft[j - 1].values[k][1]));
      expect(ttft[ttft.length - 1].values[k][1]).toBe(count.values[k][1]);
    }
    const tokBuckets = result.filter((s) => s.metric.__name__ === 'vllm:request_prompt_tokens_bucket' && s.metric.instance === '10.0.0.11:8000').map((s) => s.metric.le);
    expect(tokBuckets).toEqual(['1.0', '2.0', '5.0', '10.0', '20.0', '50.0', '100.0', '200.0', '500.0', '1000.0', '2000.0', '5000.0', '+Inf']);
    const info = result.find((s) => s.metric.__name__ === 'vllm:cache_config_info')!;
    expect(info.metric.num_gpu_blocks).toBe('27875');
    expect(info.metric.block_size).toBe('16');
    expect(info.metric.enable_prefix_caching).toBe('True');
    expect(info.values.every(([, v]) => v === '1')).toBe(true);
    // The label set of a real vLLM V1 scrape, plus the instance/job Prometheus adds: no model_name, no max_num_seqs.
    const real = readFileSync(path.join(REAL_METRICS_TEXT, 'hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom'), 'utf8');
    const realLine = real.split('\n').find((l) => l.startsWith('vllm:cache_config_info{'))!;
    const realKeys = [...realLine.matchAll(/([a-z_]+)="/g)].map((m) => m[1]).sort();
    expect(realKeys.length).toBeGreaterThan(15);
    expect(Object.keys(info.metric).filter((k) => !['__name__', 'instance', 'job'].includes(k)).sort()).toEqual(realKeys);
    const kv = result.find((s) => s.metric.__name__ === 'vllm:kv_cache_usage_perc')!;
    expect(kv.values.every(([, v]) => Number(v) >= 0 && Number(v) <= 1)).toBe(true);
  });
});

describe('OpenMetrics', () => {
  it('ends in # EOF, has no blank lines, one TYPE per family, seconds timestamps in time order per series', async () => {
    const dir = await generate('replica-restart', 1, 0.05, ['openmetrics']);
    const text = readFileSync(path.join(dir, 'metrics.om.txt'), 'utf8');
    expect(text.endsWith('\n# EOF\n')).toBe(true);
    const lines = text.slice(0, -1).split('\n');
    expect(lines.includes('')).toBe(false);
    const types = lines.filter((l) => l.startsWith('# TYPE '));
    const helps = lines.filter((l) => l.startsWith('# HELP '));
    expect(new Set(types).size).toBe(types.length);
    expect(helps.length).toBe(types.length);
    expect(types).toContain('# TYPE vllm:prompt_tokens counter');
    expect(types).toContain('# TYPE vllm:iteration_tokens_total histogram');
    expect(lines.filter((l) => l.startsWith('#') && !/^# (TYPE|HELP) /.test(l))).toEqual(['# EOF']);
    const lastT = new Map<string, number>();
    let samples = 0;
    for (const l of lines) {
      if (l.startsWith('#')) continue;
      const m = /^(\S+\{.*\}) (\S+) (\d+(?:\.\d+)?)$/.exec(l);
      expect(m, l).not.toBeNull();
      const t = Number(m![3]);
      expect(t).toBeGreaterThanOrEqual(DEFAULT_START);
      expect(t).toBeLessThan(DEFAULT_START + 180);
      const prev = lastT.get(m![1]);
      if (prev !== undefined) expect(t).toBeGreaterThan(prev);
      lastT.set(m![1], t);
      samples++;
    }
    expect(samples).toBeGreaterThan(10000);
  });
});

describe('vLLM log and ingest round trip', () => {
  it('the log carries the config the vLLM-log adapter reads', async () => {
    const dir = await generate('kv-cache-thrashing', 1, 0.05, ['log']);
    const art = await ingest({ inputs: [path.join(dir, 'vllm-serve.log')] });
    const v = art.config.values;
    expect(v.max_num_seqs.value).toBe(256);
    expect(v.max_num_batched_tokens.value).toBe(8192);
    expect(v.gpu_memory_utilization.value).toBe(0.3);
    expect(v.max_model_len.value).toBe(16384);
    expect(v.enable_prefix_caching.value).toBe(true);
    expect(v.vllm_version.value).toBe('0.11.0');
    expect(v.model.value).toBe('meta-llama/Llama-3.1-8B-Instruct');
    // The KV pool of this deployment, printed like vLLM does ("GPU KV cache size: N tokens").
    expect(typeof v.gpu_kv_cache_tokens.value).toBe('number');
    expect((v.gpu_kv_cache_tokens.value as number) % 16).toBe(0);
    expect(art.config.conflicts).toEqual([]);
  });

  it('ingest() reads the query_range JSON and the log together without warnings', async () => {
    const dir = await generate('healthy-baseline', 1, 0.05, ['json.gz', 'log']);
    let art;
    try {
      art = await ingest({ inputs: [path.join(dir, 'metrics.json.gz'), path.join(dir, 'vllm-serve.log')] });
    } catch (e) {
      // The query_range adapter is written by another helper; report its absence rather than pass silently.
      throw new Error(`ingest of the simulator's query_range JSON failed: ${(e as Error).message}`);
    }
    expect(art.warnings).toEqual([]);
    expect(art.metrics.get('vllm:num_requests_running').length).toBe(2);
    expect(art.metrics.get('vllm:time_to_first_token_seconds_bucket').length).toBe(2 * 23);
    expect(art.config.values.num_gpu_blocks.value).toBe(27875);
    expect(art.config.values.block_size.value).toBe(16);
  });

  it('ingest() reads the OpenMetrics and CSV exports with the same series', async () => {
    const dir = await generate('healthy-baseline', 1, 0.05, ['openmetrics', 'csv', 'json']);
    const fromJson = await ingest({ inputs: [path.join(dir, 'metrics.json')] });
    const fromCsv = await ingest({ inputs: [path.join(dir, 'metrics.csv')] });
    expect(fromCsv.warnings).toEqual([]);
    expect(fromCsv.metrics.series.length).toBe(fromJson.metrics.series.length);
    expect(fromCsv.metrics.sampleCount).toBe(fromJson.metrics.sampleCount);
    const fromOm = await ingest({ inputs: [path.join(dir, 'metrics.om.txt')] });
    expect(fromOm.warnings).toEqual([]);
    expect(fromOm.metrics.series.length).toBe(fromJson.metrics.series.length);
    expect(fromOm.metrics.sampleCount).toBe(fromJson.metrics.sampleCount);
  });
});
