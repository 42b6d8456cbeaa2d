// The configuration timeline on the bundled datasets: per-replica values with their sources,
// segments at restarts, and inferred values marked as inferred (with how) when no input states them.

import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { AnalysisView } from '../../src/derive/view.js';
import { ROOT } from '../support/paths.js';

async function view(...inputs: string[]): Promise<AnalysisView> {
  const a = await ingest({ inputs: inputs.map((i) => path.join(ROOT, 'datasets', i)) });
  return new AnalysisView(a.metrics, a.config);
}

describe('configuration timeline', () => {
  it('reads each replica from its own cache_config_info and ties the log to the replicas it agrees with', async () => {
    const v = await view('kv-cache-thrashing');
    expect(v.timeline.replicas.map((r) => r.replica)).toEqual(['10.0.0.11:8000', '10.0.0.12:8000']);
    for (const r of v.timeline.replicas) {
      expect(r.segments).toHaveLength(1);
      const s = r.segments[0];
      expect(s.values.num_gpu_blocks).toMatchObject({ value: 3407, source: 'cache_config_info' });
      expect(s.values.gpu_memory_utilization).toMatchObject({ value: 0.3, source: 'cache_config_info' });
      expect(s.values.max_num_seqs).toMatchObject({ value: 256, source: 'log' });
    }
    expect(v.timeline.groups).toHaveLength(1);
    expect(v.timeline.unattributed).toEqual([]);
  });

  it('a restart (process_start_time_seconds changes) starts a new segment at the new process start', async () => {
    const v = await view('replica-restart');
    const r2 = v.timeline.replicas.find((r) => r.replica === '10.0.0.12:8000')!;
    expect(r2.segments).toHaveLength(2);
    expect(r2.segments[0].processStartSeconds).not.toBe(r2.segments[1].processStartSeconds);
    expect(r2.segments[1].startSeconds).toBe(r2.segments[1].processStartSeconds);
    // Same settings after the restart: one configuration group.
    expect(new Set(r2.segments.map((s) => s.group)).size).toBe(1);
  });

  it('without a log, max_num_seqs is inferred from the running plateau; max_num_batched_tokens is not inferred on a V1 engine', async () => {
    const v = await view('underutilized-config/metrics.json.gz');
    const s = v.timeline.replicas[0].segments[0];
    // The log (not given here) says max_num_seqs 8; the plateau finds it.
    expect(s.values.max_num_seqs).toMatchObject({ value: 8, source: 'inferred', inference: { method: 'running-plateau', value: 8 } });
    // V1 counts a whole prompt in the step its prefill completes: iteration tokens do not bound the budget,
    // and without the log the engine version is unknown too.
    expect(s.values.max_num_batched_tokens).toBeUndefined();
    // Inferred values are never read values.
    expect(v.readNum('10.0.0.11:8000', 'max_num_seqs')).toBeUndefined();
    expect(v.readNum('10.0.0.11:8000', 'num_gpu_blocks')).toBe(27875);
  });
});
