// Ingest orchestration: expand inputs, sniff each one's format from its content, run its adapter,
// and assemble the Artifacts. Adapters are tried in registry order; the first whose sniff matches wins,
// and only its module is loaded (registry.ts).

import { InputError } from '../errors.js';
import type { Artifacts, InputSummary } from '../model/artifacts.js';
import { MetricSet, type InputWarning } from '../model/series.js';
import type { KernelProfile } from '../model/profile.js';
import type { ClientRunInput } from '../model/client-input.js';
import { ServingConfigBuilder, parseConfigScalar } from '../model/serving-config.js';
import type { IngestContext, IngestOptions } from './adapter.js';
import { ADAPTERS, type AdapterEntry } from './registry.js';
import { SampleSink } from './sink.js';
import { expandInputs, fileSource, stdinSource, type InputSource } from './source.js';
import { collectConfigFromMetrics } from './config-from-metrics.js';
import { readSeriesInput, type SeriesInput } from './from-series.js';

export interface IngestRequest {
  inputs: string[];
  options?: IngestOptions;
  /** `--set key=value` overrides, highest priority. */
  set?: Record<string, string>;
  /** Extra in-memory sources (tests, stdin-like inputs). */
  sources?: InputSource[];
  /** Series already in memory (fetched from Prometheus by `analyze --prometheus`), read after the sources. */
  series?: SeriesInput[];
  onProgress?: (msg: string) => void;
}

/** The registry entry (id, label, loader) whose sniff claims the input. */
export function detectAdapter(src: InputSource): AdapterEntry {
  if (src.head.length === 0) {
    throw new InputError({ code: 'EMPTY_INPUT', file: src.display, message: 'input is empty' });
  }
  const text = src.head.toString('utf8');
  for (const a of ADAPTERS) if (a.sniff(src.head, text, src)) return a;
  if (/^\s*[[{]/.test(text.replace(/^\uFEFF/, ''))) {
    // JSON that no JSON adapter claims: say so, rather than listing every format we read.
    throw new InputError({
      code: 'NOT_PROMETHEUS_RESPONSE',
      file: src.display,
      message: 'JSON, but neither a Prometheus API response, a torch/Kineto trace nor a benchmark client result',
      hint: 'expected the body of /api/v1/query_range or /api/v1/query ({"status":"success","data":{"resultType":"matrix","result":[…]}}), its data.result array, or a trace with "traceEvents"',
    });
  }
  throw new InputError({
    code: 'UNRECOGNISED_FORMAT',
    file: src.display,
    message: 'format not recognised from its content',
    hint: `we read: ${ADAPTERS.map((a) => a.label).join('; ')}`,
  });
}

export async function ingest(req: IngestRequest): Promise<Artifacts> {
  const sink = new SampleSink();
  const config = new ServingConfigBuilder();
  const profiles: KernelProfile[] = [];
  const clients: ClientRunInput[] = [];
  const warnings: InputWarning[] = [];
  const options = req.options ?? {};
  const ctx: IngestContext = {
    sink,
    config,
    options,
    addProfile: (p) => profiles.push(p),
    addClientRun: (r) => clients.push(r),
    warn: (w) => warnings.push(w),
  };
  const paths = await expandInputs(req.inputs);
  const sources: (() => Promise<InputSource>)[] = paths.map((p) => (p === '-' ? stdinSource : () => fileSource(p)));
  for (const s of req.sources ?? []) sources.push(async () => s);
  if (sources.length === 0 && !req.series?.length) throw new InputError({ code: 'EMPTY_INPUT', message: 'no inputs given' });

  const inputs: InputSummary[] = [];
  for (const open of sources) {
    const src = await open();
    const entry = detectAdapter(src);
    const adapter = await entry.load();
    req.onProgress?.(`reading ${src.display} (${adapter.label})`);
    sink.beginFile(src.display);
    const res = await adapter.read(src, ctx);
    const st = sink.fileStats(src.display);
    const summary: InputSummary = {
      file: src.display,
      format: res.format ?? adapter.id,
      detail: res.detail,
      gzip: src.gzip,
      series: st.series,
      samples: st.samples,
    };
    if (src.sizeBytes !== undefined) summary.sizeBytes = src.sizeBytes;
    inputs.push(summary);
  }
  for (const input of req.series ?? []) {
    sink.beginFile(input.display);
    const res = readSeriesInput(input, ctx);
    const st = sink.fileStats(input.display);
    inputs.push({ file: input.display, format: res.format ?? 'prometheus-json', detail: res.detail, gzip: false, series: st.series, samples: st.samples });
  }

  const { series, warnings: seriesWarnings } = sink.finish();
  const metrics = new MetricSet(series);
  collectConfigFromMetrics(metrics, config);
  for (const [k, v] of Object.entries(req.set ?? {})) {
    const parsed = parseConfigScalar(v);
    if (parsed === undefined) throw new InputError({ code: 'BAD_OPTION', message: `--set ${k}=${v}: empty value` });
    config.set(k, parsed, 'flag');
  }
  const built = config.build();
  for (const c of built.conflicts) {
    warnings.push({
      code: 'CONFIG_CONFLICT',
      message: `${c.setting} differs between sources: ${c.values.map((x) => `${x.value} (${x.source}${x.file ? ` ${x.file}` : ''})`).join(', ')}`,
    });
  }
  return { inputs, metrics, profiles, config: built, warnings: [...warnings, ...seriesWarnings], ...(clients.length ? { clients } : {}) };
}
