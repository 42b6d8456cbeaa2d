// A single real /metrics scrape (no time range): the latency table is read from the cumulative
// histograms, with the caveat that it covers the process lifetime; the configuration is read from the
// replica's cache_config_info; every metric diagnosis says it was not evaluated, and why (episodes,
// rates and trends need a series of scrapes); the profile diagnoses say there is no profile.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { METRIC_FINDING_CODES, GPU_FINDING_CODES } from '../../src/model/vocabulary.js';
import { REAL_METRICS_TEXT } from '../support/paths.js';

const file = path.join(REAL_METRICS_TEXT, 'hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom');

describe('analysis of a single real scrape', async () => {
  const result = runAnalysis(await ingest({ inputs: [file] }), { name: 'scrape' });

  it('TTFT quantiles from the cumulative buckets (le 0.02 → 0, le 0.04 → 23, le 0.06 → 24 of 24)', () => {
    // One vLLM engine, so the fleet row is that engine's.
    const ttft = result.latency.find((r) => r.id === 'ttft' && r.scope === 'fleet')!;
    // Hand-computed histogram_quantile: rank q·24 inside the bucket it falls in, linear interpolation.
    expect(ttft.p50Seconds).toBeCloseTo(0.02 + 0.02 * (12 / 23), 12);
    expect(ttft.p95Seconds).toBeCloseTo(0.02 + 0.02 * (22.8 / 23), 12);
    expect(ttft.p99Seconds).toBeCloseTo(0.04 + 0.02 * (23.76 - 23), 12);
    expect(ttft.requests).toBe(24);
    expect(ttft.overTargetRatio).toBe(0); // 500 ms is a bucket bound: 24 of 24 at or below it
    expect(ttft.verdict).toBe('met');
    expect(ttft.caveat).toContain('cumulative since each process started');
  });

  it('every metric diagnosis is not evaluated, with the reason; nothing is found or recommended', () => {
    const reason = 'the metrics hold a single scrape without a time range; episodes, rates and trends need a series of scrapes';
    expect(result.notEvaluated.filter((n) => (METRIC_FINDING_CODES as readonly string[]).includes(n.code))).toEqual(METRIC_FINDING_CODES.map((code) => ({ code, reason })));
    expect(result.notEvaluated.filter((n) => (GPU_FINDING_CODES as readonly string[]).includes(n.code))).toEqual(GPU_FINDING_CODES.map((code) => ({ code, reason: 'no GPU profile given' })));
    expect(result.findings).toEqual([]);
    expect(result.signals).toEqual([]);
    expect(result.recommendations).toEqual([]);
    expect(result.serveBlocks).toEqual([]);
    expect(result.charts).toEqual([]);
    expect(result.anomalies).toEqual([]);
  });

  it('the configuration is still read from the engine\'s cache_config_info', () => {
    expect(result.config.replicas.map((r) => r.replica)).toEqual(['engine 0']);
    const seg = result.config.replicas[0].segments;
    expect(seg).toHaveLength(1);
    expect(seg[0].values.num_gpu_blocks).toMatchObject({ value: 22538, source: 'cache_config_info' });
    expect(seg[0].values.gpu_memory_utilization).toMatchObject({ value: 0.88, source: 'cache_config_info' });
    expect(seg[0].values.kv_cache_dtype).toMatchObject({ value: 'auto', source: 'cache_config_info' });
    expect(result.config.groups).toHaveLength(1);
  });
});
