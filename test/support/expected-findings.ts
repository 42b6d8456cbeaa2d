// The findings each simulator dataset under datasets/ must yield at its own seed — code, the replica it
// concerns, and the cause it is shown under — from each dataset's README ("What a correct diagnosis
// says"). Checked by test/unit/scenarios.test.ts; bench/sweep.ts reads the same table for its other
// seeds, intervals and fleet sizes (by replica index). No test-runner imports: both load it.

const A = '10.0.0.11:8000';
const B = '10.0.0.12:8000';

export const EXPECTED: Record<string, string[]> = {
  'healthy-baseline': [],
  'kv-cache-thrashing': [`KV_CACHE_THRASHING@${A}`, `KV_CACHE_THRASHING@${B}`, `QUEUE_BUILDUP@${A}<KV_CACHE_THRASHING`, `QUEUE_BUILDUP@${B}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${A}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${B}<KV_CACHE_THRASHING`],
  'prefill-starvation': [`PREFILL_STARVATION@${A}`, `PREFILL_STARVATION@${B}`, `QUEUE_BUILDUP@${A}<PREFILL_STARVATION`, `QUEUE_BUILDUP@${B}<PREFILL_STARVATION`, `LATENCY_SLO_BREACH@${A}<PREFILL_STARVATION`, `LATENCY_SLO_BREACH@${B}<PREFILL_STARVATION`],
  'underutilized-demand': [`GPU_UNDERUTILIZED@${A}`, `GPU_UNDERUTILIZED@${B}`],
  'underutilized-config': [`GPU_UNDERUTILIZED@${A}`, `GPU_UNDERUTILIZED@${B}`, `QUEUE_BUILDUP@${A}<GPU_UNDERUTILIZED`, `QUEUE_BUILDUP@${B}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${A}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${B}<GPU_UNDERUTILIZED`],
  'memory-leak': [`MEMORY_LEAK@${A}`],
  'prefix-cache-misses': [`PREFIX_CACHE_MISSES@${A}`, `PREFIX_CACHE_MISSES@${B}`],
  'replica-restart': [`REPLICA_RESTART@${B}`],
  'fleet-one-degraded': [`REPLICA_SLOWDOWN@${B}`],
  // Issue 9's cases (datasets with a truth.json written by the simulator).
  'mixed-config-thrash': [`CONFIG_DRIFT@${A}, ${B}`, `KV_CACHE_THRASHING@${A}<CONFIG_DRIFT`, `QUEUE_BUILDUP@${A}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${A}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${B}`],
  'long-prompt-burst': [`QUEUE_BUILDUP@${A}`, `QUEUE_BUILDUP@${B}`, `LATENCY_SLO_BREACH@${A}<QUEUE_BUILDUP`, `LATENCY_SLO_BREACH@${B}<QUEUE_BUILDUP`],
  'redeploy-regression': [`CONFIG_DRIFT@${B}`, `KV_CACHE_THRASHING@${B}<CONFIG_DRIFT`, `QUEUE_BUILDUP@${B}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${B}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${B}`, `LATENCY_SLO_BREACH@${A}`, `REPLICA_RESTART@${B}`],
  'config-drift': ['CONFIG_DRIFT@10.0.0.12:8000, 10.0.0.13:8000, 10.0.0.14:8000', 'GPU_UNDERUTILIZED@10.0.0.14:8000<CONFIG_DRIFT', 'QUEUE_BUILDUP@10.0.0.14:8000<GPU_UNDERUTILIZED', 'LATENCY_SLO_BREACH@10.0.0.14:8000<GPU_UNDERUTILIZED'],
  // Issue 14's datasets: a week with growth (the capacity review raises CAPACITY_HEADROOM_LOW: saturation
  // projected about 18 days after the window, inside the 28-day horizon), and two before/after pairs.
  'capacity-week': ['CAPACITY_HEADROOM_LOW@group A', `LATENCY_SLO_BREACH@${A}`, `LATENCY_SLO_BREACH@${B}`],
  'fix-kv-pool-before': [`KV_CACHE_THRASHING@${A}`, `KV_CACHE_THRASHING@${B}`, `QUEUE_BUILDUP@${A}<KV_CACHE_THRASHING`, `QUEUE_BUILDUP@${B}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${A}<KV_CACHE_THRASHING`, `LATENCY_SLO_BREACH@${B}<KV_CACHE_THRASHING`],
  // End-to-end latency only (long retrieval answers; TTFT and time between tokens meet their targets).
  'fix-kv-pool-after': [`LATENCY_SLO_BREACH@${A}`, `LATENCY_SLO_BREACH@${B}`],
  'fix-max-num-seqs-before': [`GPU_UNDERUTILIZED@${A}`, `GPU_UNDERUTILIZED@${B}`, `QUEUE_BUILDUP@${A}<GPU_UNDERUTILIZED`, `QUEUE_BUILDUP@${B}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${A}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${B}<GPU_UNDERUTILIZED`],
  'fix-max-num-seqs-after': [],
  // Issue 15 §2: quality signals (a client release lowers max_tokens on B; a longer system prompt on A).
  'quality-regression': [`TRUNCATION_RISE@${B}`, `LENGTH_DRIFT@${A}`],
  // Issue 12 §4: a real MI300X decode trace with metrics generated to match; the profile finding joins A's running cap.
  'gemm-bound-capped': [`GPU_UNDERUTILIZED@${A}`, `QUEUE_BUILDUP@${A}<GPU_UNDERUTILIZED`, `LATENCY_SLO_BREACH@${A}<GPU_UNDERUTILIZED`, 'GEMM_BOUND@rank 0 (datasets/gemm-bound-capped/vllm-decode-mi300x.trace.json.gz)', `GPU_UNDERUTILIZED@${B}`],
};
