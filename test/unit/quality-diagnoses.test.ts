// TRUNCATION_RISE, ABORT_RISE and LENGTH_DRIFT as truth tables over their signals, then in the
// pipeline: what moved with a truncation rise (the likely cause), aborts shown under the queue that
// made clients give up, a truncation rise explained by a smaller max_model_len than the peers', a drift
// during another finding's episode left to that finding's context, and the single real /metrics scrape
// (lifetime shares and length distributions, caveated as since process start).

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { T0, artifactsOf, cacheConfigInfo, clockOf, counter, gauge, histogram, idx, logConfig, ser, viewOf } from '../support/synthetic.js';
import { REAL_METRICS_TEXT } from '../support/paths.js';
import type { Series } from '../../src/model/series.js';
import type { DetectorId, FindingCode } from '../../src/model/vocabulary.js';
import type { Finding } from '../../src/model/result.js';
import { DIAGNOSES } from '../../src/diagnoses/index.js';
import type { DiagnosisOutcome, FindingDraft, TypedSignal } from '../../src/diagnoses/define-diagnosis.js';
import { likelyCause } from '../../src/diagnoses/truncation-rise.js';
import { assembleFindings, type Drafted } from '../../src/links.js';
import { runAnalysis } from '../../src/engine.js';
import { ingest } from '../../src/ingest/index.js';
import { renderReport } from '../../src/report/index.js';
import { FLEET } from '../../src/derive/view.js';
import { CAUSED_BY, DRIFT_RELEVANT } from '../../src/diagnoses/relations.js';

const C = clockOf(10, 7200);
const R = 'r1:8000';
const P = 'r2:8000';
const Q = 'r3:8000';
const at = (s: number) => idx(C, s);
type Span = [number, number];

/** One replica's traffic: 10 finished requests per scrape; `shareDuring` of them by `reason` in (3600, 4800]. */
function traffic(inst: string, o: { reason?: string; shareDuring?: number; shareBefore?: number; maxTokensDuring?: number; waitingDuring?: number; promptDuring?: number } = {}): Series[] {
  const L = { instance: inst, model_name: 'llama-8b' };
  const during = (i: number) => i > at(3600) && i <= at(4800);
  // During: a whole number per scrape; before: one request every 1/(10 · share) scrapes (2 % → every 5th).
  const before = o.shareBefore ?? 0.02;
  const part = (i: number) => (during(i) ? Math.round(10 * (o.shareDuring ?? 0.3)) : before > 0 && i % Math.round(1 / (10 * before)) === 0 ? 1 : 0);
  const reason = o.reason ?? 'length';
  const other = reason === 'length' ? 'abort' : 'length';
  const mt = (i: number) => (during(i) && o.maxTokensDuring !== undefined ? o.maxTokensDuring : 1024);
  const pd = o.promptDuring ?? 700;
  return [
    ser(C, 'vllm:request_success_total', counter(C, (i) => 10 - part(i), 5000), { ...L, finished_reason: 'stop' }),
    ser(C, 'vllm:request_success_total', counter(C, part, 100), { ...L, finished_reason: reason }),
    ser(C, 'vllm:request_success_total', counter(C, () => 0, 0), { ...L, finished_reason: other }),
    ...histogram(C, 'vllm:request_params_max_tokens', [256, 512, 1024, 2048, Infinity], (i) => (mt(i) <= 256 ? [10, 10, 10, 10, 10] : [0, 0, 10, 10, 10]), (i) => 10 * mt(i), L),
    ...histogram(C, 'vllm:request_prompt_tokens', [512, 1024, 2048, 4096, 8192, Infinity], (i) => (during(i) && pd > 1000 ? [0, 0, 2, 10, 10, 10] : [3, 10, 10, 10, 10, 10]), (i) => 10 * (during(i) ? pd : 700), L),
    ...histogram(C, 'vllm:request_generation_tokens', [128, 256, 512, 1024, Infinity], () => [2, 4, 10, 10, 10], () => 3000, L),
    ser(C, 'vllm:num_requests_waiting', gauge(C, (i) => (i >= at(3600) && i <= at(4800) ? o.waitingDuring ?? 0 : 0)), L),
    ser(C, 'vllm:num_requests_running', gauge(C, () => 20), L),
    ser(C, 'vllm:kv_cache_usage_perc', gauge(C, () => 0.4), L),
    ser(C, 'vllm:generation_tokens_total', counter(C, () => 3000, 1e6), L),
    ser(C, 'vllm:prompt_tokens_total', counter(C, () => 7000, 1e6), L),
    ...histogram(C, 'vllm:time_to_first_token_seconds', [0.1, 0.5, 1, 5, 10, Infinity], (i) => (i > at(3600) && i <= at(4800) && (o.waitingDuring ?? 0) > 0 ? [0, 0, 0, 0, 10, 10] : [10, 10, 10, 10, 10, 10]), () => 1, L),
  ];
}

function sig(id: DetectorId, status: TypedSignal<DetectorId>['status'], spans: Span[] = [], evidence: Record<string, unknown> = {}, numbers: Record<string, unknown> = {}, reason?: string): TypedSignal<DetectorId> {
  const s = { id, status, scope: R, evidence, episodes: spans.map(([a, b]) => ({ startSeconds: T0 + a, endSeconds: T0 + b, durationSeconds: b - a, peakAtSeconds: null, numbers })) } as unknown as TypedSignal<DetectorId>;
  if (reason !== undefined) s.reason = reason;
  return s;
}

const VIEW = viewOf(traffic(R, { maxTokensDuring: 256 }));

function diagnose(code: FindingCode, signals: TypedSignal<DetectorId>[], findings?: Finding[], view = VIEW, scope = R): DiagnosisOutcome<FindingCode> {
  const d = DIAGNOSES.find((x) => x.code === code)!;
  const map = new Map(signals.map((s) => [s.id, s]));
  return d.diagnose({ view, scope, signal: ((id: DetectorId) => map.get(id)) as never, allSignals: ((id: DetectorId) => signals.filter((s) => s.id === id)) as never, ...(findings ? { findings, anomalies: [] } : {}) });
}
const kind = (o: DiagnosisOutcome<FindingCode>) => (o.kind === 'not-evaluated' ? `not-evaluated: ${o.reason}` : o.kind);
function one(o: DiagnosisOutcome<FindingCode>): FindingDraft<FindingCode> & { evidence: Record<string, any> } {
  if (o.kind !== 'findings') throw new Error(`expected findings, got ${JSON.stringify(o)}`);
  expect(o.findings).toHaveLength(1);
  return o.findings[0] as never;
}
const share = (ratio: number, baselineRatio: number) => ({ ratio, baselineRatio, finished: 12_000, counted: ratio * 12_000, peakWindowRatio: ratio });
const calm = { finished: 72_000, counted: 1440, ratio: 0.02, earlierRatio: 0.02, recentRatio: 0.02, recentZ: 0, recentRose: false, recentStartSeconds: T0 + 3600 };

describe('TRUNCATION_RISE', () => {
  it('truth table: insufficient data → not evaluated with the reason; ok → none; an episode → a finding with the numbers of its span', () => {
    expect(kind(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'insufficient-data', [], {}, {}, 'no finished_reason="length" series (reasons: stop)')]))).toBe('not-evaluated: truncation-rise: no finished_reason="length" series (reasons: stop)');
    expect(kind(diagnose('TRUNCATION_RISE', []))).toBe('not-evaluated: truncation-rise was not evaluated in this scope');
    expect(kind(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'ok', [], calm)]))).toBe('none');
    const f = one(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'issue', [[3600, 4800]], calm, share(0.3, 0.02))]));
    expect(f.severity).toBe('warning');
    expect(f.incident).toBe(true);
    expect(f.proposals).toEqual([]);
    // The clients' max_tokens: 1024 in the hour before, 256 during (from the histogram's _sum/_count).
    expect(f.evidence).toMatchObject({ truncatedRatio: 0.3, baselineRatio: 0.02, maxTokensMeanBefore: 1024, maxTokensMeanDuring: 256, likelyCause: 'max-tokens-lowered', episodes: 1, kind: 'episodes', windowRatio: 0.02 });
    expect(f.evidence.outputMeanDuring).toBeCloseTo(300, 9);
  });

  it('severity: a rise under 10 points is information, 10 points or more a warning', () => {
    expect(one(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'issue', [[3600, 4800]], calm, share(0.11, 0.02))])).severity).toBe('info');
    expect(one(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'issue', [[3600, 4800]], calm, share(0.12, 0.02))])).severity).toBe('warning');
  });

  it('recent vs earlier only: one episode over the recent stretch, its baseline the earlier share', () => {
    const f = one(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'ok', [], { ...calm, earlierRatio: 0.03, recentRatio: 0.09, recentRose: true, recentStartSeconds: T0 + 3600 })]));
    expect(f.episodes.map((e) => [e.startSeconds - T0, e.endSeconds - T0])).toEqual([[3600, 7200]]);
    expect(f.evidence).toMatchObject({ kind: 'recent', truncatedRatio: 0.09, baselineRatio: 0.03 });
    expect(f.severity).toBe('info');
  });

  it('likely cause: max_tokens fell by a fifth; max_model_len lowered; prompts ran into max_model_len; longer answers; else unknown', () => {
    const base = { truncatedRatio: 0.3, baselineRatio: 0.02, finished: 1, truncated: 1, maxTokensMeanBefore: 1000, maxTokensMeanDuring: 1000, maxModelLenBefore: 8192, maxModelLenDuring: 8192, nearLimitBeforeRatio: 0.01, nearLimitDuringRatio: 0.01, outputMeanBefore: 200, outputMeanDuring: 200, promptMeanBefore: 700, promptMeanDuring: 700 };
    expect(likelyCause({ ...base, maxTokensMeanDuring: 800 })).toBe('max-tokens-lowered');
    expect(likelyCause({ ...base, maxTokensMeanDuring: 801 })).toBe('unknown');
    expect(likelyCause({ ...base, maxModelLenDuring: 4096 })).toBe('max-model-len-lowered');
    // Prompts leaving less room than max_tokens: +14 points against a 28-point rise (half of it is the bar).
    expect(likelyCause({ ...base, nearLimitDuringRatio: 0.15 })).toBe('context-limit');
    expect(likelyCause({ ...base, nearLimitDuringRatio: 0.14 })).toBe('unknown');
    expect(likelyCause({ ...base, outputMeanDuring: 250 })).toBe('longer-outputs');
    expect(likelyCause({ ...base, outputMeanDuring: 249 })).toBe('unknown');
    expect(likelyCause({ ...base, maxTokensMeanBefore: null })).toBe('unknown');
  });

  it('prompts grown into max_model_len: the share of prompts leaving less room than max_tokens is read from the prompt histogram', () => {
    // max_model_len 4096 (flag); max_tokens 1024: prompts over 3072 tokens cannot get it. Before, none
    // (all ≤ 1024); during, 8 of 10 are in (2048, 4096] — interpolated, (4096 − 3072)/2048 of them.
    const v = viewOf(traffic(R, { promptDuring: 3000 }), { max_model_len: 4096 });
    const f = one(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'issue', [[3600, 4800]], calm, share(0.3, 0.02))], undefined, v));
    expect(f.evidence.maxModelLenDuring).toBe(4096);
    expect(f.evidence.nearLimitBeforeRatio).toBe(0);
    expect(f.evidence.nearLimitDuringRatio).toBeCloseTo((8 * (4096 - 3072)) / 2048 / 10, 9);
    expect(f.evidence.likelyCause).toBe('context-limit');
  });
});

describe('ABORT_RISE', () => {
  const abortCalm = { ...calm, ratio: 0, earlierRatio: 0, recentRatio: 0, aborted: 0, errored: null, abortSeries: true, errorSeries: false };
  const v = viewOf(traffic(R, { reason: 'abort', shareDuring: 0.1, shareBefore: 0, waitingDuring: 30 }));
  it('an episode: the aborted share and count, the queue and TTFT while it lasted; severity by the rise and the share', () => {
    const f = one(diagnose('ABORT_RISE', [sig('abort-rise', 'issue', [[3600, 4800]], abortCalm, share(0.1, 0.002))], undefined, v));
    expect(f.evidence).toMatchObject({ abortedRatio: 0.1, baselineRatio: 0.002, aborted: 120, errored: null, waitingMean: 30, kind: 'episodes', abortSeries: true, errorSeries: false });
    // TTFT p95 during: all 10 per scrape in (5, 10] → 5 + 5 × 0.95 = 9.75 s.
    expect(f.evidence.ttftP95Seconds).toBeCloseTo(9.75, 9);
    expect(f.severity).toBe('warning');
    expect(one(diagnose('ABORT_RISE', [sig('abort-rise', 'issue', [[3600, 4800]], abortCalm, share(0.04, 0))], undefined, v)).severity).toBe('info');
    expect(one(diagnose('ABORT_RISE', [sig('abort-rise', 'issue', [[3600, 4800]], abortCalm, share(0.25, 0))], undefined, v)).severity).toBe('critical');
    expect(kind(diagnose('ABORT_RISE', [sig('abort-rise', 'ok', [], abortCalm)], undefined, v))).toBe('none');
  });

  it('in the pipeline: aborts while requests queue are shown under the queue (or the latency breach it causes), with no advice', () => {
    const r = runAnalysis(artifactsOf(traffic(R, { reason: 'abort', shareDuring: 0.1, shareBefore: 0, waitingDuring: 30 })), { name: 'aborts' });
    const a = r.findings.find((f) => f.code === 'ABORT_RISE')!;
    expect(a).toBeDefined();
    const cause = r.findings.find((f) => f.id === a.causedBy)!;
    expect(['QUEUE_BUILDUP', 'LATENCY_SLO_BREACH']).toContain(cause.code);
    expect(a.recommendations).toEqual([]);
    expect(a.episodes.map((e) => [e.startSeconds - T0, e.endSeconds - T0])).toEqual([[3600, 4800]]);
    expect(a.evidence.abortedRatio).toBeCloseTo(0.1, 9);
  });

  it('relations: clients give up on latency and queues (nearest first); truncation is explained only by a smaller max_model_len', () => {
    expect(CAUSED_BY.ABORT_RISE.slice(0, 2)).toEqual(['LATENCY_SLO_BREACH', 'QUEUE_BUILDUP']);
    expect(CAUSED_BY.TRUNCATION_RISE).toEqual([]);
    expect(DRIFT_RELEVANT.TRUNCATION_RISE).toEqual(['max_model_len']);
  });
});

describe('TRUNCATION_RISE under CONFIG_DRIFT', () => {
  it('the replica with the smaller max_model_len truncates while its peers do not: drift leads and restores the peers\' value', () => {
    const cfg = { num_gpu_blocks: 27_000, block_size: 16, gpu_memory_utilization: 0.9, cache_dtype: 'auto' };
    const series = [R, P, Q].flatMap((r) => [...traffic(r, r === R ? {} : { shareDuring: 0.02 }), cacheConfigInfo(C, cfg, { instance: r })]);
    const v = viewOf(series, logConfig([{ file: 'r1_8000.log', values: { max_model_len: 2048 } }, { file: 'r2_8000.log', values: { max_model_len: 8192 } }, { file: 'r3_8000.log', values: { max_model_len: 8192 } }]));
    const drift = one(diagnose('CONFIG_DRIFT', [], undefined, v, FLEET));
    expect(drift.evidence.settings).toBe('max_model_len');
    const trunc = one(diagnose('TRUNCATION_RISE', [sig('truncation-rise', 'issue', [[3600, 4800]], calm, share(0.3, 0.02))], undefined, v));
    const drafted: Drafted[] = [{ code: 'CONFIG_DRIFT', scope: FLEET, draft: drift }, { code: 'TRUNCATION_RISE', scope: R, draft: trunc }];
    const out = assembleFindings(v, drafted);
    const t = out.findings.find((f) => f.code === 'TRUNCATION_RISE')!;
    expect(t.causedBy).toBe(out.findings.find((f) => f.code === 'CONFIG_DRIFT')!.id);
    expect(out.recommendations.map((x) => [x.setting, x.replicas, x.current.value, x.to, x.reason.kind])).toEqual([['max_model_len', [R], 2048, 8192, 'restore-peers']]);
  });
});

describe('LENGTH_DRIFT', () => {
  const ev = { windowSeconds: 300, promptPsiRecent: 0.01, outputPsiRecent: 0.01, promptMeanEarlier: 700, promptMeanRecent: 700, outputMeanEarlier: 300, outputMeanRecent: 300, recentDrift: 'none', recentStartSeconds: T0 + 3600 };
  const nums = { dimension: 'prompt', promptPsi: 1.2, outputPsi: 0.01, promptMeanBefore: 700, promptMeanDuring: 3000, outputMeanBefore: 300, outputMeanDuring: 300, requests: 12_000 };
  const other = (code: FindingCode, spans: Span[], replica = R): Finding =>
    ({ id: `${code}@${replica}`, code, severity: 'warning', scope: replica, replicas: [replica], episodes: spans.map(([a, b]) => ({ startSeconds: T0 + a, endSeconds: T0 + b, durationSeconds: b - a, peakAtSeconds: null, numbers: {} })), evidence: {}, recommendations: [], doc: '' }) as Finding;

  it('a drift with no incident on the replica is a finding (info); during another finding\'s episode it is that finding\'s context', () => {
    const s = sig('length-drift', 'issue', [[3600, 4800]], ev, nums);
    const f = one(diagnose('LENGTH_DRIFT', [s], []));
    expect(f.severity).toBe('info');
    expect(f.evidence).toMatchObject({ ...nums, episodes: 1, kind: 'episodes', absorbedEpisodes: 0 });
    expect(kind(diagnose('LENGTH_DRIFT', [s], [other('QUEUE_BUILDUP', [[3900, 4500]])]))).toBe('none');
    // A finding on another replica, or a state over the whole window (a prefix-cache miss rate), does not absorb it.
    expect(kind(diagnose('LENGTH_DRIFT', [s], [other('QUEUE_BUILDUP', [[3900, 4500]], P)]))).toBe('findings');
    expect(kind(diagnose('LENGTH_DRIFT', [s], [other('PREFIX_CACHE_MISSES', [[0, 7200]])]))).toBe('findings');
    // Of two episodes, the one during the queue goes; the other stays.
    const two = one(diagnose('LENGTH_DRIFT', [sig('length-drift', 'issue', [[600, 1800], [3600, 4800]], ev, nums)], [other('QUEUE_BUILDUP', [[3600, 4800]])]));
    expect(two.episodes.map((e) => [e.startSeconds - T0, e.endSeconds - T0])).toEqual([[600, 1800]]);
    expect(two.evidence.absorbedEpisodes).toBe(1);
  });

  it('recent vs earlier only (no sliding episode): one episode over the recent stretch; runs after the other diagnoses', () => {
    const f = one(diagnose('LENGTH_DRIFT', [sig('length-drift', 'ok', [], { ...ev, recentDrift: 'output', outputPsiRecent: 0.4, outputMeanRecent: 450 })], []));
    expect(f.evidence).toMatchObject({ kind: 'recent', dimension: 'output', outputPsi: 0.4, outputMeanBefore: 300, outputMeanDuring: 450 });
    expect(f.episodes.map((e) => [e.startSeconds - T0, e.endSeconds - T0])).toEqual([[3600, 7200]]);
    expect(DIAGNOSES.find((d) => d.code === 'LENGTH_DRIFT')!.runs).toBe('post');
  });
});

describe('a single real /metrics scrape (vLLM V1, Qwen2.5-3B, 24 requests)', async () => {
  const file = path.join(REAL_METRICS_TEXT, 'hardware-aware-router__02ce4b09-7c48-46de-97b9-ac73bb373920.prom');
  const artifacts = await ingest({ inputs: [file] });
  const result = runAnalysis(artifacts, { name: 'scrape' });

  it('lifetime shares from the cumulative counters: 16 of 24 cut at length, 0 aborted (counted), no error series', () => {
    const q = result.quality!;
    expect(q.sinceProcessStart).toBe(true);
    expect(q.caveats).toEqual(['since-process-start', 'abort-not-counted']);
    const row = q.rows[0];
    expect(row.scope).toBe('fleet');
    expect(row.finished).toBe(24);
    expect(row.byReason).toEqual([
      { reason: 'stop', requests: 8 },
      { reason: 'length', requests: 16 },
      { reason: 'abort', requests: 0 },
    ]);
    expect(row.truncatedRatio).toBeCloseTo(16 / 24, 12);
    expect(row.abortedRatio).toBe(0);
    expect(row.erroredRatio).toBeNull();
    expect(row.recent).toBeNull();
  });

  it('lifetime length distributions, hand-computed from the cumulative buckets', () => {
    const row = result.quality!.rows[0];
    // Prompts: 16 in (5, 10], 8 in (10, 20]; sum 228. p50: rank 12 → 5 + 5 × 12/16; p95: rank 22.8 → 10 + 10 × 6.8/8.
    expect(row.prompt).toEqual({ requests: 24, mean: 228 / 24, p50: 5 + (5 * 12) / 16, p95: expect.closeTo(10 + (10 * 6.8) / 8, 9) });
    // Outputs: 2 in (20, 50], 6 in (50, 100], 16 in (100, 200]; sum 2502. p50: 100 + 100 × 4/16; p95: 100 + 100 × 14.8/16.
    expect(row.output).toEqual({ requests: 24, mean: 2502 / 24, p50: 125, p95: expect.closeTo(192.5, 9) });
    // Every request sent max_tokens 128 (sum 3072 over 24): the 16 cut at length are the 16 answers in (100, 200].
    expect(row.maxTokensMean).toBe(128);
  });

  it('the report says the numbers are cumulative since the process started, and that a 0 abort count may mean "not counted"', () => {
    const md = renderReport(result, artifacts, { charts: false, json: false, outDir: 'reports' })[0].content;
    expect(md).toContain('## Quality signals');
    expect(md).toContain('every number below is cumulative since each vLLM process started');
    expect(md).toContain('vllm-project/vllm#31503');
    expect(md).toContain('| fleet | 24 | 66.7% | 0.0% | – | 10 / 18 | 104 / 193 | 128 |');
  });
});

describe('the other real scrapes of the same source: a sibling run, and idle servers', () => {
  it('the sibling scrape (19 requests): 12 cut at length, lengths hand-computed from its cumulative buckets', async () => {
    const file = path.join(REAL_METRICS_TEXT, 'hardware-aware-router__05350b40-879a-4683-b008-cd76c93397fa.prom');
    const q = runAnalysis(await ingest({ inputs: [file] }), { name: 'scrape' }).quality!;
    expect(q.sinceProcessStart).toBe(true);
    expect(q.caveats).toEqual(['since-process-start', 'abort-not-counted']);
    const row = q.rows[0];
    expect(row.byReason).toEqual([
      { reason: 'stop', requests: 7 },
      { reason: 'length', requests: 12 },
      { reason: 'abort', requests: 0 },
    ]);
    expect(row.truncatedRatio).toBeCloseTo(12 / 19, 12);
    // Prompts: 13 in (5, 10], 6 in (10, 20]; sum 179. p50: rank 9.5 → 5 + 5 × 9.5/13; p95: rank 18.05 → 10 + 10 × 5.05/6.
    expect(row.prompt).toEqual({ requests: 19, mean: 179 / 19, p50: expect.closeTo(5 + (5 * 9.5) / 13, 9), p95: expect.closeTo(10 + (10 * 5.05) / 6, 9) });
    // Outputs: 2 in (20, 50], 5 in (50, 100], 12 in (100, 200]; sum 1931. The 12 cut are again the 12 in the bucket holding 128.
    expect(row.output).toEqual({ requests: 19, mean: 1931 / 19, p50: expect.closeTo(100 + (100 * 2.5) / 12, 9), p95: expect.closeTo(100 + (100 * 11.05) / 12, 9) });
    expect(row.maxTokensMean).toBe(2432 / 19);
  });

  it('an idle server (every counter 0): no share (not 0 %), no length, and no "aborts not counted" caveat', async () => {
    for (const f of ['hardware-aware-router__qwen_metrics.txt', 'hardware-aware-router__vllm_metrics.txt']) {
      const q = runAnalysis(await ingest({ inputs: [path.join(REAL_METRICS_TEXT, f)] }), { name: 'idle' }).quality!;
      expect(q.caveats, f).toEqual(['since-process-start']);
      const row = q.rows[0];
      expect(row.finished, f).toBe(0);
      expect([row.truncatedRatio, row.abortedRatio, row.erroredRatio, row.maxTokensMean, row.prompt.mean, row.output.p95], f).toEqual([null, null, null, null, null, null]);
    }
  });
});

describe('the quality section renders untrusted scope names as text', () => {
  it('a hostile replica name stays inside its table cell', async () => {
    const { renderQualitySection } = await import('../../src/report/quality-section.js');
    const { mdText } = await import('../../src/report/escape.js');
    const hostile = ['a|b', '<script>x</script>', '`tick', 'r\r\n## injected'];
    const row = (scope: string) => ({ scope, finished: 10, byReason: [], truncatedRatio: 0.5, abortedRatio: null, erroredRatio: null, prompt: { requests: 10, mean: 5, p50: 4, p95: 9 }, output: { requests: 10, mean: 50, p50: 40, p95: 90 }, maxTokensMean: 128, recent: null });
    const md = renderQualitySection({ sinceProcessStart: false, rows: hostile.map(row), caveats: ['unknown-code'] });
    for (const h of hostile) expect(md).toContain(`| ${mdText(h)} | 10 | 50.0% | – | – | 5 / 9 | 50 / 90 | 128 |`);
    // Unknown caveat codes say nothing rather than print a code.
    expect(md).not.toContain('unknown-code');
    expect(md.split('\n').filter((l) => l.startsWith('## '))).toEqual(['## Quality signals']);
  });
});
