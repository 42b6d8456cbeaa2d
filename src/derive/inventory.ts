// What was read, in numbers: series per canonical metric, time range and step, replicas, models,
// and per-metric min/mean/max. Pure function of the Artifacts.

import type { Artifacts } from '../model/artifacts.js';
import { catalogEntry } from '../model/metric-catalog.js';
import type { Series } from '../model/series.js';
import type { Inventory, MetricInventory, ReplicaId } from '../model/inventory.js';

export type { Inventory, MetricInventory, ReplicaId };

/** Median spacing between consecutive samples over all series (the scrape/step interval). */
export function typicalStep(series: readonly Series[]): number | null {
  const deltas: number[] = [];
  for (const s of series) {
    const n = s.t.length;
    // A few deltas per series is enough to find the scrape interval.
    for (let i = 1; i < n && i < 50; i++) deltas.push(s.t[i] - s.t[i - 1]);
    if (deltas.length > 20_000) break;
  }
  if (deltas.length === 0) return null;
  deltas.sort((a, b) => a - b);
  return deltas[Math.floor(deltas.length / 2)];
}

/** A running min, max and sum, continued series after series. */
interface Extent {
  min: number;
  max: number;
  sum: number;
}

// The extent is a state object read into locals and written back, not three numbers returned through a
// shared Float64Array: with the latter every call deoptimized at the stores after its loop (no type
// feedback when on-stack replacement compiled the loop) and ran part of its loop unoptimized, boxing a
// number per sample (110 MB of garbage on the week's Float64 series).

/** min, max and running sum continued over `v`. */
function extentInt32(v: Int32Array, e: Extent): void {
  // Integers: while every partial sum stays an integer within ±2^53 each addition is exact, so the sum
  // is the same in any order. Then four running sums (and min/max per lane) in place of one: the
  // additions no longer wait on each other (one pass over 141 M samples in the week analysis).
  if (Number.isInteger(e.sum) && Math.abs(e.sum) + v.length * 2 ** 31 <= 2 ** 53) {
    extentInt32Lanes(v, e);
    return;
  }
  let min = e.min;
  let max = e.max;
  let sum = e.sum;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  e.min = min;
  e.max = max;
  e.sum = sum;
}

function extentInt32Lanes(v: Int32Array, e: Extent): void {
  const n = v.length;
  if (n === 0) return;
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let lo0 = 2147483647;
  let lo1 = 2147483647;
  let hi0 = -2147483648;
  let hi1 = -2147483648;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    const a = v[i];
    const b = v[i + 1];
    const c = v[i + 2];
    const d = v[i + 3];
    s0 += a;
    s1 += b;
    s2 += c;
    s3 += d;
    const l = a < b ? a : b;
    const h = a < b ? b : a;
    const l2 = c < d ? c : d;
    const h2 = c < d ? d : c;
    if (l < lo0) lo0 = l;
    if (h > hi0) hi0 = h;
    if (l2 < lo1) lo1 = l2;
    if (h2 > hi1) hi1 = h2;
  }
  for (; i < n; i++) {
    const a = v[i];
    s0 += a;
    if (a < lo0) lo0 = a;
    if (a > hi0) hi0 = a;
  }
  const lo = lo0 < lo1 ? lo0 : lo1;
  const hi = hi0 > hi1 ? hi0 : hi1;
  if (lo < e.min) e.min = lo;
  if (hi > e.max) e.max = hi;
  e.sum = e.sum + s0 + s1 + s2 + s3;
}

function extentFloat64(v: Float64Array, e: Extent): void {
  let min = e.min;
  let max = e.max;
  let sum = e.sum;
  for (let i = 0; i < v.length; i++) {
    const x = v[i];
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  e.min = min;
  e.max = max;
  e.sum = sum;
}

export function replicaIdOf(labels: Readonly<Record<string, string>>): string {
  return labels.instance ?? labels.pod ?? (labels.engine !== undefined ? `engine ${labels.engine}` : 'default');
}

export function buildInventory(a: Artifacts): Inventory {
  const metrics: MetricInventory[] = [];
  for (const name of a.metrics.names()) {
    const list = a.metrics.get(name);
    let samples = 0;
    const ext: Extent = { min: Infinity, max: -Infinity, sum: 0 };
    for (const s of list) {
      samples += s.v.length;
      // One loop per storage type, so each stays monomorphic (the same additions in the same order).
      if (s.v instanceof Int32Array) extentInt32(s.v, ext);
      else extentFloat64(s.v as Float64Array, ext);
    }
    const { min, max, sum } = ext;
    const entry = catalogEntry(name);
    const finite = samples > 0 && Number.isFinite(min) && Number.isFinite(max);
    metrics.push({
      name,
      kind: entry ? (name.endsWith('_bucket') || name.endsWith('_sum') || name.endsWith('_count') ? `${entry.kind} part` : entry.kind) : 'unknown',
      // Bucket and count series count observations; only _sum carries the histogram's unit.
      unit: entry ? (/_(bucket|count)$/.test(name) && entry.kind === 'histogram' ? 'count' : entry.unit) : 'unknown',
      known: entry !== undefined,
      v0Only: entry?.v0Only ?? false,
      series: list.length,
      samples,
      min: samples ? min : null,
      mean: finite ? sum / samples : null,
      max: samples ? max : null,
    });
  }
  const replicas = new Map<string, ReplicaId>();
  const models = new Set<string>();
  const devices = new Set<string>();
  for (const s of a.metrics.series) {
    const l = s.labels;
    if (s.name.startsWith('vllm:')) {
      const id = replicaIdOf(l);
      if (!replicas.has(id)) {
        replicas.set(id, { id, instance: l.instance ?? null, engine: l.engine ?? null, modelName: l.model_name ?? null, job: l.job ?? null });
      }
      if (l.model_name) models.add(l.model_name);
    }
    if (s.name.startsWith('DCGM_')) devices.add(`${l.Hostname ?? l.instance ?? ''}${l.Hostname || l.instance ? ' ' : ''}gpu ${l.gpu ?? l.UUID ?? '?'}`);
  }
  const range = a.metrics.timeRange();
  const snapshotOnly = a.metrics.series.length > 0 && a.metrics.series.every((s) => s.t.length <= 1);
  return {
    window: range && !snapshotOnly ? { startSeconds: range.start, endSeconds: range.end, stepSeconds: typicalStep(a.metrics.series) } : null,
    seriesCount: a.metrics.series.length,
    sampleCount: a.metrics.sampleCount,
    metrics,
    replicas: [...replicas.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0)),
    models: [...models].sort(),
    devices: [...devices].sort(),
    snapshotOnly,
  };
}
