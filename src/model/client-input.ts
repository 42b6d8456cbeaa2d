// What a load generator's result file says, as read (src/ingest/from-client-bench.ts): the tool's own
// summary numbers and, where the file keeps them, the per-request values as typed arrays. Times in
// seconds. Nothing here is computed beyond unit conversion; src/derive/client.ts does the statistics.

import type { ClientLatencyStat } from './client-result.js';

export type ClientTool = 'vllm bench serve' | 'benchmark_serving.py' | 'guidellm' | 'aiperf' | 'genai-perf';

/** Per-request values of one run, index-aligned; NaN where the file has no value for a request. */
export interface ClientRequests {
  /** 1 when the request succeeded (vLLM: empty `errors` entry). */
  ok: Uint8Array;
  ttftSeconds: Float64Array;
  /** End-to-end latency per request (vLLM `latencies`); null when the file does not keep it. */
  e2eSeconds: Float64Array | null;
  /** Sum of a request's inter-token gaps (first to last token); null without `itls`. */
  itlSumSeconds: Float64Array | null;
  /** Every inter-token gap of every successful request, flattened; null without `itls`. */
  itlSeconds: Float64Array | null;
  inputTokens: Float64Array | null;
  outputTokens: Float64Array | null;
  /** Send times relative to the first request (vLLM keeps time.perf_counter(), not wall time). */
  startOffsetSeconds: Float64Array | null;
}

export interface ClientRunInput {
  file: string;
  tool: ClientTool;
  /** Words on the layout read, e.g. "vllm bench serve --save-result, with per-request arrays". */
  layout: string;
  label: string | null;
  model: string | null;
  backend: string | null;
  dateText: string | null;
  /** Wall-clock start/end in Unix seconds, when the file says them with their zone (guidellm: epoch). */
  startSeconds: number | null;
  endSeconds: number | null;
  /**
   * Wall-clock start/end read from a zone-less local time (vLLM `date`, aiperf `start_time`) as if it
   * were UTC: the true time is this minus the machine's UTC offset, which the file does not say.
   */
  naiveStartSeconds: number | null;
  naiveEndSeconds: number | null;
  durationSeconds: number | null;
  requestRate: number | 'inf' | null;
  maxConcurrency: number | null;
  completed: number | null;
  failed: number | null;
  inputTokens: number | null;
  outputTokens: number | null;
  requestsPerSecond: number | null;
  outputTokensPerSecond: number | null;
  totalTokensPerSecond: number | null;
  reportedGoodputPerSecond: number | null;
  /** The tool's own latency summary (source `reported`). */
  reported: ClientLatencyStat[];
  requests: ClientRequests | null;
  /** Codes of oddities noticed while reading (see docs/clients.md). */
  notes: string[];
}
