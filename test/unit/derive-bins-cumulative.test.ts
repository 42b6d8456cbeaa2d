// cumulativeAtEdges: integer series take a shortcut (v[k] − v[0] plus the values before resets, with
// the sample positions of each edge shared by series on one timestamp array); the numbers must be the
// ones the sample-by-sample sum gives, which Float64 storage of the same values still takes.

import { describe, expect, it } from 'vitest';
import { cumulativeAtEdges } from '../../src/derive/bins.js';
import type { Series } from '../../src/model/series.js';
import { mulberry32 } from '../../src/stats/prng.js';

const B = 1_700_000_000;

describe('cumulativeAtEdges on integer series', () => {
  it('equals the sample-by-sample sum: resets, late starts, early ends (lookback), edges before and after the data', () => {
    const u = mulberry32(5);
    let cases = 0;
    let resets = 0;
    for (let c = 0; c < 200; c++) {
      const n = Math.floor(u() * 400);
      const start = B + Math.floor(u() * 3000);
      // Shared by several series, as the week input's one timestamp array is.
      const t = Float64Array.from({ length: n }, (_, i) => start + i * 10 + Math.floor(u() * 1000) / 1000);
      const edges = Float64Array.from({ length: 1 + Math.floor(u() * 60) }, (_, k) => B - 500 + k * (30 + Math.floor(u() * 3) * 100));
      for (let k = 0; k < 3; k++) {
        let x = Math.floor(u() * 2 ** 30);
        const vals = Array.from({ length: n }, () => {
          if (u() < 0.03) {
            resets++;
            return (x = Math.floor(u() * 100));
          }
          return (x = Math.min(2 ** 31 - 1, x + Math.floor(u() * 2 ** 20)));
        });
        const ints: Series = { name: 'c', labels: {}, t, v: Int32Array.from(vals) };
        const floats: Series = { name: 'c', labels: {}, t, v: Float64Array.from(vals) };
        const want = cumulativeAtEdges(floats, edges);
        expect([c, k, ...cumulativeAtEdges(ints, edges)]).toEqual([c, k, ...want]);
        // With the resets handed in (the view's, found once per series).
        const known = vals.flatMap((y, i) => (i > 0 && y < vals[i - 1] ? [i] : []));
        expect([c, k, ...cumulativeAtEdges(ints, edges, known)]).toEqual([c, k, ...want]);
        cases++;
      }
    }
    expect(cases).toBe(600);
    expect(resets).toBeGreaterThan(500);
  });
});
