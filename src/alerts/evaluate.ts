// Evaluate an expression tree (expr.ts) on our series at a list of evaluation times, with Prometheus
// 2.42 semantics for the subset the rule generator emits: instant selectors with the 5-minute lookback,
// rate/increase (stats/promql.ts), the other range functions (stats/promql-over-time.ts), sum/max/min/avg
// by, one-to-one vector matching on all labels but the name (or `on`), filtering comparisons, and/or/
// unless. Then alerting-rule state over those evaluations (pending → firing after `for:`), as the rule
// manager does it. Cross-checked against a real Prometheus in test/integration/alerts-prometheus.test.ts.

import type { Labels, MetricSet, Series } from '../model/series.js';
import { labelsKey } from '../model/series.js';
import { RateWindowCache } from '../stats/promql.js';
import { overTime, predictLinear } from '../stats/promql-over-time.js';
import { alignToGrid } from '../stats/resample.js';
import { render, type Expr, type Matcher } from './expr.js';

/** Prometheus's default lookback delta. */
export const LOOKBACK_SECONDS = 300;

/** One series of an instant vector over the evaluation times: `has[i]` says the element exists at time i. */
export interface VecElem {
  labels: Labels;
  v: Float64Array;
  has: Uint8Array;
}

/** An instant vector evaluated at every evaluation time, keyed by label set. */
export type Vec = Map<string, VecElem>;

const NAME = '__name__';

/** The evaluator's memo budget (see evaluate()). */
const MEMO_BUDGET_BYTES = 32 * 2 ** 20;

export class Evaluator {
  private readonly byName = new Map<string, Series[]>();
  /** Evaluated vectors by expression text, least recently used first (a Map keeps insertion order). */
  private readonly memo = new Map<string, { vec: Vec; bytes: number }>();
  /** Bytes the memo holds; past the budget the least recently used go (a cache: results are the same). */
  private memoBytes = 0;
  private readonly regexCache = new Map<string, RegExp>();
  /** Sample windows per (timestamps, range) at the evaluation times, shared by series on one scrape grid. */
  private readonly rateWindows = new RateWindowCache();

  constructor(
    metrics: MetricSet,
    /** Evaluation times, ascending, Unix seconds. */
    readonly times: Float64Array,
    /**
     * When set, a range function whose window starts before this time returns nothing there: the data
     * cannot say what a Prometheus running since before the window would have seen (a real Prometheus
     * given only this data would extrapolate the partial window instead). Unset: Prometheus semantics.
     */
    readonly fullWindowsFrom?: number,
    /** Bytes of evaluated vectors the memo may hold (least recently used evicted past it). */
    private readonly memoBudgetBytes = MEMO_BUDGET_BYTES,
  ) {
    // Selectors name the metric as the input stored it (an alias, a counter without `_total`).
    for (const s of metrics.series) {
      const n = s.rawName ?? s.name;
      let l = this.byName.get(n);
      if (!l) this.byName.set(n, (l = []));
      l.push(s);
    }
  }

  /** Bytes of evaluated vectors the memo holds now. */
  get memoBytesHeld(): number {
    return this.memoBytes;
  }

  /** Metric names as the inputs stored them. */
  hasMetric(name: string): boolean {
    return this.byName.has(name);
  }

  seriesOf(name: string): readonly Series[] {
    return this.byName.get(name) ?? [];
  }

  private regex(src: string): RegExp {
    let r = this.regexCache.get(src);
    if (!r) this.regexCache.set(src, (r = new RegExp(`^(?:${src})$`, 's')));
    return r;
  }

  private matches(s: Series, matchers: readonly Matcher[]): boolean {
    for (const m of matchers) {
      const v = s.labels[m.label] ?? '';
      const ok = m.op === '=' ? v === m.value : m.op === '!=' ? v !== m.value : this.regex(m.value).test(v) === (m.op === '=~');
      if (!ok) return false;
    }
    return true;
  }

  private select(metric: string, matchers: readonly Matcher[]): Series[] {
    return (this.byName.get(metric) ?? []).filter((s) => this.matches(s, matchers));
  }

  /**
   * The expression's value at every evaluation time. Results are memoized by the expression's text
   * (calibration evaluates a rule's signal, then the rule around it): treat the returned Vec as read-only.
   */
  evaluate(e: Expr): Vec {
    if (e.type === 'num') return this.compute(e);
    const key = render(e, 'rules');
    const hit = this.memo.get(key);
    if (hit) {
      // Most recently used now: to the end of the order.
      this.memo.delete(key);
      this.memo.set(key, hit);
      return hit.vec;
    }
    const v = this.compute(e);
    let bytes = 0;
    for (const el of v.values()) bytes += el.v.byteLength + el.has.byteLength;
    // A week of rules memoized every subexpression (each bucket's rate at every evaluation time):
    // 155 MB on the week × 8 replicas bench. Reuse is within one rule's calibration and replay, so a
    // bounded memo keeps the hits: past the budget the least recently used vectors go. (Starting over
    // instead dropped, 8 times on that bench, the burn-rate ratios the alert expressions then asked
    // for again: 368 of 816 rate computations were repeats.)
    for (const [k, old] of this.memo) {
      if (this.memoBytes + bytes <= this.memoBudgetBytes) break;
      this.memo.delete(k);
      this.memoBytes -= old.bytes;
    }
    this.memo.set(key, { vec: v, bytes });
    this.memoBytes += bytes;
    return v;
  }

  private compute(e: Expr): Vec {
    const n = this.times.length;
    switch (e.type) {
      case 'selector': {
        const out: Vec = new Map();
        for (const s of this.select(e.metric, e.matchers)) {
          const v = alignToGrid(s.t, s.v, this.times, { stalenessSeconds: LOOKBACK_SECONDS });
          const labels = { [NAME]: e.metric, ...s.labels };
          put(out, labels, v, presence(v));
        }
        return out;
      }
      case 'range': {
        const out: Vec = new Map();
        // No evaluation time has the whole window inside the data: nothing to compute.
        if (this.fullWindowsFrom !== undefined && (!n || this.times[n - 1] - e.rangeSeconds < this.fullWindowsFrom - 1e-9)) return out;
        for (const s of this.select(e.metric, e.matchers)) {
          let v: Float64Array;
          if (e.fn === 'rate' || e.fn === 'increase') v = this.rateWindows.rate(s.t, s.v, this.times, e.rangeSeconds, true, e.fn === 'rate');
          else if (e.fn === 'predict_linear') v = predictLinear(s.t, s.v, this.times, e.rangeSeconds, e.aheadSeconds ?? 0);
          else v = overTime(e.fn, s.t, s.v, this.times, e.rangeSeconds);
          if (this.fullWindowsFrom !== undefined) {
            const fromMs = Math.round(this.fullWindowsFrom * 1000);
            const rMs = Math.round(e.rangeSeconds * 1000);
            // The times ascend: the windows that start too early are a prefix.
            for (let i = 0; i < n && Math.round(this.times[i] * 1000) - rMs < fromMs; i++) v[i] = NaN;
          }
          // Every range function here drops the metric name.
          put(out, s.labels, v, presence(v));
        }
        return out;
      }
      case 'agg':
        return aggregate(e.op, e.by, this.evaluate(e.arg), n);
      case 'arith':
      case 'cmp':
        return this.binary(e.type, e.op, e.lhs, e.rhs, e.on, n);
      case 'set':
        return setOp(e.op, this.evaluate(e.lhs), this.evaluate(e.rhs), e.on, n);
      case 'record': {
        const r: Vec = new Map();
        for (const el of this.evaluate(e.expr).values()) put(r, { ...withoutName(el.labels), [NAME]: e.name }, el.v.slice(), el.has.slice());
        return r;
      }
      case 'num':
        throw new Error('a number literal is not an instant vector');
    }
  }

  private binary(kind: 'arith' | 'cmp', op: string, lhsE: Expr, rhsE: Expr, on: readonly string[] | undefined, n: number): Vec {
    const f = opFn(op);
    const out: Vec = new Map();
    if (lhsE.type === 'num' && rhsE.type === 'num') throw new Error('scalar–scalar operations are not generated');
    if (rhsE.type === 'num' || lhsE.type === 'num') {
      const scalarRight = rhsE.type === 'num';
      const s = scalarRight ? (rhsE as { value: number }).value : (lhsE as { value: number }).value;
      const vec = this.evaluate(scalarRight ? lhsE : rhsE);
      for (const el of vec.values()) {
        const v = new Float64Array(n);
        const has = new Uint8Array(n);
        for (let i = 0; i < n; i++) {
          if (!el.has[i]) continue;
          const a = scalarRight ? el.v[i] : s;
          const b = scalarRight ? s : el.v[i];
          if (kind === 'arith') {
            v[i] = f(a, b);
            has[i] = 1;
          } else if (f(a, b)) {
            // A filtering comparison keeps the vector's own value.
            v[i] = el.v[i];
            has[i] = 1;
          }
        }
        put(out, kind === 'arith' ? withoutName(el.labels) : el.labels, v, has);
      }
      return out;
    }
    const lhs = this.evaluate(lhsE);
    const rhs = this.evaluate(rhsE);
    const bySig = new Map<string, VecElem[]>();
    for (const el of rhs.values()) {
      const k = signature(el.labels, on);
      let l = bySig.get(k);
      if (!l) bySig.set(k, (l = []));
      l.push(el);
    }
    for (const el of lhs.values()) {
      const cands = bySig.get(signature(el.labels, on));
      if (!cands) continue;
      const v = new Float64Array(n);
      const has = new Uint8Array(n);
      const only = cands.length === 1 ? cands[0] : undefined;
      for (let i = 0; i < n; i++) {
        if (!el.has[i]) continue;
        let r: VecElem | undefined;
        // One candidate (the usual case): it matches where it is present, no search.
        if (only) r = only.has[i] ? only : undefined;
        else {
          for (const c of cands) {
            if (!c.has[i]) continue;
            if (r) throw new Error(`many-to-one matching at ${this.times[i]}: the generator must aggregate both sides by the same labels`);
            r = c;
          }
        }
        if (!r) continue;
        if (kind === 'arith') {
          v[i] = f(el.v[i], r.v[i]);
          has[i] = 1;
        } else if (f(el.v[i], r.v[i])) {
          v[i] = el.v[i];
          has[i] = 1;
        }
      }
      const labels = on ? pick(el.labels, on) : kind === 'arith' ? withoutName(el.labels) : el.labels;
      put(out, labels, v, has);
    }
    return out;
  }
}

function opFn(op: string): (a: number, b: number) => number {
  switch (op) {
    case '+':
      return (a, b) => a + b;
    case '-':
      return (a, b) => a - b;
    case '*':
      return (a, b) => a * b;
    case '/':
      return (a, b) => a / b;
    case '>':
      return (a, b) => (a > b ? 1 : 0);
    case '<':
      return (a, b) => (a < b ? 1 : 0);
    case '>=':
      return (a, b) => (a >= b ? 1 : 0);
    case '<=':
      return (a, b) => (a <= b ? 1 : 0);
    default:
      throw new Error(`operator ${op} is not generated`);
  }
}

function presence(v: Float64Array): Uint8Array {
  const has = new Uint8Array(v.length);
  for (let i = 0; i < v.length; i++) has[i] = v[i] === v[i] ? 1 : 0;
  return has;
}

/** Add an element; an element with the same labels already there is merged time step by time step. */
function put(out: Vec, labels: Labels, v: Float64Array, has: Uint8Array): void {
  const k = labelsKey(labels);
  const prev = out.get(k);
  if (!prev) {
    out.set(k, { labels, v, has });
    return;
  }
  for (let i = 0; i < v.length; i++) {
    if (!has[i]) continue;
    if (prev.has[i]) throw new Error(`two series with labels {${k}} at one evaluation time`);
    prev.v[i] = v[i];
    prev.has[i] = 1;
  }
}

function withoutName(l: Labels): Labels {
  if (!(NAME in l)) return l;
  const { [NAME]: _drop, ...rest } = l;
  return rest;
}

function pick(l: Labels, names: readonly string[]): Labels {
  const out: Record<string, string> = {};
  for (const n of names) if (l[n] !== undefined && l[n] !== '') out[n] = l[n];
  return out;
}

/** Matching signature: the `on` labels, or all labels but the name. */
function signature(l: Labels, on?: readonly string[]): string {
  return labelsKey(on ? pick(l, on) : withoutName(l));
}

function aggregate(op: 'sum' | 'max' | 'min' | 'avg', by: readonly string[], vec: Vec, n: number): Vec {
  const groups = new Map<string, { labels: Labels; members: VecElem[] }>();
  // Prometheus iterates the input in label order; sum in that order so rounding matches.
  const sorted = [...vec.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)).map((e) => e[1]);
  for (const el of sorted) {
    const labels = pick(el.labels, by);
    const k = labelsKey(labels);
    let g = groups.get(k);
    if (!g) groups.set(k, (g = { labels, members: [] }));
    g.members.push(el);
  }
  const out: Vec = new Map();
  // Member by member, each time step's accumulator in v[i] and its count in count[i]: per time step the
  // same operations in the same member order as a loop over members inside a loop over time steps, with
  // tight loops over the arrays and the operator chosen once per member.
  const count = new Uint32Array(n);
  for (const [k, g] of groups) {
    const v = new Float64Array(n);
    const has = new Uint8Array(n);
    count.fill(0);
    for (const el of g.members) {
      const ev = el.v;
      const eh = el.has;
      for (let i = 0; i < n; i++) {
        if (!eh[i]) continue;
        const x = ev[i];
        const c = ++count[i];
        if (c === 1) v[i] = x;
        else if (op === 'sum') v[i] += x;
        else if (op === 'max') v[i] = v[i] < x || v[i] !== v[i] ? x : v[i];
        else if (op === 'min') v[i] = v[i] > x || v[i] !== v[i] ? x : v[i];
        else v[i] += x / c - v[i] / c; // avg: incremental mean, as Prometheus 2.42
      }
    }
    for (let i = 0; i < n; i++) if (count[i]) has[i] = 1;
    out.set(k, { labels: g.labels, v, has });
  }
  return out;
}

function setOp(op: 'and' | 'or' | 'unless', lhs: Vec, rhs: Vec, on: readonly string[] | undefined, n: number): Vec {
  // Per time step: which signatures the other side has.
  const presentSigs = (vec: Vec) => {
    const m = new Map<string, Uint8Array>();
    for (const el of vec.values()) {
      const k = signature(el.labels, on);
      let p = m.get(k);
      if (!p) m.set(k, (p = new Uint8Array(n)));
      for (let i = 0; i < n; i++) if (el.has[i]) p[i] = 1;
    }
    return m;
  };
  const out: Vec = new Map();
  if (op === 'and' || op === 'unless') {
    const r = presentSigs(rhs);
    for (const el of lhs.values()) {
      const p = r.get(signature(el.labels, on));
      const has = new Uint8Array(n);
      for (let i = 0; i < n; i++) has[i] = el.has[i] && (op === 'and' ? p?.[i] : !p?.[i]) ? 1 : 0;
      put(out, el.labels, el.v.slice(), has);
    }
    return out;
  }
  const l = presentSigs(lhs);
  for (const el of lhs.values()) put(out, el.labels, el.v.slice(), el.has.slice());
  for (const el of rhs.values()) {
    const p = l.get(signature(el.labels, on));
    const has = new Uint8Array(n);
    for (let i = 0; i < n; i++) has[i] = el.has[i] && !p?.[i] ? 1 : 0;
    put(out, el.labels, el.v.slice(), has);
  }
  return out;
}

// ───────────────────────────── alerting-rule state ─────────────────────────────

export interface FiringEpisode {
  labels: Labels;
  activeSinceSeconds: number;
  firingSinceSeconds: number;
  lastFiringSeconds: number;
  ongoingAtEnd: boolean;
  peakValue: number | null;
}

/**
 * The rule manager's alert states over the evaluation times: a label set returned by the expression
 * becomes pending at the first evaluation that returns it, firing once it has been returned at every
 * evaluation for at least `forSeconds`, and is resolved (forgotten) at the first evaluation that does not
 * return it. Returns one episode per firing stretch; pending stretches that never fired are not returned.
 * Alert labels are the sample's labels without `__name__`.
 */
export function alertEpisodes(vec: Vec, times: Float64Array, forSeconds: number): FiringEpisode[] {
  const out: FiringEpisode[] = [];
  const forMs = Math.round(forSeconds * 1000);
  const byAlert = new Map<string, { labels: Labels; els: VecElem[] }>();
  for (const el of vec.values()) {
    const labels = withoutName(el.labels);
    const k = labelsKey(labels);
    let g = byAlert.get(k);
    if (!g) byAlert.set(k, (g = { labels, els: [] }));
    g.els.push(el);
  }
  for (const g of [...byAlert.values()].sort((a, b) => (labelsKey(a.labels) < labelsKey(b.labels) ? -1 : 1))) {
    let active = -1;
    let firing = -1;
    let last = -1;
    let peak = -Infinity;
    const close = (ongoing: boolean) => {
      if (firing >= 0) {
        out.push({ labels: g.labels, activeSinceSeconds: times[active], firingSinceSeconds: times[firing], lastFiringSeconds: times[last], ongoingAtEnd: ongoing, peakValue: Number.isFinite(peak) ? peak : null });
      }
      active = -1;
      firing = -1;
      last = -1;
      peak = -Infinity;
    };
    for (let i = 0; i < times.length; i++) {
      let present = false;
      let value = NaN;
      for (const el of g.els) {
        if (el.has[i]) {
          present = true;
          value = el.v[i];
        }
      }
      if (!present) {
        close(false);
        continue;
      }
      if (active < 0) active = i;
      if (firing < 0 && Math.round(times[i] * 1000) - Math.round(times[active] * 1000) >= forMs) firing = i;
      if (firing >= 0) {
        last = i;
        if (value > peak) peak = value;
      }
    }
    close(true);
    // `close(true)` marks the trailing episode ongoing only when it reached the last evaluation.
    const lastEp = out[out.length - 1];
    if (lastEp && lastEp.labels === g.labels && lastEp.ongoingAtEnd && lastEp.lastFiringSeconds !== times[times.length - 1]) lastEp.ongoingAtEnd = false;
  }
  return out;
}
