// The full analysis of a week of 10 s data for 8 replicas: ingest of the query_range export, every
// detector and diagnosis, anomalies, correlations, and rendering the report (not writing it).
//
// Input: the simulator's healthy-baseline fleet (8 replicas, every metric it writes) simulated for one
// hour and tiled over 168 hours — gauges repeat, cumulative series (counters, histogram parts) continue
// from where the previous hour ended — so the file has a week's real shape at a fraction of the
// simulation time. Target (issue 4): under 10 s and under 1 GB RSS.

import { createWriteStream, existsSync, promises as fsp } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchPrepared, BenchRunResult } from '../lib.js';
import { runScenario, writeExports } from '../../src/simulate/index.js';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { renderReport } from '../../src/report/index.js';

const HOURS = Number(process.env.BENCH_WEEK_HOURS ?? 168);
const REPLICAS = 8;

interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

const cumulative = (name: string) => /_(total|bucket|count|sum)$/.test(name);

/** The hour's export tiled over `hours` hours into `out` (see the header). */
export async function writeWeek(hourFile: string, out: string, hours = HOURS): Promise<{ samples: number }> {
  const hour = JSON.parse(await fsp.readFile(hourFile, 'utf8')) as { data: { result: PromSeries[] } };
  const ws = createWriteStream(out, { highWaterMark: 1 << 20 });
  const write = (s: string) => (ws.write(s) ? Promise.resolve() : new Promise<void>((r) => ws.once('drain', () => r())));
  await write('{"status":"success","data":{"resultType":"matrix","result":[');
  let samples = 0;
  const series = hour.data.result;
  for (let si = 0; si < series.length; si++) {
    const s = series[si];
    const v = s.values.map(([, x]) => Number(x));
    const t0 = s.values[0][0];
    const span = s.values[s.values.length - 1][0] - t0 + (s.values.length > 1 ? s.values[1][0] - t0 : 10);
    const isCum = cumulative(s.metric.__name__ ?? '');
    const perTile = isCum && v.length > 1 ? v[v.length - 1] - v[0] + (v[1] - v[0]) : 0;
    await write(`${si ? ',' : ''}{"metric":${JSON.stringify(s.metric)},"values":[`);
    let first = true;
    for (let k = 0; k < hours; k++) {
      const shift = k * perTile;
      let buf = '';
      for (let i = 0; i < v.length; i++) {
        buf += `${first ? '' : ','}[${(s.values[i][0] + k * span).toFixed(3).replace(/\.?0+$/, '')},"${isCum ? +(v[i] + shift).toPrecision(15) : s.values[i][1]}"]`;
        first = false;
      }
      samples += v.length;
      await write(buf);
    }
    await write(']}');
  }
  await write(']}}');
  await new Promise<void>((r) => ws.end(() => r()));
  return { samples };
}

/** The tiled export of `hours` hours under bench/out/analyze-week/ (generated once, reused). */
export async function prepareWeek(outDir: string, hours: number): Promise<BenchPrepared> {
  const dir = path.join(outDir, 'analyze-week');
  const file = path.join(dir, `week-${hours}h-${REPLICAS}r.json`);
  if (!existsSync(file)) {
    await fsp.mkdir(dir, { recursive: true });
    let hourFile = path.join(dir, 'hour', 'metrics.json');
    if (!existsSync(hourFile)) {
      const run = runScenario('healthy-baseline', { hours: 1, replicas: REPLICAS, seed: 7 });
      [hourFile] = await writeExports(path.join(dir, 'hour'), run.results, ['json'], run.meta);
    }
    const { samples } = await writeWeek(hourFile, `${file}.tmp`, hours);
    await fsp.rename(`${file}.tmp`, file);
    await fsp.writeFile(`${file}.samples`, String(samples));
  }
  const st = await fsp.stat(file);
  return { file, bytes: st.size, meta: { samples: Number(await fsp.readFile(`${file}.samples`, 'utf8')), hours, replicas: REPLICAS } };
}

/** The whole analysis of one prepared export, as `vllm-tune analyze --json` does it (not writing the files). */
export async function analyzeFile(file: string): Promise<BenchRunResult> {
  const artifacts = await ingest({ inputs: [file] });
  const result = runAnalysis(artifacts, { name: 'week' });
  const files = renderReport(result, artifacts, { charts: true, json: true, outDir: 'reports' });
  return {
    items: artifacts.metrics.sampleCount,
    itemName: 'samples',
    check: { samples: artifacts.metrics.sampleCount, findings: result.findings.map((f) => f.code).join('+') || 'none', reportBytes: files.reduce((n, f) => n + f.content.length, 0) },
  };
}

const bench: BenchCase = {
  id: 'analyze-week',
  title: `full analysis: ${HOURS / 24} days of 10 s data, ${REPLICAS} replicas (ingest + detect + diagnose + render)`,
  targets: { seconds: 10, peakRssMb: 1024 },
  // The default reads the file with every core (prometheus-json/parallel.ts); the same on one thread:
  variants: [{ label: 'one thread (VLLM_TUNE_WORKERS=1)', env: { VLLM_TUNE_WORKERS: '1' } }],
  prepare: (outDir) => prepareWeek(outDir, HOURS),
  run: (p) => analyzeFile(p.file),
};

export default bench;
