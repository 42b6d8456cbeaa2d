// A single real /metrics scrape (no time range): the latency table is read from the cumulative
// histograms, with the caveat that it covers the process lifetime, and time-series checks say why
// they were not evaluated.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { REAL_METRICS_TEXT } from '../support/paths.js';

const file = path.join(REAL_METRICS_TEXT, 'hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom');

describe('analysis of a single real scrape', () => {
  it('TTFT quantiles from the cumulative buckets (le 0.02 → 0, le 0.04 → 23, le 0.06 → 24 of 24)', async () => {
    const result = runAnalysis(await ingest({ inputs: [file] }), { name: 'scrape' });
    const ttft = result.latency.find((r) => r.id === 'ttft' && r.scope === 'fleet')!;
    // Hand-computed histogram_quantile: rank q·24 inside the bucket it falls in, linear interpolation.
    expect(ttft.p50Seconds).toBeCloseTo(0.02 + 0.02 * (12 / 23), 12);
    expect(ttft.p95Seconds).toBeCloseTo(0.02 + 0.02 * (22.8 / 23), 12);
    expect(ttft.p99Seconds).toBeCloseTo(0.04 + 0.02 * (23.76 - 23), 12);
    expect(ttft.requests).toBe(24);
    expect(ttft.overTargetRatio).toBe(0); // 500 ms is a bucket bound: 24 of 24 at or below it
    expect(ttft.caveat).toContain('cumulative since each process started');
    expect(result.findings).toEqual([]);
    expect(result.notEvaluated.map((n) => n.code)).toEqual(['ALL_METRIC_CHECKS']);
  });
});
