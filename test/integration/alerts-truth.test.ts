// The generated alert rules against the simulator's ground truth (datasets/*/truth.json: which replica
// suffered which pathology, from when to when, read off the engine's own state, not the metrics). The
// rules are generated and replayed exactly as `analyze` does it (calibrated on the same history).
// Asserted: every incident long enough for a rule's `for:` plus its 5-minute window is caught on its
// replica within 16 minutes of its start, and the healthy datasets fire nothing. What else fires is
// listed in docs/alerts.md ("Against the simulator's ground truth").

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import type { AlertsSection } from '../../src/model/alerts-result.js';
import { ROOT } from '../support/paths.js';

interface Episode {
  replica: string;
  pathology: string;
  start: number;
  end: number;
  occurred: boolean;
}

/** Which alert stands for which pathology (a prefill-starved or batch-capped replica queues). */
const CATCHES: Record<string, string> = { KV_CACHE_THRASHING: 'VllmKvCachePressure', PREFILL_STARVATION: 'VllmQueueBuildup', GPU_UNDERUTILIZED: 'VllmQueueBuildup' };
/** for: 10m + the 5-minute window + a minute of evaluation slack. */
const HORIZON_SECONDS = 16 * 60;

async function replay(name: string): Promise<{ alerts: AlertsSection; truth: Episode[] }> {
  const dir = path.join(ROOT, 'datasets', name);
  const a = await ingest({ inputs: [dir] });
  const r = runAnalysis(a, { name });
  const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { episodes: Episode[] };
  return { alerts: r.alerts!, truth: truth.episodes };
}

const WITH_INCIDENTS = ['kv-cache-thrashing', 'mixed-config-thrash', 'redeploy-regression', 'prefill-starvation', 'long-prompt-burst', 'underutilized-config', 'config-drift'];

describe("alert rules against the simulator's ground truth", () => {
  it.each(WITH_INCIDENTS)('%s: every incident longer than the detection horizon is caught on its replica within 16 minutes', async (name) => {
    expect(existsSync(path.join(ROOT, 'datasets', name, 'truth.json'))).toBe(true);
    const { alerts, truth } = await replay(name);
    const due = truth.filter((e) => e.occurred && CATCHES[e.pathology] && e.end - e.start >= HORIZON_SECONDS);
    expect(due.length).toBeGreaterThan(0);
    for (const e of due) {
      const hit = alerts.firings.find((f) => f.alert === CATCHES[e.pathology] && f.labels.instance === e.replica && f.firingSinceSeconds >= e.start - 300 && f.firingSinceSeconds <= e.start + HORIZON_SECONDS);
      expect(hit, `${e.pathology} on ${e.replica} at ${new Date(e.start * 1000).toISOString()}`).toBeDefined();
    }
  }, 120_000);

  it.each(['healthy-baseline', 'fleet-one-degraded'])('%s: nothing fires', async (name) => {
    const { alerts } = await replay(name);
    expect(alerts.firings).toEqual([]);
  }, 120_000);

  it('quality-regression: VllmTruncationRise on the replica whose clients lowered max_tokens (truth.json generator), within 16 minutes of the switch; nothing else fires', async () => {
    const dir = path.join(ROOT, 'datasets', 'quality-regression');
    const truth = JSON.parse(readFileSync(path.join(dir, 'truth.json'), 'utf8')) as { start: number; replicas: { instance: string; generator: { streams: { maxTokens: number[]; rate: { window?: { start: number } } }[] } }[] };
    const switched = truth.replicas.filter((r) => r.generator.streams.some((s) => s.maxTokens.length === 1 && s.maxTokens[0] === 256));
    expect(switched.map((r) => r.instance)).toEqual(['10.0.0.12:8000']);
    const start = truth.start + switched[0].generator.streams.find((s) => s.maxTokens[0] === 256)!.rate.window!.start;
    const { alerts } = await replay('quality-regression');
    expect(alerts.firings.map((f) => [f.alert, f.labels.instance])).toEqual([['VllmTruncationRise', '10.0.0.12:8000']]);
    const f = alerts.firings[0];
    expect(f.firingSinceSeconds).toBeGreaterThan(start);
    expect(f.firingSinceSeconds).toBeLessThanOrEqual(start + HORIZON_SECONDS);
  }, 120_000);

  it('redeploy-regression: the KV rule catches all three thrashing bursts of the redeployed replica, and nothing on its peer', async () => {
    const { alerts } = await replay('redeploy-regression');
    const kv = alerts.firings.filter((f) => f.alert === 'VllmKvCachePressure');
    expect(kv.map((f) => f.labels.instance)).toEqual(['10.0.0.12:8000', '10.0.0.12:8000', '10.0.0.12:8000']);
    // The redeploy itself resets the counters: a restart, in place.
    expect(alerts.firings.filter((f) => f.alert === 'VllmReplicaRestart').map((f) => f.labels.instance)).toEqual(['10.0.0.12:8000']);
  }, 120_000);
});
