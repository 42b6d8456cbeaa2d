// `fetch --aggregate` against a real Prometheus: the server aggregates over replicas; counters come
// back as per-second rates and are integrated into cumulative counters, so each step's increase of the
// exported counter must equal step × Σ rate(raw series) computed by our own PromQL math from the RAW
// series — across replica 1's restart and replica 0's gap. Also: labels, topk, the 11,000-point limit
// per query_range, and the warning that per-replica diagnoses need raw series.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import type { MetricSet, Series } from '../../src/model/series.js';
import { fetchSeries, fetchToPath, parsePrometheusFlags } from '../../src/prometheus/index.js';
import { evalGrid, rate, sumAligned } from '../../src/stats/promql.js';
import { generateOpenMetrics } from './prometheus/generate.js';
import { FIXTURE, FIXTURE_END, FIXTURE_START } from './prometheus/fixture.js';
import { havePrometheus, startPrometheus, type PromServer } from './prometheus/server.js';

let server: PromServer;
let tmp: string;
let raw: MetricSet;
let agg: MetricSet;
let aggFile: string;

const STEP = 30;
const flags = (extra: Record<string, unknown> = {}) =>
  parsePrometheusFlags({ prometheus: server.url, start: String(FIXTURE_START), end: String(FIXTURE_END), ...extra }, FIXTURE_END, {});

function only(list: Series[], what: string): Series {
  expect(list.length, what).toBe(1);
  return list[0];
}

describe.skipIf(!havePrometheus())('fetch --aggregate', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-agg-'));
    server = await startPrometheus({ omText: generateOpenMetrics(FIXTURE).text });
    raw = (await ingest({ inputs: [], series: (await fetchSeries(flags())).inputs })).metrics;
    aggFile = path.join(tmp, 'agg.json');
    await fetchToPath(flags({ aggregate: true, step: `${STEP}s` }), aggFile);
    agg = (await ingest({ inputs: [aggFile] })).metrics;
  });
  afterAll(async () => {
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('labels: replicas aggregated away (model_name, le kept), worst replicas kept by topk', () => {
    const prompt = only(agg.get('vllm:prompt_tokens_total'), 'prompt tokens');
    expect(prompt.labels).toEqual({ model_name: 'demo-model', aggregation: 'sum' });
    // Bounds as ingest canonicalises them (the server says le="1.0").
    expect(agg.get('vllm:time_to_first_token_seconds_bucket').map((s) => s.labels.le).sort()).toEqual(['+Inf', '0.05', '0.1', '0.25', '0.5', '1', '2.5']);
    for (const s of agg.get('vllm:time_to_first_token_seconds_bucket')) expect(Object.keys(s.labels).sort()).toEqual(['aggregation', 'le', 'model_name']);
    const kv = agg.get('vllm:kv_cache_usage_perc');
    expect(kv.map((s) => s.labels.aggregation).sort()).toEqual(['avg', 'topk3', 'topk3']);
    expect(kv.filter((s) => s.labels.aggregation === 'topk3').map((s) => s.labels.instance).sort()).toEqual(['10.0.0.11:8000', '10.0.0.12:8000']);
    expect(only(agg.get('DCGM_FI_DEV_GPU_UTIL', { aggregation: 'avg' }), 'dcgm avg').labels).toEqual({ aggregation: 'avg' });
  });

  it('each step of an integrated counter equals step × Σ rate() of the raw series (our math), reset and gap included', () => {
    const w = 120; // max(4 × 30 s, 60 s)
    for (const name of ['vllm:prompt_tokens_total', 'vllm:time_to_first_token_seconds_count']) {
      const c = only(agg.get(name), name);
      const grid = c.t;
      const ours = sumAligned(raw.get(name).map((s) => rate(s.t, s.v, grid, w)));
      let compared = 0;
      for (let i = 1; i < grid.length; i++) {
        if (grid[i] - grid[i - 1] !== STEP) continue; // a step the server had no value for
        const inc = c.v[i] - c.v[i - 1];
        const want = ours[i] * STEP;
        // 1e-9 relative, plus the rounding of subtracting two large cumulative sums.
        expect(Math.abs(inc - want), `${name} @${grid[i]}`).toBeLessThanOrEqual(1e-9 * Math.abs(want) + 4 * Number.EPSILON * Math.abs(c.v[i]));
        compared++;
      }
      expect(compared).toBeGreaterThan(200);
      // Monotone: the restart does not make the fleet counter drop.
      for (let i = 1; i < c.v.length; i++) expect(c.v[i]).toBeGreaterThanOrEqual(c.v[i - 1]);
    }
  });

  it('the export says it is aggregated, and reading it back warns that per-replica diagnoses need raw series', async () => {
    const doc = JSON.parse(readFileSync(aggFile, 'utf8'));
    expect(doc.vllmTune.mode).toBe('aggregate');
    expect(doc.vllmTune.rateWindow).toBe('2m');
    expect(doc.vllmTune.queries).toContain('sum by (model_name, le) (rate({__name__="vllm:time_to_first_token_seconds_bucket"}[2m]))');
    expect(doc.vllmTune.queries).toContain('topk(3, {__name__="vllm:kv_cache_usage_perc"})');
    const back = await ingest({ inputs: [aggFile] });
    expect(back.warnings.find((w) => w.code === 'PROMETHEUS_WARNING')?.message).toMatch(/per-replica diagnoses need raw series/);
  });

  it('query_range chunks respect 11,000 points: 2 h at 0.5 s is 14,401 points in two requests per query, continuous', async () => {
    const o = flags({ aggregate: true, step: '500ms', selector: '{instance="10.0.0.12:8000"}' });
    const { inputs, meta } = await fetchSeries(o);
    const queries = meta.queries.length;
    expect(meta.requests).toBe(3 + 2 * queries); // 3 discovery look-ups, then 2 chunks per expression
    const m = (await ingest({ inputs: [], series: inputs })).metrics;
    const run = only(m.get('vllm:num_requests_running', { aggregation: 'avg' }), 'running avg');
    // Replica 1 has no gap: a value at every grid point from its first scrape on (the first scrape is
    // a few hundred ms after the window start, so the first grid points see nothing yet), evenly spaced.
    const grid = evalGrid(FIXTURE_START, FIXTURE_END, 0.5);
    expect(grid.length).toBe(14_401);
    const first = only(raw.get('vllm:num_requests_running', { instance: '10.0.0.12:8000' }), 'raw running').t[0];
    expect(first).toBeGreaterThan(FIXTURE_START);
    expect(run.t.length).toBe(grid.filter((g) => g >= first).length);
    expect(run.t[run.t.length - 1]).toBe(FIXTURE_END);
    for (let i = 1; i < run.t.length; i++) expect(run.t[i] - run.t[i - 1]).toBe(0.5);
  });
});
