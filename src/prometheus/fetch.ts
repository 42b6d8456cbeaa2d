// Fetching a window from a Prometheus-compatible API into query_range JSON exports.
//
// Raw mode (default): every discovered series, with its original sample timestamps, through instant
// queries of range selectors (`{__name__="X",…}[Nms]` at time T returns the raw samples in
// [T − N, T]), in consecutive non-overlapping chunks of at most 11,000 steps. Raw samples (rather
// than query_range resampled at a step) keep counter resets and exact timestamps, so rate() and
// histogram_quantile() computed from the export equal the server's own.
//
// Aggregate mode (--aggregate): the server aggregates over replicas with query_range at --step:
// `sum by (le, model_name) (rate(X_bucket[w]))` for histograms, `sum by (…) (rate(X[w]))` for
// counters, `avg by (model_name)` for gauges plus `topk(K, …)` per step for the gauges that name the
// worst replicas. Rates are integrated back into cumulative counters (C += rate × step) so that the
// export reads like any other; every aggregated series carries an `aggregation` label.

import { InputError } from '../errors.js';
import { redactSecrets } from '../redact.js';
import { catalogEntry } from '../model/metric-catalog.js';
import { labelsKey, type SampleValues } from '../model/series.js';
import type { SeriesInput } from '../ingest/from-series.js';
import { VERSION } from '../version.js';
import { PromClient } from './client.js';
import { discover, discoverySelectors, groupOf, GROUPS, type SourceGroup } from './discovery.js';
import { ExportDocument, FileTarget, type ByteTarget, type ExportSeries } from './export.js';
import { aggregateTasks, chunkWindows, integrateRate, rawTasks } from './plan.js';
import { MAX_POINTS_PER_SERIES, type FetchOptions } from './options.js';
import { formatApiTime, formatRfc3339, promDuration } from './time.js';
import { parseMatrix, type MatrixSeries } from './matrix.js';

export interface Gap {
  query: string;
  start: number;
  end: number;
  error: string;
}

export interface ExportMeta {
  tool: 'vllm-tune fetch';
  version: string;
  /** Base URL without credentials. */
  source: string;
  start: string;
  end: string;
  startUnix: number;
  endUnix: number;
  stepSeconds: number;
  selector: string;
  mode: 'raw' | 'aggregate';
  rateWindow?: string;
  discovery: Record<SourceGroup, string>;
  /** Expressions queried (one per metric name; the time window is added per chunk). */
  queries: string[];
  found: Record<SourceGroup, string[]>;
  notFound: Record<SourceGroup, string[]>;
  gaps: Gap[];
  /** Names of the HTTP headers sent (never their values). */
  headers: string[];
  requests: number;
  retries: number;
  responseBytes: number;
  series: number;
  samples: number;
  /** File per group in directory mode. */
  files?: Record<string, string>;
}

export interface FetchReport {
  meta: ExportMeta;
  /** Warnings written into the export(s) (gaps, server warnings), also for the caller to print. */
  warnings: string[];
}

/** `fetch [#########...........]  45% 120/266 requests, 34 series, 1.2 M samples` (a TTY line). */
export function progressBar(done: number, total: number, series: number, samples: number): string {
  const width = 24;
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(f * width);
  return `fetch [${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(f * 100)).padStart(3)}% ${done}/${total} requests, ${series} series, ${(samples / 1e6).toFixed(1)} M samples`;
}

/** Samples of one series across chunks, in chunk order. */
class Parts {
  t: Float64Array[] = [];
  v: SampleValues[] = [];
  constructor(readonly metric: Record<string, string>) {}
  concat(): { t: Float64Array; v: Float64Array } {
    const n = this.t.reduce((s, a) => s + a.length, 0);
    const t = new Float64Array(n);
    const v = new Float64Array(n);
    let k = 0;
    for (let i = 0; i < this.t.length; i++) {
      t.set(this.t[i], k);
      v.set(this.v[i], k);
      k += this.t[i].length;
    }
    return { t, v };
  }
}

export interface FetchTarget {
  /** Directory mode: one document per source group. */
  dir?: string;
  /** File mode: one document. */
  file?: string;
  /** In memory (analyze --prometheus). */
  memory?: boolean;
}

export interface RunFetchResult extends FetchReport {
  /** In memory mode: the series of each source group, for `ingest({ series })` (no JSON in between). */
  inputs: SeriesInput[];
  /** Files written (exports and sidecar). */
  written: string[];
}

/** Discover, fetch and write. Throws InputError on anything the user must fix. */
export async function runFetch(o: FetchOptions, target: FetchTarget, onProgress?: (msg: string) => void): Promise<RunFetchResult> {
  const client = new PromClient({
    url: o.url,
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    requestTimeoutMs: o.requestTimeoutMs,
    deadlineMs: o.deadlineMs,
    maxResponseBytes: o.maxResponseBytes,
    maxAttempts: o.maxAttempts,
    backoffMs: o.backoffMs,
    concurrency: o.concurrency,
    ...(o.gzip !== undefined ? { gzip: o.gzip } : {}),
  });
  const targets: ByteTarget[] = [];
  try {
    return await runWith(client, o, target, targets, onProgress);
  } catch (e) {
    await Promise.all(targets.map((t) => t.abort()));
    throw e;
  } finally {
    client.close();
  }
}

async function runWith(client: PromClient, o: FetchOptions, target: FetchTarget, targets: ByteTarget[], onProgress?: (msg: string) => void): Promise<RunFetchResult> {
  const say = onProgress ?? (() => {});
  say(`discovering series at ${client.display}…`);
  const disc = await discover(client, o.start, o.end, o.selector, o.aggregate);
  const window = `${formatRfc3339(o.start)} .. ${formatRfc3339(o.end)}`;
  if (disc.total === 0) {
    throw new InputError({
      code: 'NO_DATA',
      file: client.display,
      message: `no vLLM, DCGM or process series between ${window}${o.selector ? ` matching {${o.selector}}` : ''}`,
      hint: 'check the window (data older than the retention is gone), the selector, and that Prometheus scrapes vLLM (/metrics)',
    });
  }
  const rateWindow = promDuration(Math.max(4 * o.step, 60));
  const tasks = o.aggregate ? aggregateTasks(disc, o, rateWindow) : rawTasks(disc, o);

  // One document per group in directory mode, one in total otherwise; in memory, one list of series
  // per group.
  type Out = { doc?: ExportDocument; file?: FileTarget; collected?: ExportSeries[]; name: string; group: SourceGroup | 'all' };
  const docFor = new Map<SourceGroup, Out>();
  const groupsWithData = GROUPS.filter((g) => disc.found[g].size > 0);
  const open = (name: string, group: SourceGroup | 'all'): Out => {
    if (target.memory) return { collected: [], name, group };
    const t = new FileTarget(target.dir ? `${target.dir}/${name}` : target.file!);
    targets.push(t);
    return { doc: new ExportDocument(t), file: t, name, group };
  };
  if (target.dir || target.memory) {
    for (const g of groupsWithData) docFor.set(g, open(`${g}.json`, g));
  } else {
    const one = open(target.file!, 'all');
    for (const g of groupsWithData) docFor.set(g, one);
  }

  const gaps: Gap[] = [];
  const serverWarnings = new Set<string>(disc.warnings);
  let done = 0;
  let samples = 0;
  let series = 0;
  const plans = tasks.map((task) => {
    let maxSteps = MAX_POINTS_PER_SERIES;
    if (task.kind === 'raw' && task.seriesCount > 0) maxSteps = Math.max(1, Math.min(maxSteps, Math.floor(o.maxSamplesPerRequest / task.seriesCount)));
    return { task, chunks: chunkWindows(o.start, o.end, o.step, maxSteps, task.kind === 'raw' ? 'raw' : 'grid') };
  });
  const totalRequests = plans.reduce((n, p) => n + p.chunks.length, 0);

  type Chunk = MatrixSeries[];
  const runTask = async (plan: (typeof plans)[number]): Promise<ExportSeries[]> => {
    const { task, chunks } = plan;
    const results = await Promise.all(
      chunks.map(async (c): Promise<Chunk> => {
        try {
          let body: Buffer | undefined;
          if (task.kind === 'raw') {
            // First chunk [start, b]; later ones (a, b] = [a + 1 ms, b]: no sample is read twice.
            const rangeMs = Math.round((c.b - c.a) * 1000) - (c.first ? 0 : 1);
            const q = `${task.expr}[${rangeMs}ms]`;
            body = rangeMs < 0 ? undefined : await client.apiBytes('query', [['query', q], ['time', formatApiTime(c.b)]]);
          } else {
            body = await client.apiBytes('query_range', [
              ['query', task.expr],
              ['start', formatApiTime(c.a)],
              ['end', formatApiTime(c.b)],
              ['step', formatApiTime(o.step)],
            ]);
          }
          done++;
          say(progressBar(done, totalRequests, series, samples));
          if (!body) return [];
          // Straight from bytes to typed arrays (no JSON.parse: one array per sample is GC-bound).
          const parsed = await parseMatrix(body, `${client.display}/api/v1/${task.kind === 'raw' ? 'query' : 'query_range'}`);
          for (const w of parsed.warnings) {
            if (w.code === 'PROMETHEUS_WARNING' || w.code === 'PROMETHEUS_INFO') serverWarnings.add(redactSecrets(w.message));
            else if (w.code === 'SCALAR_RESULT_IGNORED') throw new InputError({ code: 'PROMETHEUS_HTTP', file: client.display, message: `expected a matrix for ${task.expr}, got a scalar` });
          }
          return parsed.series;
        } catch (e) {
          // The overall deadline and size limits end the fetch: they are not a gap in one chunk.
          if (!(e instanceof InputError) || !o.allowGaps || e.code === 'BAD_OPTION' || e.code === 'PROMETHEUS_TIMEOUT' || e.code === 'LIMIT_EXCEEDED' || /HTTP 40[0134]\b|rejected the query/.test(e.message)) throw e;
          gaps.push({ query: task.expr, start: c.a, end: c.b, error: e.message });
          done++;
          return [];
        }
      }),
    );
    const bySeries = new Map<string, Parts>();
    for (const res of results) {
      for (const entry of res) {
        const metric: Record<string, string> = { ...entry.metric };
        if (task.rename) metric.__name__ = task.rename;
        if (task.addLabels) Object.assign(metric, task.addLabels);
        const key = labelsKey(metric);
        let p = bySeries.get(key);
        if (!p) bySeries.set(key, (p = new Parts(metric)));
        p.t.push(entry.t);
        p.v.push(entry.v);
      }
    }
    const out: ExportSeries[] = [];
    for (const key of [...bySeries.keys()].sort()) {
      const p = bySeries.get(key)!;
      const { t, v } = p.concat();
      out.push({ metric: p.metric, t, v: task.kind === 'counter' ? integrateRate(v, o.step) : v });
    }
    return out;
  };

  // Tasks run ahead of the writer while fewer than 2 × concurrency of their chunks are pending (enough
  // to keep the server busy, few enough to bound memory: a task holds its series until written).
  // Results are written in task order, so files are stable.
  const running: { p: Promise<ExportSeries[]>; chunks: number }[] = [];
  let pendingChunks = 0;
  let next = 0;
  const launch = () => {
    while (next < plans.length && (running.length === 0 || pendingChunks < 2 * o.concurrency)) {
      const plan = plans[next++];
      const p = runTask(plan);
      p.catch(() => {}); // rejections are awaited below, in order
      running.push({ p, chunks: plan.chunks.length });
      pendingChunks += plan.chunks.length;
    }
  };
  launch();
  for (let i = 0; i < plans.length; i++) {
    let out: ExportSeries[];
    const head = running.shift()!;
    pendingChunks -= head.chunks;
    try {
      out = await head.p;
    } catch (e) {
      // Let requests in flight end before the caller removes the partial files.
      await Promise.allSettled(running.map((r) => r.p));
      throw e;
    }
    launch();
    const d = docFor.get(plans[i].task.group)!;
    for (const s of out) {
      if (d.collected) {
        if (s.t.length > 0) d.collected.push(s);
      } else await d.doc!.series(s);
      series++;
      samples += s.t.length;
    }
  }

  const queries = tasks.map((t) => t.expr);
  const warnings: string[] = [];
  for (const g of gaps) warnings.push(`vllm-tune fetch: no data for ${formatRfc3339(g.start)} .. ${formatRfc3339(g.end)} of ${g.query}: the request failed after its retries (${g.error})`);
  for (const w of serverWarnings) warnings.push(w);
  if (o.aggregate) warnings.push('vllm-tune fetch --aggregate: series are aggregated over replicas (label "aggregation"); per-replica diagnoses need raw series (fetch without --aggregate)');

  const found: Record<SourceGroup, string[]> = { vllm: [...disc.found.vllm.keys()], dcgm: [...disc.found.dcgm.keys()], process: [...disc.found.process.keys()] };
  const meta: ExportMeta = {
    tool: 'vllm-tune fetch',
    version: VERSION,
    source: client.display,
    start: formatRfc3339(o.start),
    end: formatRfc3339(o.end),
    startUnix: o.start,
    endUnix: o.end,
    stepSeconds: o.step,
    selector: o.selector ? `{${o.selector}}` : '',
    mode: o.aggregate ? 'aggregate' : 'raw',
    ...(o.aggregate ? { rateWindow } : {}),
    discovery: discoverySelectors(o.selector),
    queries,
    found,
    notFound: disc.notFound,
    gaps,
    headers: client.headerNames(),
    requests: client.stats.requests,
    retries: client.stats.retries,
    responseBytes: client.stats.bytes,
    series,
    samples,
  };
  const uniqueDocs = [...new Set(docFor.values())];
  if (target.dir) meta.files = Object.fromEntries(uniqueDocs.map((d) => [d.group, d.name]));
  const written: string[] = [];
  const inputs: SeriesInput[] = [];
  for (const d of uniqueDocs) {
    if (d.collected) {
      inputs.push({ display: `${client.display} (${d.group}, ${meta.start} .. ${meta.end})`, format: 'prometheus-json', detail: 'query_range matrix', series: d.collected, warnings });
    } else {
      await d.doc!.finish(warnings, meta);
      written.push(d.file!.final);
    }
  }
  return { meta, warnings, inputs, written };
}

/** Kinds, for callers that want to describe what a name is. */
export { catalogEntry, groupOf };
