// Series already in memory — fetched from a Prometheus API by `analyze --prometheus` — handed to the
// sink as they are: the same series, samples and warnings as writing them to a query_range export
// and reading it back (the export writes times in milliseconds and values in their shortest
// round-trip form, so the numbers are the same), without building and parsing that JSON.

import type { FormatId } from '../model/artifacts.js';
import type { Labels } from '../model/series.js';
import type { AdapterResult, IngestContext } from './adapter.js';
import { serverWarnings, UNNAMED_METRIC } from './prometheus-json/reader.js';

export interface SeriesInput {
  /** Name shown to the user (the server and window). */
  display: string;
  format: FormatId;
  /** Words on the variant, for the inventory. */
  detail: string;
  /** Labels including `__name__`; times in Unix seconds, ascending; values as fetched. */
  series: readonly { metric: Readonly<Record<string, string>>; t: Float64Array; v: Float64Array }[];
  /** Warnings of the source (the server's, fetch gaps), reported like a response's `warnings`. */
  warnings: readonly string[];
}

export function readSeriesInput(input: SeriesInput, ctx: IngestContext): AdapterResult {
  const sink = ctx.sink;
  let unnamed = 0;
  for (const s of input.series) {
    const n = s.t.length;
    if (n === 0) continue;
    let name = UNNAMED_METRIC;
    const labels: Record<string, string> = Object.create(null); // keys from the server: `__proto__` is a label
    for (const key of Object.keys(s.metric)) {
      if (key === '__name__') name = s.metric[key];
      else labels[key] = s.metric[key];
    }
    if (name === UNNAMED_METRIC) unnamed++;
    sink.open(name, labels as Labels, n).pushMany(s.t, s.v, n);
    sink.countSamples(n);
  }
  if (unnamed) ctx.warn({ code: 'UNNAMED_SERIES', file: input.display, count: unnamed, message: `${unnamed} series have no __name__; they were read under the name ${UNNAMED_METRIC}` });
  serverWarnings(ctx, input.display, input.warnings, []);
  return { detail: input.detail, format: input.format };
}
