// The rule generator: from the inputs' series (their metric names as stored, their labels) and the
// analysis' findings, the Prometheus recording and alerting rules for every diagnosis PromQL can
// express, each calibrated on the history (calibrate.ts) and replayed on it (evaluate.ts).
//
// Doctrine (docs/alerts.md): symptom alerts page (latency error-budget burn, SRE workbook ch. 5);
// cause alerts open a ticket (KV pressure with preemptions, queue, prefix-cache hit rate, memory
// growth, restarts, GPU under-use, the shares of answers cut at length and of requests aborted), so
// nobody is woken twice for one incident.

import type { SloTargets } from '../derive/slo.js';
import { catalogEntry, histogramParts } from '../model/metric-catalog.js';
import type { MetricSet, Series } from '../model/series.js';
import { evalGrid } from '../stats/promql.js';
import { History, calibrateFor, calibrateThreshold, fmtDuration, historyLine, roundAway, scopeOf, type Exclusion, type FindingLike } from './calibrate.js';
import { Evaluator, alertEpisodes, type FiringEpisode, type Vec } from './evaluate.js';
import { agg, and, anyOf, arith, cmp, formatDuration, formatNumber, predictLinear, rangeFn, record, recordsOf, sel, warmupSeconds, type Expr, type Matcher } from './expr.js';

/** Most evaluation times a rule set is replayed at (1,000,000: 347 days at 30 s). */
export const MAX_RULE_EVALUATIONS = 1_000_000;

/** Finished requests a share-of-requests window must hold (the quality detectors' minimum, docs/quality.md). */
const MIN_FINISHED = 30;

export interface AlertGenOptions {
  /** Label matchers added to every selector (`--selector`). */
  matchers: readonly Matcher[];
  selectorText: string | null;
  /** Grouping labels for the vLLM rules; default: the replica labels every vLLM series carries. */
  groupBy?: readonly string[];
  /** Rule-group evaluation interval (seconds). */
  intervalSeconds: number;
  slo: SloTargets;
  /** Share of requests that must meet each latency target (0.95 for the p95 targets). */
  objective: number;
}

export interface GeneratedAlert {
  kind: string;
  alert: string;
  severity: 'page' | 'ticket';
  expr: Expr;
  forSeconds: number;
  summary: string;
  description: string;
  /** Calibration and replay, one line each (YAML comments and the report). */
  calibration: string[];
  episodes: FiringEpisode[];
  /** First evaluation at which the data covers the rule's windows; null when it never does. */
  replayedFromSeconds: number | null;
}

export interface RuleSet {
  intervalSeconds: number;
  selectorText: string | null;
  groupBy: string[];
  alerts: GeneratedAlert[];
  notGenerated: { kind: string; reason: string }[];
  /** Header comment lines (SLO, grouping, data window). */
  header: string[];
}

/** Replica labels, in grouping order. */
const REPLICA_GROUP_CANDIDATES = ['namespace', 'pod', 'instance', 'engine', 'model_name'];
/** GPU labels of the DCGM exporter, in grouping order. */
const GPU_GROUP_CANDIDATES = ['namespace', 'pod', 'Hostname', 'instance', 'gpu', 'UUID'];

/** SRE workbook table 5-8 (30-day SLO period): (long, short, burn factor). */
export const BURN_WINDOWS = {
  page: [
    { long: 3600, short: 300, factor: 14.4 },
    { long: 6 * 3600, short: 1800, factor: 6 },
  ],
  ticket: [
    { long: 86400, short: 2 * 3600, factor: 3 },
    { long: 3 * 86400, short: 6 * 3600, factor: 1 },
  ],
} as const;

const LATENCY = [
  { id: 'ttft', name: 'Ttft', metric: 'vllm:time_to_first_token_seconds', words: 'time to first token', target: (s: SloTargets) => s.ttftSeconds },
  { id: 'tbt', name: 'Tbt', metric: 'vllm:inter_token_latency_seconds', words: 'time between tokens', target: (s: SloTargets) => s.tbtSeconds },
  { id: 'e2e', name: 'E2e', metric: 'vllm:e2e_request_latency_seconds', words: 'end-to-end latency', target: (s: SloTargets) => s.e2eSeconds },
] as const;

const pctFmt = (x: number) => `${Number((x * 100).toPrecision(3))}%`;
const plainFmt = (x: number) => formatNumber(Number(x.toPrecision(4)));
const bytesFmt = (x: number) => `${Number((x / 2 ** 20).toPrecision(4))} MiB`;

class Ctx {
  readonly ev: Evaluator;
  readonly h: History;
  readonly times: Float64Array;
  readonly groupBy: string[];
  readonly dataStart: number;
  readonly dataEnd: number;

  constructor(
    readonly metrics: MetricSet,
    findings: readonly FindingLike[],
    readonly o: AlertGenOptions,
  ) {
    const range = metrics.timeRange() ?? { start: 0, end: 0 };
    this.dataStart = range.start;
    this.dataEnd = range.end;
    const iv = o.intervalSeconds;
    const first = Math.ceil(range.start / iv) * iv;
    // Bounded work and memory: samples years apart (a damaged timestamp) would otherwise ask for
    // billions of evaluations. alertsSection() turns this into a "not generated" reason.
    if ((range.end - first) / iv > MAX_RULE_EVALUATIONS) {
      throw new Error(`the data spans ${Math.round((range.end - range.start) / 86400)} days: replaying the rules every ${iv} s would take more than ${MAX_RULE_EVALUATIONS} evaluations`);
    }
    // A single scrape (or less than one interval of data) is no history: defaults only, nothing replayed.
    this.times = range.end - range.start >= iv && range.end >= first ? evalGrid(first, range.end, iv) : new Float64Array(0);
    this.ev = new Evaluator(metrics, this.times, range.start);
    this.h = new History(this.times, findings, { start: range.start, end: range.end });
    this.groupBy = o.groupBy ? [...o.groupBy] : commonLabels(metrics.series.filter((s) => s.name.startsWith('vllm:') && !s.name.endsWith('_info')), REPLICA_GROUP_CANDIDATES);
  }

  /** Series of a canonical name. */
  series(canonical: string): readonly Series[] {
    return this.metrics.get(canonical);
  }

  /** The names the inputs stored a canonical metric under, the canonical one first. */
  names(canonical: string, strip = ''): string[] {
    const set = new Set<string>();
    for (const s of this.metrics.get(canonical)) set.add((s.rawName ?? s.name).slice(0, strip ? -strip.length : undefined));
    const base = canonical.slice(0, strip ? -strip.length : undefined);
    return [...set].sort((a, b) => (a === base ? -1 : b === base ? 1 : a < b ? -1 : a > b ? 1 : 0));
  }

  /** The user's matchers for a metric, minus those on labels its series (present in the inputs) never carry. */
  matchers(canonical: string): { matchers: Matcher[]; dropped: string[] } {
    const list = this.metrics.get(canonical);
    if (!list.length || !this.o.matchers.length) return { matchers: [...this.o.matchers], dropped: [] };
    const kept: Matcher[] = [];
    const dropped: string[] = [];
    for (const m of this.o.matchers) {
      if (list.some((s) => s.labels[m.label] !== undefined)) kept.push(m);
      else dropped.push(m.label);
    }
    return { matchers: kept, dropped };
  }

  /** `op by (G) (metric{sel})`, or-combined over the names the inputs use. */
  gauge(op: 'sum' | 'max' | 'avg', canonical: string, by: readonly string[]): Expr {
    const { matchers } = this.matchers(canonical);
    return anyOf(this.names(canonical).map((n) => agg(op, by, sel(n, matchers))));
  }

  /**
   * `op by (G) (fn(metric{sel}[w]))` for a gauge (`max_over_time`, `avg_over_time`): a scrape that
   * catches the gauge between two busy steps does not break the alert's `for:`.
   */
  gaugeOverTime(op: 'sum' | 'max' | 'avg', fn: 'max_over_time' | 'avg_over_time', canonical: string, w: number, by: readonly string[]): Expr {
    const { matchers } = this.matchers(canonical);
    return anyOf(this.names(canonical).map((n) => agg(op, by, rangeFn(fn, n, matchers, w))));
  }

  /** `sum by (G) (rate(metric{sel}[w]))`, or-combined over the names the inputs use. */
  rate(canonical: string, w: number, by: readonly string[], extra: readonly Matcher[] = [], strip = '', suffix = ''): Expr {
    const { matchers } = this.matchers(canonical);
    return anyOf(this.names(canonical, strip).map((n) => agg('sum', by, rangeFn('rate', `${n}${suffix}`, [...matchers, ...extra], w))));
  }

  evaluate(e: Expr): Vec {
    return this.ev.evaluate(e);
  }
}

/** Labels (from `candidates`, in that order) that every series carries. */
export function commonLabels(series: readonly Series[], candidates: readonly string[]): string[] {
  if (!series.length) return [];
  return candidates.filter((l) => series.every((s) => s.labels[l] !== undefined && s.labels[l] !== ''));
}

/** `{{ $labels.x }}` for the label that names the replica or GPU, or "the fleet". */
function who(by: readonly string[]): string {
  const l = ['instance', 'pod', 'engine', 'Hostname', 'gpu', 'model_name'].find((x) => by.includes(x));
  return l ? `{{ $labels.${l} }}` : 'the fleet';
}

/** PromQL regex matching a bucket bound however the exporter printed it (`10`, `10.0`). */
export function leMatcher(le: number): Matcher {
  const js = String(le);
  const py = Number.isInteger(le) ? `${le}.0` : js;
  if (js === py) return { label: 'le', op: '=', value: js };
  return { label: 'le', op: '=~', value: [js, py].map((s) => s.replace(/[.+]/g, (c) => `\\${c}`)).join('|') };
}

/** Bucket bounds of a histogram in the inputs, ascending and finite. */
function bucketBounds(metrics: MetricSet, base: string): number[] {
  const set = new Set<number>();
  for (const s of metrics.get(histogramParts(base).bucket)) {
    const le = Number(s.labels.le);
    if (Number.isFinite(le)) set.add(le);
  }
  return [...set].sort((a, b) => a - b);
}

function maxOf(vec: Vec): { value: number; at: number } | null {
  let best: { value: number; at: number } | null = null;
  for (const el of vec.values()) for (let i = 0; i < el.v.length; i++) if (el.has[i] && Number.isFinite(el.v[i]) && (!best || el.v[i] > best.value)) best = { value: el.v[i], at: i };
  return best;
}

// ───────────────────────────── the rules ─────────────────────────────

/**
 * Where the rule at its default thresholds and default `for:` would fire: excluded from the healthy
 * baseline (see Exclusion), so an incident the analysis missed does not lift the threshold over itself.
 */
function defaultFirings(c: Ctx, expr: Expr, forSeconds: number): Exclusion[] {
  if (!c.times.length) return [];
  return alertEpisodes(c.evaluate(expr), c.times, forSeconds).map((e) => ({ scope: scopeOf(e.labels), start: e.activeSinceSeconds, end: e.lastFiringSeconds }));
}

type Out = GeneratedAlert | { kind: string; reason: string };

function finish(c: Ctx, a: Omit<GeneratedAlert, 'episodes' | 'replayedFromSeconds'>, codes: readonly string[]): GeneratedAlert {
  const episodes = c.times.length ? alertEpisodes(c.evaluate(a.expr), c.times, a.forSeconds) : [];
  const need = warmupSeconds(a.expr);
  const from = c.times.find((t) => t - need >= c.dataStart - 1e-9);
  const replayedFromSeconds = from === undefined ? null : from;
  const line = replayedFromSeconds === null ? `not replayed on this history: it needs ${fmtDuration(need)} of data, the inputs hold ${fmtDuration(c.dataEnd - c.dataStart)}` : historyLine(episodes, c.h, codes);
  return { ...a, calibration: [...a.calibration, line], episodes, replayedFromSeconds };
}

function burnAlerts(c: Ctx): Out[] {
  const out: Out[] = [];
  const budget = Number((1 - c.o.objective).toPrecision(12));
  for (const l of LATENCY) {
    const base = l.metric;
    const bucket = histogramParts(base).bucket;
    if (!c.series(bucket).length) {
      out.push({ kind: `${l.id}-burn`, reason: `${base}_bucket is not in the inputs` });
      continue;
    }
    const target = l.target(c.o.slo);
    const bounds = bucketBounds(c.metrics, base);
    const le = [...bounds].reverse().find((b) => b <= target + 1e-12);
    if (le === undefined) {
      out.push({ kind: `${l.id}-burn`, reason: `the ${l.words} target ${fmtSec(target)} is below the smallest bucket bound (${fmtSec(bounds[0])})` });
      continue;
    }
    const G = c.groupBy;
    const windows = [...new Set([...BURN_WINDOWS.page, ...BURN_WINDOWS.ticket].flatMap((w) => [w.long, w.short]))].sort((a, b) => a - b);
    const rec = new Map<number, Expr>();
    for (const w of windows) {
      const good = c.rate(bucket, w, G, [leMatcher(le)], '_bucket', '_bucket');
      const all = c.rate(bucket, w, G, [], '_bucket', '_count');
      rec.set(w, record(`vllm_tune:${l.id}_over_target:ratio_rate${formatDuration(w)}`, arith('-', 1, arith('/', good, all))));
    }
    const calib: string[] = [
      `SLI: share of requests with ${l.words} above ${fmtSec(le)} (vLLM histogram ${c.names(bucket, '_bucket').join(' / ')}, bucket le=${fmtSec(le)}${le !== target ? `, the largest bound not above the ${fmtSec(target)} target` : ''})`,
      `objective ${pctFmt(c.o.objective)} of requests within target, so the error budget is ${pctFmt(budget)}; burn factors and windows from the SRE workbook (30-day period), not from the history`,
    ];
    // What the history burned, per window.
    const maxBurn: string[] = [];
    for (const w of windows) {
      const m = maxOf(c.evaluate(rec.get(w)!));
      maxBurn.push(`${formatDuration(w)} ${m ? `${Number((m.value / budget).toPrecision(3))}×` : 'n/a'}`);
    }
    calib.push(`highest burn rate on this history per window: ${maxBurn.join(', ')} (n/a: the data is shorter than the window)`);
    for (const sev of ['page', 'ticket'] as const) {
      const pairs = BURN_WINDOWS[sev].filter((p) => p.factor * budget < 1);
      const skipped = BURN_WINDOWS[sev].filter((p) => p.factor * budget >= 1);
      if (!pairs.length) {
        out.push({ kind: `${l.id}-burn-${sev}`, reason: `every ${sev} burn factor × the ${pctFmt(budget)} budget is ≥ 100%: such an alert could never fire` });
        continue;
      }
      const parts = pairs.map((p) => and(cmp('>', rec.get(p.long)!, burnThreshold(p.factor, budget)), cmp('>', rec.get(p.short)!, burnThreshold(p.factor, budget))));
      const expr = anyOf(parts);
      const lines = [...calib, `fires when ${pairs.map((p) => `the ${formatDuration(p.long)} and ${formatDuration(p.short)} error ratios both exceed ${p.factor} × ${pctFmt(budget)} = ${pctFmt(p.factor * budget)}`).join(', or ')}`];
      if (skipped.length) lines.push(`left out: ${skipped.map((p) => `${formatDuration(p.long)}/${formatDuration(p.short)} at ${p.factor}× (would need more than 100% errors)`).join(', ')}`);
      lines.push(`for 0s: the short window already makes the alert stop soon after the burn stops (SRE workbook)`);
      out.push(
        finish(
          c,
          {
            kind: `${l.id}-burn-${sev}`,
            alert: `Vllm${l.name}BudgetBurn${sev === 'page' ? 'Fast' : 'Slow'}`,
            severity: sev,
            expr,
            forSeconds: 0,
            summary: `vLLM ${l.words} error budget burning ${sev === 'page' ? 'fast' : 'steadily'} on ${who(G)}`,
            description: `{{ $value | humanizePercentage }} of requests took longer than ${fmtSec(le)} (${l.words}) over ${formatDuration(pairs[0].long)}; the objective allows ${pctFmt(budget)}.`,
            calibration: lines,
          },
          ['LATENCY_SLO_BREACH'],
        ),
      );
    }
  }
  return out;
}

function kvPressure(c: Ctx): Out {
  const kind = 'kv-pressure';
  const kv = 'vllm:kv_cache_usage_perc';
  const pre = 'vllm:num_preemptions_total';
  const missing = [kv, pre].filter((m) => !c.series(m).length);
  if (missing.length) return { kind, reason: `${missing.join(' and ')} not in the inputs` };
  const G = c.groupBy;
  const codes = ['KV_CACHE_THRASHING'];
  // The highest usage of the last 5 minutes: the gauge is a snapshot per scrape and dips between bursts.
  const usage = c.gaugeOverTime('max', 'max_over_time', kv, 300, G);
  const preRate = c.rate(pre, 300, G);
  // vLLM preempts when a step cannot get a block; usage above 90% is where that starts (judgement call,
  // the kv-pressure detector's highRatio).
  const exclude = defaultFirings(c, and(cmp('>', usage, 0.9), cmp('>', preRate, 0)), 600);
  const tk = calibrateThreshold(c.evaluate(usage), c.h, { direction: 'above', q: 0.99, fallback: 0.9, bound: 0.9, codes, minHealthySeconds: 1800, fmt: pctFmt, exclude }, 'KV-cache usage');
  const tp = calibrateThreshold(c.evaluate(preRate), c.h, { direction: 'above', q: 0.99, fallback: 0, bound: 0, codes, minHealthySeconds: 1800, fmt: (x) => `${plainFmt(x)}/s`, exclude }, 'the 5m preemption rate');
  const expr = and(cmp('>', usage, tk.value), cmp('>', preRate, tp.value));
  const f = calibrateFor(c.evaluate(expr), c.h, codes, 600);
  return finish(
    c,
    {
      kind,
      alert: 'VllmKvCachePressure',
      severity: 'ticket',
      expr,
      forSeconds: f.value,
      summary: `vLLM KV cache full with preemptions on ${who(G)}`,
      description: 'KV-cache usage {{ $value | humanizePercentage }} while requests are being preempted: KV blocks run out and preempted requests are recomputed. See docs/findings/KV_CACHE_THRASHING.md.',
      calibration: [...tk.lines.map((x) => `KV usage ${x}`), ...tp.lines.map((x) => `preemption rate ${x}`), ...f.lines],
    },
    codes,
  );
}

function gaugeAbove(c: Ctx, p: { kind: string; alert: string; metric: string; codes: string[]; defaultFor: number; summary: string; description: string; what: string }): Out {
  if (!c.series(p.metric).length) return { kind: p.kind, reason: `${p.metric} not in the inputs${catalogEntry(p.metric)?.v0Only ? ' (only a v0 engine exports it)' : ''}` };
  const G = c.groupBy;
  // The queue averaged over 5 minutes: sustained waiting, not a scrape that caught a momentary one.
  const signal = c.gaugeOverTime('sum', 'avg_over_time', p.metric, 300, G);
  const exclude = defaultFirings(c, cmp('>', signal, 0), p.defaultFor);
  const t = calibrateThreshold(c.evaluate(signal), c.h, { direction: 'above', q: 0.99, fallback: 0, bound: 0, codes: p.codes, minHealthySeconds: 1800, fmt: plainFmt, exclude }, p.what);
  const expr = cmp('>', signal, t.value);
  const f = calibrateFor(c.evaluate(expr), c.h, p.codes, p.defaultFor);
  return finish(c, { kind: p.kind, alert: p.alert, severity: 'ticket', expr, forSeconds: f.value, summary: `${p.summary} on ${who(G)}`, description: p.description, calibration: [...t.lines, ...f.lines] }, p.codes);
}

function prefixCache(c: Ctx): Out {
  const kind = 'prefix-cache-hit-rate-drop';
  const codes = ['PREFIX_CACHE_MISSES'];
  const G = c.groupBy;
  const hits = 'vllm:prefix_cache_hits_total';
  const queries = 'vllm:prefix_cache_queries_total';
  let ratio: Expr;
  let what: string;
  if (c.series(hits).length && c.series(queries).length) {
    ratio = arith('/', c.rate(hits, 900, G), c.rate(queries, 900, G));
    what = 'the 15m prefix-cache hit rate (hit tokens / queried tokens)';
  } else if (c.series('vllm:gpu_prefix_cache_hit_rate').length) {
    ratio = c.gauge('avg', 'vllm:gpu_prefix_cache_hit_rate', G);
    what = 'the v0 engine prefix-cache hit rate';
  } else return { kind, reason: 'no prefix-cache counters (vllm:prefix_cache_hits/queries) or v0 hit-rate gauge in the inputs' };
  // No judgement-call ceiling: what counts as a drop depends on the deployment's own reuse.
  const exclude = defaultFirings(c, cmp('<', ratio, 0.1), 1800);
  const t = calibrateThreshold(c.evaluate(ratio), c.h, { direction: 'below', q: 0.01, fallback: 0.1, bound: null, codes, minHealthySeconds: 3600, fmt: pctFmt, exclude }, what);
  const expr = cmp('<', ratio, t.value);
  const f = calibrateFor(c.evaluate(expr), c.h, codes, 1800);
  return finish(
    c,
    {
      kind,
      alert: 'VllmPrefixCacheHitRateDrop',
      severity: 'ticket',
      expr,
      forSeconds: f.value,
      summary: `vLLM prefix-cache hit rate dropped on ${who(G)}`,
      description: `Prefix-cache hit rate {{ $value | humanizePercentage }}, below its usual range: more prefill work per request. See docs/findings/PREFIX_CACHE_MISSES.md.`,
      calibration: [...t.lines, ...f.lines],
    },
    codes,
  );
}

function memoryGrowth(c: Ctx): Out[] {
  const out: Out[] = [];
  const codes = ['MEMORY_LEAK'];
  const rss = 'process_resident_memory_bytes';
  if (!c.series(rss).length) out.push({ kind: 'memory-growth', reason: `${rss} not in the inputs` });
  else {
    const rssSeries = c.series(rss);
    const Gp = c.o.groupBy ? [...c.o.groupBy] : commonLabels(rssSeries, REPLICA_GROUP_CANDIDATES);
    const { matchers, dropped } = c.matchers(rss);
    // The projected growth over the next 4 h, from the last hour's trend.
    let growth = agg('max', Gp, arith('-', predictLinear(rss, matchers, 3600, 4 * 3600), sel(rss, matchers)));
    const tie = Gp.filter((l) => c.groupBy.includes(l));
    const running = c.names('vllm:num_requests_running')[0];
    const notes: string[] = [];
    if (dropped.length) notes.push(`selector labels ${dropped.join(', ')} left out: the inputs' ${rss} series do not carry them`);
    if (tie.length && running) {
      // Only processes that also serve vLLM metrics (the process collector runs in every exporter).
      growth = and(growth, c.gauge('max', 'vllm:num_requests_running', tie), tie);
    } else notes.push(`${rss} could not be tied to vLLM replicas (no shared replica label): restrict it with --selector`);
    // 256 MiB: small processes wobble by tens of MiB (judgement call, the memory-growth detector's minGrowthBytes).
    const exclude = defaultFirings(c, cmp('>', growth, 256 * 2 ** 20), 1800);
    const t = calibrateThreshold(c.evaluate(growth), c.h, { direction: 'above', q: 0.99, fallback: 256 * 2 ** 20, bound: 256 * 2 ** 20, codes, minHealthySeconds: 3600, fmt: bytesFmt, exclude }, 'the growth predict_linear projects over 4h');
    const expr = cmp('>', growth, t.value);
    const f = calibrateFor(c.evaluate(expr), c.h, codes, 1800);
    out.push(
      finish(
        c,
        {
          kind: 'memory-growth',
          alert: 'VllmMemoryGrowth',
          severity: 'ticket',
          expr,
          forSeconds: f.value,
          summary: `vLLM process memory growing on ${who(Gp)}`,
          description: 'Resident memory is projected to grow by {{ $value | humanize1024 }}B over the next 4 hours (linear trend of the last hour). See docs/findings/MEMORY_LEAK.md.',
          calibration: [...notes, ...t.lines, ...f.lines],
        },
        codes,
      ),
    );
  }
  return out;
}

function restarts(c: Ctx): Out {
  const kind = 'restart';
  const counter = 'vllm:generation_tokens_total';
  if (!c.series(counter).length) return { kind, reason: `${counter} not in the inputs` };
  const G = c.groupBy;
  const { matchers } = c.matchers(counter);
  const expr = cmp('>', anyOf(c.names(counter).map((n) => agg('sum', G, rangeFn('resets', n, matchers, 600)))), 0);
  return finish(
    c,
    {
      kind,
      alert: 'VllmReplicaRestart',
      severity: 'ticket',
      expr,
      forSeconds: 0,
      summary: `vLLM replica restarted: ${who(G)}`,
      description: 'The generation-token counter reset in the last 10 minutes: the engine process restarted. A replaced pod (new series) is not seen by this rule.',
      calibration: ['threshold 0 resets: any restart, not calibrated; for 0s (a reset is an event, not a state)'],
    },
    ['REPLICA_RESTART'],
  );
}

function gpuUnderuse(c: Ctx): Out {
  const kind = 'gpu-underuse';
  const util = 'DCGM_FI_DEV_GPU_UTIL';
  if (!c.series(util).length) return { kind, reason: `${util} not in the inputs` };
  const codes = ['GPU_UNDERUTILIZED'];
  const Gg = commonLabels(c.series(util), GPU_GROUP_CANDIDATES);
  const { matchers, dropped } = c.matchers(util);
  const signal = agg('avg', Gg, rangeFn('avg_over_time', util, matchers, 1800));
  // 50%: decode keeps a busy GPU above ~80% (judgement call, the gpu-utilization detector's lowPercent);
  // calibration may only lower it, below the quiet hours the history shows.
  const exclude = defaultFirings(c, cmp('<', signal, 50), 1800);
  const t = calibrateThreshold(c.evaluate(signal), c.h, { direction: 'below', q: 0.01, fallback: 50, bound: 50, codes, minHealthySeconds: 3600, fmt: (x) => `${plainFmt(x)}%`, exclude }, 'the 30m mean DCGM GPU utilisation');
  const expr = cmp('<', signal, t.value);
  const f = calibrateFor(c.evaluate(expr), c.h, codes, 1800);
  const notes = dropped.length ? [`selector labels ${dropped.join(', ')} left out: the inputs' ${util} series do not carry them`] : [];
  return finish(
    c,
    {
      kind,
      alert: 'VllmGpuUnderused',
      severity: 'ticket',
      expr,
      forSeconds: f.value,
      summary: `GPU under-used: ${who(Gg)}`,
      description: 'Mean GPU utilisation {{ $value | humanize }}% over 30 minutes. See docs/findings/GPU_UNDERUTILIZED.md for telling no demand from a batch-size cap.',
      calibration: [...notes, ...t.lines, ...f.lines],
    },
    codes,
  );
}

/**
 * The share of finished requests that ended one way — cut at their length limit (`length`), or aborted
 * or failed (`abort|error`) — over 15 minutes, per replica: TRUNCATION_RISE and ABORT_RISE as an alert.
 * The diagnoses compare a share with the replica's own frozen baseline; a rule has one threshold, so it
 * is the healthy history's p99 plus the smallest rise the diagnosis reports (docs/quality.md), and a
 * window must hold 30 finished requests (the detectors' minimum: a share of fewer is noise).
 */
function shareRise(c: Ctx, p: { kind: string; alert: string; reasons: string[]; codes: string[]; rise: number; fallback: number; defaultFor: number; summary: string; description: string; what: string }): Out {
  const counter = 'vllm:request_success_total';
  const series = c.series(counter);
  if (!series.length) return { kind: p.kind, reason: `${counter} not in the inputs` };
  if (!series.some((s) => s.labels.finished_reason !== undefined)) return { kind: p.kind, reason: `${counter} has no finished_reason label (aggregated away)` };
  if (!series.some((s) => p.reasons.includes(s.labels.finished_reason))) return { kind: p.kind, reason: `no ${counter} series with finished_reason ${p.reasons.map((r) => `"${r}"`).join(' or ')} in the inputs` };
  const G = c.groupBy;
  const W = 900;
  const reason: Matcher = p.reasons.length === 1 ? { label: 'finished_reason', op: '=', value: p.reasons[0] } : { label: 'finished_reason', op: '=~', value: p.reasons.join('|') };
  const { matchers } = c.matchers(counter);
  const finished = anyOf(c.names(counter).map((n) => agg('sum', G, rangeFn('increase', n, matchers, W))));
  const share = and(arith('/', c.rate(counter, W, G, [reason]), c.rate(counter, W, G)), cmp('>=', finished, MIN_FINISHED));
  const exclude = defaultFirings(c, cmp('>', share, p.fallback), p.defaultFor);
  const base = calibrateThreshold(c.evaluate(share), c.h, { direction: 'above', q: 0.99, fallback: p.fallback, bound: null, codes: p.codes, minHealthySeconds: 3600, fmt: pctFmt, exclude }, p.what);
  let value = p.fallback;
  let lines = base.lines;
  if (base.source === 'history' && base.baseline !== null) {
    value = roundAway(base.baseline + p.rise, 'above');
    lines = [`threshold ${pctFmt(value)}: the healthy p99 + ${Number((p.rise * 100).toPrecision(3))} points (the smallest rise ${p.codes[0]} reports, docs/quality.md); ${base.lines[0].replace(/^threshold [^:]*: /, '')}`];
  }
  lines = [...lines, `only windows with at least ${MIN_FINISHED} finished requests (${formatDuration(W)}): a share of fewer is noise`];
  const expr = cmp('>', share, value);
  const f = calibrateFor(c.evaluate(expr), c.h, p.codes, p.defaultFor);
  return finish(c, { kind: p.kind, alert: p.alert, severity: 'ticket', expr, forSeconds: f.value, summary: `${p.summary} on ${who(G)}`, description: p.description, calibration: [...lines, ...f.lines] }, p.codes);
}

/** The error ratio a burn factor stands for, without binary noise (14.4 × 0.05 = 0.72, not 0.7200000000000006). */
function burnThreshold(factor: number, budget: number): number {
  return Number((factor * budget).toPrecision(12));
}

function fmtSec(s: number): string {
  return s < 1 ? `${Number((s * 1000).toPrecision(3))}ms` : `${Number(s.toPrecision(3))}s`;
}

/** Every rule the inputs allow, calibrated on them and replayed over them. */
export function generateRules(metrics: MetricSet, findings: readonly FindingLike[], o: AlertGenOptions): RuleSet {
  const c = new Ctx(metrics, findings, o);
  const results: Out[] = [
    ...burnAlerts(c),
    kvPressure(c),
    gaugeAbove(c, {
      kind: 'queue-buildup',
      alert: 'VllmQueueBuildup',
      metric: 'vllm:num_requests_waiting',
      codes: ['QUEUE_BUILDUP', 'PREFILL_STARVATION'],
      defaultFor: 600,
      summary: 'vLLM requests queueing',
      description: '{{ $value | humanize }} requests waiting to be scheduled. See docs/findings/QUEUE_BUILDUP.md.',
      what: 'the 5m average of waiting requests',
    }),
    gaugeAbove(c, {
      kind: 'kv-swapping',
      alert: 'VllmKvSwapping',
      metric: 'vllm:num_requests_swapped',
      codes: ['KV_SWAPPING'],
      defaultFor: 300,
      summary: 'vLLM swapping KV blocks to CPU',
      description: '{{ $value | humanize }} requests swapped to CPU memory (v0 engine). See docs/findings/KV_SWAPPING.md.',
      what: 'the 5m average of swapped requests',
    }),
    prefixCache(c),
    ...memoryGrowth(c),
    restarts(c),
    gpuUnderuse(c),
    shareRise(c, {
      kind: 'truncation-rise',
      alert: 'VllmTruncationRise',
      reasons: ['length'],
      codes: ['TRUNCATION_RISE'],
      // The smallest rise TRUNCATION_RISE reports (docs/quality.md); 10% uncalibrated (healthy chat cuts ≈ 2%).
      rise: 0.05,
      fallback: 0.1,
      defaultFor: 600,
      summary: 'vLLM answers cut at their length limit',
      description: '{{ $value | humanizePercentage }} of the requests finished in the last 15 minutes ended at max_tokens or max_model_len (finished_reason="length"): answers cut mid-sentence. See docs/findings/TRUNCATION_RISE.md.',
      what: 'the 15m share of requests finished by "length"',
    }),
    shareRise(c, {
      kind: 'abort-rise',
      alert: 'VllmAbortRise',
      reasons: ['abort', 'error'],
      codes: ['ABORT_RISE'],
      // The smallest rise ABORT_RISE reports (docs/quality.md); 5% uncalibrated.
      rise: 0.02,
      fallback: 0.05,
      defaultFor: 300,
      summary: 'vLLM requests ending without an answer',
      description: '{{ $value | humanizePercentage }} of the requests finished in the last 15 minutes were aborted or failed (finished_reason "abort" or "error"); many vLLM V1 versions do not count client aborts at all. See docs/findings/ABORT_RISE.md.',
      what: 'the 15m share of requests finished by "abort" or "error"',
    }),
  ];
  const alerts = results.filter((r): r is GeneratedAlert => 'alert' in r);
  const notGenerated = results.filter((r): r is { kind: string; reason: string } => !('alert' in r));
  const header = [
    `latency targets: TTFT ${fmtSec(o.slo.ttftSeconds)}, time between tokens ${fmtSec(o.slo.tbtSeconds)}, end-to-end ${fmtSec(o.slo.e2eSeconds)}; objective ${pctFmt(o.objective)} of requests within each`,
    `grouped by ${c.groupBy.length ? c.groupBy.join(', ') : 'nothing (fleet-wide)'}${o.groupBy ? ' (--group-by)' : ' (the replica labels every vLLM series in the inputs carries)'}`,
    `selector: ${o.selectorText ?? 'none'}`,
    c.times.length
      ? `calibrated on ${new Date(c.dataStart * 1000).toISOString().replace('.000Z', 'Z')} .. ${new Date(c.dataEnd * 1000).toISOString().replace('.000Z', 'Z')} (${fmtDuration(c.dataEnd - c.dataStart)}), replayed every ${fmtDuration(o.intervalSeconds)}`
      : 'no history to calibrate on (a single scrape, or less than one evaluation interval): default thresholds and for:, nothing replayed',
  ];
  return { intervalSeconds: o.intervalSeconds, selectorText: o.selectorText, groupBy: c.groupBy, alerts, notGenerated, header };
}

/** The recording rules the alerts use, each once, in dependency order. */
export function recordingRules(set: RuleSet): { name: string; expr: Expr }[] {
  const out: { name: string; expr: Expr }[] = [];
  for (const a of set.alerts) for (const r of recordsOf(a.expr)) if (!out.some((x) => x.name === r.name)) out.push(r);
  return out;
}
