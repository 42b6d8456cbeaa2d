// Differential tests: our PromQL math (src/stats/promql.ts) over the RAW series fetched from a real
// Prometheus equals Prometheus's own /api/v1/query_range of the same expression, window and step,
// within 1e-9 relative error — across a counter reset (replica 1 restarts 50 min in), a 10-minute
// scrape gap (replica 0), millisecond-jittered scrape times, and a TTFT tail that lands in +Inf.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import type { MetricSet, Series } from '../../src/model/series.js';
import { fetchSeries, parsePrometheusFlags } from '../../src/prometheus/index.js';
import { evalGrid, histogramQuantile, increase, rate, sumAligned } from '../../src/stats/promql.js';
import { generateOpenMetrics } from './prometheus/generate.js';
import { FIXTURE, FIXTURE_END, FIXTURE_START } from './prometheus/fixture.js';
import { havePrometheus, queryRange, startPrometheus, type PromServer } from './prometheus/server.js';

const REL = 1e-9;
let server: PromServer;
let metrics: MetricSet;

const INSTANCES = ['10.0.0.11:8000', '10.0.0.12:8000'];
// Windows and steps: a plain one, one with an odd step and range that don't divide the scrape interval,
// and one whose windows are shorter than two scrapes in places (edge of "fewer than 2 samples").
const GRIDS = [
  { start: FIXTURE_START + 120, end: FIXTURE_END, step: 60, range: 300 },
  { start: FIXTURE_START + 7.5, end: FIXTURE_END - 3.25, step: 37, range: 150.5 },
  { start: FIXTURE_START, end: FIXTURE_END, step: 15, range: 19 },
];

function parseLe(s: string): number {
  return s === '+Inf' ? Infinity : Number(s);
}

/** Server result → value per grid time (NaN where the server returned no point). */
function onGrid(grid: Float64Array, values: [number, string][] | undefined): Float64Array {
  const out = new Float64Array(grid.length).fill(NaN);
  if (!values) return out;
  const idx = new Map<number, number>();
  for (let i = 0; i < grid.length; i++) idx.set(Math.round(grid[i] * 1000), i);
  for (const [t, v] of values) {
    const i = idx.get(Math.round(t * 1000));
    if (i === undefined) throw new Error(`server returned a point off our grid: ${t}`);
    out[i] = v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
  }
  return out;
}

/** Element-wise: both absent, or both present within REL (exact for equal infinities). Returns points compared. */
function expectClose(ours: Float64Array, theirs: Float64Array, what: string): number {
  expect(ours.length).toBe(theirs.length);
  let compared = 0;
  for (let i = 0; i < ours.length; i++) {
    const a = ours[i];
    const b = theirs[i];
    if (b !== b) {
      expect(a !== a, `${what} @${i}: server has no point, we have ${a}`).toBe(true);
      continue;
    }
    expect(a === a, `${what} @${i}: we have no point, server has ${b}`).toBe(true);
    if (a === b) {
      compared++;
      continue;
    }
    const rel = Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b));
    expect(rel, `${what} @${i}: ours ${a} vs server ${b}`).toBeLessThanOrEqual(REL);
    compared++;
  }
  return compared;
}

function one(name: string, instance: string, extra: Record<string, string> = {}): Series {
  const list = metrics.get(name, { instance, ...extra });
  expect(list.length, `${name}{instance=${instance}}`).toBe(1);
  return list[0];
}

describe.skipIf(!havePrometheus())('our PromQL math equals Prometheus on the same raw data', () => {
  beforeAll(async () => {
    server = await startPrometheus({ omText: generateOpenMetrics(FIXTURE).text });
    const o = parsePrometheusFlags({ prometheus: server.url, start: String(FIXTURE_START), end: String(FIXTURE_END) }, FIXTURE_END, {});
    const { inputs } = await fetchSeries(o);
    metrics = (await ingest({ inputs: [], series: inputs })).metrics;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('rate() and increase() per series, across the reset and the gap', async () => {
    let points = 0;
    let gapPointsAbsent = 0;
    for (const g of GRIDS) {
      const grid = evalGrid(g.start, g.end, g.step);
      for (const name of ['vllm:prompt_tokens_total', 'vllm:num_preemptions_total', 'vllm:time_to_first_token_seconds_count']) {
        for (const inst of INSTANCES) {
          const s = one(name, inst);
          for (const fn of ['rate', 'increase'] as const) {
            const res = await queryRange(server.url, `${fn}(${name}{instance="${inst}"}[${Math.round(g.range * 1000)}ms])`, g.start, g.end, g.step);
            expect(res.length).toBe(1);
            const theirs = onGrid(grid, res[0].values);
            const ours = (fn === 'rate' ? rate : increase)(s.t, s.v, grid, g.range);
            points += expectClose(ours, theirs, `${fn} ${name} ${inst} step ${g.step}`);
            if (inst === INSTANCES[0]) {
              // Inside the 10-minute gap both sides agree the short windows are empty.
              for (let i = 0; i < grid.length; i++) if (grid[i] - g.range > FIXTURE_START + 1802 && grid[i] < FIXTURE_START + 2398 && theirs[i] !== theirs[i]) gapPointsAbsent++;
            }
          }
        }
      }
    }
    expect(points).toBeGreaterThan(5000);
    expect(gapPointsAbsent).toBeGreaterThan(50);
    // The restart really is inside the compared data: the raw counter drops once on replica 1.
    const s = one('vllm:prompt_tokens_total', INSTANCES[1]);
    let drops = 0;
    for (let i = 1; i < s.v.length; i++) if (s.v[i] < s.v[i - 1]) drops++;
    expect(drops).toBe(1);
  });

  it('sum(rate()) over replicas', async () => {
    const g = GRIDS[0];
    const grid = evalGrid(g.start, g.end, g.step);
    const name = 'vllm:generation_tokens_total';
    const res = await queryRange(server.url, `sum(rate(${name}[5m]))`, g.start, g.end, g.step);
    const ours = sumAligned(INSTANCES.map((i) => rate(one(name, i).t, one(name, i).v, grid, 300)));
    expect(expectClose(ours, onGrid(grid, res[0].values), 'sum(rate)')).toBe(grid.length);
  });

  it('histogram_quantile() per replica and over sum by (le), including the +Inf tail', async () => {
    const name = 'vllm:time_to_first_token_seconds';
    let points = 0;
    let overflowPoints = 0;
    for (const g of GRIDS.slice(0, 2)) {
      const grid = evalGrid(g.start, g.end, g.step);
      const r = `${Math.round(g.range * 1000)}ms`;
      // Our bucket rates per replica, by bound.
      const perReplica = INSTANCES.map((inst) => {
        const buckets = metrics.get(`${name}_bucket`, { instance: inst });
        expect(buckets.length).toBe(7);
        return buckets.map((b) => ({ le: parseLe(b.labels.le), r: rate(b.t, b.v, grid, g.range) }));
      });
      for (const q of [0.5, 0.9, 0.99, 0.999]) {
        for (let k = 0; k < INSTANCES.length; k++) {
          const res = await queryRange(server.url, `histogram_quantile(${q}, rate(${name}_bucket{instance="${INSTANCES[k]}"}[${r}]))`, g.start, g.end, g.step);
          const theirs = onGrid(grid, res[0]?.values);
          const b = perReplica[k];
          const ours = grid.map((_, i) => histogramQuantile(q, b.map((x) => x.le), b.map((x) => x.r[i])));
          points += expectClose(ours, theirs, `q${q} ${INSTANCES[k]} step ${g.step}`);
          // Where the rank falls in +Inf, both give the highest finite bound, 2.5.
          for (let i = 0; i < grid.length; i++) if (theirs[i] === 2.5) overflowPoints++;
        }
        // Fleet-wide: sum by (le).
        const res = await queryRange(server.url, `histogram_quantile(${q}, sum by (le) (rate(${name}_bucket[${r}])))`, g.start, g.end, g.step);
        const les = perReplica[0].map((x) => x.le);
        const summed = les.map((le) => sumAligned(perReplica.map((rep) => rep.find((x) => x.le === le)!.r)));
        const ours = grid.map((_, i) => histogramQuantile(q, les, summed.map((s) => s[i])));
        points += expectClose(ours, onGrid(grid, res[0]?.values), `fleet q${q} step ${g.step}`);
      }
    }
    expect(points).toBeGreaterThan(3000);
    expect(overflowPoints).toBeGreaterThan(100);
  });
});
