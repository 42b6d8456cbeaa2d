// Prometheus text exposition / OpenMetrics / `promtool tsdb dump`: one `/metrics` scrape, samples with
// timestamps (seconds or milliseconds), promtool's dump, and concatenations of successive scrapes.
// The streaming parser lives in ./text/reader.ts; this file recognises the format from content.

import type { Adapter } from './adapter.js';
import { readTextExposition } from './text/reader.js';
import { promTextFormat } from './sniff/text.js';

// The content check lives in sniff/text.ts (loaded by the registry without this reader).
export { sniffPrometheusText } from './sniff/text.js';

export const promTextAdapter: Adapter = {
  ...promTextFormat,
  read: (src, ctx) => readTextExposition(src, ctx),
};
