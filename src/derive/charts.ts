// Chart specs for the report: per finding, the series that shows it (in the finding's scope) with the
// finding's window and the matching anomaly episodes shaded, plus one fleet overview. Pure data: the
// SVG is drawn by src/report/svg.ts. Series are block-averaged to at most MAX_CHART_POINTS points.

import type { AnomalyEpisode, Finding } from '../model/result.js';
import { FLEET, type AnalysisView, type Scope } from './view.js';

export interface ChartSpec {
  file: string;
  title: string;
  finding?: string;
  scope: string;
  unit: string;
  series: { label: string; t: number[]; v: (number | null)[] }[];
  shaded: { startSeconds: number; endSeconds: number; label: string }[];
  threshold?: { value: number; label: string };
}

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
function breachedLatency(view: AnalysisView, f: Finding): { key: 'ttft' | 'tbt' | 'e2e'; metric: string; target: number; name: string } {
  const opts = [
    { key: 'ttft' as const, metric: TTFT, target: view.slo.ttftSeconds, name: 'TTFT' },
    { key: 'tbt' as const, metric: ITL, target: view.slo.tbtSeconds, name: 'time between tokens' },
    { key: 'e2e' as const, metric: E2E, target: view.slo.e2eSeconds, name: 'end-to-end latency' },
  ];
  let best = opts[0];
  let bestRatio = -Infinity;
  for (const o of opts) {
    const p95 = f.evidence[`${o.key}P95Seconds`];
    const target = f.evidence[`${o.key}TargetSeconds`];
    if (typeof p95 !== 'number' || typeof target !== 'number' || !(target > 0)) continue;
    if (p95 / target > bestRatio) {
      bestRatio = p95 / target;
      best = { ...o, target };
    }
  }
  return best;
}

function plan(view: AnalysisView, f: Finding): Plan | null {
  const scope = f.scope;
  switch (f.code) {
    case 'KV_CACHE_THRASHING': {
      const pre = view.rate('vllm:num_preemptions_total', scope);
      return { unit: 'ratio', lines: present(kv(view, scope, false), pre && { label: 'preemptions [1/s]', metric: 'rate(vllm:num_preemptions_total)', values: pre }) };
    }
    case 'QUEUE_BUILDUP':
    case 'PREFILL_STARVATION':
      return { unit: 'requests', lines: present(waiting(view, scope), ttftP95(view, scope, true)) };
    case 'LATENCY_SLO_BREACH': {
      const b = breachedLatency(view, f);
      const v = view.quantileSeries(b.metric, 0.95, scope);
      return { unit: 's', lines: present(v && { label: `${b.name} p95`, metric: `p95 ${b.metric}`, values: v }), threshold: { value: b.target, label: `${b.name} target` } };
    }
    case 'GPU_UNDERUTILIZED':
      return { unit: 'requests', lines: present(running(view, scope), kv(view, scope, true)) };
    case 'MEMORY_LEAK': {
      const list = view.series('process_resident_memory_bytes', scope);
      const lines: Line[] = [];
      for (const s of list.slice(0, 8)) {
        const a = view.aligned(s);
        const mib = new Float64Array(a.length);
        for (let i = 0; i < a.length; i++) mib[i] = a[i] / MIB;
        const who = s.labels.instance ?? s.labels.pod ?? s.labels.job ?? '';
        lines.push({ label: who ? `resident memory ${who}` : 'resident memory', values: mib });
      }
      return { unit: 'MiB', lines };
    }
    case 'PREFIX_CACHE_MISSES': {
      const hits = view.rate('vllm:prefix_cache_hits_total', scope);
      const queries = view.rate('vllm:prefix_cache_queries_total', scope);
      if (!hits || !queries) return null;
      const ratio = new Float64Array(hits.length);
      for (let i = 0; i < ratio.length; i++) ratio[i] = queries[i] > 0 ? hits[i] / queries[i] : NaN;
      return { unit: 'ratio', lines: [{ label: 'prefix cache hit ratio', values: ratio }] };
    }
    case 'THROUGHPUT_DROP':
    case 'REPLICA_RESTART':
      return { unit: 'tokens/s', lines: present(genRate(view, scope)) };
    case 'REPLICA_SLOWDOWN': {
      const lines: Line[] = [];
      for (const r of view.replicas) {
        const v = view.quantileSeries(ITL, 0.5, r);
        if (v) lines.push({ label: `ITL p50 ${r}`, values: v });
      }
      return { unit: 's', lines };
    }
    default:
      return null;
  }
}

function shadedFor(scope: Scope, lines: Line[], anomalies: AnomalyEpisode[], window?: { startSeconds: number; endSeconds: number }): ChartSpec['shaded'] {
  const out: ChartSpec['shaded'] = [];
  if (window) out.push({ startSeconds: window.startSeconds, endSeconds: window.endSeconds, label: 'finding window' });
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
    const p = plan(view, f);
    if (!p || p.lines.length === 0) continue;
    const spec: ChartSpec = {
      file: fileName(`${name}-${f.code.toLowerCase()}-${sanitizeScope(f.scope)}`),
      title: `${f.title} (${f.scope})`,
      finding: f.code,
      scope: f.scope,
      unit: p.unit,
      series: toSeries(view, p.lines),
      shaded: shadedFor(f.scope, p.lines, anomalies, f.window),
    };
    if (p.threshold) spec.threshold = p.threshold;
    out.push(spec);
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
