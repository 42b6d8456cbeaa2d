// Names of the capacity model's limits in sentences (shared by the capacity section and the findings).

import type { LimitKind } from '../model/capacity-result.js';

export const LIMIT_NAME: Record<string, string> = {
  'running-cap': 'the running cap (max_num_seqs)',
  'kv-pool': 'the KV pool',
  'token-budget': 'the token budget (max_num_batched_tokens)',
  'tbt-target': 'the time-between-tokens target',
  'ttft-target': 'the TTFT target',
} satisfies Record<LimitKind, string>;
