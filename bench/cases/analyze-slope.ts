// Is the analysis's cost linear in the length of the window (issue 13 §7)? The week × 8 analysis
// (analyze-week.ts) on 1, 3 and 7 days of the same tiled export, each in a fresh child process; the
// figures are the cost per million samples at each size and the slopes between them (1.00 = linear).
// Opt-in: the three inputs are 0.45, 1.35 and 3.2 GB.

import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchPrepared } from '../lib.js';
import { analyzeFile, prepareWeek } from './analyze-week.js';

const HOURS = [24, 72, 168];

interface SizeRun {
  seconds: number;
  cpuSeconds: number;
  samples: number;
}

/** One size in its own process (peak memory and GC state of one run, as `analyze` has them). */
function runSize(file: string): Promise<SizeRun> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), ['--size', file], { execArgv: ['--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let got: SizeRun | undefined;
    child.on('message', (m) => (got = m as SizeRun));
    child.on('exit', (code) => (code === 0 && got ? resolve(got) : reject(new Error(`analyze-slope child exited ${code}`))));
  });
}

if (process.argv[2] === '--size') {
  const t0 = process.hrtime.bigint();
  const r = await analyzeFile(process.argv[3]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ru = process.resourceUsage();
  process.send!({ seconds, cpuSeconds: (ru.userCPUTime + ru.systemCPUTime) / 1e6, samples: r.items ?? 0 } satisfies SizeRun);
}

const bench: BenchCase = {
  id: 'analyze-slope',
  title: 'cost growth of the full analysis: 1, 3 and 7 days of 10 s data, 8 replicas (per million samples; slope 1.00 = linear)',
  optIn: true,
  floor: false,
  async prepare(outDir): Promise<BenchPrepared> {
    const files: string[] = [];
    let bytes = 0;
    for (const h of HOURS) {
      const p = await prepareWeek(outDir, h);
      files.push(p.file);
      bytes += p.bytes;
    }
    return { file: files[files.length - 1], bytes, meta: { sizes: HOURS.map((h) => `${h}h`).join('/'), files: files.join(',') } };
  },
  async run(p) {
    const figures: Record<string, number> = {};
    const per: SizeRun[] = [];
    for (const [i, file] of String(p.meta!.files).split(',').entries()) {
      const r = await runSize(file);
      per.push(r);
      figures[`${HOURS[i]}h s`] = r.seconds;
      figures[`${HOURS[i]}h ms/M samples`] = (1000 * r.seconds) / (r.samples / 1e6);
      figures[`${HOURS[i]}h CPU ms/M samples`] = (1000 * r.cpuSeconds) / (r.samples / 1e6);
    }
    for (let i = 1; i < per.length; i++) {
      const a = per[i - 1];
      const b = per[i];
      figures[`slope ${HOURS[i - 1]}h→${HOURS[i]}h wall`] = b.seconds / b.samples / (a.seconds / a.samples);
      figures[`slope ${HOURS[i - 1]}h→${HOURS[i]}h CPU`] = b.cpuSeconds / b.samples / (a.cpuSeconds / a.samples);
    }
    return { figures, check: { samples: per.map((r) => r.samples).join('/') } };
  },
};

export default bench;
