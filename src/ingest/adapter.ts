// The contract every input format implements. An adapter reads; it never computes statistics.

import type { FormatId } from '../model/artifacts.js';
import type { InputWarning } from '../model/series.js';
import type { KernelProfile } from '../model/profile.js';
import type { ClientRunInput } from '../model/client-input.js';
import type { ServingConfigBuilder } from '../model/serving-config.js';
import type { SampleSink } from './sink.js';
import type { InputSource } from './source.js';

export interface IngestOptions {
  /** Seconds between successive scrapes in a concatenation/directory of `/metrics` dumps without timestamps. */
  scrapeIntervalSeconds?: number;
  /** Extra kernel-classification rules (JSON file), for GPU profiles. */
  kernelPatternsFile?: string;
  /** Wall time of a summary-only profile, so idle can be computed. */
  wallSeconds?: number;
  /** UTC offset (minutes) of the machine that wrote zone-less times in benchmark client results. */
  clientUtcOffsetMinutes?: number;
  /** Threads that read one large file at once (1: the main thread alone); default VLLM_TUNE_WORKERS or the cores available. */
  workers?: number;
}

export interface IngestContext {
  readonly sink: SampleSink;
  readonly config: ServingConfigBuilder;
  readonly options: IngestOptions;
  addProfile(p: KernelProfile): void;
  /** Benchmark-client results (absent in contexts that read metrics only). */
  addClientRun?(r: ClientRunInput): void;
  warn(w: InputWarning): void;
}

export interface AdapterResult {
  /** Words on the variant read, for the inventory (e.g. "query_range matrix, 12 series"). */
  detail: string;
  /** The adapter's own choice of format id when it covers several (e.g. text vs OpenMetrics). */
  format?: FormatId;
}

export interface Adapter {
  readonly id: FormatId;
  /** Human name used in messages ("Prometheus HTTP API JSON"). */
  readonly label: string;
  /** True when the content (first ≤64 KiB, decompressed) looks like this format. Must be cheap. */
  sniff(head: Buffer, headText: string, src: InputSource): boolean;
  read(src: InputSource, ctx: IngestContext): Promise<AdapterResult>;
}

/** What the registry knows of an adapter before loading it: who it is and how to recognise its input. */
export type AdapterFormat = Pick<Adapter, 'id' | 'label' | 'sniff'>;
