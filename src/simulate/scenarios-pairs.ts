// Misconfiguration-and-fix pairs of the scenario table (scenarios.ts): the same requests, two datasets.

import { chat, fleet, rag, type Scenario, type ScenarioParams } from './scenario-kit.js';

/** A misconfiguration and its fix on the very same requests (same seed, same streams): two datasets. */
export function pairScenarios(): Scenario[] {
  const kv = (gpuMemoryUtilization: number) => (p: ScenarioParams) =>
    fleet(p.replicas, () => ({ gpuMemoryUtilization, maxModelLen: 16384, streams: [chat(3), rag(2.2)] }));
  const seqs = (maxNumSeqs: number) => (p: ScenarioParams) => fleet(p.replicas, () => ({ maxNumSeqs, streams: [chat(3.7)] }));
  const kvStory =
    'Two replicas of Llama-3.1-8B-Instruct on H100 serve chat plus retrieval-augmented requests (≈ 3,000-token prompts) for an hour. ';
  const seqsStory = 'Two replicas of Llama-3.1-8B-Instruct on H100 serve about 3.7 chat requests/s each for an hour. ';
  return [
    {
      name: 'fix-kv-pool-before',
      summary: 'Before/after pair, before: gpu_memory_utilization 0.31 under a long-prompt mix — KV thrashing on both replicas',
      defaultHours: 1,
      defaultReplicas: 2,
      story: `${kvStory}Both run gpu_memory_utilization 0.31: a 61k-token pool for a mix that needs more; they preempt and recompute all hour, the queue grows and TTFT climbs to tens of seconds. fix-kv-pool-after is the same hour, the same requests, with 0.9.`,
      diagnosis: '- KV_CACHE_THRASHING on both replicas (the fleet), with queue build-up and TTFT breach as consequences.\n- Compared with fix-kv-pool-after: preemptions and the queue vanish, TTFT p95 drops by two orders of magnitude.',
      expectedWarnings: [],
      build: kv(0.31),
      incidents: (specs, opts) =>
        specs.map((_, i) => ({ replica: i, pathology: 'KV_CACHE_THRASHING', mechanism: 'a 61k-token pool holds fewer long-prompt sequences than max_num_seqs 256 admits', causes: [{ start: 0, end: opts.durationSeconds }], signal: 'preemptions' as const })),
      pair: { name: 'fix-kv-pool', role: 'before', peer: 'fix-kv-pool-after' },
    },
    {
      name: 'fix-kv-pool-after',
      summary: 'Before/after pair, after: the same hour and requests with gpu_memory_utilization 0.9 — no preemption',
      defaultHours: 1,
      defaultReplicas: 2,
      story: `${kvStory}Both run gpu_memory_utilization 0.9 (a 446k-token pool): no preemption, no queue. fix-kv-pool-before is the same hour, the same requests, with 0.31.`,
      diagnosis: '- No preemption, no queue; end-to-end p95 near the chat profile\'s 10 s target (RAG answers are long).\n- Compared with fix-kv-pool-before: the fix worked — preemptions gone, TTFT p95 down by two orders of magnitude, throughput the same (same requests).',
      expectedWarnings: [],
      build: kv(0.9),
      pair: { name: 'fix-kv-pool', role: 'after', peer: 'fix-kv-pool-before' },
    },
    {
      name: 'fix-max-num-seqs-before',
      summary: 'Before/after pair, before: max_num_seqs 8 — running pinned at 8, a queue, TTFT dominated by waiting',
      defaultHours: 1,
      defaultReplicas: 2,
      story: `${seqsStory}Both run max_num_seqs 8: running is pinned at 8, a queue forms and TTFT is mostly waiting while the GPU has room. fix-max-num-seqs-after is the same hour, the same requests, with max_num_seqs 64.`,
      diagnosis: '- GPU_UNDERUTILIZED (config-bound) on the fleet, with QUEUE_BUILDUP and a TTFT breach.\n- Compared with fix-max-num-seqs-after: the queue vanishes, TTFT p95 drops to a prefill.',
      expectedWarnings: [],
      build: seqs(8),
      incidents: (specs, opts) =>
        specs.map((_, i) => ({ replica: i, pathology: 'GPU_UNDERUTILIZED', mechanism: 'max_num_seqs 8 caps the batch: requests queue behind a full running set while the GPU has room', causes: [{ start: 0, end: opts.durationSeconds }], signal: 'queue' as const, min: 5 })),
      pair: { name: 'fix-max-num-seqs', role: 'before', peer: 'fix-max-num-seqs-after' },
    },
    {
      name: 'fix-max-num-seqs-after',
      summary: 'Before/after pair, after: the same hour and requests with max_num_seqs 64 — no queue',
      defaultHours: 1,
      defaultReplicas: 2,
      story: `${seqsStory}Both run max_num_seqs 64: batches grow with the load, nothing waits. fix-max-num-seqs-before is the same hour, the same requests, with max_num_seqs 8.`,
      diagnosis: '- No finding above info.\n- Compared with fix-max-num-seqs-before: the fix worked — queue gone, TTFT p95 from seconds to tens of milliseconds; inter-token latency a little higher (bigger batches), throughput the same.',
      expectedWarnings: [],
      build: seqs(64),
      pair: { name: 'fix-max-num-seqs', role: 'after', peer: 'fix-max-num-seqs-before' },
    },
  ];
}
