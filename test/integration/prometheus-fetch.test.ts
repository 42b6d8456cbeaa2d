// `vllm-tune fetch` against a real Prometheus holding backfilled data: the export read back through
// ingest() equals the OpenMetrics fixture read directly (same series, same samples, bit for bit),
// chunking loses and repeats nothing, the metadata says what was fetched, and the CLI works.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ingest } from '../../src/ingest/index.js';
import type { MetricSet } from '../../src/model/series.js';
import { labelsKey } from '../../src/model/series.js';
import { fetchSeries, fetchToPath, parsePrometheusFlags } from '../../src/prometheus/index.js';
import { generateOpenMetrics } from './prometheus/generate.js';
import { FIXTURE, FIXTURE_END, FIXTURE_START } from './prometheus/fixture.js';
import { havePrometheus, startPrometheus, type PromServer } from './prometheus/server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const cli = path.join(root, 'bin/vllm-tune');
const execP = promisify(execFile);

const enabled = havePrometheus();
let server: PromServer;
let tmp: string;
let omFile: string;
let direct: MetricSet;

// The OpenMetrics reader normalises bucket bounds (`le="1.0"` → "1"); Prometheus 2.42 keeps the text
// as scraped, so the JSON export says "1.0". Compare bounds as numbers.
function seriesMap(m: MetricSet): Map<string, { t: Float64Array; v: Float64Array }> {
  const out = new Map<string, { t: Float64Array; v: Float64Array }>();
  for (const s of m.series) {
    const labels = s.labels.le === undefined ? s.labels : { ...s.labels, le: String(Number(s.labels.le)) };
    out.set(`${s.name}{${labelsKey(labels)}}`, { t: s.t, v: s.v });
  }
  return out;
}

/** Same series keys, and per series identical timestamps and values. */
function expectSameMetrics(a: MetricSet, b: MetricSet): void {
  const ma = seriesMap(a);
  const mb = seriesMap(b);
  expect([...mb.keys()].sort()).toEqual([...ma.keys()].sort());
  for (const [k, sa] of ma) {
    const sb = mb.get(k)!;
    expect(sb.t.length, k).toBe(sa.t.length);
    expect(Array.from(sb.t), k).toEqual(Array.from(sa.t));
    expect(Array.from(sb.v), k).toEqual(Array.from(sa.v));
  }
}

describe.skipIf(!enabled)('fetch from a live Prometheus', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-fetch-'));
    const { text } = generateOpenMetrics(FIXTURE);
    omFile = path.join(tmp, 'fixture.om');
    await fsp.writeFile(omFile, text);
    server = await startPrometheus({ omFile });
    direct = (await ingest({ inputs: [omFile] })).metrics;
  });
  afterAll(async () => {
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const flags = (extra: Record<string, unknown> = {}) =>
    parsePrometheusFlags({ prometheus: server.url, start: String(FIXTURE_START), end: String(FIXTURE_END), ...extra }, FIXTURE_END + 60, {});

  it('the fixture itself is what the tests think it is', () => {
    // 2 replicas × (3 counters + 3 gauges + 7 buckets + sum + count + DCGM + RSS) = 34 series.
    expect(direct.series.length).toBe(34);
    const prompt = direct.get('vllm:prompt_tokens_total');
    expect(prompt.length).toBe(2);
    // Replica 0 misses 60 scrapes (10 min), replica 1 has all 720.
    expect(prompt.map((s) => s.t.length).sort()).toEqual([660, 720]);
    // Replica 1 restarts: its counter decreases once.
    const r1 = prompt.find((s) => s.labels.instance === '10.0.0.12:8000')!;
    let drops = 0;
    for (let i = 1; i < r1.v.length; i++) if (r1.v[i] < r1.v[i - 1]) drops++;
    expect(drops).toBe(1);
  });

  it('a raw export read back through ingest() equals the OpenMetrics fixture, sample for sample', async () => {
    const out = path.join(tmp, 'raw.json');
    const r = await fetchToPath(flags(), out);
    expect(r.written).toEqual([out, `${out}.meta.json`]);
    expect(r.meta.series).toBe(34);
    expect(r.meta.samples).toBe(direct.sampleCount);
    const back = await ingest({ inputs: [out] });
    expect(back.inputs[0].format).toBe('prometheus-json');
    expect(back.warnings.filter((w) => w.code !== 'RENAMED_METRIC')).toEqual([]);
    expectSameMetrics(direct, back.metrics);
  });

  it('analyze --prometheus: the fetched series handed to ingest directly equal the export read back (series, samples, warnings, inventory)', async () => {
    const out = path.join(tmp, 'same') + path.sep; // one file per source group, as in memory
    await fetchToPath(flags(), out);
    const file = await ingest({ inputs: [out] });
    const { inputs } = await fetchSeries(flags());
    const live = await ingest({ inputs: [], series: inputs });
    expect(live.metrics.series.length).toBe(34);
    expectSameMetrics(file.metrics, live.metrics);
    expect(live.metrics.series.map((s) => [s.name, s.labels, s.v.constructor.name])).toEqual(file.metrics.series.map((s) => [s.name, s.labels, s.v.constructor.name]));
    const strip = (ws: typeof file.warnings) => ws.map((w) => ({ ...w, file: undefined }));
    expect(strip(live.warnings)).toEqual(strip(file.warnings));
    const summary = (a: typeof file) => a.inputs.map((i) => [i.format, i.detail, i.series, i.samples].join(' ')).sort();
    expect(summary(file)).toHaveLength(3);
    expect(summary(live)).toEqual(summary(file));
  });

  it('many small chunks lose and repeat nothing (chunk edges are (a, b], the first [start, b])', async () => {
    const o = flags();
    // 2 series per name → 50 steps per chunk → ceil(721/50) = 15 chunks for each of 10 names; the
    // bucket name has 14 series → 7 steps → ceil(721/7) = 103 chunks; plus 3 discovery requests.
    o.maxSamplesPerRequest = 100;
    const { inputs, meta } = await fetchSeries(o);
    expect(meta.requests).toBe(10 * 15 + 103 + 3);
    const back = await ingest({ inputs: [], series: inputs });
    expect(back.warnings.filter((w) => w.code !== 'RENAMED_METRIC')).toEqual([]);
    expectSameMetrics(direct, back.metrics);
  });

  it('gzip-compressed answers (the default off loopback) give the same export in far fewer bytes', async () => {
    const plain = await fetchSeries(flags());
    const o = flags();
    o.gzip = true;
    const zipped = await fetchSeries(o);
    expect(zipped.meta.responseBytes).toBeLessThan(plain.meta.responseBytes / 4);
    const a = await ingest({ inputs: [], series: plain.inputs });
    const b = await ingest({ inputs: [], series: zipped.inputs });
    expectSameMetrics(a.metrics, b.metrics);
  });

  it('a directory export: one file per source, a sidecar the ingest walker skips', async () => {
    const dir = path.join(tmp, 'dir-out') + path.sep;
    const r = await fetchToPath(flags(), dir);
    const names = (await fsp.readdir(dir)).sort();
    expect(names).toEqual(['dcgm.json', 'fetch.meta.json', 'process.json', 'vllm.json']);
    expect(r.meta.files).toEqual({ vllm: 'vllm.json', dcgm: 'dcgm.json', process: 'process.json' });
    const back = await ingest({ inputs: [dir] });
    expect(back.inputs.map((i) => path.basename(i.file))).toEqual(['dcgm.json', 'process.json', 'vllm.json']);
    expectSameMetrics(direct, back.metrics);
  });

  it('the export and its sidecar say what was fetched, and what was not found', async () => {
    const out = path.join(tmp, 'sel.json');
    await fetchToPath(flags({ selector: '{instance="10.0.0.11:8000"}', step: '15s' }), out);
    const doc = JSON.parse(await fsp.readFile(out, 'utf8'));
    const side = JSON.parse(await fsp.readFile(`${out}.meta.json`, 'utf8'));
    expect(doc.status).toBe('success');
    expect(doc.data.resultType).toBe('matrix');
    // The selector applies: only replica 0 (and no DCGM series, which have no instance label).
    expect(new Set(doc.data.result.map((s: { metric: Record<string, string> }) => s.metric.instance))).toEqual(new Set(['10.0.0.11:8000']));
    expect(doc.data.result.length).toBe(16); // 3 counters, 3 gauges, 7 buckets, sum, count, RSS
    for (const m of [doc.vllmTune, side]) {
      expect(m.source).toBe(server.url);
      expect(m.start).toBe('2026-01-01T00:00:00Z');
      expect(m.end).toBe('2026-01-01T02:00:00Z');
      expect(m.stepSeconds).toBe(15);
      expect(m.selector).toBe('{instance="10.0.0.11:8000"}');
      expect(m.mode).toBe('raw');
      expect(m.queries).toContain('{__name__="vllm:prompt_tokens_total",instance="10.0.0.11:8000"}');
      expect(m.found.vllm).toContain('vllm:time_to_first_token_seconds_bucket');
      expect(m.found.dcgm).toEqual([]);
      // Absent ≠ zero: metrics we know but the window lacks are listed.
      expect(m.notFound.vllm).toContain('vllm:inter_token_latency_seconds');
      expect(m.notFound.vllm).not.toContain('vllm:prompt_tokens_total');
      expect(m.notFound.dcgm).toContain('DCGM_FI_DEV_GPU_UTIL');
      expect(m.gaps).toEqual([]);
    }
  });

  it('the CLI writes the export, `inspect` reads it, and bad options exit 2', async () => {
    const out = path.join(tmp, 'cli.json');
    const r = await execP(process.execPath, [cli, 'fetch', '--prometheus', server.url, '--start', '2026-01-01T00:00:00Z', '--end', '2026-01-01T02:00:00Z', '--out', out]);
    expect(r.stdout).toMatch(/34 series, \d+ samples from http:\/\/127\.0\.0\.1:\d+ \(2026-01-01T00:00:00Z \.\. 2026-01-01T02:00:00Z, raw\)/);
    expect(r.stdout).toContain(`${path.relative(process.cwd(), out)}`);
    // Absent metrics are named (absent ≠ zero); no progress line when stderr is not a terminal.
    expect(r.stderr).toMatch(/^vllm-tune: not found in the window \(unknown, not zero\) — vllm: [^\n]*vllm:inter_token_latency_seconds[^\n]*; dcgm: DCGM_FI_DEV_MEM_COPY_UTIL/);
    expect(r.stderr).not.toContain('\r');
    expect(r.stderr).not.toContain('fetch [');
    const insp = await execP(process.execPath, [cli, 'inspect', out]);
    expect(insp.stdout).toContain('vllm:prompt_tokens_total');
    const bad = await execP(process.execPath, [cli, 'fetch', '--prometheus', server.url, '--start', 'yesterday', '--out', out]).catch((e) => e);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--start "yesterday": not a time \[BAD_OPTION\]/);
  });
});
