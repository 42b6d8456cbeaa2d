import { describe, expect, it } from 'vitest';
import { SampleSink } from '../../src/ingest/sink.js';

describe('SampleSink', () => {
  it('merges one histogram bucket written as le="1", "1.0" and "1e0" by different inputs', () => {
    const sink = new SampleSink();
    sink.beginFile('a.json');
    sink.add('vllm:time_to_first_token_seconds_bucket', { le: '1.0', instance: 'x' }, 10, 5);
    sink.beginFile('b.prom');
    sink.add('vllm:time_to_first_token_seconds_bucket', { le: '1', instance: 'x' }, 20, 7);
    sink.add('vllm:time_to_first_token_seconds_bucket', { le: '1e0', instance: 'x' }, 30, 9);
    sink.add('vllm:time_to_first_token_seconds_bucket', { le: '+Inf', instance: 'x' }, 30, 9);
    const { series } = sink.finish();
    const b1 = series.filter((s) => s.labels.le === '1');
    expect(b1).toHaveLength(1);
    expect([...b1[0].t]).toEqual([10, 20, 30]);
    expect([...b1[0].v]).toEqual([5, 7, 9]);
    expect(series.filter((s) => s.labels.le === '+Inf')).toHaveLength(1);
  });

  it('shares one timestamp array between series scraped together, and not between different ones', () => {
    const sink = new SampleSink();
    sink.beginFile('a');
    for (const t of [0, 10, 20]) {
      sink.add('vllm:num_requests_running', { instance: 'x' }, t, 1);
      sink.add('vllm:num_requests_waiting', { instance: 'x' }, t, 2);
    }
    sink.add('vllm:kv_cache_usage_perc', { instance: 'x' }, 0, 0.5);
    sink.add('vllm:kv_cache_usage_perc', { instance: 'x' }, 15, 0.5);
    sink.add('vllm:kv_cache_usage_perc', { instance: 'x' }, 20, 0.5);
    const { series } = sink.finish();
    const by = (n: string) => series.find((s) => s.name === n)!;
    expect(by('vllm:num_requests_running').t).toBe(by('vllm:num_requests_waiting').t);
    expect(by('vllm:kv_cache_usage_perc').t).not.toBe(by('vllm:num_requests_running').t);
    expect([...by('vllm:kv_cache_usage_perc').t]).toEqual([0, 15, 20]);
  });
});

describe('SampleSink: renamed metrics', () => {
  it('says the input mixes versions only when the new name is also present', () => {
    const only = new SampleSink();
    only.beginFile('old.prom');
    only.add('vllm:gpu_cache_usage_perc', { instance: 'x' }, 0, 0.5);
    const w1 = only.finish().warnings.find((w) => w.code === 'RENAMED_METRIC')!;
    expect(w1.message).toBe('vllm:gpu_cache_usage_perc read as vllm:kv_cache_usage_perc (older vLLM name)');

    const mixed = new SampleSink();
    mixed.beginFile('a.prom');
    mixed.add('vllm:time_per_output_token_seconds_bucket', { instance: 'x', le: '0.01' }, 0, 1);
    mixed.add('vllm:inter_token_latency_seconds_bucket', { instance: 'y', le: '0.01' }, 0, 1);
    const w2 = mixed.finish().warnings.find((w) => w.code === 'RENAMED_METRIC')!;
    expect(w2.message).toContain('the input mixes vLLM versions');
  });

  it('keeps a series exact when it leaves a shared timestamp column (copy on write)', () => {
    const sink = new SampleSink();
    sink.beginFile('a');
    for (const t of [0, 10, 20, 30]) sink.add('vllm:num_requests_running', { i: 'a' }, t, t);
    for (const t of [0, 10, 25, 30]) sink.add('vllm:num_requests_running', { i: 'b' }, t, t + 1);
    const { series } = sink.finish();
    expect([...series[0].t]).toEqual([0, 10, 20, 30]);
    expect([...series[1].t]).toEqual([0, 10, 25, 30]);
    expect([...series[1].v]).toEqual([1, 11, 26, 31]);
  });
});
