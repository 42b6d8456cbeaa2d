// `vllm-tune simulate`: run a named scenario of the vLLM serving simulator and write its exports.

import path from 'node:path';
import type { Command } from 'commander';
import { InputError } from '../errors.js';
import type { ExportFormat } from '../simulate/index.js';
import type { ReplayOptions } from '../simulate/replay.js';
// The simulator and the readers load when the command runs, not at start-up (--help stays fast).
const simulator = () => import('../simulate/index.js');
import { promises as fsp } from 'node:fs';

interface SimulateFlags {
  scenario?: string;
  out?: string;
  seed: string;
  format: string;
  hours?: string;
  replicas?: string;
  interval?: string;
  list?: boolean;
  datasets?: string;
  readme: boolean;
  truth: boolean;
  replay?: string[];
  set?: string[];
  replica?: string;
}

function num(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v)) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(raw)} is not a number` });
  return v;
}

/** Write one scenario into `dir` (exports + README) and return the files. */
export async function simulateToDir(
  name: string,
  dir: string,
  p: { seed: number; hours?: number; replicas?: number; interval?: number; formats: ExportFormat[]; readme: boolean; command: string; truth?: boolean },
): Promise<string[]> {
  const [{ runScenario, writeExports }, { writeTextFile }, { truthJson }, { scenarioReadme }] = await Promise.all([simulator(), import('../simulate/writers.js'), import('../simulate/truth.js'), import('../simulate/readme.js')]);
  const run = runScenario(name, { seed: p.seed, hours: p.hours, replicas: p.replicas, scrapeIntervalSeconds: p.interval });
  const files = await writeExports(dir, run.results, p.formats, run.meta);
  if (p.truth !== false && run.truth) {
    const file = path.join(dir, 'truth.json');
    await writeTextFile(file, truthJson(run.truth));
    files.push(file);
  }
  if (p.readme) {
    const readme = path.join(dir, 'README.md');
    await writeTextFile(readme, scenarioReadme(run, files, p.command));
    files.push(readme);
  }
  return files;
}

/** `simulate --replay`: replay the measured traffic (and a what-if with --set); Markdown to stdout, files under --out. */
async function runReplay(inputs: string[], p: { seed: number; set: string[]; replica?: string; out?: string }): Promise<void> {
  const set: Record<string, string> = {};
  for (const kv of p.set) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new InputError({ code: 'BAD_OPTION', message: `--set ${JSON.stringify(kv)}: expected key=value` });
    set[kv.slice(0, eq).trim()] = kv.slice(eq + 1).trim();
  }
  const [{ parseSet, replay }, { replayMarkdown }, { ingest }, { writeExports }, { writeTextFile }] = await Promise.all([
    import('../simulate/replay.js'),
    import('../simulate/replay-report.js'),
    import('../ingest/index.js'),
    simulator(),
    import('../simulate/writers.js'),
  ]);
  parseSet(set as ReplayOptions['set']);
  const artifacts = await ingest({ inputs });
  const res = replay(artifacts, { seed: p.seed, set: set as ReplayOptions['set'], replica: p.replica });
  const md = replayMarkdown(res, inputs);
  if (p.out) {
    await fsp.mkdir(p.out, { recursive: true });
    const { runs, ...summary } = res;
    await writeTextFile(path.join(p.out, 'replay.json'), `${JSON.stringify(summary, null, 2)}\n`);
    await writeTextFile(path.join(p.out, 'replay.md'), md);
    const meta = { startTime: res.start, scrapeIntervalSeconds: res.stepSeconds };
    await writeExports(path.join(p.out, 'replayed'), runs.map((r) => r.replayed), ['json.gz'], meta);
    const whatIf = runs.map((r) => r.whatIf).filter((x): x is NonNullable<typeof x> => x !== undefined);
    if (whatIf.length) await writeExports(path.join(p.out, 'what-if'), whatIf, ['json.gz'], meta);
  }
  process.stdout.write(md);
}

export function register(program: Command): void {
  program
    .command('simulate')
    .description('Simulate vLLM replicas serving a request stream (a named scenario) and write the exports a real deployment would produce.')
    .option('--scenario <name>', 'scenario to run (see --list)')
    .option('--out <dir>', 'output directory')
    .option('--seed <n>', 'random seed: the same seed gives byte-identical output', '1')
    .option('--format <list>', 'comma list of json, json.gz, openmetrics, csv, log', 'json,log')
    .option('--hours <h>', 'simulated duration (default: the scenario\'s)')
    .option('--replicas <n>', 'number of replicas (default: the scenario\'s)')
    .option('--interval <s>', 'scrape interval in seconds (default: the scenario\'s, 10 for most)')
    .option('--no-readme', 'do not write README.md next to the exports')
    .option('--no-truth', 'do not write truth.json (the ground truth) next to the exports')
    .option('--list', 'list the scenarios with a one-line description')
    .option('--datasets <dir>', 'regenerate every scenario into <dir>/<scenario>/ (metrics.json.gz, logs, README.md)')
    .option('--replay <inputs...>', 'replay the traffic measured in these inputs (Prometheus exports, logs) through the simulator at each replica\'s configuration')
    .option('--set <key=value>', 'with --replay: a setting to change in the what-if run (repeatable): max_num_seqs, max_num_batched_tokens, gpu_memory_utilization, enable_prefix_caching, enable_chunked_prefill, kv_cache_dtype, num_gpu_blocks', (v: string, acc: string[] = []) => [...acc, v])
    .option('--replica <id>', 'with --replay: only this replica (instance)')
    .action(async (o: SimulateFlags) => {
      const { SCENARIOS, parseFormats } = await simulator();
      if (o.list) {
        const w = Math.max(...SCENARIOS.map((s) => s.name.length));
        for (const s of SCENARIOS) process.stdout.write(`${s.name.padEnd(w)}  ${s.summary}\n`);
        return;
      }
      const seed = num('--seed', o.seed)!;
      if (!Number.isInteger(seed) || seed < 0) throw new InputError({ code: 'BAD_OPTION', message: `--seed ${o.seed} must be a non-negative integer` });
      if (o.replay) {
        await runReplay(o.replay, { seed, set: o.set ?? [], replica: o.replica, out: o.out });
        return;
      }
      if (o.set) throw new InputError({ code: 'BAD_OPTION', message: '--set needs --replay <inputs…>' });
      const interval = num('--interval', o.interval);
      const hours = num('--hours', o.hours);
      const replicas = num('--replicas', o.replicas);
      if (o.datasets) {
        for (const s of SCENARIOS) {
          const dir = path.join(o.datasets, s.name);
          const files = await simulateToDir(s.name, dir, {
            seed,
            interval,
            hours,
            replicas,
            formats: ['json.gz', 'log'],
            readme: true,
            command: `vllm-tune simulate --scenario ${s.name} --seed ${seed} --format json.gz,log --out datasets/${s.name}`,
            truth: o.truth,
          });
          process.stdout.write(`${s.name}: ${files.map((f) => path.relative(process.cwd(), f)).join(', ')}\n`);
        }
        return;
      }
      if (!o.scenario) throw new InputError({ code: 'BAD_OPTION', message: 'simulate needs --scenario <name> (or --list, or --datasets <dir>)', hint: 'run `vllm-tune simulate --list`' });
      if (!o.out) throw new InputError({ code: 'BAD_OPTION', message: 'simulate needs --out <dir>' });
      const formats = parseFormats(o.format);
      const extra = [o.hours ? ` --hours ${o.hours}` : '', o.replicas ? ` --replicas ${o.replicas}` : '', o.interval !== undefined ? ` --interval ${o.interval}` : ''].join('');
      const files = await simulateToDir(o.scenario, o.out, {
        seed,
        interval,
        hours,
        replicas,
        formats,
        readme: o.readme,
        truth: o.truth,
        command: `vllm-tune simulate --scenario ${o.scenario} --seed ${seed} --format ${formats.join(',')}${extra} --out ${o.out}`,
      });
      process.stdout.write(`wrote ${files.map((f) => path.relative(process.cwd(), f) || f).join(', ')}\n`);
    });
}
