// What every rule builder shares: the generator's options and output types, the evaluation context
// (Ctx: the inputs' series, the replay grid, the history), the label and formatting helpers, and finish()
// (replay of a built rule on the history). Split out of rules.ts; code moved, not changed.

import type { SloTargets } from '../derive/slo.js';
import type { MetricSet, Series } from '../model/series.js';
import { evalGrid } from '../stats/promql.js';
import { History, fmtDuration, historyLine, scopeOf, type Exclusion, type FindingLike } from './calibrate.js';
import { Evaluator, alertEpisodes, type Vec, type FiringEpisode } from './evaluate.js';
import { agg, anyOf, formatNumber, rangeFn, sel, warmupSeconds, type Expr, type Matcher } from './expr.js';

/** Most evaluation times a rule set is replayed at (1,000,000: 347 days at 30 s). */
export const MAX_RULE_EVALUATIONS = 1_000_000;

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
  /** Called at each evaluation (a worker thread's sign of progress: analysis/worker.ts). */
  progress?: () => void;
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
  /** The finding codes the calibration asked the history about (History.asked), sorted. */
  historyCodes: string[];
}

/** Replica labels, in grouping order. */
export const REPLICA_GROUP_CANDIDATES = ['namespace', 'pod', 'instance', 'engine', 'model_name'];

export const pctFmt = (x: number) => `${Number((x * 100).toPrecision(3))}%`;
export const plainFmt = (x: number) => formatNumber(Number(x.toPrecision(4)));
export const bytesFmt = (x: number) => `${Number((x / 2 ** 20).toPrecision(4))} MiB`;

export class Ctx {
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
    this.o.progress?.();
    return this.ev.evaluate(e);
  }
}

/** Labels (from `candidates`, in that order) that every series carries. */
export function commonLabels(series: readonly Series[], candidates: readonly string[]): string[] {
  if (!series.length) return [];
  return candidates.filter((l) => series.every((s) => s.labels[l] !== undefined && s.labels[l] !== ''));
}

/** `{{ $labels.x }}` for the label that names the replica or GPU, or "the fleet". */
export function who(by: readonly string[]): string {
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

/**
 * Where the rule at its default thresholds and default `for:` would fire: excluded from the healthy
 * baseline (see Exclusion), so an incident the analysis missed does not lift the threshold over itself.
 */
export function defaultFirings(c: Ctx, expr: Expr, forSeconds: number): Exclusion[] {
  if (!c.times.length) return [];
  return alertEpisodes(c.evaluate(expr), c.times, forSeconds).map((e) => ({ scope: scopeOf(e.labels), start: e.activeSinceSeconds, end: e.lastFiringSeconds }));
}

export type Out = GeneratedAlert | { kind: string; reason: string };

export function finish(c: Ctx, a: Omit<GeneratedAlert, 'episodes' | 'replayedFromSeconds'>, codes: readonly string[]): GeneratedAlert {
  const episodes = c.times.length ? alertEpisodes(c.evaluate(a.expr), c.times, a.forSeconds) : [];
  const need = warmupSeconds(a.expr);
  const from = c.times.find((t) => t - need >= c.dataStart - 1e-9);
  const replayedFromSeconds = from === undefined ? null : from;
  const line = replayedFromSeconds === null ? `not replayed on this history: it needs ${fmtDuration(need)} of data, the inputs hold ${fmtDuration(c.dataEnd - c.dataStart)}` : historyLine(episodes, c.h, codes);
  return { ...a, calibration: [...a.calibration, line], episodes, replayedFromSeconds };
}

export function fmtSec(s: number): string {
  return s < 1 ? `${Number((s * 1000).toPrecision(3))}ms` : `${Number(s.toPrecision(3))}s`;
}
