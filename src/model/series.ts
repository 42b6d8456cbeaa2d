// The shared time-series vocabulary. Samples live in typed arrays, never one object per sample.

export type Labels = Readonly<Record<string, string>>;

/** One time series. `t` is Unix seconds, ascending and unique; `v` the values (never NaN after ingest). */
export interface Series {
  /** Canonical metric name (after catalog alias resolution). */
  readonly name: string;
  /** Labels without `__name__`. Histogram buckets keep their `le` label. */
  readonly labels: Labels;
  readonly t: Float64Array;
  readonly v: Float64Array;
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
