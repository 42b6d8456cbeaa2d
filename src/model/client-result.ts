// What a load generator (benchmark client) measured, and how it lines up with the server's own
// metrics over the same window. Read by src/ingest/from-client-bench.ts, joined in src/derive/client.ts.

import { z } from 'zod';

const num = z.number().nullable();

/** Client-side latency statistics of one kind, in seconds. */
export const ClientLatencyStat = z.object({
  /** ttft: time to first token; tpot: time per output token after the first; itl: inter-token latency; e2el: end to end. */
  metric: z.enum(['ttft', 'tpot', 'itl', 'e2el']),
  meanSeconds: num,
  medianSeconds: num,
  stdSeconds: num,
  /** Percentiles as the tool reported them or as computed from its per-request arrays. */
  percentiles: z.array(z.object({ p: z.number(), seconds: z.number() })),
  /** `per-request`: computed here from the file's per-request values; `reported`: the tool's summary. */
  source: z.enum(['per-request', 'reported']),
});
export type ClientLatencyStat = z.infer<typeof ClientLatencyStat>;

/** Requests that met every target, from per-request values. */
export const ClientGoodput = z.object({
  ttftSeconds: z.number(),
  tpotSeconds: z.number(),
  e2eSeconds: z.number(),
  requests: z.number(),
  goodRequests: z.number(),
  ratio: num,
  requestsPerSecond: num,
});
export type ClientGoodput = z.infer<typeof ClientGoodput>;

/** The client run set against the server metrics of its window. */
export const ClientServerJoin = z.object({
  windowStartSeconds: z.number(),
  windowEndSeconds: z.number(),
  /** How the run was placed in time (`timestamps` in the file, or the file's `date` read in a UTC offset). */
  alignment: z.string(),
  alignmentConfidence: z.enum(['low', 'medium', 'high']),
  /** Replicas whose metrics were joined (`fleet` when all). */
  scope: z.string(),
  clientRequests: num,
  serverRequests: num,
  clientTtftMeanSeconds: num,
  serverTtftMeanSeconds: num,
  /** Client minus server mean TTFT: network, proxy, tokenization and queueing in front of vLLM. */
  ttftOverheadMeanSeconds: num,
  clientE2eMeanSeconds: num,
  serverE2eMeanSeconds: num,
  e2eOverheadMeanSeconds: num,
  waitingMean: num,
  waitingMax: num,
  runningMean: num,
  runningMax: num,
  maxNumSeqs: num,
  kvUsageMaxRatio: num,
  /** Did the benchmark load the server: saturated (queue), busy, light, or unknown. */
  load: z.enum(['saturated', 'busy', 'light', 'unknown']),
  notes: z.array(z.string()),
});
export type ClientServerJoin = z.infer<typeof ClientServerJoin>;

export const ClientRun = z.object({
  file: z.string(),
  /** The tool that wrote the file (`vllm bench serve`, `benchmark_serving.py`, …). */
  tool: z.string(),
  /** Words on the layout read. */
  layout: z.string(),
  label: z.string().nullable(),
  model: z.string().nullable(),
  backend: z.string().nullable(),
  /** The file's own date text (vLLM writes local time without a zone). */
  dateText: z.string().nullable(),
  startSeconds: num,
  endSeconds: num,
  durationSeconds: num,
  requestRate: z.union([z.number(), z.literal('inf')]).nullable(),
  maxConcurrency: num,
  completed: num,
  failed: num,
  inputTokens: num,
  outputTokens: num,
  requestsPerSecond: num,
  outputTokensPerSecond: num,
  totalTokensPerSecond: num,
  /** Goodput the tool itself reported (req/s), when it was run with goodput targets. */
  reportedGoodputPerSecond: num,
  latency: z.array(ClientLatencyStat),
  goodput: ClientGoodput.nullable(),
  join: ClientServerJoin.nullable(),
  notes: z.array(z.string()),
});
export type ClientRun = z.infer<typeof ClientRun>;

export const ClientSection = z.object({ runs: z.array(ClientRun) });
export type ClientSection = z.infer<typeof ClientSection>;
