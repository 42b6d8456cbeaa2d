// `vllm-tune compare`: two windows — two sets of inputs, or one cut at `--split` — analysed alike
// (runAnalysis on each), then per metric and replica the change with a significance test on per-bin
// values, the findings resolved / new / persisting, the configuration changes, and the verdict
// (docs/capacity.md, "Compare").
//
// The test. Each side's values per 5-minute bin are autocorrelated (a queue that is long now is long in
// 5 minutes), so bins are not independent observations. They are grouped in consecutive blocks of
// L = ⌈(1 + ρ₁) / (1 − ρ₁)⌉ bins (ρ₁ the side's lag-1 autocorrelation: the bins that carry about one
// independent observation under AR(1)), and Welch's t test compares the block means of the two sides.

import type { Artifacts } from '../model/artifacts.js';
import { MetricSet, type Series } from '../model/series.js';
import type { Finding, Result } from '../model/result.js';
import { COMPARED_SETTINGS } from '../model/vocabulary.js';
import type { CompareResult, CompareSide, ConfigChange, FindingRef, MetricChange, MetricId, Regression } from '../model/compare-result.js';
import { CompareResultSchema } from '../model/compare-result.js';
import { runAnalysis, type AnalysisOptions } from '../engine.js';
import { AnalysisView, FLEET, type Scope } from '../derive/view.js';
import { resolveSlo } from '../derive/slo.js';
import { BIN_SECONDS, binsOf, counterBins, deviceGaugeBins, gaugeBins, histogramBins, setBinSeconds, sumNan } from '../derive/bins.js';
import { finishedBins } from '../derive/demand.js';
import { histogramQuantile } from '../stats/promql.js';
import { nanMean } from '../stats/summary.js';
import { blockLength, blockMeans, welch } from '../stats/regression.js';
import type { HistogramName } from '../model/metric-catalog.js';
import { VERSION } from '../version.js';

/** Significance level of the per-metric test. */
export const ALPHA = 0.05;
/** A significant change smaller than this (relative) is reported as unchanged. Judgement call: 10 % is what a reader acts on. */
export const MIN_RELATIVE_CHANGE = 0.1;
/** A bin's p95 needs this many observations (fewer: the bin is skipped for that metric). */
export const MIN_BIN_OBSERVATIONS = 20;

interface MetricDef {
  id: MetricId;
  unit: string;
  direction: MetricChange['direction'];
  /** Added before the log in the test: the metric's resolution (seconds per bin for rates are filled in by binFloor). */
  floor: number | 'per-bin';
  /** Per-bin values of a scope (NaN where unknown), or null when the metric is absent. */
  bins(view: AnalysisView, scope: Scope): Float64Array | null;
  /** Whole-side value. */
  whole(view: AnalysisView, scope: Scope): number | null;
  target?(slo: CompareResult['slo']): number;
}

/** Scopes' replicas: a replica itself, or every replica for the fleet. */
function members(view: AnalysisView, scope: Scope): Scope[] {
  return scope === FLEET ? view.replicas : [scope];
}

function perSecond(view: AnalysisView, scope: Scope, f: (r: Scope) => Float64Array | null): Float64Array | null {
  const parts = members(view, scope).map(f).filter((x): x is Float64Array => x !== null);
  if (!parts.length) return null;
  const w = binsOf(view).width;
  return sumNan(parts, binsOf(view).count).map((x) => x / w);
}

function wholeRate(view: AnalysisView, scope: Scope, f: (r: Scope) => Float64Array | null): number | null {
  return gaugeMean(perSecond(view, scope, f));
}

/** Mean of the bins with a value; null when none has one. */
function gaugeMean(a: Float64Array | null): number | null {
  const m = a ? nanMean(a) : NaN;
  return m === m ? m : null;
}

/** A gauge per bin of a scope: summed over replicas (`sum`) or averaged (`avg`). */
function gaugeScope(view: AnalysisView, scope: Scope, f: (r: Scope) => Float64Array | null, agg: 'sum' | 'avg'): Float64Array | null {
  const parts = members(view, scope).map(f).filter((x): x is Float64Array => x !== null);
  if (!parts.length) return null;
  const n = binsOf(view).count;
  const s = sumNan(parts, n);
  if (agg === 'sum') return s;
  const out = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let c = 0;
    for (const p of parts) if (p[k] === p[k]) c++;
    out[k] = c ? s[k] / c : NaN;
  }
  return out;
}

/** p95 per bin from the bucket increases of a scope's replicas (NaN with fewer than MIN_BIN_OBSERVATIONS). */
function p95Bins(view: AnalysisView, scope: Scope, base: HistogramName): Float64Array | null {
  const hs = members(view, scope).map((r) => histogramBins(view, base, r)).filter((x): x is NonNullable<typeof x> => x !== null);
  if (!hs.length) return null;
  const les = hs[0].les;
  const same = hs.filter((h) => h.les.length === les.length && h.les.every((x, i) => x === les[i]));
  const n = binsOf(view).count;
  const out = new Float64Array(n).fill(NaN);
  const counts = new Array<number>(les.length);
  for (let k = 0; k < n; k++) {
    counts.fill(0);
    let any = false;
    for (const h of same) {
      if (!(h.buckets[les.length - 1][k] === h.buckets[les.length - 1][k])) continue;
      any = true;
      for (let j = 0; j < les.length; j++) counts[j] += h.buckets[j][k] === h.buckets[j][k] ? h.buckets[j][k] : 0;
    }
    if (!any || !(counts[les.length - 1] >= MIN_BIN_OBSERVATIONS)) continue;
    const v = histogramQuantile(0.95, les, counts);
    if (Number.isFinite(v)) out[k] = v;
  }
  return out;
}

function wholeP95(view: AnalysisView, scope: Scope, base: HistogramName): number | null {
  return view.quantile(base, 0.95, scope)?.value ?? null;
}

const METRICS: MetricDef[] = [
  { id: 'requests-per-second', floor: 'per-bin', unit: 'requests/s', direction: 'neutral', bins: (v, s) => perSecond(v, s, (r) => finishedBins(v, r)), whole: (v, s) => wholeRate(v, s, (r) => finishedBins(v, r)) },
  { id: 'prompt-tokens-per-second', floor: 'per-bin', unit: 'tokens/s', direction: 'neutral', bins: (v, s) => perSecond(v, s, (r) => counterBins(v, 'vllm:prompt_tokens_total', r)), whole: (v, s) => wholeRate(v, s, (r) => counterBins(v, 'vllm:prompt_tokens_total', r)) },
  { id: 'output-tokens-per-second', floor: 'per-bin', unit: 'tokens/s', direction: 'neutral', bins: (v, s) => perSecond(v, s, (r) => counterBins(v, 'vllm:generation_tokens_total', r)), whole: (v, s) => wholeRate(v, s, (r) => counterBins(v, 'vllm:generation_tokens_total', r)) },
  { id: 'ttft-p95', floor: 0.001, unit: 'seconds', direction: 'lower-better', bins: (v, s) => p95Bins(v, s, 'vllm:time_to_first_token_seconds'), whole: (v, s) => wholeP95(v, s, 'vllm:time_to_first_token_seconds'), target: (slo) => slo.ttftSeconds },
  { id: 'tbt-p95', floor: 0.0001, unit: 'seconds', direction: 'lower-better', bins: (v, s) => p95Bins(v, s, 'vllm:inter_token_latency_seconds'), whole: (v, s) => wholeP95(v, s, 'vllm:inter_token_latency_seconds'), target: (slo) => slo.tbtSeconds },
  { id: 'e2e-p95', floor: 0.001, unit: 'seconds', direction: 'lower-better', bins: (v, s) => p95Bins(v, s, 'vllm:e2e_request_latency_seconds'), whole: (v, s) => wholeP95(v, s, 'vllm:e2e_request_latency_seconds'), target: (slo) => slo.e2eSeconds },
  { id: 'waiting', floor: 1, unit: 'requests', direction: 'lower-better', bins: (v, s) => gaugeScope(v, s, (r) => gaugeBins(v, 'vllm:num_requests_waiting', r, 'sum'), 'sum'), whole: (v, s) => gaugeMean(gaugeScope(v, s, (r) => gaugeBins(v, 'vllm:num_requests_waiting', r, 'sum'), 'sum')) },
  { id: 'preemptions-per-second', floor: 'per-bin', unit: '1/s', direction: 'lower-better', bins: (v, s) => perSecond(v, s, (r) => counterBins(v, 'vllm:num_preemptions_total', r)), whole: (v, s) => wholeRate(v, s, (r) => counterBins(v, 'vllm:num_preemptions_total', r)) },
  { id: 'kv-usage', floor: 0.01, unit: 'ratio', direction: 'neutral', bins: (v, s) => gaugeScope(v, s, (r) => gaugeBins(v, 'vllm:kv_cache_usage_perc', r, 'avg'), 'avg'), whole: (v, s) => gaugeMean(gaugeScope(v, s, (r) => gaugeBins(v, 'vllm:kv_cache_usage_perc', r, 'avg'), 'avg')) },
  { id: 'running', floor: 1, unit: 'requests', direction: 'neutral', bins: (v, s) => gaugeScope(v, s, (r) => gaugeBins(v, 'vllm:num_requests_running', r, 'sum'), 'sum'), whole: (v, s) => gaugeMean(gaugeScope(v, s, (r) => gaugeBins(v, 'vllm:num_requests_running', r, 'sum'), 'sum')) },
  { id: 'gpu-util', floor: 1, unit: 'percent', direction: 'neutral', bins: (v, s) => gaugeScope(v, s, (r) => deviceGaugeBins(v, 'DCGM_FI_DEV_GPU_UTIL', r), 'avg'), whole: (v, s) => gaugeMean(gaugeScope(v, s, (r) => deviceGaugeBins(v, 'DCGM_FI_DEV_GPU_UTIL', r), 'avg')) },
];

const finite = (a: Float64Array | null): number[] => (a ? Array.from(a).filter((x) => Number.isFinite(x)) : []);

/** Bins per side the test aims for (fewer when the grid step is coarse; bins never exceed BIN_SECONDS). */
export const TARGET_BINS = 60;

/**
 * The bin width both sides share: the shorter side cut in about TARGET_BINS bins, a whole number of grid
 * steps, at least one step and at most BIN_SECONDS (5 minutes: a week still gets its 5-minute bins).
 */
export function compareBinSeconds(a: AnalysisView, b: AnalysisView): number {
  const step = Math.max(a.step, b.step);
  const span = Math.min(a.end - a.start, b.end - b.start);
  const raw = Math.min(BIN_SECONDS, span / TARGET_BINS);
  return Math.max(step, Math.floor(raw / step) * step);
}

/** Blocks per side at least this many (the block length is capped to leave them). */
export const MIN_BLOCKS = 3;

/**
 * Welch's test on block means of ln(x + floor) of two per-bin series (null with fewer than 2 values on a
 * side). The block length of each side follows the AR(1) rule on the side's own logs (stats/regression.ts
 * blockLength): a queue that grows all window long reads as long memory, and gets long blocks.
 */
export function binTest(before: number[], after: number[], floor: number): MetricChange['test'] {
  if (before.length < 2 || after.length < 2 || !(floor > 0)) return null;
  const lb = before.map((x) => Math.log(Math.max(0, x) + floor));
  const la = after.map((x) => Math.log(Math.max(0, x) + floor));
  const Lb = blockLengthOf(lb);
  const La = blockLengthOf(la);
  const mb = blockMeans(lb, Lb);
  const ma = blockMeans(la, La);
  const w = welch(mb, ma);
  if (!w) return null;
  return { beforeBins: before.length, afterBins: after.length, beforeBlockBins: Lb, afterBlockBins: La, beforeBlocks: mb.length, afterBlocks: ma.length, floor, ratio: Math.exp(w.difference), ratioLow: Math.exp(w.low), ratioHigh: Math.exp(w.high), df: w.df, p: w.p };
}

function blockLengthOf(y: number[]): number {
  return blockLength(y, MIN_BLOCKS);
}

/** One metric in one scope, before vs after, with its assessment. */
export function compareMetric(def: MetricDef, a: AnalysisView, b: AnalysisView, scope: Scope, slo: CompareResult['slo']): MetricChange | null {
  const va = def.bins(a, scope);
  const vb = def.bins(b, scope);
  if (!va && !vb) return null;
  const before = def.whole(a, scope);
  const after = def.whole(b, scope);
  const change = before !== null && after !== null ? after - before : null;
  const relativeChange = change !== null && before !== null && before !== 0 ? change / Math.abs(before) : null;
  const floor = def.floor === 'per-bin' ? 1 / Math.max(binsOf(a).width, binsOf(b).width) : def.floor;
  const test = binTest(finite(va), finite(vb), floor);
  const significant = test !== null && test.p < ALPHA;
  const target = def.target?.(slo);
  const out: MetricChange = { metric: def.id, scope, unit: def.unit, direction: def.direction, before, after, change, relativeChange, test, significant, assessment: 'unchanged', ...(target !== undefined ? { targetSeconds: target } : {}) };
  if (before === null || after === null) {
    out.assessment = 'not-compared';
    return out;
  }
  if (before > 0 && after === 0) out.assessment = 'gone';
  else if (before === 0 && after > 0) out.assessment = significant ? 'appeared' : 'unchanged';
  else if (significant && relativeChange !== null && Math.abs(relativeChange) >= MIN_RELATIVE_CHANGE) {
    if (def.direction === 'neutral') out.assessment = 'changed';
    else out.assessment = (def.direction === 'lower-better') === change! < 0 ? 'improved' : 'regressed';
  }
  // A whole-side change a reader would act on that the per-bin test does not confirm (a change confined to
  // a few episodes, or too few blocks): said as such, never as "unchanged".
  if (out.assessment === 'unchanged' && !significant && (relativeChange !== null ? Math.abs(relativeChange) >= MIN_RELATIVE_CHANGE : before === 0 && after > 0)) out.assessment = 'not-significant';
  if (out.assessment === 'gone' && def.direction === 'higher-better') out.assessment = 'regressed';
  if (out.assessment === 'appeared' && def.direction === 'lower-better') out.assessment = 'regressed';
  if (out.assessment === 'appeared' && def.direction === 'higher-better') out.assessment = 'improved';
  if (out.assessment === 'gone' && def.direction === 'neutral') out.assessment = 'changed';
  if (out.assessment === 'appeared' && def.direction === 'neutral') out.assessment = 'changed';
  if (out.assessment === 'regressed') out.severity = target !== undefined && before <= target && after > target ? 'critical' : 'warning';
  return out;
}

const ref = (f: Finding): FindingRef => ({ id: f.id, code: f.code, scope: f.scope, replicas: f.replicas, severity: f.severity, ...(f.causedBy ? { causedBy: f.causedBy } : {}) });
const keyOf = (f: Finding) => `${f.code}@${f.replicas.length ? [...f.replicas].sort().join(',') : f.scope}`;
const SEV = { info: 0, warning: 1, critical: 2 } as const;

/** Findings matched by code and replica(s): resolved, new, persisting (with how the severity moved). */
export function matchFindings(before: readonly Finding[], after: readonly Finding[]): CompareResult['findings'] {
  const worst = (list: readonly Finding[]) => {
    const m = new Map<string, Finding>();
    for (const f of list) {
      const k = keyOf(f);
      const o = m.get(k);
      if (!o || SEV[f.severity] > SEV[o.severity]) m.set(k, f);
    }
    return m;
  };
  const a = worst(before);
  const b = worst(after);
  const resolved = [...a].filter(([k]) => !b.has(k)).map(([, f]) => ref(f));
  const added = [...b].filter(([k]) => !a.has(k)).map(([, f]) => ref(f));
  const persisting = [...a]
    .filter(([k]) => b.has(k))
    .map(([k, f]) => {
      const g = b.get(k)!;
      return { before: ref(f), after: ref(g), severity: SEV[g.severity] > SEV[f.severity] ? ('worse' as const) : SEV[g.severity] < SEV[f.severity] ? ('better' as const) : ('same' as const) };
    });
  return { resolved, new: added, persisting };
}

/** Settings that differ between the end of `before` and the end of `after` per replica, and changes inside each side. */
export function configChanges(a: AnalysisView, b: AnalysisView): ConfigChange[] {
  const out: ConfigChange[] = [];
  const shown = (v: { value: unknown; source: string; bound?: string } | undefined) => (v && !v.bound ? v : undefined);
  const same = (x: unknown, y: unknown) => String(x).toLowerCase() === String(y).toLowerCase();
  for (const r of b.replicas.filter((x) => a.replicas.includes(x))) {
    for (const s of COMPARED_SETTINGS) {
      const x = shown(a.settingAt(r, s, a.end));
      const y = shown(b.settingAt(r, s, b.end));
      if (!x && !y) continue;
      if (x && y && same(x.value, y.value)) continue;
      if (!x || !y) continue; // known on one side only: not a change we can state
      out.push({ replica: r, setting: s, before: x.value as ConfigChange['before'], after: y.value as ConfigChange['after'], beforeSource: x.source, afterSource: y.source });
    }
  }
  for (const [side, view] of [['before', a], ['after', b]] as const) {
    for (const rc of view.timeline.replicas) {
      for (let i = 1; i < rc.segments.length; i++) {
        const p = rc.segments[i - 1].values;
        const q = rc.segments[i].values;
        for (const s of COMPARED_SETTINGS) {
          const x = shown(p[s]);
          const y = shown(q[s]);
          if (x && y && !same(x.value, y.value)) out.push({ replica: rc.replica, setting: s, before: x.value as ConfigChange['before'], after: y.value as ConfigChange['after'], beforeSource: x.source, afterSource: y.source, within: side });
        }
      }
    }
  }
  return out;
}

function side(view: AnalysisView, artifacts: Artifacts, r: Result): CompareSide {
  return { inputs: artifacts.inputs, startSeconds: view.start, endSeconds: view.end, replicas: view.replicas, findings: r.findings.map(ref), warnings: r.warnings };
}

export interface CompareOptions extends Omit<AnalysisOptions, 'capacity'> {
  splitSeconds?: number;
}

/** Compare two sets of artifacts (before, after). */
export function compareArtifacts(before: Artifacts, after: Artifacts, o: CompareOptions): CompareResult {
  const slo = resolveSlo(o.slo);
  // The what-if replay of serve blocks is not part of a comparison (only findings are compared): skipped.
  const ra = runAnalysis(before, { ...o, name: `${o.name}-before`, whatIf: { enabled: false } });
  const rb = runAnalysis(after, { ...o, name: `${o.name}-after`, whatIf: { enabled: false } });
  const va = new AnalysisView(before.metrics, before.config, slo);
  const vb = new AnalysisView(after.metrics, after.config, slo);
  const width = compareBinSeconds(va, vb);
  setBinSeconds(va, width);
  setBinSeconds(vb, width);
  const common = vb.replicas.filter((r) => va.replicas.includes(r));
  const scopes = [FLEET, ...(common.length > 1 || (common.length === 1 && (va.replicas.length > 1 || vb.replicas.length > 1)) ? common : [])];
  const metrics: MetricChange[] = [];
  for (const scope of scopes) for (const def of METRICS) {
    const m = compareMetric(def, va, vb, scope, slo);
    if (m) metrics.push(m);
  }
  const findings = matchFindings(ra.findings, rb.findings);
  const fleet = metrics.filter((m) => m.scope === FLEET);
  const improved = fleet.filter((m) => m.assessment === 'improved' || (m.assessment === 'gone' && m.direction === 'lower-better')).map((m) => m.metric);
  const regressed = fleet.filter((m) => m.assessment === 'regressed').map((m) => m.metric);
  const anyImproved = improved.length > 0 || findings.resolved.length > 0 || findings.persisting.some((p) => p.severity === 'better');
  const anyWorse = metrics.some((m) => m.assessment === 'regressed') || findings.new.some((f) => f.severity !== 'info') || findings.persisting.some((p) => p.severity === 'worse');
  const tp = fleet.find((m) => m.metric === 'output-tokens-per-second') ?? fleet.find((m) => m.metric === 'requests-per-second');
  const throughput = !tp || tp.before === null || tp.after === null ? 'unknown' : tp.assessment === 'changed' || tp.assessment === 'gone' || tp.assessment === 'appeared' ? ((tp.change ?? 0) > 0 ? 'up' : 'down') : 'unchanged';
  const regressions: Regression[] = [
    ...metrics.filter((m) => m.assessment === 'regressed').map((m) => ({ kind: 'metric' as const, id: m.metric, scope: m.scope, severity: m.severity ?? ('warning' as const) })),
    ...findings.new.filter((f) => !f.causedBy).map((f) => ({ kind: 'finding' as const, id: f.id, scope: f.scope, severity: f.severity })),
    ...findings.persisting.filter((p) => p.severity === 'worse').map((p) => ({ kind: 'finding' as const, id: p.after.id, scope: p.after.scope, severity: p.after.severity })),
  ];
  const result: CompareResult = {
    schemaVersion: 1,
    tool: { name: 'vllm-tune', version: VERSION },
    kind: 'compare',
    name: o.name,
    splitSeconds: o.splitSeconds ?? null,
    slo,
    method: { binSeconds: Math.max(binsOf(va).width, binsOf(vb).width), alpha: ALPHA, minRelativeChange: MIN_RELATIVE_CHANGE, minBinObservations: MIN_BIN_OBSERVATIONS },
    before: side(va, before, ra),
    after: side(vb, after, rb),
    onlyBefore: va.replicas.filter((r) => !vb.replicas.includes(r)),
    onlyAfter: vb.replicas.filter((r) => !va.replicas.includes(r)),
    metrics,
    findings,
    configChanges: configChanges(va, vb),
    verdict: { outcome: anyImproved && anyWorse ? 'mixed' : anyWorse ? 'regressed' : anyImproved ? 'improved' : 'unchanged', improved, regressed, throughput },
    regressions,
  };
  return CompareResultSchema.parse(clean(result));
}

/** Non-finite numbers (a ratio over zero) become null where the schema allows it; tests with a non-finite statistic are dropped. */
function clean(r: CompareResult): CompareResult {
  for (const m of r.metrics) {
    for (const k of ['before', 'after', 'change', 'relativeChange'] as const) if (m[k] !== null && !Number.isFinite(m[k]!)) m[k] = null;
    if (m.test && !Object.values(m.test).every((x) => Number.isFinite(x))) {
      m.test = null;
      m.significant = false;
    }
  }
  return r;
}

/**
 * One input cut at `split` (Unix seconds): every series' samples before it go to `before`; the rest,
 * plus the last sample at or before the split (the state at the split, so a counter's increase in
 * `after` starts there), go to `after` — for series that go on past the split without a gap; a series
 * that ended before it (a process stopped by a redeploy) stays in `before` only. The configuration read from logs applies to both.
 */
export function splitArtifacts(a: Artifacts, split: number): { before: Artifacts; after: Artifacts } {
  const lo: Series[] = [];
  const hi: Series[] = [];
  for (const s of a.metrics.series) {
    let i = 0;
    while (i < s.t.length && s.t[i] < split) i++;
    // The sample before the split is carried over when the series is continuous across it: the gap over
    // the split no longer than twice the spacing before (not across a down target or a restart's gap).
    const carry = i > 0 && i < s.t.length && s.t[i] > split && (i < 2 || s.t[i] - s.t[i - 1] <= 2 * (s.t[i - 1] - s.t[i - 2]));
    const j = carry ? i - 1 : i;
    if (i > 0) lo.push({ ...s, t: s.t.subarray(0, i), v: s.v.subarray(0, i) as typeof s.v });
    // A series with no sample at or after the split (a process that stopped before it) is not in `after`.
    if (i < s.t.length) hi.push({ ...s, t: s.t.subarray(j), v: s.v.subarray(j) as typeof s.v });
  }
  return { before: { ...a, metrics: new MetricSet(lo) }, after: { ...a, metrics: new MetricSet(hi) } };
}
