import { describe, expect, it } from 'vitest';
import { chartSpecs, downsample, sanitizeScope, type ChartSpec } from '../../src/derive/charts.js';
import { renderChartSvg } from '../../src/report/svg.js';
import { AnalysisView } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { AnomalyEpisode, Finding } from '../../src/model/result.js';

const T0 = 1_714_564_800; // 2024-05-01 12:00:00Z

/** Tiny XML well-formedness check: every open tag is closed in order, no stray `<` or `&`. */
function wellFormed(svg: string): boolean {
  const stack: string[] = [];
  const tag = /<(\/?)([a-zA-Z][\w:-]*)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>/g;
  let last = 0;
  let m: RegExpExecArray | null;
  while ((m = tag.exec(svg))) {
    const text = svg.slice(last, m.index);
    if (/[<>]/.test(text) || /&(?!(amp|lt|gt|quot|#39);)/.test(text)) return false;
    last = tag.lastIndex;
    if (m[1]) {
      if (stack.pop() !== m[2]) return false;
    } else if (!m[4]) stack.push(m[2]);
  }
  return stack.length === 0 && svg.slice(last).trim() === '';
}

const spec: ChartSpec = {
  file: 'r-x-fleet.svg',
  title: 'KV <script>&"thrash\'',
  finding: 'KV_CACHE_THRASHING',
  scope: 'fleet',
  unit: 'ratio',
  series: [
    { label: 'KV usage <a>', t: [T0, T0 + 60, T0 + 120, T0 + 180, T0 + 240, T0 + 300], v: [0.1, 0.5, null, 0.7, 0.9, null] },
    { label: 'preemptions [1/s]', t: [T0, T0 + 60, T0 + 120, T0 + 180, T0 + 240, T0 + 300], v: [null, 3, 4, null, 8, null] },
  ],
  shaded: [
    { startSeconds: T0 + 60, endSeconds: T0 + 120, label: 'finding window' },
    { startSeconds: T0 + 200, endSeconds: T0 + 260, label: 'anomaly <b>' },
  ],
  threshold: { value: 0.95, label: 'limit' },
};

describe('renderChartSvg', () => {
  const svg = renderChartSvg(spec);

  it('is a well-formed self-contained SVG of the right size', () => {
    expect(wellFormed(svg)).toBe(true);
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg" width="800" height="260" viewBox="0 0 800 260"')).toBe(true);
    expect(svg).toContain('fill="#ffffff"');
  });

  it('escapes the title and labels', () => {
    expect(svg).toContain('KV &lt;script&gt;&amp;"thrash\'');
    expect(svg).not.toContain('<script>');
    expect(svg).toContain('KV usage &lt;a&gt;');
    expect(svg).toContain('anomaly &lt;b&gt;');
  });

  it('draws one polyline per contiguous non-null run', () => {
    // series 1: [0.1, 0.5] [0.7, 0.9]; series 2: [3, 4] [8]
    expect(svg.match(/<polyline /g)?.length).toBe(4);
  });

  it('draws a rect per shaded window and a dashed threshold', () => {
    expect(svg.match(/<rect class="shade"/g)?.length).toBe(2);
    expect(svg).toContain('stroke-dasharray');
  });

  it('labels time in UTC with the date once, and a right axis for the second unit', () => {
    expect(svg).toContain('>12:00<');
    expect(svg.match(/2024-05-01/g)?.length).toBe(1);
    expect(svg).toContain('>1/s<');
  });

  it('is deterministic', () => {
    expect(renderChartSvg(structuredClone(spec))).toBe(svg);
  });

  it('renders an empty spec without crashing', () => {
    const e = renderChartSvg({ file: 'e.svg', title: 'empty', scope: 'fleet', unit: 's', series: [], shaded: [] });
    expect(wellFormed(e)).toBe(true);
    expect(e).toContain('no data');
  });
});

describe('downsample', () => {
  it('block means ignoring NaN, NaN blocks become null', () => {
    const grid = [0, 10, 20, 30, 40, 50, 60];
    const v = [1, NaN, 3, NaN, NaN, NaN, 7];
    expect(downsample(grid, v, 3)).toEqual({ t: [10, 40, 60], v: [2, null, 7] });
    expect(downsample(grid, v, 10)).toEqual({ t: grid, v: [1, null, 3, null, null, null, 7] });
  });

  it('sanitizes scopes for file names', () => {
    expect(sanitizeScope('10.0.0.1:8000')).toBe('10-0-0-1-8000');
    expect(sanitizeScope('Engine 0/../x')).toBe('engine-0-x');
    expect(sanitizeScope('***')).toBe('scope');
  });
});

describe('chartSpecs', () => {
  const N = 1000;
  const t = Float64Array.from({ length: N }, (_, i) => T0 + 10 * i);
  const kv: Series = { name: 'vllm:kv_cache_usage_perc', labels: { instance: 'a' }, t, v: Float64Array.from({ length: N }, (_, i) => i) };
  const view = new AnalysisView(new MetricSet([kv]), { values: {}, conflicts: [] });
  const finding: Finding = {
    code: 'KV_CACHE_THRASHING',
    title: 'KV cache thrashing',
    severity: 'warning',
    summary: 's',
    scope: 'fleet',
    window: { startSeconds: T0 + 1000, endSeconds: T0 + 2000 },
    evidence: {},
    recommendations: [],
    doc: 'docs/findings/KV_CACHE_THRASHING.md',
  };
  const anomalies: AnomalyEpisode[] = [
    { metric: 'vllm:kv_cache_usage_perc', scope: 'fleet', method: 'zscore', startSeconds: T0 + 3000, endSeconds: T0 + 3100, peakValue: 1, peakScore: 5, direction: 'up' },
    { metric: 'vllm:kv_cache_usage_perc', scope: 'a', method: 'zscore', startSeconds: T0 + 4000, endSeconds: T0 + 4100, peakValue: 1, peakScore: 5, direction: 'up' },
    { metric: 'vllm:num_requests_waiting', scope: 'fleet', method: 'robust', startSeconds: T0 + 5000, endSeconds: T0 + 5100, peakValue: 1, peakScore: 5, direction: 'up' },
  ];
  const specs = chartSpecs(view, [finding, { ...finding, code: 'OOM_RISK' }], anomalies, 'rep');

  it('one chart per fitting finding plus the overview', () => {
    expect(specs.map((s) => s.file)).toEqual(['rep-kv_cache_thrashing-fleet.svg', 'rep-overview.svg']);
  });

  it('downsamples to at most 240 points with exact block means', () => {
    const s = specs[0].series[0];
    expect(view.grid.length).toBe(N);
    expect(s.v.length).toBe(200);
    expect(s.t.length).toBe(200);
    for (let b = 0; b < 200; b++) {
      expect(s.v[b]).toBe(5 * b + 2);
      expect(s.t[b]).toBe(T0 + 10 * (5 * b + 2));
    }
  });

  it('shades the finding window and the anomalies of the same scope and metric', () => {
    expect(specs[0].shaded).toEqual([
      { startSeconds: T0 + 1000, endSeconds: T0 + 2000, label: 'finding window' },
      { startSeconds: T0 + 3000, endSeconds: T0 + 3100, label: 'anomaly: vllm:kv_cache_usage_perc up' },
    ]);
    const svg = renderChartSvg(specs[0]);
    expect(svg.match(/<rect class="shade"/g)?.length).toBe(2);
    expect(wellFormed(svg)).toBe(true);
  });

  it('is deterministic', () => {
    expect(chartSpecs(view, [finding], anomalies, 'rep')).toEqual(chartSpecs(view, [finding], anomalies, 'rep'));
  });
});
