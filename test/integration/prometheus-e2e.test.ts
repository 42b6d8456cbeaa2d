// End to end with the simulator: `vllm-tune simulate --format openmetrics,json` writes a fleet's
// metrics both as OpenMetrics (backfilled into a real Prometheus) and as its own query_range JSON.
// Three paths must ingest to the same MetricSet — the simulator's direct export, the `fetch`ed file,
// and the in-memory fetch that `analyze --prometheus` uses — and the analysis of each, and of the
// OpenMetrics file read directly, must give the same findings and recommendations. Two scenarios: a
// restart (counters reset) and two replicas started with different settings (per-replica config).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import type { Artifacts } from '../../src/model/artifacts.js';
import { labelsKey, type MetricSet } from '../../src/model/series.js';
import { fetchSeries, fetchToPath, parsePrometheusFlags } from '../../src/prometheus/index.js';
import { simulateToDir } from '../../src/cli/simulate.js';
import { DEFAULT_START } from '../../src/simulate/index.js';
import { runAnalysis } from '../../src/engine.js';
import { havePrometheus, startPrometheus, type PromServer } from './prometheus/server.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const CASES = [
  { scenario: 'replica-restart', hours: 1.25, expected: ['REPLICA_RESTART@10.0.0.12:8000'] }, // replica 2 restarts at minute 55: counters reset
  { scenario: 'mixed-config-thrash', hours: 1, expected: ['CONFIG_DRIFT@10.0.0.11:8000, 10.0.0.12:8000', 'KV_CACHE_THRASHING@10.0.0.11:8000'] }, // gpu_memory_utilization 0.31 vs 0.9
] as const;
const START = DEFAULT_START;

function flat(m: MetricSet): Map<string, { t: number[]; v: number[] }> {
  const out = new Map<string, { t: number[]; v: number[] }>();
  for (const s of m.series) out.set(`${s.name}{${labelsKey(s.labels)}}`, { t: Array.from(s.t), v: Array.from(s.v) });
  return out;
}

function expectSame(a: MetricSet, b: MetricSet, what: string): void {
  const fa = flat(a);
  const fb = flat(b);
  expect([...fb.keys()].sort(), what).toEqual([...fa.keys()].sort());
  for (const [k, s] of fa) {
    const o = fb.get(k)!;
    expect(o.t, `${what}: ${k} timestamps`).toEqual(s.t);
    expect(o.v, `${what}: ${k} values`).toEqual(s.v);
  }
}

describe.skipIf(!havePrometheus()).each(CASES)('simulator → Prometheus → fetch/analyze: same data, same findings ($scenario)', ({ scenario: SCENARIO, hours: HOURS, expected }) => {
  const END = START + HOURS * 3600;
  let tmp: string;
  let server: PromServer;
  let direct: Artifacts;
  let fetchedFile: Artifacts;
  let fetchedLive: Artifacts;
  let openMetrics: Artifacts;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-e2e-'));
    const simDir = path.join(tmp, 'sim');
    await simulateToDir(SCENARIO, simDir, { seed: 1, hours: HOURS, interval: 10, formats: ['openmetrics', 'json'], readme: false, command: '' });
    server = await startPrometheus({ omFile: path.join(simDir, 'metrics.om.txt') });
    const o = parsePrometheusFlags({ prometheus: server.url, start: String(START), end: String(END) }, END, {});
    direct = await ingest({ inputs: [path.join(simDir, 'metrics.json')] });
    openMetrics = await ingest({ inputs: [path.join(simDir, 'metrics.om.txt')] });
    const out = path.join(tmp, 'fetched.json');
    await fetchToPath(o, out);
    fetchedFile = await ingest({ inputs: [out] });
    const live = await fetchSeries(o);
    fetchedLive = await ingest({ inputs: [], series: live.inputs });
  });
  afterAll(async () => {
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('the three paths ingest to the same series and samples', () => {
    expect(direct.metrics.series.length).toBeGreaterThan(100);
    expect(direct.metrics.has('vllm:prompt_tokens_total')).toBe(true);
    expect(direct.metrics.has('DCGM_FI_DEV_GPU_UTIL')).toBe(true);
    expectSame(direct.metrics, fetchedFile.metrics, 'fetch → file');
    expectSame(direct.metrics, fetchedLive.metrics, 'fetch → memory (analyze --prometheus)');
    if (SCENARIO !== 'replica-restart') return;
    // The restart is in the data: a replica's prompt-token counter drops.
    const drops = direct.metrics.get('vllm:prompt_tokens_total').map((s) => {
      let d = 0;
      for (let i = 1; i < s.v.length; i++) if (s.v[i] < s.v[i - 1]) d++;
      return d;
    });
    expect(drops.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  });

  it('the same serving config is read from cache_config_info on every path', () => {
    expect(fetchedFile.config).toEqual(direct.config);
    expect(fetchedLive.config).toEqual(direct.config);
  });

  it('the analysis of each path gives the same findings, episodes and recommendations', () => {
    const summary = (a: Artifacts) => {
      const r = runAnalysis(a, { name: 'e2e' });
      return {
        findings: r.findings.map((f) => ({ code: f.code, severity: f.severity, scope: f.scope, causedBy: f.causedBy ?? null, episodes: f.episodes.map((e) => [e.startSeconds, e.endSeconds]) })),
        recommendations: r.recommendations.map((x) => ({ setting: x.setting, replicas: x.replicas, to: x.to, role: x.role })),
        serveBlocks: r.serveBlocks.map((b) => b.flags),
      };
    };
    const a = summary(direct);
    // Not vacuous: the scenario's own finding is there.
    for (const e of expected) expect(a.findings.map((f) => `${f.code}@${f.scope}`)).toContain(e);
    expect(summary(fetchedFile)).toEqual(a);
    expect(summary(fetchedLive)).toEqual(a);
    expect(summary(openMetrics)).toEqual(a);
  });

  it('the CLI: `analyze --prometheus` and `analyze <direct export>` write the same findings and flags', () => {
    const bin = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../bin/vllm-tune');
    const out = path.join(tmp, 'reports');
    const cli = (args: string[]) => spawnSync(process.execPath, [bin, 'analyze', '--out', out, '--json', '-q', ...args], { encoding: 'utf8' });
    const live = cli(['--prometheus', server.url, '--start', String(START), '--end', String(END), '--name', 'live']);
    expect(live.stderr).toBe('');
    expect(live.status).toBe(0);
    const file = cli([path.join(tmp, 'sim', 'metrics.json'), '--name', 'file']);
    expect(file.status).toBe(0);
    const read = (n: string) => JSON.parse(readFileSync(path.join(out, `${n}.json`), 'utf8')) as { findings: { code: string; scope: string }[]; serveFlags: string[] };
    const a = read('live');
    const b = read('file');
    expect(a.findings.map((f) => `${f.code}@${f.scope}`)).toEqual(b.findings.map((f) => `${f.code}@${f.scope}`));
    expect(a.findings.length).toBeGreaterThan(0);
    expect(a.serveFlags).toEqual(b.serveFlags);
  });
});
