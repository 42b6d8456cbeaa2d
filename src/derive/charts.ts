// Chart specs for the report: per finding, the series that shows it (in the finding's scope) with the
// finding's window and the matching anomaly episodes shaded, plus one fleet overview. Pure data: the
// SVG is drawn by src/report/svg.ts. Series are block-averaged to at most MAX_CHART_POINTS points.

import type { AnomalyEpisode, Finding } from '../model/result.js';
import type { FindingCode } from '../model/vocabulary.js';
import { FINDING_TITLES } from '../model/catalog.js';
import { combine, FLEET, type AnalysisView, type Scope } from './view.js';
import type { HistogramName, MetricName } from '../model/metric-catalog.js';
import type { ChartSpec } from '../model/chart-spec.js';

export type { ChartSpec };


/** Points per drawn series: an 800-px-wide chart shows no more. */
export const MAX_CHART_POINTS = 240;

const MIB = 1024 * 1024;

/**
 * A series drawn on the chart. `unit` differing from the chart's unit puts it on the right axis;
 * the renderer reads that from the label suffix ` [unit]` (see src/report/svg.ts).
 */
interface Line {
  label: string;
  /** Key of the series in AnomalyEpisode.metric, when anomalies are computed on it. */
  metric?: string;
  values: Float64Array;
}

/** Block means ignoring NaN on the view's grid (t = mean of the block's grid times); NaN → null. */
export function downsample(grid: ArrayLike<number>, values: ArrayLike<number>, maxPoints = MAX_CHART_POINTS): { t: number[]; v: (number | null)[] } {
  const n = Math.min(grid.length, values.length);
  const factor = Math.max(1, Math.ceil(n / Math.max(1, maxPoints)));
  const t: number[] = [];
  const v: (number | null)[] = [];
  for (let start = 0; start < n; start += factor) {
    const end = Math.min(n, start + factor);
    let ts = 0;
    let s = 0;
    let k = 0;
    for (let i = start; i < end; i++) {
      ts += grid[i];
      const x = values[i];
      if (x === x) {
        s += x;
        k++;
      }
    }
    t.push(ts / (end - start));
    v.push(k ? s / k : null);
  }
  return { t, v };
}

/** A scope as a file-name part: lowercase [a-z0-9-], no leading/trailing/double dashes. */
export function sanitizeScope(scope: string): string {
  const s = scope
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');
  return s || 'scope';
}

const TTFT = 'vllm:time_to_first_token_seconds';
const ITL = 'vllm:inter_token_latency_seconds';
const E2E = 'vllm:e2e_request_latency_seconds';

function kv(view: AnalysisView, scope: Scope, right: boolean): Line | null {
  const v = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
  return v && { label: right ? 'KV cache usage [ratio]' : 'KV cache usage', metric: 'vllm:kv_cache_usage_perc', values: v };
}
function waiting(view: AnalysisView, scope: Scope): Line | null {
  const v = view.gauge('vllm:num_requests_waiting', scope, 'sum');
  return v && { label: 'waiting requests', metric: 'vllm:num_requests_waiting', values: v };
}
function running(view: AnalysisView, scope: Scope): Line | null {
  const v = view.gauge('vllm:num_requests_running', scope, 'sum');
  return v && { label: 'running requests', metric: 'vllm:num_requests_running', values: v };
}
function ttftP95(view: AnalysisView, scope: Scope, right: boolean): Line | null {
  const v = view.quantileSeries(TTFT, 0.95, scope);
  return v && { label: right ? 'TTFT p95 [s]' : 'TTFT p95', metric: `p95 ${TTFT}`, values: v };
}
function genRate(view: AnalysisView, scope: Scope): Line | null {
  const v = view.rate('vllm:generation_tokens_total', scope);
  return v && { label: 'generation tokens/s', metric: 'rate(vllm:generation_tokens_total)', values: v };
}

interface Plan {
  unit: string;
  lines: Line[];
  threshold?: { value: number; label: string };
}

const present = (...l: (Line | null)[]): Line[] => l.filter((x): x is Line => x !== null);

/** The worst latency of a LATENCY_SLO_BREACH finding (by p95 / target), TTFT by default. */
function breachedLatency(view: AnalysisView, f: Finding): { metric: HistogramName; target: number; name: string } {
  const k = String(f.evidence.worst ?? 'ttft');
  if (k === 'tbt') return { metric: ITL, target: view.slo.tbtSeconds, name: 'time between tokens' };
  if (k === 'e2e') return { metric: E2E, target: view.slo.e2eSeconds, name: 'end-to-end latency' };
  return { metric: TTFT, target: view.slo.ttftSeconds, name: 'TTFT' };
}

/** One line per replica of a gauge (replicas differ: a fleet average would hide the one that was full). */
function perReplica(view: AnalysisView, replicas: readonly string[], name: MetricName, agg: 'sum' | 'avg', label: string): Line[] {
  return replicas.slice(0, 8).flatMap((r) => {
    const v = view.gauge(name, r, agg);
    return v ? [{ label: `${label} ${r}`, values: v }] : [];
  });
}

type Planner = ((view: AnalysisView, f: Finding, scope: Scope) => Plan | null) | null;

/** Finished requests/s of a capacity finding's replicas together, against the group's capacity at the targets. */
function demandPlan(view: AnalysisView, f: Finding): Plan {
  const parts = f.replicas.map((r) => view.rate('vllm:request_success_total', r) ?? view.rate('vllm:e2e_request_latency_seconds_count', r)).filter((x): x is Float64Array => x !== null);
  const cap = typeof f.evidence.groupCapacityRequestsPerSecond === 'number' ? f.evidence.groupCapacityRequestsPerSecond : null;
  return {
    unit: 'requests/s',
    lines: parts.length ? [{ label: 'finished requests/s', values: combine(parts, 'sum') }] : [],
    ...(cap !== null ? { threshold: { value: cap, label: 'capacity at the targets' } } : {}),
  };
}

/** What each finding's chart shows (null: no chart, e.g. profile findings). */
export const CHART_PLANS = {
  CONFIG_DRIFT: (view, f) => {
    const model = String(f.evidence.model ?? '');
    const reps = view.timeline.replicas.filter((r) => (r.model ?? '') === model || model === '').map((r) => r.replica);
    return { unit: 'ratio', lines: perReplica(view, reps, 'vllm:kv_cache_usage_perc', 'avg', 'KV cache usage') };
  },
  KV_CACHE_THRASHING: (view, _f, scope) => {
    const pre = view.rate('vllm:num_preemptions_total', scope);
    return { unit: 'ratio', lines: present(kv(view, scope, false), pre && { label: 'preemptions [1/s]', metric: 'rate(vllm:num_preemptions_total)', values: pre }) };
  },
  QUEUE_BUILDUP: (view, _f, scope) => ({ unit: 'requests', lines: present(waiting(view, scope), ttftP95(view, scope, true)) }),
  PREFILL_STARVATION: (view, _f, scope) => ({ unit: 'requests', lines: present(waiting(view, scope), ttftP95(view, scope, true)) }),
  LATENCY_SLO_BREACH: (view, f, scope) => {
    const b = breachedLatency(view, f);
    const v = view.quantileSeries(b.metric, 0.95, scope);
    return { unit: 's', lines: present(v && { label: `${b.name} p95`, metric: `p95 ${b.metric}`, values: v }), threshold: { value: b.target, label: `${b.name} target` } };
  },
  GPU_UNDERUTILIZED: (view, _f, scope) => ({ unit: 'requests', lines: present(running(view, scope), kv(view, scope, true)) }),
  MEMORY_LEAK: (view, _f, scope) => {
    const lines: Line[] = [];
    for (const s of view.series('process_resident_memory_bytes', scope).slice(0, 8)) {
      const a = view.aligned(s);
      const mib = new Float64Array(a.length);
      for (let i = 0; i < a.length; i++) mib[i] = a[i] / MIB;
      lines.push({ label: 'resident memory', values: mib });
    }
    return { unit: 'MiB', lines };
  },
  PREFIX_CACHE_MISSES: (view, _f, scope) => {
    const hits = view.rate('vllm:prefix_cache_hits_total', scope);
    const queries = view.rate('vllm:prefix_cache_queries_total', scope);
    if (!hits || !queries) return null;
    const ratio = new Float64Array(hits.length);
    for (let i = 0; i < ratio.length; i++) ratio[i] = queries[i] > 0 ? hits[i] / queries[i] : NaN;
    return { unit: 'ratio', lines: [{ label: 'prefix cache hit ratio', values: ratio }] };
  },
  KV_SWAPPING: (view, _f, scope) => {
    const v = view.gauge('vllm:num_requests_swapped', scope, 'sum');
    return { unit: 'requests', lines: present(v && { label: 'swapped requests', values: v }) };
  },
  THROUGHPUT_DROP: (view, _f, scope) => ({ unit: 'tokens/s', lines: present(genRate(view, scope)) }),
  REPLICA_RESTART: (view, _f, scope) => ({ unit: 'tokens/s', lines: present(genRate(view, scope)) }),
  OOM_RISK: null,
  REPLICA_SLOWDOWN: (view) => {
    const lines: Line[] = [];
    for (const r of view.replicas.slice(0, 8)) {
      const v = view.quantileSeries(ITL, 0.5, r);
      if (v) lines.push({ label: `ITL p50 ${r}`, values: v });
    }
    return { unit: 's', lines };
  },
  UNEXPLAINED_ANOMALY: (view, f, scope) => {
    const m = String(f.evidence.metric ?? '');
    if (m.includes('waiting')) return { unit: 'requests', lines: present(waiting(view, scope)) };
    if (m.includes('preemption')) {
      const pre = view.rate('vllm:num_preemptions_total', scope);
      return { unit: '1/s', lines: present(pre && { label: 'preemptions/s', values: pre }) };
    }
    const metric = m.includes('inter_token') ? ITL : m.includes('e2e') ? E2E : TTFT;
    const v = view.quantileSeries(metric, 0.95, scope);
    return { unit: 's', lines: present(v && { label: `p95 ${metric.replace('vllm:', '')}`, values: v }) };
  },
  CAPACITY_HEADROOM_LOW: (view, f) => demandPlan(view, f),
  OVERPROVISIONED: (view, f) => demandPlan(view, f),
  COMMUNICATION_BOUND: null,
  GPU_IDLE_GAPS: null,
  ATTENTION_BOUND: null,
  GEMM_BOUND: null,
} satisfies Record<FindingCode, Planner>;

function shadedFor(scope: Scope, lines: Line[], anomalies: AnomalyEpisode[], episodes: readonly { startSeconds: number; endSeconds: number }[] = []): ChartSpec['shaded'] {
  const out: ChartSpec['shaded'] = [];
  for (const e of episodes) out.push({ startSeconds: e.startSeconds, endSeconds: e.endSeconds, label: 'episode' });
  const metrics = new Set(lines.flatMap((l) => (l.metric ? [l.metric] : [])));
  for (const a of anomalies) {
    if (a.scope !== scope || !metrics.has(a.metric)) continue;
    out.push({ startSeconds: a.startSeconds, endSeconds: a.endSeconds, label: `anomaly: ${a.metric} ${a.direction}` });
  }
  return out;
}

function toSeries(view: AnalysisView, lines: Line[]): ChartSpec['series'] {
  return lines.map((l) => ({ label: l.label, ...downsample(view.grid, l.values) }));
}

/** Chart specs: one per finding that has a fitting series, then the fleet overview. */
export function chartSpecs(view: AnalysisView, findings: Finding[], anomalies: AnomalyEpisode[], name: string): ChartSpec[] {
  const out: ChartSpec[] = [];
  if (view.grid.length < 2) return out;
  const used = new Set<string>();
  const fileName = (stem: string): string => {
    let f = `${stem}.svg`;
    for (let i = 2; used.has(f); i++) f = `${stem}-${i}.svg`;
    used.add(f);
    return f;
  };
  for (const f of findings) {
    if (f.causedBy && !f.causedBy.startsWith('CONFIG_DRIFT')) continue;
    const planner = CHART_PLANS[f.code] as Planner;
    const scope = f.replicas.length === 1 ? f.replicas[0] : FLEET;
    const p = planner ? planner(view, f, scope) : null;
    if (!p || p.lines.length === 0) continue;
    const spec: ChartSpec = {
      file: fileName(`${name}-${f.code.toLowerCase()}-${sanitizeScope(f.scope)}`),
      title: `${FINDING_TITLES[f.code]} (${f.scope})`,
      finding: f.id,
      scope: f.scope,
      unit: p.unit,
      series: toSeries(view, p.lines),
      shaded: shadedFor(scope, p.lines, anomalies, f.episodes),
    };
    if (p.threshold) spec.threshold = p.threshold;
    out.push(spec);
  }
  if (view.replicas.length > 1) {
    const kvLines = perReplica(view, view.replicas, 'vllm:kv_cache_usage_perc', 'avg', 'KV cache usage');
    if (kvLines.length) out.push({ file: fileName(`${name}-overview-kv`), title: 'KV cache usage per replica', scope: FLEET, unit: 'ratio', series: toSeries(view, kvLines), shaded: [] });
    const wLines = perReplica(view, view.replicas, 'vllm:num_requests_waiting', 'sum', 'waiting');
    if (wLines.length) out.push({ file: fileName(`${name}-overview-waiting`), title: 'Waiting requests per replica', scope: FLEET, unit: 'requests', series: toSeries(view, wLines), shaded: [] });
    return out;
  }
  const overview = present(waiting(view, FLEET), running(view, FLEET), kv(view, FLEET, true), ttftP95(view, FLEET, true));
  if (overview.length) {
    out.push({
      file: fileName(`${name}-overview`),
      title: 'Fleet overview',
      scope: FLEET,
      unit: 'requests',
      series: toSeries(view, overview),
      shaded: shadedFor(FLEET, overview, anomalies),
    });
  }
  return out;
}
