// `npm run bench [-- <case-id>…]`: runs every case in bench/cases/ in a child process and prints
// throughput and peak RSS next to the raw-read floor measured in the same run.

import { fork } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchPrepared, BenchRunResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const casesDir = path.join(here, 'cases');
const outDir = path.resolve(here, '..', '..', 'bench', 'out');

async function loadCase(file: string): Promise<BenchCase> {
  const mod = (await import(path.join(casesDir, file))) as { default: BenchCase };
  return mod.default;
}

interface ChildReport {
  seconds: number;
  peakRssMb: number;
  result?: BenchRunResult;
}

function runChild(args: string[]): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: ['--max-old-space-size=4096'] });
    let report: ChildReport | undefined;
    child.on('message', (m) => (report = m as ChildReport));
    child.on('exit', (code) => (code === 0 && report ? resolve(report) : reject(new Error(`bench child ${args.join(' ')} exited ${code}`))));
  });
}

async function floorRead(file: string): Promise<number> {
  let n = 0;
  for await (const c of createReadStream(file, { highWaterMark: 1 << 20 })) n += (c as Buffer).length;
  return n;
}

async function childMain(mode: string, caseFile: string, preparedJson: string): Promise<void> {
  const prepared = JSON.parse(preparedJson) as BenchPrepared;
  const t0 = process.hrtime.bigint();
  let result: BenchRunResult | undefined;
  if (mode === 'floor') await floorRead(prepared.file);
  else result = await (await loadCase(caseFile)).run(prepared);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakRssMb = process.resourceUsage().maxRSS / 1024;
  process.send!({ seconds, peakRssMb, result } satisfies ChildReport);
}

function fmt(n: number, d = 1): string {
  return n.toFixed(d);
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  mkdirSync(outDir, { recursive: true });
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.js')).sort();
  console.log(`vllm-tune bench — node ${process.version}, ${new Date().toISOString().slice(0, 10)}; inputs in ${path.relative(process.cwd(), outDir)}/`);
  for (const f of files) {
    const c = await loadCase(f);
    if (wanted.length && !wanted.includes(c.id)) continue;
    if (!wanted.length && c.optIn) {
      console.log(`\n## ${c.id}: skipped (opt-in: \`npm run bench -- ${c.id}\`)`);
      continue;
    }
    console.log(`\n## ${c.id}: ${c.title}`);
    const prepared = await c.prepare(outDir);
    const mb = prepared.bytes / 1e6;
    console.log(`input: ${path.basename(prepared.file)}, ${fmt(mb)} MB${prepared.meta ? `, ${Object.entries(prepared.meta).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`);
    let floor: ChildReport | undefined;
    if (c.floor !== false && existsSync(prepared.file)) {
      floor = await runChild(['floor', f, JSON.stringify(prepared)]);
      console.log(`floor (1 MiB chunk read): ${fmt(floor.seconds, 3)} s, ${fmt(mb / floor.seconds)} MB/s, peak RSS ${fmt(floor.peakRssMb)} MB`);
    }
    const r = await runChild(['run', f, JSON.stringify(prepared)]);
    const rate = mb / r.seconds;
    const items = r.result?.items;
    console.log(
      `run: ${fmt(r.seconds, 3)} s, ${fmt(rate)} MB/s${floor ? ` (${fmt(r.seconds / floor.seconds)}× the floor's time)` : ''}, peak RSS ${fmt(r.peakRssMb)} MB` +
        (items ? `, ${fmt(items / r.seconds / 1e6, 2)} M ${r.result?.itemName ?? 'items'}/s` : ''),
    );
    if (r.result?.check) console.log(`check: ${Object.entries(r.result.check).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    if (c.targets) {
      const t = c.targets;
      const verdicts: string[] = [];
      if (t.mbPerSecond) verdicts.push(`≥ ${t.mbPerSecond} MB/s: ${rate >= t.mbPerSecond ? 'met' : 'MISSED'}`);
      if (t.peakRssMb) verdicts.push(`RSS ≤ ${t.peakRssMb} MB: ${r.peakRssMb <= t.peakRssMb ? 'met' : 'MISSED'}`);
      if (t.seconds) verdicts.push(`≤ ${t.seconds} s: ${r.seconds <= t.seconds ? 'met' : 'MISSED'}`);
      console.log(`targets: ${verdicts.join('; ')}`);
    }
  }
}

if (process.argv[2] === 'floor' || process.argv[2] === 'run') {
  childMain(process.argv[2], process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
