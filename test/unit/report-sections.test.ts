// Report sections rendered from Result data: anomaly episodes (× baseline, capped score, new normal),
// latency (bucket bounds, windows, burn rates, alert spans), durations.

import { describe, expect, it } from 'vitest';
import type { AnomalyEpisode, LatencyDecomposition, LatencyRow, Result } from '../../src/model/result.js';
import { renderDecompositionSection, ttftSentence } from '../../src/report/decomposition-section.js';
import { changeCell, renderAnomalySection, scoreCell } from '../../src/report/anomaly-section.js';
import { quantileCell, renderLatencySection } from '../../src/report/latency-section.js';
import { duration } from '../../src/report/format.js';

const T = 1_763_632_800; // 2025-11-20 10:00:00Z

const ep = (o: Partial<AnomalyEpisode>): AnomalyEpisode => ({
  metric: 'p95 vllm:time_to_first_token_seconds',
  scope: 'fleet',
  method: 'robust',
  startSeconds: T,
  endSeconds: T + 1800,
  peakValue: 4.2,
  peakScore: 50,
  direction: 'up',
  baselineValue: 0.1,
  ratioToBaseline: 42,
  deltaFromBaseline: 4.1,
  scoreCapped: true,
  acceptedAsNormal: false,
  unit: 'seconds',
  ...o,
});

describe('anomaly section', () => {
  it('shows × baseline and a capped score, never a four-digit σ', () => {
    const s = renderAnomalySection([ep({})]);
    expect(s).toContain('| `p95 vllm:time_to_first_token_seconds` | fleet | 2025-11-20 10:00:00Z | 2025-11-20 10:30:00Z | 30 min | 4.2 s | 100 ms | 42× | > 50σ |');
    expect(s).not.toMatch(/\d{3,}σ/);
  });
  it('a baseline of ~0: the change is a difference in the unit', () => {
    const a = ep({ metric: 'vllm:num_requests_waiting', unit: 'requests', peakValue: 5, baselineValue: 0, ratioToBaseline: null, deltaFromBaseline: 5, peakScore: 10, scoreCapped: false });
    expect(changeCell(a)).toBe('+5');
    expect(scoreCell(a)).toBe('+10σ');
    expect(changeCell(ep({ unit: 'per second', ratioToBaseline: null, deltaFromBaseline: 0.25 }))).toBe('+0.25/s');
    expect(scoreCell(ep({ direction: 'down', peakScore: -50 }))).toBe('< −50σ');
    expect(scoreCell(ep({ direction: 'down', peakScore: -7.25, scoreCapped: false }))).toBe('−7.25σ');
  });
  it('a shift accepted as the new normal says so in the row and below the table', () => {
    const s = renderAnomalySection([ep({ acceptedAsNormal: true, endSeconds: T + 7200 })]);
    expect(s).toContain('2025-11-20 12:00:00Z (new normal)');
    expect(s).toContain('still shifted after 2 h; from 2025-11-20 12:00:00Z this level is the baseline');
  });
  it('a peak in a wide bucket is shown with the bucket; nothing to render for no episodes', () => {
    const s = renderAnomalySection([ep({ peakValue: 530, peakBucket: { lowerSeconds: 160, upperSeconds: 640, wide: true } })]);
    expect(s).toContain('8 min 50 s (bucket 2 min 40 s–10 min 40 s)');
    expect(renderAnomalySection([])).toBe('');
  });
});

describe('latency section', () => {
  const slo = { profile: 'chat', ttftSeconds: 0.5, tbtSeconds: 0.05, e2eSeconds: 10 };
  const row = (o: Partial<LatencyRow>): LatencyRow => ({
    id: 'ttft',
    metric: 'vllm:time_to_first_token_seconds',
    scope: 'fleet',
    p50Seconds: 0.03,
    p95Seconds: 146,
    p99Seconds: 640,
    meanSeconds: 20,
    requests: 1000,
    targetSeconds: 0.5,
    overTargetRatio: 0.356,
    verdict: 'breached',
    ...o,
  });
  const result = (rows: LatencyRow[]) => ({ slo, latency: rows, inventory: { window: { startSeconds: T, endSeconds: T + 3590, stepSeconds: 10 } } }) as unknown as Result;

  it('quantiles in wide buckets carry their bounds; +Inf reads "> bound"', () => {
    expect(quantileCell(0.0075, { lowerSeconds: 0, upperSeconds: 0.01, wide: true })).toBe('7.5 ms (≤ 10 ms)');
    expect(quantileCell(448, { lowerSeconds: 160, upperSeconds: 640, wide: true })).toBe('7 min 28 s (2 min 40 s–10 min 40 s)');
    expect(quantileCell(640, { lowerSeconds: 640, upperSeconds: null, wide: true })).toBe('> 10 min 40 s');
    expect(quantileCell(0.7, { lowerSeconds: 0.5, upperSeconds: 1, wide: false })).toBe('700 ms');
    expect(quantileCell(null, undefined)).toBe('–');
  });

  it('windows, burn rates, alert spans and what could not be evaluated', () => {
    const r = row({
      p99Bucket: { lowerSeconds: 640, upperSeconds: null, wide: true },
      windows: { windowSeconds: 300, evaluated: 332, overTarget: 140, overTargetRatio: 140 / 332, overTargetSeconds: 1400, worst: { startSeconds: T + 2000, endSeconds: T + 2300, p95Seconds: 533, bucket: { lowerSeconds: 160, upperSeconds: 640, wide: true } } },
      burn: {
        budgetRatio: 0.05,
        rates: [
          { windowSeconds: 300, evaluated: 331, maxBurnRate: 20, atSeconds: T + 1520 },
          { windowSeconds: 3600, evaluated: 1, maxBurnRate: 16.7, atSeconds: T + 3590 },
        ],
        alerts: [
          { name: 'fast', longWindowSeconds: 3600, shortWindowSeconds: 300, factor: 14.4, evaluated: true, spans: [{ startSeconds: T + 3590, endSeconds: T + 3600, peakLongBurnRate: 16.7, peakShortBurnRate: 20 }] },
          { name: 'slow', longWindowSeconds: 21600, shortWindowSeconds: 1800, factor: 6, evaluated: false, reason: 'the data covers 60 min, less than the 6 h long window', spans: [] },
        ],
      },
    });
    const s = renderLatencySection(result([r]));
    expect(s).toContain('| TTFT | fleet | 30 ms | 2 min 26 s | > 10 min 40 s | 500 ms | 35.6% | **breached** |');
    expect(s).toContain('| TTFT | fleet | 42.2% (23 min 20 s) | 8 min 53 s (2 min 40 s–10 min 40 s) | 2025-11-20 10:33:20Z → 10:38:20Z | 20× at 10:25:20Z | 16.7× at 10:59:50Z |');
    expect(s).toContain('- TTFT fleet: fast-burn page (1 h and 5 m burn > 14.4) would have fired 2025-11-20 10:59:50Z → 2025-11-20 11:00:00Z (10 s, still firing when the data ends; peak burn 16.7× over 1 h, 20× over 5 m).');
    const one = renderLatencySection(result([{ ...r, burn: { ...r.burn!, alerts: [{ ...r.burn!.alerts[0], spans: [{ startSeconds: T + 3000, endSeconds: T + 3000, peakLongBurnRate: 15, peakShortBurnRate: 19 }] }] } }]));
    expect(one).toContain('would have fired at 2025-11-20 10:50:00Z (one evaluation; peak burn 15× over 1 h, 19× over 5 m).');
    expect(s).toContain('- Slow-burn ticket (6 h and 30 m burn > 6): not evaluated, the data covers 60 min, less than the 6 h long window.');
    expect(s).not.toContain('No burn-rate alert');
  });

  it('no alert fired: says so, with how often the 1 h window fits', () => {
    const r = row({ burn: { budgetRatio: 0.05, rates: [{ windowSeconds: 3600, evaluated: 721, maxBurnRate: 0.03, atSeconds: T }], alerts: [{ name: 'fast', longWindowSeconds: 3600, shortWindowSeconds: 300, factor: 14.4, evaluated: true, spans: [] }] } });
    expect(renderLatencySection(result([r]))).toContain('- No burn-rate alert would have fired (a full 1 h window fits at 721 grid points of the data).');
    expect(renderLatencySection(result([]))).toBe('');
  });
});

describe('duration', () => {
  it('rounds before splitting minutes and seconds', () => {
    expect([duration(239.7), duration(7199.6), duration(5399.9), duration(172799)]).toEqual(['4 min', '2 h', '90 min', '2 d']);
  });
});

describe('decomposition section', () => {
  const d = (o: Partial<LatencyDecomposition>): LatencyDecomposition => ({
    scope: '10.0.0.11:8000',
    startSeconds: T,
    endSeconds: T + 3600,
    queueMeanSeconds: 48.9,
    prefillMeanSeconds: 0.3,
    decodeMeanSeconds: 6.5,
    inferenceMeanSeconds: 6.8,
    ttftMeanSeconds: 49.3,
    e2eMeanSeconds: 55.7,
    queueCount: 1000,
    prefillCount: 1000,
    decodeCount: 1000,
    ttftCount: 1000,
    e2eCount: 1000,
    ttftResidualSeconds: 0.1,
    e2eResidualSeconds: 0,
    caveats: [],
    ...o,
  });
  it('the sentence a finding about waiting can use', () => {
    expect(ttftSentence(d({}))).toBe('TTFT 49.3 s = 48.9 s waiting + 300 ms prefill + 100 ms other');
    expect(ttftSentence(d({ ttftResidualSeconds: -0.0168, ttftMeanSeconds: 28.5, queueMeanSeconds: 28.4, prefillMeanSeconds: 0.132 }))).toBe('TTFT 28.5 s = 28.4 s waiting + 132 ms prefill − 16.8 ms other');
    expect(ttftSentence(d({ queueMeanSeconds: null }))).toBeNull();
  });
  it('the table, residuals ≈ 0 below a millisecond, caveats per scope', () => {
    const s = renderDecompositionSection([d({ caveats: ['120 preemptions in the span'] })]);
    expect(s).toContain('| 10.0.0.11:8000 | 1,000 | 48.9 s | 300 ms | 6.5 s | 49.3 s | +100 ms | 55.7 s | ≈ 0 |');
    expect(s).toContain('- 10.0.0.11:8000: TTFT 49.3 s = 48.9 s waiting + 300 ms prefill + 100 ms other. 120 preemptions in the span.');
    expect(renderDecompositionSection(undefined)).toBe('');
  });
});
