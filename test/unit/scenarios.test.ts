// Each simulator scenario under datasets/ must yield exactly its expected findings (codes and the
// replica they concern), whatever the wording. The expectations come from each dataset's README
// ("What a correct diagnosis says"); consequences that are true of the data (a queue behind KV
// thrashing, the latency breach it causes) are listed too.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const EXPECTED: Record<string, string[]> = {
  'healthy-baseline': [],
  'kv-cache-thrashing': ['KV_CACHE_THRASHING@fleet', 'LATENCY_SLO_BREACH@fleet', 'QUEUE_BUILDUP@fleet'],
  'prefill-starvation': ['LATENCY_SLO_BREACH@fleet', 'PREFILL_STARVATION@fleet', 'QUEUE_BUILDUP@fleet'],
  'underutilized-demand': ['GPU_UNDERUTILIZED@fleet'],
  'underutilized-config': ['GPU_UNDERUTILIZED@fleet', 'LATENCY_SLO_BREACH@fleet', 'QUEUE_BUILDUP@fleet'],
  'memory-leak': ['MEMORY_LEAK@10.0.0.11:8000'],
  'prefix-cache-misses': ['PREFIX_CACHE_MISSES@fleet'],
  'replica-restart': ['REPLICA_RESTART@10.0.0.12:8000'],
  'fleet-one-degraded': ['REPLICA_SLOWDOWN@10.0.0.12:8000'],
};

describe('scenario datasets yield their expected findings', () => {
  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(name, async () => {
      const artifacts = await ingest({ inputs: [path.relative(process.cwd(), path.join(root, 'datasets', name))] });
      const result = runAnalysis(artifacts, { name });
      const got = result.findings.map((f) => `${f.code}@${f.scope}`).sort();
      expect(got).toEqual([...expected].sort());
      if (name === 'healthy-baseline') expect(result.findings.filter((f) => f.severity !== 'info')).toEqual([]);
      if (name === 'underutilized-demand') expect(result.findings[0].evidence.kind).toBe('demand-bound');
      if (name === 'underutilized-config') {
        const f = result.findings.find((x) => x.code === 'GPU_UNDERUTILIZED')!;
        expect(f.evidence.kind).toBe('config-bound');
        expect(result.recommendations.map((r) => r.setting)).toContain('max_num_seqs');
      }
      if (name === 'kv-cache-thrashing') {
        const r = result.recommendations.find((x) => x.setting === 'max_num_seqs')!;
        const f = result.findings.find((x) => x.code === 'KV_CACHE_THRASHING')!;
        // to = floor(0.9 × KV tokens / tokens per request), from the finding's own evidence.
        expect(r.to).toBe(Math.floor((0.9 * (f.evidence.kvCapacityTokens as number)) / (f.evidence.tokensPerSequence as number)));
        expect(Number(r.to)).toBeLessThan(Number(r.from));
      }
    });
  }
});
