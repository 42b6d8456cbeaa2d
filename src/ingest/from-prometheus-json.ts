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

export { UNNAMED_METRIC };

const TOP_KEYS = '(?:status|data|errorType|error|warnings|infos)';
const OBJECT_START_RE = new RegExp(`^\\s*\\{\\s*"${TOP_KEYS}"\\s*:`);
const PROM_MARK_RE = /"status"\s*:\s*"(?:success|error)"|"resultType"\s*:\s*"(?:matrix|vector|scalar|string)"|"data"\s*:\s*\{\s*"result"\s*:/;
const BARE_ARRAY_RE = /^\s*\[\s*(?:\{\s*"(?:metric|values|value|histograms?)"\s*:|\]\s*$)/;

/** Cheap content check on the first ≤64 KiB. */
export function sniffPrometheusJson(headText: string): boolean {
  const s = headText.charCodeAt(0) === 0xfeff ? headText.slice(1) : headText;
  if (OBJECT_START_RE.test(s)) return PROM_MARK_RE.test(s);
  return BARE_ARRAY_RE.test(s);
}

export const promJsonAdapter: Adapter = {
  id: 'prometheus-json',
  label: 'Prometheus HTTP API JSON (query_range / query)',
  sniff: (_head, headText) => sniffPrometheusJson(headText),
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
