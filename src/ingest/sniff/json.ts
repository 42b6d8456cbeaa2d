// Content checks of the JSON metric formats (Prometheus HTTP API responses, benchmark client
// results), apart from their readers: the registry loads this eagerly.

import type { AdapterFormat } from '../adapter.js';

export type ClientLayout = 'vllm' | 'guidellm' | 'aiperf';

export function sniffClientLayout(headText: string): ClientLayout | null {
  const t = headText.replace(/^\uFEFF/, '').trimStart();
  if (!t.startsWith('{') || /"resultType"\s*:/.test(t) || /"traceEvents"\s*:/.test(t)) return null;
  if (/"completed"\s*:/.test(t) && /"duration"\s*:/.test(t) && /"(request_throughput|mean_ttft_ms|ttfts|total_input_tokens)"\s*:/.test(t)) return 'vllm';
  if (/"benchmarks"\s*:\s*\[/.test(t) && /"(generative_benchmark|run_stats)"/.test(t)) return 'guidellm';
  if (/"request_throughput"\s*:\s*\{/.test(t) && /"unit"\s*:/.test(t) && /"avg"\s*:/.test(t)) return 'aiperf';
  return null;
}

export const clientBenchFormat: AdapterFormat = {
  id: 'client-bench',
  label: 'benchmark client result (vllm bench serve, benchmark_serving.py, guidellm, aiperf/genai-perf)',
  sniff: (_head, text) => sniffClientLayout(text) !== null,
};

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

export const promJsonFormat: AdapterFormat = {
  id: 'prometheus-json',
  label: 'Prometheus HTTP API JSON (query_range / query)',
  sniff: (_head, headText) => sniffPrometheusJson(headText),
};
