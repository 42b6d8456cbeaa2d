// Result files of load generators (benchmark clients), sniffed by content:
//
// - `vllm bench serve --save-result` (vllm/benchmarks/serve.py) and the older
//   `benchmarks/benchmark_serving.py`: one JSON object per run — `date` (local time, no zone, written
//   when the run ended), `duration`, `completed`, throughputs, `mean_/median_/std_/pNN_{ttft,tpot,itl,
//   e2el}_ms`; with `--save-detailed` (always, in 2024's benchmark_serving.py) the per-request arrays
//   `ttfts`, `itls`, `input_lens`, `output_lens`, `errors`, and in newer versions `latencies`,
//   `start_times` (time.perf_counter(), not wall time). `--append-result` writes one object per line.
// - guidellm's benchmarks report (`{"benchmarks":[{"type_":"generative_benchmark",…}]}`, the 0.3
//   layout): per benchmark (one per rate of a sweep) run_stats with epoch start/end, request totals and
//   distributions (`successful.mean/median/std_dev/percentiles`) in ms (request_latency in s).
// - aiperf's `profile_export_aiperf.json` and genai-perf's `profile_export_genai_perf.json`: one object of
//   `{unit, avg, p50, …}` records, `start_time`/`end_time` as zone-less ISO times.
//
// The adapter reads; src/derive/client.ts computes statistics, goodput and the join with the server.

import { InputError } from '../errors.js';
import type { ClientLatencyStat } from '../model/client-result.js';
import type { ClientRequests, ClientRunInput, ClientTool } from '../model/client-input.js';
import type { Adapter, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { jsonParsePosition } from './text-position.js';
import { clientBenchFormat } from './sniff/json.js';

const MAX_BYTES = 256 * 1024 * 1024;

type Obj = Record<string, unknown>;

function isObj(x: unknown): x is Obj {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** A finite number, or a numeric string; null otherwise. */
function num(x: unknown): number | null {
  if (typeof x === 'number') return Number.isFinite(x) ? x : null;
  if (typeof x === 'string' && x.trim() !== '' && Number.isFinite(Number(x))) return Number(x);
  return null;
}

function str(x: unknown): string | null {
  return typeof x === 'string' && x !== '' ? x : null;
}

// ───────────────────────────── sniffing ─────────────────────────────

// The content check lives in sniff/json.ts (loaded by the registry without this reader).
export { sniffClientLayout, type ClientLayout } from './sniff/json.js';

// ───────────────────────────── times ─────────────────────────────

/** vLLM's `date` ("20250530-194738", local time) read as if UTC; null when not that shape. */
export function parseVllmDate(s: string | null): number | null {
  const m = s ? /^(\d{4})(\d{2})(\d{2})-(\d{2})(\d{2})(\d{2})$/.exec(s) : null;
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number);
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  return Number.isFinite(t) ? t / 1000 : null;
}

/** An ISO time: absolute when it carries a zone, else read as if UTC (naive). */
export function parseIsoTime(s: string | null): { seconds: number; naive: boolean } | null {
  if (!s) return null;
  const zoned = /(Z|[+-]\d{2}:?\d{2})$/.test(s);
  const t = Date.parse(zoned ? s : `${s}Z`);
  return Number.isFinite(t) ? { seconds: t / 1000, naive: !zoned } : null;
}

// ───────────────────────────── vLLM ─────────────────────────────

const VLLM_METRICS = ['ttft', 'tpot', 'itl', 'e2el'] as const;

function vllmReported(o: Obj): ClientLatencyStat[] {
  const out: ClientLatencyStat[] = [];
  for (const m of VLLM_METRICS) {
    const mean = num(o[`mean_${m}_ms`]);
    const median = num(o[`median_${m}_ms`]);
    const std = num(o[`std_${m}_ms`]);
    const percentiles: { p: number; seconds: number }[] = [];
    const re = new RegExp(`^p(\\d+(?:\\.\\d+)?)_${m}_ms$`);
    for (const k of Object.keys(o)) {
      const mm = re.exec(k);
      const v = num(o[k]);
      if (mm && v !== null) percentiles.push({ p: Number(mm[1]), seconds: v / 1000 });
    }
    if (mean === null && median === null && !percentiles.length) continue;
    percentiles.sort((a, b) => a.p - b.p);
    out.push({ metric: m, meanSeconds: mean === null ? null : mean / 1000, medianSeconds: median === null ? null : median / 1000, stdSeconds: std === null ? null : std / 1000, percentiles, source: 'reported' });
  }
  return out;
}

function numArray(x: unknown, n: number): Float64Array | null {
  if (!Array.isArray(x) || x.length !== n) return null;
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = num(x[i]) ?? NaN;
  return a;
}

function vllmRequests(o: Obj, notes: string[]): ClientRequests | null {
  const ttfts = Array.isArray(o.ttfts) ? o.ttfts : null;
  const lat = Array.isArray(o.latencies) ? o.latencies : null;
  const n = ttfts?.length ?? lat?.length ?? 0;
  if (!n) return null;
  const errors = Array.isArray(o.errors) && o.errors.length === n ? o.errors : null;
  const ttftSeconds = ttfts ? numArray(ttfts, n) : new Float64Array(n).fill(NaN);
  if (!ttftSeconds) {
    notes.push('per-request-arrays-mismatch');
    return null;
  }
  const e2eSeconds = lat ? numArray(lat, n) : null;
  if (lat && !e2eSeconds) notes.push('per-request-arrays-mismatch');
  const ok = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    // A failed request has an error message; without `errors` (vLLM drops it unless --save-detailed)
    // a failed one shows as zero latency.
    if (errors) ok[i] = errors[i] === '' || errors[i] === null ? 1 : 0;
    else ok[i] = (ttfts ? ttftSeconds[i] > 0 : true) && (e2eSeconds ? e2eSeconds[i] > 0 : true) ? 1 : 0;
  }
  let itlSumSeconds: Float64Array | null = null;
  let itlSeconds: Float64Array | null = null;
  if (Array.isArray(o.itls) && o.itls.length === n) {
    itlSumSeconds = new Float64Array(n);
    let total = 0;
    for (let i = 0; i < n; i++) if (ok[i] && Array.isArray(o.itls[i])) total += (o.itls[i] as unknown[]).length;
    itlSeconds = new Float64Array(total);
    let k = 0;
    for (let i = 0; i < n; i++) {
      const row = o.itls[i];
      if (!Array.isArray(row)) {
        itlSumSeconds[i] = NaN;
        continue;
      }
      let s = 0;
      for (const x of row) {
        const v = num(x) ?? NaN;
        s += v;
        if (ok[i]) itlSeconds[k++] = v;
      }
      itlSumSeconds[i] = s;
    }
  }
  let startOffsetSeconds: Float64Array | null = null;
  const st = numArray(o.start_times, n);
  if (st) {
    let min = Infinity;
    for (const x of st) if (x < min) min = x;
    startOffsetSeconds = st.map((x) => x - min);
  }
  return { ok, ttftSeconds, e2eSeconds, itlSumSeconds, itlSeconds, inputTokens: numArray(o.input_lens, n), outputTokens: numArray(o.output_lens, n), startOffsetSeconds };
}

function fromVllm(o: Obj, file: string, ctx: IngestContext, index: number, of: number): ClientRunInput {
  const notes: string[] = [];
  const tool: ClientTool = 'endpoint_type' in o || 'max_concurrent_requests' in o || 'failed' in o ? 'vllm bench serve' : 'benchmark_serving.py';
  const requests = vllmRequests(o, notes);
  if ('request_goodput:' in o) notes.push('goodput-key-typo');
  const duration = num(o.duration);
  const dateText = str(o.date);
  const naiveEnd = parseVllmDate(dateText);
  if (dateText && naiveEnd === null) notes.push('date-unreadable');
  const rr = o.request_rate === 'inf' ? 'inf' : num(o.request_rate);
  const run: ClientRunInput = {
    file,
    tool,
    layout: `${tool === 'vllm bench serve' ? 'vllm bench serve --save-result' : 'benchmark_serving.py --save-result'}${of > 1 ? ` (run ${index + 1} of ${of}, one JSON object per line)` : ''}, ${requests ? `per-request arrays for ${requests.ok.length} requests` : 'summary only'}`,
    label: str(o.label),
    model: str(o.model_id) ?? str(o.model),
    backend: str(o.backend) ?? str(o.endpoint_type),
    dateText,
    startSeconds: null,
    endSeconds: null,
    naiveStartSeconds: naiveEnd !== null && duration !== null ? naiveEnd - duration : null,
    naiveEndSeconds: naiveEnd,
    durationSeconds: duration,
    requestRate: rr,
    maxConcurrency: num(o.max_concurrency),
    completed: num(o.completed),
    failed: num(o.failed),
    inputTokens: num(o.total_input_tokens),
    outputTokens: num(o.total_output_tokens),
    requestsPerSecond: num(o.request_throughput),
    outputTokensPerSecond: num(o.output_throughput),
    totalTokensPerSecond: num(o.total_token_throughput),
    reportedGoodputPerSecond: num(o.request_goodput) ?? num(o['request_goodput:']),
    reported: vllmReported(o),
    requests,
    notes,
  };
  return withOffset(run, ctx);
}

// ───────────────────────────── guidellm ─────────────────────────────

const GUIDE_P: Record<string, number> = { p001: 0.1, p01: 1, p05: 5, p10: 10, p25: 25, p50: 50, p75: 75, p90: 90, p95: 95, p99: 99, p999: 99.9 };

function guideStat(metric: ClientLatencyStat['metric'], d: unknown, scale: number): ClientLatencyStat | null {
  if (!isObj(d) || !isObj(d.successful)) return null;
  const s = d.successful;
  if (!(num(s.count) ?? 0)) return null;
  const percentiles: { p: number; seconds: number }[] = [];
  if (isObj(s.percentiles)) {
    for (const [k, v] of Object.entries(s.percentiles)) {
      const x = num(v);
      if (GUIDE_P[k] !== undefined && x !== null) percentiles.push({ p: GUIDE_P[k], seconds: x * scale });
    }
  }
  percentiles.sort((a, b) => a.p - b.p);
  const mean = num(s.mean);
  const median = num(s.median);
  const std = num(s.std_dev);
  return { metric, meanSeconds: mean === null ? null : mean * scale, medianSeconds: median === null ? null : median * scale, stdSeconds: std === null ? null : std * scale, percentiles, source: 'reported' };
}

function fromGuidellm(b: Obj, file: string, ctx: IngestContext, index: number, of: number): ClientRunInput {
  const notes: string[] = [];
  const m = isObj(b.metrics) ? b.metrics : {};
  const rs = isObj(b.run_stats) ? b.run_stats : {};
  const totals = isObj(b.request_totals) ? b.request_totals : isObj(rs.requests_made) ? rs.requests_made : {};
  const args = isObj(b.args) ? b.args : {};
  const strategy = isObj(args.strategy) ? args.strategy : {};
  const worker = isObj(b.worker) ? b.worker : {};
  const start = num(b.start_time) ?? num(rs.start_time);
  const end = num(b.end_time) ?? num(rs.end_time);
  const duration = num(b.duration) ?? (start !== null && end !== null ? end - start : null);
  const sum = (d: unknown) => (isObj(d) && isObj(d.successful) ? num(d.successful.total_sum) : null);
  const incomplete = num(totals.incomplete);
  if (incomplete) notes.push('incomplete-requests');
  const stype = str(strategy.type_);
  const rate = num(strategy.rate);
  const reported = [
    guideStat('ttft', m.time_to_first_token_ms, 1e-3),
    guideStat('tpot', m.time_per_output_token_ms, 1e-3),
    guideStat('itl', m.inter_token_latency_ms, 1e-3),
    guideStat('e2el', m.request_latency, 1),
  ].filter((x): x is ClientLatencyStat => x !== null);
  const run: ClientRunInput = {
    file,
    tool: 'guidellm',
    layout: `guidellm benchmarks report, benchmark ${index + 1} of ${of}${stype ? ` (${stype}${rate !== null && rate > 0 ? ` at ${rate} req/s` : ''})` : ''}`,
    label: stype,
    model: str(worker.backend_model),
    backend: str(worker.backend_type),
    dateText: null,
    startSeconds: start,
    endSeconds: end,
    naiveStartSeconds: null,
    naiveEndSeconds: null,
    durationSeconds: duration,
    requestRate: stype === 'throughput' ? 'inf' : rate !== null && rate > 0 ? rate : null,
    // synchronous: one request at a time; concurrent: `streams` at a time.
    maxConcurrency: stype === 'synchronous' ? 1 : (num(strategy.streams) ?? num(strategy.max_concurrency)),
    completed: num(totals.successful),
    failed: num(totals.errored),
    inputTokens: sum(m.prompt_token_count),
    outputTokens: sum(m.output_token_count),
    requestsPerSecond: null,
    outputTokensPerSecond: null,
    totalTokensPerSecond: null,
    reportedGoodputPerSecond: null,
    reported,
    requests: null,
    notes,
  };
  // Its per-request records are a sample (request_samples): the summary distributions cover every request.
  return withOffset(run, ctx);
}

// ───────────────────────────── aiperf / genai-perf ─────────────────────────────

function unitScale(unit: unknown): number | null {
  switch (unit) {
    case 'ms':
      return 1e-3;
    case 's':
    case 'sec':
    case 'seconds':
      return 1;
    case 'us':
      return 1e-6;
    case 'ns':
      return 1e-9;
    default:
      return null;
  }
}

function perfStat(metric: ClientLatencyStat['metric'], d: unknown): ClientLatencyStat | null {
  if (!isObj(d)) return null;
  const scale = unitScale(d.unit);
  if (scale === null) return null;
  const percentiles: { p: number; seconds: number }[] = [];
  for (const [k, v] of Object.entries(d)) {
    const mm = /^p(\d+(?:\.\d+)?)$/.exec(k);
    const x = num(v);
    if (mm && x !== null) percentiles.push({ p: Number(mm[1]), seconds: x * scale });
  }
  percentiles.sort((a, b) => a.p - b.p);
  const avg = num(d.avg);
  const p50 = percentiles.find((p) => p.p === 50);
  const std = num(d.std);
  return { metric, meanSeconds: avg === null ? null : avg * scale, medianSeconds: p50 ? p50.seconds : null, stdSeconds: std === null ? null : std * scale, percentiles, source: 'reported' };
}

function fromPerf(o: Obj, file: string, ctx: IngestContext): ClientRunInput {
  const notes: string[] = [];
  const avg = (k: string) => (isObj(o[k]) ? num((o[k] as Obj).avg) : null);
  const tool: ClientTool = 'aiperf_version' in o ? 'aiperf' : 'genai-perf';
  const cfg = isObj(o.input_config) ? o.input_config : {};
  const models = isObj(cfg.models) && Array.isArray(cfg.models.items) ? cfg.models.items : Array.isArray(cfg.model_names) ? cfg.model_names : [];
  const model = models.length ? (isObj(models[0]) ? str(models[0].name) : str(models[0])) : null;
  const start = parseIsoTime(str(o.start_time));
  const end = parseIsoTime(str(o.end_time));
  const dur = isObj(o.benchmark_duration) ? num((o.benchmark_duration as Obj).avg) : null;
  const durScale = isObj(o.benchmark_duration) ? (unitScale((o.benchmark_duration as Obj).unit) ?? 1) : 1;
  let failed: number | null = null;
  if (Array.isArray(o.error_summary)) {
    failed = 0;
    for (const e of o.error_summary) failed += isObj(e) ? (num(e.count) ?? 0) : 0;
  }
  // genai-perf and aiperf's "inter_token_latency" is per request (latency − TTFT) / (output tokens − 1):
  // what vLLM calls TPOT.
  const reported = [perfStat('ttft', o.time_to_first_token), perfStat('tpot', o.inter_token_latency), perfStat('e2el', o.request_latency)].filter((x): x is ClientLatencyStat => x !== null);
  const tokensOut = avg('total_osl') ?? avg('total_output_tokens');
  const tokensIn = avg('total_isl');
  const run: ClientRunInput = {
    file,
    tool,
    layout: `${tool} profile export${isObj(o) && str(o.aiperf_version) ? ` (aiperf ${str(o.aiperf_version)})` : ''}`,
    label: null,
    model,
    backend: isObj(cfg.endpoint) ? str((cfg.endpoint as Obj).type) : null,
    dateText: str(o.start_time),
    startSeconds: start && !start.naive ? start.seconds : null,
    endSeconds: end && !end.naive ? end.seconds : null,
    naiveStartSeconds: start?.naive ? start.seconds : null,
    naiveEndSeconds: end?.naive ? end.seconds : null,
    durationSeconds: dur !== null ? dur * durScale : start && end ? end.seconds - start.seconds : null,
    requestRate: null,
    maxConcurrency: null,
    completed: avg('request_count'),
    failed,
    inputTokens: tokensIn,
    outputTokens: tokensOut,
    requestsPerSecond: avg('request_throughput'),
    outputTokensPerSecond: avg('output_token_throughput'),
    totalTokensPerSecond: avg('total_token_throughput'),
    reportedGoodputPerSecond: avg('goodput'),
    reported,
    requests: null,
    notes,
  };
  if (Array.isArray(cfg.phases)) {
    for (const p of cfg.phases) if (isObj(p) && num(p.concurrency) !== null) run.maxConcurrency = num(p.concurrency);
  }
  return withOffset(run, ctx);
}

/** --client-utc-offset: a zone-less time becomes absolute. */
function withOffset(r: ClientRunInput, ctx: IngestContext): ClientRunInput {
  const off = ctx.options.clientUtcOffsetMinutes;
  if (off === undefined || r.startSeconds !== null) return r;
  if (r.naiveStartSeconds !== null) r.startSeconds = r.naiveStartSeconds - off * 60;
  if (r.naiveEndSeconds !== null) r.endSeconds = r.naiveEndSeconds - off * 60;
  if (r.startSeconds !== null || r.endSeconds !== null) r.notes.push('utc-offset-given');
  return r;
}

// ───────────────────────────── reading ─────────────────────────────

/** The documents of a result file, and for one object per line the 1-based line of each. */
function parseDocuments(text: string, file: string): { docs: unknown[]; lines?: number[] } {
  const body = text.replace(/^\uFEFF/, '');
  let whole: unknown;
  try {
    return { docs: [JSON.parse(body)] };
  } catch (e) {
    // `--append-result` writes one object per line.
    whole = e;
  }
  const docs: unknown[] = [];
  const docLines: number[] = [];
  const lines = body.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (!l) continue;
    try {
      docs.push(JSON.parse(l));
      docLines.push(i + 1);
    } catch (e) {
      // Failing on the first object: the file is one JSON document (pretty-printed, say) that does
      // not parse, and the error of the whole document says where.
      const first = docs.length === 0;
      const position = first ? jsonParsePosition(body, whole) : { line: i + 1 };
      throw new InputError({ code: 'JSON_SYNTAX', file, ...(position ? { position } : {}), message: `not JSON (${((first ? whole : e) as Error).message})`, hint: 'a benchmark result file is one JSON object, or one object per line (--append-result)' });
    }
  }
  return { docs, lines: docLines };
}

async function readClient(src: InputSource, ctx: IngestContext): Promise<{ detail: string }> {
  if (src.sizeBytes !== undefined && src.sizeBytes > MAX_BYTES && !src.gzip) {
    throw new InputError({ code: 'LIMIT_EXCEEDED', file: src.display, message: `${Math.round(src.sizeBytes / 2 ** 20)} MiB is over the ${MAX_BYTES / 2 ** 20} MiB limit for a benchmark result file`, hint: 'save it without generated texts (vLLM: without --save-detailed)' });
  }
  const buf = src.headIsWhole ? src.head : await src.bytes();
  if (buf.length > MAX_BYTES) throw new InputError({ code: 'LIMIT_EXCEEDED', file: src.display, message: `${Math.round(buf.length / 2 ** 20)} MiB decompressed is over the ${MAX_BYTES / 2 ** 20} MiB limit for a benchmark result file`, hint: 'save it without generated texts (vLLM: without --save-detailed)' });
  const { docs, lines } = parseDocuments(buf.toString('utf8'), src.display);
  const runs: ClientRunInput[] = [];
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i];
    // one object per line: the line of this one (a single document has no finer position)
    const at = lines ? { position: { line: lines[i] } } : {};
    if (!isObj(d)) throw new InputError({ code: 'CLIENT_RESULT_SHAPE', file: src.display, ...at, message: 'not a JSON object' });
    if (Array.isArray(d.benchmarks)) {
      const list = d.benchmarks.filter(isObj);
      if (!list.length) throw new InputError({ code: 'CLIENT_RESULT_SHAPE', file: src.display, ...at, message: 'a guidellm report without benchmarks' });
      list.forEach((b, j) => runs.push(fromGuidellm(b, src.display, ctx, j, list.length)));
    } else if (isObj(d.request_throughput)) runs.push(fromPerf(d, src.display, ctx));
    else if ('completed' in d || 'ttfts' in d || 'mean_ttft_ms' in d) runs.push(fromVllm(d, src.display, ctx, i, docs.length));
    else throw new InputError({ code: 'CLIENT_RESULT_SHAPE', file: src.display, ...at, message: `neither a vLLM, guidellm nor aiperf/genai-perf result`, hint: 'expected e.g. {"date":…,"duration":…,"completed":…,"mean_ttft_ms":…}' });
  }
  for (const r of runs) ctx.addClientRun?.(r);
  const tools = [...new Set(runs.map((r) => r.tool))].join(', ');
  const perReq = runs.filter((r) => r.requests).length;
  return { detail: `${tools} result, ${runs.length} run${runs.length === 1 ? '' : 's'}${perReq ? `, ${perReq} with per-request values` : ''}` };
}

export const clientBenchAdapter: Adapter = {
  ...clientBenchFormat,
  read: (src, ctx) => readClient(src, ctx),
};
