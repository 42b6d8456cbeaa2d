// `vllm-tune compare` (issue 14 §3, docs/capacity.md "Compare"): the block-means test keeps its false
// positive rate on autocorrelated series and finds real shifts; the before/after pairs of the simulator
// (same requests, one setting changed; truth.json `pair`) read as the fix they are, and the reverse as a
// regression that --fail-on turns into exit 1; --split cuts one input at a redeploy.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import { binTest, compareArtifacts, splitArtifacts } from '../../src/compare/index.js';
import { welch } from '../../src/stats/regression.js';
import { ingest } from '../../src/ingest/index.js';
import { CompareResultSchema, type CompareResult } from '../../src/model/compare-result.js';
import { renderCompareMarkdown, verdictParagraph } from '../../src/report/compare-markdown.js';
import { totalBetween } from '../../src/derive/windowed.js';
import { AnalysisView } from '../../src/derive/view.js';
import { normal } from '../support/synthetic.js';
import { runCliInProcess } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

const A = '10.0.0.11:8000';
const B = '10.0.0.12:8000';
const rel = (d: string) => path.relative(process.cwd(), path.join(ROOT, 'datasets', d));

/** An AR(1) series around `level` (multiplicative noise): x_t = level · exp(e_t), e_t = ρ e_{t−1} + σ z. */
function ar1(n: number, rho: number, level: number, z: () => number, sigma = 0.3): number[] {
  let e = (z() * sigma) / Math.sqrt(1 - rho * rho);
  return Array.from({ length: n }, () => {
    e = rho * e + sigma * z();
    return level * Math.exp(e);
  });
}

describe('the per-bin test on autocorrelated series', () => {
  it('no difference: the block-means test rejects in about 5% of 400 seeded pairs (ρ = 0.7, 60 bins a side, what compare aims for); a test on raw bins would in far more', () => {
    let blocked = 0;
    let naive = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const z = normal(seed);
      const a = ar1(60, 0.7, 10, z);
      const b = ar1(60, 0.7, 10, z);
      if (binTest(a, b, 0.01)!.p < 0.05) blocked++;
      if (welch(a.map(Math.log), b.map(Math.log))!.p < 0.05) naive++;
    }
    expect(blocked / 400).toBeLessThan(0.09);
    expect(naive / 400).toBeGreaterThan(0.2);
  });
  it('a ×2 shift is found in most pairs (60 bins a side, ρ = 0.7: measured 83 %), and its 95 % ratio interval covers 2 in about 95 %', () => {
    let found = 0;
    let covered = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const z = normal(1000 + seed);
      const t = binTest(ar1(60, 0.7, 10, z), ar1(60, 0.7, 20, z), 0.01)!;
      if (t.p < 0.05 && t.ratio > 1) found++;
      if (t.ratioLow <= 2 && 2 <= t.ratioHigh) covered++;
    }
    expect(found / 200).toBeGreaterThan(0.75);
    expect(covered / 200).toBeGreaterThan(0.9);
  });
  it('zeros on one side: the floor makes "gone" testable', () => {
    const t = binTest([3, 4, 5, 4, 3, 5, 4, 4, 3], [0, 0, 0, 0, 0, 0, 0, 0, 0], 1 / 300)!;
    expect(t.ratio).toBeLessThan(0.01);
    expect(t.p).toBeLessThan(0.001);
  });
});

describe('splitArtifacts', () => {
  it('the two sides\' counter increases add up to the whole (the after side starts at the last sample before the split)', async () => {
    const a = await ingest({ inputs: [rel('fix-kv-pool-before')] });
    const range = a.metrics.timeRange()!;
    const split = range.start + 1805; // between two scrapes
    const { before, after } = splitArtifacts(a, split);
    const whole = new AnalysisView(a.metrics, a.config);
    const vb = new AnalysisView(before.metrics, before.config);
    const va = new AnalysisView(after.metrics, after.config);
    for (const name of ['vllm:num_preemptions_total', 'vllm:generation_tokens_total'] as const) {
      const w = totalBetween(whole, name, A, range.start, range.end)!;
      expect(totalBetween(vb, name, A, range.start, split)! + totalBetween(va, name, A, split - 10, range.end)!).toBeCloseTo(w, 6);
    }
    expect(vb.end).toBeLessThan(split);
    expect(va.start).toBeLessThanOrEqual(split);
  });
});

describe('the before/after pairs', async () => {
  const kvBefore = await ingest({ inputs: [rel('fix-kv-pool-before')] });
  const kvAfter = await ingest({ inputs: [rel('fix-kv-pool-after')] });
  const r = compareArtifacts(kvBefore, kvAfter, { name: 'kv' });
  const truth = JSON.parse(readFileSync(path.join(ROOT, 'datasets/fix-kv-pool-before/truth.json'), 'utf8')) as { pair: { change: { replica: string; setting: string; before: number; after: number }[] }; replicas: unknown[] };
  const fleet = (id: string) => r.metrics.find((m) => m.scope === 'fleet' && m.metric === id)!;

  it('fix-kv-pool: the configuration change is the generator\'s (truth.json pair.change), and nothing else', () => {
    expect(CompareResultSchema.parse(r)).toBeTruthy();
    const got = r.configChanges.map((c) => ({ replica: c.replica, setting: c.setting, before: c.before, after: c.after })).sort((x, y) => `${x.replica}${x.setting}`.localeCompare(`${y.replica}${y.setting}`));
    expect(got).toEqual([...truth.pair.change].sort((x, y) => `${x.replica}${x.setting}`.localeCompare(`${y.replica}${y.setting}`)));
  });
  it('fix-kv-pool: the fix worked — thrashing resolved on both replicas, preemptions gone, TTFT p95 down by two orders, throughput unchanged', () => {
    expect(r.verdict.outcome).toBe('improved');
    expect(r.findings.resolved.filter((f) => f.code === 'KV_CACHE_THRASHING').map((f) => f.replicas[0]).sort()).toEqual([A, B]);
    expect(r.findings.new.filter((f) => f.severity !== 'info')).toEqual([]);
    expect(fleet('preemptions-per-second')).toMatchObject({ assessment: 'gone', after: 0 });
    const ttft = fleet('ttft-p95');
    expect(ttft.assessment).toBe('improved');
    expect(ttft.after! / ttft.before!).toBeLessThan(0.02);
    expect(ttft.test!.ratioHigh).toBeLessThan(0.1);
    expect(r.verdict.throughput).toBe('unchanged');
    expect(fleet('output-tokens-per-second').assessment).toBe('unchanged');
    expect(r.regressions).toEqual([]);
    const v = verdictParagraph(r);
    expect(v).toMatch(/^The change worked: resolved `KV_CACHE_THRASHING` on 10\.0\.0\.11:8000, 10\.0\.0\.12:8000; TTFT p95 −\d+(\.\d)?% \(/);
    expect(v).toMatch(/preemptions\/s gone \([\d.]+ → 0\)/);
    expect(v).toMatch(/throughput unchanged \(output tokens\/s [+−][\d.]+%/);
    expect(v).toMatch(/Configuration changed: `gpu_memory_utilization 0\.31 → 0\.9`/);
  });
  it('fix-kv-pool: the measured numbers against truth.json — preemptions 6,582 in the hour, finished requests per replica, TTFT p95 inside the histogram bucket that holds the true p95', () => {
    type W = { instance: string; totals: { finished: number; preemptions: number }; whole: { ttftP95Seconds: number } };
    const tb = truth.replicas as unknown as W[];
    const ta = (JSON.parse(readFileSync(path.join(ROOT, 'datasets/fix-kv-pool-after/truth.json'), 'utf8')) as { replicas: W[] }).replicas;
    const hour = 3600;
    const pre = fleet('preemptions-per-second');
    expect(Math.abs(pre.before! / (tb.reduce((s, x) => s + x.totals.preemptions, 0) / hour) - 1)).toBeLessThan(0.01);
    // vLLM's TTFT buckets around these values: 0.25, 0.5 … 20, 40, 80 s.
    const bucket = (x: number) => [0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160].find((le) => x <= le)!;
    for (const [i, rep] of [A, B].entries()) {
      const rps = r.metrics.find((m) => m.scope === rep && m.metric === 'requests-per-second')!;
      expect(Math.abs(rps.before! / (tb[i].totals.finished / hour) - 1)).toBeLessThan(0.01);
      expect(Math.abs(rps.after! / (ta[i].totals.finished / hour) - 1)).toBeLessThan(0.01);
      const t = r.metrics.find((m) => m.scope === rep && m.metric === 'ttft-p95')!;
      expect([tb[i].instance, bucket(t.before!), bucket(t.after!)]).toEqual([rep, bucket(tb[i].whole.ttftP95Seconds), bucket(ta[i].whole.ttftP95Seconds)]);
      expect(t.assessment).toBe('improved');
    }
  });
  it('fix-max-num-seqs: max_num_seqs 8 → 64 on both replicas (truth.json pair.change), the queue gone, TTFT p95 improved, GPU_UNDERUTILIZED resolved, throughput unchanged', async () => {
    const x = compareArtifacts(await ingest({ inputs: [rel('fix-max-num-seqs-before')] }), await ingest({ inputs: [rel('fix-max-num-seqs-after')] }), { name: 'seqs' });
    const t = JSON.parse(readFileSync(path.join(ROOT, 'datasets/fix-max-num-seqs-before/truth.json'), 'utf8')) as typeof truth;
    expect(x.configChanges.map((c) => ({ replica: c.replica, setting: c.setting, before: c.before, after: c.after }))).toEqual(t.pair.change);
    expect(x.verdict).toMatchObject({ outcome: 'improved', regressed: [], throughput: 'unchanged' });
    const f = (id: string) => x.metrics.find((m) => m.scope === 'fleet' && m.metric === id)!;
    expect(f('waiting')).toMatchObject({ assessment: 'gone', after: 0 });
    expect(f('ttft-p95').assessment).toBe('improved');
    expect(f('ttft-p95').after!).toBeLessThan(0.5);
    expect(x.findings.resolved.filter((g) => g.code === 'GPU_UNDERUTILIZED').map((g) => g.replicas[0]).sort()).toEqual([A, B]);
    expect(x.findings.new).toEqual([]);
    expect(verdictParagraph(x)).toMatch(/^The change worked: resolved `GPU_UNDERUTILIZED` on 10\.0\.0\.11:8000, 10\.0\.0\.12:8000; TTFT p95 −99\.\d% \(.*waiting requests gone.*Configuration changed: `max_num_seqs 8 → 64`\.$/);
  });
  it('per replica too: each replica\'s preemptions are gone', () => {
    for (const rep of [A, B]) expect(r.metrics.find((m) => m.scope === rep && m.metric === 'preemptions-per-second')!.assessment).toBe('gone');
  });
  it('fix-max-num-seqs reversed is a regression: TTFT p95 over its target (critical), a queue appears, GPU_UNDERUTILIZED new', async () => {
    const after = await ingest({ inputs: [rel('fix-max-num-seqs-after')] });
    const before = await ingest({ inputs: [rel('fix-max-num-seqs-before')] });
    const x = compareArtifacts(after, before, { name: 'rev' });
    expect(x.verdict.outcome).toBe('regressed');
    const t = x.metrics.find((m) => m.scope === 'fleet' && m.metric === 'ttft-p95')!;
    expect(t).toMatchObject({ assessment: 'regressed', severity: 'critical' });
    expect(x.regressions).toEqual(expect.arrayContaining([{ kind: 'metric', id: 'ttft-p95', scope: 'fleet', severity: 'critical' }]));
    expect(x.findings.new.filter((f) => f.code === 'GPU_UNDERUTILIZED').map((f) => f.replicas[0]).sort()).toEqual([A, B]);
    expect(x.configChanges.filter((c) => c.setting === 'max_num_seqs').map((c) => [c.replica, c.before, c.after])).toEqual([[A, 64, 8], [B, 64, 8]]);
    expect(verdictParagraph(x)).toMatch(/^The change made things worse: TTFT p95 ×\d+ \(/);
  });
});

describe('no change', () => {
  it('the same dataset on both sides: every metric unchanged with p = 1, no finding resolved or new, no configuration change, "No significant change"', async () => {
    const a = await ingest({ inputs: [rel('healthy-baseline')] });
    const x = compareArtifacts(a, await ingest({ inputs: [rel('healthy-baseline')] }), { name: 'same' });
    expect(x.verdict).toMatchObject({ outcome: 'unchanged', improved: [], regressed: [], throughput: 'unchanged' });
    expect(x.metrics.length).toBeGreaterThanOrEqual(3 * 10);
    for (const m of x.metrics) expect([m.metric, m.scope, m.assessment, m.test?.p, m.change]).toEqual([m.metric, m.scope, 'unchanged', 1, 0]);
    expect([x.findings.resolved, x.findings.new, x.configChanges, x.regressions]).toEqual([[], [], [], []]);
    expect(verdictParagraph(x)).toBe('No significant change: throughput unchanged (output tokens/s +0.0%, not significant).');
  });
  it('healthy-baseline cut in two (--split +30m): "No significant change", nothing that --fail-on warning would read', async () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-compare-'));
    try {
      const run = await runCliInProcess(['compare', '--out', out, '--json', '-q', '--fail-on', 'warning', '--split', '+30m', rel('healthy-baseline')]);
      expect([run.code, run.err]).toEqual([0, '']);
      const json = JSON.parse(readFileSync(path.join(out, 'healthy-baseline-split.json'), 'utf8')) as CompareResult;
      expect(json.verdict.outcome).toBe('unchanged');
      expect(json.regressions).toEqual([]);
      // Latency, queue and preemptions: unchanged on the fleet and on each replica.
      for (const m of json.metrics.filter((x) => x.direction !== 'neutral')) expect([m.scope, m.metric, m.assessment]).toEqual([m.scope, m.metric, 'unchanged']);
      // The traffic does drift (README: ±20 % over 6 h): the fleet's request rate is up about 8 % in the
      // second half hour — significant on 90 bins, under the 10 % that counts, so not a change.
      const rps = json.metrics.find((m) => m.scope === 'fleet' && m.metric === 'requests-per-second')!;
      expect(rps.relativeChange!).toBeGreaterThan(0.03);
      expect(rps.relativeChange!).toBeLessThan(0.1);
      expect(rps.assessment).toBe('unchanged');
      expect(json.after.startSeconds - json.before.startSeconds).toBe(1800);
      expect(readFileSync(path.join(out, 'healthy-baseline-split.md'), 'utf8')).toContain('\n## Verdict\n\nNo significant change: ');
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});

describe('compare on the command line', () => {
  const tmp = () => mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-compare-'));
  it('before -- after writes the Markdown and JSON atomically; --fail-on applies to regressions', async () => {
    const out = tmp();
    try {
      const ok = await runCliInProcess(['compare', '--out', out, '--json', '-q', '--fail-on', 'warning', rel('fix-max-num-seqs-before'), '--', rel('fix-max-num-seqs-after')]);
      expect(ok.err).toBe('');
      expect(ok.code).toBe(0);
      expect(ok.out).toMatch(/improved; \d+ metrics? improved, 0 regressed; findings 6 resolved, 0 new, 0 persisting/);
      const files = readdirSync(out).filter((f) => !f.startsWith('.')).sort();
      expect(files).toEqual(['fix-max-num-seqs-before-vs-fix-max-num-seqs-after.json', 'fix-max-num-seqs-before-vs-fix-max-num-seqs-after.md']);
      const json = JSON.parse(readFileSync(path.join(out, files[0]), 'utf8')) as CompareResult;
      expect(CompareResultSchema.parse(json).verdict.outcome).toBe('improved');
      const md = readFileSync(path.join(out, files[1]), 'utf8');
      expect(md).toBe(renderCompareMarkdown(json));
      const bad = await runCliInProcess(['compare', '--out', out, '-q', '--fail-on', 'critical', rel('fix-max-num-seqs-after'), '--', rel('fix-max-num-seqs-before')]);
      expect(bad.code).toBe(1);
      const quiet = await runCliInProcess(['compare', '--out', out, '-q', rel('fix-max-num-seqs-after'), '--', rel('fix-max-num-seqs-before')]);
      expect(quiet.code).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  it('--split at a redeploy (20:32, while 10.0.0.12 is down from 20:30 to 20:34): the new settings are a change between the windows, thrashing is new after it', async () => {
    const out = tmp();
    try {
      const run = await runCliInProcess(['compare', '--out', out, '--json', '-q', '--split', '2025-11-20T20:32:00Z', rel('redeploy-regression')]);
      expect(run.err).toBe('');
      const json = JSON.parse(readFileSync(path.join(out, 'redeploy-regression-split.json'), 'utf8')) as CompareResult;
      expect(json.splitSeconds).toBe(Date.parse('2025-11-20T20:32:00Z') / 1000);
      // The stopped process's series stay in "before": the after window starts at the split.
      expect(json.after.startSeconds).toBeGreaterThanOrEqual(json.splitSeconds!);
      expect(json.before.endSeconds).toBeLessThan(json.splitSeconds!);
      const changes = json.configChanges.map((c) => [c.replica, c.setting, c.before, c.after, c.within ?? 'between']);
      expect(changes).toEqual([
        [B, 'max_num_seqs', 256, 512, 'between'],
        [B, 'gpu_memory_utilization', 0.9, 0.31, 'between'],
        [B, 'num_gpu_blocks', 27875, 3815, 'between'],
      ]);
      expect(json.findings.new.map((f) => `${f.code}@${f.replicas.join(',')}`)).toContain(`KV_CACHE_THRASHING@${B}`);
      expect(json.findings.new.map((f) => f.code)).not.toContain('REPLICA_RESTART');
      expect(json.verdict.outcome).toBe('regressed');
      expect(run.code).toBe(0);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
  it('bad usage is one line and exit 2, and nothing is written', async () => {
    const out = tmp();
    try {
      const none = await runCliInProcess(['compare', '--out', out, rel('fix-kv-pool-before')]);
      expect(none.code).toBe(2);
      expect(none.err).toMatch(/^vllm-tune: compare needs two windows \[BAD_OPTION\]/);
      const both = await runCliInProcess(['compare', '--out', out, '--split', '+30m', rel('fix-kv-pool-before'), '--', rel('fix-kv-pool-after')]);
      expect(both.code).toBe(2);
      expect(both.err).toMatch(/either -- between before and after inputs, or --split/);
      const outside = await runCliInProcess(['compare', '--out', out, '--split', '2020-01-01T00:00:00Z', rel('fix-kv-pool-before')]);
      expect(outside.code).toBe(2);
      expect(outside.err).toMatch(/is not inside the data/);
      expect(outside.err.split('\n').filter(Boolean)).toHaveLength(1);
      expect(existsSync(out) ? readdirSync(out).filter((f) => !f.startsWith('.')) : []).toEqual([]);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
