import { describe, expect, it } from 'vitest';
import { mergeRecommendations, serveFlags } from '../../src/recommend/merge.js';
import type { Recommendation } from '../../src/model/result.js';

const rec = (setting: string, to: number | string | boolean, finding: string, confidence: Recommendation['confidence'] = 'high'): Recommendation => ({
  setting,
  from: null,
  to,
  because: `${finding} wants ${String(to)}`,
  confidence,
  findings: [finding],
});

describe('mergeRecommendations policy', () => {
  it('max_num_seqs: the smaller value wins and names the overruled proposal', () => {
    const [m] = mergeRecommendations([rec('max_num_seqs', 358, 'GPU_UNDERUTILIZED'), rec('max_num_seqs', 96, 'KV_CACHE_THRASHING', 'medium')]);
    expect(m.to).toBe(96);
    expect(m.findings).toEqual(['GPU_UNDERUTILIZED', 'KV_CACHE_THRASHING']);
    expect(m.because).toContain('also proposed: 358 by GPU_UNDERUTILIZED');
    expect(m.confidence).toBe('medium');
  });
  it('gpu_memory_utilization: OOM_RISK makes the smaller value win', () => {
    const [m] = mergeRecommendations([rec('gpu_memory_utilization', 0.95, 'KV_CACHE_THRASHING'), rec('gpu_memory_utilization', 0.9, 'OOM_RISK')]);
    expect(m.to).toBe(0.9);
  });
  it('gpu_memory_utilization without OOM_RISK: the larger value wins', () => {
    const [m] = mergeRecommendations([rec('gpu_memory_utilization', 0.85, 'A'), rec('gpu_memory_utilization', 0.9, 'B')]);
    expect(m.to).toBe(0.9);
  });
  it('booleans: true wins', () => {
    const [m] = mergeRecommendations([rec('enable_chunked_prefill', false, 'A'), rec('enable_chunked_prefill', true, 'B')]);
    expect(m.to).toBe(true);
  });
  it('others: highest confidence wins', () => {
    const [m] = mergeRecommendations([rec('kv_cache_dtype', 'fp8_e5m2', 'A', 'low'), rec('kv_cache_dtype', 'fp8', 'B', 'medium')]);
    expect(m.to).toBe('fp8');
  });
  it('one value per setting, in a fixed order, rendered as vllm serve flags', () => {
    const merged = mergeRecommendations([rec('kv_cache_dtype', 'fp8', 'A'), rec('max_num_seqs', 64, 'A'), rec('enable_chunked_prefill', true, 'B'), rec('max_num_seqs', 80, 'B')]);
    expect(merged.map((r) => r.setting)).toEqual(['max_num_seqs', 'enable_chunked_prefill', 'kv_cache_dtype']);
    expect(serveFlags(merged)).toEqual(['--max-num-seqs 64', '--enable-chunked-prefill', '--kv-cache-dtype fp8']);
    expect(serveFlags([rec('enable_prefix_caching', false, 'X')])).toEqual(['--no-enable-prefix-caching']);
  });
});
