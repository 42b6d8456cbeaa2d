// What ingest hands to the engine: everything read from the inputs, nothing computed.

import type { MetricSet, InputWarning } from './series.js';
import type { KernelProfile } from './profile.js';
import type { ServingConfig } from './serving-config.js';
import type { ClientRunInput } from './client-input.js';

export type FormatId =
  | 'prometheus-json'
  | 'prometheus-text'
  | 'openmetrics'
  | 'promtool-dump'
  | 'csv-long'
  | 'csv-wide'
  | 'parquet'
  | 'vllm-log'
  | 'kineto-trace'
  | 'key-averages'
  | 'nsys-csv'
  | 'nsys-sqlite'
  | 'client-bench';

export interface InputSummary {
  /** Display name (relative path as given, `<stdin>`, or URL). */
  file: string;
  format: FormatId;
  /** Human words on the variant read (e.g. "query_range matrix", "single scrape, no timestamps"). */
  detail: string;
  gzip: boolean;
  sizeBytes?: number;
  series: number;
  samples: number;
}

export interface Artifacts {
  inputs: InputSummary[];
  metrics: MetricSet;
  profiles: KernelProfile[];
  config: ServingConfig;
  warnings: InputWarning[];
  /** Load-generator result files (benchmark clients), as read. */
  clients?: ClientRunInput[];
}
