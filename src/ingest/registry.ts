// Adapters in sniffing order: binary magic first, then JSON shapes, then text layouts, and the
// loosest text format (Prometheus exposition) last.
//
// Lazy: each entry holds the adapter's id, label and content check (sniff/*.ts, no heavy imports) and
// loads its reader only when an input is read with it, so that reading a query_range file does not
// load zod (the kernel classifier), csv-parse, hyparquet or libsql.

import type { Adapter, AdapterFormat } from './adapter.js';
import { nsysSqliteFormat, parquetFormat } from './sniff/binary.js';
import { clientBenchFormat, promJsonFormat } from './sniff/json.js';
import { keyAveragesFormat, kinetoFormat, nsysCsvFormat } from './sniff/profile.js';
import { csvFormat, promTextFormat, vllmLogFormat } from './sniff/text.js';

export interface AdapterEntry extends AdapterFormat {
  /** The adapter itself (its module imported on first use). */
  load(): Promise<Adapter>;
}

export const ADAPTERS: readonly AdapterEntry[] = [
  { ...parquetFormat, load: async () => (await import('./from-parquet.js')).parquetAdapter },
  { ...nsysSqliteFormat, load: async () => (await import('./from-nsys-sqlite.js')).nsysSqliteAdapter },
  { ...kinetoFormat, load: async () => (await import('./from-kineto.js')).kinetoAdapter },
  { ...clientBenchFormat, load: async () => (await import('./from-client-bench.js')).clientBenchAdapter },
  { ...promJsonFormat, load: async () => (await import('./from-prometheus-json.js')).promJsonAdapter },
  { ...keyAveragesFormat, load: async () => (await import('./from-key-averages.js')).keyAveragesAdapter },
  { ...nsysCsvFormat, load: async () => (await import('./from-nsys-csv.js')).nsysCsvAdapter },
  { ...vllmLogFormat, load: async () => (await import('./from-vllm-log.js')).vllmLogAdapter },
  { ...csvFormat, load: async () => (await import('./from-csv.js')).csvAdapter },
  { ...promTextFormat, load: async () => (await import('./from-prometheus-text.js')).promTextAdapter },
];
