// Anomaly episodes per scope on seeded synthetic vLLM series: a 30-minute incident on one replica inside a
// 2-hour, a 24-hour and a 7-day window (the last on the coarsened 70-second grid) is found with the same
// start and end, on that replica only, scored against a baseline that did not absorb it; plus the
// bucket rules for histogram quantiles and the real datasets.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisView, FLEET } from '../../src/derive/view.js';
import { ANOMALY_OPTIONS, anomalyEpisodes, anomalyEpisodesIn, bucketAround, bucketResolution, quantileSignalWindowSeconds, USER_FACING_ANOMALY_METRICS } from '../../src/derive/anomalies.js';
import { MetricSet } from '../../src/model/series.js';
import { syntheticMetrics, TTFT_LES } from '../support/synthetic-latency.js';
import { ingest } from '../../src/ingest/index.js';
import { centredQuantile, gridRange } from '../../src/derive/windowed.js';
import { nanSummary } from '../../src/stats/summary.js';
import type { AnomalyEpisode } from '../../src/model/result.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const START = 1_763_625_600; // 2025-11-20 08:00:00Z
const TTFT = 'vllm:time_to_first_token_seconds';
const TTFT_KEY = `p95 ${TTFT}`;
const WAITING = 'vllm:num_requests_waiting';
const noConfig = { values: {}, conflicts: [] };

function incidentView(seconds: number) {
  // The incident: 30 minutes in the middle of the window, on replica a only.
  const t0 = START + Math.round(seconds / 2 / 10) * 10;
  const t1 = t0 + 1800;
  const inside = (t: number) => t > t0 && t <= t1;
  const metrics = syntheticMetrics({
    start: START,
    seconds,
    scrapeSeconds: 10,
    seed: 42,
    replicas: ['a:8000', 'b:8000'].map((instance) => ({
      instance,
      perScrape: 20,
      histograms: [{ name: TTFT, les: TTFT_LES, at: (t: number) => (instance === 'a:8000' && inside(t) ? { median: 5, sigma: 0.3 } : { median: 0.06, sigma: 0.5 }) }],
      waiting: (t: number, z: () => number) => Math.max(0, Math.round(instance === 'a:8000' && inside(t) ? 40 + 5 * z() : 1 + z())),
    })),
  });
  return { view: new AnalysisView(metrics, noConfig), t0, t1 };
}

const only = (eps: AnomalyEpisode[], metric: string) => eps.filter((e) => e.metric === metric);

describe('anomaly episodes: a 30-minute incident in 2 h, 24 h and 7 d windows', () => {
  const found: Record<string, { start: number; end: number; step: number }> = {};
  for (const [label, seconds, step] of [
    ['2 h', 7200, 10],
    ['24 h', 86400, 10],
    ['7 d', 7 * 86400, 70],
  ] as const) {
    it(`${label}: one episode per series on the replica that had it, edges within a grid step (gauge) or half the p95 window`, () => {
      const { view, t0, t1 } = incidentView(seconds);
      expect(view.step).toBe(step);
      const a = anomalyEpisodesIn(view, 'a:8000');
      const b = anomalyEpisodesIn(view, 'b:8000');
      // replica b is quiet; replica a has exactly the incident, nothing else in up to 7 days of noise
      expect(only(b, TTFT_KEY)).toEqual([]);
      expect(only(b, WAITING)).toEqual([]);
      const q = only(a, TTFT_KEY);
      const w = only(a, WAITING);
      expect(q).toHaveLength(1);
      expect(w).toHaveLength(1);
      // the waiting gauge is read at the grid points: edges within one step
      expect(Math.abs(w[0].startSeconds - t0)).toBeLessThanOrEqual(step);
      expect(Math.abs(w[0].endSeconds - t1)).toBeLessThanOrEqual(step);
      // the p95 comes from a centred window of W seconds: an edge moves by up to W/2
      const W = quantileSignalWindowSeconds(view, TTFT, 'a:8000');
      expect(W).toBe(Math.max(60, 2 * step));
      const tol = Math.max(2 * step, W / 2);
      expect(Math.abs(q[0].startSeconds - t0)).toBeLessThanOrEqual(tol);
      expect(Math.abs(q[0].endSeconds - t1)).toBeLessThanOrEqual(tol);
      // the baseline did not absorb the shift: it is the quiet p95 (log-normal 60 ms, σ 0.5 → 137 ms, in (0.1, 0.25])
      expect(q[0].baselineBucket).toEqual({ lowerSeconds: 0.1, upperSeconds: 0.25, wide: true });
      expect(q[0].baselineValue!).toBeGreaterThan(0.1);
      expect(q[0].baselineValue!).toBeLessThan(0.25);
      expect(q[0].peakBucket!.lowerSeconds).toBeGreaterThanOrEqual(5);
      expect(q[0].ratioToBaseline!).toBeCloseTo(q[0].peakValue / q[0].baselineValue!, 12);
      expect([q[0].peakScore, q[0].scoreCapped, q[0].acceptedAsNormal, q[0].direction]).toEqual([ANOMALY_OPTIONS.scoreCap, true, false, 'up']);
      // the queue's baseline is ~1 waiting request
      expect(w[0].baselineValue).toBe(1);
      expect(w[0].deltaFromBaseline).toBe(w[0].peakValue - 1);
      expect(w[0].ratioToBaseline).toBe(w[0].peakValue);
      // the fleet sees it too (half its requests are slow)
      expect(only(anomalyEpisodesIn(view, FLEET), TTFT_KEY)).toHaveLength(1);
      found[label] = { start: q[0].startSeconds - t0, end: q[0].endSeconds - t1, step };
    });
  }
  it('the three windows agree on the start and end within two steps of the coarsest grid', () => {
    const all = Object.values(found);
    expect(all).toHaveLength(3);
    for (const x of all) {
      expect(Math.abs(x.start - found['2 h'].start)).toBeLessThanOrEqual(140);
      expect(Math.abs(x.end - found['2 h'].end)).toBeLessThanOrEqual(140);
    }
  });
});

describe('anomaly episodes: rules', () => {
  it('a shift that lasts longer than 2 h is one episode of 2 h, accepted as the new normal', () => {
    const n = 8 * 360;
    const t = Float64Array.from({ length: n }, (_, i) => START + 10 * i);
    const v = Float64Array.from({ length: n }, (_, i) => (i >= 2 * 360 ? 30 : 0) + (i % 3));
    const view = new AnalysisView(new MetricSet([{ name: WAITING, labels: { instance: 'a:8000' }, t, v }]), noConfig);
    const eps = anomalyEpisodesIn(view, FLEET);
    expect(eps).toHaveLength(1);
    expect(eps[0].acceptedAsNormal).toBe(true);
    expect(eps[0].startSeconds).toBe(t[720]);
    expect(eps[0].endSeconds - eps[0].startSeconds).toBe(ANOMALY_OPTIONS.maxEpisodeSeconds);
    // a flat-ish queue of 0–2 (median 1, MAD 1 → scale 1.48): the ratio is meaningful
    expect(eps[0].baselineValue).toBe(1);
    expect(eps[0].ratioToBaseline).toBe(32);
  });

  it('a queue from exactly 0 to 5: the floor gives a score of 10 and no ratio (the delta carries it)', () => {
    const n = 3 * 360;
    const t = Float64Array.from({ length: n }, (_, i) => START + 10 * i);
    const v = Float64Array.from({ length: n }, (_, i) => (i >= 360 && i < 540 ? 5 : 0));
    const view = new AnalysisView(new MetricSet([{ name: WAITING, labels: { instance: 'a:8000' }, t, v }]), noConfig);
    const [e] = anomalyEpisodesIn(view, FLEET);
    expect([e.startSeconds, e.endSeconds, e.peakScore, e.baselineValue, e.baselineScale, e.ratioToBaseline, e.deltaFromBaseline, e.scoreCapped]).toEqual([t[360], t[539] + 10, 10, 0, 0.5, null, 5, false]);
  });

  it('bucketAround / bucketResolution', () => {
    const les = [0.1, 0.5, 1, Infinity];
    expect(bucketAround(les, 0.05)).toEqual({ lowerSeconds: 0, upperSeconds: 0.1, wide: true });
    expect(bucketAround(les, 0.5)).toEqual({ lowerSeconds: 0.1, upperSeconds: 0.5, wide: true });
    expect(bucketAround(les, 0.7)).toEqual({ lowerSeconds: 0.5, upperSeconds: 1, wide: false });
    expect(bucketAround(les, 3)).toEqual({ lowerSeconds: 1, upperSeconds: null, wide: true });
    expect(bucketResolution(les, 0.7)).toBeCloseTo(0.5 / Math.sqrt(12), 15);
    expect(bucketResolution(les, 3)).toBeCloseTo(0.5 / Math.sqrt(12), 15);
    expect(bucketResolution(les, NaN)).toBe(0);
  });

  it('a p95 that only moves into the bucket next to the baseline is not an episode', () => {
    // baseline p95 ≈ 2.28 · 41.7 ms = 95 ms, in the narrow bucket (0.08, 0.1]; for 30 min it rises to ≈ 170 ms,
    // inside the next, wide bucket (0.1, 0.25]: interpolation there cannot tell 101 ms from 249 ms
    const t0 = START + 3600;
    const metrics = syntheticMetrics({
      start: START,
      seconds: 7200,
      scrapeSeconds: 10,
      seed: 3,
      replicas: [{ instance: 'a:8000', perScrape: 20, histograms: [{ name: TTFT, les: TTFT_LES, at: (t: number) => (t > t0 && t <= t0 + 1800 ? { median: 0.0747, sigma: 0.5 } : { median: 0.0417, sigma: 0.5 }) }] }],
    });
    const view = new AnalysisView(metrics, noConfig);
    const q = centredQuantile(view, TTFT, 0.95, FLEET, quantileSignalWindowSeconds(view, TTFT, FLEET))!;
    const [i0, i1] = gridRange(view, t0 + 300, t0 + 1500);
    const [j0, j1] = gridRange(view, START + 1800, t0 - 300);
    const during = nanSummary(q.subarray(i0, i1 + 1));
    const before = nanSummary(q.subarray(j0, j1 + 1));
    // the p95 did move, by far more than the raw score threshold would need …
    expect(during.p50! / before.p50!).toBeGreaterThan(1.5);
    expect(before.p50!).toBeLessThanOrEqual(0.1);
    expect(during.p50!).toBeGreaterThan(0.1);
    expect(during.max!).toBeLessThanOrEqual(0.25);
    // … but only into the neighbouring bucket: no episode
    expect(only(anomalyEpisodesIn(view, FLEET), TTFT_KEY)).toEqual([]);
  });

  it('the report keeps at most maxEpisodesPerScope per scope, strongest first, in time order', () => {
    const { view } = incidentView(7200);
    const eps = anomalyEpisodes(view);
    for (const scope of view.scopes()) expect(eps.filter((e) => e.scope === scope).length).toBeLessThanOrEqual(ANOMALY_OPTIONS.maxEpisodesPerScope);
    for (let i = 1; i < eps.length; i++) expect(eps[i].startSeconds).toBeGreaterThanOrEqual(eps[i - 1].startSeconds);
    expect(USER_FACING_ANOMALY_METRICS).toEqual([TTFT_KEY, 'p95 vllm:inter_token_latency_seconds', 'p95 vllm:e2e_request_latency_seconds', WAITING, 'rate(vllm:num_preemptions_total)']);
  });
});

describe('anomaly episodes on the bundled datasets', () => {
  async function episodes(name: string) {
    const a = await ingest({ inputs: [path.relative(process.cwd(), path.join(root, 'datasets', name))] });
    const view = new AnalysisView(a.metrics, a.config);
    return view.scopes().flatMap((s) => anomalyEpisodesIn(view, s, USER_FACING_ANOMALY_METRICS));
  }
  const hm = (s: number) => new Date(s * 1000).toISOString().slice(11, 16);

  it('healthy-baseline: no user-facing episode', async () => {
    expect(await episodes('healthy-baseline')).toEqual([]);
  });

  it('prefill-starvation: the 15-minute burst (10:20–10:35, queue drained by ~10:39) on both replicas, TTFT and queue', async () => {
    const eps = await episodes('prefill-starvation');
    for (const scope of ['10.0.0.11:8000', '10.0.0.12:8000']) {
      for (const metric of [TTFT_KEY, WAITING]) {
        const e = eps.filter((x) => x.scope === scope && x.metric === metric);
        expect(e).toHaveLength(1);
        expect(hm(e[0].startSeconds) >= '10:19' && hm(e[0].startSeconds) <= '10:21').toBe(true);
        expect(hm(e[0].endSeconds) >= '10:37' && hm(e[0].endSeconds) <= '10:40').toBe(true);
      }
    }
  });

  it('fleet-one-degraded: the throttled replica from minute 30, the healthy one quiet', async () => {
    const eps = await episodes('fleet-one-degraded');
    expect(eps.filter((e) => e.scope === '10.0.0.11:8000')).toEqual([]);
    const itl = eps.filter((e) => e.scope === '10.0.0.12:8000' && e.metric === 'p95 vllm:inter_token_latency_seconds');
    expect(itl).toHaveLength(1);
    expect(hm(itl[0].startSeconds)).toBe('10:29');
    expect(itl[0].ratioToBaseline!).toBeGreaterThan(3);
  });
});
