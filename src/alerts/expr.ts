// A small typed PromQL expression tree: exactly the subset the rule generator emits. The same tree is
// rendered to PromQL text (the rules file) and evaluated on our series (evaluate.ts, "would have
// fired"), so the two cannot drift apart. Anything the generator needs and this file lacks must be
// added here, to both the renderer and the evaluator, with a cross-check against real Prometheus.

export interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

export type RangeFn = 'rate' | 'increase' | 'resets' | 'changes' | 'avg_over_time' | 'min_over_time' | 'max_over_time' | 'predict_linear';
export type AggOp = 'sum' | 'max' | 'min' | 'avg';
export type ArithOp = '+' | '-' | '*' | '/';
export type CmpOp = '>' | '<' | '>=' | '<=';
export type SetOp = 'and' | 'or' | 'unless';

export type Expr =
  /** Instant-vector selector `metric{matchers}` (5-minute lookback). */
  | { type: 'selector'; metric: string; matchers: readonly Matcher[] }
  /** A range function over a selector: `fn(metric{matchers}[range])`, `predict_linear(…[range], ahead)`. */
  | { type: 'range'; fn: RangeFn; metric: string; matchers: readonly Matcher[]; rangeSeconds: number; aheadSeconds?: number }
  /** `op by (labels) (arg)`; `op(arg)` when `by` is empty. */
  | { type: 'agg'; op: AggOp; by: readonly string[]; arg: Expr }
  /** Arithmetic; vector–vector matches one-to-one on all labels but the name (or `on`). */
  | { type: 'arith'; op: ArithOp; lhs: Expr; rhs: Expr; on?: readonly string[] }
  /** Filtering comparison (no `bool`): keeps the left-hand samples for which it holds. */
  | { type: 'cmp'; op: CmpOp; lhs: Expr; rhs: Expr; on?: readonly string[] }
  /** Set operators, matching on all labels but the name (or `on`). */
  | { type: 'set'; op: SetOp; lhs: Expr; rhs: Expr; on?: readonly string[] }
  /** A recording rule: rendered as its name in the rules file, evaluated as its expression. */
  | { type: 'record'; name: string; expr: Expr }
  /** A number literal. */
  | { type: 'num'; value: number };

// ───────────────────────────── builders ─────────────────────────────

export const sel = (metric: string, matchers: readonly Matcher[] = []): Expr => ({ type: 'selector', metric, matchers });
export const rangeFn = (fn: Exclude<RangeFn, 'predict_linear'>, metric: string, matchers: readonly Matcher[], rangeSeconds: number): Expr => ({ type: 'range', fn, metric, matchers, rangeSeconds });
export const predictLinear = (metric: string, matchers: readonly Matcher[], rangeSeconds: number, aheadSeconds: number): Expr => ({ type: 'range', fn: 'predict_linear', metric, matchers, rangeSeconds, aheadSeconds });
export const agg = (op: AggOp, by: readonly string[], arg: Expr): Expr => ({ type: 'agg', op, by, arg });
export const num = (value: number): Expr => ({ type: 'num', value });
export const arith = (op: ArithOp, lhs: Expr | number, rhs: Expr | number, on?: readonly string[]): Expr => ({ type: 'arith', op, lhs: lift(lhs), rhs: lift(rhs), ...(on ? { on } : {}) });
export const cmp = (op: CmpOp, lhs: Expr, rhs: Expr | number, on?: readonly string[]): Expr => ({ type: 'cmp', op, lhs, rhs: lift(rhs), ...(on ? { on } : {}) });
export const and = (lhs: Expr, rhs: Expr, on?: readonly string[]): Expr => ({ type: 'set', op: 'and', lhs, rhs, ...(on ? { on } : {}) });
export const or = (lhs: Expr, rhs: Expr, on?: readonly string[]): Expr => ({ type: 'set', op: 'or', lhs, rhs, ...(on ? { on } : {}) });
export const record = (name: string, expr: Expr): Expr => ({ type: 'record', name, expr });

function lift(x: Expr | number): Expr {
  return typeof x === 'number' ? num(x) : x;
}

/** `a or b or c`, left-associative; the single element when there is one. */
export function anyOf(list: readonly Expr[]): Expr {
  if (!list.length) throw new Error('anyOf: empty list');
  return list.slice(1).reduce((acc, e) => or(acc, e), list[0]);
}

// ───────────────────────────── rendering ─────────────────────────────

/** Seconds as a Prometheus duration: `5m`, `1h`, `3d`, `1m30s`, `250ms`. */
export function formatDuration(seconds: number): string {
  let ms = Math.round(seconds * 1000);
  if (ms <= 0) return '0s';
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]];
  let out = '';
  for (const [u, size] of units) {
    if (ms >= size) {
      out += `${Math.floor(ms / size)}${u}`;
      ms %= size;
    }
  }
  return out;
}

/** A number as PromQL reads it back exactly (shortest round-trip form). */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  return String(x);
}

/** A label value or regex as a PromQL string literal. */
function quote(s: string): string {
  // JSON escaping (\\, \", \n, \uXXXX) is valid in PromQL double-quoted strings.
  return JSON.stringify(s);
}

function renderSelector(metric: string, matchers: readonly Matcher[]): string {
  const inner = matchers.map((m) => `${m.label}${m.op}${quote(m.value)}`).join(', ');
  return inner ? `${metric}{${inner}}` : metric;
}

function needsParens(e: Expr, mode: RenderMode): boolean {
  if (e.type === 'record') return mode === 'inline' && needsParens(e.expr, mode);
  return e.type === 'arith' || e.type === 'cmp' || e.type === 'set' || (e.type === 'num' && e.value < 0);
}

export type RenderMode = 'rules' | 'inline';

/**
 * PromQL text of an expression. `rules`: recording rules appear by name (the rules file). `inline`:
 * recording rules are expanded (a query a plain Prometheus without the rules can answer).
 */
export function render(e: Expr, mode: RenderMode = 'rules'): string {
  const child = (c: Expr) => (needsParens(c, mode) ? `(${render(c, mode)})` : render(c, mode));
  const on = (o?: readonly string[]) => (o ? ` on (${o.join(', ')})` : '');
  switch (e.type) {
    case 'selector':
      return renderSelector(e.metric, e.matchers);
    case 'range': {
      const inner = `${renderSelector(e.metric, e.matchers)}[${formatDuration(e.rangeSeconds)}]`;
      return e.fn === 'predict_linear' ? `predict_linear(${inner}, ${formatNumber(e.aheadSeconds ?? 0)})` : `${e.fn}(${inner})`;
    }
    case 'agg':
      return `${e.op}${e.by.length ? ` by (${e.by.join(', ')})` : ''} (${render(e.arg, mode)})`;
    case 'arith':
    case 'cmp':
    case 'set':
      return `${child(e.lhs)} ${e.op}${on(e.on)} ${child(e.rhs)}`;
    case 'record':
      return mode === 'rules' ? e.name : render(e.expr, mode);
    case 'num':
      return formatNumber(e.value);
  }
}

/** Recording rules an expression refers to, innermost first, each once. */
export function recordsOf(e: Expr, out: { name: string; expr: Expr }[] = []): { name: string; expr: Expr }[] {
  switch (e.type) {
    case 'record':
      recordsOf(e.expr, out);
      if (!out.some((r) => r.name === e.name)) out.push({ name: e.name, expr: e.expr });
      break;
    case 'agg':
      recordsOf(e.arg, out);
      break;
    case 'arith':
    case 'cmp':
    case 'set':
      recordsOf(e.lhs, out);
      recordsOf(e.rhs, out);
      break;
    default:
      break;
  }
  return out;
}

/** Metric names an expression selects (recording rules expanded), each once. */
export function metricsOf(e: Expr, out: Set<string> = new Set()): Set<string> {
  switch (e.type) {
    case 'selector':
    case 'range':
      out.add(e.metric);
      break;
    case 'record':
      metricsOf(e.expr, out);
      break;
    case 'agg':
      metricsOf(e.arg, out);
      break;
    case 'arith':
    case 'cmp':
    case 'set':
      metricsOf(e.lhs, out);
      metricsOf(e.rhs, out);
      break;
    case 'num':
      break;
  }
  return out;
}

/**
 * The data an expression needs before it can return anything when partial range windows are not
 * replayed: the longest range window, except that `a or b` needs only what the shorter side needs.
 */
export function warmupSeconds(e: Expr): number {
  switch (e.type) {
    case 'range':
      return e.rangeSeconds;
    case 'record':
      return warmupSeconds(e.expr);
    case 'agg':
      return warmupSeconds(e.arg);
    case 'set':
      return e.op === 'or' ? Math.min(warmupSeconds(e.lhs), warmupSeconds(e.rhs)) : Math.max(warmupSeconds(e.lhs), warmupSeconds(e.rhs));
    case 'arith':
    case 'cmp':
      return Math.max(warmupSeconds(e.lhs), warmupSeconds(e.rhs));
    default:
      return 0;
  }
}
