// Start-up: `vllm-tune --version`, `--help` and `analyze --help` against a bare `node -e 0`, started
// alternately in the same run (each run: the median wall time of STARTS starts of each). Goal
// (issue 13 §6): within 2× the bare start. `--version` loads the entry point and package.json only;
// `--help` loads commander and the commands' option definitions; readers, engine, report and the
// simulator load when a command runs (dynamic import), hyparquet with the first Parquet input.
// The figures are ratios to the bare start of the same run, so they move less with the machine's load
// than the absolute times do (also printed).

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from '../lib.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'vllm-tune');
const STARTS = Math.max(3, Number(process.env.BENCH_STARTS ?? 7) | 0);
const GOAL = 2;

function start(args: string[]): { seconds: number; stdout: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'], encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`node ${args.join(' ')} exited ${r.status}`);
  return { seconds, stdout: r.stdout };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const bench: BenchCase = {
  id: 'startup',
  title: `start-up of the CLI (--version, --help, analyze --help) against a bare \`node -e 0\`, median of ${STARTS} starts each per run (BENCH_STARTS); goal ≤ ${GOAL}×`,
  floor: false,
  async prepare() {
    return { file: '', bytes: 0 };
  },
  async run() {
    const cases: Record<string, string[]> = { bare: ['-e', '0'], version: [BIN, '--version'], help: [BIN, '--help'], analyzeHelp: [BIN, 'analyze', '--help'] };
    const t: Record<string, number[]> = {};
    const out: Record<string, string> = {};
    for (let i = 0; i < STARTS; i++) {
      for (const [k, a] of Object.entries(cases)) {
        const r = start(a);
        (t[k] ??= []).push(r.seconds);
        out[k] = r.stdout;
      }
    }
    const bare = median(t.bare);
    const figures: Record<string, number> = { bareMs: bare * 1000 };
    for (const k of ['version', 'help', 'analyzeHelp']) {
      figures[`${k}Ms`] = median(t[k]) * 1000;
      figures[`${k}VsBare`] = median(t[k]) / bare;
    }
    // What the starts printed, so a fast start that prints the wrong thing does not pass unnoticed.
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const commands = [...out.help.matchAll(/^ {2}([a-z]+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
    return {
      check: {
        versionPrinted: out.version.trim(),
        versionMatchesPackage: String(out.version.trim() === pkg.version),
        helpCommands: commands.join(' '),
        analyzeHelpHasPrometheus: String(out.analyzeHelp.includes('--prometheus')),
      },
      figures,
    };
  },
};

export default bench;
