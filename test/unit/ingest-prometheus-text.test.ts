import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { detectAdapter, ingest } from '../../src/ingest/index.js';
import { promTextAdapter, sniffPrometheusText } from '../../src/ingest/from-prometheus-text.js';
import { bufferSource, fileSource } from '../../src/ingest/source.js';
import { canonicalBound, parseSeries } from '../../src/ingest/text/series-text.js';
import { timeFromBareLine, timeFromFileName, timeFromSeparator } from '../../src/ingest/text/scrape-time.js';
import type { IngestOptions } from '../../src/ingest/adapter.js';
import type { Artifacts } from '../../src/model/artifacts.js';
import { REAL_METRICS_TEXT } from '../support/paths.js';
import { setLimits } from '../../src/limits.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../..');
const fx = (name: string) => path.resolve(here, '../fixtures/prometheus-text', name);
const realDir = REAL_METRICS_TEXT;
const real = (name: string) => path.join(realDir, `hardware-aware-router__${name}`);
const PROM_A = real('02ce4b09-7c48-46de-97b9-ac73bb373920.prom');
const PROM_B = real('05350b40-879a-4683-b008-cd76c93397fa.prom');
const QWEN = real('qwen_metrics.txt');
const VLLM = real('vllm_metrics.txt');
const M3B = { engine: '0', model_name: 'Qwen/Qwen2.5-3B-Instruct' };

function one(a: Artifacts, name: string, match: Record<string, string> = {}) {
  const list = a.metrics.get(name, match);
  expect(list.length, `${name} ${JSON.stringify(match)}`).toBe(1);
  return { labels: list[0].labels, t: Array.from(list[0].t), v: Array.from(list[0].v) };
}

async function inputError(inputs: string[], options: IngestOptions = {}): Promise<InputError> {
  try {
    await ingest({ inputs, options });
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return e as InputError;
  }
  throw new Error('expected an InputError');
}

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(repo, 'bin/vllm-tune'), ...args], { cwd: repo }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('real vLLM /metrics scrapes (test/fixtures/real/metrics-text)', () => {
  it('every real file is detected as Prometheus text, not by an earlier adapter', async () => {
    for (const f of [PROM_A, PROM_B, QWEN, VLLM]) expect(detectAdapter(await fileSource(f)).id).toBe(promTextAdapter.id);
  });

  it('02ce4b09…prom: serving config, histogram counts, sums, alias merge, _created', async () => {
    const a = await ingest({ inputs: [PROM_A] });
    expect(a.inputs[0]).toMatchObject({ format: 'prometheus-text', detail: 'single scrape, no timestamps; time 0 (no time source)', samples: 397, series: 397 });
    // 397 sample lines; the 23 vllm:time_per_output_token_seconds lines (20 buckets, count, sum, created)
    // duplicate vllm:inter_token_latency_seconds and are dropped in favour of the new name.
    expect(a.metrics.series.length).toBe(374);
    expect(a.config.values.num_gpu_blocks).toMatchObject({ value: 22538, source: 'cache_config_info' });
    expect(a.config.values.gpu_memory_utilization.value).toBe(0.88);
    expect(a.config.values.block_size.value).toBe(16);
    expect(a.config.values.enable_prefix_caching.value).toBe(true);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { ...M3B, le: '0.04' }).v).toEqual([23]);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { ...M3B, le: '+Inf' }).v).toEqual([24]);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { ...M3B, le: '1' }).v).toEqual([24]); // written le="1.0"
    expect(one(a, 'vllm:time_to_first_token_seconds_count', M3B)).toEqual({ labels: M3B, t: [0], v: [24] });
    expect(one(a, 'vllm:time_to_first_token_seconds_sum', M3B).v).toEqual([0.7464299201965332]);
    expect(one(a, 'vllm:inter_token_latency_seconds_count', M3B).v).toEqual([2478]);
    expect(one(a, 'vllm:inter_token_latency_seconds_sum', M3B).v).toEqual([67.37902535299918]);
    expect(a.metrics.get('vllm:inter_token_latency_seconds_bucket', M3B).length).toBe(20);
    expect(a.metrics.names().some((n) => n.startsWith('vllm:time_per_output_token_seconds'))).toBe(false);
    const dup = a.warnings.find((w) => w.code === 'DUPLICATE_ALIAS');
    expect(dup?.count).toBe(23);
    // `_created` series pass through.
    expect(one(a, 'vllm:time_to_first_token_seconds_created', M3B).v).toEqual([1.7621345233910453e9]);
    expect(a.metrics.names().filter((n) => n.endsWith('_created')).length).toBeGreaterThanOrEqual(20);
    expect(one(a, 'vllm:request_success_total', { ...M3B, finished_reason: 'length' }).v).toEqual([16]);
    expect(one(a, 'process_max_fds').v).toEqual([1048576]);
    expect(one(a, 'python_info').labels).toEqual({ implementation: 'CPython', major: '3', minor: '12', patchlevel: '11', version: '3.12.11' });
  });

  it('05350b40…prom: its own counts', async () => {
    const a = await ingest({ inputs: [PROM_B] });
    expect(a.config.values.num_gpu_blocks.value).toBe(22538);
    expect(a.config.values.gpu_memory_utilization.value).toBe(0.88);
    expect(one(a, 'vllm:inter_token_latency_seconds_count', M3B).v).toEqual([1912]);
    expect(one(a, 'vllm:inter_token_latency_seconds_sum', M3B).v).toEqual([51.98150210499898]);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { ...M3B, le: '0.04' }).v).toEqual([18]);
    expect(one(a, 'vllm:time_to_first_token_seconds_sum', M3B).v).toEqual([0.5974111557006836]);
  });

  it('qwen_metrics.txt and vllm_metrics.txt (idle servers): serving config and zero histograms', async () => {
    const q = await ingest({ inputs: [QWEN] });
    expect(q.inputs[0].samples).toBe(379);
    expect(q.metrics.series.length).toBe(379 - 23);
    expect(q.config.values.num_gpu_blocks.value).toBe(3260);
    expect(q.config.values.gpu_memory_utilization.value).toBe(0.3);
    expect(one(q, 'vllm:time_to_first_token_seconds_count', { engine: '0', model_name: 'Qwen/Qwen1.5-0.5B' }).v).toEqual([0]);
    expect(q.warnings.find((w) => w.code === 'DUPLICATE_ALIAS')?.count).toBe(23);
    const v = await ingest({ inputs: [VLLM] });
    expect(v.config.values.num_gpu_blocks.value).toBe(2452);
    expect(v.config.values.gpu_memory_utilization.value).toBe(0.25);
    expect(one(v, 'vllm:inter_token_latency_seconds_created', { engine: '0', model_name: 'Qwen/Qwen1.5-0.5B-Chat' }).v).toEqual([1.7624384230444493e9]);
  });

  it('the directory of real scrapes: two scrapes of one server and no time source → MISSING_TIMESTAMPS', async () => {
    const e = await inputError([realDir]);
    expect(e.code).toBe('MISSING_TIMESTAMPS');
    expect(e.file).toBe(PROM_B);
    expect(e.hint).toMatch(/--scrape-interval/);
  });

  it('the directory of real scrapes with --scrape-interval 10: files are successive scrapes in name order', async () => {
    const a = await ingest({ inputs: [realDir], options: { scrapeIntervalSeconds: 10 } });
    expect(a.inputs.map((i) => i.detail)).toEqual([
      'single scrape, no timestamps; times from --scrape-interval 10 s',
      'single scrape, no timestamps; times from --scrape-interval 10 s',
      'single scrape, no timestamps; times from --scrape-interval 10 s',
      'single scrape, no timestamps; times from --scrape-interval 10 s',
    ]);
    expect(one(a, 'vllm:inter_token_latency_seconds_count', M3B)).toEqual({ labels: M3B, t: [0, 10], v: [2478, 1912] });
    expect(one(a, 'vllm:inter_token_latency_seconds_count', { model_name: 'Qwen/Qwen1.5-0.5B' }).t).toEqual([20]);
    expect(one(a, 'vllm:inter_token_latency_seconds_count', { model_name: 'Qwen/Qwen1.5-0.5B-Chat' }).t).toEqual([30]);
    expect(a.warnings.some((w) => w.code === 'CONFIG_CONFLICT' && w.message.startsWith('num_gpu_blocks'))).toBe(true);
  });
});

describe('timestamped forms', () => {
  it('OpenMetrics with seconds (fractional), # UNIT, exemplars, NaN, _created and # EOF', async () => {
    const a = await ingest({ inputs: [fx('openmetrics-seconds.om')] });
    expect(a.inputs[0]).toMatchObject({ format: 'openmetrics', samples: 26, detail: 'timestamps in seconds (OpenMetrics markers); 2 exemplars ignored' });
    const lbl = { engine: '0', model_name: 'Qwen/Qwen2.5-3B-Instruct' };
    expect(one(a, 'vllm:num_requests_running', lbl)).toEqual({ labels: lbl, t: [1700000000, 1700000010.5, 1700000020], v: [3, 4, 5.5] });
    expect(one(a, 'vllm:kv_cache_usage_perc', lbl)).toMatchObject({ t: [1700000000, 1700000020], v: [0.125, 0.375] });
    expect(a.warnings.find((w) => w.code === 'NAN_SAMPLES')?.count).toBe(1);
    expect(one(a, 'vllm:prompt_tokens_total', lbl).v).toEqual([100, 250, 1200]);
    expect(one(a, 'vllm:prompt_tokens_created', lbl).v).toEqual([1699999000.25, 1699999000.25, 1699999000.25]);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { le: '0.1' }).v).toEqual([5, 8]);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { le: '1' }).v).toEqual([9, 15]);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { le: '+Inf' }).v).toEqual([10, 17]);
    expect(one(a, 'vllm:time_to_first_token_seconds_sum', lbl)).toMatchObject({ t: [1700000000, 1700000010.5], v: [2.5, 6.75] });
    expect(one(a, 'vllm:time_to_first_token_seconds_created', lbl).t).toEqual([1700000000, 1700000010.5]);
  });

  it('Prometheus text with millisecond timestamps; old metric name renamed', async () => {
    const a = await ingest({ inputs: [fx('prometheus-text-ms.prom')] });
    expect(a.inputs[0]).toMatchObject({ format: 'prometheus-text', detail: 'timestamps in milliseconds (values > 1e11)', samples: 6 });
    expect(one(a, 'vllm:num_requests_waiting')).toMatchObject({ t: [1700000000, 1700000015, 1700000030.123], v: [0, 2, 6] });
    expect(one(a, 'vllm:kv_cache_usage_perc').v).toEqual([0.25, 0.5, 0.75]);
    expect(a.warnings.some((w) => w.code === 'RENAMED_METRIC' && w.metric === 'vllm:kv_cache_usage_perc')).toBe(true);
  });

  it('promtool tsdb dump: {__name__=…} lines, ms timestamps, %g values, Go escapes', async () => {
    const a = await ingest({ inputs: [fx('promtool-dump.txt')] });
    expect(a.inputs[0]).toMatchObject({ format: 'promtool-dump', detail: 'timestamps in milliseconds (promtool tsdb dump)', samples: 15 });
    const lbl = { engine: '0', instance: '10.0.0.7:8000', job: 'vllm', model_name: 'Qwen/Qwen2.5-3B-Instruct' };
    expect(one(a, 'vllm:generation_tokens_total', lbl)).toEqual({ labels: lbl, t: [1700000000, 1700000015, 1700000030], v: [2502, 3014, 1e6] });
    expect(one(a, 'vllm:num_requests_running', lbl)).toMatchObject({ t: [1700000000, 1700000030], v: [3, 5] });
    expect(a.metrics.get('vllm:time_to_first_token_seconds_bucket').map((s) => s.labels.le).sort()).toEqual(['+Inf', '0.04', '1']);
    expect(one(a, 'vllm:time_to_first_token_seconds_bucket', { le: '0.04' }).v).toEqual([23, 28]);
    expect(one(a, 'vllm:time_to_first_token_seconds_sum').v).toEqual([0.7464299201965332, 0.9]);
    expect(one(a, 'vllm_router_info').labels.note).toBe('tab\there "quoted" café');
  });

  it('real promtool 2.42 dump of the backfilled OpenMetrics fixture reads back to the same series', async () => {
    const om = await ingest({ inputs: [fx('openmetrics-seconds.om')] });
    const dump = await ingest({ inputs: [fx('promtool-dump-of-openmetrics.txt')] });
    expect(dump.inputs[0]).toMatchObject({ format: 'promtool-dump', samples: 26, series: 11 });
    const flat = (a: Artifacts) => a.metrics.series.map((x) => ({ name: x.name, labels: x.labels, t: Array.from(x.t), v: Array.from(x.v) }));
    expect(flat(dump)).toEqual(flat(om));
    expect(flat(dump).length).toBe(11); // promtool reported 11 series and 26 samples when it built the block
    expect(dump.metrics.sampleCount).toBe(25); // the NaN sample is dropped with a warning
  });

  it('a dump line holding a native histogram is skipped with a warning', async () => {
    const text = '{__name__="h", job="x"} {count:5, sum:10, [-1,1]:2} 1700000000000\n{__name__="g", job="x"} 2 1700000000000\n';
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from(text), 'native.txt')] });
    expect(a.inputs[0].format).toBe('promtool-dump');
    expect(a.metrics.names()).toEqual(['g']);
    expect(a.warnings.find((w) => w.code === 'NATIVE_HISTOGRAM_SKIPPED')?.count).toBe(1);
  });

  it('unmarked text with small timestamps reads them as seconds; an OpenMetrics marker decides even without # EOF', async () => {
    const plain = await ingest({ inputs: [], sources: [bufferSource(Buffer.from('a 1 1700000000.25\na 2 1700000001\n'), 'p.txt')] });
    expect(plain.inputs[0].detail).toBe('timestamps in seconds (values ≤ 1e11)');
    expect(one(plain, 'a').t).toEqual([1700000000.25, 1700000001]);
    const om = await ingest({ inputs: [], sources: [bufferSource(Buffer.from('# TYPE build info\nbuild_info{v="1"} 1 5\n'), 'om.txt')] });
    expect(om.inputs[0]).toMatchObject({ format: 'openmetrics', detail: 'timestamps in seconds (OpenMetrics markers)' });
    expect(one(om, 'build_info').t).toEqual([5]);
  });

  it('OpenMetrics-marked file with millisecond timestamps is read as ms with a warning', async () => {
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from('x 1 1700000000000\n# EOF\n'), 'om-ms.txt')] });
    expect(one(a, 'x').t).toEqual([1700000000]);
    expect(a.warnings.some((w) => w.code === 'TIMESTAMP_UNIT')).toBe(true);
  });

  it('lines and UTF-8 characters cut by 1 MiB chunk boundaries, and a line longer than a chunk', async () => {
    // 3 series rotating (the next-series prediction), label values with 2- and 3-byte characters,
    // line lengths varying so chunk boundaries fall everywhere; one 1.5 MiB label value.
    const notes = ['café', 'naïve ✓', 'plain'];
    let text = '';
    let n = 0;
    let sum = 0;
    for (let i = 0; text.length < 2_600_000; i++) {
      const v = (i % 977) + 0.5;
      text += `utf8_gauge{note="${notes[i % 3]}",pad="${'x'.repeat(i % 13)}"} ${v} ${1700000000 + Math.floor(i / 3) * 10}\n`;
      n++;
      sum += v;
    }
    const long = 'é'.repeat(800_000); // 1.6 MB in UTF-8
    text += `long_label{v="${long}"} 7 1700000000\n`;
    const buf = Buffer.from(text, 'utf8');
    expect(buf.length).toBeGreaterThan(4 << 20);
    setLimits({ maxLabelLength: 1_000_000 }); // the reader is under test here, not the label limit (docs/limits.md)
    const a = await ingest({ inputs: [], sources: [bufferSource(buf, 'chunks.txt')] }).finally(() => setLimits({}));
    expect(a.inputs[0].samples).toBe(n + 1);
    let got = 0;
    let count = 0;
    for (const s of a.metrics.get('utf8_gauge')) {
      expect(notes).toContain(s.labels.note);
      for (const x of s.v) got += x;
      count += s.v.length;
    }
    expect(count).toBe(n);
    expect(got).toBe(sum);
    expect(one(a, 'long_label').labels.v).toBe(long);
  });

  it('gzip-compressed OpenMetrics reads the same', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'vt-promtext-'));
    const gz = path.join(dir, 'backfill.om.gz');
    writeFileSync(gz, gzipSync(readFileSync(fx('openmetrics-seconds.om'))));
    const a = await ingest({ inputs: [gz] });
    expect(a.inputs[0]).toMatchObject({ gzip: true, format: 'openmetrics', samples: 26 });
    expect(one(a, 'vllm:time_to_first_token_seconds_sum').v).toEqual([2.5, 6.75]);
  });
});

describe('scrapes without timestamps', () => {
  it('escaped label values, {}, trailing whitespace, special values, UTF-8, le canonical form', async () => {
    const a = await ingest({ inputs: [fx('escaped-labels.prom')] });
    expect(a.inputs[0]).toMatchObject({ format: 'prometheus-text', samples: 15, detail: 'single scrape, no timestamps; time 0 (no time source)' });
    expect(one(a, 'odd_labels_info').labels).toEqual({ path: 'C:\\models\\qwen', quote: 'say "hi"', multi: 'line1\nline2', tricky: 'a,b}c=d # e', empty: '' });
    expect(one(a, 'up')).toEqual({ labels: {}, t: [0], v: [1] });
    expect(one(a, 'exp_gauge').v).toEqual([0.0015]);
    expect(one(a, 'exp_gauge_neg').v).toEqual([-250]);
    // ±Inf and NaN are read, then dropped by the sink with a warning (no analysis can use them).
    expect(a.metrics.get('inf_gauge')).toEqual([]);
    expect(a.warnings.find((w) => w.code === 'INFINITE_SAMPLES')?.count).toBe(2);
    expect(one(a, 'vllm:num_requests_waiting').labels).toEqual({ engine: '0', model_name: 'Qwen/Qwen2.5-3B-Instruct' });
    expect(one(a, 'utf8_info').labels.note).toBe('naïve café ✓');
    const bounds = a.metrics.get('demo_latency_seconds_bucket').map((s) => [s.labels.le, s.v[0]]);
    expect(bounds.sort()).toEqual([['+Inf', 10], ['0.5', 4], ['1', 6], ['10', 9]]);
  });

  it('CRLF line endings give the same result', async () => {
    const crlf = readFileSync(fx('escaped-labels.prom'), 'utf8').replace(/\n/g, '\r\n');
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from(crlf), 'crlf.prom')] });
    expect(one(a, 'odd_labels_info').labels.multi).toBe('line1\nline2');
    expect(one(a, 'up').v).toEqual([1]);
    expect(one(a, 'demo_latency_seconds_count').v).toEqual([10]);
    expect(a.inputs[0].samples).toBe(15);
  });

  it('concatenated scrapes without a time source → MISSING_TIMESTAMPS at the first repeated series', async () => {
    const e = await inputError([fx('concat-plain.prom')]);
    expect(e.code).toBe('MISSING_TIMESTAMPS');
    expect(e.file).toBe(fx('concat-plain.prom'));
    expect(e.position?.line).toBe(18); // scrape 2's first sample (its HELP/TYPE are lines 16–17)
  });

  it('concatenated scrapes with --scrape-interval 15', async () => {
    const a = await ingest({ inputs: [fx('concat-plain.prom')], options: { scrapeIntervalSeconds: 15 } });
    expect(a.inputs[0].detail).toBe('3 scrapes, no timestamps; times from --scrape-interval 15 s');
    expect(one(a, 'vllm:num_requests_running')).toMatchObject({ t: [0, 15, 30], v: [1, 4, 2] });
    expect(one(a, 'vllm:generation_tokens_total').v).toEqual([100, 400, 650]);
    expect(one(a, 'vllm:e2e_request_latency_seconds_bucket', { le: '1' }).v).toEqual([2, 5, 9]);
    expect(one(a, 'vllm:e2e_request_latency_seconds_sum').v).toEqual([2.5, 9.25, 14]);
  });

  it('concatenated scrapes separated by `# scrape at <ISO>`, `date +%s` and `date` lines', async () => {
    const a = await ingest({ inputs: [fx('concat-separated.txt')] });
    expect(a.inputs[0].detail).toBe('3 scrapes, no timestamps; times from separator lines');
    expect(one(a, 'vllm:num_requests_running')).toMatchObject({ t: [1714564800, 1714564815, 1714564830], v: [1, 4, 2] });
  });

  it('`# EOF` ends a scrape in concatenated OpenMetrics even when no series repeats', async () => {
    const text = '# TYPE a gauge\na 1\n# EOF\n# TYPE b gauge\nb 2\n# EOF\n';
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from(text), 'om-concat.txt')], options: { scrapeIntervalSeconds: 10 } });
    expect(a.inputs[0]).toMatchObject({ format: 'openmetrics', detail: '2 scrapes, no timestamps; times from --scrape-interval 10 s' });
    expect(one(a, 'a').t).toEqual([0]);
    expect(one(a, 'b').t).toEqual([10]);
  });

  it('untimed samples in a file with timestamps are kept with a MIXED_TIMESTAMPS warning', async () => {
    const a = await ingest({ inputs: [], sources: [bufferSource(Buffer.from('a 1 1700000000000\nb 2\n'), 'mixed.txt')] });
    expect(one(a, 'a').t).toEqual([1700000000]);
    expect(one(a, 'b').t).toEqual([0]);
    expect(a.warnings.find((w) => w.code === 'MIXED_TIMESTAMPS')?.count).toBe(1);
  });

  it('a directory of scrapes named by epoch', async () => {
    const a = await ingest({ inputs: [fx('epoch-dir')] });
    expect(a.inputs.map((i) => i.detail)).toEqual([
      'single scrape, no timestamps; time 2023-11-14T22:13:20Z from the file name',
      'single scrape, no timestamps; time 2023-11-14T22:13:35Z from the file name',
      'single scrape, no timestamps; time 2023-11-14T22:13:50Z from the file name',
    ]);
    expect(one(a, 'vllm:generation_tokens_total')).toMatchObject({ t: [1700000000, 1700000015, 1700000030], v: [100, 400, 650] });
    expect(one(a, 'vllm:generation_tokens_created').v).toEqual([1.7621345233890002e9, 1.7621345233890002e9, 1.7621345233890002e9]);
  });

  it('the same bucket written le="1", "1.0" and "1e0" in three files merges into one series', async () => {
    const mk = (le: string, t: number, v: number) => bufferSource(Buffer.from(`h_bucket{le="${le}"} ${v}\n`), `scrape_${t}000.txt`);
    // bufferSource has no path: the display name carries the epoch (ms by digit count).
    const a = await ingest({ inputs: [], sources: [mk('1', 1700000000, 1), mk('1.0', 1700000010, 2), mk('1e0', 1700000020, 3)] });
    expect(one(a, 'h_bucket')).toEqual({ labels: { le: '1' }, t: [1700000000, 1700000010, 1700000020], v: [1, 2, 3] });
  });
});

describe('bad input', () => {
  it('malformed line → TEXT_SYNTAX with the line number', async () => {
    const e = await inputError([fx('syntax-error.prom')]);
    expect(e.code).toBe('TEXT_SYNTAX');
    expect(e.file).toBe(fx('syntax-error.prom'));
    expect(e.position?.line).toBe(4);
    expect(e.message).toMatch(/unterminated quoted label value/);
    expect(e.hint).toBeTruthy();
  });

  it('other malformed lines: value, timestamp, trailing text, duplicate label', async () => {
    const bad = async (text: string) => {
      try {
        await ingest({ inputs: [], sources: [bufferSource(Buffer.from(text), 'bad.prom')] });
      } catch (e) {
        return e as InputError;
      }
      throw new Error('expected an error');
    };
    const head = '# TYPE a gauge\na 1\n';
    expect(await bad(`${head}a{x="1"} one\n`)).toMatchObject({ code: 'TEXT_SYNTAX', position: { line: 3 } });
    expect(await bad(`${head}b 1 soon\n`)).toMatchObject({ code: 'TEXT_SYNTAX', position: { line: 3 } });
    expect(await bad(`${head}b 1 1700000000000 extra\n`)).toMatchObject({ code: 'TEXT_SYNTAX', position: { line: 3 } });
    expect(await bad(`${head}\n\nb{x="1",x="2"} 1\n`)).toMatchObject({ code: 'TEXT_SYNTAX', position: { line: 5 } });
    expect(await bad(`${head}b{x=1} 1\n`)).toMatchObject({ code: 'TEXT_SYNTAX', message: expect.stringMatching(/double quotes/) });
  });

  it('empty file → EMPTY_INPUT from ingest', async () => {
    const e = await inputError([fx('empty.prom')]);
    expect(e.code).toBe('EMPTY_INPUT');
    expect(e.file).toBe(fx('empty.prom'));
  });

  it('a series repeated from another untimed file without a time source → MISSING_TIMESTAMPS', async () => {
    const s = (n: string) => bufferSource(Buffer.from('up{job="a"} 1\n'), n);
    const e = await (async () => {
      try {
        await ingest({ inputs: [], sources: [s('a.prom'), s('b.prom')] });
      } catch (err) {
        return err as InputError;
      }
      throw new Error('expected an error');
    })();
    expect(e).toMatchObject({ code: 'MISSING_TIMESTAMPS', file: 'b.prom', position: { line: 1 } });
  });

  it('the CLI exits 2 and prints file:line for TEXT_SYNTAX and MISSING_TIMESTAMPS', async () => {
    const r = await cli(['inspect', 'test/fixtures/prometheus-text/syntax-error.prom']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('test/fixtures/prometheus-text/syntax-error.prom, line 4');
    expect(r.stderr).toContain('TEXT_SYNTAX');
    const m = await cli(['inspect', 'test/fixtures/prometheus-text/concat-plain.prom']);
    expect(m.code, m.stderr).toBe(2);
    expect(m.stderr).toContain('MISSING_TIMESTAMPS');
    const ok = await cli(['inspect', '--scrape-interval', '15s', 'test/fixtures/prometheus-text/concat-plain.prom']);
    expect(ok.code).toBe(0);
  });
});

describe('pieces', () => {
  it('canonicalBound', () => {
    expect(['1', '1.0', '1e0', '+1.00'].map(canonicalBound)).toEqual(['1', '1', '1', '1']);
    expect(['+Inf', 'Inf', 'inf', '-Inf'].map(canonicalBound)).toEqual(['+Inf', '+Inf', '+Inf', '-Inf']);
    expect(['0.0010', '2.5e-3', '1e21', '-0'].map(canonicalBound)).toEqual(['0.001', '0.0025', '1e+21', '0']);
    expect(canonicalBound('abc')).toBe('abc');
  });

  it('parseSeries: dump form, UTF-8 quoted name, trailing comma', () => {
    expect(parseSeries('{__name__="up", instance="a:1", job="b"}')).toEqual({ name: 'up', labels: { instance: 'a:1', job: 'b' } });
    expect(parseSeries('{"my.metric", le="1.0"}')).toEqual({ name: 'my.metric', labels: { le: '1' } });
    expect(parseSeries('m{a="x",}')).toEqual({ name: 'm', labels: { a: 'x' } });
    expect(parseSeries('m')).toEqual({ name: 'm', labels: {} });
  });

  it('times from file names and separator lines', () => {
    expect(timeFromFileName('/x/metrics-1700000000.prom')).toBe(1700000000);
    expect(timeFromFileName('scrape_1700000000123.txt')).toBe(1700000000.123);
    expect(timeFromFileName('metrics-2024-05-01T12:00:00Z.prom')).toBe(1714564800);
    expect(timeFromFileName('hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom')).toBeUndefined();
    expect(timeFromFileName('run-42.prom')).toBeUndefined();
    expect(timeFromSeparator(' scrape at 2024-05-01T12:00:15+00:00')).toBe(1714564815);
    expect(timeFromSeparator(' scrape 1714564815')).toBe(1714564815);
    expect(timeFromSeparator(' just a comment')).toBeUndefined();
    expect(timeFromBareLine('1714564815')).toBe(1714564815);
    expect(timeFromBareLine('Wed May  1 12:00:30 UTC 2024')).toBe(1714564830);
    expect(timeFromBareLine('up 1')).toBeUndefined();
  });

  it('sniff: exposition yes; CSV, JSON and log lines no', () => {
    expect(sniffPrometheusText('# HELP a x\n# TYPE a gauge\na 1\n')).toBe(true);
    expect(sniffPrometheusText('{__name__="up", job="x"} 1 1700000000000\n')).toBe(true);
    expect(sniffPrometheusText('timestamp,metric,value\n1700000000,up,1\n')).toBe(false);
    expect(sniffPrometheusText('{"status":"success","data":{}}\n')).toBe(false);
    expect(sniffPrometheusText('INFO 05-01 12:00:00 api_server.py:1 vLLM API server version 0.10.1\nINFO 05-01 12:00:01 started\n')).toBe(false);
  });
});
