// The rules that compute a recommended value. A Recommendation carries one of these kinds and the
// numbers it used; src/report/reasons.ts turns each into a sentence that shows the arithmetic.

export const REASON_KINDS = [
  /** max_num_seqs lowered to what the replica's KV pool holds at the incident's tokens per sequence. */
  'kv-fit',
  /** max_num_seqs raised toward what the KV pool holds, when the running cap held the batch small. */
  'kv-fit-raise',
  /** A setting put back to the value the replica's peers (same model, no such problem) run with. */
  'restore-peers',
  /** gpu_memory_utilization raised: more memory for KV blocks. */
  'memory-fraction-raise',
  /** gpu_memory_utilization lowered: room for allocations outside the KV pool. */
  'memory-fraction-lower',
  /** kv_cache_dtype fp8: half the bytes per KV token. */
  'kv-fp8',
  /** max_num_batched_tokens raised: more prefill per step while decodes keep their pace. */
  'budget-raise',
  /** max_num_batched_tokens lowered: shorter steps so decodes keep their pace. */
  'budget-lower',
  /** enable_chunked_prefill on. */
  'chunked-prefill-on',
  /** enable_prefix_caching on. */
  'prefix-caching-on',
  /** enforce_eager off: CUDA graphs remove launch gaps. */
  'cuda-graphs-on',
  /** tensor_parallel_size lowered: less communication per token, more replicas. */
  'tp-lower',
] as const;
export type ReasonKind = (typeof REASON_KINDS)[number];
