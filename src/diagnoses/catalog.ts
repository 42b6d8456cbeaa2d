// User-facing titles of every finding code, in one place. The long explanation of each is
// docs/findings/<CODE>.md.

export const FINDING_TEXT = {
  KV_CACHE_THRASHING: { title: 'KV cache thrashing: requests preempted because KV blocks run out' },
  PREFILL_STARVATION: { title: 'Prefill starvation: new requests wait for their first token while decoding is fine' },
  GPU_UNDERUTILIZED: { title: 'GPU under-used' },
  MEMORY_LEAK: { title: 'Memory leak: memory grows steadily at flat load' },
  PREFIX_CACHE_MISSES: { title: 'Prefix cache misses: caching is on but almost nothing is reused' },
  QUEUE_BUILDUP: { title: 'Queue build-up: requests wait to be scheduled' },
  KV_SWAPPING: { title: 'KV swapping to CPU (v0 engine)' },
  LATENCY_SLO_BREACH: { title: 'Latency target breached' },
  THROUGHPUT_DROP: { title: 'Throughput drop while work was waiting' },
  OOM_RISK: { title: 'Out-of-memory risk on the GPU' },
  REPLICA_RESTART: { title: 'Replica restarted during the window' },
  REPLICA_SLOWDOWN: { title: 'One replica is much slower than its peers' },
} as const;

export type FindingCode = keyof typeof FINDING_TEXT;
