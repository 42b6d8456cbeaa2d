// The fleet's sliding-window series are sums of the replicas' memoized ones (windowed.ts): the same
// numbers as rating every series of the fleet directly, and centredQuantile's one-pass evaluation
// equals a per-point histogram_quantile with NaN where a bucket is absent or nothing was observed.

import { describe, expect, it } from 'vitest';
import { AnalysisView, combine, FLEET, parseLe } from '../../src/derive/view.js';
import { centredBucketRates, centredQuantile, centredRate, shareAboveSeries } from '../../src/derive/windowed.js';
import { histogramQuantile, rate } from '../../src/stats/promql.js';
import { MetricSet } from '../../src/model/series.js';
import { syntheticMetrics, TTFT_LES } from '../support/synthetic-latency.js';

const START = 1_763_625_600;
const TTFT = 'vllm:time_to_first_token_seconds';

function fleetView() {
  const m = syntheticMetrics({
    start: START,
    seconds: 3600,
    scrapeSeconds: 10,
    seed: 9,
    replicas: ['a:8000', 'b:8000', 'c:8000'].map((instance, k) => ({
      instance,
      perScrape: 5 + 5 * k,
      histograms: [{ name: TTFT, les: TTFT_LES, at: (t: number) => ({ median: 0.05 * (k + 1) * (t > START + 1800 ? 3 : 1), sigma: 0.5 }) }],
      waiting: (_t: number, z: () => number) => Math.max(0, Math.round(2 + z())),
    })),
  });
  // a gap in replica b's buckets: NaN-free series, but b stops reporting for 10 minutes
  const series = m.series.map((s) => {
    if (s.labels.instance !== 'b:8000') return s;
    const keep = Array.from(s.t, (t) => !(t > START + 600 && t < START + 1200));
    return { ...s, t: s.t.filter((_, i) => keep[i]), v: (s.v as Float64Array).filter((_, i) => keep[i]) };
  });
  return new AnalysisView(new MetricSet(series), { values: {}, conflicts: [] });
}

const shift = (g: Float64Array, by: number) => g.map((x) => x + by);

describe('fleet windows from the replicas', () => {
  const view = fleetView();
  const W = 60;

  it('bucket rates: the sum of the replicas equals rating all the fleet series directly', () => {
    const fleet = centredBucketRates(view, TTFT, FLEET, W)!;
    const all = view.series(`${TTFT}_bucket`, FLEET);
    for (let j = 0; j < fleet.les.length; j++) {
      const direct = combine(all.filter((s) => parseLe(s.labels.le) === fleet.les[j]).map((s) => rate(s.t, s.v, shift(view.grid, W / 2), W)), 'sum');
      for (let i = 0; i < direct.length; i++) {
        if (Number.isNaN(direct[i])) expect(Number.isNaN(fleet.rates[j][i])).toBe(true);
        else expect(fleet.rates[j][i]).toBeCloseTo(direct[i], 9);
      }
    }
  });

  it('counter rates and shares above a threshold likewise', () => {
    const fr = centredRate(view, `${TTFT}_count`, FLEET, W)!;
    const direct = combine(view.series(`${TTFT}_count`, FLEET).map((s) => rate(s.t, s.v, shift(view.grid, W / 2), W)), 'sum');
    for (let i = 0; i < fr.length; i++) expect(Number.isNaN(fr[i]) ? NaN : fr[i]).toBeCloseTo(Number.isNaN(direct[i]) ? NaN : direct[i], 9);
    const share = shareAboveSeries(view, TTFT, 0.3, FLEET, 300, 'trailing')!;
    const below = (le: number) => combine(view.series(`${TTFT}_bucket`, FLEET).filter((s) => parseLe(s.labels.le) === le).map((s) => rate(s.t, s.v, view.grid, 300)), 'sum');
    const [b25, b50, inf] = [below(0.25), below(0.5), below(Infinity)];
    for (let i = 0; i < share.length; i++) {
      const expected = inf[i] > 0 ? 1 - (b25[i] + ((b50[i] - b25[i]) * (0.3 - 0.25)) / 0.25) / inf[i] : NaN;
      if (Number.isNaN(expected)) expect(Number.isNaN(share[i])).toBe(true);
      else expect(share[i]).toBeCloseTo(expected, 9);
    }
  });

  it('quantileSeries (trailing rate window) equals histogram_quantile at each point, NaN where nothing was observed', () => {
    const nans: number[] = [];
    for (const scope of [FLEET, 'b:8000']) {
      const q = view.quantileSeries(TTFT, 0.95, scope)!;
      // sum by (le) of each bucket series' rate, in series order, as the view sums them
      const buckets = view.series(`${TTFT}_bucket`, scope);
      const les = [...new Set(buckets.map((s) => parseLe(s.labels.le)))].sort((a, b) => a - b);
      const summed = les.map((le) => combine(buckets.filter((s) => parseLe(s.labels.le) === le).map((s) => rate(s.t, s.v, view.grid, view.rateWindow)), 'sum'));
      let nan = 0;
      expect(q.length).toBe(view.grid.length);
      for (let i = 0; i < q.length; i++) {
        const counts = summed.map((r) => r[i]);
        const ok = counts.every((c) => !Number.isNaN(c)) && counts[counts.length - 1] > 0;
        if (!ok) {
          nan++;
          expect(Number.isNaN(q[i])).toBe(true);
        } else expect(q[i]).toBe(histogramQuantile(0.95, les, counts));
      }
      nans.push(nan);
    }
    // the window's first point has no rate anywhere; replica b's 10-minute gap is NaN only for b
    expect(nans[0]).toBeGreaterThan(0);
    expect(nans[1]).toBeGreaterThan(nans[0] + 30);
  });

  it('centredQuantile equals histogram_quantile at each point, NaN where nothing was observed', () => {
    for (const scope of [FLEET, 'b:8000']) {
      const q = centredQuantile(view, TTFT, 0.95, scope, W)!;
      const b = centredBucketRates(view, TTFT, scope, W)!;
      let nan = 0;
      for (let i = 0; i < q.length; i++) {
        const counts = b.rates.map((r) => r[i]);
        const ok = counts.every((c) => !Number.isNaN(c)) && counts[counts.length - 1] > 0;
        if (!ok) {
          nan++;
          expect(Number.isNaN(q[i])).toBe(true);
        } else expect(q[i]).toBe(histogramQuantile(0.95, b.les, counts));
      }
      // replica b's 10-minute gap is NaN there, not in the fleet (a and c still report)
      expect(nan > 0).toBe(scope === 'b:8000');
    }
  });
});
