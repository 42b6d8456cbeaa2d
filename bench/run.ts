// `npm run bench [-- <case-id>…]`: runs every case in bench/cases/ in child processes, each next to
// the every-byte floor measured in the same run on the same file, and prints figures as ratios to it.
//
// The floor is the fastest a JavaScript pass over the input can be: the file read in 1 MiB chunks
// into one reused buffer, and a JS loop that touches every byte. A case's "% of floor" is the floor's
// time divided by the case's time (100% = as fast as merely touching every byte). On a machine shared
// with other work, absolute times move with the load; the ratio moves far less, because the floor and
// the case alternate (floor, case, floor, case, …) and each figure is the median of the runs.
// BENCH_RUNS sets the number of runs (default 3); the load average is printed before and after.
// A case may name a reference tool (BenchCase.reference, e.g. Holistic Trace Analysis for Kineto traces):
// it runs in its own process in the same invocation, after the case's runs, and the runner
// prints the case's speed and peak RSS as ratios to it, and whether the two answers agree.

import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase, BenchPrepared, BenchReferenceResult, BenchRunResult } from './lib.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const casesDir = path.join(here, 'cases');
const outDir = path.resolve(here, '..', '..', 'bench', 'out');
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 3) | 0);

async function loadCase(file: string): Promise<BenchCase> {
  const mod = (await import(path.join(casesDir, file))) as { default: BenchCase };
  return mod.default;
}

interface ChildReport {
  seconds: number;
  peakRssMb: number;
  userSeconds: number;
  systemSeconds: number;
  result?: BenchRunResult;
}

function runChild(args: string[], env?: Record<string, string>): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(import.meta.url), args, {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      execArgv: ['--max-old-space-size=4096'],
      env: { ...process.env, ...env },
    });
    let report: ChildReport | undefined;
    child.on('message', (m) => (report = m as ChildReport));
    child.on('exit', (code) => (code === 0 && report ? resolve(report) : reject(new Error(`bench child ${args.join(' ')} exited ${code}`))));
  });
}

/** The every-byte floor: 1 MiB reads into one reused buffer, and a JS loop over every byte. */
export async function everyBytePass(file: string): Promise<number> {
  const fh = await fsp.open(file, 'r');
  const buf = Buffer.allocUnsafe(1 << 20);
  let acc = 0;
  try {
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      for (let i = 0; i < bytesRead; i++) acc = (acc + buf[i]) | 0;
    }
  } finally {
    await fh.close();
  }
  return acc;
}

async function childMain(mode: string, caseFile: string, preparedJson: string): Promise<void> {
  const prepared = JSON.parse(preparedJson) as BenchPrepared;
  const t0 = process.hrtime.bigint();
  let result: BenchRunResult | undefined;
  if (mode === 'floor') await everyBytePass(prepared.file);
  else result = await (await loadCase(caseFile)).run(prepared);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const ru = process.resourceUsage();
  process.send!({ seconds, peakRssMb: ru.maxRSS / 1024, userSeconds: ru.userCPUTime / 1e6, systemSeconds: ru.systemCPUTime / 1e6, result } satisfies ChildReport);
}

function fmt(n: number, d = 1): string {
  return n.toFixed(d);
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function load(): string {
  return os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
}

interface Summary {
  seconds: number;
  min: number;
  max: number;
  peakRssMb: number;
  userSeconds: number;
  systemSeconds: number;
}

function summarize(rs: ChildReport[]): Summary {
  const s = rs.map((r) => r.seconds);
  return {
    seconds: median(s),
    min: Math.min(...s),
    max: Math.max(...s),
    peakRssMb: Math.max(...rs.map((r) => r.peakRssMb)),
    userSeconds: median(rs.map((r) => r.userSeconds)),
    systemSeconds: median(rs.map((r) => r.systemSeconds)),
  };
}

function timing(s: Summary, n: number): string {
  return `median ${fmt(s.seconds, 3)} s of ${n}${n > 1 ? ` (${fmt(s.min, 3)}–${fmt(s.max, 3)})` : ''}`;
}

/** Run the case (and the floor) RUNS times, alternating; print the medians. Returns the case's summary.
 *  With `withReference`, the case's reference tool runs too, after the case's runs. */
async function measure(
  c: BenchCase,
  f: string,
  prepared: BenchPrepared,
  label = 'run',
  env?: Record<string, string>,
  withReference = false,
): Promise<{ run: Summary; floor?: Summary; results: BenchRunResult[]; reference?: BenchReferenceResult[] }> {
  const withFloor = c.floor !== false && existsSync(prepared.file);
  const floors: ChildReport[] = [];
  const runs: ChildReport[] = [];
  const ref = withReference ? c.reference : undefined;
  const refRuns = ref ? Math.max(1, ref.runs ?? 1) : 0;
  const reference: BenchReferenceResult[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (withFloor) floors.push(await runChild(['floor', f, JSON.stringify(prepared)]));
    runs.push(await runChild(['run', f, JSON.stringify(prepared)], env));
  }
  // The reference after ours: a run of minutes and gigabytes (HTA: 8 GB) leaves the page cache and
  // the kernel's reclaim disturbed for the runs that follow it.
  for (let i = 0; i < refRuns; i++) if (ref) reference.push(await ref.run(prepared));
  const mb = prepared.bytes / 1e6;
  const floor = withFloor ? summarize(floors) : undefined;
  const run = summarize(runs);
  if (floor) console.log(`floor (every-byte JS pass): ${timing(floor, RUNS)}, ${fmt(mb / floor.seconds)} MB/s`);
  const items = runs[0].result?.items;
  console.log(
    `${label}: ${timing(run, RUNS)}${mb > 0 ? `, ${fmt(mb / run.seconds)} MB/s` : ''}${floor ? `, ${fmt((100 * floor.seconds) / run.seconds)}% of the floor's speed` : ''}` +
      `; CPU user ${fmt(run.userSeconds, 2)} s, system ${fmt(run.systemSeconds, 2)} s; peak RSS ${fmt(run.peakRssMb)} MB` +
      (items ? `; ${fmt(items / run.seconds / 1e6, 2)} M ${runs[0].result?.itemName ?? 'items'}/s` : '') +
      (runs[0].result?.notes ? ` (${runs[0].result.notes})` : ''),
  );
  return { run, floor, results: runs.map((r) => r.result ?? {}), reference: ref ? reference : undefined };
}

/** The case against its reference tool: speed and peak-RSS ratios (the case's median seconds and max RSS). */
function versusReference(run: Summary, ref: BenchReferenceResult[], label: string): string {
  const secs = median(ref.map((r) => r.seconds));
  const rss = Math.max(...ref.map((r) => r.peakRssMb));
  return `${fmt(secs / run.seconds)}× the speed of ${label} (${fmt(run.seconds, 3)} s vs ${fmt(secs, secs < 10 ? 3 : 1)} s), 1/${fmt(rss / run.peakRssMb)} of its peak RSS (${fmt(run.peakRssMb)} MB vs ${fmt(rss)} MB)`;
}

async function main(): Promise<void> {
  const wanted = process.argv.slice(2);
  mkdirSync(outDir, { recursive: true });
  const files = readdirSync(casesDir).filter((f) => f.endsWith('.js')).sort();
  console.log(
    `vllm-tune bench — node ${process.version}, ${os.cpus().length} CPUs, ${new Date().toISOString().slice(0, 10)}; ${RUNS} run${RUNS > 1 ? 's' : ''} per case (BENCH_RUNS); inputs in ${path.relative(process.cwd(), outDir)}/`,
  );
  for (const f of files) {
    const c = await loadCase(f);
    if (wanted.length && !wanted.includes(c.id)) continue;
    if (!wanted.length && c.optIn) {
      console.log(`\n## ${c.id}: skipped (opt-in: \`npm run bench -- ${c.id}\`)`);
      continue;
    }
    const unavailable = c.unavailable?.();
    if (unavailable) {
      console.log(`\n## ${c.id}: skipped: ${unavailable}`);
      continue;
    }
    console.log(`\n## ${c.id}: ${c.title}`);
    const prepared = await c.prepare(outDir);
    const mb = prepared.bytes / 1e6;
    if (prepared.file) console.log(`input: ${path.basename(prepared.file)}, ${fmt(mb)} MB${prepared.meta ? `, ${Object.entries(prepared.meta).map(([k, v]) => `${k}=${v}`).join(', ')}` : ''}`);
    console.log(`load average before: ${load()}`);
    const { run, floor, results, reference } = await measure(c, f, prepared, 'run', undefined, true);
    const check = results[0]?.check;
    if (check) console.log(`check: ${Object.entries(check).map(([k, v]) => `${k}=${v}`).join(', ')}`);
    const differing = results.filter((r) => JSON.stringify(r.check) !== JSON.stringify(check)).length;
    if (differing) console.log(`CHECK DIFFERS between runs (${differing} of ${results.length})`);
    const figures = results[0]?.figures;
    if (figures) {
      const med = Object.keys(figures).map((k) => {
        const xs = results.map((r) => r.figures?.[k] ?? NaN);
        return `${k} ${fmt(median(xs), 2)} (${fmt(Math.min(...xs), 2)}–${fmt(Math.max(...xs), 2)})`;
      });
      console.log(`figures (median of ${results.length} runs, min–max): ${med.join(', ')}`);
    }
    const ref = c.reference;
    if (ref && reference?.length) {
      const secs = reference.map((r) => r.seconds);
      console.log(
        `${ref.label}: ${timing({ seconds: median(secs), min: Math.min(...secs), max: Math.max(...secs), peakRssMb: 0, userSeconds: 0, systemSeconds: 0 }, reference.length)}` +
          `; peak RSS ${fmt(Math.max(...reference.map((r) => r.peakRssMb)))} MB${reference[0].notes ? ` (${reference[0].notes})` : ''}`,
      );
      if (reference[0].check) console.log(`${ref.label} check: ${Object.entries(reference[0].check).map(([k, v]) => `${k}=${v}`).join(', ')}`);
      const refDiffering = reference.filter((r) => JSON.stringify(r.check) !== JSON.stringify(reference[0].check)).length;
      if (refDiffering) console.log(`${ref.label} CHECK DIFFERS between runs (${refDiffering} of ${reference.length})`);
      console.log(`versus ${ref.label}: ${versusReference(run, reference, ref.label)}`);
      if (ref.compare) console.log(`answers: ${ref.compare(results[0] ?? {}, reference[0])}`);
      const t = ref.targets;
      if (t) {
        const speedup = median(secs) / run.seconds;
        const share = run.peakRssMb / Math.max(...reference.map((r) => r.peakRssMb));
        const verdicts: string[] = [];
        if (t.speedup) verdicts.push(`≥ ${t.speedup}× ${ref.label}: ${speedup >= t.speedup ? 'met' : 'MISSED'}`);
        if (t.memoryShare) verdicts.push(`≤ 1/${fmt(1 / t.memoryShare, 0)} of its memory: ${share <= t.memoryShare ? 'met' : 'MISSED'}`);
        console.log(`targets against ${ref.label}: ${verdicts.join('; ')}`);
      }
    }
    for (const v of c.variants ?? []) {
      const r = await measure(c, f, prepared, v.label, v.env);
      console.log(`  ${v.label}: ${fmt(run.seconds / r.run.seconds, 2)}× the speed of the default run`);
      if (ref && reference?.length) console.log(`  ${v.label} versus ${ref.label}: ${versusReference(r.run, reference, ref.label)}`);
      if (JSON.stringify(r.results[0]?.check) !== JSON.stringify(check)) console.log(`  CHECK DIFFERS from the default run: ${JSON.stringify(r.results[0]?.check)}`);
    }
    if (c.targets) {
      const t = c.targets;
      const verdicts: string[] = [];
      if (t.floorShare && floor) {
        const share = floor.seconds / run.seconds;
        verdicts.push(`≥ ${fmt(100 * t.floorShare, 0)}% of the floor: ${share >= t.floorShare ? 'met' : 'MISSED'}`);
      }
      if (t.peakRssMb) verdicts.push(`RSS ≤ ${t.peakRssMb} MB: ${run.peakRssMb <= t.peakRssMb ? 'met' : 'MISSED'}`);
      if (t.seconds) verdicts.push(`≤ ${t.seconds} s: ${run.seconds <= t.seconds ? 'met' : 'MISSED'}`);
      if (verdicts.length) console.log(`targets: ${verdicts.join('; ')}`);
    }
    console.log(`load average after: ${load()}`);
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
