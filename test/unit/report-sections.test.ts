// Report sections rendered from Result data: anomaly episodes (× baseline, capped score, new normal).

import { describe, expect, it } from 'vitest';
import type { AnomalyEpisode } from '../../src/model/result.js';
import { changeCell, renderAnomalySection, scoreCell } from '../../src/report/anomaly-section.js';

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
