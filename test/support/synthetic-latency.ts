// Seeded synthetic vLLM series for latency and anomaly tests: per replica, request-latency histograms
// (cumulative bucket counters with `_sum`/`_count`) whose observations are drawn from a log-normal
// distribution that may change over time, and a waiting-requests gauge. Every sample is computed from
// the draws, so the tests can compute the exact expected values from the same inputs.

import { MetricSet, type Series } from '../../src/model/series.js';
import { normal } from '../../src/stats/prng.js';

/** vLLM's TTFT bucket bounds (v0.10 `time_to_first_token_seconds`, trimmed), + Inf. */
export const TTFT_LES = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80, 160, 640, 2560, Infinity];

export { normal };

export interface HistogramSpec {
  name: string;
  les: number[];
  /** Log-normal parameters of the observations made in the scrape interval ending at t. */
  at: (t: number) => { median: number; sigma: number };
}

export interface ReplicaSpec {
  instance: string;
  /** Requests observed per scrape interval (a constant, so counts are exact). */
  perScrape: number;
  histograms: HistogramSpec[];
  /** Waiting requests at t (noise added by the caller's function if wanted). */
  waiting?: (t: number, z: () => number) => number;
}

export interface SyntheticOptions {
  start: number;
  seconds: number;
  scrapeSeconds: number;
  seed: number;
  replicas: ReplicaSpec[];
}

/** Build the MetricSet: cumulative bucket counters start at 0 at `start` (the first sample). */
export function syntheticMetrics(o: SyntheticOptions): MetricSet {
  const n = Math.floor(o.seconds / o.scrapeSeconds) + 1;
  const t = Float64Array.from({ length: n }, (_, i) => o.start + i * o.scrapeSeconds);
  const series: Series[] = [];
  let seed = o.seed;
  for (const r of o.replicas) {
    const z = normal(seed++);
    for (const h of r.histograms) {
      const buckets = h.les.map(() => new Float64Array(n));
      const sum = new Float64Array(n);
      const count = new Float64Array(n);
      const cur = new Float64Array(h.les.length);
      let s = 0;
      let c = 0;
      for (let i = 1; i < n; i++) {
        const p = h.at(t[i]);
        for (let k = 0; k < r.perScrape; k++) {
          const x = p.median * Math.exp(p.sigma * z());
          s += x;
          c++;
          let j = 0;
          while (h.les[j] < x) j++;
          for (let q = j; q < h.les.length; q++) cur[q]++;
        }
        for (let j = 0; j < h.les.length; j++) buckets[j][i] = cur[j];
        sum[i] = s;
        count[i] = c;
      }
      h.les.forEach((le, j) => series.push({ name: `${h.name}_bucket`, labels: { instance: r.instance, le: le === Infinity ? '+Inf' : String(le) }, t, v: buckets[j] }));
      series.push({ name: `${h.name}_sum`, labels: { instance: r.instance }, t, v: sum });
      series.push({ name: `${h.name}_count`, labels: { instance: r.instance }, t, v: count });
    }
    if (r.waiting) {
      const w = new Float64Array(n);
      for (let i = 0; i < n; i++) w[i] = r.waiting(t[i], z);
      series.push({ name: 'vllm:num_requests_waiting', labels: { instance: r.instance }, t, v: w });
    }
  }
  return new MetricSet(series);
}
