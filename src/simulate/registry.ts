// The metric families one simulated replica exposes, in the order they are written, and their
// current values in one flat Float64Array (histogram buckets stored per bucket, made cumulative
// when a scrape is taken). Scrapes are copied into a series-major Float64Array.

export type FamilyType = 'gauge' | 'counter' | 'histogram';

export interface Family {
  /** Family name: counters without `_total` (OpenMetrics), histograms the base name. */
  name: string;
  type: FamilyType;
  help: string;
}

export interface SeriesDef {
  /** Index of the family in the registry's family list. */
  family: number;
  /** Full sample name (`…_total`, `…_bucket`, `…_sum`, `…_count`, or the gauge name). */
  name: string;
  /** Label pairs, sorted by label name (byte order), without `__name__`. */
  labels: [string, string][];
}

export interface Histogram {
  /** Index of the first bucket series; then one per bound, then `+Inf`, `_sum`, `_count`. */
  first: number;
  bounds: Float64Array;
  sum: number;
  count: number;
  /** Memo of the last observed value and its bucket (per-token latencies repeat a lot). */
  lastV: number;
  lastB: number;
}

/** Python prometheus_client's float formatting of a bucket bound (`1.0`, `0.001`, `+Inf`). */
export function formatLe(b: number): string {
  if (b === Infinity) return '+Inf';
  return Number.isInteger(b) ? `${b}.0` : String(b);
}

function sortLabels(labels: Record<string, string>): [string, string][] {
  return Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

export class Registry {
  readonly families: Family[] = [];
  readonly series: SeriesDef[] = [];
  readonly hists: Histogram[] = [];
  private readonly familyIndex = new Map<string, number>();
  cur = new Float64Array(0);

  private family(name: string, type: FamilyType, help: string): number {
    const hit = this.familyIndex.get(name);
    if (hit !== undefined) return hit;
    this.families.push({ name, type, help });
    this.familyIndex.set(name, this.families.length - 1);
    return this.families.length - 1;
  }

  private add(family: number, name: string, labels: Record<string, string>): number {
    this.series.push({ family, name, labels: sortLabels(labels) });
    return this.series.length - 1;
  }

  gauge(name: string, help: string, labels: Record<string, string>): number {
    return this.add(this.family(name, 'gauge', help), name, labels);
  }

  /** `name` is the sample name with `_total`. */
  counter(name: string, help: string, labels: Record<string, string>): number {
    return this.add(this.family(name.replace(/_total$/, ''), 'counter', help), name, labels);
  }

  histogram(name: string, help: string, labels: Record<string, string>, bounds: readonly number[]): Histogram {
    const f = this.family(name, 'histogram', help);
    let first = -1;
    for (const b of [...bounds, Infinity]) {
      const i = this.add(f, `${name}_bucket`, { ...labels, le: formatLe(b) });
      if (first < 0) first = i;
    }
    const sum = this.add(f, `${name}_sum`, labels);
    const count = this.add(f, `${name}_count`, labels);
    const h: Histogram = { first, bounds: Float64Array.from(bounds), sum, count, lastV: NaN, lastB: 0 };
    this.hists.push(h);
    return h;
  }

  /** Call once all series are declared. */
  seal(): void {
    this.cur = new Float64Array(this.series.length);
  }

  reset(): void {
    this.cur.fill(0);
  }

  observe(h: Histogram, v: number): void {
    let b: number;
    if (v === h.lastV) b = h.lastB;
    else {
      const bounds = h.bounds;
      b = 0;
      while (b < bounds.length && v > bounds[b]) b++;
      h.lastV = v;
      h.lastB = b;
    }
    const cur = this.cur;
    cur[h.first + b]++;
    cur[h.sum] += v;
    cur[h.count]++;
  }

  /** Copy the current values into column `k` of a series-major matrix, buckets made cumulative. */
  snapshot(out: Float64Array, nScrapes: number, k: number): void {
    const cur = this.cur;
    const n = cur.length;
    for (let s = 0; s < n; s++) out[s * nScrapes + k] = cur[s];
    for (const h of this.hists) {
      let acc = 0;
      for (let j = 0; j <= h.bounds.length; j++) {
        const s = h.first + j;
        acc += cur[s];
        out[s * nScrapes + k] = acc;
      }
    }
  }
}

// --- vLLM's default buckets, as read off a real vLLM v1 scrape (see docs/simulator.md).
export const TTFT_BUCKETS = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0];
export const ITL_BUCKETS = [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0];
export const REQUEST_LATENCY_BUCKETS = [0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0, 30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0];
export const ITERATION_TOKEN_BUCKETS = [1, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384];
export const PARAMS_N_BUCKETS = [1, 2, 5, 10, 20];

/** vLLM's `build_1_2_5_buckets(max_model_len)`: 1, 2, 5, 10, 20, 50, … up to max_model_len. */
export function buckets125(max: number): number[] {
  const out: number[] = [];
  for (let e = 1; ; e *= 10) {
    for (const m of [1, 2, 5]) {
      const v = m * e;
      if (v > max) return out;
      out.push(v);
    }
  }
}
