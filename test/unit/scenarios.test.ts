// Each simulator scenario under datasets/ must yield exactly its expected findings — code, the replica
// it concerns, and the cause it is shown under — whatever the wording. The expectations come from each
// dataset's README ("What a correct diagnosis says"); consequences that are true of the data (a queue
// behind KV thrashing, the latency breach it causes) are listed under their cause.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import type { Result } from '../../src/model/result.js';
import { ROOT } from '../support/paths.js';
import { EXPECTED } from '../support/expected-findings.js';

const A = '10.0.0.11:8000';
const B = '10.0.0.12:8000';

const cache = new Map<string, Result>();
async function analyze(name: string): Promise<Result> {
  const hit = cache.get(name);
  if (hit) return hit;
  const artifacts = await ingest({ inputs: [path.relative(process.cwd(), path.join(ROOT, 'datasets', name))] });
  const r = runAnalysis(artifacts, { name });
  cache.set(name, r);
  return r;
}

const label = (r: Result) => r.findings.map((f) => `${f.code}@${f.scope}${f.causedBy ? `<${f.causedBy.split('@')[0]}` : ''}`).sort();

describe('scenario datasets yield their expected findings', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const result = await analyze(name);
      expect(label(result)).toEqual([...expected].sort());
      // A breach of the end-to-end target alone (TTFT and TBT met: long requests) is information, never more.
      for (const f of result.findings.filter((x) => x.code === 'LATENCY_SLO_BREACH' && x.evidence.e2eOnly)) expect(f.severity).toBe('info');
      // The datasets' "No finding above info" and healthy replicas: nothing above info where truth.json has no incident.
      // capacity-week's CAPACITY_HEADROOM_LOW is a projection for the fleet (README: "if the horizon is a month"), not an incident.
      for (const f of result.findings.filter((x) => x.severity !== 'info' && x.code !== 'CAPACITY_HEADROOM_LOW')) expect(name === 'healthy-baseline' || name.endsWith('-after') || name === 'capacity-week' ? `${f.code}@${f.scope}` : 'ok').toBe('ok');
      // A consequence carries no advice of its own.
      for (const f of result.findings.filter((x) => x.causedBy && !x.causedBy.startsWith('CONFIG_DRIFT'))) expect(f.recommendations).toEqual([]);
    });
  }
});

describe('scenario recommendations are computed from the replica and episode they are about', () => {
  it('kv-cache-thrashing: the pool is small because gpu_memory_utilization is 0.3 on a GPU with the memory free — raise it, and size max_num_seqs to the larger pool', async () => {
    const r = await analyze('kv-cache-thrashing');
    const thrash = r.findings.filter((x) => x.code === 'KV_CACHE_THRASHING');
    for (const f of thrash) {
      const e = f.evidence;
      expect(e.poolTokens).toBe(3407 * 16);
      expect(e.sequencesThatFit).toBe(Math.floor((0.9 * (e.poolTokens as number)) / (e.tokensPerSequence as number)));
    }
    // The log's 6.65 GiB of KV cache on an 80 GB H100 (DCGM: 24 468 MiB used + 57 091 MiB free):
    // (0.9 − 0.3) × 79.65 GiB = 47.79 GiB more, never less than 55.75 GiB free.
    const gmu = r.recommendations.find((x) => x.setting === 'gpu_memory_utilization')!;
    expect(gmu).toMatchObject({ role: 'primary', to: 0.9, current: { value: 0.3, source: 'cache_config_info' }, confidence: 'high' });
    const gpuGiB = (24_468 + 57_091) / 1024;
    const after = Math.floor((54_512 * (6.65 + 0.6 * gpuGiB)) / 6.65);
    expect(gmu.reason.numbers).toMatchObject({ kvCacheGiB: 6.65, freeMinGiB: 57_091 / 1024, poolAfterTokens: after });
    const seqs = r.recommendations.find((x) => x.setting === 'max_num_seqs' && x.role === 'primary')!;
    expect(seqs.current).toEqual({ value: 256, source: 'log' });
    expect(seqs.to).toBe(Math.min(...thrash.map((f) => Math.floor((0.9 * after) / (f.evidence.tokensPerSequence as number)))));
    expect(r.serveBlocks).toHaveLength(1);
    expect(r.serveBlocks[0]).toMatchObject({ fleet: true, flags: ['--gpu-memory-utilization 0.9', `--max-num-seqs ${seqs.to}`] });
    expect(r.recommendations.filter((x) => x.role === 'alternative').map((x) => x.setting).sort()).toEqual(['kv_cache_dtype', 'max_num_seqs']);
    // The fallback if the memory cannot be raised: max_num_seqs sized to the CURRENT pool.
    const fallback = r.recommendations.find((x) => x.setting === 'max_num_seqs' && x.role === 'alternative')!;
    expect(fallback.to).toBe(Math.min(...thrash.map((f) => f.evidence.sequencesThatFit as number)));
    expect(fallback.to).toBeLessThan(seqs.to as number);
  });

  it('fix-kv-pool-before: the fix the "after" run applied (gpu_memory_utilization 0.31 → 0.9) is the one recommended, and the "after" run is clean', async () => {
    const before = await analyze('fix-kv-pool-before');
    const t = truth('fix-kv-pool-before') as unknown as { pair: { change: { replica: string; setting: string; before: number; after: number }[] } };
    for (const c of t.pair.change.filter((x) => x.setting === 'gpu_memory_utilization')) {
      const rec = before.recommendations.find((x) => x.setting === c.setting && x.replicas.includes(c.replica) && x.role === 'primary');
      expect([c.replica, rec?.current.value, rec?.to]).toEqual([c.replica, c.before, c.after]);
    }
    // The pool the "after" run really had (truth) against the estimate from the log and DCGM: within 2 %.
    const real = (truth('fix-kv-pool-after') as unknown as { replicas: { processes: { kvPoolTokens: number }[] }[] }).replicas[0].processes[0].kvPoolTokens;
    const est = before.recommendations.find((x) => x.setting === 'gpu_memory_utilization')!.reason.numbers.poolAfterTokens as number;
    expect(Math.abs(est / real - 1)).toBeLessThan(0.02);
    expect((await analyze('fix-kv-pool-after')).findings.filter((f) => f.severity !== 'info')).toEqual([]);
  });

  it('prefill-starvation: the 16384 budget is halved to 8192 (TBT over target), never raised', async () => {
    const r = await analyze('prefill-starvation');
    const recs = r.recommendations.filter((x) => x.setting === 'max_num_batched_tokens');
    expect(recs.map((x) => [x.current.value, x.to, x.reason.kind])).toEqual([[16384, 8192, 'budget-lower']]);
  });

  it('underutilized-config: max_num_seqs raised from the running cap of 8 to what the pool holds, capped at 1024', async () => {
    const r = await analyze('underutilized-config');
    const rec = r.recommendations.find((x) => x.setting === 'max_num_seqs')!;
    expect(rec.current.value).toBe(8);
    expect(Number(rec.to)).toBeGreaterThan(8);
    expect(Number(rec.to)).toBeLessThanOrEqual(1024);
    expect(rec.to).toBe(rec.reason.numbers.result);
    expect(rec.reason.numbers.sequencesThatFit).toBe(Math.floor((0.9 * (rec.reason.numbers.poolTokens as number)) / (rec.reason.numbers.tokensPerSequence as number)));
  });

  it('underutilized-demand: demand-bound, nothing to paste', async () => {
    const r = await analyze('underutilized-demand');
    for (const f of r.findings) expect(f.evidence.kind).toBe('demand-bound');
    expect(r.recommendations).toEqual([]);
  });
});

interface TruthEpisode {
  replica: string;
  pathology: string;
  occurred: boolean;
  start: number;
  end: number;
  kvPoolTokens: number;
  incidentMix?: { tokensPerSequence: number; sequencesThatFit: number };
}

function truth(name: string): { episodes: TruthEpisode[] } {
  return JSON.parse(readFileSync(path.join(ROOT, 'datasets', name, 'truth.json'), 'utf8'));
}

describe('issue 9 datasets against the simulation\'s own ground truth (truth.json)', () => {
  /** Each true incident is found on its replica, as its code or a code it explains, starting within 5 minutes and ending within 10. */
  for (const name of ['mixed-config-thrash', 'long-prompt-burst', 'redeploy-regression', 'config-drift', 'fix-kv-pool-before', 'fix-max-num-seqs-before', 'capacity-week']) {
    it(`${name}: every true incident is found on its replica at the time it happened`, async () => {
      const r = await analyze(name);
      for (const t of truth(name).episodes.filter((e) => e.occurred)) {
        // A TTFT breach localised in time is what a starved prefill looks like when decodes slow too.
        const codes = t.pathology === 'PREFILL_STARVATION' ? ['PREFILL_STARVATION', 'QUEUE_BUILDUP', 'LATENCY_SLO_BREACH'] : [t.pathology];
        const eps = r.findings.filter((f) => codes.includes(f.code) && f.replicas.includes(t.replica)).flatMap((f) => f.episodes);
        const hit = eps.find((e) => Math.abs(e.startSeconds - t.start) <= 300 && Math.abs(e.endSeconds - t.end) <= 600);
        expect(hit, `${t.pathology} on ${t.replica} from ${t.start} to ${t.end}: got ${JSON.stringify(eps.map((e) => [e.startSeconds, e.endSeconds]))}`).toBeDefined();
      }
      // Nothing on a replica the truth calls healthy for that pathology.
      for (const code of ['KV_CACHE_THRASHING', 'PREFILL_STARVATION', 'GPU_UNDERUTILIZED']) {
        const trueReplicas = new Set(truth(name).episodes.filter((e) => e.pathology === code).map((e) => e.replica));
        for (const f of r.findings.filter((x) => x.code === code)) expect([code, f.replicas.every((x) => trueReplicas.has(x))]).toEqual([code, true]);
      }
    });
  }

  it('mixed-config-thrash: the drift leads and restores the peer\'s 0.9 on the small replica only; the alternative max_num_seqs is sized from ITS pool and the incident mix', async () => {
    const r = await analyze('mixed-config-thrash');
    expect(r.findings[0].code).toBe('CONFIG_DRIFT');
    expect(r.serveBlocks).toEqual([expect.objectContaining({ replicas: [A], fleet: false, flags: ['--gpu-memory-utilization 0.9'] })]);
    const t = truth('mixed-config-thrash').episodes.find((e) => e.pathology === 'KV_CACHE_THRASHING')!;
    const thrash = r.findings.find((f) => f.code === 'KV_CACHE_THRASHING')!;
    expect(thrash.evidence.poolTokens).toBe(t.kvPoolTokens);
    const seqs = r.recommendations.find((x) => x.setting === 'max_num_seqs')!;
    expect(seqs).toMatchObject({ role: 'alternative', replicas: [A], current: { value: 256 } });
    // 10% headroom under what the incident mix fits (truth: ⌊pool ÷ tokens per sequence⌋).
    expect(Number(seqs.to)).toBeLessThanOrEqual(t.incidentMix!.sequencesThatFit);
    expect(Number(seqs.to)).toBeGreaterThanOrEqual(Math.floor(0.8 * t.incidentMix!.sequencesThatFit));
    // Nothing for the healthy replica.
    expect(r.recommendations.filter((x) => x.replicas.includes(B))).toEqual([]);
  });

  it('redeploy-regression: the redeployed replica is the odd one; restore both settings it changed; thrashing only after the redeploy', async () => {
    const r = await analyze('redeploy-regression');
    const drift = r.findings.find((f) => f.code === 'CONFIG_DRIFT')!;
    expect(drift.replicas).toEqual([B]);
    expect(drift.evidence.changedInWindow).toBe(true);
    expect(r.serveBlocks).toEqual([expect.objectContaining({ replicas: [B], flags: ['--gpu-memory-utilization 0.9', '--max-num-seqs 256'] })]);
    const restart = r.findings.find((f) => f.code === 'REPLICA_RESTART')!.episodes[0].startSeconds;
    for (const e of r.findings.find((f) => f.code === 'KV_CACHE_THRASHING')!.episodes) expect(e.startSeconds).toBeGreaterThan(restart);
    // The pool after the redeploy, not before it.
    const t = truth('redeploy-regression').episodes[0];
    expect(r.findings.find((f) => f.code === 'KV_CACHE_THRASHING')!.evidence.poolTokens).toBe(t.kvPoolTokens);
  });

  it('long-prompt-burst: the 30-minute burst is found in a 2-hour window, and the trigger is the prompt load', async () => {
    const r = await analyze('long-prompt-burst');
    for (const f of r.findings.filter((x) => x.code === 'QUEUE_BUILDUP')) {
      expect(['promptTokensPerSecond', 'promptTokensMean', 'promptTokensP95']).toContain(f.context?.trigger?.quantity);
      expect(f.context!.trigger!.ratio).toBeGreaterThan(2);
    }
  });

  it('config-drift: max_num_seqs 16 is inferred (no log), named as drift, and restored to the peers\' 256', async () => {
    const r = await analyze('config-drift');
    const drift = r.findings.find((f) => f.code === 'CONFIG_DRIFT')!;
    const seqs = drift.episodes.find((e) => e.numbers.setting === 'max_num_seqs')!;
    expect(seqs.numbers).toMatchObject({ replica: '10.0.0.14:8000', value: '16', peersValue: '256', inferred: true });
    expect(r.serveBlocks).toEqual([expect.objectContaining({ replicas: ['10.0.0.14:8000'], flags: ['--max-num-seqs 256'] })]);
  });
});
