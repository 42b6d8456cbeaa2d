// What a fetch asks the server for: one task per metric name (raw range selectors, or the
// --aggregate expressions), split into chunks of at most 11,000 steps; and how aggregated rates
// are turned back into counters.

import { resolveMetricName } from '../model/metric-catalog.js';
import { GROUPS, type Discovery, type SourceGroup } from './discovery.js';
import type { FetchOptions } from './options.js';

export interface Task {
  group: SourceGroup;
  /** Expression, without the range or time. */
  expr: string;
  /** How the result series are turned into export series. */
  kind: 'raw' | 'gauge' | 'counter';
  /** Name and extra labels given to aggregated results. */
  rename?: string;
  addLabels?: Record<string, string>;
  seriesCount: number;
}

/**
 * Chunks of one expression, each at most `maxSteps` steps.
 * - 'grid' (query_range): evaluation points a, a+step, … ≤ b, so (b − a)/step ≤ maxSteps − 1 < 11,000;
 *   consecutive chunks continue the same grid (next a = b + step).
 * - 'raw' (range selectors): contiguous windows [start, b₀], (b₀, b₁], … — `a` is the previous `b`,
 *   excluded (`first` tells the one chunk whose start is included).
 */
export function chunkWindows(start: number, end: number, step: number, maxSteps: number, mode: 'grid' | 'raw' = 'grid'): { a: number; b: number; first: boolean }[] {
  const out: { a: number; b: number; first: boolean }[] = [];
  const startMs = Math.round(start * 1000);
  const endMs = Math.round(end * 1000);
  const stepMs = Math.max(1, Math.round(step * 1000));
  const spanMs = Math.max(1, maxSteps) * stepMs;
  if (mode === 'raw') {
    for (let a = startMs; ; a += spanMs) {
      const b = Math.min(endMs, a + spanMs);
      out.push({ a: a / 1000, b: b / 1000, first: a === startMs });
      if (b >= endMs) break;
    }
    return out;
  }
  for (let a = startMs; a <= endMs; a += spanMs) {
    const b = Math.min(endMs, a + spanMs - stepMs);
    out.push({ a: a / 1000, b: b / 1000, first: a === startMs });
    if (b === endMs) break;
  }
  return out;
}

function withSelector(name: string, selector: string): string {
  return `{__name__=${JSON.stringify(name)}${selector ? `,${selector}` : ''}}`;
}

function kindOf(name: string): 'histogram-bucket' | 'histogram-part' | 'counter' | 'gauge' | 'info' {
  const r = resolveMetricName(name);
  if (r.entry) {
    if (r.entry.kind === 'histogram') return r.part === 'bucket' ? 'histogram-bucket' : 'histogram-part';
    if (r.entry.kind === 'counter') return 'counter';
    if (r.entry.kind === 'info') return 'info';
    return 'gauge';
  }
  if (name.endsWith('_bucket')) return 'histogram-bucket';
  if (/_(sum|count)$/.test(name)) return 'histogram-part';
  if (name.endsWith('_total')) return 'counter';
  if (name.endsWith('_info')) return 'info';
  return 'gauge';
}

/** Gauges whose worst replicas are kept with --aggregate (per-step topk). */
const TOPK_GAUGES = new Set(['vllm:kv_cache_usage_perc', 'vllm:num_requests_waiting', 'vllm:num_requests_running', 'process_resident_memory_bytes', 'DCGM_FI_DEV_GPU_UTIL']);
/** Labels that tell replicas/devices apart; aggregation drops them. */
const REPLICA_LABELS = ['instance', 'pod', 'pod_name', 'container', 'engine', 'Hostname', 'hostname', 'node', 'gpu', 'UUID', 'device', 'job', 'namespace', 'service', 'endpoint'];

export function aggregateTasks(d: Discovery, o: FetchOptions, rateWindow: string): Task[] {
  const tasks: Task[] = [];
  const sel = o.selector;
  for (const g of GROUPS) {
    for (const name of d.found[g].keys()) {
      const x = withSelector(name, sel);
      const by = (extra: string[]) => `by (${['model_name', ...extra].join(', ')})`;
      switch (kindOf(name)) {
        case 'histogram-bucket':
          tasks.push({ group: g, expr: `sum ${by(['le'])} (rate(${x}[${rateWindow}]))`, kind: 'counter', rename: name, addLabels: { aggregation: 'sum' }, seriesCount: 0 });
          break;
        case 'histogram-part':
        case 'counter':
          tasks.push({ group: g, expr: `sum ${by(['finished_reason'])} (rate(${x}[${rateWindow}]))`, kind: 'counter', rename: name, addLabels: { aggregation: 'sum' }, seriesCount: 0 });
          break;
        case 'info':
          tasks.push({ group: g, expr: `max without (${REPLICA_LABELS.join(', ')}) (${x})`, kind: 'gauge', rename: name, addLabels: { aggregation: 'max' }, seriesCount: 0 });
          break;
        case 'gauge': {
          tasks.push({ group: g, expr: `avg ${by([])} (${x})`, kind: 'gauge', rename: name, addLabels: { aggregation: 'avg' }, seriesCount: 0 });
          const canonical = resolveMetricName(name).name;
          if (TOPK_GAUGES.has(canonical)) tasks.push({ group: g, expr: `topk(${o.topk}, ${x})`, kind: 'gauge', rename: name, addLabels: { aggregation: `topk${o.topk}` }, seriesCount: 0 });
          break;
        }
      }
    }
  }
  return tasks;
}

export function rawTasks(d: Discovery, o: FetchOptions): Task[] {
  const tasks: Task[] = [];
  for (const g of GROUPS) for (const [name, n] of d.found[g]) tasks.push({ group: g, expr: withSelector(name, o.selector), kind: 'raw', seriesCount: n });
  return tasks;
}

/** Integrate a per-second rate sampled every `step` seconds into a cumulative counter starting at 0. */
export function integrateRate(v: Float64Array, step: number): Float64Array {
  const out = new Float64Array(v.length);
  let c = 0;
  for (let i = 0; i < v.length; i++) {
    if (i > 0 && v[i] === v[i] && v[i] > 0) c += v[i] * step;
    out[i] = c;
  }
  return out;
}
