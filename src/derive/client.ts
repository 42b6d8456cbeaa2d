// The client's view of a load test (a benchmark client's result file) and its join with the server's
// metrics over the same window: client TTFT − server TTFT (network, proxy, tokenization and queueing in
// front of vLLM), client-observed vs server-counted requests, and whether the run loaded the server.
// Statistics follow the benchmark tools' own definitions (vllm/benchmarks/serve.py): means, medians and
// numpy's linear percentiles over successful requests, population standard deviation, TPOT per request
// = (latency − TTFT) / (output tokens − 1), goodput = requests meeting every target per second.

import type { ClientRunInput } from '../model/client-input.js';
import type { ClientGoodput, ClientLatencyStat, ClientRun, ClientSection, ClientServerJoin } from '../model/client-result.js';
import { quantileSorted } from '../stats/summary.js';
import type { SloTargets } from './slo.js';
import { FLEET, type AnalysisView } from './view.js';
import { gridRange, histogramMeanBetween, statsBetween, totalBetween } from './windowed.js';

/** Percentiles computed from per-request values (vLLM's default report shows p99; we add the rest). */
export const CLIENT_PERCENTILES = [50, 90, 95, 99];

/** The per-request statistics of one metric, as vLLM computes them (np.mean/median/std/percentile). */
export function requestStats(metric: ClientLatencyStat['metric'], values: ArrayLike<number>): ClientLatencyStat | null {
  const finite: number[] = [];
  for (let i = 0; i < values.length; i++) if (Number.isFinite(values[i])) finite.push(values[i]);
  if (!finite.length) return null;
  const s = Float64Array.from(finite).sort();
  let sum = 0;
  for (const x of s) sum += x;
  const mean = sum / s.length;
  let q = 0;
  for (const x of s) q += (x - mean) * (x - mean);
  return {
    metric,
    meanSeconds: mean,
    medianSeconds: quantileSorted(s, 0.5),
    stdSeconds: Math.sqrt(q / s.length),
    percentiles: CLIENT_PERCENTILES.map((p) => ({ p, seconds: quantileSorted(s, p / 100) })),
    source: 'per-request',
  };
}

/** TPOT per successful request with more than one output token; NaN elsewhere. Says how it was derived. */
function tpotPerRequest(r: NonNullable<ClientRunInput['requests']>): { v: Float64Array; fromItls: boolean } | null {
  if (!r.outputTokens) return null;
  const n = r.ok.length;
  const v = new Float64Array(n).fill(NaN);
  const fromItls = !r.e2eSeconds;
  if (fromItls && !r.itlSumSeconds) return null;
  for (let i = 0; i < n; i++) {
    const out = r.outputTokens[i];
    if (!r.ok[i] || !(out > 1)) continue;
    const decode = r.e2eSeconds ? r.e2eSeconds[i] - r.ttftSeconds[i] : r.itlSumSeconds![i];
    v[i] = decode / (out - 1);
  }
  return { v, fromItls };
}

function okValues(a: Float64Array, ok: Uint8Array): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < a.length; i++) if (ok[i]) out.push(a[i]);
  return Float64Array.from(out);
}

function latencyOf(run: ClientRunInput, notes: string[]): ClientLatencyStat[] {
  const r = run.requests;
  if (!r) return run.reported;
  const out: ClientLatencyStat[] = [];
  const ttft = Number.isFinite(r.ttftSeconds.find((x) => Number.isFinite(x)) ?? NaN) ? requestStats('ttft', okValues(r.ttftSeconds, r.ok)) : null;
  if (ttft) out.push(ttft);
  const tp = tpotPerRequest(r);
  const tpot = tp ? requestStats('tpot', tp.v) : null;
  if (tpot) {
    out.push(tpot);
    if (tp!.fromItls) notes.push('tpot-from-itls');
  }
  const itl = r.itlSeconds ? requestStats('itl', r.itlSeconds) : null;
  if (itl) out.push(itl);
  const e2e = r.e2eSeconds ? requestStats('e2el', okValues(r.e2eSeconds, r.ok)) : null;
  if (e2e) out.push(e2e);
  // What the per-request arrays cannot give, the tool's summary still does.
  for (const rep of run.reported) if (!out.some((o) => o.metric === rep.metric)) out.push(rep);
  // The tool's own mean must be ours: the arrays are what it computed them from.
  for (const o of out) {
    if (o.source !== 'per-request') continue;
    const rep = run.reported.find((x) => x.metric === o.metric);
    if (rep?.meanSeconds != null && o.meanSeconds != null && Math.abs(rep.meanSeconds - o.meanSeconds) > 1e-6 * Math.max(1e-3, Math.abs(rep.meanSeconds))) notes.push(`reported-mismatch:${o.metric}`);
  }
  return out.sort((a, b) => ORDER.indexOf(a.metric) - ORDER.indexOf(b.metric));
}

const ORDER: ClientLatencyStat['metric'][] = ['ttft', 'tpot', 'itl', 'e2el'];

function goodputOf(run: ClientRunInput, slo: SloTargets, notes: string[]): ClientGoodput | null {
  const r = run.requests;
  if (!r || !r.ttftSeconds.some((x) => Number.isFinite(x))) return null;
  const tp = tpotPerRequest(r);
  if (!tp) notes.push('goodput-without-tpot');
  if (!r.e2eSeconds) notes.push('goodput-without-e2e');
  let good = 0;
  for (let i = 0; i < r.ok.length; i++) {
    if (!r.ok[i] || !(r.ttftSeconds[i] <= slo.ttftSeconds)) continue;
    // One output token has no TPOT: the target holds (vLLM's goodput does the same).
    if (tp && Number.isFinite(tp.v[i]) && !(tp.v[i] <= slo.tbtSeconds)) continue;
    if (r.e2eSeconds && !(r.e2eSeconds[i] <= slo.e2eSeconds)) continue;
    good++;
  }
  const n = r.ok.length;
  return {
    ttftSeconds: slo.ttftSeconds,
    tpotSeconds: slo.tbtSeconds,
    e2eSeconds: slo.e2eSeconds,
    requests: n,
    goodRequests: good,
    ratio: n ? good / n : null,
    requestsPerSecond: run.durationSeconds ? good / run.durationSeconds : null,
  };
}

// ───────────────────────────── the join ─────────────────────────────

/**
 * Load verdict thresholds (judgement calls, docs/clients.md): a queue on average, or the batch at its
 * cap, is saturation; KV usage above 80% or the batch above half its cap is a busy server; less is a
 * server the run did not load.
 */
export const LOAD = { saturatedWaitingMean: 1, busyKvRatio: 0.8, busyRunningShareOfCap: 0.5 };

/** UTC offsets in use (minutes), for placing a zone-less local time. */
const OFFSETS: number[] = [];
for (let m = -12 * 60; m <= 14 * 60; m += 15) OFFSETS.push(m);

/** Relative difference between the client's and the server's request counts above which a zone-less run is not placed. */
export const MAX_PLACEMENT_MISMATCH = 0.5;

interface Placement {
  start: number;
  end: number;
  alignment: string;
  confidence: 'low' | 'medium' | 'high';
  notes: string[];
}

function fmtOffset(min: number): string {
  const s = min < 0 ? '-' : '+';
  const a = Math.abs(min);
  return `UTC${s}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** The server's finished requests between t0 and t1 (one scrape either side, so no request of the run falls out). */
function serverRequests(view: AnalysisView, t0: number, t1: number): number | null {
  return totalBetween(view, 'vllm:request_success_total', FLEET, t0 - view.step, t1 + view.step);
}

/**
 * `serverRequests` for a window that may stick out of the data: counted over the part inside and scaled
 * to the whole, so that a window cut short by the data's edge does not look like a closer match.
 */
function serverRequestsScaled(view: AnalysisView, t0: number, t1: number): number | null {
  const a = t0 - view.step;
  const b = t1 + view.step;
  const ca = Math.max(a, view.start);
  const cb = Math.min(b, view.end);
  if (!(cb > ca)) return null;
  const n = totalBetween(view, 'vllm:request_success_total', FLEET, ca, cb);
  return n === null ? null : (n * (b - a)) / (cb - ca);
}

function place(run: ClientRunInput, view: AnalysisView, completed: number | null): Placement | { failed: true } | null {
  const dur = run.durationSeconds;
  if (run.startSeconds !== null || run.endSeconds !== null) {
    const start = run.startSeconds ?? run.endSeconds! - (dur ?? 0);
    const end = run.endSeconds ?? start + (dur ?? 0);
    const given = run.notes.includes('utc-offset-given');
    return { start, end, alignment: given ? `the file's local time ${run.dateText ?? ''} at the --client-utc-offset given`.replace('  ', ' ') : 'wall-clock times in the file', confidence: 'high', notes: [] };
  }
  const ne = run.naiveEndSeconds ?? (run.naiveStartSeconds !== null && dur !== null ? run.naiveStartSeconds + dur : null);
  const ns = run.naiveStartSeconds ?? (ne !== null && dur !== null ? ne - dur : null);
  if (ne === null || ns === null) return null;
  const lo = view.start - view.step;
  const hi = view.end + view.step;
  const cands: { off: number; start: number; end: number; score: number }[] = [];
  for (const off of OFFSETS) {
    const start = ns - off * 60;
    const end = ne - off * 60;
    if (start < lo || end > hi) continue;
    const server = view.has('vllm:request_success_total') ? serverRequestsScaled(view, start, end) : null;
    const score = server === null || !completed ? NaN : Math.abs(server - completed) / completed;
    cands.push({ off, start, end, score });
  }
  if (!cands.length) return null;
  const scored = cands.filter((c) => Number.isFinite(c.score)).sort((a, b) => a.score - b.score || Math.abs(a.off) - Math.abs(b.off));
  const notes: string[] = [];
  let best: (typeof cands)[number];
  let confidence: Placement['confidence'];
  if (!scored.length) {
    if (cands.length > 1) return null;
    best = cands[0];
    confidence = 'low';
    notes.push('no-request-counter');
  } else {
    best = scored[0];
    // Off by more than half at the best offset: the client's requests are not what the server counted
    // there (heavy other traffic, another deployment): no placement is better than a wrong one.
    if (best.score > MAX_PLACEMENT_MISMATCH) return { failed: true };
    const second = scored[1];
    confidence = best.score <= 0.1 && (!second || second.score >= 0.5) ? 'medium' : 'low';
    if (second && second.score < 0.5) notes.push('alignment-ambiguous');
  }
  const how = scored.length ? `, the offset at which the server counted the client's ${completed} requests most closely` : '';
  return { start: best.start, end: best.end, alignment: `the file's local time ${run.dateText ?? iso(ne)} read at ${fmtOffset(best.off)} (the file has no zone${how})`, confidence, notes };
}

function joinOf(run: ClientRunInput, lat: ClientLatencyStat[], view: AnalysisView, completed: number | null): ClientServerJoin | null {
  const p = place(run, view, completed);
  if (!p || 'failed' in p) return null;
  const notes = [...p.notes];
  const sr = serverRequests(view, p.start, p.end);
  const a = p.start - view.step;
  const b = p.end + view.step;
  const sTtft = histogramMeanBetween(view, 'vllm:time_to_first_token_seconds', FLEET, a, b);
  const sE2e = histogramMeanBetween(view, 'vllm:e2e_request_latency_seconds', FLEET, a, b);
  const cTtft = lat.find((l) => l.metric === 'ttft')?.meanSeconds ?? null;
  const cE2e = lat.find((l) => l.metric === 'e2el')?.meanSeconds ?? null;
  if (sTtft === null) notes.push('no-server-ttft');
  const ttftOverhead = cTtft !== null && sTtft !== null ? cTtft - sTtft : null;
  if (ttftOverhead !== null && ttftOverhead < 0) notes.push('negative-ttft-overhead');
  if (sr !== null && completed) {
    if (sr < 0.9 * completed) notes.push('server-counted-fewer');
    else if (sr > 1.1 * completed) notes.push('server-counted-more');
  }
  // Load, per replica: the most loaded replica speaks for "did the run load the server".
  let best: { scope: string; wMean: number | null; wMax: number | null; rMean: number | null; rMax: number | null; cap: number | null; kv: number | null; share: number } | null = null;
  const scopes = view.replicas.length ? view.replicas : [FLEET];
  const [i0, i1] = gridRange(view, p.start, p.end);
  for (const scope of scopes) {
    const w = statsBetween(view, view.gauge('vllm:num_requests_waiting', scope, 'sum'), p.start, p.end);
    const r = statsBetween(view, view.gauge('vllm:num_requests_running', scope, 'sum'), p.start, p.end);
    const kv = statsBetween(view, view.gauge('vllm:kv_cache_usage_perc', scope, 'max'), p.start, p.end);
    const cap = scope === FLEET ? (view.num('max_num_seqs') ?? null) : (view.readNum(scope, 'max_num_seqs', p.end) ?? null);
    const share = r.mean !== null ? (cap ? r.mean / cap : r.mean) : -1;
    if (!best || share > best.share) best = { scope, wMean: w.mean, wMax: w.max, rMean: r.mean, rMax: r.max, cap, kv: kv.max, share };
  }
  let load: ClientServerJoin['load'] = 'unknown';
  if (i1 < i0) notes.push('window-shorter-than-step');
  else if (best && (best.wMean !== null || best.rMean !== null)) {
    if ((best.wMean ?? 0) >= LOAD.saturatedWaitingMean || (best.cap !== null && best.rMax !== null && best.rMax >= best.cap)) load = 'saturated';
    else if ((best.kv ?? 0) >= LOAD.busyKvRatio || (best.cap !== null && best.rMean !== null && best.rMean >= LOAD.busyRunningShareOfCap * best.cap)) load = 'busy';
    else load = 'light';
  }
  if (view.replicas.length > 1) notes.push(`most-loaded-of:${view.replicas.length}`);
  return {
    windowStartSeconds: p.start,
    windowEndSeconds: p.end,
    alignment: p.alignment,
    alignmentConfidence: p.confidence,
    scope: best?.scope ?? FLEET,
    clientRequests: completed,
    serverRequests: sr,
    clientTtftMeanSeconds: cTtft,
    serverTtftMeanSeconds: sTtft,
    ttftOverheadMeanSeconds: ttftOverhead,
    clientE2eMeanSeconds: cE2e,
    serverE2eMeanSeconds: sE2e,
    e2eOverheadMeanSeconds: cE2e !== null && sE2e !== null ? cE2e - sE2e : null,
    waitingMean: best?.wMean ?? null,
    waitingMax: best?.wMax ?? null,
    runningMean: best?.rMean ?? null,
    runningMax: best?.rMax ?? null,
    maxNumSeqs: best?.cap ?? null,
    kvUsageMaxRatio: best?.kv ?? null,
    load,
    notes,
  };
}

export function clientRun(run: ClientRunInput, view: AnalysisView | null, slo: SloTargets): ClientRun {
  const notes = [...run.notes];
  const latency = latencyOf(run, notes);
  const r = run.requests;
  let completed = run.completed;
  let failed = run.failed;
  if (r && completed === null) {
    completed = 0;
    for (const x of r.ok) completed += x;
  }
  if (r && failed === null) failed = r.ok.length - (completed ?? 0);
  const dur = run.durationSeconds;
  const rate = (x: number | null) => (x !== null && dur ? x / dur : null);
  const total = run.inputTokens !== null && run.outputTokens !== null ? run.inputTokens + run.outputTokens : null;
  const goodput = goodputOf(run, slo, notes);
  const hasMetrics = view !== null && view.grid.length > 1;
  const join = hasMetrics ? joinOf(run, latency, view, completed) : null;
  if (hasMetrics && !join) {
    const p = run.startSeconds === null && run.naiveEndSeconds === null && run.naiveStartSeconds === null ? null : place(run, view, completed);
    notes.push(p === null ? (run.startSeconds === null && run.naiveEndSeconds === null && run.naiveStartSeconds === null ? 'no-wall-clock-time' : 'outside-metrics-window') : 'placement-failed');
  }
  return {
    file: run.file,
    tool: run.tool,
    layout: run.layout,
    label: run.label,
    model: run.model,
    backend: run.backend,
    dateText: run.dateText,
    startSeconds: join?.windowStartSeconds ?? run.startSeconds,
    endSeconds: join?.windowEndSeconds ?? run.endSeconds,
    durationSeconds: dur,
    requestRate: run.requestRate,
    maxConcurrency: run.maxConcurrency,
    completed,
    failed,
    inputTokens: run.inputTokens,
    outputTokens: run.outputTokens,
    requestsPerSecond: run.requestsPerSecond ?? rate(completed),
    outputTokensPerSecond: run.outputTokensPerSecond ?? rate(run.outputTokens),
    totalTokensPerSecond: run.totalTokensPerSecond ?? rate(total),
    reportedGoodputPerSecond: run.reportedGoodputPerSecond,
    latency,
    goodput,
    join,
    notes: [...new Set(notes)],
  };
}

/** The Result's client section: every run, with the join where server metrics cover it. */
export function clientSection(runs: readonly ClientRunInput[], view: AnalysisView | null, slo: SloTargets): ClientSection {
  return { runs: runs.map((r) => clientRun(r, view, slo)) };
}
