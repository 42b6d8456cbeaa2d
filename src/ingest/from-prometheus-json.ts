// Prometheus HTTP API JSON: the response of /api/v1/query_range (matrix) or /api/v1/query (vector),
// whole or as the bare `data.result` array; several responses one after another (a loop of `curl >>`)
// are read too. Documented at https://prometheus.io/docs/prometheus/latest/querying/api/.
//
// Read as a stream of 1 MiB chunks by the JSON byte reader (bytes/json-reader.ts): the structure by
// prometheus-json/reader.ts, label objects parsed one at a time, the `values` arrays — nearly all of
// the bytes — scanned in place by prometheus-json/pairs.ts with numbers parsed from the bytes
// (bytes/decimal.ts). Any key order and whitespace; no whole-file string. A large plain file is read
// by several threads at once, with the same result (prometheus-json/parallel.ts).

import type { Adapter } from './adapter.js';
import { PromJsonReader, UNNAMED_METRIC } from './prometheus-json/reader.js';
import { planRanges } from './prometheus-json/parallel.js';
import { readerThreads } from './threads.js';
import { promJsonFormat } from './sniff/json.js';

// The content check lives in sniff/json.ts (loaded by the registry without this reader).
export { sniffPrometheusJson } from './sniff/json.js';

export { UNNAMED_METRIC };

export const promJsonAdapter: Adapter = {
  ...promJsonFormat,
  async read(src, ctx) {
    const threads = readerThreads(ctx.options.workers);
    // Threads are an optimisation: if none can be set up, the main thread reads the whole file.
    let handoff: ReturnType<typeof planRanges>;
    try {
      handoff = planRanges(src, threads);
    } catch {
      handoff = undefined;
    }
    const reader = new PromJsonReader(src, ctx, handoff);
    try {
      return await reader.readAll();
    } finally {
      await reader.close().catch(() => undefined);
      await handoff?.close();
    }
  },
};
