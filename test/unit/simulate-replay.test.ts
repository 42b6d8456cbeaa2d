// Replay (issue 14 §2): length distributions read off histograms, the reconstructed traffic, a what-if
// against the simulator's own counterfactual, and the calibration's validation on every bundled dataset
// within the tolerances stated in docs/simulator.md ("Replay").

import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { empiricalFrom, metricSetOf, replay, REPLAY_TOLERANCE, type Measures } from '../../src/simulate/replay.js';
import { sampleEmpirical } from '../../src/simulate/arrivals.js';
import { Rng } from '../../src/simulate/rng.js';
import { AnalysisView } from '../../src/derive/view.js';
import { quantileBetween, totalBetween } from '../../src/derive/windowed.js';
import type { Truth } from '../../src/simulate/truth.js';
import { ROOT } from '../support/paths.js';

const DATASETS = path.join(ROOT, 'datasets');
const rel = (d: string) => path.relative(process.cwd(), path.join(DATASETS, d));
const truthOf = (d: string) => JSON.parse(readFileSync(path.join(DATASETS, d, 'truth.json'), 'utf8')) as Truth;

describe('lengths from a histogram', () => {
  it('keeps each bucket\'s share and matches the mean the histogram states', () => {
    // Cumulative counts for le = 10, 100, 1000, +Inf; mean 180.
    const h = { les: [10, 100, 1000, Infinity], counts: [100, 600, 980, 1000], sum: 180_000, count: 1000 };
    const d = empiricalFrom(h, 4000)!;
    expect(d.probs).toEqual([0.1, 0.5, 0.38, 0.02]);
    const rng = new Rng(3);
    const n = 40_000;
    let sum = 0;
    const inBucket = [0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const x = sampleEmpirical(d, rng);
      sum += x;
      inBucket[x <= 10 ? 0 : x <= 100 ? 1 : x <= 1000 ? 2 : 3]++;
    }
    expect(sum / n).toBeGreaterThan(180 * 0.97);
    expect(sum / n).toBeLessThan(180 * 1.03);
    for (let j = 0; j < 4; j++) expect(Math.abs(inBucket[j] / n - d.probs[j])).toBeLessThan(0.01);
  });
});

describe('replay of a simulated window', () => {
  it('reconstructs the traffic: requests, prompt and generated tokens', async () => {
    const a = await ingest({ inputs: [rel('healthy-baseline')] });
    const r = replay(a, { replica: '10.0.0.11:8000' });
    const x = r.replicas[0];
    const t = truthOf('healthy-baseline').replicas[0];
    // Arrivals = finished + change in flight: exact up to the requests still in flight at the last scrape.
    expect(Math.abs(x.traffic.requests - t.totals.arrived) / t.totals.arrived).toBeLessThan(0.005);
    expect(Math.abs(x.replayed.requests - x.measured.requests) / x.measured.requests).toBeLessThan(0.03);
    expect(Math.abs(x.replayed.promptTokens! - x.measured.promptTokens!) / x.measured.promptTokens!).toBeLessThan(0.05);
    expect(Math.abs(x.replayed.generationTokens! - x.measured.generationTokens!) / x.measured.generationTokens!).toBeLessThan(0.05);
    expect(x.config.origin.num_gpu_blocks).toBe('cache_config_info');
    expect(x.config.origin.max_num_seqs).toBe('log');
    expect(x.config.settings.num_gpu_blocks).toBe(27875);
  });

  it('predicts a fix: the small-pool replica with its peer\'s gpu_memory_utilization, against the simulator\'s own counterfactual', async () => {
    const a = await ingest({ inputs: [rel('mixed-config-thrash')] });
    const r = replay(a, { replica: '10.0.0.11:8000', set: { gpu_memory_utilization: '0.9' } });
    const x = r.replicas[0];
    const w = truthOf('mixed-config-thrash').whatIf[0];
    expect(w.replica).toBe('10.0.0.11:8000');
    expect(x.whatIf!.settings.gpu_memory_utilization).toBe(0.9);
    // The measured pool (3,815 blocks) grows by the freed memory: 0.59 × 81,559 MiB / 2 MiB per block.
    expect(x.whatIf!.settings.num_gpu_blocks).toBe(3815 + Math.floor(((0.9 - 0.31) * 81559 * 1048576) / (16 * 131072)));
    expect(x.whatIf!.measures.preemptions).toBe(w.counterfactual.preemptions);
    expect(x.whatIf!.measures.ttftP95Seconds!).toBeLessThan(2 * w.counterfactual.ttftP95Seconds!);
    expect(x.whatIf!.measures.ttftP95Seconds!).toBeGreaterThan(0.5 * w.counterfactual.ttftP95Seconds!);
    expect(x.replayed.preemptions!).toBeGreaterThan(1000);
  });

  it('refuses a setting it cannot change, naming it', async () => {
    const a = await ingest({ inputs: [rel('healthy-baseline')] });
    expect(() => replay(a, { replica: '10.0.0.11:8000', set: { tensor_parallel_size: '2' } as never })).toThrow(/tensor_parallel_size/);
    expect(() => replay(a, { replica: '10.0.0.11:8000', set: { max_num_seqs: '-3' } })).toThrow(/positive integer/);
  });
});

// --- validation: replaying each dataset at its own configuration -----------------------------------

/**
 * Tolerances (docs/simulator.md, "Replay"), by the measured regime: `thrashing` = at least 100
 * preemptions in the window, `saturated` = mean requests waiting ≥ 1, else `steady`.
 */
export const TOLERANCE = REPLAY_TOLERANCE;

function withinFactor(a: number, b: number, f: number): boolean {
  return b <= a * f && a <= b * f;
}

function check(name: string, m: Measures, p: Measures, opts: { skipTtft?: boolean } = {}): void {
  const f = (m.preemptions ?? 0) >= 100 ? 'thrashing' : (m.waitingMean ?? 0) >= 1 ? 'saturated' : 'steady';
  expect(Math.abs(p.tbtP95Seconds! - m.tbtP95Seconds!) / m.tbtP95Seconds!, `${name} TBT p95 ${m.tbtP95Seconds} → ${p.tbtP95Seconds}`).toBeLessThanOrEqual(TOLERANCE.tbtP95Relative);
  if (!opts.skipTtft) expect(withinFactor(m.ttftP95Seconds!, p.ttftP95Seconds!, TOLERANCE.ttftP95Factor[f]), `${name} TTFT p95 ${m.ttftP95Seconds} → ${p.ttftP95Seconds} (${f})`).toBe(true);
  if (!opts.skipTtft) {
    const q = Math.abs(p.queueMeanSeconds! - m.queueMeanSeconds!) <= TOLERANCE.queueAbsSeconds || withinFactor(m.queueMeanSeconds!, p.queueMeanSeconds!, TOLERANCE.queueFactor[f]);
    expect(q, `${name} queue time mean ${m.queueMeanSeconds} → ${p.queueMeanSeconds}`).toBe(true);
    const w = Math.abs(p.waitingMean! - m.waitingMean!) <= TOLERANCE.waitingAbs || withinFactor(m.waitingMean!, p.waitingMean!, TOLERANCE.queueFactor[f]);
    expect(w, `${name} waiting mean ${m.waitingMean} → ${p.waitingMean}`).toBe(true);
  }
  const pre = Math.abs(p.preemptions! - m.preemptions!) <= TOLERANCE.preemptionsAbs || withinFactor(m.preemptions!, p.preemptions!, TOLERANCE.preemptionsFactor);
  expect(pre, `${name} preemptions ${m.preemptions} → ${p.preemptions}`).toBe(true);
  expect(Math.abs(p.promptTokens! - m.promptTokens!) / m.promptTokens!, `${name} prompt tokens`).toBeLessThanOrEqual(TOLERANCE.promptTokensRelative);
}

/** One replica per dataset: where the incident is, else the first. */
const VALIDATE: [string, string][] = [
  ['healthy-baseline', '10.0.0.11:8000'],
  ['kv-cache-thrashing', '10.0.0.12:8000'],
  ['prefill-starvation', '10.0.0.11:8000'],
  ['underutilized-demand', '10.0.0.11:8000'],
  ['underutilized-config', '10.0.0.11:8000'],
  ['memory-leak', '10.0.0.11:8000'],
  ['prefix-cache-misses', '10.0.0.11:8000'],
  ['replica-restart', '10.0.0.12:8000'],
  ['fleet-one-degraded', '10.0.0.12:8000'],
  ['mixed-config-thrash', '10.0.0.11:8000'],
  ['long-prompt-burst', '10.0.0.12:8000'],
  ['config-drift', '10.0.0.14:8000'],
  ['fix-kv-pool-before', '10.0.0.11:8000'],
  ['fix-kv-pool-after', '10.0.0.11:8000'],
  ['fix-max-num-seqs-before', '10.0.0.11:8000'],
  ['fix-max-num-seqs-after', '10.0.0.11:8000'],
];

describe('replay at the own configuration reproduces the measured window (every bundled dataset)', () => {
  for (const [d, replica] of VALIDATE) {
    it(`${d} (${replica})`, async () => {
      const a = await ingest({ inputs: [rel(d)] });
      const x = replay(a, { replica }).replicas[0];
      check(d, x.measured, x.replayed);
    });
  }

  it('redeploy-regression (10.0.0.12:8000, 24 h): per thrashing episode, and the window without its knife-edge TTFT p95', async () => {
    const a = await ingest({ inputs: [rel('redeploy-regression')] });
    const r = replay(a, { replica: '10.0.0.12:8000' });
    const x = r.replicas[0];
    // Incidents cover ~5 % of a day's requests: the whole-window TTFT p95 sits on that edge, so it is
    // compared per episode instead (the episode windows from truth.json), at the thrashing tolerance.
    check('redeploy-regression', x.measured, x.replayed, { skipTtft: true });
    const mv = new AnalysisView(a.metrics, a.config);
    const rv = new AnalysisView(metricSetOf([r.runs[0].replayed], r.start, r.stepSeconds), { values: {}, conflicts: [], statements: [] });
    const eps = truthOf('redeploy-regression').episodes;
    expect(eps.length).toBe(3);
    for (const e of eps) {
      const q = (v: AnalysisView) => quantileBetween(v, 'vllm:time_to_first_token_seconds', 0.95, '10.0.0.12:8000', e.start!, e.end!)!.value;
      const pre = (v: AnalysisView) => totalBetween(v, 'vllm:num_preemptions_total', '10.0.0.12:8000', e.start!, e.end!)!;
      expect(withinFactor(q(mv), q(rv), TOLERANCE.ttftP95Factor.thrashing), `episode at ${e.start}: TTFT p95 ${q(mv)} → ${q(rv)}`).toBe(true);
      expect(withinFactor(pre(mv), pre(rv), TOLERANCE.preemptionsFactor), `episode at ${e.start}: preemptions ${pre(mv)} → ${pre(rv)}`).toBe(true);
    }
    // No preemption before the redeploy, in the replay either.
    const redeploy = truthOf('redeploy-regression').replicas[1].processes[1].from;
    expect(totalBetween(rv, 'vllm:num_preemptions_total', '10.0.0.12:8000', r.start, redeploy - 300)).toBe(0);
  });

  it('capacity-week (10.0.0.11:8000, its last day)', async () => {
    const a = await ingest({ inputs: [rel('capacity-week')] });
    const t = truthOf('capacity-week');
    const x = replay(a, { replica: '10.0.0.11:8000', window: { start: t.end - 86400, end: t.end } }).replicas[0];
    check('capacity-week', x.measured, x.replayed);
  });
});

describe('vllm-tune simulate --replay (the CLI)', () => {
  const bin = path.join(ROOT, 'bin', 'vllm-tune');
  const run = (args: string[]) => {
    const r = spawnSync(process.execPath, [bin, ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, VLLM_TUNE_DEBUG: '' } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };

  it('prints measured | replayed | what-if and writes the summary and the replayed exports', () => {
    const out = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-replay-'));
    try {
      const r = run(['simulate', '--replay', rel('underutilized-demand'), '--replica', '10.0.0.11:8000', '--set', 'max_num_seqs=8', '--out', out]);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain('| | measured | replayed | what-if |');
      expect(r.out).toMatch(/\| `max_num_seqs` \| `256` → `8` \| log \|/);
      expect(readdirSync(out).sort()).toEqual(['replay.json', 'replay.md', 'replayed', 'what-if']);
      const j = JSON.parse(readFileSync(path.join(out, 'replay.json'), 'utf8'));
      expect(j.replicas[0].whatIf.settings.max_num_seqs).toBe(8);
      expect(readdirSync(path.join(out, 'what-if'))).toEqual(['metrics.json.gz']);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('a setting replay cannot change is one line on stderr and exit 2', () => {
    const r = run(['simulate', '--replay', rel('underutilized-demand'), '--set', 'tensor_parallel_size=2']);
    expect(r.code).toBe(2);
    expect(r.err.trim().split('\n').length).toBe(1);
    expect(r.err).toContain('tensor_parallel_size');
  });
});
