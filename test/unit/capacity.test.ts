// The capacity review (issue 14 §1, docs/capacity.md): the numerics on hand-computed cases, the capacity
// model's arithmetic, the two findings' truth table, and the whole review on the simulator's
// capacity-week dataset against the generator's own parameters (truth.json: demand growth, weekend
// factor, the capacity measured by constant-rate runs, the saturation date, the replicas needed).

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ols, predict, tQuantile, welch, blockLength, blockMeans, lag1 } from '../../src/stats/regression.js';
import { fitGrowth, projectPeak, projectSaturation } from '../../src/recommend/growth.js';
import { capacityModel } from '../../src/recommend/headroom.js';
import { dailyPeaks, DAY, type DailyPeak } from '../../src/derive/demand.js';
import { counterBins, binsOf } from '../../src/derive/bins.js';
import { arrivalBins } from '../../src/derive/demand.js';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { AnalysisView } from '../../src/derive/view.js';
import { capacityReview } from '../../src/derive/capacity-review.js';
import type { CapacityReview, GroupCapacity, PeakMix, StepTimeModel } from '../../src/model/capacity-result.js';
import type { Result } from '../../src/model/result.js';
import headroomLow from '../../src/diagnoses/capacity-headroom-low.js';
import overprovisioned from '../../src/diagnoses/overprovisioned.js';
import { renderCapacitySection } from '../../src/report/capacity-section.js';
import { clockOf, counter, gauge, ser, viewOf, normal, T0 } from '../support/synthetic.js';
import { ROOT } from '../support/paths.js';

describe('stats/regression', () => {
  it('OLS by hand: y = [1,3,2,5] on x = [0,1,2,3]', () => {
    const f = ols([[1, 0], [1, 1], [1, 2], [1, 3]], [1, 3, 2, 5])!;
    // slope = Σ(x−1.5)(y−2.75) / Σ(x−1.5)² = 5.5 / 5; intercept = 2.75 − 1.1·1.5; RSS = 2.7, s² = 1.35.
    expect(f.beta[0]).toBeCloseTo(1.1, 12);
    expect(f.beta[1]).toBeCloseTo(1.1, 12);
    expect(f.residualVariance).toBeCloseTo(1.35, 12);
    expect(f.se[1]).toBeCloseTo(Math.sqrt(1.35 / 5), 12);
    expect(f.se[0]).toBeCloseTo(Math.sqrt(1.35 * (1 / 4 + 1.5 ** 2 / 5)), 12);
    expect(f.df).toBe(2);
    expect(f.r2).toBeCloseTo(1 - 2.7 / 8.75, 12);
    const p = predict(f, [1, 4]);
    expect(p.value).toBeCloseTo(5.5, 12);
    expect(p.se).toBeCloseTo(Math.sqrt(1.35 * (1 / 4 + 2.5 ** 2 / 5)), 12);
  });
  it('OLS refuses too few points and a singular design', () => {
    expect(ols([[1, 0], [1, 1]], [0, 1])).toBeNull();
    expect(ols([[1, 2], [1, 2], [1, 2]], [0, 1, 2])).toBeNull();
  });
  it('t quantiles match tables', () => {
    expect(tQuantile(0.975, 1)).toBeCloseTo(12.7062047, 5);
    expect(tQuantile(0.975, 2)).toBeCloseTo(4.3026527, 6);
    expect(tQuantile(0.975, 4)).toBeCloseTo(2.7764451, 6);
    expect(tQuantile(0.975, 10)).toBeCloseTo(2.2281389, 6);
    expect(tQuantile(0.025, 10)).toBeCloseTo(-2.2281389, 6);
    expect(tQuantile(0.95, 1e7)).toBeCloseTo(1.6448536, 5);
  });
  it("Welch's test by hand", () => {
    // a: mean 2, var 1 (n 3); b: mean 5, var 1 (n 3): se = √(1/3 + 1/3), df = 4.
    const w = welch([1, 2, 3], [4, 5, 6])!;
    expect(w.difference).toBe(3);
    expect(w.se).toBeCloseTo(Math.sqrt(2 / 3), 12);
    expect(w.df).toBeCloseTo(4, 12);
    expect(w.t).toBeCloseTo(3 / Math.sqrt(2 / 3), 12);
    expect(w.low).toBeCloseTo(3 - 2.7764451 * Math.sqrt(2 / 3), 5);
    expect(w.p).toBeCloseTo(0.0213116, 6); // scipy.stats.t.sf(3.6742, 4) × 2
    expect(welch([1], [2, 3])).toBeNull();
  });
  it('block means: AR(1) block length and means', () => {
    expect(lag1([1, 2, 3, 4, 5, 6])).toBeCloseTo(0.5, 12);
    // ρ = 0.5 → (1 + 0.5) / (1 − 0.5) = 3 values per block.
    expect(blockLength([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])).toBeGreaterThan(1);
    expect(blockMeans([1, 2, 3, 4, 5, 6, 7], 3)).toEqual([2, 5]);
    expect(blockLength([1, -1, 1, -1, 1, -1])).toBe(1);
  });
});

function peaksOf(values: number[], firstDay: number, hour = 15): DailyPeak[] {
  return values.map((v, i) => {
    const day = firstDay + i;
    const dow = (((day + 4) % 7) + 7) % 7;
    const start = day * DAY + hour * 3600;
    return { day, window: { k0: 0, k1: 12, startSeconds: start, endSeconds: start + 3600, requestsPerSecond: v, promptTokensPerSecond: null, outputTokensPerSecond: null }, weekend: dow === 0 || dow === 6, used: true };
  });
}

describe('growth of the daily peak', () => {
  // 2025-11-20 is a Thursday (day 20412).
  const THU = Math.floor(1763632800 / DAY);
  const gen = (days: number, growth: number, weekend: number, noise: () => number, sigma: number) =>
    Array.from({ length: days }, (_, i) => {
      const dow = (((THU + i + 4) % 7) + 7) % 7;
      return 2 * (1 + growth) ** (i + 15.5 / 24) * (dow === 0 || dow === 6 ? weekend : 1) * Math.exp(sigma * noise());
    });
  it('recovers growth and the weekend factor exactly from noise-free peaks', () => {
    const g = fitGrowth(peaksOf(gen(7, 0.04, 0.6, () => 0, 0), THU));
    expect(g.evaluated).toBe(true);
    if (!g.evaluated) return;
    expect(g.growth.weekendTerm).toBe(true);
    expect(g.growth.perDay).toBeCloseTo(0.04, 10);
    expect(g.growth.weekendFactor).toBeCloseTo(0.6, 10);
    // The projected weekday peak 28 days after the origin, at 15:30 (a peak hour's midpoint): 2 · 1.04^(28 + 15.5/24).
    expect(projectPeak(g.growth, (THU + 28) * DAY + 15.5 * 3600).value).toBeCloseTo(2 * 1.04 ** (28 + 15.5 / 24), 8);
    // Saturation at capacity C: t = ln(C / 2) / ln 1.04 days after the origin, found on the hour.
    const C = 5;
    const sat = projectSaturation(g.growth, C, THU * DAY);
    const tExact = THU * DAY + (Math.log(C / 2) / Math.log(1.04)) * DAY;
    expect(sat.atSeconds! - tExact).toBeGreaterThanOrEqual(0);
    expect(sat.atSeconds! - tExact).toBeLessThan(3600);
  });
  it('the 95% interval of the growth covers the generator about 95% of the time (200 seeded weeks with 3% noise)', () => {
    let covered = 0;
    let significant = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const z = normal(seed);
      const g = fitGrowth(peaksOf(gen(14, 0.03, 0.6, z, 0.03), THU));
      if (!g.evaluated) throw new Error('not evaluated');
      if (g.growth.perDayLow <= 0.03 && 0.03 <= g.growth.perDayHigh) covered++;
      if (g.growth.significant) significant++;
    }
    expect(covered).toBeGreaterThanOrEqual(180);
    expect(covered).toBeLessThanOrEqual(198);
    expect(significant).toBe(200);
  });
  it('flat demand: no significant growth in most weeks, and no saturation date within a year at 2× headroom', () => {
    let sig = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const g = fitGrowth(peaksOf(gen(7, 0, 0.6, normal(seed), 0.03), THU));
      if (g.evaluated && g.growth.significant) sig++;
    }
    expect(sig).toBeLessThanOrEqual(12);
    const g = fitGrowth(peaksOf(gen(7, 0, 0.6, () => 0, 0), THU));
    if (!g.evaluated) throw new Error('not evaluated');
    expect(g.growth.significant).toBe(false);
    expect(projectSaturation(g.growth, 4, (THU + 7) * DAY).atSeconds).toBeNull();
  });
  it('too few days, or a weekend inside four days: not evaluated, with the reason', () => {
    const three = fitGrowth(peaksOf([1, 1.1, 1.2], THU + 4)); // Mon–Wed
    expect(three.evaluated).toBe(false);
    const fourWithWeekend = fitGrowth(peaksOf([1, 0.6, 0.6, 1.1], THU + 1)); // Fri–Mon
    expect(fourWithWeekend).toMatchObject({ evaluated: false });
    if (!fourWithWeekend.evaluated) expect(fourWithWeekend.reason).toMatch(/weekend/);
  });
  it('a partial day that misses the peak hour is not used', () => {
    // Bins of 1 h over 30 h starting at 10:00 on a Thursday: the second day ends at 16:00, before 15:00 + 2 h.
    const start = THU * DAY + 10 * 3600;
    const n = 30;
    const arrivals = new Float64Array(n).fill(3600);
    const d = { bins: { start, width: 3600, count: n }, arrivals, finished: arrivals, promptTokens: arrivals, outputTokens: arrivals, replicas: new Float64Array(n).fill(1) };
    const peaks = dailyPeaks(d, 15);
    expect(peaks.map((p) => p.used)).toEqual([true, false]);
  });
});

describe('bins and arrivals', () => {
  it('a counter with a reset, and arrivals = finished + Δ(running + waiting)', () => {
    const c = clockOf(60, 1800); // 31 samples, 6 five-minute bins
    // 2 requests finish per minute; the process restarts at minute 17 (counter starts again from 0).
    const fin = counter(c, (i) => (i === 0 ? 0 : 2));
    const drop = fin[17] - 2;
    for (let i = 17; i < c.n; i++) fin[i] -= drop;
    // In flight grows by 1 per minute during the first 10 minutes, then stays.
    const running = gauge(c, (i) => Math.min(i, 10));
    const view = viewOf([ser(c, 'vllm:request_success_total', fin, { instance: 'r:1', finished_reason: 'stop' }), ser(c, 'vllm:num_requests_running', running, { instance: 'r:1' }), ser(c, 'vllm:num_requests_waiting', new Float64Array(c.n), { instance: 'r:1' })]);
    expect(binsOf(view)).toEqual({ start: T0, width: 300, count: 6 });
    expect(Array.from(counterBins(view, 'vllm:request_success_total', 'r:1')!)).toEqual([10, 10, 10, 10, 10, 10]);
    expect(Array.from(arrivalBins(view, 'r:1')!)).toEqual([15, 15, 10, 10, 10, 10]);
  });
});

const STEP: StepTimeModel = { interceptSeconds: 0.02, slopeSecondsPerSequence: 0.001, slopeStandardError: 0, r2: 1, points: 100, concurrencyMin: 1, concurrencyMax: 20, requestsPerSecondMax: 2, concurrencySource: 'inference-time', tailK: 0.5, tailR2: 0.9 };
const MIX: PeakMix = {
  bins: 12,
  requestsPerSecondPerReplica: 1,
  promptMeanTokens: 1000,
  outputMeanTokens: 101,
  uncachedPromptMeanTokens: 500,
  uncachedSource: 'prefix-hit-ratio',
  serviceMeanSeconds: 10,
  prefillMeanSeconds: 0.1,
  concurrencyMean: 10,
  tbtMeanSeconds: 0.03,
  tbtOverTargetRatio: 0.01,
  ttftOverTargetRatio: 0.001,
  kvTokensPerSequence: 1000,
  kvSource: 'kv-usage',
  poolTokens: 100000,
};
const SLO = { ttftSeconds: 0.5, tbtSeconds: 0.05 };

describe('capacity model arithmetic', () => {
  // C = (o − 1)·τ₁ = 100 × 1 ms = 0.1 s per running sequence; A = S − C·b_p = 10 − 1 = 9 s.
  const m = capacityModel(MIX, STEP, { maxNumSeqs: 50, maxNumSeqsSource: 'log', maxNumBatchedTokens: 2048, poolTokens: 100000 }, SLO);
  const lim = (k: string) => m.limits.find((l) => l.kind === k)!;
  it('running cap: λ = 50 ÷ (9 + 0.1 × 50)', () => {
    expect(lim('running-cap').requestsPerSecond).toBeCloseTo(50 / 14, 12);
    expect(lim('running-cap').numbers).toMatchObject({ serviceInterceptSeconds: 9, maxNumSeqs: 50 });
    expect(lim('running-cap').numbers.serviceSlopeSeconds).toBeCloseTo(0.1, 12);
  });
  it('KV pool: b = 0.9 × 100,000 ÷ 1,000 = 90, λ = 90 ÷ (9 + 9)', () => {
    expect(lim('kv-pool').concurrency).toBeCloseTo(90, 12);
    expect(lim('kv-pool').requestsPerSecond).toBeCloseTo(5, 12);
  });
  it('token budget: λ·500·τ(b(λ)) + b(λ) = 2,048 at the λ it reports', () => {
    const l = lim('token-budget');
    const lam = l.requestsPerSecond!;
    const b = (lam * 9) / (1 - lam * 0.1);
    expect(l.concurrency).toBeCloseTo(b, 6);
    expect(lam * 500 * (0.02 + 0.001 * b) + b).toBeCloseTo(2048, 3);
  });
  it('TBT target: the first of share = 5% (k·λ·τ) and τ = 50 ms; capacity is the smallest limit', () => {
    const l = lim('tbt-target');
    const lam = l.requestsPerSecond!;
    const b = (lam * 9) / (1 - lam * 0.1);
    // Mean: τ = 50 ms at b = 30 → λ = 30 ÷ (9 + 3) = 2.5. Tail: 0.5·λ·τ = 0.05 first, below 2.5.
    expect(l.numbers.meanReachesTargetRequestsPerSecond).toBeCloseTo(2.5, 12);
    expect(0.5 * lam * (0.02 + 0.001 * b)).toBeCloseTo(0.05, 6);
    expect(lam).toBeLessThan(2.5);
    expect(l.numbers.by).toBe('tail');
    expect(m.capacityRequestsPerSecond).toBe(lam);
    expect(m.limitedBy).toBe('tbt-target');
    expect(m.queueRequestsPerSecond).toBeCloseTo(50 / 14, 12);
  });
  it('TTFT already over the target at the peak caps the capacity at the peak rate', () => {
    const m2 = capacityModel({ ...MIX, ttftOverTargetRatio: 0.2 }, STEP, { maxNumSeqs: 50, maxNumSeqsSource: 'log', maxNumBatchedTokens: 2048, poolTokens: 100000 }, SLO);
    expect(m2.capacityRequestsPerSecond).toBe(1);
    expect(m2.limitedBy).toBe('ttft-target');
  });
  it('unknown settings are limits not evaluated, with the reason; no step-time fit holds S at its measured value', () => {
    const m3 = capacityModel(MIX, null, { maxNumSeqs: null, maxNumSeqsSource: null, maxNumBatchedTokens: null, poolTokens: null }, SLO);
    expect(m3.limits.filter((l) => !l.evaluated).map((l) => l.kind)).toEqual(['running-cap', 'kv-pool', 'token-budget', 'tbt-target', 'ttft-target']);
    expect(m3.limits.find((l) => l.kind === 'kv-pool')!.reason).toMatch(/KV pool size is unknown/);
    expect(m3.capacityRequestsPerSecond).toBeNull();
    // With the pool known and no step-time fit, S stays 10 s: b = 90 → λ = 9.
    const m4 = capacityModel(MIX, null, { maxNumSeqs: null, maxNumSeqsSource: null, maxNumBatchedTokens: null, poolTokens: 100000 }, SLO);
    expect(m4.limits.find((l) => l.kind === 'kv-pool')!.requestsPerSecond).toBeCloseTo(9, 12);
    expect(m4.capacityRequestsPerSecond).toBeCloseTo(9, 12);
  });
});

// ------------------------------------------------------------------------------------------------
// Truth table of the two findings on constructed reviews.

function group(over: Partial<GroupCapacity> = {}): GroupCapacity {
  return {
    group: 'A',
    model: 'm',
    replicas: ['a:1', 'b:1', 'c:1', 'd:1'],
    gpusPerReplica: 2,
    gpusPerReplicaKnown: true,
    peak: { startSeconds: T0, endSeconds: T0 + 3600, requestsPerSecond: 4, replicas: 4, kvUsageMeanRatio: 0.1, kvUsageMaxRatio: 0.2, runningMean: 5, runningMax: 9, runningCap: 256, runningCapSource: 'log', waitingMean: 0, waitingMax: 0, gpuUtilMeanPercent: null, smActiveMeanRatio: null },
    mix: null,
    stepTime: null,
    limits: [],
    queueRequestsPerSecond: 6,
    capacityRequestsPerSecond: 5,
    limitedBy: 'tbt-target',
    headroomRatio: 4,
    queueHeadroomRatio: 5,
    extrapolationRatio: 2,
    confidence: 'medium',
    projection: { status: 'no-significant-growth', demandShareRatio: 1, capacityRequestsPerSecond: 20, saturationSeconds: null, earliestSeconds: null, latestSeconds: null, daysAfterWindow: null },
    replicasNeeded: [],
    consolidation: { replicasPresent: 4, replicasNeededAtPeak: 1, replicasNeededInHorizon: 2, plannedCapacityRequestsPerSecond: 5, idleGpuHoursStatic: 100, idleGpuHoursHourly: 150, windowHours: 168 },
    cost: null,
    ...over,
  };
}

function review(groups: GroupCapacity[], price: number | null = null): CapacityReview {
  return { trigger: 'window', windowSeconds: 7 * DAY, binSeconds: 300, timezone: 'UTC', targets: { ttftSeconds: 0.5, tbtSeconds: 0.05, overTargetRatio: 0.05 }, horizonDays: 28, gpuHourPriceUsd: price, models: [], groups };
}

const ctx = (capacity?: CapacityReview) => {
  const view = viewOf([ser(clockOf(60, 600), 'vllm:num_requests_running', new Float64Array(11), { instance: 'a:1' })]);
  return { view, scope: 'fleet', signal: () => undefined, allSignals: () => [], ...(capacity ? { capacity } : {}) } as never;
};
const codes = (o: ReturnType<typeof headroomLow.diagnose>) => (o.kind === 'findings' ? o.findings.map((f) => `${f.severity}:${(f.evidence as { reason?: string }).reason ?? ''}`) : [o.kind]);

describe('CAPACITY_HEADROOM_LOW and OVERPROVISIONED truth table', () => {
  const projected = (days: number) => group({ headroomRatio: 0.6, projection: { status: 'projected', demandShareRatio: 1, capacityRequestsPerSecond: 20, saturationSeconds: T0 + days * DAY, earliestSeconds: T0, latestSeconds: T0 + 2 * days * DAY, daysAfterWindow: days } });
  it('no review: not evaluated', () => {
    expect(headroomLow.diagnose(ctx()).kind).toBe('not-evaluated');
    expect(overprovisioned.diagnose(ctx()).kind).toBe('not-evaluated');
  });
  it('projected within 7 days: critical; within 28: warning; later: nothing', () => {
    expect(codes(headroomLow.diagnose(ctx(review([projected(5)]))))).toEqual(['critical:projected']);
    expect(codes(headroomLow.diagnose(ctx(review([projected(20)]))))).toEqual(['warning:projected']);
    expect(codes(headroomLow.diagnose(ctx(review([projected(28)]))))).toEqual(['warning:projected']);
    expect(codes(headroomLow.diagnose(ctx(review([projected(29)]))))).toEqual(['none']);
  });
  it('headroom under 15% at the peak: warning; already saturated: not this finding', () => {
    expect(codes(headroomLow.diagnose(ctx(review([group({ headroomRatio: 0.1 })]))))).toEqual(['warning:low-headroom']);
    expect(codes(headroomLow.diagnose(ctx(review([group({ headroomRatio: 0.15 })]))))).toEqual(['none']);
    expect(codes(headroomLow.diagnose(ctx(review([group({ headroomRatio: -0.2, projection: { ...group().projection, status: 'saturated' } })]))))).toEqual(['none']);
  });
  it('over-provisioned: 4 replicas where the horizon needs 2 frees 2 × 2 GPUs × 168 h a week', () => {
    const o = overprovisioned.diagnose(ctx(review([group()], 2.5)));
    expect(o.kind).toBe('findings');
    if (o.kind !== 'findings') return;
    expect(o.findings).toHaveLength(1);
    expect(o.findings[0]).toMatchObject({ severity: 'info', scope: 'group A', replicas: ['a:1', 'b:1', 'c:1', 'd:1'] });
    expect(o.findings[0].evidence).toMatchObject({ replicasPresent: 4, replicasNeededInHorizon: 2, replicasToFree: 2, gpuHoursFreedPerWeek: 672, usdPerWeek: 1680, peakUtilizationRatio: 4 / 20 });
  });
  it('not over-provisioned when the horizon needs every replica, or with one replica', () => {
    expect(overprovisioned.diagnose(ctx(review([group({ consolidation: { ...group().consolidation!, replicasNeededInHorizon: 4 } })]))).kind).toBe('none');
    expect(overprovisioned.diagnose(ctx(review([group({ replicas: ['a:1'] })]))).kind).toBe('none');
  });
});

// ------------------------------------------------------------------------------------------------
// The simulator's week, against its generator.

interface Truth {
  end: number;
  capacity: { replica: string; requestsPerSecond: number; limitedBy: string };
  demand: { replica: string; dailyPeaks: { day: string; arrivedRps: number; partial: boolean }[]; growthPerDay: number; weekendFactor: number }[];
  saturation: { capacityRps: number; day: string; peakHourStart: number; daysAfterWindowEnd: number; replicasNeeded: { horizonDays: number; fleetPeakRps: number; replicas: number } };
}

describe('capacity-week: the review against the generator (truth.json)', async () => {
  const dir = path.join(ROOT, 'datasets/capacity-week');
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as Truth;
  const artifacts = await ingest({ inputs: [path.relative(process.cwd(), dir)] });
  const result: Result = runAnalysis(artifacts, { name: 'capacity-week', capacity: { gpuHourPriceUsd: 0.8 } });
  const r = result.capacityReview!;
  const m = r.models[0];
  const g = r.groups[0];

  it('runs by itself on a week: one model, one configuration group of both replicas', () => {
    expect(r.trigger).toBe('window');
    expect(r.models.map((x) => x.model)).toEqual(['meta-llama/Llama-3.2-3B-Instruct']);
    expect(r.groups.map((x) => [x.group, x.replicas])).toEqual([['A', ['10.0.0.11:8000', '10.0.0.12:8000']]]);
  });
  it('demand profile: peak hour 15:00 UTC (the generator peaks at 15:00), a weekly profile, lengths at the peak', () => {
    expect(m.peakHourOfDay).toBe(15);
    expect(m.weekly).toHaveLength(7);
    // Saturday and Sunday carry ≈ 0.6 of a weekday's requests.
    const day = (d: number) => m.weekly.find((w) => w.dayOfWeek === d)!.requestsPerDay!;
    expect(day(6) / day(5)).toBeGreaterThan(0.5);
    expect(day(6) / day(5)).toBeLessThan(0.7);
    expect(m.lengthsAtPeak!.output.meanTokens).toBeGreaterThan(150);
    expect(m.lengthsAtPeak!.prompt.p90Tokens!).toBeGreaterThan(m.lengthsAtPeak!.prompt.p50Tokens!);
  });
  it('daily peaks match what arrived in the generator\'s peak hour (fleet sum) within 6%', () => {
    const sum = new Map<string, number>();
    for (const rep of truth.demand) for (const p of rep.dailyPeaks) if (!p.partial) sum.set(p.day, (sum.get(p.day) ?? 0) + p.arrivedRps);
    for (const [d, rps] of sum) {
      const ours = m.dailyPeaks.find((p) => p.day === d)!;
      expect(Math.abs(ours.requestsPerSecond / rps - 1), d).toBeLessThan(0.06);
    }
  });
  it('growth: the 95% interval contains the generator\'s 4%/day, the estimate within 0.6 points; weekend factor 0.6 ± 0.05', () => {
    const gr = m.growth;
    expect(gr.evaluated).toBe(true);
    if (!gr.evaluated) return;
    const want = truth.demand[0].growthPerDay;
    expect(gr.perDayLowRatio).toBeLessThanOrEqual(want);
    expect(gr.perDayHighRatio).toBeGreaterThanOrEqual(want);
    expect(Math.abs(gr.perDayRatio - want)).toBeLessThan(0.006);
    expect(gr.significant).toBe(true);
    expect(Math.abs(gr.weekendFactor! - truth.demand[0].weekendFactor)).toBeLessThan(0.05);
  });
  it('capacity: limited by the time-between-tokens target like the constant-rate runs, within 20% of their 2.46 requests/s', () => {
    expect(g.limitedBy).toBe('tbt-target');
    expect(truth.capacity.limitedBy).toBe('tbt');
    const ratio = g.capacityRequestsPerSecond! / truth.capacity.requestsPerSecond;
    expect(ratio).toBeGreaterThan(0.85);
    expect(ratio).toBeLessThan(1.2);
    // The step-time line is read off the window: decode steps grow with the batch.
    expect(g.stepTime!.slopeSecondsPerSequence).toBeGreaterThan(0);
    expect(g.stepTime!.concurrencySource).toBe('inference-time');
    // No queue at the peak: the queue limit lies beyond the latency limit.
    expect(g.queueRequestsPerSecond!).toBeGreaterThan(g.capacityRequestsPerSecond!);
  });
  it('saturation with the generator\'s capacity: the fitted projection lands within a day of truth.json\'s date, inside its band', () => {
    const peaks = m.dailyPeaks.map((p) => ({ day: Math.floor(p.startSeconds / DAY), window: { k0: 0, k1: 0, startSeconds: p.startSeconds, endSeconds: p.startSeconds + 3600, requestsPerSecond: p.requestsPerSecond, promptTokensPerSecond: null, outputTokensPerSecond: null }, weekend: p.weekend, used: p.used }));
    const fit = fitGrowth(peaks);
    if (!fit.evaluated) throw new Error(fit.reason);
    const sat = projectSaturation(fit.growth, truth.saturation.capacityRps * 2, truth.end);
    expect(Math.abs(sat.atSeconds! - truth.saturation.peakHourStart) / DAY).toBeLessThan(1);
    expect(sat.earliestSeconds!).toBeLessThanOrEqual(truth.saturation.peakHourStart + 3600);
    expect(sat.latestSeconds!).toBeGreaterThanOrEqual(truth.saturation.peakHourStart - 3600);
  });
  it('saturation with its own capacity: projected within the horizon, within 5 days of the truth (20% capacity error = 4.6 days at 4%/day)', () => {
    expect(g.projection.status).toBe('projected');
    const days = (g.projection.saturationSeconds! - truth.end) / DAY;
    expect(Math.abs(days - truth.saturation.daysAfterWindowEnd)).toBeLessThan(5);
    expect(g.projection.earliestSeconds!).toBeLessThan(g.projection.saturationSeconds!);
    expect(g.projection.latestSeconds!).toBeGreaterThan(g.projection.saturationSeconds!);
    const f = result.findings.find((x) => x.code === 'CAPACITY_HEADROOM_LOW')!;
    expect(f).toMatchObject({ severity: 'warning', scope: 'group A', replicas: ['10.0.0.11:8000', '10.0.0.12:8000'] });
    expect(f.evidence.reason).toBe('projected');
  });
  it('replicas needed at the peak 4 weeks out: the truth\'s 4 (± 1 for the capacity error)', () => {
    const w4 = g.replicasNeeded.find((w) => w.week === 4)!;
    expect(w4.basis).toBe('growth');
    expect(Math.abs(w4.replicas - truth.saturation.replicasNeeded.replicas)).toBeLessThanOrEqual(1);
    expect(Math.abs(w4.peakRequestsPerSecond / truth.saturation.replicasNeeded.fleetPeakRps - 1)).toBeLessThan(0.1);
    // Not over-provisioned: the horizon needs more than the two replicas.
    expect(g.consolidation!.replicasNeededInHorizon).toBeGreaterThan(2);
    expect(result.findings.some((x) => x.code === 'OVERPROVISIONED')).toBe(false);
  });
  it('cost: tokens per GPU-second and $ per million tokens from the counters and the GPU-hours', () => {
    const c = g.cost!;
    expect(c.gpuHours).toBeCloseTo((2 * Math.floor((r.windowSeconds + 1e-6) / r.binSeconds) * r.binSeconds) / 3600, 6);
    expect(c.tokensPerGpuSecond).toBeCloseTo((c.promptTokens! + c.outputTokens!) / (c.gpuHours * 3600), 9);
    expect(c.usdPerMillionTokens).toBeCloseTo((0.8 * c.gpuHours) / ((c.promptTokens! + c.outputTokens!) / 1e6), 9);
  });
  it('the report shows the arithmetic', () => {
    const md = renderCapacitySection(r);
    expect(md).toMatch(/^## Capacity review/);
    expect(md).toMatch(/τ\(b\) = [\d.]+ ms \+ [\d.]+ ms × b/);
    expect(md).toMatch(/\| the time-between-tokens target \| latency target \|/);
    expect(md).toMatch(/b = 0\.9 × 122,208 pool tokens ÷/);
    expect(md).toMatch(/Growth of the weekday peak: \+4\.\d+% a day \(95% interval/);
    expect(md).toMatch(/\$[\d.]+ per million tokens/);
  });
});

describe('OVERPROVISIONED on a short window with --capacity, and GPU_UNDERUTILIZED under it', () => {
  it('underutilized-demand: two replicas at 0.3 requests/s, one is enough; each replica\'s demand-bound finding is its consequence', async () => {
    const artifacts = await ingest({ inputs: [path.relative(process.cwd(), path.join(ROOT, 'datasets/underutilized-demand'))] });
    const plain = runAnalysis(artifacts, { name: 'u' });
    expect(plain.capacityReview).toBeUndefined();
    expect(plain.notEvaluated.map((n) => n.code)).toEqual(expect.arrayContaining(['CAPACITY_HEADROOM_LOW', 'OVERPROVISIONED']));
    const r = runAnalysis(artifacts, { name: 'u', capacity: { force: true } });
    expect(r.capacityReview!.trigger).toBe('flag');
    const over = r.findings.find((f) => f.code === 'OVERPROVISIONED')!;
    expect(over).toMatchObject({ severity: 'info', scope: 'group A' });
    expect(over.evidence).toMatchObject({ replicasPresent: 2, replicasNeededInHorizon: 1, replicasToFree: 1, gpuHoursFreedPerWeek: 168 });
    // Planned at no more than 3 × the busiest rate a replica was measured at.
    const g = r.capacityReview!.groups[0];
    expect(g.consolidation!.plannedCapacityRequestsPerSecond).toBeLessThanOrEqual(3 * g.stepTime!.requestsPerSecondMax + 1e-9);
    const under = r.findings.filter((f) => f.code === 'GPU_UNDERUTILIZED');
    expect(under).toHaveLength(2);
    for (const f of under) expect(f.causedBy).toBe(over.id);
  });
});

describe('capacityReview guards', () => {
  it('a window under a day without --capacity: no review; a single replica-less scrape: none', async () => {
    const c = clockOf(60, 3600);
    const view = viewOf([ser(c, 'vllm:request_success_total', counter(c, () => 1), { instance: 'a:1' })]);
    expect(capacityReview(view)).toBeNull();
    const r = capacityReview(view, { force: true })!;
    expect(r.groups).toHaveLength(1);
    // Only a finished counter: no running time, so no capacity, and every limit says why.
    expect(r.groups[0].capacityRequestsPerSecond).toBeNull();
    expect(r.groups[0].limits.every((l) => !l.evaluated && (l.reason ?? '').length > 0)).toBe(true);
    expect(new AnalysisView(view.metrics, view.config).grid.length).toBeGreaterThan(1);
  });
});
