// Calibrating alert thresholds and `for:` durations on the analysed history.
//
// - Healthy baseline: the evaluations of a rule's signal outside every finding window of the same
//   replica (or of the fleet), padded by the lookback on both sides. A replica with a finding of the
//   rule's own codes that covers the whole window (a finding without a window) has no healthy part.
// - Threshold: above the healthy baseline's p99 (or below its p1 for "drop" rules), never on the safe
//   side of a documented judgement-call bound; the rule's default when the history holds too little
//   healthy time. Values are pooled over replicas: one rule serves every replica.
// - `for:`: the shortest incident seen (a finding of the rule's codes with a window) bounds it: for each
//   such incident, how long the condition held without a break inside it; the shortest of those,
//   rounded down to the evaluation interval and capped by the rule's default, so the alert would have
//   fired on every incident the analysis found. No incident: the default.

import { replicaIdOf } from '../derive/inventory.js';
import { FLEET } from '../derive/view.js';
import type { Labels } from '../model/series.js';
import { quantileSorted } from '../stats/summary.js';
import type { FiringEpisode, Vec } from './evaluate.js';

export interface FindingLike {
  code: string;
  scope: string;
  window?: { startSeconds: number; endSeconds: number };
}

/**
 * The incidents of a Result's findings as the calibration reads them: one per episode (replica, code,
 * span); a finding without episodes (a whole-window state) covers the whole window.
 */
export function incidentsOf(
  findings: readonly { code: string; scope: string; replicas: readonly string[]; episodes: readonly { startSeconds: number; endSeconds: number }[] }[],
  /** The analysed window: an episode covering all of it is a state (no incident to bound `for:` by). */
  data?: { startSeconds: number; endSeconds: number } | null,
): FindingLike[] {
  const whole = (e: { startSeconds: number; endSeconds: number }) => !!data && e.startSeconds <= data.startSeconds && e.endSeconds >= data.endSeconds;
  return findings.flatMap((f) => {
    const scope = f.replicas.length === 1 ? f.replicas[0] : f.scope;
    const eps = f.episodes.filter((e) => !whole(e));
    return eps.length ? eps.map((e) => ({ code: f.code, scope, window: { startSeconds: e.startSeconds, endSeconds: e.endSeconds } })) : [{ code: f.code, scope }];
  });
}

/** The replica an alert's labels stand for, or the fleet when they name none. */
export function scopeOf(labels: Labels): string {
  return labels.instance !== undefined || labels.pod !== undefined || labels.engine !== undefined ? replicaIdOf(labels) : FLEET;
}

export class History {
  private readonly windows: { scope: string; code: string; start: number; end: number }[] = [];
  private readonly whole: { scope: string; code: string }[] = [];
  /**
   * The finding codes asked about (incidents, wholeWindow, inIncident). A calibration that asked about
   * none of the codes of some findings without windows would have come out the same without them
   * (alerts/index.ts, replayWithoutFindingsHolds).
   */
  readonly asked = new Set<string>();

  constructor(
    readonly times: Float64Array,
    findings: readonly FindingLike[],
    /** The data's first and last sample: a finding without a window covers all of it. */
    readonly data: { start: number; end: number },
    /** Padding around finding windows (a rate or lookback lags the event). */
    readonly padSeconds = 300,
  ) {
    for (const f of findings) {
      if (f.window) this.windows.push({ scope: f.scope, code: f.code, start: f.window.startSeconds - padSeconds, end: f.window.endSeconds + padSeconds });
      else this.whole.push({ scope: f.scope, code: f.code });
    }
  }

  get intervalSeconds(): number {
    return this.times.length > 1 ? this.times[1] - this.times[0] : 0;
  }

  applies(findingScope: string, scope: string): boolean {
    if (findingScope === FLEET || scope === FLEET || findingScope === scope) return true;
    // A replica's findings cover its GPUs' exporter series: same host, another port (as view.deviceSeries).
    const host = (x: string) => x.replace(/:\d+$/, '');
    return host(findingScope) === host(scope);
  }

  /** True when time index i of `scope` lies outside every finding window that applies to it. */
  healthy(scope: string, i: number): boolean {
    const t = this.times[i];
    for (const w of this.windows) if (this.applies(w.scope, scope) && t >= w.start && t <= w.end) return false;
    return true;
  }

  /** A finding of one of `codes` covers the whole window of `scope` (it has no window of its own). */
  wholeWindow(scope: string, codes: readonly string[]): boolean {
    for (const c of codes) this.asked.add(c);
    return this.whole.some((w) => codes.includes(w.code) && this.applies(w.scope, scope));
  }

  /**
   * Incidents of the given codes (unpadded): the finding's window, or the whole data window for a
   * finding without one (`whole`: then the incident lasted at least that long).
   */
  incidents(codes: readonly string[]): { scope: string; code: string; startSeconds: number; endSeconds: number; whole: boolean }[] {
    for (const c of codes) this.asked.add(c);
    return [
      ...this.windows.filter((w) => codes.includes(w.code)).map((w) => ({ scope: w.scope, code: w.code, startSeconds: w.start + this.padSeconds, endSeconds: w.end - this.padSeconds, whole: false })),
      ...this.whole.filter((w) => codes.includes(w.code)).map((w) => ({ scope: w.scope, code: w.code, startSeconds: this.data.start, endSeconds: this.data.end, whole: true })),
    ];
  }

  /** Inside an incident of `codes` for this scope (padded window, or a whole-window finding). */
  inIncident(scope: string, t: number, codes: readonly string[]): boolean {
    for (const c of codes) this.asked.add(c);
    return this.wholeWindow(scope, codes) || this.windows.some((w) => codes.includes(w.code) && this.applies(w.scope, scope) && t >= w.start && t <= w.end);
  }
}

/** A stretch of one replica (or the fleet) that is not healthy although no finding covers it. */
export interface Exclusion {
  scope: string;
  start: number;
  end: number;
}

export interface ThresholdParams {
  direction: 'above' | 'below';
  /** 0.99 for `above`, 0.01 for `below`. */
  q: number;
  /** Used when the history cannot calibrate. */
  fallback: number;
  /** Never alert on the safe side of this (a floor for `above`, a ceiling for `below`); null: no bound. */
  bound: number | null;
  codes: readonly string[];
  /** Least healthy time (summed over replicas) that calibrates. */
  minHealthySeconds: number;
  /** How to print a value of this signal. */
  fmt: (x: number) => string;
  /**
   * Stretches where the rule at its default thresholds holds for its default `for:` but no finding
   * covers them: an incident the analysis did not flag must not become "healthy" baseline (or the
   * threshold rises above the very incidents it should catch). Padded like finding windows.
   */
  exclude?: readonly Exclusion[];
}

export interface ThresholdCalibration {
  value: number;
  source: 'history' | 'default';
  baseline: number | null;
  lines: string[];
}

/** Round to 3 significant digits away from the baseline (up for `above`, down for `below`). */
export function roundAway(x: number, direction: 'above' | 'below'): number {
  if (x === 0 || !Number.isFinite(x)) return x;
  const e = Math.floor(Math.log10(Math.abs(x))) - 2;
  const f = 10 ** e;
  const r = direction === 'above' ? Math.ceil(x / f - 1e-9) * f : Math.floor(x / f + 1e-9) * f;
  return Number(r.toPrecision(3));
}

export function calibrateThreshold(signal: Vec, h: History, p: ThresholdParams, what: string): ThresholdCalibration {
  const vals: number[] = [];
  const scopes = new Set<string>();
  const excluded = new Set<string>();
  for (const el of signal.values()) {
    const scope = scopeOf(el.labels);
    if (h.wholeWindow(scope, p.codes)) {
      excluded.add(scope);
      continue;
    }
    const mine = (p.exclude ?? []).filter((x) => x.scope === scope || x.scope === FLEET || scope === FLEET);
    for (let i = 0; i < el.v.length; i++) {
      if (!el.has[i] || !h.healthy(scope, i)) continue;
      const t = h.times[i];
      if (mine.some((x) => t >= x.start - h.padSeconds && t <= x.end + h.padSeconds)) continue;
      vals.push(el.v[i]);
      scopes.add(scope);
    }
  }
  const healthySeconds = vals.length * h.intervalSeconds;
  const pct = `p${Math.round((p.direction === 'above' ? p.q : p.q) * 100)}`;
  const boundText = p.bound === null || p.bound === 0 ? '' : `; never ${p.direction === 'above' ? 'below' : 'above'} ${p.fmt(p.bound)} (judgement call, docs/alerts.md)`;
  if (healthySeconds < p.minHealthySeconds) {
    const why = excluded.size && !vals.length ? `a finding covers the whole window of ${[...excluded].sort().join(', ')}` : `only ${fmtDuration(healthySeconds)} of healthy history (need ${fmtDuration(p.minHealthySeconds)})`;
    return { value: p.fallback, source: 'default', baseline: null, lines: [`threshold ${p.fmt(p.fallback)}: default, not calibrated (${why})`] };
  }
  const sorted = Float64Array.from(vals).sort();
  const base = quantileSorted(sorted, p.q);
  let value = roundAway(base, p.direction);
  if (p.bound !== null) value = p.direction === 'above' ? Math.max(value, p.bound) : Math.min(value, p.bound);
  // Stretches the findings already cover add nothing: count the ones the analysis did not flag.
  const nx = (p.exclude ?? []).filter((x) => {
    for (let i = 0; i < h.times.length; i++) if (h.times[i] >= x.start && h.times[i] <= x.end && h.healthy(x.scope, i)) return true;
    return false;
  }).length;
  const outside = `outside finding windows${nx ? ` and ${nx} stretch${nx === 1 ? '' : 'es'} where the rule at its defaults would have fired` : ''}`;
  const line = `threshold ${p.fmt(value)}: ${pct} of ${what} over ${fmtDuration(healthySeconds)} of healthy history (${scopes.size} series group${scopes.size === 1 ? '' : 's'}, ${outside}) is ${p.fmt(base)}${boundText}`;
  return { value, source: 'history', baseline: base, lines: [line] };
}

export interface ForCalibration {
  value: number;
  source: 'history' | 'default';
  lines: string[];
}

/** How long `condition` held without a break inside each incident of `codes`; `for:` from the shortest. */
export function calibrateFor(condition: Vec, h: History, codes: readonly string[], defaultFor: number): ForCalibration {
  const interval = h.intervalSeconds;
  const incidents = h.incidents(codes);
  if (!incidents.length) return { value: defaultFor, source: 'default', lines: [`for ${fmtDuration(defaultFor)}: default (no ${codes.join('/')} incident in the history)`] };
  const held: { scope: string; code: string; start: number; seconds: number; whole: boolean }[] = [];
  const missed: string[] = [];
  for (const inc of incidents) {
    let best = -1;
    for (const el of condition.values()) {
      const scope = scopeOf(el.labels);
      if (!h.applies(inc.scope, scope)) continue;
      let runStart = -1;
      for (let i = 0; i <= h.times.length; i++) {
        const t = i < h.times.length ? h.times[i] : Infinity;
        const on = i < h.times.length && el.has[i] && t >= inc.startSeconds - h.padSeconds && t <= inc.endSeconds + h.padSeconds;
        if (on && runStart < 0) runStart = i;
        if (!on && runStart >= 0) {
          best = Math.max(best, h.times[i - 1] - h.times[runStart]);
          runStart = -1;
        }
      }
    }
    if (best < 0) missed.push(`${inc.code} on ${inc.scope} at ${iso(inc.startSeconds)}`);
    else held.push({ scope: inc.scope, code: inc.code, start: inc.startSeconds, seconds: best, whole: inc.whole });
  }
  const lines: string[] = [];
  let value = defaultFor;
  let source: 'history' | 'default' = 'default';
  if (held.length) {
    held.sort((a, b) => a.seconds - b.seconds);
    const s = held[0];
    const rounded = interval > 0 ? Math.floor(s.seconds / interval + 1e-9) * interval : s.seconds;
    value = Math.min(defaultFor, rounded);
    source = 'history';
    lines.push(
      `for ${fmtDuration(value)}: the shortest of ${held.length} incident${held.length === 1 ? '' : 's'} seen (${s.code} on ${s.scope} ${s.whole ? 'over the whole window' : `at ${iso(s.start)}`}) held the condition ${fmtDuration(s.seconds)} without a break` +
        `${value < rounded ? `; capped at the default ${fmtDuration(defaultFor)}` : interval > 0 && rounded !== s.seconds ? `, rounded down to the ${fmtDuration(interval)} evaluation interval` : ''}`,
    );
  } else {
    lines.push(`for ${fmtDuration(defaultFor)}: default (the condition never held during the ${incidents.length} ${codes.join('/')} incident${incidents.length === 1 ? '' : 's'})`);
  }
  if (missed.length) lines.push(`the condition never held in: ${missed.join('; ')}`);
  return { value, source, lines };
}

/** One line on what the rule did on the history: firings inside and outside incident windows. */
export function historyLine(episodes: readonly FiringEpisode[], h: History, codes: readonly string[]): string {
  if (!episodes.length) return 'on this history: never fires';
  let inside = 0;
  for (const e of episodes) {
    const scope = scopeOf(e.labels);
    let hit = false;
    for (let t = e.activeSinceSeconds; t <= e.lastFiringSeconds && !hit; t += Math.max(1, h.intervalSeconds)) hit = h.inIncident(scope, t, codes);
    if (hit) inside++;
  }
  const outside = episodes.length - inside;
  return `on this history: fires ${episodes.length} time${episodes.length === 1 ? '' : 's'}, ${inside} during ${codes.join('/')} incidents, ${outside} outside them`;
}

export function fmtDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  if (seconds === 0) return '0s';
  const d = Math.floor(seconds / 86400);
  const hh = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = Math.round(seconds % 60);
  return [d ? `${d}d` : '', hh ? `${hh}h` : '', m ? `${m}m` : '', s ? `${s}s` : ''].join('') || '0s';
}

export function iso(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}
