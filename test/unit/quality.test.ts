// Quality signals (src/derive/quality.ts, detectors truncation-rise / abort-rise / length-drift): per
// grid interval counts equal the window-bounded increase; a share that steps up is found per replica,
// from where it stepped, against the baseline it stepped from, and stays a rise while it lasts; the
// size floors and the z test decide at their edges; a distribution that moves is found by its PSI; the
// recent stretch against the rest catches a rise too slow for any window.
//
// Traffic: seeded binomial draws, 5 finished requests per 10-second scrape (0.5/s) on 2-hour windows.

import { describe, expect, it } from 'vitest';
import { T0, clockOf, counter, histogram, idx, mulberry32, ser, times, viewOf, type Clock } from '../support/synthetic.js';
import type { Series } from '../../src/model/series.js';
import { totalBetween } from '../../src/derive/windowed.js';
import { bucketIntervals, finishedIntervals, frozenTrailingScan, intervalIncrease, lengthShiftBetween, recentSplit, shareRiseScan, stepEdges } from '../../src/derive/quality.js';
import { psi } from '../../src/stats/proportion.js';
import truncationRise, { TRUNCATION_OPTIONS } from '../../src/detectors/truncation-rise.js';
import abortRise from '../../src/detectors/abort-rise.js';
import lengthDrift, { DRIFT_OPTIONS } from '../../src/detectors/length-drift.js';

const C = clockOf(10, 7200);
const R = 'r1:8000';
const P = 'r2:8000';

function binomial(u: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (u() < p) k++;
  return k;
}

/**
 * request_success_total by reason: `perScrape` finished requests per scrape interval, of which a share
 * `lengthAt(i)` ended by length and `abortAt(i)` were aborted (interval i ends at sample i).
 */
function finished(c: Clock, inst: string, lengthAt: (i: number) => number, abortAt: (i: number) => number = () => 0, seed = 1, perScrape: (i: number) => number = () => 5): Series[] {
  const u = mulberry32(seed);
  const len = new Float64Array(c.n);
  const ab = new Float64Array(c.n);
  const st = new Float64Array(c.n);
  for (let i = 1; i < c.n; i++) {
    const n = perScrape(i);
    const l = binomial(u, n, lengthAt(i));
    const a = binomial(u, n - l, abortAt(i) / Math.max(1e-9, 1 - lengthAt(i)));
    len[i] = l;
    ab[i] = a;
    st[i] = n - l - a;
  }
  const L = { instance: inst };
  return [
    ser(c, 'vllm:request_success_total', counter(c, (i) => st[i], 1000), { ...L, finished_reason: 'stop' }),
    ser(c, 'vllm:request_success_total', counter(c, (i) => len[i], 20), { ...L, finished_reason: 'length' }),
    ser(c, 'vllm:request_success_total', counter(c, (i) => ab[i], 0), { ...L, finished_reason: 'abort' }),
  ];
}

const at = (s: number) => idx(C, s);
const rel = (e: { startSeconds: number; endSeconds: number }) => [e.startSeconds - T0, e.endSeconds - T0];

describe('counts per grid interval', () => {
  it('each interval\'s increase equals totalBetween over it, across a reset and a gap', () => {
    const v = Float64Array.from({ length: C.n }, (_, i) => (i < 300 ? 3 * i : 2 * (i - 300)));
    v[500] = NaN;
    const s: Series = { name: 'vllm:request_success_total', labels: { instance: R, finished_reason: 'stop' }, t: times(C), v };
    const view = viewOf([s]);
    const inc = intervalIncrease(view, s);
    for (let i = 0; i < view.grid.length; i++) {
      const want = totalBetween(view, 'vllm:request_success_total', R, view.grid[i], view.grid[i] + view.step);
      expect([i, inc[i]]).toEqual([i, want ?? NaN]);
    }
    // The reset interval counts the new value (0 → 2·1 = 2), the two intervals touching the NaN count 0.
    expect(inc[300]).toBe(2);
    expect([inc[499], inc[500]]).toEqual([0, 0]);
  });

  it('gives the bits of a prefix-sum reference on fractional counters with resets, NaN and jittered scrapes; totals add them', () => {
    // The prefix array C of the first implementation, kept here as the reference: C[p1] − C[first].
    const reference = (view: ReturnType<typeof viewOf>, s: Series): Float64Array => {
      const g = view.grid;
      const out = new Float64Array(g.length);
      const Cs = new Float64Array(s.t.length);
      for (let k = 1; k < s.t.length; k++) {
        const a = s.v[k - 1];
        const b = s.v[k];
        Cs[k] = Cs[k - 1] + (a !== a || b !== b ? 0 : b >= a ? b - a : b);
      }
      for (let i = 0; i < g.length; i++) {
        const t0 = g[i];
        const t1 = i + 1 < g.length ? g[i + 1] : g[i] + view.step;
        let p0 = -1;
        let p1 = -1;
        for (let k = 0; k < s.t.length; k++) {
          if (s.t[k] <= t0) p0 = k;
          if (s.t[k] <= t1) p1 = k;
        }
        const first = p0 < 0 ? 0 : p0;
        out[i] = p1 < 0 ? NaN : p1 <= first ? (s.t[first] >= t0 && p1 === first ? 0 : NaN) : Cs[p1] - Cs[first];
      }
      return out;
    };
    const u = mulberry32(99);
    const list: Series[] = [];
    for (const [k, offset] of [[0, 0], [1, 95], [2, -40]] as const) {
      // Jittered 7 s scrapes, a series starting late and one starting early, values with fractions.
      let x = 0;
      const t = Float64Array.from({ length: 900 }, (_, i) => T0 + offset + i * 7 + u() * 3);
      const v = Float64Array.from(t, (_, i) => (u() < 0.01 ? (x = u() * 10) : (x += u() * 13.37)) + (i === 400 + k ? NaN : 0));
      list.push({ name: 'vllm:request_success_total', labels: { instance: R, finished_reason: `r${k}` }, t, v });
    }
    const view = viewOf(list);
    const sum = new Float64Array(view.grid.length);
    for (const s of list) {
      const want = reference(view, s);
      const got = intervalIncrease(view, s);
      for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect([s.labels.finished_reason, i, got[i]]).toEqual([s.labels.finished_reason, i, want[i]]);
      for (let i = 0; i < sum.length; i++) if (want[i] === want[i]) sum[i] += want[i];
    }
    const totals = finishedIntervals(view, R)!.total;
    expect([...totals]).toEqual([...sum]);
    // Fractions really are there (a prefix difference is not the plain sum of the increments).
    expect(sum.some((x) => !Number.isInteger(x))).toBe(true);
  });

  it('integer counters (the shortcut through resets and shared edge positions) give the Float64 walk\'s bits', () => {
    const u = mulberry32(3);
    for (let c = 0; c < 20; c++) {
      const list: Series[] = [];
      const floats: Series[] = [];
      // Two timestamp arrays, each shared by three series: one starting late, one starting early. Every
      // other case on an exact 7 s grid with a 49 s gap (samples exactly at interval starts, intervals
      // bounded by one sample), else jittered.
      const exact = c % 2 === 1;
      for (const offset of [98, -42]) {
        const t = Float64Array.from({ length: 600 }, (_, i) => T0 + offset + i * 7 + (exact ? (i >= 300 ? 49 : 0) : u() * 3));
        for (let k = 0; k < 3; k++) {
          let x = Math.floor(u() * 1000);
          const vals = Array.from(t, () => (u() < 0.02 ? (x = Math.floor(u() * 10)) : (x = Math.min(2 ** 31 - 1, x + Math.floor(u() * 2 ** 24)))));
          const labels = { instance: R, finished_reason: `r${offset}-${k}` };
          list.push({ name: 'vllm:request_success_total', labels, t, v: Int32Array.from(vals) });
          floats.push({ name: 'vllm:request_success_total', labels, t, v: Float64Array.from(vals) });
        }
      }
      const view = viewOf(list);
      const fview = viewOf(floats);
      for (let j = 0; j < list.length; j++) {
        const got = intervalIncrease(view, list[j]);
        const want = intervalIncrease(fview, floats[j]);
        for (let i = 0; i < want.length; i++) if (!Object.is(got[i], want[i])) expect([c, j, i, got[i]]).toEqual([c, j, i, want[i]]);
      }
      expect([...finishedIntervals(view, R)!.total]).toEqual([...finishedIntervals(fview, R)!.total]);
    }
  });

  it('finished by reason; a histogram per bucket (not cumulative) with its count and sum', () => {
    const view = viewOf([...finished(C, R, () => 0.2), ...histogram(C, 'vllm:request_prompt_tokens', [100, 1000, Infinity], () => [1, 4, 5], () => 2000, { instance: R })]);
    const f = finishedIntervals(view, R)!;
    expect(f.reasons).toEqual(['abort', 'length', 'stop']);
    expect(Array.from(f.total.subarray(0, 5))).toEqual([5, 5, 5, 5, 5]);
    const h = bucketIntervals(view, 'vllm:request_prompt_tokens', R)!;
    expect(h.les).toEqual([100, 1000, Infinity]);
    expect([h.buckets[0][7], h.buckets[1][7], h.buckets[2][7], h.count[7], h.sum[7]]).toEqual([1, 3, 1, 5, 2000]);
    // No finished_reason label: no split, so no share.
    expect(finishedIntervals(viewOf([ser(C, 'vllm:request_success_total', counter(C, () => 5), { instance: R })]), R)).toBeNull();
  });
});

describe('frozenTrailingScan', () => {
  it('the baseline is the last accepted intervals before the window, frozen while the condition holds', () => {
    // One component; the condition holds where the window sum is above 3× the baseline mean per interval.
    const x = Float64Array.from({ length: 40 }, (_, i) => (i >= 20 && i < 30 ? 10 : 1));
    const scan = frozenTrailingScan([x], { before: 1, after: 1, baselineIntervals: 5 }, (win, base, k) => (k < 5 ? 'unscored' : win[0] / 3 > 3 * (base[0] / k) ? 'holds' : 'calm'));
    const held = Array.from(scan.holds).flatMap((h, i) => (h ? [i] : []));
    expect(held).toEqual([19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    // Frozen: every point of the run compares with the baseline of its first point (5 intervals of 1).
    for (const i of held) expect([i, scan.baseline[0][i], scan.baselineIntervals[i]]).toEqual([i, 5, 5]);
    // After the run, the baseline is learnt again only from calm intervals: the 10s are never in it.
    expect(scan.baseline[0][39]).toBe(5);
  });

  it('stepEdges puts a run\'s start where the log-likelihood of a step is largest', () => {
    // llr −1 before index 12, +2 from it: the run found at 10 (a centred window opened early) moves to 12.
    const llr = (j: number) => (j >= 12 && j < 30 ? 2 : -1);
    expect(stepEdges({ startIndex: 10, endIndex: 31 }, 50, 3, llr)).toEqual({ startIndex: 12, endIndex: 29 });
    // A run that ends with the grid keeps its end.
    expect(stepEdges({ startIndex: 14, endIndex: 49 }, 50, 3, (j) => (j >= 12 ? 2 : -1))).toEqual({ startIndex: 12, endIndex: 49 });
  });
});

describe('truncation-rise', () => {
  const detect = (view: ReturnType<typeof viewOf>, scope: string) => truncationRise.detect(view, truncationRise.options, scope);

  it('a step from 2 % to 30 % at 01:00 on one replica: one episode from the step to the end, the other replica calm', () => {
    const view = viewOf([...finished(C, R, (i) => (i > at(3600) ? 0.3 : 0.02), () => 0, 1), ...finished(C, P, () => 0.02, () => 0, 2)]);
    const r = detect(view, R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    expect(r.status).toBe('issue');
    expect(r.episodes).toHaveLength(1);
    const e = r.episodes[0];
    // The change-point estimate puts the start within 30 s of the step; the episode lasts to the window's end.
    expect(Math.abs(e.startSeconds - (T0 + 3600))).toBeLessThanOrEqual(30);
    expect(e.endSeconds).toBe(T0 + 7200);
    // Numbers over the episode: the share (30 % ± sampling), the frozen baseline (2 % ± sampling).
    expect(e.numbers.ratio!).toBeGreaterThan(0.26);
    expect(e.numbers.ratio!).toBeLessThan(0.34);
    expect(e.numbers.baselineRatio!).toBeLessThan(0.04);
    expect(e.numbers.counted! / e.numbers.finished!).toBeCloseTo(e.numbers.ratio!, 12);
    // Recent vs earlier decides only on windows of two days or more (the last day against the rest).
    expect(r.evidence.recentRose).toBe(false);
    expect(r.evidence.recentRatio!).toBeGreaterThan(0.26);
    const q = detect(view, P);
    expect(q.status).toBe('ok');
  });

  it('the rise must be 5 points and 1.5× the baseline: 2 % → 6.5 % at 5/s is not, 2 % → 8 % is', () => {
    // Ten times the traffic, so the z test passes easily and the size floors decide.
    const busy = (p: number, seed: number) => viewOf(finished(C, R, (i) => (i > at(3600) ? p : 0.02), () => 0, seed, () => 50));
    expect(detect(busy(0.065, 3), R).status).toBe('ok');
    const r = detect(busy(0.08, 4), R);
    expect(r.status).toBe('issue');
    // Relative floor: a 30 % baseline rising to 40 % is 10 points but only 1.33×.
    const hi = viewOf(finished(C, R, (i) => (i > at(3600) ? 0.4 : 0.3), () => 0, 5, () => 50));
    expect(detect(hi, R).status).toBe('ok');
  });

  it('a burst shorter than 10 minutes is not a truncation episode; a 20-minute one is', () => {
    const burst = (len: number) => viewOf(finished(C, R, (i) => (i > at(3600) && i <= at(3600 + len) ? 0.5 : 0.02), () => 0, 6, () => 20));
    expect(detect(burst(300), R).status).toBe('ok');
    const r = detect(burst(1200), R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    expect(r.episodes.map(rel)).toHaveLength(1);
    const [s, e] = rel(r.episodes[0]);
    expect(Math.abs(s - 3600)).toBeLessThanOrEqual(20);
    expect(Math.abs(e - 4800)).toBeLessThanOrEqual(20);
  });

  it('a regression longer than the baseline hour stays one episode (the baseline is frozen, not taught the new level)', () => {
    const c = clockOf(10, 6 * 3600);
    const view = viewOf(finished(c, R, (i) => (i > idx(c, 3600) ? 0.25 : 0.02), () => 0, 7));
    const r = detect(view, R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    expect(r.episodes).toHaveLength(1);
    expect(r.episodes[0].endSeconds).toBe(T0 + 6 * 3600);
    expect(r.episodes[0].durationSeconds).toBeGreaterThan(5 * 3600 - 60);
  });

  it('a quiet hour inside a regression neither ends it nor is learnt', () => {
    const c = clockOf(10, 5 * 3600);
    // Share 25 % from 01:00; no traffic at all from 02:00 to 03:00.
    const view = viewOf(finished(c, R, (i) => (i > idx(c, 3600) ? 0.25 : 0.02), () => 0, 8, (i) => (i > idx(c, 7200) && i <= idx(c, 10_800) ? 0 : 5)));
    const scan = shareRiseScan(view, finishedIntervals(view, R)!.length, finishedIntervals(view, R)!.total, TRUNCATION_OPTIONS);
    // After the quiet hour the share is still compared with the 2 % baseline from before 01:00.
    const after = idx(c, 12_600);
    expect(scan.holds[after]).toBe(1);
    expect(scan.baselineShare[after]).toBeLessThan(0.04);
    const r = detect(view, R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    // Two episodes (the quiet hour is longer than the bridge), both against the old baseline.
    expect(r.episodes).toHaveLength(2);
    for (const e of r.episodes) expect(e.numbers.baselineRatio!).toBeLessThan(0.04);
  });

  it('too few requests: the share is not scored; no finished_reason label or no "length" series: insufficient data', () => {
    // 1 request a minute: a 5-minute window holds 5 (< 30), nothing is scored, no episode.
    const sparse = viewOf(finished(C, R, (i) => (i > at(3600) ? 0.5 : 0.02), () => 0, 9, (i) => (i % 6 === 0 ? 1 : 0)));
    expect(detect(sparse, R).status).toBe('ok');
    const noLabel = viewOf([ser(C, 'vllm:request_success_total', counter(C, () => 5), { instance: R })]);
    expect(detect(noLabel, R)).toEqual({ status: 'insufficient-data', reason: 'vllm:request_success_total carries no finished_reason label in this scope' });
    const noLength = viewOf([ser(C, 'vllm:request_success_total', counter(C, () => 5), { instance: R, finished_reason: 'stop' })]);
    expect(detect(noLength, R)).toEqual({ status: 'insufficient-data', reason: 'no finished_reason="length" series (reasons: stop)' });
  });

  it('a rise too slow for any window is caught recent vs earlier (the last day against the rest)', () => {
    // Four days at 1 request/s scraped every 60 s; the share climbs linearly from 2 % to 12 %.
    const c = clockOf(60, 4 * 86_400);
    const view = viewOf(finished(c, R, (i) => 0.02 + (0.1 * i) / c.n, () => 0, 10, () => 60));
    const split = recentSplit(view)!;
    expect(split.recent.startSeconds).toBe(view.end - 86_400);
    expect(split.lastDay).toBe(true);
    const r = detect(view, R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    expect(r.episodes).toEqual([]);
    expect(r.evidence.recentRose).toBe(true);
    // Expected shares: earlier ≈ mean over the first three days (2 % → 9.5 %), recent ≈ 9.5 % → 12 %.
    expect(r.evidence.earlierRatio!).toBeGreaterThan(0.05);
    expect(r.evidence.earlierRatio!).toBeLessThan(0.065);
    expect(r.evidence.recentRatio!).toBeGreaterThan(0.1);
    expect(r.evidence.recentRatio!).toBeLessThan(0.115);
  });
});

describe('abort-rise', () => {
  it('aborts from 0 to 10 % for 20 minutes: one episode, with the aborted count; without abort or error series: insufficient data', () => {
    const view = viewOf(finished(C, R, () => 0.02, (i) => (i > at(3600) && i <= at(4800) ? 0.1 : 0), 11, () => 20));
    const r = abortRise.detect(view, abortRise.options, R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    expect(r.episodes).toHaveLength(1);
    const [s, e] = rel(r.episodes[0]);
    expect(Math.abs(s - 3600)).toBeLessThanOrEqual(30);
    expect(Math.abs(e - 4800)).toBeLessThanOrEqual(30);
    const n = r.episodes[0].numbers;
    expect(n.aborted).toBe(n.counted);
    expect(n.errored).toBeNull(); // no "error" series
    expect(n.ratio!).toBeGreaterThan(0.07);
    expect(n.baselineRatio).toBe(0);
    expect(r.evidence).toMatchObject({ abortSeries: true, errorSeries: false });
    const none = viewOf(finished(C, R, () => 0.02).filter((s) => s.labels.finished_reason !== 'abort'));
    expect(abortRise.detect(none, abortRise.options, R)).toEqual({ status: 'insufficient-data', reason: 'no finished_reason="abort" or "error" series (reasons: length, stop)' });
  });
});

describe('length-drift', () => {
  const LES = [100, 200, 500, 1000, 2000, Infinity];
  // 10 requests per scrape. Before: 2 ≤ 100, 5 ≤ 200, 9 ≤ 500, 10 ≤ 1000; after 01:00 prompts move one bucket up.
  const before = [2, 5, 9, 10, 10, 10];
  const after = [0, 2, 5, 9, 10, 10];
  const prompts = (c: Clock, inst: string, change: (i: number) => boolean, sums: [number, number] = [2500, 6000]) =>
    histogram(c, 'vllm:request_prompt_tokens', LES, (i) => (change(i) ? after : before), (i) => (change(i) ? sums[1] : sums[0]), { instance: inst });
  const outputs = (c: Clock, inst: string) => histogram(c, 'vllm:request_generation_tokens', LES, () => [3, 8, 10, 10, 10, 10], () => 1500, { instance: inst });

  it('prompts one bucket longer from 01:00: an episode from 01:00 on the moved replica, its PSI and means', () => {
    const view = viewOf([...prompts(C, R, (i) => i > at(3600)), ...outputs(C, R), ...prompts(C, P, () => false), ...outputs(C, P)]);
    const r = lengthDrift.detect(view, lengthDrift.options, R);
    if (r.status === 'insufficient-data') throw new Error(r.reason);
    expect(r.episodes).toHaveLength(1);
    const e = r.episodes[0];
    expect(rel(e)).toEqual([3600, 7200]);
    // Exact: the baseline holds only "before" intervals and the episode only "after" ones.
    const per = (cum: number[]) => cum.map((x, j) => x - (j ? cum[j - 1] : 0));
    expect(e.numbers.dimension).toBe('prompt');
    expect(e.numbers.promptPsi).toBeCloseTo(psi(per(before), per(after)), 9);
    expect(e.numbers.promptMeanBefore).toBeCloseTo(250, 9);
    expect(e.numbers.promptMeanDuring).toBeCloseTo(600, 9);
    expect(e.numbers.outputPsi).toBeCloseTo(0, 9);
    expect(r.evidence.recentDrift).toBe('none'); // a 2-hour window: the halves are shown, not judged
    expect(r.evidence.promptMeanRecent).toBeCloseTo(600, 9);
    expect(lengthDrift.detect(view, lengthDrift.options, P).status).toBe('ok');
  });

  it('a shape change at the same mean is not drift (the mean must move by 1.25×); a 50-minute burst is not an episode (half the 2-hour window is)', () => {
    const same = viewOf([...prompts(C, R, (i) => i > at(3600), [2500, 2500]), ...outputs(C, R)]);
    const r = lengthDrift.detect(same, lengthDrift.options, R);
    expect(r.status).toBe('ok');
    const burst = viewOf([...prompts(C, R, (i) => i > at(1800) && i <= at(4800)), ...outputs(C, R)]);
    expect(lengthDrift.detect(burst, lengthDrift.options, R).status).toBe('ok');
    expect(DRIFT_OPTIONS.minEpisodeSeconds).toBe(3600);
    // On a 4-hour window the full hour is needed: 70 minutes is an episode, 50 is not.
    const c = clockOf(10, 4 * 3600);
    const win = (len: number) => viewOf([...prompts(c, R, (i) => i > idx(c, 3600) && i <= idx(c, 3600 + len)), ...outputs(c, R)]);
    expect(lengthDrift.detect(win(3000), lengthDrift.options, R).status).toBe('ok');
    const long = lengthDrift.detect(win(4200), lengthDrift.options, R);
    if (long.status === 'insufficient-data') throw new Error(long.reason);
    expect(long.episodes.map(rel)).toEqual([[3600, 7800]]);
  });

  it('lengthShiftBetween: PSI and means of two spans', () => {
    const view = viewOf([...prompts(C, R, (i) => i > at(3600)), ...outputs(C, R)]);
    const x = lengthShiftBetween(view, 'vllm:request_prompt_tokens', R, { startSeconds: T0, endSeconds: T0 + 3600 }, { startSeconds: T0 + 3600, endSeconds: T0 + 7200 })!;
    expect([x.requestsBefore, x.requestsAfter, x.meanBefore, x.meanAfter]).toEqual([3600, 3600, 250, 600]);
    expect(x.psi).toBeCloseTo(psi([2, 3, 4, 1, 0, 0], [0, 2, 3, 4, 1, 0]), 9);
  });
});
