// Detectors under the episodic contract, on seeded synthetic series with injected incidents at several
// noise levels: the status, each episode's start and end against the injected incident, the episode
// numbers, the whole-window evidence, the threshold edges of every named option, and insufficient-data
// with its reason. Then the key property of issue 9 §2: a 30-minute incident is found the same way in a
// 2-hour, a 24-hour and a 7-day window (the 7-day grid is coarsened by MAX_GRID_POINTS).
//
// Unless a test says otherwise the window is 2 hours scraped every 10 s (721 samples; the analysis grid is
// the sample times) and the incident runs from 01:00 to 01:20 (offsets 3600 … 4800 s; samples 360 … 479
// for gauges, counter increments on samples 361 … 480). The sliding window is 5 minutes (30 points).

import { describe, expect, it } from 'vitest';
import type { AnalysisView } from '../../src/derive/view.js';
import { MAX_GRID_POINTS } from '../../src/derive/view.js';
import { findEpisodes, type AnyDetector, type DetectOutcome, type TypedEpisode } from '../../src/detectors/define-detector.js';
import { DETECTORS } from '../../src/detectors/index.js';
import { centredGauge, episodeWindowSeconds } from '../../src/derive/windowed.js';
import { runAnalysis } from '../../src/engine.js';
import type { DetectorId } from '../../src/model/vocabulary.js';
import type { Series } from '../../src/model/series.js';
import { SLO_PROFILES } from '../../src/derive/slo.js';
import {
  artifactsOf,
  cacheConfigInfo,
  clockOf,
  counter,
  gauge,
  GIB,
  histogram,
  MIB,
  normal,
  processStart,
  ser,
  T0,
  viewOf,
  type Clock,
  type Flags,
} from '../support/synthetic.js';

const C = clockOf(10, 7200);
const R = 'r1:8000';
const L = { instance: R };
/** The injected incident, in seconds from the window's start, and its sample indices [A, B). */
const FROM = 3600;
const TO = 4800;
const A = 360;
const B = 480;
const during = (i: number) => i >= A && i < B;
/** Counter increments that happen during the incident (between samples A and B). */
const incDuring = (i: number) => i > A && i <= B;
const W = 300;
/** Noise levels, as a fraction of the signal's level. */
const SIGMAS = [0, 0.01, 0.05] as const;

type Outcome = DetectOutcome<DetectorId>;
type Ep = TypedEpisode<Record<string, number | null>>;
type Found = { status: 'ok' | 'issue'; evidence: Record<string, unknown>; episodes: Ep[] };

function det(id: DetectorId): AnyDetector {
  const d = DETECTORS.find((x) => x.id === id);
  if (!d) throw new Error(`no detector ${id}`);
  return d;
}

function detect(id: DetectorId, view: AnalysisView, scope = R, options: object = {}): Outcome {
  const d = det(id);
  return d.detect(view, { ...d.options, ...options }, scope);
}

function run(id: DetectorId, series: Series[], flags: Flags = {}, scope = R, options: object = {}): Outcome {
  return detect(id, viewOf(series, flags), scope, options);
}

function evaluated(o: Outcome): Found {
  if (o.status === 'insufficient-data') throw new Error(`insufficient-data: ${o.reason}`);
  return o as unknown as Found;
}

/** The single episode of an outcome (fails unless there is exactly one). */
function only(o: Outcome): Ep {
  const f = evaluated(o);
  expect(f.status).toBe('issue');
  expect(f.episodes).toHaveLength(1);
  return f.episodes[0];
}

/** Start and end of an episode in seconds from the clock's start. */
const offsets = (e: Ep, c: Clock = C): [number, number] => [e.startSeconds - c.t0, e.endSeconds - c.t0];

/**
 * The samples of a series on the 2-hour clock inside an episode's span [start, end): the grid is the
 * sample times, and the point at the episode's end belongs to the next stretch (episodes inside the window).
 */
function inSpan(s: Series, e: Ep): number[] {
  expect(e.endSeconds).toBeLessThan(C.t0 + 7200);
  return Array.from(s.v.subarray((e.startSeconds - C.t0) / C.step, (e.endSeconds - C.t0) / C.step));
}

function engineSignal(series: Series[], id: DetectorId, scope: string, flags: Flags = {}) {
  const r = runAnalysis(artifactsOf(series, flags), { name: 't' });
  const s = r.signals.find((x) => x.id === id && x.scope === scope);
  if (!s) throw new Error(`no signal ${id}@${scope}`);
  return s;
}

// A series that keeps the window and the replica when a test leaves out the metric under test.
const clock = (c: Clock = C): Series => ser(c, 'vllm:num_requests_running', gauge(c, () => 1), L);

it('the registry holds one detector per id, in vocabulary order', () => {
  expect(DETECTORS.map((d) => d.id)).toEqual([
    'kv-pressure',
    'preemptions',
    'latency-ttft',
    'latency-tbt',
    'latency-e2e',
    'queue-buildup',
    'batch-plateau',
    'gpu-utilization',
    'memory-growth',
    'prefix-cache-hit-rate',
    'kv-swapping',
    'throughput-drop',
    'oom-risk',
    'restarts',
    'replica-slowdown',
  ]);
});

it('the synthetic clock gives a 10 s grid of 721 points and a 5-minute sliding window', () => {
  const v = viewOf([clock()]);
  expect(v.step).toBe(10);
  expect(v.grid.length).toBe(721);
  expect(v.grid[0]).toBe(T0);
  expect(v.grid[720]).toBe(T0 + 7200);
  expect(episodeWindowSeconds(v)).toBe(W);
  expect(v.replicas).toEqual([R]);
});

// ------------------------------------------------------------------------------------------------
describe('findEpisodes with an unsmoothed condition (10 s grid, window 300 s, half a window = 15 points)', () => {
  const v = viewOf([clock()]);
  const within = (lo: number, hi: number) => (i: number) => i >= lo && i <= hi;
  const any = (...fs: ((i: number) => boolean)[]) => (i: number) => fs.some((f) => f(i));
  const spans = (holds: (i: number) => boolean, raw: (i: number) => boolean) =>
    findEpisodes(v, { holds, raw, numbers: () => ({}) }).map((e) => [e.startSeconds - T0, e.endSeconds - T0]);

  it('edges follow the raw condition, but no further than half a window from the smoothed ones', () => {
    // Back from 100 to where raw starts (95); forward from 110 while raw holds, stopping at 110 + 15.
    expect(spans(within(100, 110), within(95, 130))).toEqual([[950, 1260]]);
    // Inward from 100 and 150 to the raw stretch 110 … 140.
    expect(spans(within(100, 150), within(110, 140))).toEqual([[1100, 1410]]);
  });

  it('an edge with no raw point within half a window of it stays where the smoothed condition put it', () => {
    expect(spans(within(100, 140), () => false)).toEqual([[1000, 1410]]);
    expect(spans(within(100, 200), within(140, 160))).toEqual([[1000, 2010]]);
  });

  it('the minimum duration reads the refined edges: 30 raw points are an episode, 29 none', () => {
    expect(spans(within(110, 120), within(100, 129))).toEqual([[1000, 1300]]);
    expect(spans(within(110, 120), within(100, 128))).toEqual([]);
  });

  it('bridging reads the refined edges: smoothed runs 9 points apart are two episodes when their raw stretches lie 34 apart', () => {
    expect(spans(any(within(100, 150), within(160, 220)), any(within(110, 140), within(175, 210)))).toEqual([
      [1100, 1410],
      [1750, 2110],
    ]);
    // … and smoothed runs 34 points apart are one when their raw stretches lie 4 apart (40 s of calm).
    expect(spans(any(within(100, 110), within(145, 160)), any(within(100, 125), within(130, 160)))).toEqual([[1000, 1610]]);
  });

  it('at the grid\'s ends: raw stretches reaching the first or last point end there, the last one at the window\'s end', () => {
    expect(spans(within(0, 20), within(0, 30))).toEqual([[0, 310]]);
    expect(spans(within(700, 720), within(690, 720))).toEqual([[6900, 7200]]);
  });
});

// ------------------------------------------------------------------------------------------------
describe('kv-pressure', () => {
  // 0.5 outside the incident, 0.98 during it; noise σ (absolute, KV usage is a ratio), clipped to [0, 1].
  const kv = (sigma: number, seed = 11, level = 0.98) => ser(C, 'vllm:kv_cache_usage_perc', gauge(C, (i) => (during(i) ? level : 0.5), { sigma, seed, lo: 0, hi: 1 }), L);

  for (const sigma of SIGMAS) {
    it(`a 20-minute incident at 98% on a 50% baseline: one episode from its first to its last sample at or above 90% at σ = ${sigma * 100}%`, () => {
      const s = kv(sigma);
      const e = only(run('kv-pressure', [s]));
      // The 5-minute centred mean reaches 0.9 when 25 of its 30 points are in the incident (0.5 + 0.48 × 25/30),
      // ten points inside it; the edges then move, within half a window, to where the samples themselves
      // are ≥ 0.9: the incident's first and last point (noise of σ 5% can push one below).
      const hot = [...s.v.keys()].filter((i) => s.v[i] >= 0.9);
      expect(hot[0]).toBeGreaterThanOrEqual(A);
      expect(hot[hot.length - 1]).toBeLessThan(B);
      expect(offsets(e)).toEqual([hot[0] * 10, (hot[hot.length - 1] + 1) * 10]);
      if (sigma < 0.05) expect(offsets(e)).toEqual([FROM, TO]);
      else expect(hot[0] - A + (B - 1 - hot[hot.length - 1])).toBeLessThanOrEqual(2);
      // The episode's numbers are those of its own samples, no calm point among them.
      const own = inSpan(s, e);
      expect(e.numbers.kvMeanRatio).toBeCloseTo(own.reduce((x, y) => x + y, 0) / own.length, 12);
      expect(e.numbers.kvMaxRatio).toBe(Math.max(...own));
      expect(e.peakAtSeconds).toBe(e.startSeconds + 10 * own.indexOf(Math.max(...own)));
      if (sigma === 0) {
        expect(e.numbers.kvMeanRatio).toBeCloseTo(0.98, 12);
        expect(e.numbers.kvMaxRatio).toBe(0.98);
        expect(e.peakAtSeconds).toBe(T0 + FROM);
      } else expect(Math.abs(e.numbers.kvMeanRatio! - 0.98)).toBeLessThan(sigma);
    });
  }

  it('whole-window evidence (noise-free)', () => {
    const o = evaluated(run('kv-pressure', [kv(0)]));
    // 601 points at 0.5, 120 at 0.98; p95 (type 7) at position 0.95 × 720 = 684 ≥ 601 → 0.98
    expect(o.evidence).toEqual({
      kvMeanRatio: expect.closeTo((601 * 0.5 + 120 * 0.98) / 721, 12),
      kvP95Ratio: 0.98,
      kvMaxRatio: 0.98,
      highThresholdRatio: 0.9,
      timeAboveThresholdRatio: 120 / 721,
    });
  });

  it('noise only on the 50% baseline (σ 5%): ok, no episode, nothing above 90%', () => {
    const o = evaluated(run('kv-pressure', [ser(C, 'vllm:kv_cache_usage_perc', gauge(C, () => 0.5, { sigma: 0.05, seed: 3 }), L)]));
    expect(o.status).toBe('ok');
    expect(o.episodes).toEqual([]);
    expect(o.evidence.timeAboveThresholdRatio).toBe(0);
  });

  it('highRatio edge: a window-long 0.9001 is one episode over the whole window, 0.8999 is none', () => {
    // (Exactly 0.9 sits on the edge of floating-point rounding: a sum of 30 × 0.9 divided by 30 is 0.8999….)
    const flat = (x: number) => [ser(C, 'vllm:kv_cache_usage_perc', gauge(C, () => x), L)];
    expect(offsets(only(run('kv-pressure', flat(0.9001))))).toEqual([0, 7200]);
    const below = evaluated(run('kv-pressure', flat(0.8999)));
    expect(below.status).toBe('ok');
    expect(below.episodes).toEqual([]);
    // The option is read: at highRatio 0.99 the 98% incident is not pressure.
    expect(evaluated(run('kv-pressure', [kv(0)], {}, R, { highRatio: 0.99 })).status).toBe('ok');
  });

  it('an episode lasts at least one sliding window of its own samples: a 1.0 burst of 30 points (300 s) is one, of 29 none although its 5-minute mean passes 0.9', () => {
    const burst = (k: number) => [ser(C, 'vllm:kv_cache_usage_perc', gauge(C, (i) => (i >= 300 && i < 300 + k ? 1 : 0)), L)];
    const e = only(run('kv-pressure', burst(30)));
    expect(offsets(e)).toEqual([3000, 3300]);
    expect(e.durationSeconds).toBe(300);
    // 29 points: the centred mean over [i − 15, i + 14] reaches 29/30 ≥ 0.9 (it needs 27 of 30), but the
    // burst itself lasts 290 s, less than a window.
    const v29 = viewOf(burst(29));
    expect(Math.max(...centredGauge(v29, 'vllm:kv_cache_usage_perc', R, 'avg', W)!)).toBeCloseTo(29 / 30, 12);
    expect(evaluated(detect('kv-pressure', v29)).episodes).toEqual([]);
    // Longer bursts keep their own length (not the span where the smoothed mean holds, 530 − 230 s shorter).
    expect(offsets(only(run('kv-pressure', burst(53))))).toEqual([3000, 3530]);
  });

  it('two incidents an hour apart are two episodes, each exactly over its incident with its own numbers', () => {
    const two = ser(C, 'vllm:kv_cache_usage_perc', gauge(C, (i) => (i >= 60 && i < 180 ? 0.96 : i >= 540 && i < 660 ? 0.99 : 0.5)), L);
    const o = evaluated(run('kv-pressure', [two]));
    expect(o.episodes.map((e) => offsets(e))).toEqual([
      [600, 1800],
      [5400, 6600],
    ]);
    expect(o.episodes.map((e) => e.numbers.kvMaxRatio)).toEqual([0.96, 0.99]);
    expect(o.episodes[0].numbers.kvMeanRatio).toBeCloseTo(0.96, 12);
    expect(o.episodes[1].numbers.kvMeanRatio).toBeCloseTo(0.99, 12);
  });

  it('bridging reads the samples: two 400-second stretches at 92% are one episode with 300 s of 50% between them, two with 310 s', () => {
    // At 0.92 on 0.5 the centred mean reaches 0.9 only where 29 of the window's 30 points are in a stretch:
    // its middle 13 points. Those runs lie 27 + g points apart, never within a window; the stretches
    // themselves lie g points apart, and calm of at most a window (30 points) inside an episode is bridged.
    const two = (g: number) => [ser(C, 'vllm:kv_cache_usage_perc', gauge(C, (i) => ((i >= 300 && i < 340) || (i >= 340 + g && i < 380 + g) ? 0.92 : 0.5)), L)];
    const one = only(run('kv-pressure', two(30)));
    expect(offsets(one)).toEqual([3000, 4100]);
    expect(one.numbers.kvMeanRatio).toBeCloseTo((80 * 0.92 + 30 * 0.5) / 110, 12);
    expect(evaluated(run('kv-pressure', two(31))).episodes.map((e) => offsets(e))).toEqual([
      [3000, 3400],
      [3710, 4110],
    ]);
  });

  it('per replica: the full replica has the episode, its peer does not', () => {
    const other = ser(C, 'vllm:kv_cache_usage_perc', gauge(C, () => 0.5), { instance: 'r2:8000' });
    const v = viewOf([kv(0), other]);
    expect(detect('kv-pressure', v, R).status).toBe('issue');
    expect(detect('kv-pressure', v, 'r2:8000').status).toBe('ok');
  });

  it('insufficient-data: metric absent (direct and through the engine), or only two points', () => {
    expect(run('kv-pressure', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no KV-cache usage samples in this scope' });
    expect(engineSignal([clock()], 'kv-pressure', R)).toMatchObject({ status: 'insufficient-data', reason: 'vllm:kv_cache_usage_perc not in the inputs', episodes: [] });
    const two: Series = { name: 'vllm:kv_cache_usage_perc', labels: L, t: Float64Array.from([T0 + 7190, T0 + 7200]), v: Float64Array.from([0.99, 0.99]) };
    expect(run('kv-pressure', [clock(), two])).toEqual({ status: 'insufficient-data', reason: 'only 2 KV-usage points on the grid' });
  });

  it('the engine reports the same signal as the direct call, in the replica scope', () => {
    const s = engineSignal([kv(0)], 'kv-pressure', R);
    const o = evaluated(run('kv-pressure', [kv(0)]));
    expect(s.status).toBe('issue');
    expect(s.evidence).toEqual(o.evidence);
    expect(s.episodes).toEqual(o.episodes);
  });
});

// ------------------------------------------------------------------------------------------------
describe('preemptions', () => {
  // Requests finish at 1/s throughout; during the incident 5 preemptions per 10 s (30 per minute).
  const scenario = (sigma: number, seed = 21, perStep = 5) => {
    const zp = normal(seed);
    const zr = normal(seed + 1);
    return [
      ser(C, 'vllm:num_preemptions_total', counter(C, (i) => (incDuring(i) ? Math.max(0, perStep * (1 + sigma * zp())) : 0), 0), L),
      ser(C, 'vllm:request_success_total', counter(C, () => Math.max(0, 10 * (1 + sigma * zr())), 1_000_000), L),
    ];
  };

  for (const sigma of SIGMAS) {
    it(`a 20-minute burst of preemptions: one episode exactly over it at σ = ${sigma * 100}%`, () => {
      const series = scenario(sigma);
      const e = only(run('preemptions', series));
      // The centred 5-minute rate holds from about half a window before the burst to half a window after;
      // the edges move to the first and last scrape interval with a preemption ((3600, 3610] … (4790, 4800]).
      expect(offsets(e)).toEqual([FROM, TO]);
      // Everything counted over [FROM, TO]: the counters' increase from sample A to sample B.
      const [p, f] = series.map((s) => s.v[B] - s.v[A]);
      expect(e.numbers.preemptions).toBeCloseTo(p, 9);
      expect(e.numbers.requestsFinished).toBeCloseTo(f, 9);
      expect(e.numbers.preemptionsPerRequest).toBeCloseTo(p / f, 12);
      if (sigma === 0) {
        // All 120 × 5 preemptions; requests at 1/s over the 1200 s.
        expect(e.numbers).toEqual({ preemptions: 600, requestsFinished: 1200, preemptionsPerRequest: 0.5, peakPreemptionsPerMinute: expect.closeTo(30, 9) });
      } else {
        expect(Math.abs(p / 600 - 1)).toBeLessThan(0.02);
        expect(Math.abs(e.numbers.peakPreemptionsPerMinute! / 30 - 1)).toBeLessThan(0.1);
      }
    });
  }

  it('whole-window evidence (noise-free)', () => {
    expect(evaluated(run('preemptions', scenario(0))).evidence).toEqual({ preemptionsTotal: 600, requestsFinished: 7200, preemptionsPerRequest: 600 / 7200, preemptionsPerHour: 300 });
  });

  it('minPerMinute edge: a steady 1.01 per minute is one episode over the whole window, 0.99 is none', () => {
    const steady = (perMinute: number) => [ser(C, 'vllm:num_preemptions_total', counter(C, () => perMinute / 6, 1000), L)];
    const e = only(run('preemptions', steady(1.01)));
    // The centred window is half outside the data at the grid's ends, where the smoothed rate falls short;
    // every scrape interval's own rate is 1.01 a minute, so the edges move to the grid's ends.
    expect(offsets(e)).toEqual([0, 7200]);
    expect(e.numbers.preemptions).toBeCloseTo((720 * 1.01) / 6, 9);
    expect(evaluated(run('preemptions', steady(0.99))).status).toBe('ok');
  });

  it('minPerRequest edge: 1 per minute at 99 requests/min (1.01%) is an episode, at 101/min (0.99%) none', () => {
    const mix = (reqPerMinute: number) => [
      ser(C, 'vllm:num_preemptions_total', counter(C, () => 2 / 6, 1000), L),
      ser(C, 'vllm:request_success_total', counter(C, () => (2 * reqPerMinute) / 6, 1_000_000), L),
    ];
    expect(evaluated(run('preemptions', mix(99))).status).toBe('issue');
    expect(evaluated(run('preemptions', mix(101))).status).toBe('ok');
    // Without a request counter only the per-minute rate counts.
    expect(evaluated(run('preemptions', mix(101).slice(0, 1))).status).toBe('issue');
    expect(evaluated(run('preemptions', mix(101).slice(0, 1))).evidence.preemptionsPerRequest).toBeNull();
  });

  it('no preemptions at all: ok with a zero total', () => {
    const o = evaluated(run('preemptions', scenario(0, 1, 0)));
    expect(o.status).toBe('ok');
    expect(o.evidence.preemptionsTotal).toBe(0);
    expect(o.episodes).toEqual([]);
  });

  it('on a 70 s grid (a week of 10 s scrapes) the episode is the burst too, although half a window is not a whole number of steps', () => {
    // Burst from 302 400 s to the grid point 304 220 s (4346 × 70), 5 preemptions a scrape. The centred
    // window (g − 150, g + 150] still holds the last scrape at g = 304 220 + 140, three steps after the
    // last interval with preemptions (150 / 70 = 2.14 steps, so the edge must be searched 3 steps back).
    const c = clockOf(10, 7 * 86_400);
    const [from, to] = [302_400, 304_220];
    const v = viewOf([ser(c, 'vllm:num_preemptions_total', counter(c, (i) => (i > from / 10 && i <= to / 10 ? 5 : 0), 0), L)]);
    expect(v.step).toBe(70);
    const e = only(detect('preemptions', v));
    expect(offsets(e, c)).toEqual([from, to]);
    expect(e.numbers.preemptions).toBe(5 * 182);
  });

  it('insufficient-data without the counter (direct and through the engine)', () => {
    expect(run('preemptions', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no preemption counter in this scope' });
    expect(engineSignal([clock()], 'preemptions', R).reason).toBe('vllm:num_preemptions_total not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('queue-buildup', () => {
  // Nothing waits (exactly 0) except during the incident: ~20 ± σ·20 requests, rounded, ≥ 0.
  const queue = (sigma: number, seed = 31, level = 20) => {
    const noisy = gauge(C, () => level, { sigma, level, seed, lo: 0, round: true });
    return ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => (during(i) ? noisy[i] : 0)), L);
  };

  for (const sigma of SIGMAS) {
    it(`a 20-minute queue of ~20: one episode exactly over it, with its own numbers (issue 9 §2), at σ = ${sigma * 100}%`, () => {
      const s = queue(sigma);
      const e = only(run('queue-buildup', [s]));
      // The centred 5-minute mean reaches 1 as soon as 2 of its 30 points are in the queue (20 × 2/30), 13
      // points before it, and stays ≥ 1 13 points after it; the edges then move to the queue's own first and
      // last point (noise of σ 5% of 20 never takes a point below 1).
      expect(offsets(e)).toEqual([FROM, TO]);
      const own = inSpan(s, e);
      expect(own).toHaveLength(120);
      expect(e.numbers.waitingMean).toBeCloseTo(own.reduce((x, y) => x + y, 0) / 120, 12);
      expect(e.numbers.waitingMax).toBe(Math.max(...own));
      expect(e.peakAtSeconds).toBe(e.startSeconds + 10 * own.indexOf(Math.max(...own)));
      if (sigma === 0) expect(e.numbers).toEqual({ waitingMean: 20, waitingMax: 20 });
      else expect(Math.abs(e.numbers.waitingMax! - 20)).toBeLessThanOrEqual(Math.ceil(4 * sigma * 20));
    });
  }

  it('bridging reads the samples: two 10-minute queues of 20 with 300 s between them are one episode, with 310 s two', () => {
    // The 5-minute mean of a queue of 20 stays ≥ 1 for 13 points on either side of it, so the smoothed runs
    // lie 26 points closer than the queues do (at 310 s apart, 50 s); bridging reads the queues' own gap.
    const two = (g: number) => [ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => ((i >= 300 && i < 360) || (i >= 360 + g && i < 420 + g) ? 20 : 0)), L)];
    const one = only(run('queue-buildup', two(30)));
    expect(offsets(one)).toEqual([3000, 4500]);
    // A bridged episode's mean reads its calm: 120 points at 20 and 30 at 0.
    expect(one.numbers).toEqual({ waitingMean: 16, waitingMax: 20 });
    const split = evaluated(run('queue-buildup', two(31)));
    expect(split.episodes.map((e) => offsets(e))).toEqual([
      [3000, 3600],
      [3910, 4510],
    ]);
    expect(split.episodes.map((e) => e.numbers)).toEqual([
      { waitingMean: 20, waitingMax: 20 },
      { waitingMean: 20, waitingMax: 20 },
    ]);
  });

  it('whole-window evidence (noise-free)', () => {
    const o = evaluated(run('queue-buildup', [queue(0)]));
    // 601 points at 0, 120 at 20: p95 (type 7) at position 0.95 × 720 = 684 ≥ 601 → 20
    expect(o.evidence).toEqual({ waitingMean: (120 * 20) / 721, waitingP95: 20, waitingMax: 20, timeWithQueueRatio: 120 / 721 });
  });

  it('minMeanWaiting edge: a window-long 1 waiting is an episode over the whole window, 0.99 none', () => {
    const flat = (x: number) => [ser(C, 'vllm:num_requests_waiting', gauge(C, () => x), L)];
    expect(offsets(only(run('queue-buildup', flat(1))))).toEqual([0, 7200]);
    expect(evaluated(run('queue-buildup', flat(0.99))).episodes).toEqual([]);
    // One request waiting in every other scrape averages 0.5: not a queue; in two of three, 0.67 neither.
    expect(evaluated(run('queue-buildup', [ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => i % 2), L)])).status).toBe('ok');
    // The option is read: at minMeanWaiting 0.5 the alternating queue holds everywhere.
    expect(evaluated(run('queue-buildup', [ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => i % 2), L)], {}, R, { minMeanWaiting: 0.5 })).status).toBe('issue');
  });

  it('an episode lasts at least one sliding window of its own samples: one minute at 10 waiting is none; five minutes at 1 are one', () => {
    const stretch = (x: number, k: number) => [ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => (i >= 300 && i < 300 + k ? x : 0)), L)];
    // One minute at 10: the centred mean is ≥ 1 wherever 3 of the 6 points are in the window (31 points),
    // but the queue itself lasts 60 s.
    const spike = viewOf(stretch(10, 6));
    expect(Math.max(...centredGauge(spike, 'vllm:num_requests_waiting', R, 'sum', W)!)).toBe(2);
    expect(evaluated(detect('queue-buildup', spike)).episodes).toEqual([]);
    // 30 points at 1: the mean is exactly 1 in the one window wholly inside them (i = 315); the edges move
    // to the stretch's own. 29 points at 1: no window's mean reaches 1.
    expect(offsets(only(run('queue-buildup', stretch(1, 30))))).toEqual([3000, 3300]);
    expect(evaluated(run('queue-buildup', stretch(1, 29))).episodes).toEqual([]);
    // 29 points at 10 pass the mean but last 290 s; 30 points last a window.
    expect(evaluated(run('queue-buildup', stretch(10, 29))).episodes).toEqual([]);
    expect(offsets(only(run('queue-buildup', stretch(10, 30))))).toEqual([3000, 3300]);
  });

  it('insufficient-data without the gauge', () => {
    expect(run('queue-buildup', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no waiting-requests samples in this scope' });
    expect(engineSignal([clock()], 'queue-buildup', R).reason).toBe('vllm:num_requests_waiting not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('batch-plateau', () => {
  // Cap 64. Outside the incident ~30 running and nothing waits; during it the batch sits at the cap
  // (noise only pulls it down: running cannot exceed max_num_seqs) with 5 waiting.
  const scenario = (sigma: number, seed = 41, len = B - A) => [
    ser(C, 'vllm:num_requests_running', gauge(C, (i) => (i >= A && i < A + len ? 64 : 30), { sigma, level: 64, seed, lo: 0, hi: 64, round: true }), L),
    ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => (i >= A && i < A + len ? 5 : 0)), L),
  ];

  for (const sigma of SIGMAS) {
    it(`at the cap with a queue for 20 minutes: one episode from its first to its last scrape at the cap at σ = ${sigma * 100}%`, () => {
      const series = scenario(sigma);
      const e = only(run('batch-plateau', series, { max_num_seqs: 64 }));
      // A quarter of the centred window at the cap holds from 7 points before the incident to 7 after; the
      // edges move to the first and last scrape at the cap (running ≥ 0.95 × 64 = 60.8) with a queue. Noise
      // of σ 5% of 64 can pull an edge scrape below 60.8.
      const running = series[0].v;
      const at = [...running.keys()].filter((i) => running[i] >= 60.8);
      expect(offsets(e)).toEqual([at[0] * 10, (at[at.length - 1] + 1) * 10]);
      if (sigma < 0.05) expect(offsets(e)).toEqual([FROM, TO]);
      else expect(at[0] - A + (B - 1 - at[at.length - 1])).toBeLessThanOrEqual(2);
      expect(e.numbers.capRequests).toBe(64);
      expect(e.numbers.kvMeanRatio).toBeNull();
      const own = inSpan(series[0], e);
      expect(e.numbers.runningMean).toBeCloseTo(own.reduce((x, y) => x + y, 0) / own.length, 12);
      if (sigma === 0) expect(e.numbers.runningMean).toBe(64);
      else expect(Math.abs(e.numbers.runningMean! - 64)).toBeLessThan(64 * sigma + 1);
    });
  }

  it('whole-window evidence, and the cap read from the flag', () => {
    const o = evaluated(run('batch-plateau', scenario(0), { max_num_seqs: 64 }));
    expect(o.evidence).toEqual({ runningMean: (601 * 30 + 120 * 64) / 721, runningMax: 64, capRequests: 64, capSource: 'read', atCapWithQueueRatio: 120 / 721 });
  });

  it('without the flag: the cap inferred from the running plateau (10% of the points at the max with a queue)', () => {
    const o = evaluated(run('batch-plateau', scenario(0)));
    expect(o.evidence.capSource).toBe('inferred');
    expect(o.evidence.capRequests).toBe(64);
    expect(o.status).toBe('issue');
    // 60 of 721 points (8%) is too few to call the maximum a cap: it is only a lower bound, and the
    // detector falls back to the observed maximum.
    const short = evaluated(run('batch-plateau', scenario(0, 41, 60)));
    expect(short.evidence.capSource).toBe('observed-max');
    expect(short.evidence.capRequests).toBe(64);
    expect(offsets(only(run('batch-plateau', scenario(0, 41, 60))))).toEqual([FROM, FROM + 600]);
  });

  it('atCapRatio edge: 61 running counts as at the cap of 64 (≥ 60.8), 60 does not', () => {
    const at = (r: number) => [ser(C, 'vllm:num_requests_running', gauge(C, () => r), L), ser(C, 'vllm:num_requests_waiting', gauge(C, () => 2), L)];
    expect(offsets(only(run('batch-plateau', at(61), { max_num_seqs: 64 })))).toEqual([0, 7200]);
    const below = evaluated(run('batch-plateau', at(60), { max_num_seqs: 64 }));
    expect(below.status).toBe('ok');
    expect(below.evidence.atCapWithQueueRatio).toBe(0);
  });

  it('minShareInWindow edge (0.25): 8 of every 30 scrapes at the cap holds, 7 of 30 does not', () => {
    const pattern = (atCap: (i: number) => boolean) => [ser(C, 'vllm:num_requests_running', gauge(C, (i) => (atCap(i) ? 64 : 40)), L), ser(C, 'vllm:num_requests_waiting', gauge(C, () => 3), L)];
    // At the cap on scrapes 15 … 22, 45 … 52, …, 705 … 712: every full 30-point window holds exactly 8 of
    // them (0.267); the partial windows at the grid's ends hold none. The episode runs from the first
    // at-cap scrape to the last, its mean over the 698 points between: 192 at 64, 506 at 40.
    const eight = only(run('batch-plateau', pattern((i) => (i + 15) % 30 < 8), { max_num_seqs: 64 }));
    expect(offsets(eight)).toEqual([150, 7130]);
    expect(eight.numbers.runningMean).toBeCloseTo((192 * 64 + 506 * 40) / 698, 12);
    // 7 of every 30 (0.233): no window holds.
    expect(evaluated(run('batch-plateau', pattern((i) => (i + 15) % 30 < 7), { max_num_seqs: 64 })).status).toBe('ok');
    // The option is read: at 0.2 the 7-of-30 pattern holds.
    expect(evaluated(run('batch-plateau', pattern((i) => (i + 15) % 30 < 7), { max_num_seqs: 64 }, R, { minShareInWindow: 0.2 })).status).toBe('issue');
  });

  it('at the cap but nothing waits: ok', () => {
    const o = evaluated(run('batch-plateau', [ser(C, 'vllm:num_requests_running', gauge(C, () => 64), L), ser(C, 'vllm:num_requests_waiting', gauge(C, () => 0), L)], { max_num_seqs: 64 }));
    expect(o.status).toBe('ok');
    expect(o.evidence.atCapWithQueueRatio).toBe(0);
  });

  it('insufficient-data: waiting gauge missing', () => {
    expect(run('batch-plateau', [clock()])).toEqual({ status: 'insufficient-data', reason: 'running or waiting gauge missing' });
    expect(engineSignal([clock()], 'batch-plateau', R).reason).toBe('vllm:num_requests_waiting not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('gpu-utilization', () => {
  // The replica r1:8000 runs on host r1; its GPU's exporter is r1:9400. Another host's GPU is not its.
  const util = (f: (i: number) => number, sigma = 0, host = 'r1', gpu = '0', seed = 51) =>
    ser(C, 'DCGM_FI_DEV_GPU_UTIL', gauge(C, f, { sigma, level: 100, seed, lo: 0, hi: 100 }), { instance: `${host}:9400`, gpu });

  for (const sigma of SIGMAS) {
    it(`30% busy for 90 minutes (80% otherwise) is one episode at σ = ${sigma * 100}%`, () => {
      // Under-use must last an hour: 90 minutes from 00:20 to 01:50.
      const e = only(run('gpu-utilization', [clock(), util((i) => (i >= 120 && i < 660 ? 30 : 80), sigma)]));
      const [s, t] = offsets(e);
      // The centred mean drops below 50 once 19 of 30 points are at 30% (30·f + 80·(1 − f) < 50 ⇔ f > 0.6).
      if (sigma === 0) {
        expect([s, t]).toEqual([1200 + 40, 6600 - 30]);
        expect(e.numbers.gpuUtilMeanPercent).toBe(30);
      } else {
        expect(Math.abs(s - 1240)).toBeLessThanOrEqual(40);
        expect(Math.abs(t - 6570)).toBeLessThanOrEqual(40);
        expect(Math.abs(e.numbers.gpuUtilMeanPercent! - 30)).toBeLessThan(2);
      }
    });
  }

  it('50 minutes of under-use in a 2-hour window is not an episode (a state must last an hour)', () => {
    const o = evaluated(run('gpu-utilization', [clock(), util((i) => (i >= 120 && i < 420 ? 30 : 80))]));
    expect(o.status).toBe('ok');
    expect(o.evidence.gpuUtilMeanPercent).toBeCloseTo((300 * 30 + 421 * 80) / 721, 9);
  });

  it('in a window shorter than two hours an episode needs half the window: 35 minutes of a 1-hour window', () => {
    const c = clockOf(10, 3600);
    const u = ser(c, 'DCGM_FI_DEV_GPU_UTIL', gauge(c, (i) => (i < 210 ? 20 : 90)), { instance: 'r1:9400', gpu: '0' });
    const e = only(detect('gpu-utilization', viewOf([clock(c), u]), R));
    expect(e.startSeconds).toBe(c.t0);
    expect(e.durationSeconds).toBeGreaterThanOrEqual(1800);
  });

  it('lowPercent edge: a window-long 49.9% is an episode, 50% is not (strictly below)', () => {
    expect(offsets(only(run('gpu-utilization', [clock(), util(() => 49.9)])))).toEqual([0, 7200]);
    expect(evaluated(run('gpu-utilization', [clock(), util(() => 50)])).status).toBe('ok');
  });

  it('evidence: mean, p95, SM activity and device count of this replica\'s host only', () => {
    const series = [clock(), util(() => 30), util(() => 40, 0, 'r1', '1'), util(() => 99, 0, 'r9', '0'), ser(C, 'DCGM_FI_PROF_SM_ACTIVE', gauge(C, () => 0.25), { instance: 'r1:9400', gpu: '0' })];
    expect(evaluated(run('gpu-utilization', series)).evidence).toEqual({ gpuUtilMeanPercent: 35, gpuUtilP95Percent: 35, smActiveMeanRatio: 0.25, lowThresholdPercent: 50, devices: 2 });
  });

  it('insufficient-data without DCGM for this host', () => {
    expect(run('gpu-utilization', [clock(), util(() => 30, 0, 'r9')])).toEqual({ status: 'insufficient-data', reason: "no DCGM utilisation samples for this replica's GPUs" });
    expect(engineSignal([clock()], 'gpu-utilization', R).reason).toBe('DCGM_FI_DEV_GPU_UTIL not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('memory-growth', () => {
  // 5 hours at 10 s (1801 samples). RSS from 4 GiB, +600 000 bytes per sample (60 000 B/s): integers, so
  // the Theil–Sen slope is exact when noise-free. Growth 1800 × 600 000 B = 1029.97 MiB = 25.1% of 4 GiB.
  const c5 = clockOf(10, 18_000);
  const rss = (base: number, perSample: number, sigma = 0, seed = 61) => ser(c5, 'process_resident_memory_bytes', gauge(c5, (i) => base + i * perSample, { sigma, level: base, seed }), L);
  const flatLoad = () => ser(c5, 'vllm:request_success_total', counter(c5, () => 10, 1e6), L);
  const growthMiB = (perSample: number) => (1800 * perSample) / MIB;

  for (const sigma of SIGMAS) {
    it(`linear RSS growth at flat load: issue at σ = ${sigma * 100}% of the level`, () => {
      const o = evaluated(run('memory-growth', [rss(4 * GIB, 600_000, sigma), flatLoad()]));
      expect(o.status).toBe('issue');
      expect(o.episodes).toEqual([]); // a trend, not an episode
      const e = o.evidence as Record<string, number | string | null>;
      expect(e.metric).toBe('process_resident_memory_bytes');
      expect(e.series).toBe(R);
      expect(e.fromSeconds).toBe(T0);
      expect(e.toSeconds).toBe(T0 + 18_000);
      expect(e.mannKendallP as number).toBeLessThan(0.001);
      const slope = (60_000 * 3600) / MIB;
      if (sigma === 0) {
        expect(e.slopeMiBPerHour as number).toBeCloseTo(slope, 9);
        expect(e.growthMiB as number).toBeCloseTo(growthMiB(600_000), 9);
        expect(e.relativeGrowthRatio as number).toBeCloseTo((1800 * 600_000) / (4 * GIB), 12);
        expect(e.startMiB).toBe(4096);
        expect(e.mannKendallTau).toBe(1);
        expect(e.loadRelativeChange).toBe(0);
      } else {
        expect(Math.abs((e.slopeMiBPerHour as number) / slope - 1)).toBeLessThan(0.05);
      }
    });
  }

  it('minRelativeGrowth edge (5%) on an 8 GiB process: +4% is ok, +6% is an issue', () => {
    const grow = (rel: number) => rss(8 * GIB, Math.round((rel * 8 * GIB) / 1800));
    const low = evaluated(run('memory-growth', [grow(0.04)]));
    expect(low.status).toBe('ok');
    expect(low.evidence.relativeGrowthRatio as number).toBeCloseTo(0.04, 6);
    expect(low.evidence.growthMiB as number).toBeGreaterThan(256); // the absolute floor is met
    expect(evaluated(run('memory-growth', [grow(0.06)])).status).toBe('issue');
  });

  it('minGrowthBytes edge (256 MiB) on a 1 GiB process: +250 MiB is ok, +260 MiB is an issue', () => {
    const grow = (mib: number) => rss(GIB, (mib * MIB) / 1800);
    const low = evaluated(run('memory-growth', [grow(250)]));
    expect(low.status).toBe('ok');
    expect(low.evidence.growthMiB as number).toBeCloseTo(250, 6);
    expect(evaluated(run('memory-growth', [grow(260)])).status).toBe('issue');
  });

  it('maxLoadRelativeChange: growing load explains growing memory (ok, with the change in evidence)', () => {
    // request rate from 1/s rising linearly to 3/s: Theil–Sen change ≈ 2/s over a mean of ≈ 2/s
    const load = ser(c5, 'vllm:request_success_total', counter(c5, (i) => 10 + (20 * i) / 1800, 1e6), L);
    const o = evaluated(run('memory-growth', [rss(4 * GIB, 600_000), load]));
    expect(o.status).toBe('ok');
    expect(o.evidence.loadRelativeChange as number).toBeGreaterThan(0.9);
    expect(o.evidence.loadRelativeChange as number).toBeLessThan(1.1);
  });

  it('a restart (a drop of more than 20%) restarts the analysed stretch', () => {
    const v = gauge(c5, (i) => (i < 1000 ? 4 * GIB + i * 600_000 : 2 * GIB + (i - 1000) * 600_000));
    const o = evaluated(run('memory-growth', [ser(c5, 'process_resident_memory_bytes', v, L)]));
    expect(o.evidence.fromSeconds).toBe(T0 + 10_000);
    expect(o.evidence.startMiB).toBe(2048);
    expect(o.evidence.growthMiB as number).toBeCloseTo((800 * 600_000) / MIB, 9);
    expect(o.status).toBe('issue');
  });

  it('falls back to the DCGM framebuffer (MiB) of the replica\'s host', () => {
    // +2 MiB per sample from 40 000 MiB: 3600 MiB = 9% in 5 h, 720 MiB/h
    const o = evaluated(run('memory-growth', [clock(c5), ser(c5, 'DCGM_FI_DEV_FB_USED', gauge(c5, (i) => 40_000 + 2 * i), { instance: 'r1:9400', gpu: '0' })]));
    expect(o.evidence.metric).toBe('DCGM_FI_DEV_FB_USED');
    expect(o.evidence.growthMiB as number).toBeCloseTo(3600, 9);
    expect(o.evidence.slopeMiBPerHour as number).toBeCloseTo(720, 9);
    expect(o.status).toBe('issue');
  });

  it('insufficient-data: no memory series; fewer than 30 samples since the last restart', () => {
    expect(run('memory-growth', [clock(c5)])).toEqual({ status: 'insufficient-data', reason: 'no process_resident_memory_bytes or DCGM_FI_DEV_FB_USED series' });
    const v = gauge(c5, (i) => (i < 1780 ? 4 * GIB : GIB + i * 1000));
    expect(run('memory-growth', [ser(c5, 'process_resident_memory_bytes', v, L)])).toEqual({ status: 'insufficient-data', reason: 'fewer than 30 samples since the last restart' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('prefix-cache-hit-rate', () => {
  // 100 queried tokens per second; `hits(i)` of the 1000 per scrape found in the cache.
  const cache = (hits: (i: number) => number, queries = 1000) => [
    ser(C, 'vllm:prefix_cache_queries_total', counter(C, () => queries, 0), L),
    ser(C, 'vllm:prefix_cache_hits_total', counter(C, hits, 0), L),
  ];

  for (const sigma of SIGMAS) {
    it(`a 90-minute stretch at 5% hits (50% otherwise) is one episode at σ = ${sigma * 100}% on the hits`, () => {
      const z = normal(71);
      const e = only(run('prefix-cache-hit-rate', cache((i) => Math.max(0, (i > 120 && i <= 660 ? 50 : 500) * (1 + sigma * z())))));
      const [s, t] = offsets(e);
      // The centred ratio falls under 10% once 27 of the window's 29 increments are low (0.05 f + 0.5 (1 − f) < 0.1).
      expect(Math.abs(s - 1200)).toBeLessThanOrEqual(W / 2);
      expect(Math.abs(t - 6600)).toBeLessThanOrEqual(W / 2);
      if (sigma === 0) expect(e.numbers.hitRatio).toBeCloseTo(0.05, 12);
      else expect(Math.abs(e.numbers.hitRatio! - 0.05)).toBeLessThan(0.002);
      expect(e.numbers.queriedTokens).toBe(100 * e.durationSeconds);
    });
  }

  it('whole-window evidence and whether caching is enabled (unknown / read)', () => {
    const o = evaluated(run('prefix-cache-hit-rate', cache((i) => (i > 120 && i <= 660 ? 50 : 500))));
    expect(o.evidence).toEqual({ hitRatio: (540 * 50 + 180 * 500) / 720_000, queriedTokens: 720_000, hitTokens: 540 * 50 + 180 * 500, prefixCachingEnabled: 'unknown' });
    expect(evaluated(run('prefix-cache-hit-rate', cache(() => 50), { enable_prefix_caching: true })).evidence.prefixCachingEnabled).toBe('true');
    expect(evaluated(run('prefix-cache-hit-rate', cache(() => 50), { enable_prefix_caching: false })).evidence.prefixCachingEnabled).toBe('false');
  });

  it('a low hit rate is a state: 40 minutes of it in a 2-hour window is not an episode', () => {
    expect(evaluated(run('prefix-cache-hit-rate', cache((i) => (i > 120 && i <= 360 ? 50 : 500)))).episodes).toEqual([]);
  });

  it('lowRatio edge: 9% everywhere is one window-long episode, 11% is none', () => {
    expect(offsets(only(run('prefix-cache-hit-rate', cache(() => 90))))).toEqual([0, 7200]);
    expect(evaluated(run('prefix-cache-hit-rate', cache(() => 110))).status).toBe('ok');
  });

  it('minQueriedPerSecond: windows with 5 queried tokens/s do not count, even at 0% hits', () => {
    const o = evaluated(run('prefix-cache-hit-rate', cache(() => 0, 50)));
    expect(o.evidence.hitRatio).toBe(0);
    expect(o.episodes).toEqual([]);
    expect(evaluated(run('prefix-cache-hit-rate', cache(() => 0, 50), {}, R, { minQueriedPerSecond: 5 })).status).toBe('issue');
  });

  it('minQueriedTokens edge: 10 000 queried tokens are enough, 9 999 are not', () => {
    const qs = (total: number) => [
      ser(C, 'vllm:prefix_cache_queries_total', counter(C, (i) => (i === 1 ? total : 0), 0), L),
      ser(C, 'vllm:prefix_cache_hits_total', counter(C, () => 0, 0), L),
    ];
    expect(evaluated(run('prefix-cache-hit-rate', qs(10_000))).evidence.hitRatio).toBe(0);
    expect(run('prefix-cache-hit-rate', qs(9_999))).toEqual({ status: 'insufficient-data', reason: 'only 9999 prefix-cache queried tokens (need 10000)' });
  });

  it('insufficient-data through the engine names the missing counters', () => {
    expect(engineSignal([clock()], 'prefix-cache-hit-rate', R).reason).toBe('vllm:prefix_cache_queries_total, vllm:prefix_cache_hits_total not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('kv-swapping', () => {
  const swapped = (f: (i: number) => number) => ser(C, 'vllm:num_requests_swapped', gauge(C, f), L);

  it('requests swapped during the incident: one episode exactly over it, with its maximum', () => {
    const o = evaluated(run('kv-swapping', [swapped((i) => (during(i) ? 1 + (i % 3) : 0)), ser(C, 'vllm:cpu_cache_usage_perc', gauge(C, (i) => (during(i) ? 0.4 : 0)), L)]));
    expect(o.status).toBe('issue');
    expect(o.episodes.map((e) => offsets(e))).toEqual([[FROM, TO]]);
    expect(o.episodes[0].numbers).toEqual({ swappedMax: 3 });
    expect(o.evidence).toEqual({ swappedMax: 3, swappedMean: (40 * (1 + 2 + 3)) / 721, timeSwappingRatio: 120 / 721, cpuCacheUsageMaxRatio: 0.4 });
  });

  it('a single scrape with a swapped request is an episode of one step', () => {
    expect(evaluated(run('kv-swapping', [swapped((i) => (i === 100 ? 1 : 0))])).episodes.map((e) => offsets(e))).toEqual([[1000, 1010]]);
  });

  it('bridging: bursts 300 s apart are one episode, 310 s apart two', () => {
    const gap = (g: number) => swapped((i) => ((i >= 100 && i < 110) || (i >= 110 + g && i < 120 + g) ? 2 : 0));
    expect(evaluated(run('kv-swapping', [gap(30)])).episodes.map((e) => offsets(e))).toEqual([[1000, 1000 + 200 + 300]]);
    expect(evaluated(run('kv-swapping', [gap(31)])).episodes.map((e) => offsets(e))).toEqual([[1000, 1100], [1410, 1510]]);
  });

  it('a swapped gauge that stays 0: ok', () => {
    const o = evaluated(run('kv-swapping', [swapped(() => 0)]));
    expect(o.status).toBe('ok');
    expect(o.evidence).toEqual({ swappedMax: 0, swappedMean: 0, timeSwappingRatio: 0, cpuCacheUsageMaxRatio: null });
  });

  it('insufficient-data on a v1 engine (no swapped gauge)', () => {
    expect(run('kv-swapping', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no swapped-requests samples (a v1 engine does not swap)' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('throughput-drop', () => {
  // 1000 output tokens/s (10 000 per scrape); during a 30-minute drop (samples 361 … 540) a fraction less.
  // The detector scores the rate over the view's trailing 60 s window (6 increments) against a frozen
  // robust baseline (median 1000, scale max(MAD, 5% of 1000) = 50): a point is in a drop at z ≤ −3.5,
  // i.e. a rate ≤ 825, which takes 3 low increments of the 6 at a 50% drop (750, z = −5; 2 give 833).
  const DROP_TO = FROM + 1800;
  const tokens = (drop: number, sigma = 0, seed = 81) => {
    const z = normal(seed);
    return ser(C, 'vllm:generation_tokens_total', counter(C, (i) => Math.max(0, (i > A && i <= A + 180 ? 10_000 * (1 - drop) : 10_000) * (1 + sigma * z())), 1e6), L);
  };
  const waitingDuring = (w: number, extra = 0) => ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => (i >= A && i < A + 180 + extra ? w : 0)), L);

  for (const sigma of SIGMAS) {
    it(`a 50% drop while 5 requests wait: one episode, the drop itself, at σ = ${sigma * 100}%`, () => {
      const o = evaluated(run('throughput-drop', [tokens(0.5, sigma), waitingDuring(5)]));
      const e = only(run('throughput-drop', [tokens(0.5, sigma), waitingDuring(5)]));
      expect(o.evidence).toEqual({ dropEpisodes: 1 });
      if (sigma === 0) {
        // Each grid interval's own increase is scored: the episode is exactly the drop, and its numbers
        // are the drop's.
        expect(offsets(e)).toEqual([FROM, DROP_TO]);
        expect(e.numbers).toEqual({ dropRatio: 0.5, baselineTokensPerSecond: 1000, duringTokensPerSecond: 500, waitingMeanDuringDrop: 5 });
      } else {
        const [s, t] = offsets(e);
        expect(Math.abs(s - FROM)).toBeLessThanOrEqual(10);
        expect(Math.abs(t - DROP_TO)).toBeLessThanOrEqual(10);
        expect(Math.abs(e.numbers.dropRatio! - 0.5)).toBeLessThan(0.01);
        expect(Math.abs(e.numbers.baselineTokensPerSecond! - 1000)).toBeLessThan(1000 * sigma);
      }
    });
  }

  it('a 30-minute drop is one episode for its whole length: the frozen baseline does not absorb it (issue 9 §2)', () => {
    const e = only(run('throughput-drop', [tokens(0.5), waitingDuring(5)]));
    expect(e.durationSeconds).toBe(1800);
    expect(e.numbers.baselineTokensPerSecond).toBe(1000);
  });

  it('the episode is the drop itself: within a grid step of 3600 … 5400, with the waiting mean of the drop (5)', () => {
    const e = only(run('throughput-drop', [tokens(0.5), waitingDuring(5)]));
    const [s, t] = offsets(e);
    expect(Math.abs(s - FROM)).toBeLessThanOrEqual(10);
    expect(Math.abs(t - DROP_TO)).toBeLessThanOrEqual(10);
    expect(e.numbers.waitingMeanDuringDrop).toBe(5);
  });

  it('minDropRatio edge at 0.3: a 29% drop is not an episode, a 31% drop is', () => {
    // At 29% three low increments give 855 (z = −2.9), four give 807 (z = −3.9): the anomaly is found and
    // rejected by the ratio alone (at minDropRatio 0.28 it is an episode).
    expect(evaluated(run('throughput-drop', [tokens(0.29), waitingDuring(5)])).status).toBe('ok');
    expect(only(run('throughput-drop', [tokens(0.29), waitingDuring(5)], {}, R, { minDropRatio: 0.28 })).numbers.dropRatio).toBeCloseTo(0.29, 12);
    expect(only(run('throughput-drop', [tokens(0.31), waitingDuring(5)])).numbers.dropRatio).toBeCloseTo(0.31, 12);
  });

  it('minWaitingDuringDrop edge: a drop with 0.99 waiting is the demand\'s, with 1 waiting the engine\'s', () => {
    // The waiting gauge covers the episode (the drop and the 60 s after it, see the it.fails above).
    expect(evaluated(run('throughput-drop', [tokens(0.5), waitingDuring(0.99, 6)])).status).toBe('ok');
    expect(only(run('throughput-drop', [tokens(0.5), waitingDuring(1, 6)])).numbers.waitingMeanDuringDrop).toBe(1);
    expect(evaluated(run('throughput-drop', [tokens(0.5), waitingDuring(0)])).status).toBe('ok');
    expect(evaluated(run('throughput-drop', [tokens(0.5)])).status).toBe('ok'); // no waiting gauge: cannot tell
  });

  it('steady throughput: ok with no episodes', () => {
    expect(run('throughput-drop', [tokens(0, 0.05, 3), waitingDuring(5)])).toEqual({ status: 'ok', evidence: { dropEpisodes: 0 }, episodes: [] });
  });

  it('insufficient-data: a window shorter than two minimum baselines (2 × 600 s)', () => {
    const flat = (seconds: number) => {
      const c = clockOf(10, seconds);
      return detect('throughput-drop', viewOf([ser(c, 'vllm:generation_tokens_total', counter(c, () => 10_000, 0), L)]));
    };
    expect(flat(1190)).toEqual({ status: 'insufficient-data', reason: 'window too short for a throughput baseline' });
    expect(flat(1200)).toEqual({ status: 'ok', evidence: { dropEpisodes: 0 }, episodes: [] });
    expect(engineSignal([clock()], 'throughput-drop', R).reason).toBe('vllm:generation_tokens_total not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('oom-risk', () => {
  const fb = (used: number, free: number, gpu = '0', host = 'r1') => [
    ser(C, 'DCGM_FI_DEV_FB_USED', gauge(C, () => used), { instance: `${host}:9400`, gpu }),
    ser(C, 'DCGM_FI_DEV_FB_FREE', gauge(C, () => free), { instance: `${host}:9400`, gpu }),
  ];

  it('maxFbUsedRatio edge at 0.97: 97 of 100 is an issue, 96.9 is not', () => {
    expect(run('oom-risk', [clock(), ...fb(97, 3)])).toEqual({ status: 'issue', evidence: { fbUsedMaxRatio: 0.97, gpuMemoryUtilization: null }, episodes: [] });
    const below = evaluated(run('oom-risk', [clock(), ...fb(96.9, 3.1)]));
    expect(below.status).toBe('ok');
    expect(below.evidence.fbUsedMaxRatio as number).toBeCloseTo(0.969, 12);
  });

  it('the ratio is per GPU of this replica\'s host: a full GPU next to a half-empty one is an issue; another host\'s full GPU is not', () => {
    // GPU 0: 98 / 100. Mixing devices (max used over max used + max free = 98 / 158) would say 0.62.
    expect(evaluated(run('oom-risk', [clock(), ...fb(98, 2), ...fb(40, 60, '1')])).evidence.fbUsedMaxRatio).toBe(0.98);
    expect(evaluated(run('oom-risk', [clock(), ...fb(40, 60), ...fb(99, 1, '0', 'r9')])).status).toBe('ok');
  });

  it('maxMemoryFraction edge at 0.95: read from the flag or cache_config_info, 0.95 is an issue, 0.94 is not', () => {
    expect(run('oom-risk', [clock()], { gpu_memory_utilization: 0.95 })).toEqual({ status: 'issue', evidence: { fbUsedMaxRatio: null, gpuMemoryUtilization: 0.95 }, episodes: [] });
    expect(evaluated(run('oom-risk', [clock()], { gpu_memory_utilization: 0.94 })).status).toBe('ok');
    expect(evaluated(run('oom-risk', [clock(), cacheConfigInfo(C, { gpu_memory_utilization: 0.96 }, L)])).evidence.gpuMemoryUtilization).toBe(0.96);
  });

  it('insufficient-data with neither framebuffer metrics nor the memory fraction', () => {
    expect(run('oom-risk', [clock()])).toEqual({ status: 'insufficient-data', reason: 'neither DCGM framebuffer metrics nor gpu_memory_utilization are known for this replica' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('restarts', () => {
  // The old process's last scrape is at 3590 s; the new one's first at 3600 s (its counter from zero).
  const gen = () => {
    const v = counter(C, () => 1000, 1e6);
    for (let i = 360; i < C.n; i++) v[i] = (i - 359) * 1000;
    return ser(C, 'vllm:generation_tokens_total', v, L);
  };

  it('process_start_time_seconds moves: one episode from the last scrape before to the first after, at the new start', () => {
    const o = evaluated(run('restarts', [gen(), processStart(C, (i) => (i < 360 ? T0 - 86_400 : T0 + 3595), L)]));
    expect(o.status).toBe('issue');
    expect(o.episodes).toEqual([{ startSeconds: T0 + 3590, endSeconds: T0 + 3600, durationSeconds: 10, peakAtSeconds: T0 + 3595, numbers: { processStartSeconds: T0 + 3595 } }]);
    expect(o.evidence).toEqual({ restarts: 1, firstRestartSeconds: T0 + 3595 });
  });

  it('without a process start time, a counter that drops: the episode is the same scrape interval', () => {
    const o = evaluated(run('restarts', [gen()]));
    expect(o.evidence).toEqual({ restarts: 1, firstRestartSeconds: T0 + 3600 });
    expect(o.episodes.map((e) => offsets(e))).toEqual([[3590, 3600]]);
  });

  it('a monotone counter and a constant process start: ok', () => {
    expect(run('restarts', [ser(C, 'vllm:generation_tokens_total', counter(C, () => 1), L), processStart(C, () => T0 - 100, L)])).toEqual({ status: 'ok', evidence: { restarts: 0, firstRestartSeconds: null }, episodes: [] });
  });

  it('insufficient-data without the generation counter', () => {
    expect(run('restarts', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no generation counter in this scope' });
  });
});

// ------------------------------------------------------------------------------------------------
describe('latency-ttft / -tbt / -e2e', () => {
  const LES = [0.1, 0.25, 0.5, 1, 2.5, 5, Infinity];
  // 10 requests per scrape: all ≤ 100 ms (sum 0.05 s each) outside the incident; all in (2.5, 5] s during it.
  const ttft = (les = LES) =>
    histogram(C, 'vllm:time_to_first_token_seconds', les, (i) => (incDuring(i) ? [0, 0, 0, 0, 0, 10, 10] : [10, 10, 10, 10, 10, 10, 10]), (i) => (incDuring(i) ? 40 : 0.5), L);

  it('a 20-minute TTFT incident: one episode exactly over it, with its numbers', () => {
    const o = evaluated(run('latency-ttft', ttft()));
    const e = only(run('latency-ttft', ttft()));
    // The centred 5-minute p95 is over 0.5 s once 2 of its 30 scrape intervals are slow (rank 285 of 300
    // falls past the 280 fast ones): from grid point 347 to 493. The edges then move to the first and last
    // scrape interval whose own p95 is over target: (3600, 3610] … (4790, 4800].
    expect(offsets(e)).toEqual([FROM, TO]);
    // All 1200 requests of the episode are slow, in (2.5, 5]: p50 2.5 + 2.5 × 0.5, p95 2.5 + 2.5 × 0.95.
    expect(e.numbers).toEqual({
      p50Seconds: expect.closeTo(3.75, 12),
      p95Seconds: expect.closeTo(4.875, 12),
      peakP95Seconds: expect.closeTo(4.875, 9),
      targetSeconds: 0.5,
      overTargetRatio: 1,
      requests: 1200,
    });
    // Whole window: 7200 requests, 1200 slow. p50 rank 3600 of 6000 in (0, 0.1]; p95 rank 6840 → 2.5 + 2.5 × 840/1200.
    expect(o.evidence).toMatchObject({ requests: 7200, targetSeconds: 0.5 });
    expect(o.evidence.p50Seconds as number).toBeCloseTo(0.06, 12);
    expect(o.evidence.p95Seconds as number).toBeCloseTo(4.25, 12);
    expect(o.evidence.p99Seconds as number).toBeCloseTo(2.5 + (2.5 * 1128) / 1200, 12);
    expect(o.evidence.overTargetRatio as number).toBeCloseTo(1 / 6, 12);
    // Every grid point is a window with requests; those over target are the 147 smoothed ones (347 … 493).
    expect(o.evidence.windowsOverTargetRatio).toBeCloseTo(147 / 721, 12);
  });

  it('the target edge: with a custom target just above the windowed p95 (4.876 s) no episode; just below (4.874 s) the whole incident', () => {
    const at = (ttftSeconds: number) => detect('latency-ttft', viewOf(ttft(), {}, { ...SLO_PROFILES.chat, ttftSeconds }));
    expect(evaluated(at(4.876)).status).toBe('ok');
    const e = only(at(4.874));
    expect(e.numbers.targetSeconds).toBe(4.874);
    // Only windows wholly inside the incident reach 4.875 (grid points 375 … 465); every slow scrape
    // interval's own p95 is 4.875 too, so the edges move out to the incident's.
    expect(offsets(e)).toEqual([FROM, TO]);
    // 4.874 s sits inside the (2.5, 5] bucket: the share above it is interpolated linearly.
    expect(e.numbers.overTargetRatio).toBeCloseTo(1 - (4.874 - 2.5) / 2.5, 12);
  });

  it('minWindowObservations edge: 12 slow requests per 5-minute window count, 8 do not', () => {
    // Only slow requests, at a steady rate of k per 300 s: every window is over target iff it has ≥ 10.
    const sparse = (k: number) => histogram(C, 'vllm:time_to_first_token_seconds', LES, () => [0, 0, 0, 0, 0, k / 30, k / 30], () => (4 * k) / 30, L);
    expect(evaluated(run('latency-ttft', sparse(12))).status).toBe('issue');
    const few = evaluated(run('latency-ttft', sparse(8)));
    expect(few.status).toBe('ok');
    expect(few.evidence.windowsOverTargetRatio).toBeNull();
    expect(few.evidence.p95Seconds as number).toBeCloseTo(4.875, 12); // the whole window still says so
  });

  it('minRequests edge: 20 requests in the window are enough, 19 are not', () => {
    const few = (k: number) => histogram(C, 'vllm:time_to_first_token_seconds', LES, (i) => (i === 100 ? [0, 0, 0, k, k, k, k] : [0, 0, 0, 0, 0, 0, 0]), (i) => (i === 100 ? 0.8 * k : 0), L);
    expect(evaluated(run('latency-ttft', few(20))).evidence.requests).toBe(20);
    expect(run('latency-ttft', few(19))).toEqual({ status: 'insufficient-data', reason: 'only 19 requests observed (need 20)' });
  });

  it('TBT and e2e read their own histograms against their own targets (50 ms, 10 s)', () => {
    const tbt = histogram(C, 'vllm:inter_token_latency_seconds', [0.02, 0.04, 0.06, 0.1, Infinity], (i) => (incDuring(i) ? [0, 0, 0, 20, 20] : [10, 20, 20, 20, 20]), () => 0.6, L);
    const e2e = histogram(C, 'vllm:e2e_request_latency_seconds', [5, 10, 20, Infinity], () => [0, 4, 4, 4], () => 30, L);
    const v = viewOf([...tbt, ...e2e]);
    const t = only(detect('latency-tbt', v));
    expect(t.numbers.targetSeconds).toBe(0.05);
    expect(t.numbers.peakP95Seconds).toBeCloseTo(0.06 + 0.04 * 0.95, 9);
    const e = evaluated(detect('latency-e2e', v));
    expect(e.status).toBe('ok');
    expect(e.evidence.targetSeconds).toBe(10);
    expect(e.evidence.p95Seconds as number).toBeCloseTo(5 + 5 * 0.95, 12);
  });

  it('insufficient-data: no histogram, or buckets without observations', () => {
    expect(run('latency-ttft', [clock()])).toEqual({ status: 'insufficient-data', reason: 'no vllm:time_to_first_token_seconds observations in this scope' });
    const empty = histogram(C, 'vllm:time_to_first_token_seconds', LES, () => [0, 0, 0, 0, 0, 0, 0], () => 0, L);
    expect(run('latency-ttft', empty)).toEqual({ status: 'insufficient-data', reason: 'no vllm:time_to_first_token_seconds observations in this scope' });
    expect(engineSignal([clock()], 'latency-e2e', R).reason).toBe('vllm:e2e_request_latency_seconds_bucket not in the inputs');
  });
});

// ------------------------------------------------------------------------------------------------
describe('replica-slowdown', () => {
  const ITL_LES = [0.01, 0.02, 0.04, 0.08, 0.16, Infinity];
  // 100 ITL observations per scrape: fast ones in (0.02, 0.04] (median 0.03 s), slow ones in (0.04, 0.08].
  // `slow(i)` of the 100 are slow. Prompt tokens at `load` × 100/s. Running 20 (40 while slow).
  const replica = (c: Clock, inst: string, slow: (i: number) => number = () => 0, load = 1, cfg: Flags = { num_gpu_blocks: 1000, block_size: 16 }) => {
    const k = c.step / 10;
    return [
      ...histogram(c, 'vllm:inter_token_latency_seconds', ITL_LES, (i) => [0, 0, (100 - slow(i)) * k, 100 * k, 100 * k, 100 * k], (i) => (3 + 0.03 * slow(i)) * k, { instance: inst }),
      ser(c, 'vllm:prompt_tokens_total', counter(c, () => 1000 * k * load, 1e6), { instance: inst }),
      ser(c, 'vllm:num_requests_running', gauge(c, (i) => (slow(i) > 0 ? 40 : 20)), { instance: inst }),
      cacheConfigInfo(c, cfg, { instance: inst }),
    ];
  };
  const slowDuring = (x: number) => (i: number) => (incDuring(i) ? x : 0);
  const fleet = (x = 100, load = 1, cfgC?: Flags) => [...replica(C, 'a:8000'), ...replica(C, 'b:8000'), ...replica(C, 'c:8000', slowDuring(x), load, cfgC)];

  it('c decodes at 2× its peers for 20 minutes: one episode that ends when the slowdown ends; its peers are fine', () => {
    const v = viewOf(fleet());
    const e = only(detect('replica-slowdown', v, 'c:8000'));
    const [s, t] = offsets(e);
    // A median over a centred window passes 1.5× once ~57% of the window's observations are slow (0.07 W).
    expect(Math.abs(s - FROM)).toBeLessThanOrEqual(30);
    expect(Math.abs(t - TO)).toBeLessThanOrEqual(30);
    expect(e.numbers.ratioToPeers).toBeCloseTo(2, 9);
    expect(e.numbers.itlMedianSeconds).toBeCloseTo(0.06, 12);
    expect(e.numbers.peersItlMedianSeconds).toBeCloseTo(0.03, 12);
    expect(e.numbers.runningRatioToPeers).toBeCloseTo(41 / 21, 9); // (40 + 1) / (20 + 1)
    expect(e.numbers.smClockMedianMHz).toBeNull();
    // Whole-window medians hide it: c's median over the window is its peers'.
    const o = evaluated(detect('replica-slowdown', v, 'c:8000'));
    expect(o.evidence).toEqual({ comparedWindowsRatio: 1, peers: 2, itlMedianSeconds: expect.closeTo(0.03, 12), peersItlMedianSeconds: expect.closeTo(0.03, 12) });
    expect(evaluated(detect('replica-slowdown', v, 'a:8000')).status).toBe('ok');
  });

  it('minRatio edge at 1.5: 57 of 100 slow (1.497×) is none, 58 of 100 (1.517×) an episode', () => {
    // median rank 50: (x − 50) of x slow in (0.04, 0.08] → 0.04 + 0.04 (x − 50)/x
    const ratio = (x: number) => (0.04 + (0.04 * (x - 50)) / x) / 0.03;
    expect(ratio(57)).toBeLessThan(1.5);
    expect(evaluated(detect('replica-slowdown', viewOf(fleet(57)), 'c:8000')).status).toBe('ok');
    const e = only(detect('replica-slowdown', viewOf(fleet(58)), 'c:8000'));
    expect(e.numbers.ratioToPeers).toBeCloseTo(ratio(58), 9);
  });

  it('minEpisodeWindows: a slowdown must last two sliding windows — 8 minutes is none, 15 minutes is one', () => {
    const short = (minutes: number) => [...replica(C, 'a:8000'), ...replica(C, 'b:8000'), ...replica(C, 'c:8000', (i) => (i > A && i <= A + minutes * 6 ? 100 : 0))];
    expect(evaluated(detect('replica-slowdown', viewOf(short(8)), 'c:8000')).status).toBe('ok');
    expect(evaluated(detect('replica-slowdown', viewOf(short(15)), 'c:8000')).status).toBe('issue');
  });

  it('comparable load by prompt-token input: 1.49× the peers\' input is compared, 1.52× is not', () => {
    // (151 + 1)/(101)… the load ratio is (mine + 1)/(peers + 1) in tokens/s: 149/s → 150/101 = 1.485; 152/s → 153/101 = 1.515
    expect(evaluated(detect('replica-slowdown', viewOf(fleet(100, 1.49)), 'c:8000')).status).toBe('issue');
    expect(detect('replica-slowdown', viewOf(fleet(100, 1.52)), 'c:8000')).toEqual({ status: 'insufficient-data', reason: 'no window where a peer with the same configuration ran a comparable load' });
  });

  it('the same configuration is required: a c with half the KV blocks has no peer; a d like c is its peer', () => {
    const half = { num_gpu_blocks: 500, block_size: 16 };
    expect(detect('replica-slowdown', viewOf(fleet(100, 1, half)), 'c:8000')).toEqual({ status: 'insufficient-data', reason: 'no window where a peer with the same configuration ran a comparable load' });
    const withD = viewOf([...fleet(100, 1, half), ...replica(C, 'd:8000', () => 0, 1, half)]);
    const e = only(detect('replica-slowdown', withD, 'c:8000'));
    expect(e.numbers.peersItlMedianSeconds).toBeCloseTo(0.03, 12);
    expect(evaluated(detect('replica-slowdown', withD, 'c:8000')).evidence.peers).toBe(3);
  });

  it('SM clocks of the replica and its peers during the episode', () => {
    const clockSeries = (host: string, mhz: (i: number) => number) => ser(C, 'DCGM_FI_DEV_SM_CLOCK', gauge(C, mhz), { instance: `${host}:9400`, gpu: '0' });
    const v = viewOf([...fleet(), clockSeries('a', () => 1980), clockSeries('b', () => 1960), clockSeries('c', (i) => (during(i) ? 1100 : 1980))]);
    const e = only(detect('replica-slowdown', v, 'c:8000'));
    expect(e.numbers.smClockMedianMHz).toBe(1100);
    expect(e.numbers.peersSmClockMedianMHz).toBe(1970);
  });

  it('insufficient-data: a single replica; no inter-token histogram for this replica', () => {
    expect(detect('replica-slowdown', viewOf(replica(C, 'a:8000')), 'a:8000')).toEqual({ status: 'insufficient-data', reason: 'needs at least two replicas to compare' });
    const v = viewOf([...replica(C, 'a:8000'), ser(C, 'vllm:num_requests_running', gauge(C, () => 1), { instance: 'z:8000' })]);
    expect(detect('replica-slowdown', v, 'z:8000')).toEqual({ status: 'insufficient-data', reason: 'no inter-token latency histogram for this replica' });
  });
});

// ------------------------------------------------------------------------------------------------
// Issue 9 §2: a 30-minute incident found the same way in a 2-hour, a 24-hour and a 7-day window. The long
// windows are scraped every 30 s to keep the data small; the 7-day grid is coarsened to 90 s (20 161
// scrapes > MAX_GRID_POINTS). The incident starts at a multiple of 90 s and lasts 30 minutes.

interface Win {
  name: string;
  c: Clock;
  /** Offset of the incident in seconds. */
  at: number;
}
const WINDOWS: Win[] = [
  { name: '2 h', c: clockOf(10, 7200), at: 3600 },
  { name: '24 h', c: clockOf(30, 86_400), at: 43_200 },
  { name: '7 d', c: clockOf(30, 7 * 86_400), at: 302_400 },
];
const LEN = 1800;

it('the long windows have the grids the property is about (10 s, 30 s, 90 s)', () => {
  expect(WINDOWS.map((w) => viewOf([ser(w.c, 'vllm:num_requests_running', new Float64Array(w.c.n), L)]).step)).toEqual([10, 30, 90]);
  expect(WINDOWS[2].c.n).toBeGreaterThan(MAX_GRID_POINTS);
});

interface Case {
  id: DetectorId;
  scope: string;
  /** Series for a window with the incident over sample indices [a, b) (counters: increments a+1 … b). */
  build(c: Clock, a: number, b: number): Series[];
  /** Episode numbers that must be identical in every window. */
  same: string[];
  /** How far the episode may lie from the incident in every window, in seconds (beyond one grid step). */
  slack: number;
}

const incidentCases: Case[] = [
  {
    id: 'queue-buildup',
    scope: R,
    build: (c, a, b) => [ser(c, 'vllm:num_requests_waiting', gauge(c, (i) => (i >= a && i < b ? 20 : 0)), L)],
    same: ['waitingMax'],
    slack: 0,
  },
  {
    id: 'kv-pressure',
    scope: R,
    build: (c, a, b) => [ser(c, 'vllm:kv_cache_usage_perc', gauge(c, (i) => (i >= a && i < b ? 0.98 : 0.5)), L)],
    same: ['kvMaxRatio'],
    slack: 0,
  },
  {
    id: 'preemptions',
    scope: R,
    build: (c, a, b) => [ser(c, 'vllm:num_preemptions_total', counter(c, (i) => (i > a && i <= b ? c.step / 2 : 0), 0), L)],
    same: ['preemptions', 'peakPreemptionsPerMinute'],
    slack: 0,
  },
  {
    id: 'latency-ttft',
    scope: R,
    build: (c, a, b) => {
      const k = c.step / 10;
      return histogram(c, 'vllm:time_to_first_token_seconds', [0.1, 0.5, 2.5, 5, Infinity], (i) => (i > a && i <= b ? [0, 0, 0, 10 * k, 10 * k] : [10 * k, 10 * k, 10 * k, 10 * k, 10 * k]), (i) => (i > a && i <= b ? 40 : 0.5) * k, L);
    },
    same: ['peakP95Seconds'],
    slack: 0,
  },
  {
    id: 'batch-plateau',
    scope: R,
    build: (c, a, b) => [
      ser(c, 'vllm:num_requests_running', gauge(c, (i) => (i >= a && i < b ? 64 : 30)), L),
      ser(c, 'vllm:num_requests_waiting', gauge(c, (i) => (i >= a && i < b ? 5 : 0)), L),
    ],
    same: ['capRequests'],
    slack: 0,
  },
  {
    id: 'kv-swapping',
    scope: R,
    build: (c, a, b) => [ser(c, 'vllm:num_requests_swapped', gauge(c, (i) => (i >= a && i < b ? 3 : 0)), L)],
    same: ['swappedMax'],
    slack: 0,
  },
  {
    id: 'replica-slowdown',
    scope: 'c:8000',
    build: (c, a, b) => {
      const k = c.step / 10;
      const rep = (inst: string, slow: boolean) => [
        ...histogram(c, 'vllm:inter_token_latency_seconds', [0.02, 0.04, 0.08, Infinity], (i) => (slow && i > a && i <= b ? [0, 0, 100 * k, 100 * k] : [0, 100 * k, 100 * k, 100 * k]), () => 3 * k, { instance: inst }),
        ser(c, 'vllm:prompt_tokens_total', counter(c, () => 1000 * k, 1e6), { instance: inst }),
        ser(c, 'vllm:num_requests_running', gauge(c, () => 20), { instance: inst }),
      ];
      return [...rep('a:8000', false), ...rep('b:8000', false), ...rep('c:8000', true)];
    },
    same: ['ratioToPeers', 'itlMedianSeconds', 'peersItlMedianSeconds', 'runningRatioToPeers'],
    slack: 30,
  },
];

function incidentEpisodes(cs: Case): { w: Win; step: number; e: Ep }[] {
  return WINDOWS.map((w) => {
    const a = w.at / w.c.step;
    const b = (w.at + LEN) / w.c.step;
    const v = viewOf(cs.build(w.c, a, b), cs.id === 'batch-plateau' ? { max_num_seqs: 64 } : {});
    const o = evaluated(detect(cs.id, v, cs.scope));
    expect(o.status, `${cs.id} in the ${w.name} window`).toBe('issue');
    expect(o.episodes, `${cs.id} in the ${w.name} window`).toHaveLength(1);
    return { w, step: v.step, e: o.episodes[0] };
  });
}

describe('a 30-minute incident reads the same in a 2-hour, a 24-hour and a 7-day window', () => {
  for (const cs of incidentCases) {
    it(`${cs.id}: found in every window near the incident, with the same ${cs.same.join(', ')}`, () => {
      const found = incidentEpisodes(cs);
      for (const { w, step, e } of found) {
        const s = e.startSeconds - w.c.t0 - w.at;
        const t = e.endSeconds - w.c.t0 - w.at - LEN;
        expect(Math.abs(s), `${cs.id} start in the ${w.name} window`).toBeLessThanOrEqual(cs.slack + step);
        expect(Math.abs(t), `${cs.id} end in the ${w.name} window`).toBeLessThanOrEqual(cs.slack + step);
      }
      const ref = found[0].e.numbers;
      for (const { w, e } of found.slice(1)) for (const k of cs.same) expect(e.numbers[k], `${cs.id} ${k} in the ${w.name} window`).toBeCloseTo(ref[k] as number, 9);
    });
  }

  // The strict form of the property, as issue 9 §2 and the lead's brief state it: start and end within a
  // grid step or two of the incident and every episode number the same. The detectors evaluated on a
  // centred 5-minute window (mean, rate, quantile, share) hold from up to half a window before the
  // incident to half a window after; their edges are moved to where the unsmoothed symptom starts and
  // stops, so their episodes and numbers are the incident's on every grid.
  const strict = (cs: Case) => () => {
    const found = incidentEpisodes(cs);
    for (const { w, step, e } of found) {
      expect(Math.abs(e.startSeconds - w.c.t0 - w.at), `${cs.id} start in the ${w.name} window`).toBeLessThanOrEqual(2 * step);
      expect(Math.abs(e.endSeconds - w.c.t0 - w.at - LEN), `${cs.id} end in the ${w.name} window`).toBeLessThanOrEqual(2 * step);
    }
    const ref = found[0].e.numbers;
    for (const { e } of found.slice(1)) for (const [k, x] of Object.entries(ref)) if (typeof x === 'number') expect(e.numbers[k], `${cs.id} ${k}`).toBeCloseTo(x, 6);
  };
  const failsBecause: Partial<Record<DetectorId, string>> = {};
  for (const cs of incidentCases) {
    const why = failsBecause[cs.id];
    if (!why) it(`${cs.id}: within two grid steps of the incident and every number the same`, strict(cs));
    else it.fails(`${cs.id}: within two grid steps of the incident and every number the same (fails: ${why})`, strict(cs));
  }
});
