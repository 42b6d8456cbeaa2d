// Per-metric min / mean / max of the inventory: the integer fast path (four running sums) gives the bits
// of one sequential pass over every series of the metric in order, whatever the mix of storage types.

import { describe, expect, it } from 'vitest';
import { buildInventory } from '../../src/derive/inventory.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { Artifacts } from '../../src/model/artifacts.js';
import { mulberry32 } from '../../src/stats/prng.js';

function reference(list: Series[]): { min: number | null; mean: number | null; max: number | null } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (const s of list) {
    for (let i = 0; i < s.v.length; i++) {
      const x = s.v[i];
      if (x < min) min = x;
      if (x > max) max = x;
      sum += x;
      n++;
    }
  }
  const finite = n > 0 && Number.isFinite(min) && Number.isFinite(max);
  return { min: n ? min : null, mean: finite ? sum / n : null, max: n ? max : null };
}

const series = (k: number, v: Float64Array | Int32Array): Series => ({
  name: 'vllm:num_requests_running',
  labels: { instance: `r${k}` },
  t: Float64Array.from(v, (_, i) => 1_700_000_000 + 10 * i),
  v,
});

function check(list: Series[]): void {
  const inv = buildInventory({ metrics: new MetricSet(list) } as unknown as Artifacts);
  const m = inv.metrics.find((x) => x.name === 'vllm:num_requests_running')!;
  const want = reference(list);
  expect([m.min, m.mean, m.max]).toEqual([want.min, want.mean, want.max]);
  expect(m.samples).toBe(list.reduce((a, s) => a + s.v.length, 0));
}

describe('inventory min / mean / max', () => {
  it('match one sequential pass on integer and fractional series, in any mix and length', () => {
    const u = mulberry32(11);
    for (let c = 0; c < 60; c++) {
      const list: Series[] = [];
      const k = 1 + Math.floor(u() * 5);
      for (let j = 0; j < k; j++) {
        const n = [0, 1, 2, 3, 4, 5, 7, 100, 1001][Math.floor(u() * 9)];
        const big = u() < 0.3;
        if (u() < 0.7) list.push(series(j, Int32Array.from({ length: n }, () => Math.floor((u() - 0.5) * (big ? 2 ** 32 - 2 : 1000)))));
        else list.push(series(j, Float64Array.from({ length: n }, () => (u() - 0.3) * (big ? 1e12 : 10))));
      }
      check(list);
    }
  });

  it('fall back to the sequential sum where integer partial sums could pass 2^53', () => {
    // A fractional and a huge value first: the integer lanes would round differently from one pass.
    check([series(0, Float64Array.from([2 ** 53 - 3, 0.5])), series(1, Int32Array.from([1, 1, 1, 1, 3, -7, 2 ** 31 - 1, 5, 1]))]);
    check([series(0, Float64Array.from([-(2 ** 52) * 1.5])), series(1, Int32Array.from({ length: 4097 }, (_, i) => (i % 2 ? 2 ** 31 - 1 : -(2 ** 31))))]);
  });
});
