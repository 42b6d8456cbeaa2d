import { describe, expect, it } from 'vitest';
import { CHART_PLANS, chartSpecs, downsample, MAX_CHART_POINTS, sanitizeScope, type ChartSpec } from '../../src/derive/charts.js';
import { renderChartSvg } from '../../src/report/svg.js';
import { AnalysisView } from '../../src/derive/view.js';
import { MetricSet, type Series } from '../../src/model/series.js';
import type { AnomalyEpisode, Finding } from '../../src/model/result.js';
import { FINDING_CODES, GPU_FINDING_CODES, type FindingCode } from '../../src/model/vocabulary.js';
import { flagsConfig } from '../support/synthetic.js';

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

describe('CHART_PLANS', () => {
  it('is keyed by every finding code; profile findings and OOM_RISK have no time-series chart', () => {
    expect(Object.keys(CHART_PLANS).sort()).toEqual([...FINDING_CODES].sort());
    const none = Object.entries(CHART_PLANS).filter(([, p]) => p === null).map(([c]) => c).sort();
    expect(none).toEqual([...GPU_FINDING_CODES, 'OOM_RISK'].sort());
  });
});

describe('chartSpecs', () => {
  const N = 1000;
  const t = Float64Array.from({ length: N }, (_, i) => T0 + 10 * i);
  const ramp = (k: number) => Float64Array.from({ length: N }, (_, i) => k * i);
  const g = (name: string, inst: string, v: Float64Array, extra: Record<string, string> = {}): Series => ({ name, labels: { instance: inst, ...extra }, t, v });
  const finding = (code: FindingCode, scope: string, o: Partial<Finding> = {}): Finding => ({
    id: `${code}@${scope}`,
    code,
    severity: 'warning',
    scope,
    replicas: scope === 'fleet' ? [] : [scope],
    episodes: [{ startSeconds: T0 + 1000, endSeconds: T0 + 2000, durationSeconds: 1000, peakAtSeconds: null, numbers: {} }],
    evidence: {},
    recommendations: [],
    doc: `docs/findings/${code}.md`,
    ...o,
  });

  describe('one replica', () => {
    const view = new AnalysisView(new MetricSet([g('vllm:kv_cache_usage_perc', 'a', ramp(1)), g('vllm:num_requests_waiting', 'a', ramp(2))]), flagsConfig());
    const anomalies: AnomalyEpisode[] = [
      { metric: 'vllm:kv_cache_usage_perc', scope: 'a', method: 'zscore', startSeconds: T0 + 3000, endSeconds: T0 + 3100, peakValue: 1, peakScore: 5, direction: 'up' },
      { metric: 'vllm:kv_cache_usage_perc', scope: 'b', method: 'zscore', startSeconds: T0 + 4000, endSeconds: T0 + 4100, peakValue: 1, peakScore: 5, direction: 'up' },
      { metric: 'vllm:num_requests_waiting', scope: 'a', method: 'robust', startSeconds: T0 + 5000, endSeconds: T0 + 5100, peakValue: 1, peakScore: 5, direction: 'up' },
    ];
    const specs = chartSpecs(view, [finding('KV_CACHE_THRASHING', 'a'), finding('OOM_RISK', 'a'), finding('QUEUE_BUILDUP', 'a', { causedBy: 'KV_CACHE_THRASHING@a' })], anomalies, 'rep');

    it('one chart per root finding that has one (consequences and OOM_RISK have none), then the overview', () => {
      expect(specs.map((s) => [s.file, s.finding ?? null, s.scope])).toEqual([
        ['rep-kv_cache_thrashing-a.svg', 'KV_CACHE_THRASHING@a', 'a'],
        ['rep-overview.svg', null, 'fleet'],
      ]);
      expect(specs[0].series.map((s) => s.label)).toEqual(['KV cache usage']); // no preemption counter
      expect(specs[1].series.map((s) => s.label)).toEqual(['waiting requests', 'KV cache usage [ratio]']);
    });

    it(`downsamples to at most ${MAX_CHART_POINTS} points with exact block means`, () => {
      const s = specs[0].series[0];
      expect(view.grid.length).toBe(N);
      expect(s.v.length).toBe(200); // ⌈1000 / 240⌉ = 5 per block
      for (let b = 0; b < 200; b++) {
        expect(s.v[b]).toBe(5 * b + 2);
        expect(s.t[b]).toBe(T0 + 10 * (5 * b + 2));
      }
    });

    it('shades the finding\'s episodes and the anomalies of the same replica and metric', () => {
      expect(specs[0].shaded).toEqual([
        { startSeconds: T0 + 1000, endSeconds: T0 + 2000, label: 'episode' },
        { startSeconds: T0 + 3000, endSeconds: T0 + 3100, label: 'anomaly: vllm:kv_cache_usage_perc up' },
      ]);
      const svg = renderChartSvg(specs[0]);
      expect(svg.match(/<rect class="shade"/g)?.length).toBe(2);
      expect(wellFormed(svg)).toBe(true);
    });

    it('a latency breach is drawn against its worst latency\'s target', () => {
      const bucket = (le: string, perStep: number): Series => ({ name: 'vllm:inter_token_latency_seconds_bucket', labels: { instance: 'a', le }, t, v: ramp(perStep) });
      const hv = new AnalysisView(new MetricSet([bucket('0.02', 0), bucket('0.1', 10), bucket('+Inf', 10)]), flagsConfig());
      const [c] = chartSpecs(hv, [finding('LATENCY_SLO_BREACH', 'a', { evidence: { worst: 'tbt' } })], [], 'x');
      expect([c.unit, c.series.map((x) => x.label), c.threshold]).toEqual(['s', ['time between tokens p95'], { value: 0.05, label: 'time between tokens target' }]);
      // all observations in (0.02, 0.1]: p95 = 0.02 + 0.08 × 0.95
      expect(c.series[0].v[100]).toBeCloseTo(0.096, 12);
    });

    it('is deterministic, and file names stay unique', () => {
      expect(chartSpecs(view, [finding('KV_CACHE_THRASHING', 'a')], anomalies, 'rep')).toEqual(chartSpecs(view, [finding('KV_CACHE_THRASHING', 'a')], anomalies, 'rep'));
      const twice = chartSpecs(view, [finding('KV_CACHE_THRASHING', 'a'), finding('KV_CACHE_THRASHING', 'a', { id: 'KV_CACHE_THRASHING@a#2' })], [], 'rep');
      expect(twice.map((s) => s.file)).toEqual(['rep-kv_cache_thrashing-a.svg', 'rep-kv_cache_thrashing-a-2.svg', 'rep-overview.svg']);
    });
  });

  describe('several replicas: per-replica lines, never a fleet average', () => {
    const reps = ['10.0.0.1:8000', '10.0.0.2:8000', '10.0.0.3:8000'];
    const series = reps.flatMap((r, k) => [g('vllm:kv_cache_usage_perc', r, ramp(k + 1), { model_name: 'm' }), g('vllm:num_requests_waiting', r, ramp(10 * (k + 1)), { model_name: 'm' })]);
    const view = new AnalysisView(new MetricSet(series), flagsConfig());
    const specs = chartSpecs(view, [finding('CONFIG_DRIFT', reps[1], { evidence: { model: 'm' } }), finding('KV_CACHE_THRASHING', reps[1], { causedBy: `CONFIG_DRIFT@${reps[1]}` })], [], 'fl');

    it('the overview is one line per replica, for KV usage and for the queue', () => {
      const over = specs.filter((s) => !s.finding);
      expect(over.map((s) => [s.file, s.title, s.unit, s.series.map((x) => x.label)])).toEqual([
        ['fl-overview-kv.svg', 'KV cache usage per replica', 'ratio', reps.map((r) => `KV cache usage ${r}`)],
        ['fl-overview-waiting.svg', 'Waiting requests per replica', 'requests', reps.map((r) => `waiting ${r}`)],
      ]);
      // Each line is its replica's own series (block means of k·i), not an average.
      over[0].series.forEach((s, k) => expect(s.v[0]).toBe((k + 1) * 2));
    });

    it('CONFIG_DRIFT draws every replica of the model; a finding explained by drift keeps its chart', () => {
      const drift = specs.find((s) => s.finding === `CONFIG_DRIFT@${reps[1]}`)!;
      expect(drift.series.map((s) => s.label)).toEqual(reps.map((r) => `KV cache usage ${r}`));
      expect(specs.find((s) => s.finding === `KV_CACHE_THRASHING@${reps[1]}`)?.file).toBe('fl-kv_cache_thrashing-10-0-0-2-8000.svg');
    });

    it('at most 8 replicas per chart', () => {
      const many = Array.from({ length: 10 }, (_, k) => g('vllm:kv_cache_usage_perc', `h${k}:8000`, ramp(1)));
      const v = new AnalysisView(new MetricSet(many), flagsConfig());
      expect(chartSpecs(v, [], [], 'm')[0].series).toHaveLength(8);
    });
  });

  it('no charts for a single scrape', () => {
    const one = new AnalysisView(new MetricSet([{ name: 'vllm:kv_cache_usage_perc', labels: {}, t: Float64Array.of(T0), v: Float64Array.of(0.5) }]), flagsConfig());
    expect(chartSpecs(one, [finding('KV_CACHE_THRASHING', 'fleet')], [], 'x')).toEqual([]);
  });
});
