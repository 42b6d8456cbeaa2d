// The rule generator on synthetic histories with known answers: names as the input stored them,
// the user's selector and grouping, the calibrated threshold (healthy p99) and for: (shortest incident).

import { describe, expect, it } from 'vitest';
import { MetricSet, type Series } from '../../src/model/series.js';
import { generateRules, type AlertGenOptions } from '../../src/alerts/rules.js';
import { render } from '../../src/alerts/expr.js';
import { renderRulesYaml } from '../../src/alerts/yaml.js';
import { calibrateThreshold, History, roundAway } from '../../src/alerts/calibrate.js';
import { SLO_PROFILES } from '../../src/derive/slo.js';

const T0 = 1_767_225_600; // 2026-01-01T00:00:00Z, a multiple of 60
const STEP = 10;
const N = 3 * 360; // 3 h of 10 s scrapes

function gauge(name: string, labels: Record<string, string>, f: (i: number) => number, rawName?: string): Series {
  const t = new Float64Array(N);
  const v = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    t[i] = T0 + i * STEP;
    v[i] = f(i);
  }
  return { name, labels, t, v, ...(rawName ? { rawName } : {}) };
}

const OPTS: AlertGenOptions = { matchers: [], selectorText: null, intervalSeconds: 60, slo: SLO_PROFILES.chat, objective: 0.95 };
const A = { instance: 'a:8000', job: 'vllm' };
const B = { instance: 'b:8000', job: 'vllm' };
const at = (min: number) => (min * 60) / STEP;

describe('calibration on a synthetic queue history', () => {
  // a: a 2-request blip every 50 scrapes, and an incident of 8 waiting from 2h00 to 2h03.
  // b: empty, and an incident of 5 waiting from 1h00 to 1h20.
  const waitingA = (i: number) => (i >= at(120) && i < at(123) ? 8 : i % 50 === 0 ? 2 : 0);
  const waitingB = (i: number) => (i >= at(60) && i < at(80) ? 5 : 0);
  const metrics = new MetricSet([gauge('vllm:num_requests_waiting', A, waitingA), gauge('vllm:num_requests_waiting', B, waitingB)]);
  const findings = [
    { code: 'QUEUE_BUILDUP', scope: 'a:8000', window: { startSeconds: T0 + 7200, endSeconds: T0 + 7380 } },
    { code: 'QUEUE_BUILDUP', scope: 'b:8000', window: { startSeconds: T0 + 3600, endSeconds: T0 + 4800 } },
  ];
  const set = generateRules(metrics, findings, OPTS);
  const q = set.alerts.find((x) => x.kind === 'queue-buildup')!;

  it('groups by the replica labels every vLLM series carries', () => {
    expect(set.groupBy).toEqual(['instance']);
    expect(render(q.expr)).toBe('sum by (instance) (avg_over_time(vllm:num_requests_waiting[5m])) > 0.0646');
  });

  it('threshold: the p99 of the healthy evaluations (the blips), incidents excluded', () => {
    // The 5-minute window (31 scrapes) holds at most one blip of 2, so its average is 0 or 2/31; a's
    // evaluations see one in 60% of the cases, b's never: p99 = 2/31 = 0.064516…, rounded up to 0.0646.
    // The default rule (> 0 for 10m) also holds from a's blip at 1h57 through the one at 2h05 (to 2h10),
    // past the finding's padded window: that stretch is left out of the baseline too, and counted.
    expect(q.calibration[0]).toBe('threshold 0.0646: p99 of the 5m average of waiting requests over 4h51m of healthy history (2 series groups, outside finding windows and 1 stretch where the rule at its defaults would have fired) is 0.06452');
  });

  it('for: the shortest incident the condition held (a: 2h00..2h07 = 7 min), below the 10 min default', () => {
    // a's last incident scrape is at 2h02:50; the 5-minute window still holds it at 2h07, not at 2h08.
    expect(q.forSeconds).toBe(420);
    expect(q.calibration[1]).toBe('for 7m: the shortest of 2 incidents seen (QUEUE_BUILDUP on a:8000 at 2026-01-01T02:00:00Z) held the condition 7m without a break');
  });

  it('replay: fires once per incident and never on the blips', () => {
    // b: active from 1h00 (its first incident scrape) to 1h24 (the window's last sight of 1h19:50), firing after 7 min.
    expect(q.episodes.map((e) => [e.labels.instance, e.activeSinceSeconds - T0, e.firingSinceSeconds - T0, e.lastFiringSeconds - T0])).toEqual([
      ['a:8000', 7200, 7620, 7620],
      ['b:8000', 3600, 4020, 5040],
    ]);
    expect(q.calibration[2]).toBe('on this history: fires 2 times, 2 during QUEUE_BUILDUP/PREFILL_STARVATION incidents, 0 outside them');
  });

  it('without findings there is no incident: default for:, threshold from the whole history', () => {
    const s = generateRules(metrics, [], OPTS).alerts.find((x) => x.kind === 'queue-buildup')!;
    expect(s.forSeconds).toBe(600);
    expect(s.calibration[1]).toBe('for 10m: default (no QUEUE_BUILDUP/PREFILL_STARVATION incident in the history)');
  });

  it('a finding covering the whole window of every replica leaves no healthy baseline: default threshold', () => {
    const s = generateRules(metrics, [{ code: 'QUEUE_BUILDUP', scope: 'fleet' }], OPTS).alerts.find((x) => x.kind === 'queue-buildup')!;
    expect(s.calibration[0]).toMatch(/^threshold 0: default, not calibrated \(a finding covers the whole window/);
  });
});

describe('metric names, selector and grouping as the inputs have them', () => {
  it('old vLLM names and counters without _total are queried as stored', () => {
    const m = new MetricSet([
      gauge('vllm:kv_cache_usage_perc', A, () => 0.5, 'vllm:gpu_cache_usage_perc'),
      gauge('vllm:num_preemptions_total', A, () => 0, 'vllm:num_preemptions'),
    ]);
    const kv = generateRules(m, [], OPTS).alerts.find((x) => x.kind === 'kv-pressure')!;
    expect(render(kv.expr)).toBe('(max by (instance) (max_over_time(vllm:gpu_cache_usage_perc[5m])) > 0.9) and (sum by (instance) (rate(vllm:num_preemptions[5m])) > 0)');
  });

  it('a fleet mixing vLLM versions gets both names, the new one first (`or` keeps it where both exist)', () => {
    const m = new MetricSet([gauge('vllm:num_requests_waiting', A, () => 0), gauge('vllm:kv_cache_usage_perc', A, () => 0.5), gauge('vllm:kv_cache_usage_perc', B, () => 0.5, 'vllm:gpu_cache_usage_perc'), gauge('vllm:num_preemptions_total', A, () => 0), gauge('vllm:num_preemptions_total', B, () => 0)]);
    const kv = generateRules(m, [], OPTS).alerts.find((x) => x.kind === 'kv-pressure')!;
    expect(render(kv.expr)).toBe('((max by (instance) (max_over_time(vllm:kv_cache_usage_perc[5m])) or max by (instance) (max_over_time(vllm:gpu_cache_usage_perc[5m]))) > 0.9) and (sum by (instance) (rate(vllm:num_preemptions_total[5m])) > 0)');
  });

  it('--selector matchers go into every selector; labels a metric never carries are left out, and said so', () => {
    const m = new MetricSet([
      gauge('vllm:num_requests_waiting', { ...A, namespace: 'prod', pod: 'p0' }, () => 0),
      gauge('DCGM_FI_DEV_GPU_UTIL', { Hostname: 'n1', gpu: '0', UUID: 'GPU-1', instance: 'n1:9400' }, () => 90),
    ]);
    const set = generateRules(m, [], { ...OPTS, matchers: [{ label: 'namespace', op: '=', value: 'prod' }], selectorText: '{namespace="prod"}' });
    expect(set.groupBy).toEqual(['namespace', 'pod', 'instance']);
    expect(render(set.alerts.find((x) => x.kind === 'queue-buildup')!.expr)).toBe('sum by (namespace, pod, instance) (avg_over_time(vllm:num_requests_waiting{namespace="prod"}[5m])) > 0');
    const gpu = set.alerts.find((x) => x.kind === 'gpu-underuse')!;
    expect(render(gpu.expr)).toBe('avg by (Hostname, instance, gpu, UUID) (avg_over_time(DCGM_FI_DEV_GPU_UTIL[30m])) < 50');
    expect(gpu.calibration[0]).toBe("selector labels namespace left out: the inputs' DCGM_FI_DEV_GPU_UTIL series do not carry them");
  });

  it('--group-by overrides the grouping', () => {
    const m = new MetricSet([gauge('vllm:num_requests_waiting', { ...A, pod: 'p0' }, () => 0)]);
    const set = generateRules(m, [], { ...OPTS, groupBy: ['pod'] });
    expect(render(set.alerts.find((x) => x.kind === 'queue-buildup')!.expr)).toBe('sum by (pod) (avg_over_time(vllm:num_requests_waiting[5m])) > 0');
  });

  it('a single scrape is no history: default thresholds, nothing replayed, and the header says so', () => {
    const m = new MetricSet([{ name: 'vllm:num_requests_waiting', labels: A, t: Float64Array.of(T0 + 7), v: Float64Array.of(3) }]);
    const set = generateRules(m, [], OPTS);
    expect(set.header).toContain('no history to calibrate on (a single scrape, or less than one evaluation interval): default thresholds and for:, nothing replayed');
    const q = set.alerts.find((x) => x.kind === 'queue-buildup')!;
    expect([q.forSeconds, q.replayedFromSeconds, q.episodes]).toEqual([600, null, []]);
    expect(render(q.expr)).toBe('sum by (instance) (avg_over_time(vllm:num_requests_waiting[5m])) > 0');
  });

  it('rules the inputs cannot support are listed with the reason, in the file too', () => {
    const m = new MetricSet([gauge('vllm:num_requests_waiting', A, () => 0)]);
    const set = generateRules(m, [], OPTS);
    expect(set.alerts.map((a) => a.kind)).toEqual(['queue-buildup']);
    expect(set.notGenerated.find((n) => n.kind === 'ttft-burn')!.reason).toBe('vllm:time_to_first_token_seconds_bucket is not in the inputs');
    const yaml = renderRulesYaml(set, { version: 'test', inputs: ['x'] });
    expect(yaml).toContain('# not written: kv-pressure: vllm:kv_cache_usage_perc and vllm:num_preemptions_total not in the inputs');
  });
});

describe('burn-rate rules', () => {
  // A TTFT histogram with vLLM's bounds around the 500 ms target; 10 requests per scrape, 3 of them slow.
  function ttft(slowShare: (i: number) => number): Series[] {
    const bounds = ['0.25', '0.5', '1', '+Inf'];
    const out: Series[] = [];
    const cum = [0, 0, 0, 0];
    const vals = bounds.map(() => new Float64Array(N));
    const count = new Float64Array(N);
    for (let i = 0; i < N; i++) {
      const slow = Math.round(10 * slowShare(i));
      cum[0] += 10 - slow;
      cum[1] += 10 - slow;
      cum[2] += 10;
      cum[3] += 10;
      for (let j = 0; j < 4; j++) vals[j][i] = cum[j];
      count[i] = cum[3];
    }
    const t = Float64Array.from({ length: N }, (_, i) => T0 + i * STEP);
    bounds.forEach((le, j) => out.push({ name: 'vllm:time_to_first_token_seconds_bucket', labels: { ...A, le }, t, v: vals[j] }));
    out.push({ name: 'vllm:time_to_first_token_seconds_count', labels: A, t, v: count });
    return out;
  }

  it('the SLI counts requests above the target bucket; workbook factors × the 5% budget', () => {
    const set = generateRules(new MetricSet(ttft(() => 0.3)), [], OPTS);
    const fast = set.alerts.find((x) => x.alert === 'VllmTtftBudgetBurnFast')!;
    expect(render(fast.expr)).toBe(
      '((vllm_tune:ttft_over_target:ratio_rate1h > 0.72) and (vllm_tune:ttft_over_target:ratio_rate5m > 0.72)) or ((vllm_tune:ttft_over_target:ratio_rate6h > 0.3) and (vllm_tune:ttft_over_target:ratio_rate30m > 0.3))',
    );
    const yaml = renderRulesYaml(set, { version: 'test', inputs: ['x'] });
    expect(yaml).toContain('1 - (sum by (instance) (rate(vllm:time_to_first_token_seconds_bucket{le="0.5"}[5m])) / sum by (instance) (rate(vllm:time_to_first_token_seconds_count[5m])))');
    // 30% slow = 6× the budget: the 6h window needs 6 h of data (3 h here) and is not replayed; the 1h/5m
    // pair needs 72%. Nothing fires, and the history line says the highest burn was 6×.
    expect(fast.episodes).toEqual([]);
    expect(fast.calibration.find((l) => l.startsWith('highest burn rate'))).toMatch(/^highest burn rate on this history per window: 5m 6×, 30m 6×, 1h 6×, 2h 6×, 6h n\/a/);
  });

  it('a sustained burn above 72% fires the page once the 1 h window is full', () => {
    const set = generateRules(new MetricSet(ttft((i) => (i >= at(60) ? 0.8 : 0))), [], OPTS);
    const fast = set.alerts.find((x) => x.alert === 'VllmTtftBudgetBurnFast')!;
    expect(fast.episodes).toHaveLength(1);
    const ep = fast.episodes[0];
    // The 1h ratio crosses 72% when more than 0.72/0.8 = 90% of the last hour was slow: 54 min after onset.
    expect(ep.firingSinceSeconds - T0).toBeGreaterThanOrEqual(3600 + 54 * 60);
    expect(ep.firingSinceSeconds - T0).toBeLessThanOrEqual(3600 + 56 * 60);
    expect(ep.ongoingAtEnd).toBe(true);
  });

  it('an objective whose budget makes a burn factor impossible leaves that pair out', () => {
    const set = generateRules(new MetricSet(ttft(() => 0)), [], { ...OPTS, objective: 0.9 });
    const fast = set.alerts.find((x) => x.alert === 'VllmTtftBudgetBurnFast')!;
    expect(render(fast.expr)).toBe('(vllm_tune:ttft_over_target:ratio_rate6h > 0.6) and (vllm_tune:ttft_over_target:ratio_rate30m > 0.6)');
    expect(fast.calibration).toContain('left out: 1h/5m at 14.4× (would need more than 100% errors)');
  });
});

describe('calibration helpers', () => {
  it('rounds away from the baseline to 3 significant digits', () => {
    expect(roundAway(0.97341, 'above')).toBe(0.974);
    expect(roundAway(0.97341, 'below')).toBe(0.973);
    expect(roundAway(2, 'above')).toBe(2);
    expect(roundAway(157.31e6, 'above')).toBe(158e6);
  });

  it('a judgement-call bound wins over a baseline on its safe side', () => {
    const times = Float64Array.from({ length: 200 }, (_, i) => T0 + 60 * i);
    const vec = new Map([['x', { labels: { instance: 'a' }, v: Float64Array.from({ length: 200 }, (_, i) => 0.3 + (i % 10) / 100), has: new Uint8Array(200).fill(1) }]]);
    const h = new History(times, [], { start: T0, end: T0 + 200 * 60 });
    const c = calibrateThreshold(vec, h, { direction: 'above', q: 0.99, fallback: 0.9, bound: 0.9, codes: [], minHealthySeconds: 1800, fmt: String }, 'x');
    expect(c.baseline).toBeCloseTo(0.39, 12);
    expect(c.value).toBe(0.9);
    expect(c.source).toBe('history');
  });
});

describe('share of requests by finished_reason: VllmTruncationRise and VllmAbortRise', () => {
  // Counters from 1e6 (no extrapolation to zero), 10 finished per scrape. a and b cut one answer in 50
  // (a "length" every 5th scrape: exactly 18 in any 90 intervals, 2.0%); on a, from 2h00 to 2h30, three
  // in every ten (30%). c finishes one request a minute, all cut: fewer than 30 in 15 minutes, never scored.
  const counter = (labels: Record<string, string>, inc: (i: number) => number): Series => {
    let acc = 1e6;
    return gauge('vllm:request_success_total', labels, (i) => (acc += i === 0 ? 0 : inc(i)));
  };
  const incident = (i: number) => i >= at(120) && i < at(150);
  const cut = (rising: boolean) => (i: number) => (rising && incident(i) ? 3 : i % 5 === 0 ? 1 : 0);
  const replica = (inst: Record<string, string>, rising: boolean): Series[] => [
    counter({ ...inst, finished_reason: 'length' }, cut(rising)),
    counter({ ...inst, finished_reason: 'stop' }, (i) => 10 - cut(rising)(i)),
    counter({ ...inst, finished_reason: 'abort' }, () => 0),
  ];
  const C = { instance: 'c:8000', job: 'vllm' };
  const metrics = new MetricSet([...replica(A, true), ...replica(B, false), counter({ ...C, finished_reason: 'length' }, (i) => (i % 6 === 0 ? 1 : 0))]);
  const findings = [{ code: 'TRUNCATION_RISE', scope: 'a:8000', window: { startSeconds: T0 + 7200, endSeconds: T0 + 9000 } }];
  const set = generateRules(metrics, findings, OPTS);
  const t = set.alerts.find((x) => x.kind === 'truncation-rise')!;

  it('the 15m share of "length", only where 30 requests finished, above the healthy p99 plus the 5 points TRUNCATION_RISE needs', () => {
    expect(render(t.expr)).toBe(
      '((sum by (instance) (rate(vllm:request_success_total{finished_reason="length"}[15m])) / sum by (instance) (rate(vllm:request_success_total[15m]))) and (sum by (instance) (increase(vllm:request_success_total[15m])) >= 30)) > 0.07',
    );
    // Every healthy 15-minute window of a and b holds exactly 2.0% (c is never scored): p99 2% + 5 points.
    // The default rule (> 10% for 10m) also holds on a until 2h42, past the finding's padded window: left out too.
    expect(t.calibration[0]).toBe(
      'threshold 7%: the healthy p99 + 5 points (the smallest rise TRUNCATION_RISE reports, docs/quality.md); p99 of the 15m share of requests finished by "length" over 4h39m of healthy history (2 series groups, outside finding windows and 1 stretch where the rule at its defaults would have fired) is 2%',
    );
    expect(t.calibration[1]).toBe('only windows with at least 30 finished requests (15m): a share of fewer is noise');
    expect(t.severity).toBe('ticket');
  });

  it('fires once, on a only: active when 19 of the 90 intervals are the incident\'s (7.9% > 7%), firing 10 min later, until 17 remain', () => {
    // At 2h03 the window holds 19 incident intervals: 57 + 71/5 ≈ 71 cut of 900 (7.9%); at 2h02, 13: 6.0%.
    // After the incident (last scrape 2h29:50): at 2h42, 17 remain (7.3%); at 2h43, 11 (5.4%).
    expect(t.forSeconds).toBe(600);
    expect(t.episodes.map((e) => [e.labels.instance, e.activeSinceSeconds - T0, e.firingSinceSeconds - T0, e.lastFiringSeconds - T0])).toEqual([['a:8000', 7380, 7980, 9720]]);
  });

  it('aborts: the abort and error series, 2 points above a healthy 0%; nothing fires', () => {
    const ab = set.alerts.find((x) => x.kind === 'abort-rise')!;
    expect(render(ab.expr)).toContain('rate(vllm:request_success_total{finished_reason=~"abort|error"}[15m])');
    expect(render(ab.expr).endsWith(' > 0.02')).toBe(true);
    expect(ab.forSeconds).toBe(300);
    expect(ab.episodes).toEqual([]);
  });

  it('not written without the finished_reason label, or without the reason\'s series', () => {
    const flat = new MetricSet([counter(A, () => 10)]);
    expect(generateRules(flat, [], OPTS).notGenerated.find((n) => n.kind === 'truncation-rise')!.reason).toBe('vllm:request_success_total has no finished_reason label (aggregated away)');
    const noAbort = new MetricSet([counter({ ...A, finished_reason: 'stop' }, () => 10), counter({ ...A, finished_reason: 'length' }, () => 1)]);
    const s = generateRules(noAbort, [], OPTS);
    expect(s.alerts.map((x) => x.kind)).toContain('truncation-rise');
    expect(s.notGenerated.find((n) => n.kind === 'abort-rise')!.reason).toBe('no vllm:request_success_total series with finished_reason "abort" or "error" in the inputs');
  });
});
