import { describe, expect, it } from 'vitest';
import { SampleSink, SeriesAccumulator, TimePool } from '../../src/ingest/sink.js';
import { resolveMetricName } from '../../src/model/metric-catalog.js';

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

describe('SeriesAccumulator: compact values, growth in blocks, batches against a shared time column', () => {
  const acc = (pool?: TimePool) => new SeriesAccumulator('g', resolveMetricName('g'), {}, 4, pool);

  it('keeps integer series as Int32Array and anything else as Float64Array, values unchanged', () => {
    const cases: [number[], 'Int32Array' | 'Float64Array'][] = [
      [[0, 1, 2, 2147483647, -2147483648], 'Int32Array'],
      [[0, 1, 2147483648], 'Float64Array'],
      [[1, 2, 0.5], 'Float64Array'],
      [[1, -0, 2], 'Float64Array'],
      [[3, 1e21], 'Float64Array'],
    ];
    for (const [vals, kind] of cases) {
      for (const batch of [false, true]) {
        const a = acc();
        const t = Float64Array.from(vals, (_, i) => i);
        if (batch) a.pushMany(t, Float64Array.from(vals), vals.length);
        else vals.forEach((x, i) => a.push(i, x));
        const { v } = a.take();
        expect(v.constructor.name, `${vals} batch=${batch}`).toBe(kind);
        expect(Array.from(v).map((x) => Object.is(x, -0) ? '-0' : x)).toEqual(vals.map((x) => Object.is(x, -0) ? '-0' : x));
      }
    }
  });

  it('grows by blocks over many pushes: a float in a later block leaves earlier int blocks int until joined', () => {
    const a = acc();
    const want: number[] = [];
    for (let i = 0; i < 5000; i++) {
      const x = i === 4321 ? 0.25 : i * 3;
      a.push(i, x);
      want.push(x);
    }
    const { t, v } = a.take();
    expect(v).toBeInstanceOf(Float64Array);
    expect(Array.from(v)).toEqual(want);
    expect(t[4999]).toBe(4999);
    const b = acc();
    for (let i = 0; i < 5000; i++) b.push(i, i);
    expect(b.take().v).toBeInstanceOf(Int32Array);
    expect(Array.from(b.take().v)).toEqual(Array.from({ length: 5000 }, (_, i) => i));
  });

  it('a batch equal to the shared column is compared, not copied; a differing one copies on write', () => {
    const pool = new TimePool();
    const lead = acc(pool);
    const same = acc(pool);
    const diff = acc(pool);
    const t = Float64Array.from([0, 10, 20, 30]);
    lead.pushMany(t, Float64Array.from([1, 2, 3, 4]), 4);
    same.pushMany(t, Float64Array.from([5, 6, 7, 8]), 4);
    diff.pushMany(Float64Array.from([0, 10, 25, 30]), Float64Array.from([9, 9, 9, 9]), 4);
    expect(same.take().t.buffer).toBe(lead.take().t.buffer);
    expect(diff.take().t.buffer).not.toBe(lead.take().t.buffer);
    expect(Array.from(diff.take().t)).toEqual([0, 10, 25, 30]);
    expect(Array.from(lead.take().t)).toEqual([0, 10, 20, 30]);
    // a follower longer than the leader extends the column; the leader's view stays its own length
    same.pushMany(Float64Array.from([40, 50]), Float64Array.from([1, 1]), 2);
    expect(Array.from(same.take().t)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(Array.from(lead.take().t)).toEqual([0, 10, 20, 30]);
    expect(Array.from(same.take().v)).toEqual([5, 6, 7, 8, 1, 1]);
  });
});
