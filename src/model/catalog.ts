// User-facing titles of every finding code, in one place, keyed by every code. The long explanation of
// each is docs/findings/<CODE>.md (a test checks every code has one); sentences are in src/report/.

import type { FindingCode } from './vocabulary.js';

export const FINDING_TITLES = {
  CONFIG_DRIFT: 'Configuration drift: replicas of one model run with different settings',
  KV_CACHE_THRASHING: 'KV cache thrashing: requests preempted because KV blocks run out',
  PREFILL_STARVATION: 'Prefill starvation: new requests wait for their first token while decoding is fine',
  GPU_UNDERUTILIZED: 'GPU under-used',
  MEMORY_LEAK: 'Memory leak: memory grows steadily at flat load',
  PREFIX_CACHE_MISSES: 'Prefix cache misses: caching is on but almost nothing is reused',
  QUEUE_BUILDUP: 'Queue build-up: requests wait to be scheduled',
  KV_SWAPPING: 'KV swapping to CPU (v0 engine)',
  LATENCY_SLO_BREACH: 'Latency target breached',
  THROUGHPUT_DROP: 'Throughput drop while work was waiting',
  OOM_RISK: 'Out-of-memory risk on the GPU',
  REPLICA_RESTART: 'Replica restarted during the window',
  REPLICA_SLOWDOWN: 'One replica is much slower than its peers',
  UNEXPLAINED_ANOMALY: 'Unexplained anomaly in a user-facing metric',
  TRUNCATION_RISE: 'Truncation rise: more answers cut at their length limit',
  ABORT_RISE: 'Abort rise: more requests ended without an answer',
  LENGTH_DRIFT: 'Length drift: prompt or output lengths moved away from their usual distribution',
  CAPACITY_HEADROOM_LOW: 'Capacity headroom low: demand reaches what the replicas serve at the targets soon',
  OVERPROVISIONED: 'Over-provisioned: fewer replicas would serve the peak at the targets',
  COMMUNICATION_BOUND: 'Collectives take a large share of GPU time',
  GPU_IDLE_GAPS: 'The GPU waits on the host',
  ATTENTION_BOUND: 'Attention kernels dominate GPU time',
  GEMM_BOUND: 'Matrix multiplications dominate GPU time',
} as const satisfies Record<FindingCode, string>;
