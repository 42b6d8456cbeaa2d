// Adapters in sniffing order: binary magic first, then JSON shapes, then text layouts, and the
// loosest text format (Prometheus exposition) last.

import type { Adapter } from './adapter.js';
import { parquetAdapter } from './from-parquet.js';
import { nsysSqliteAdapter } from './from-nsys-sqlite.js';
import { kinetoAdapter } from './from-kineto.js';
import { clientBenchAdapter } from './from-client-bench.js';
import { promJsonAdapter } from './from-prometheus-json.js';
import { keyAveragesAdapter } from './from-key-averages.js';
import { nsysCsvAdapter } from './from-nsys-csv.js';
import { vllmLogAdapter } from './from-vllm-log.js';
import { csvAdapter } from './from-csv.js';
import { promTextAdapter } from './from-prometheus-text.js';

export const ADAPTERS: readonly Adapter[] = [
  parquetAdapter,
  nsysSqliteAdapter,
  kinetoAdapter,
  clientBenchAdapter,
  promJsonAdapter,
  keyAveragesAdapter,
  nsysCsvAdapter,
  vllmLogAdapter,
  csvAdapter,
  promTextAdapter,
];
