// Analysis on several threads (src/analysis/threads.ts): the Result is the same, byte for byte, whether
// the per-replica work runs on the main thread alone or is shared out to worker threads — on every
// bundled dataset with more than one replica, and when a worker fails (the main thread then does its
// share). Workers run compiled code, so this test drives the compiled engine in dist/ (`npm test`
// compiles first); VLLM_TUNE_PARALLEL_MIN_SAMPLES=1 lets datasets of a few MB use the threads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const root = path.resolve(__dirname, '..', '..');
const dist = (p: string) => pathToFileURL(path.join(root, 'dist', 'src', p)).href;

/* eslint-disable @typescript-eslint/no-explicit-any */
let ingest: (req: any) => Promise<any>;
let runAnalysis: (a: any, o: any) => any;
let alertsReplay: (m: any, f: any, slo: any) => { historyCodes: string[] | null };
let holds: (f: any, codes: string[] | null) => boolean;
let incidentsOf: (findings: any, w: any) => any[];
const branches = { reused: 0, replayed: 0 };
let stats: { runs: number; workersAnswered: number; workersLeftBehind: number; tasksTaken: number; tasksLeftBehind: number; alertsReplayed: number; alertsReused: number };
const saved = { min: process.env.VLLM_TUNE_PARALLEL_MIN_SAMPLES, fail: process.env.VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL };

beforeAll(async () => {
  ({ ingest } = await import(dist('ingest/index.js')));
  ({ runAnalysis } = await import(dist('engine.js')));
  ({ analysisThreadStats: stats } = await import(dist('analysis/threads.js')));
  ({ alertsReplay, replayWithoutFindingsHolds: holds } = await import(dist('alerts/index.js')));
  ({ incidentsOf } = await import(dist('alerts/calibrate.js')));
  process.env.VLLM_TUNE_PARALLEL_MIN_SAMPLES = '1';
});
afterAll(() => {
  for (const [k, v] of [['VLLM_TUNE_PARALLEL_MIN_SAMPLES', saved.min], ['VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL', saved.fail]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});

const datasets = readdirSync(path.join(root, 'datasets'), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .filter((d) => readdirSync(path.join(root, 'datasets', d)).includes('metrics.json.gz'))
  .sort();

function inputsOf(name: string): string[] {
  const dir = path.join(root, 'datasets', name);
  return readdirSync(dir)
    .filter((f) => !/^(README\.md|truth\.json|golden.*)$/.test(f))
    .map((f) => path.join(dir, f));
}

const analyse = (artifacts: any, threads: number) => JSON.stringify(runAnalysis(artifacts, { name: 'x', threads, whatIf: { enabled: false } }));

describe('analysis threads', () => {
  it('bundles multi-replica datasets to compare', () => {
    expect(datasets.length).toBeGreaterThanOrEqual(15);
  });

  for (const name of datasets) {
    it(`${name}: the same Result with 1 and 3 threads`, async () => {
      const artifacts = await ingest({ inputs: inputsOf(name) });
      const replicas = new Set(artifacts.metrics.series.filter((s: any) => s.name.startsWith('vllm:')).map((s: any) => s.labels.instance ?? s.labels.pod)).size;
      const one = analyse(artifacts, 1);
      const before = { ...stats };
      expect(analyse(artifacts, 3)).toBe(one);
      // The worker's alert replay (made without findings) was used exactly where the findings cannot change it.
      const r = JSON.parse(one);
      const range = artifacts.metrics.timeRange();
      const incidents = incidentsOf(r.findings, { startSeconds: range.start, endSeconds: range.end });
      const reuse = replicas >= 2 && holds(incidents, alertsReplay(artifacts.metrics, [], r.slo).historyCodes);
      expect(stats.alertsReused - before.alertsReused).toBe(reuse ? 1 : 0);
      branches[reuse ? 'reused' : 'replayed']++;
      // Threads ran where there was more than one replica to share out: min(2, replicas − 1) workers.
      // Three threads: the first worker's view-wide tasks (capacity, correlations, quality, and the
      // alert replay where it was taken), and one worker with half the replicas when there are two or more.
      expect(stats.workersAnswered - before.workersAnswered).toBe(replicas >= 2 ? 1 : 0);
      expect(stats.tasksTaken - before.tasksTaken).toBe(3 + (stats.alertsReplayed - before.alertsReplayed));
      expect(stats.workersLeftBehind).toBe(before.workersLeftBehind);
      expect(stats.tasksLeftBehind).toBe(before.tasksLeftBehind);
    }, 60_000);
  }

  it('two threads (the view-wide tasks only): the same Result', async () => {
    for (const name of ['capacity-week', 'fleet-one-degraded']) {
      const artifacts = await ingest({ inputs: inputsOf(name) });
      const before = { ...stats };
      expect(analyse(artifacts, 2)).toBe(analyse(artifacts, 1));
      expect(stats.workersAnswered).toBe(before.workersAnswered);
      expect(stats.tasksTaken - before.tasksTaken).toBeGreaterThanOrEqual(3);
    }
  }, 60_000);

  it('both ways of making the alert replay were taken above (same Results)', () => {
    // Healthy datasets reuse the worker's replay; incident datasets (findings with episode windows)
    // replay on the main thread.
    expect(branches.reused).toBeGreaterThanOrEqual(1);
    expect(branches.replayed).toBeGreaterThanOrEqual(1);
  });

  it('a worker that fails is left behind: the main thread analyses its replicas, the Result is the same', async () => {
    const artifacts = await ingest({ inputs: inputsOf('config-drift') });
    const one = analyse(artifacts, 1);
    process.env.VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL = '1';
    try {
      const before = { ...stats };
      expect(analyse(artifacts, 3)).toBe(one);
      expect(stats.workersLeftBehind - before.workersLeftBehind).toBe(1);
      expect(stats.workersAnswered).toBe(before.workersAnswered);
      // capacity, correlations, quality (the alert replay is not asked for: config-drift has episodes).
      expect(stats.tasksLeftBehind - before.tasksLeftBehind).toBe(3);
      expect(stats.tasksTaken).toBe(before.tasksTaken);
    } finally {
      delete process.env.VLLM_TUNE_TEST_ANALYSIS_WORKER_FAIL;
    }
  }, 60_000);
});
