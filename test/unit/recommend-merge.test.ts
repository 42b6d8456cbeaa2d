// Reconciling recommendations (src/recommend/merge.ts): the written policy per replica and setting,
// one value per configuration group (harmonizeGroups), and `vllm serve` blocks — one per configuration
// group and flag set, a fleet-wide block only when every replica shares it.

import { describe, expect, it } from 'vitest';
import { FLAG_ORDER, harmonizeGroups, mergeRecommendations, serveBlocks, serveFlag } from '../../src/recommend/merge.js';
import type { Recommendation } from '../../src/model/result.js';
import { Recommendation as RecommendationSchema, ServeBlock as ServeBlockSchema } from '../../src/model/result.js';
import { TUNABLE_SETTINGS } from '../../src/model/vocabulary.js';

let n = 0;
function rec(setting: Recommendation['setting'], to: Recommendation['to'], finding: string, o: Partial<Recommendation> = {}): Recommendation {
  return RecommendationSchema.parse({
    id: `x${++n}`,
    setting,
    replicas: ['a:8000'],
    current: { value: null, source: 'unknown' },
    to,
    relation: 'set',
    reason: { kind: 'kv-fit', numbers: {} },
    confidence: 'high',
    findings: [finding],
    role: 'primary',
    ...o,
  });
}

const pick = (r: Recommendation) => [r.setting, r.replicas, r.to, r.role, r.confidence, r.findings, r.overruled ?? null];

describe('mergeRecommendations: one value per replica, setting and role', () => {
  it('max_num_seqs: the smallest value wins, names every finding, keeps the overruled one; confidence is the lowest that agrees', () => {
    const out = mergeRecommendations([rec('max_num_seqs', 358, 'GPU_UNDERUTILIZED@a'), rec('max_num_seqs', 96, 'KV_CACHE_THRASHING@a', { confidence: 'medium' }), rec('max_num_seqs', 96, 'KV_SWAPPING@a')]);
    expect(out.map(pick)).toEqual([['max_num_seqs', ['a:8000'], 96, 'primary', 'medium', ['GPU_UNDERUTILIZED@a', 'KV_CACHE_THRASHING@a', 'KV_SWAPPING@a'], [{ to: 358, findings: ['GPU_UNDERUTILIZED@a'] }]]]);
  });

  it('agreeing proposals of one reason keep what each adds (a profile\'s GEMM share joins the pool arithmetic); the chosen one\'s numbers win', () => {
    const pool = { kind: 'kv-fit-raise' as const, numbers: { capRequests: 32, poolTokens: 1000, result: 64 } };
    const [m] = mergeRecommendations([rec('max_num_seqs', 64, 'GPU_UNDERUTILIZED@a', { reason: pool }), rec('max_num_seqs', 64, 'GEMM_BOUND@rank 0', { reason: { kind: 'kv-fit-raise', numbers: { capRequests: 31, poolTokens: 999, result: 64, gemmShare: 0.77 } } })]);
    expect(m.reason).toEqual({ kind: 'kv-fit-raise', numbers: { capRequests: 32, poolTokens: 1000, result: 64, gemmShare: 0.77 } });
    // An overruled value, or another reason, adds nothing.
    const [o] = mergeRecommendations([rec('max_num_seqs', 64, 'A', { reason: pool }), rec('max_num_seqs', 128, 'B', { reason: { kind: 'kv-fit-raise', numbers: { gemmShare: 0.77 } } }), rec('max_num_seqs', 64, 'C', { reason: { kind: 'kv-fit', numbers: { other: 1 } } })]);
    expect(o.reason).toEqual(pool);
  });

  it('max_num_batched_tokens: the smallest value wins too (a latency limit binds; a throughput wish does not)', () => {
    expect(mergeRecommendations([rec('max_num_batched_tokens', 8192, 'A'), rec('max_num_batched_tokens', 4096, 'B')]).map((r) => r.to)).toEqual([4096]);
  });

  it('gpu_memory_utilization: the largest wins, unless a proposal lowers it for memory safety (then the smallest)', () => {
    expect(mergeRecommendations([rec('gpu_memory_utilization', 0.85, 'A'), rec('gpu_memory_utilization', 0.9, 'B')]).map((r) => r.to)).toEqual([0.9]);
    const safety = rec('gpu_memory_utilization', 0.88, 'OOM_RISK@a', { reason: { kind: 'memory-fraction-lower', numbers: {} } });
    expect(mergeRecommendations([rec('gpu_memory_utilization', 0.9, 'KV_CACHE_THRASHING@a'), safety]).map((r) => r.to)).toEqual([0.88]);
  });

  it('booleans: the value most proposals ask for; true on a tie', () => {
    expect(mergeRecommendations([rec('enable_chunked_prefill', false, 'A'), rec('enable_chunked_prefill', true, 'B')]).map((r) => r.to)).toEqual([true]);
    expect(mergeRecommendations([rec('enforce_eager', false, 'A'), rec('enforce_eager', false, 'B'), rec('enforce_eager', true, 'C')]).map((r) => r.to)).toEqual([false]);
  });

  it('anything else: the highest confidence, ties to the first', () => {
    expect(mergeRecommendations([rec('kv_cache_dtype', 'fp8_e5m2', 'A', { confidence: 'low' }), rec('kv_cache_dtype', 'fp8', 'B', { confidence: 'medium' })]).map((r) => r.to)).toEqual(['fp8']);
    expect(mergeRecommendations([rec('kv_cache_dtype', 'fp8_e4m3', 'A'), rec('kv_cache_dtype', 'fp8', 'B')]).map((r) => r.to)).toEqual(['fp8_e4m3']);
  });

  it('per replica: the same setting on two replicas stays two recommendations, each with its own value', () => {
    const out = mergeRecommendations([rec('max_num_seqs', 12, 'T@b', { replicas: ['b:8000'] }), rec('max_num_seqs', 96, 'T@a')]);
    expect(out.map((r) => [r.replicas, r.to])).toEqual([
      [['a:8000'], 96],
      [['b:8000'], 12],
    ]);
  });

  it('an alternative that repeats a primary setting on the same replica is dropped; others are kept after the primaries', () => {
    const out = mergeRecommendations([
      rec('gpu_memory_utilization', 0.9, 'CONFIG_DRIFT@a', { reason: { kind: 'restore-peers', numbers: {} } }),
      rec('gpu_memory_utilization', 0.9, 'KV_CACHE_THRASHING@a', { role: 'alternative', reason: { kind: 'memory-fraction-raise', numbers: {} } }),
      rec('max_num_seqs', 12, 'KV_CACHE_THRASHING@a', { role: 'alternative' }),
      rec('kv_cache_dtype', 'fp8', 'KV_CACHE_THRASHING@a', { role: 'alternative', confidence: 'medium' }),
    ]);
    expect(out.map((r) => [r.setting, r.role, r.reason.kind])).toEqual([
      ['gpu_memory_utilization', 'primary', 'restore-peers'],
      ['max_num_seqs', 'alternative', 'kv-fit'],
      ['kv_cache_dtype', 'alternative', 'kv-fit'],
    ]);
  });

  it('order: by replica, then the flag order of a serve block, primary before alternative', () => {
    const out = mergeRecommendations([rec('kv_cache_dtype', 'fp8', 'A'), rec('max_num_seqs', 64, 'A'), rec('enable_chunked_prefill', true, 'B'), rec('gpu_memory_utilization', 0.9, 'C')]);
    expect(out.map((r) => r.setting)).toEqual(['gpu_memory_utilization', 'max_num_seqs', 'enable_chunked_prefill', 'kv_cache_dtype']);
    expect([...FLAG_ORDER].sort()).toEqual([...TUNABLE_SETTINGS].sort());
  });
});

describe('harmonizeGroups: one value per configuration group', () => {
  const group = (g: Record<string, string>) => (r: string) => g[r] ?? '–';

  it('replicas of one group needing one setting for one reason get the binding value; the others are kept as overruled', () => {
    const out = harmonizeGroups(
      [rec('max_num_seqs', 30, 'T@b', { replicas: ['b:8000'], confidence: 'medium' }), rec('max_num_seqs', 28, 'T@a', { replicas: ['a:8000'] }), rec('max_num_seqs', 28, 'T@c', { replicas: ['c:8000'] })],
      group({ 'a:8000': 'A', 'b:8000': 'A', 'c:8000': 'A' }),
    );
    expect(out.map(pick)).toEqual([['max_num_seqs', ['a:8000', 'b:8000', 'c:8000'], 28, 'primary', 'medium', ['T@b', 'T@a', 'T@c'], [{ to: 30, findings: ['T@b'] }]]]);
  });

  it('another group, another reason or another relation is not harmonized', () => {
    const recs = [
      rec('max_num_seqs', 28, 'T@a', { replicas: ['a:8000'] }),
      rec('max_num_seqs', 12, 'T@b', { replicas: ['b:8000'] }),
      rec('max_num_seqs', 40, 'G@c', { replicas: ['c:8000'], reason: { kind: 'kv-fit-raise', numbers: {} } }),
      rec('max_num_seqs', 20, 'T@d', { replicas: ['d:8000'], relation: 'at-most' }),
    ];
    const out = harmonizeGroups(recs, group({ 'a:8000': 'A', 'b:8000': 'B', 'c:8000': 'A', 'd:8000': 'A' }));
    expect(out.map((r) => [r.replicas, r.to])).toEqual([
      [['a:8000'], 28],
      [['b:8000'], 12],
      [['c:8000'], 40],
      [['d:8000'], 20],
    ]);
  });
});

describe('serveBlocks: one block per configuration group and flag set', () => {
  const all = ['a:8000', 'b:8000', 'c:8000'];

  it('a fleet-wide block only when every replica shares the flags', () => {
    const recs = [rec('max_num_seqs', 28, 'T', { id: 'R1', replicas: all })];
    const blocks = serveBlocks(recs, all, () => 'A');
    expect(blocks).toEqual([{ replicas: all, fleet: true, groups: ['A'], flags: ['--max-num-seqs 28'], recommendations: ['R1'], conditional: false }]);
    for (const b of blocks) expect(ServeBlockSchema.parse(b)).toEqual(b);
    // Two of three replicas: not the fleet's.
    expect(serveBlocks([rec('max_num_seqs', 28, 'T', { id: 'R1', replicas: ['a:8000', 'b:8000'] })], all, () => 'A')[0].fleet).toBe(false);
  });

  it('one misconfigured replica gets its own block; alternatives are never in a block', () => {
    const recs = [
      rec('gpu_memory_utilization', 0.9, 'CONFIG_DRIFT@b', { id: 'R1', replicas: ['b:8000'], reason: { kind: 'restore-peers', numbers: {} } }),
      rec('max_num_seqs', 12, 'T@b', { id: 'R2', replicas: ['b:8000'], role: 'alternative' }),
    ];
    expect(serveBlocks(recs, all, (r) => (r === 'b:8000' ? 'B' : 'A'))).toEqual([{ replicas: ['b:8000'], fleet: false, groups: ['B'], flags: ['--gpu-memory-utilization 0.9'], recommendations: ['R1'], conditional: false }]);
  });

  it('replicas with the same flags but different configuration groups get one block per group; flags in FLAG_ORDER', () => {
    const recs = [
      rec('kv_cache_dtype', 'fp8', 'X', { id: 'R1', replicas: ['a:8000'] }),
      rec('max_num_seqs', 28, 'X', { id: 'R2', replicas: ['a:8000'] }),
      rec('kv_cache_dtype', 'fp8', 'X', { id: 'R3', replicas: ['b:8000'] }),
      rec('max_num_seqs', 28, 'X', { id: 'R4', replicas: ['b:8000'] }),
      rec('kv_cache_dtype', 'fp8', 'X', { id: 'R5', replicas: ['c:8000'] }),
      rec('max_num_seqs', 28, 'X', { id: 'R6', replicas: ['c:8000'] }),
    ];
    const blocks = serveBlocks(recs, all, (r) => (r === 'c:8000' ? 'B' : 'A'));
    expect(blocks.map((b) => [b.replicas, b.groups, b.flags, b.recommendations, b.fleet])).toEqual([
      [['a:8000', 'b:8000'], ['A'], ['--max-num-seqs 28', '--kv-cache-dtype fp8'], ['R2', 'R1', 'R4', 'R3'], false],
      [['c:8000'], ['B'], ['--max-num-seqs 28', '--kv-cache-dtype fp8'], ['R6', 'R5'], false],
    ]);
  });

  it('replicas of one group with different flags get different blocks', () => {
    const blocks = serveBlocks([rec('max_num_seqs', 28, 'X', { id: 'R1', replicas: ['a:8000'] }), rec('max_num_seqs', 12, 'X', { id: 'R2', replicas: ['b:8000'] })], all, () => 'A');
    expect(blocks.map((b) => [b.replicas, b.flags])).toEqual([
      [['a:8000'], ['--max-num-seqs 28']],
      [['b:8000'], ['--max-num-seqs 12']],
    ]);
  });

  it('a block is conditional when a value holds only if the current one is above / below it', () => {
    const blocks = serveBlocks([rec('max_num_batched_tokens', 4096, 'X', { id: 'R1', replicas: all, relation: 'at-most' })], all, () => 'A');
    expect(blocks[0]).toMatchObject({ conditional: true, fleet: true, flags: ['--max-num-batched-tokens 4096'] });
  });
});

describe('serveFlag', () => {
  it('numbers and strings as --flag value; booleans as --flag / --no-flag (vLLM\'s CLI)', () => {
    expect(serveFlag({ setting: 'max_num_seqs', to: 64 })).toBe('--max-num-seqs 64');
    expect(serveFlag({ setting: 'kv_cache_dtype', to: 'fp8' })).toBe('--kv-cache-dtype fp8');
    expect(serveFlag({ setting: 'enable_chunked_prefill', to: true })).toBe('--enable-chunked-prefill');
    expect(serveFlag({ setting: 'enable_prefix_caching', to: false })).toBe('--no-enable-prefix-caching');
    expect(serveFlag({ setting: 'gpu_memory_utilization', to: 0.9 })).toBe('--gpu-memory-utilization 0.9');
  });
});
