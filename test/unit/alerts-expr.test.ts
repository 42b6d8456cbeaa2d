// The alert expression tree: PromQL text, the range functions on hand-computed values, the evaluator's
// vector semantics, and the alerting-rule state machine. (Cross-checked against a real Prometheus in
// test/integration/alerts-prometheus.test.ts.)

import { describe, expect, it } from 'vitest';
import { MetricSet, type Series } from '../../src/model/series.js';
import { linearRegression, overTime, predictLinear } from '../../src/stats/promql-over-time.js';
import { Evaluator, alertEpisodes, type Vec } from '../../src/alerts/evaluate.js';
import { agg, and, anyOf, arith, cmp, formatDuration, or, predictLinear as pl, rangeFn, record, recordsOf, render, sel } from '../../src/alerts/expr.js';
import { leMatcher } from '../../src/alerts/rules.js';

const T0 = 1_700_000_000;
const f64 = (a: number[]) => Float64Array.from(a);
const series = (name: string, labels: Record<string, string>, t: number[], v: number[], rawName?: string): Series => ({ name, labels, t: f64(t), v: f64(v), ...(rawName ? { rawName } : {}) });

function only(vec: Vec): { labels: Record<string, string>; values: (number | null)[] } {
  expect(vec.size).toBe(1);
  const el = [...vec.values()][0];
  return { labels: { ...el.labels }, values: Array.from(el.v, (x, i) => (el.has[i] ? x : null)) };
}

describe('PromQL text', () => {
  it('durations as Prometheus writes them', () => {
    expect([300, 1800, 3600, 86400, 259200, 90, 0.25].map(formatDuration)).toEqual(['5m', '30m', '1h', '1d', '3d', '1m30s', '250ms']);
  });

  it('renders selectors, functions, aggregations and operators with parentheses where needed', () => {
    const m = [{ label: 'namespace', op: '=' as const, value: 'prod' }];
    const e = and(cmp('>', agg('max', ['instance'], sel('vllm:kv_cache_usage_perc', m)), 0.9), cmp('>', agg('sum', ['instance'], rangeFn('rate', 'vllm:num_preemptions_total', m, 300)), 0));
    expect(render(e)).toBe('(max by (instance) (vllm:kv_cache_usage_perc{namespace="prod"}) > 0.9) and (sum by (instance) (rate(vllm:num_preemptions_total{namespace="prod"}[5m])) > 0)');
    expect(render(arith('-', 1, arith('/', sel('a'), sel('b'))))).toBe('1 - (a / b)');
    expect(render(pl('process_resident_memory_bytes', [], 3600, 14400))).toBe('predict_linear(process_resident_memory_bytes[1h], 14400)');
    expect(render(and(sel('a'), sel('b'), ['instance']))).toBe('a and on (instance) b');
    expect(render(agg('sum', [], sel('a')))).toBe('sum (a)');
  });

  it('recording rules appear by name in the rules file and expanded inline', () => {
    const r = record('vllm_tune:x:ratio_rate5m', arith('/', sel('a'), sel('b')));
    const e = cmp('>', r, 0.72);
    expect(render(e, 'rules')).toBe('vllm_tune:x:ratio_rate5m > 0.72');
    expect(render(e, 'inline')).toBe('(a / b) > 0.72');
    expect(recordsOf(or(e, cmp('>', r, 0.3))).map((x) => x.name)).toEqual(['vllm_tune:x:ratio_rate5m']);
  });

  it('le matchers accept both spellings of an integral bound', () => {
    expect(leMatcher(0.5)).toEqual({ label: 'le', op: '=', value: '0.5' });
    expect(leMatcher(10)).toEqual({ label: 'le', op: '=~', value: '10|10\\.0' });
    expect(render(sel('x_bucket', [leMatcher(10)]))).toBe('x_bucket{le=~"10|10\\\\.0"}');
  });
});

describe('range functions (Prometheus 2.42: closed window T − range ≤ t ≤ T)', () => {
  const t = f64([0, 10, 20, 30, 40, 50].map((x) => T0 + x));
  const v = f64([5, 7, 2, 2, 9, 1]);
  const at = f64([T0 + 30, T0 + 50]);

  it('resets and changes count within the window', () => {
    // [T0, T0+30] holds 5 7 2 2: one reset (7→2), two changes; [T0+20, T0+50] holds 2 2 9 1.
    expect(Array.from(overTime('resets', t, v, at, 30))).toEqual([1, 1]);
    expect(Array.from(overTime('changes', t, v, at, 30))).toEqual([2, 2]);
  });

  it('min, max and avg over time', () => {
    expect(Array.from(overTime('max_over_time', t, v, at, 30))).toEqual([7, 9]);
    expect(Array.from(overTime('min_over_time', t, v, at, 30))).toEqual([2, 1]);
    expect(Array.from(overTime('avg_over_time', t, v, at, 30))).toEqual([4, 3.5]);
  });

  it('no sample in the window: no element', () => {
    const r = overTime('max_over_time', t, v, f64([T0 - 100]), 30);
    expect(Number.isNaN(r[0])).toBe(true);
  });

  it('predict_linear: least squares through the window, intercept at the evaluation time', () => {
    // y = 3 + 0.5·(t − T0) over t = 0…40: at T = T0+40 the fit gives 23, slope 0.5; 60 s ahead: 53.
    const tt = f64([0, 10, 20, 30, 40].map((x) => T0 + x));
    const yy = f64([3, 8, 13, 18, 23]);
    const r = predictLinear(tt, yy, f64([T0 + 40]), 40, 60);
    expect(r[0]).toBeCloseTo(53, 12);
    // Noisy: x = −20,−10,0 (s from T), y = 1, 4, 4: mean x −10, mean y 3, cov 30, var 200 → slope 0.15,
    // intercept 3 + 0.15·10 = 4.5 at T; 10 s ahead → 6.
    const lr = linearRegression(f64([0, 10000, 20000]), f64([1, 4, 4]), 0, 3, 20000);
    expect(lr.slope).toBeCloseTo(0.15, 14);
    expect(lr.intercept).toBeCloseTo(4.5, 14);
    expect(predictLinear(f64([T0, T0 + 10, T0 + 20]), f64([1, 4, 4]), f64([T0 + 20]), 20, 10)[0]).toBeCloseTo(6, 12);
    // Constant series: slope 0. One sample: no element.
    expect(predictLinear(tt, f64([4, 4, 4, 4, 4]), f64([T0 + 40]), 40, 1000)[0]).toBe(4);
    expect(Number.isNaN(predictLinear(tt, yy, f64([T0]), 5, 60)[0])).toBe(true);
  });
});

describe('evaluator vector semantics', () => {
  const times = f64([T0 + 60, T0 + 120, T0 + 180]);
  const ts = [0, 30, 60, 90, 120, 150, 180].map((x) => T0 + x);

  it('instant selectors take the last sample within 5 minutes and match on the name the input used', () => {
    const ms = new MetricSet([series('vllm:kv_cache_usage_perc', { instance: 'a' }, [T0, T0 + 100], [0.5, 0.7], 'vllm:gpu_cache_usage_perc')]);
    const ev = new Evaluator(ms, f64([T0 + 50, T0 + 100, T0 + 401]));
    expect(ev.evaluate(sel('vllm:kv_cache_usage_perc')).size).toBe(0);
    const r = only(ev.evaluate(sel('vllm:gpu_cache_usage_perc')));
    expect(r.labels).toEqual({ __name__: 'vllm:gpu_cache_usage_perc', instance: 'a' });
    // T0+401 is 301 s after the last sample: stale.
    expect(r.values).toEqual([0.5, 0.7, null]);
  });

  it('sum by keeps the grouping labels and drops the rest; comparisons filter', () => {
    const ms = new MetricSet([
      series('w', { instance: 'a', engine: '0' }, ts, [0, 1, 2, 3, 4, 5, 6]),
      series('w', { instance: 'a', engine: '1' }, ts, [1, 1, 1, 1, 1, 1, 1]),
      series('w', { instance: 'b', engine: '0' }, ts, [9, 9, 9, 9, 9, 9, 9]),
    ]);
    const ev = new Evaluator(ms, times);
    const s = ev.evaluate(cmp('>', agg('sum', ['instance'], sel('w')), 4));
    const byInst = new Map([...s.values()].map((el) => [el.labels.instance, Array.from(el.v, (x, i) => (el.has[i] ? x : null))]));
    expect(byInst.get('a')).toEqual([null, 5, 7]);
    expect(byInst.get('b')).toEqual([9, 9, 9]);
    const mx = ev.evaluate(agg('max', [], sel('w')));
    expect(only(mx).values).toEqual([9, 9, 9]);
    const avg = ev.evaluate(agg('avg', ['instance'], sel('w', [{ label: 'instance', op: '=', value: 'a' }])));
    expect(only(avg).values).toEqual([1.5, 2.5, 3.5]);
  });

  it('rate over a counter with a reset, per second', () => {
    // 0,30,…,180 s: 0 30 60 90 then a reset to 10, 40, 70. rate[60s] at T0+180 sees 150..180: 40→70.
    const ms = new MetricSet([series('c_total', { instance: 'a' }, ts, [0, 30, 60, 90, 10, 40, 70])]);
    const ev = new Evaluator(ms, times);
    const r = only(ev.evaluate(rangeFn('rate', 'c_total', [], 60)));
    // Window [T0+120, T0+180] holds 10, 40, 70 at 120,150,180: increase 60 over 60 s sampled, no
    // extrapolation needed at either edge → 1/s.
    expect(r.values[2]).toBeCloseTo(1, 12);
    // Window [T0+60, T0+120]: 60, 90, 10 → reset: 30 + 10 = 40 over 60 s → 40/60.
    expect(r.values[1]).toBeCloseTo(40 / 60, 12);
    expect(r.labels).toEqual({ instance: 'a' });
  });

  it('vector–vector arithmetic matches on all labels but the name; and/or per evaluation time', () => {
    const ms = new MetricSet([
      series('hits_total', { instance: 'a' }, ts, [0, 0, 10, 20, 30, 40, 50]),
      series('queries_total', { instance: 'a' }, ts, [0, 0, 20, 40, 60, 80, 100]),
      series('up', { instance: 'a' }, [T0 + 60], [1]),
      series('alt', { instance: 'a' }, ts, [7, 7, 7, 7, 7, 7, 7]),
      series('alt', { instance: 'b' }, ts, [8, 8, 8, 8, 8, 8, 8]),
    ]);
    const ev = new Evaluator(ms, times);
    const ratio = ev.evaluate(arith('/', agg('sum', ['instance'], rangeFn('increase', 'hits_total', [], 60)), agg('sum', ['instance'], rangeFn('increase', 'queries_total', [], 60))));
    expect(only(ratio).values.map((x) => (x === null ? null : Number(x.toFixed(12))))).toEqual([0.5, 0.5, 0.5]);
    // `and`: `up` is present for 5 minutes after its single sample at T0+60.
    const a = ev.evaluate(and(sel('alt'), sel('up')));
    expect(a.size).toBe(2);
    expect([...a.values()].find((e) => e.labels.instance === 'a')!.has).toEqual(new Uint8Array([1, 1, 1]));
    expect([...a.values()].find((e) => e.labels.instance === 'b')!.has).toEqual(new Uint8Array([0, 0, 0]));
    // `or`: the left side wins where both exist; the right fills label sets the left lacks.
    const o = ev.evaluate(anyOf([agg('sum', ['instance'], sel('up')), agg('sum', ['instance'], sel('alt'))]));
    const vals = new Map([...o.values()].map((el) => [el.labels.instance, Array.from(el.v)]));
    expect(vals.get('a')).toEqual([1, 1, 1]);
    expect(vals.get('b')).toEqual([8, 8, 8]);
    // `and on (instance)` ignores the other labels.
    const on = ev.evaluate(and(sel('alt'), agg('max', ['instance'], sel('up')), ['instance']));
    expect([...on.values()].filter((e) => e.has.some((x) => x)).map((e) => e.labels.instance)).toEqual(['a']);
  });
});

describe('the evaluator memo is a bounded cache', () => {
  it('with a budget of 1 KB it holds at most the budget plus the last vector, and every result is the same as unbounded', () => {
    const ts = Array.from({ length: 200 }, (_, i) => T0 + 15 * i);
    const times = f64(Array.from({ length: 150 }, (_, i) => T0 + 600 + 15 * i));
    const ms = new MetricSet(Array.from({ length: 12 }, (_, k) => series('c_total', { instance: `r${k}` }, ts, ts.map((_, i) => i * (k + 1)))));
    const exprs = [60, 120, 300, 600].flatMap((w) => [rangeFn('rate', 'c_total', [], w), agg('sum', [], rangeFn('increase', 'c_total', [], w))]);
    const small = new Evaluator(ms, times, undefined, 1024);
    const big = new Evaluator(ms, times);
    const values = (v: Vec) => [...v.values()].map((el) => [el.labels.instance ?? '', Array.from(el.v, (x, i) => (el.has[i] ? x : null))]);
    for (const round of [0, 1]) {
      for (const e of exprs) {
        const a = small.evaluate(e);
        expect(values(a), `round ${round}`).toEqual(values(big.evaluate(e)));
        let last = 0;
        for (const el of a.values()) last += el.v.byteLength + el.has.byteLength;
        expect(small.memoBytesHeld).toBeLessThanOrEqual(1024 + last);
      }
    }
    // The unbounded one kept every vector: per window 12 rate series, 12 increase series (the sum's
    // argument) and the sum, 150 times × (8 + 1) bytes each.
    expect(big.memoBytesHeld).toBe(4 * (12 + 12 + 1) * 150 * 9);
  });
});

describe('the evaluator memo evicts the least recently used vector', () => {
  it('past the budget the oldest unused vector goes, a recently used one stays', () => {
    const ts = Array.from({ length: 40 }, (_, i) => T0 + 15 * i);
    const times = f64(Array.from({ length: 20 }, (_, i) => T0 + 300 + 15 * i));
    const ms = new MetricSet([series('c_total', { instance: 'a' }, ts, ts.map((_, i) => i))]);
    const [A, B, C] = [60, 120, 180].map((w) => rangeFn('rate', 'c_total', [], w));
    const one = 20 * 9; // one series, 20 times × (8 + 1) bytes
    const ev = new Evaluator(ms, times, undefined, 2 * one);
    const a = ev.evaluate(A);
    const b = ev.evaluate(B);
    expect(ev.evaluate(A)).toBe(a); // a hit, and now the most recently used
    ev.evaluate(C); // over the budget: B (least recently used) goes, A stays
    expect(ev.memoBytesHeld).toBe(2 * one);
    expect(ev.evaluate(A)).toBe(a);
    const b2 = ev.evaluate(B);
    expect(b2).not.toBe(b); // recomputed, with the same values
    expect([...b2.values()].map((el) => Array.from(el.v))).toEqual([...b.values()].map((el) => Array.from(el.v)));
  });
});

describe('alert state: pending → firing after for:, resolved when the expression stops returning it', () => {
  const times = f64(Array.from({ length: 10 }, (_, i) => T0 + 60 * i));
  const vec = (has: number[], v: number[] = has.map((_, i) => i)): Vec =>
    new Map([['instance="a"', { labels: { instance: 'a' }, v: f64(v), has: Uint8Array.from(has) }]]);

  it('fires once active for `for:`; a one-evaluation gap resets it', () => {
    const ep = alertEpisodes(vec([0, 1, 1, 1, 0, 1, 1, 1, 1, 0]), times, 120);
    // Active 60..180 (2 min: fires at 180, i=3); then 300..480 fires at 420.
    expect(ep).toEqual([
      { labels: { instance: 'a' }, activeSinceSeconds: T0 + 60, firingSinceSeconds: T0 + 180, lastFiringSeconds: T0 + 180, ongoingAtEnd: false, peakValue: 3 },
      { labels: { instance: 'a' }, activeSinceSeconds: T0 + 300, firingSinceSeconds: T0 + 420, lastFiringSeconds: T0 + 480, ongoingAtEnd: false, peakValue: 8 },
    ]);
  });

  it('never fires when the condition is shorter than for:', () => {
    expect(alertEpisodes(vec([0, 1, 1, 0, 1, 1, 0, 1, 0, 0]), times, 120)).toEqual([]);
  });

  it('for: 0 fires at once; still firing at the last evaluation is ongoing', () => {
    const ep = alertEpisodes(vec([0, 0, 0, 0, 0, 0, 0, 1, 1, 1]), times, 0);
    expect(ep).toHaveLength(1);
    expect(ep[0].firingSinceSeconds).toBe(T0 + 420);
    expect(ep[0].ongoingAtEnd).toBe(true);
  });
});
