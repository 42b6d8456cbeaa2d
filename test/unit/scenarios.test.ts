// Each simulator scenario under datasets/ must yield exactly its expected findings — code, the replica
// it concerns, and the cause it is shown under — whatever the wording. The expectations come from each
// dataset's README ("What a correct diagnosis says"); consequences that are true of the data (a queue
// behind KV thrashing, the latency breach it causes) are listed under their cause.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import type { Result } from '../../src/model/result.js';
import { ROOT } from '../support/paths.js';

const A = '10.0.0.11:8000';
const B = '10.0.0.12:8000';

export const EXPECTED: Record<string, string[]> = {
  'healthy-baseline': [],
  'kv-cache-thrashing': [`KV_CACHE_THRASHING@${A}`, `KV_CACHE_THRASHING@${B}`, `QUEUE_BUILDUP@${A}<KV_CACHE_THRASHING`, `QUEUE_BUILDUP@${B}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${A}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${B}<KV_CACHE_THRASHING`],
  'prefill-starvation': [`PREFILL_STARVATION@${A}`, `PREFILL_STARVATION@${B}`, `QUEUE_BUILDUP@${A}<PREFILL_STARVATION`, `QUEUE_BUILDUP@${B}<PREFILL_STARVATION`, `LATENCY_SLO_BREACH@${A}<PREFILL_STARVATION`, `LATENCY_SLO_BREACH@${B}<PREFILL_STARVATION`, `THROUGHPUT_DROP@${A}<PREFILL_STARVATION`],
  'underutilized-demand': [`GPU_UNDERUTILIZED@${A}`, `GPU_UNDERUTILIZED@${B}`],
  'underutilized-config': [`GPU_UNDERUTILIZED@${A}`, `GPU_UNDERUTILIZED@${B}`, `QUEUE_BUILDUP@${A}<GPU_UNDERUTILIZED`, `QUEUE_BUILDUP@${B}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${A}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${B}<GPU_UNDERUTILIZED`],
  'memory-leak': [`MEMORY_LEAK@${A}`],
  'prefix-cache-misses': [`PREFIX_CACHE_MISSES@${A}`, `PREFIX_CACHE_MISSES@${B}`],
  'replica-restart': [`REPLICA_RESTART@${B}`],
  'fleet-one-degraded': [`REPLICA_SLOWDOWN@${B}`],
};

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
      // A consequence carries no advice of its own.
      for (const f of result.findings.filter((x) => x.causedBy && !x.causedBy.startsWith('CONFIG_DRIFT'))) expect(f.recommendations).toEqual([]);
    });
  }
});

describe('scenario recommendations are computed from the replica and episode they are about', () => {
  it('kv-cache-thrashing: max_num_seqs = ⌊0.9 × that replica\'s pool ÷ the episode\'s tokens per sequence⌋, one block for both replicas', async () => {
    const r = await analyze('kv-cache-thrashing');
    for (const f of r.findings.filter((x) => x.code === 'KV_CACHE_THRASHING')) {
      const e = f.evidence;
      expect(e.poolTokens).toBe(3407 * 16);
      expect(e.sequencesThatFit).toBe(Math.floor((0.9 * (e.poolTokens as number)) / (e.tokensPerSequence as number)));
    }
    const rec = r.recommendations.find((x) => x.setting === 'max_num_seqs' && x.role === 'primary')!;
    expect(rec.current).toEqual({ value: 256, source: 'log' });
    expect(rec.relation).toBe('set');
    const fits = r.findings.filter((x) => x.code === 'KV_CACHE_THRASHING').map((f) => f.evidence.sequencesThatFit as number);
    expect(rec.to).toBe(Math.min(...fits));
    expect(r.serveBlocks).toHaveLength(1);
    expect(r.serveBlocks[0]).toMatchObject({ fleet: true, flags: [`--max-num-seqs ${rec.to}`] });
    // gpu_memory_utilization and fp8 are alternatives, not in the block.
    expect(r.recommendations.filter((x) => x.role === 'alternative').map((x) => x.setting).sort()).toEqual(['gpu_memory_utilization', 'kv_cache_dtype']);
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
