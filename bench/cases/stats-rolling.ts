// Rolling statistics over 10M points (window 60): our hand-written loops against simple-statistics
// recomputed per window (it has no rolling function). No input file: data is generated in memory
// (seeded), so the raw-read floor does not apply. STATS_BENCH_N overrides the point count.

import path from 'node:path';
import { mean, sampleStandardDeviation } from 'simple-statistics';
import type { BenchCase } from '../lib.js';
import { rollingMeanStd, rollingRobustZScore, rollingZScore } from '../../src/stats/rolling.js';

const N = Number(process.env.STATS_BENCH_N ?? 10_000_000);
const WINDOW = 60;

function data(n: number): Float64Array {
  let a = 12345 >>> 0;
  const v = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    a = (Math.imul(a, 1664525) + 1013904223) >>> 0;
    v[i] = 100 + 10 * Math.sin(i / 500) + (a / 4294967296) * 5 + (i % 100_000 === 0 ? 80 : 0);
  }
  return v;
}

function ms(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

const bench: BenchCase = {
  id: 'stats-rolling',
  title: `rolling z-score / mean+std / robust z over ${N.toLocaleString('en-US')} points, window ${WINDOW}, vs simple-statistics per window`,
  floor: false,
  async prepare(outDir) {
    return { file: path.join(outDir, 'stats-rolling.none'), bytes: N * 8, meta: { points: N, window: WINDOW } };
  },
  async run() {
    const v = data(N);
    let t0 = process.hrtime.bigint();
    const z = rollingZScore(v, { window: WINDOW });
    const zMs = ms(t0);
    t0 = process.hrtime.bigint();
    const ms2 = rollingMeanStd(v, { window: WINDOW });
    const meanStdMs = ms(t0);
    t0 = process.hrtime.bigint();
    rollingRobustZScore(v, { window: WINDOW });
    const robustMs = ms(t0);
    // simple-statistics: mean and sample std recomputed for every window (the z of point i uses v[i-60..i-1])
    t0 = process.hrtime.bigint();
    const zSs = new Float64Array(N);
    for (let i = WINDOW; i < N; i++) {
      const w = v.subarray(i - WINDOW, i) as unknown as number[];
      zSs[i] = (v[i] - mean(w)) / sampleStandardDeviation(w);
    }
    const ssMs = ms(t0);
    let maxRel = 0;
    for (let i = WINDOW; i < N; i += 997) maxRel = Math.max(maxRel, Math.abs(z[i] - zSs[i]) / Math.max(1, Math.abs(zSs[i])));
    return {
      items: N,
      itemName: 'points (all four passes)',
      check: {
        rollingZMs: zMs.toFixed(0),
        rollingMeanStdMs: meanStdMs.toFixed(0),
        rollingRobustZMs: robustMs.toFixed(0),
        simpleStatisticsPerWindowZMs: ssMs.toFixed(0),
        speedupZ: (ssMs / zMs).toFixed(1),
        maxRelDiffVsSimpleStatistics: maxRel.toExponential(2),
        lastMean: ms2.mean[N - 1].toFixed(6),
      },
    };
  },
};

export default bench;
