// Latency per 5-minute window and error-budget burn rates: hand-computed values on deterministic
// histograms (counts per scrape chosen so the shares are exact), the workbook's alert spans at the
// burn levels they imply, the quantile-bucket fields and the impossible-order caveat, and the datasets.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AnalysisView, FLEET } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import { BUDGET_RATIO, burnRateSeries, latencyBurn, latencyWindows } from '../../src/derive/burn.js';
import { centredShareAbove, shareAboveSeries } from '../../src/derive/windowed.js';
import { impossibleOrderCaveat, latencyRow, latencyRows } from '../../src/derive/summaries.js';
import type { LatencyRow } from '../../src/model/result.js';
import { ingest } from '../../src/ingest/index.js';
import { SLO_PROFILES } from '../../src/derive/slo.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const START = 1_763_625_600; // 2025-11-20 08:00:00Z
const E2E = 'vllm:e2e_request_latency_seconds';
const LES = [0.1, 0.5, 1, Infinity];
const noConfig = { values: {}, conflicts: [] };

/**
 * One histogram whose scrape interval ending at t adds `per(t)` observations to the buckets
 * (≤0.1, (0.1,0.5], (0.5,1], >1), at 0.05 / 0.3 / 0.75 / 2 s each (for `_sum`).
 */
function histogram(seconds: number, per: (t: number) => [number, number, number, number], name = E2E, instance = 'a:8000'): Series[] {
  const n = seconds / 10 + 1;
  const t = Float64Array.from({ length: n }, (_, i) => START + 10 * i);
  const cum = LES.map(() => new Float64Array(n));
  const sum = new Float64Array(n);
  const c = [0, 0, 0, 0];
  let s = 0;
  for (let i = 1; i < n; i++) {
    const k = per(t[i]);
    for (let j = 0; j < 4; j++) c[j] += k[j];
    s += 0.05 * k[0] + 0.3 * k[1] + 0.75 * k[2] + 2 * k[3];
    let acc = 0;
    for (let j = 0; j < 4; j++) {
      acc += c[j];
      cum[j][i] = acc;
    }
    sum[i] = s;
  }
  return [
    ...LES.map((le, j) => ({ name: `${name}_bucket`, labels: { instance, le: le === Infinity ? '+Inf' : String(le) }, t, v: cum[j] })),
    { name: `${name}_sum`, labels: { instance }, t, v: sum },
    { name: `${name}_count`, labels: { instance }, t, v: Float64Array.from(cum[3]) },
  ];
}

const view = (series: Series[]) => new AnalysisView(new MetricSet(series), noConfig);
const idx = (v: AnalysisView, t: number) => Math.round((t - v.start) / v.step);

describe('share over target and burn rate (trailing windows)', () => {
  // 2 h; 10 minutes from 60 min: half the requests in (0.5, 1]; otherwise 1 in 50
  const T = START + 3600;
  const v = view(histogram(7200, (t) => (t > T && t <= T + 600 ? [25, 0, 25, 0] : [49, 0, 1, 0])));

  it('at a bucket bound: exactly the share of the buckets above it, / 5 %', () => {
    const b = burnRateSeries(v, E2E, FLEET, 0.5, 300)!;
    expect(b[idx(v, T)]).toBeCloseTo(0.02 / BUDGET_RATIO, 12); // the 5 minutes before the incident
    expect(b[idx(v, T + 600)]).toBeCloseTo(0.5 / BUDGET_RATIO, 12); // the last 5 minutes of it
    expect(b[idx(v, T + 300)]).toBeCloseTo(10, 12);
    // a window not inside the data is not evaluated
    expect(Number.isNaN(b[idx(v, START + 200)])).toBe(true);
    expect(b[idx(v, START + 290)]).toBeCloseTo(0.4, 12);
  });

  it('inside a bucket: linear interpolation (0.75 s is halfway through (0.5, 1])', () => {
    const s = shareAboveSeries(v, E2E, 0.75, FLEET, 300, 'trailing')!;
    expect(s[idx(v, T)]).toBeCloseTo(0.01, 12);
    expect(s[idx(v, T + 600)]).toBeCloseTo(0.25, 12);
    // the centred variant equals the full-bucket computation of windowed.ts
    const c = shareAboveSeries(v, E2E, 0.75, FLEET, 300, 'centred')!;
    const ref = centredShareAbove(v, E2E, 0.75, FLEET, 300)!;
    for (let i = 0; i < c.length; i++) {
      if (Number.isNaN(ref[i])) expect(Number.isNaN(c[i])).toBe(true);
      else expect(c[i]).toBeCloseTo(ref[i], 12);
    }
  });

  it('5-minute windows: share over target, worst window', () => {
    const w = latencyWindows(v, E2E, FLEET, 0.5)!;
    expect(w.windowSeconds).toBe(300);
    // centred windows fully inside the data: grid points from start+150 to end−150 (one step of slack each side)
    expect(w.evaluated).toBe((7200 - 300) / 10 + 1 + 2);
    // a window is over target once more than 1/16 of its scrapes are incident scrapes (24m + k > 2.5k):
    // from ~2.5 min before the incident to ~2.5 min after it — between 10 and 15 minutes of windows
    expect(w.overTargetSeconds).toBeGreaterThanOrEqual(600);
    expect(w.overTargetSeconds).toBeLessThanOrEqual(900);
    expect(w.overTargetRatio).toBeCloseTo(w.overTarget / w.evaluated, 15);
    // worst: a window wholly inside the incident, p95 at rank 47.5 of 50: 0.5 + 0.5 · (47.5 − 25)/25
    expect(w.worst!.p95Seconds).toBeCloseTo(0.95, 9);
    expect(w.worst!.startSeconds).toBeGreaterThanOrEqual(T - 10);
    expect(w.worst!.endSeconds).toBeLessThanOrEqual(T + 610);
    expect(w.worst!.endSeconds - w.worst!.startSeconds).toBe(300);
  });
});

describe('the workbook alerts', () => {
  it('fast burn: pages when both the 1 h and the 5 m burn exceed 14.4 — from 42.9 min into an hour of total failure to 1.4 min after it', () => {
    // 2 h; from 45 to 105 min every request is over the 0.5 s target (burn 20); otherwise 1 in 50 (0.4)
    const A = START + 45 * 60;
    const E = START + 105 * 60;
    const v = view(histogram(7200, (t) => (t > A && t <= E ? [0, 0, 50, 0] : [49, 0, 1, 0])));
    const burn = latencyBurn(v, E2E, FLEET, 0.5)!;
    expect(burn.budgetRatio).toBe(0.05);
    const fast = burn.alerts.find((a) => a.name === 'fast')!;
    expect(fast.evaluated).toBe(true);
    expect(fast.spans).toHaveLength(1);
    // 1 h burn > 14.4 ⇔ (20 b + 0.4 (60 − b)) / 60 > 14.4 ⇔ b > 42.86 bad minutes → from A + 42.86 min
    expect(Math.abs(fast.spans[0].startSeconds - (A + (840 / 19.6) * 60))).toBeLessThanOrEqual(10);
    // 5 m burn > 14.4 ⇔ (20 (5 − x) + 0.4 x) / 5 > 14.4 ⇔ x < 1.43 min after the end
    expect(Math.abs(fast.spans[0].endSeconds - (E + (28 / 19.6) * 60))).toBeLessThanOrEqual(20);
    expect(fast.spans[0].peakShortBurnRate).toBeCloseTo(20, 9);
    expect(fast.spans[0].peakLongBurnRate).toBeCloseTo(20, 9);
    const h1 = burn.rates.find((r) => r.windowSeconds === 3600)!;
    expect(h1.maxBurnRate).toBeCloseTo(20, 9);
    expect(h1.atSeconds).toBe(E);
    // 2 hours of data: the 6 h / 30 m pair is not evaluated, and says why
    const slow = burn.alerts.find((a) => a.name === 'slow')!;
    expect(slow.evaluated).toBe(false);
    expect(slow.reason).toBe('the data covers 2 h, less than the 6 h long window');
    expect(burn.rates.map((r) => r.windowSeconds)).toEqual([300, 1800, 3600]);
  });

  it('slow burn: a ticket when both the 6 h and the 30 m burn exceed 6', () => {
    // 10 h; 40 % of requests over target (burn 8) from 3 h to 9.5 h; otherwise 2 % (burn 0.4)
    const A = START + 3 * 3600;
    const E = START + 9.5 * 3600;
    const v = view(histogram(10 * 3600, (t) => (t > A && t <= E ? [30, 0, 20, 0] : [49, 0, 1, 0])));
    const burn = latencyBurn(v, E2E, FLEET, 0.5)!;
    const slow = burn.alerts.find((a) => a.name === 'slow')!;
    expect(slow.evaluated).toBe(true);
    expect(slow.spans).toHaveLength(1);
    // 6 h: (0.4 b + 0.02 (6 − b)) / 6 > 0.3 ⇔ b > 4.42 h of incident (and the 6 h window is inside the data from 6 h on)
    expect(Math.abs(slow.spans[0].startSeconds - (A + (1.68 / 0.38) * 3600))).toBeLessThanOrEqual(10);
    // 30 m: ((0.5 − x) 0.4 + 0.02 x) / 0.5 > 0.3 ⇔ x < 0.1316 h after the end
    expect(Math.abs(slow.spans[0].endSeconds - (E + (0.05 / 0.38) * 3600))).toBeLessThanOrEqual(20);
    expect(slow.spans[0].peakShortBurnRate).toBeCloseTo(8, 9);
    // the fast pair never fires: 8 < 14.4
    expect(burn.alerts.find((a) => a.name === 'fast')!.spans).toEqual([]);
    expect(burn.rates.map((r) => r.windowSeconds)).toEqual([300, 1800, 3600, 21600]);
  });
});

describe('latency rows: buckets and the impossible order', () => {
  it('quantile buckets: wide ones flagged; a target above the highest finite bound counts the overflow as over it', () => {
    // 90 % in (0, 0.1], 9 % in (0.5, 1], 1 % above 1 s
    const v = view(histogram(3600, () => [90, 0, 9, 1]));
    const r = latencyRow(v, 'e2e', FLEET, 10)!;
    expect(r.p50Bucket).toEqual({ lowerSeconds: 0, upperSeconds: 0.1, wide: true });
    expect(r.p95Bucket).toEqual({ lowerSeconds: 0.5, upperSeconds: 1, wide: false });
    expect(r.p99Bucket!.upperSeconds).toBe(1); // rank 99 of 100 is the last in (0.5, 1]
    expect(r.windows!.overTarget).toBe(0);
    // the 1 % above 1 s may or may not be above the 10 s target: counted as over it (an upper bound), burn 1 % / 5 %
    expect(r.burn!.rates[0].maxBurnRate).toBeCloseTo(0.2, 12);
    expect(r.caveat).toContain('the target 10 s is above the highest finite bucket bound (1 s): every request above 1 s is counted as over the target, so the burn rates are upper bounds');
  });

  const row = (o: Partial<LatencyRow>): LatencyRow => ({ id: 'ttft', metric: 'm', scope: 'fleet', p50Seconds: null, p95Seconds: null, p99Seconds: null, meanSeconds: null, requests: 1000, targetSeconds: 1, overTargetRatio: null, verdict: 'met', ...o });

  it('an end-to-end p95 below the TTFT p95 is explained by the buckets, with the bounds they imply', () => {
    const ttft = row({ p95Seconds: 448.4, p95Bucket: { lowerSeconds: 160, upperSeconds: 640, wide: true } });
    const e2e = row({ id: 'e2e', p95Seconds: 239.7, p95Bucket: { lowerSeconds: 120, upperSeconds: 240, wide: true }, requests: 950 });
    expect(impossibleOrderCaveat(ttft, e2e)).toBe(
      'end-to-end p95 239.7 s is below TTFT p95 448.4 s, which no request can do: the two come from different bucket layouts — TTFT p95 interpolated in (160 s, 640 s], end-to-end in (120 s, 240 s]; the true TTFT p95 is at most 240 s and the true end-to-end p95 at least 160 s; the histograms also count different requests (TTFT 1000 at first token, end-to-end 950 at completion)',
    );
    expect(impossibleOrderCaveat(ttft, row({ id: 'e2e', p95Seconds: 500, p95Bucket: { lowerSeconds: 480, upperSeconds: 960, wide: true } }))).toBeNull();
  });

  it('latencyRows attaches the caveat to the end-to-end row of the scope', () => {
    // TTFT: all in (0.5, 1] → p95 0.975; E2E: all in (0.1, 0.5] → p95 0.48: impossible
    const v = view([...histogram(3600, () => [0, 0, 10, 0], 'vllm:time_to_first_token_seconds'), ...histogram(3600, () => [0, 10, 0, 0])]);
    const rows = latencyRows(v, SLO_PROFILES.chat);
    const e2e = rows.find((r) => r.id === 'e2e')!;
    expect(e2e.caveat).toContain('end-to-end p95 480 ms is below TTFT p95 975 ms');
    expect(e2e.caveat).toContain('the true TTFT p95 is at most 500 ms and the true end-to-end p95 at least 500 ms');
    expect(rows.find((r) => r.id === 'ttft')!.caveat ?? '').not.toContain('below TTFT');
  });
});

describe('on the bundled datasets', () => {
  async function rows(name: string) {
    const a = await ingest({ inputs: [path.relative(process.cwd(), path.join(root, 'datasets', name))] });
    const v = new AnalysisView(a.metrics, a.config);
    return latencyRows(v, SLO_PROFILES.chat);
  }
  const hm = (s: number) => new Date(s * 1000).toISOString().slice(11, 16);

  it('prefill-starvation: ~40 % of 5-minute windows over the TTFT target, the worst inside the burst, no page (1 h burn ≈ 7)', async () => {
    for (const r of (await rows('prefill-starvation')).filter((x) => x.id === 'ttft')) {
      expect(r.windows!.overTargetRatio!).toBeGreaterThan(0.35);
      expect(r.windows!.overTargetRatio!).toBeLessThan(0.5);
      expect(hm(r.windows!.worst!.startSeconds) >= '10:20' && hm(r.windows!.worst!.endSeconds) <= '10:40').toBe(true);
      expect(r.burn!.rates.find((x) => x.windowSeconds === 300)!.maxBurnRate).toBeCloseTo(20, 9);
      const h1 = r.burn!.rates.find((x) => x.windowSeconds === 3600)!;
      expect(h1.evaluated).toBe(1);
      expect(h1.maxBurnRate!).toBeGreaterThan(6);
      expect(h1.maxBurnRate!).toBeLessThan(8);
      expect(r.burn!.alerts.find((a) => a.name === 'fast')!.spans).toEqual([]);
    }
  });

  it('kv-cache-thrashing: the hour ends in a fast burn (1 h > 14.4); memory-leak (3 h, healthy latency): no burn', async () => {
    for (const r of (await rows('kv-cache-thrashing')).filter((x) => x.id === 'ttft')) {
      const fast = r.burn!.alerts.find((a) => a.name === 'fast')!;
      expect(fast.spans).toHaveLength(1);
      expect(fast.spans[0].peakLongBurnRate).toBeGreaterThan(14.4);
    }
    for (const r of await rows('memory-leak')) {
      expect(r.burn!.rates.find((x) => x.windowSeconds === 3600)!.evaluated).toBe(721);
      expect(r.burn!.rates.every((x) => x.maxBurnRate! < 0.2)).toBe(true);
      expect(r.windows!.overTarget).toBe(0);
    }
  });
});
