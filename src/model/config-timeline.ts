// What is known of each replica's settings, over time: the configuration timeline. A replica's
// settings hold in segments (a redeploy — a new process start or new cache_config_info labels —
// starts a new one); replicas and segments with the same settings form a configuration group.
// Built by src/derive/config.ts; read by every diagnosis through the AnalysisView (never one
// fleet-wide record).

import { z } from 'zod';

export const SettingSource = z.enum(['flag', 'cache_config_info', 'log', 'inferred']);
export type SettingSource = z.infer<typeof SettingSource>;

/** How an inferred value was found; the report turns it into words. */
export const Inference = z.discriminatedUnion('method', [
  /** The highest populated `vllm:iteration_tokens_total` bucket: some step carried more than `lowerBound` tokens (`bucketUpper` null: the +Inf bucket). */
  z.object({ method: z.literal('iteration-tokens'), lowerBound: z.number(), bucketUpper: z.number().nullable() }),
  /** `vllm:num_requests_running` flat at its maximum while requests waited and KV had room: the running cap. */
  z.object({ method: z.literal('running-plateau'), value: z.number(), plateauShare: z.number(), points: z.number() }),
  /** `vllm:num_requests_running` reached this many: the cap is at least that. */
  z.object({ method: z.literal('running-max'), lowerBound: z.number() }),
]);
export type Inference = z.infer<typeof Inference>;

export const SettingValue = z.object({
  value: z.union([z.string(), z.number(), z.boolean()]),
  source: SettingSource,
  /** The input it was read from (log), or the series labels (cache_config_info). */
  file: z.string().optional(),
  /** For `inferred`: how; and whether the value is only a bound. */
  inference: Inference.optional(),
  bound: z.enum(['lower', 'upper']).optional(),
});
export type SettingValue = z.infer<typeof SettingValue>;

export const ConfigSegment = z.object({
  startSeconds: z.number(),
  endSeconds: z.number(),
  /** `process_start_time_seconds` of the process that ran in this segment, when exported. */
  processStartSeconds: z.number().nullable(),
  values: z.record(z.string(), SettingValue),
  /** Configuration group (A, B, …) of this segment. */
  group: z.string(),
});
export type ConfigSegment = z.infer<typeof ConfigSegment>;

export const ReplicaConfig = z.object({
  replica: z.string(),
  model: z.string().nullable(),
  segments: z.array(ConfigSegment),
});
export type ReplicaConfig = z.infer<typeof ReplicaConfig>;

export const ConfigGroup = z.object({
  id: z.string(),
  model: z.string().nullable(),
  /** The compared settings of the group as read (inferred values are per segment, not part of the group's identity). */
  values: z.record(z.string(), SettingValue),
  members: z.array(z.object({ replica: z.string(), startSeconds: z.number(), endSeconds: z.number() })),
});
export type ConfigGroup = z.infer<typeof ConfigGroup>;

export const ConfigTimeline = z.object({
  replicas: z.array(ReplicaConfig),
  groups: z.array(ConfigGroup),
  /** Log files that could not be tied to any replica (their settings are not used). */
  unattributed: z.array(z.object({ file: z.string(), reason: z.string() })),
});
export type ConfigTimeline = z.infer<typeof ConfigTimeline>;
