// How long `vllm-tune fetch` takes to pull a WEEK of 10 s data for the simulator's fleet from a real
// Prometheus on loopback, raw series (no --aggregate), into one query_range JSON export.
//
// Prepare (once, cached in bench/out/fetch-week/): the simulator's `fleet-one-degraded` scenario is
// simulated for 24 h (a week in one run would hold ~5 GB in the simulator), and its OpenMetrics output
// is backfilled 7 times, shifted by whole days, with `promtool tsdb create-blocks-from openmetrics`,
// into one TSDB: 7 × 24 h of 10 s samples of every series of the fleet. (Counters restart at each day
// boundary, like a daily restart; the volume and shape per series are the week's.)
// Run: start Prometheus on that TSDB, fetch [start, start + 7 d], stop it. Needs `prometheus`/`promtool`.

import { createReadStream, createWriteStream, existsSync, promises as fsp, statSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchPrepared, BenchRunResult } from '../lib.js';
import { simulateToDir } from '../../src/cli/simulate.js';
import { DEFAULT_START } from '../../src/simulate/index.js';
import { fetchToPath, parsePrometheusFlags } from '../../src/prometheus/index.js';
import { backfill, havePrometheus, startPrometheus } from '../../test/integration/prometheus/server.js';

const SCENARIO = 'fleet-one-degraded';
const DAYS = 7;

/** Copy an OpenMetrics file with every sample timestamp (the last field, seconds) shifted. */
async function shiftTimestamps(src: string, dst: string, shiftSeconds: number): Promise<void> {
  const out = createWriteStream(dst, { highWaterMark: 1 << 20 });
  let rest = '';
  const flush = async (s: string) => {
    if (!out.write(s)) await new Promise<void>((r) => out.once('drain', () => r()));
  };
  for await (const chunk of createReadStream(src, { highWaterMark: 1 << 20, encoding: 'utf8' })) {
    const text = rest + (chunk as string);
    const lines = text.split('\n');
    rest = lines.pop() ?? '';
    let buf = '';
    for (const line of lines) {
      if (line.startsWith('#') || line === '') buf += `${line}\n`;
      else {
        const sp = line.lastIndexOf(' ');
        buf += `${line.slice(0, sp)} ${Number(line.slice(sp + 1)) + shiftSeconds}\n`;
      }
    }
    await flush(buf);
  }
  if (rest) await flush(`${rest}\n`);
  await new Promise<void>((r, j) => out.end((e?: Error | null) => (e ? j(e) : r())));
}

const fetchWeek: BenchCase = {
  id: 'fetch-week',
  title: `fetch a week of 10 s data for the simulator's fleet (${SCENARIO}) from a local Prometheus, raw series`,
  floor: false,
  async prepare(outDir: string): Promise<BenchPrepared> {
    // Without a server to fetch from, skip (rather than stop the other cases of `npm run bench`).
    if (!havePrometheus()) return { file: '', bytes: 0, meta: { skipped: 'needs prometheus and promtool: bash .ci/install-prometheus.sh' } };
    const dir = path.join(outDir, 'fetch-week');
    const tsdb = path.join(dir, 'tsdb');
    const done = path.join(dir, 'READY.json');
    if (!existsSync(done)) {
      await fsp.rm(dir, { recursive: true, force: true });
      const simDir = path.join(dir, 'sim');
      await simulateToDir(SCENARIO, simDir, { seed: 1, hours: 24, interval: 10, formats: ['openmetrics'], readme: false, command: '' });
      const om = path.join(simDir, 'metrics.om.txt');
      const dayBytes = statSync(om).size;
      for (let d = 0; d < DAYS; d++) {
        const shifted = path.join(dir, `day${d}.om.txt`);
        await shiftTimestamps(om, shifted, d * 86400);
        await backfill(shifted, tsdb);
        await fsp.rm(shifted);
      }
      await fsp.rm(simDir, { recursive: true, force: true });
      await fsp.writeFile(done, JSON.stringify({ openMetricsBytes: dayBytes * DAYS }));
    }
    const { openMetricsBytes } = JSON.parse(await fsp.readFile(done, 'utf8')) as { openMetricsBytes: number };
    return { file: tsdb, bytes: openMetricsBytes, meta: { days: DAYS, scrape: '10s', scenario: SCENARIO, bytes: 'OpenMetrics text volume of the week' } };
  },
  async run(p: BenchPrepared): Promise<BenchRunResult> {
    if (!p.file) return { check: { skipped: String(p.meta?.skipped) } };
    const t0 = Date.now();
    const server = await startPrometheus({ dataDir: p.file });
    const ready = (Date.now() - t0) / 1000;
    try {
      const out = path.join(path.dirname(p.file), 'week.json');
      const o = parsePrometheusFlags({ prometheus: server.url, start: String(DEFAULT_START), end: String(DEFAULT_START + DAYS * 86400), step: '10s' }, DEFAULT_START + DAYS * 86400, {});
      const t1 = Date.now();
      const r = await fetchToPath(o, out);
      const fetchSeconds = (Date.now() - t1) / 1000;
      const size = statSync(out).size;
      await fsp.rm(out);
      return {
        items: r.meta.samples,
        itemName: 'samples',
        check: {
          serverReadySeconds: ready.toFixed(2),
          fetchSeconds: fetchSeconds.toFixed(1),
          series: r.meta.series,
          samples: r.meta.samples,
          requests: r.meta.requests,
          exportMB: (size / 1e6).toFixed(0),
          responseMB: (r.meta.responseBytes / 1e6).toFixed(0),
        },
      };
    } finally {
      await server.stop();
    }
  },
};

export default fetchWeek;
