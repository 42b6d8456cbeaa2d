// The shared time-series vocabulary. Samples live in typed arrays, never one object per sample.

export type Labels = Readonly<Record<string, string>>;

/**
 * Sample values: Int32Array when every value of the series is an integer in the int32 range (most
 * histogram buckets, counts, counters and gauges: half the memory), Float64Array otherwise. Read
 * them as numbers; never write into them.
 */
export type SampleValues = Float64Array | Int32Array;

/** One time series. `t` is Unix seconds, ascending and unique; `v` the values (never NaN after ingest). */
export interface Series {
  /** Canonical metric name (after catalog alias resolution). */
  readonly name: string;
  /** Labels without `__name__`. Histogram buckets keep their `le` label. */
  readonly labels: Labels;
  /**
   * The name the input used, when it differs from `name` (an older alias, a counter without `_total`):
   * generated alert rules must query what the user's Prometheus actually stores.
   */
  readonly rawName?: string;
  readonly t: Float64Array;
  readonly v: SampleValues;
}

/** Something odd but usable about the input; shown in the report, never fatal. */
export interface InputWarning {
  code: string;
  message: string;
  file?: string;
  /** Canonical metric name it concerns, if any. */
  metric?: string;
  /** How many samples/series/rows it concerns, if counted. */
  count?: number;
}

/**
 * Canonical text of a histogram bucket bound (`le`) or summary quantile: the same bound written as
 * `1`, `1.0` or `1e0` in different files must merge into one series. We use JavaScript's shortest
 * round-trip form of the number (`String(Number(x))`: `"1.0"` → `"1"`, `"0.0010"` → `"0.001"`,
 * `"1e21"` → `"1e+21"`); infinities are written `+Inf` / `-Inf` as Prometheus does; text that is not
 * a number is kept as written.
 */
export function canonicalBound(raw: string): string {
  const t = raw.trim();
  const lower = t.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity') return '+Inf';
  if (lower === '-inf' || lower === '-infinity') return '-Inf';
  if (!/^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/.test(t)) return raw;
  const n = Number(t);
  return Object.is(n, -0) ? '0' : String(n);
}

/** Labels with `le` / `quantile` bounds in canonical form, so one bucket merges across inputs and formats. */
export function canonicalLabels(labels: Labels): Labels {
  const le = labels.le;
  const q = labels.quantile;
  if ((le === undefined || canonicalBound(le) === le) && (q === undefined || canonicalBound(q) === q)) return labels;
  const out: Record<string, string> = { ...labels };
  if (le !== undefined) out.le = canonicalBound(le);
  if (q !== undefined) out.quantile = canonicalBound(q);
  return out;
}

/** Stable key of a label set: sorted `k="v"` pairs. */
export function labelsKey(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  let s = '';
  for (const k of keys) s += `${s ? ',' : ''}${k}=${JSON.stringify(labels[k])}`;
  return s;
}

export function seriesKey(name: string, labels: Labels): string {
  return `${name}{${labelsKey(labels)}}`;
}

/** Render a selector like `vllm:foo{a="b"}` for messages. */
export function formatSelector(name: string, labels: Labels): string {
  const inner = labelsKey(labels);
  return inner ? `${name}{${inner}}` : name;
}

/** All series of a run, indexed by canonical name. Immutable once built. */
export class MetricSet {
  readonly series: readonly Series[];
  private readonly index: Map<string, Series[]>;

  constructor(series: Series[]) {
    this.series = series;
    this.index = new Map();
    for (const s of series) {
      let list = this.index.get(s.name);
      if (!list) this.index.set(s.name, (list = []));
      list.push(s);
    }
  }

  /** Series of one canonical name, optionally filtered by exact label matches. Empty when absent. */
  get(name: string, match?: Labels): Series[] {
    const list = this.index.get(name) ?? [];
    if (!match) return list;
    return list.filter((s) => Object.entries(match).every(([k, v]) => s.labels[k] === v));
  }

  has(name: string): boolean {
    return this.index.has(name);
  }

  names(): string[] {
    return [...this.index.keys()].sort();
  }

  get sampleCount(): number {
    let n = 0;
    for (const s of this.series) n += s.t.length;
    return n;
  }

  /** Earliest and latest timestamp over all series, or null when there are no samples. */
  timeRange(): { start: number; end: number } | null {
    let start = Infinity;
    let end = -Infinity;
    for (const s of this.series) {
      if (s.t.length === 0) continue;
      if (s.t[0] < start) start = s.t[0];
      if (s.t[s.t.length - 1] > end) end = s.t[s.t.length - 1];
    }
    return start === Infinity ? null : { start, end };
  }
}
