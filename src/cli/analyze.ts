// `vllm-tune analyze [inputs…]`: ingest → engine → report. With no inputs, the bundled dataset.

import { Option, type Command } from 'commander';
import path from 'node:path';
import { existsSync } from 'node:fs';
import { InputError } from '../errors.js';
import { SLO_PROFILES } from '../derive/slo.js';
import { PACKAGE_ROOT } from '../version.js';
import { addPrometheusOptions, parsePrometheusFlags, type PrometheusFlags } from '../prometheus/options.js';
// Heavy modules (readers, engine, report) load when the command runs, not at start-up: --help and
// --version stay as fast as a bare Node start allows (bench: startup).
import { addInputOptions, endProgress, ingestRequestFrom, parseDurationSeconds, progress, safeName, writeFilesAtomically, type InputFlags } from './common.js';

/** The dataset `vllm-tune analyze` reads when given no inputs. */
export const DEFAULT_DATASET = 'datasets/kv-cache-thrashing';

interface AnalyzeFlags extends InputFlags, PrometheusFlags {
  out: string;
  name?: string;
  json?: boolean;
  slo: string;
  sloTtft?: string;
  sloTbt?: string;
  sloE2e?: string;
  failOn?: 'warning' | 'critical';
  charts: boolean;
  quiet?: boolean;
  capacity?: boolean;
  gpuHourPrice?: string;
  whatIf: boolean;
  whatIfReplicas?: string;
  whatIfWindow?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('analyze')
    .description('Analyze metrics and GPU profiles and write a Markdown report (plus SVG charts, and JSON with --json).')
    .argument('[inputs...]', `files, directories (walked) or - for stdin; default: the bundled sample (${DEFAULT_DATASET})`)
    .option('-o, --out <dir>', 'directory to write the report into', 'reports')
    .option('--name <name>', 'report name (file stem); default: from the first input')
    .option('--json', 'also write <name>.json: the full Result (schema: src/model/result.ts)')
    .addOption(new Option('--slo <profile>', 'latency targets of a use case').choices(Object.keys(SLO_PROFILES)).default('chat'))
    .option('--slo-ttft <duration>', 'TTFT target (p95), overrides the profile, e.g. 300ms')
    .option('--slo-tbt <duration>', 'time-between-tokens target (p95), e.g. 40ms')
    .option('--slo-e2e <duration>', 'end-to-end latency target (p95), e.g. 8s')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a finding of this severity or worse exists').choices(['warning', 'critical']))
    .option('--capacity', 'add the capacity review on a window shorter than a day (it runs by itself on a day or more; docs/capacity.md)')
    .option('--gpu-hour-price <usd>', 'price of one GPU-hour in USD, for the cost per million tokens in the capacity review')
    .option('--no-charts', 'do not write SVG charts')
    .option('--no-what-if', 'do not replay the recommended flags on the measured traffic (docs/what-if.md)')
    .option('--what-if-replicas <n>', 'replicas replayed per serve block, the worst first (default 1)')
    .option('--what-if-window <duration>', 'longest replayed window (default 1h), e.g. 30m')
    .option('-q, --quiet', 'no progress output');
  addPrometheusOptions(addInputOptions(cmd)).action(async (inputs: string[], flags: AnalyzeFlags) => {
    const [{ ingest }, { runAnalysis }, { renderReport }] = await Promise.all([import('../ingest/index.js'), import('../engine.js'), import('../report/index.js')]);
    const live = flags.prometheus !== undefined;
    const given = inputs.length > 0 || live;
    const resolved = given ? inputs : [path.relative(process.cwd(), path.join(PACKAGE_ROOT, DEFAULT_DATASET)) || '.'];
    const fetchOpts = live ? parsePrometheusFlags(flags) : undefined;
    if (!given && !existsSync(path.join(PACKAGE_ROOT, DEFAULT_DATASET))) {
      throw new InputError({ code: 'NOT_FOUND', file: DEFAULT_DATASET, message: 'bundled dataset missing', hint: 'pass inputs explicitly' });
    }
    const req = ingestRequestFrom(resolved, flags);
    const say = progress(flags.quiet);
    req.onProgress = say;
    if (fetchOpts) {
      const { fetchSeries } = await import('../prometheus/index.js');
      const fetched = await fetchSeries(fetchOpts, say);
      req.series = fetched.inputs;
    }
    const artifacts = await ingest(req);
    say('analysing…');
    const name = safeName(flags.name ?? (inputs.length || !live ? path.basename(path.resolve(resolved[0])) : `prometheus-${new URL(flags.prometheus!).hostname}`));
    const slo: Parameters<typeof runAnalysis>[1]['slo'] = { profile: flags.slo };
    if (flags.sloTtft) slo.ttftSeconds = parseDurationSeconds(flags.sloTtft, '--slo-ttft');
    if (flags.sloTbt) slo.tbtSeconds = parseDurationSeconds(flags.sloTbt, '--slo-tbt');
    if (flags.sloE2e) slo.e2eSeconds = parseDurationSeconds(flags.sloE2e, '--slo-e2e');
    const capacity = { ...(flags.capacity ? { force: true } : {}), ...(flags.gpuHourPrice !== undefined ? { gpuHourPriceUsd: parseGpuHourPrice(flags.gpuHourPrice) } : {}) };
    const whatIf: NonNullable<Parameters<typeof runAnalysis>[1]['whatIf']> = { enabled: flags.whatIf };
    if (flags.whatIfReplicas !== undefined) {
      const n = Number(flags.whatIfReplicas);
      if (!Number.isInteger(n) || n < 0) throw new InputError({ code: 'BAD_OPTION', message: `--what-if-replicas ${JSON.stringify(flags.whatIfReplicas)} must be a non-negative integer` });
      whatIf.replicasPerBlock = n;
    }
    if (flags.whatIfWindow !== undefined) whatIf.maxWindowSeconds = parseDurationSeconds(flags.whatIfWindow, '--what-if-window');
    const result = runAnalysis(artifacts, { name, slo, capacity, whatIf, ...(req.options?.wallSeconds !== undefined ? { wallSeconds: req.options.wallSeconds } : {}), ...(req.options?.workers !== undefined ? { threads: req.options.workers } : {}) });
    const files = renderReport(result, artifacts, { charts: flags.charts, json: flags.json ?? false, outDir: flags.out });
    const written = await writeFilesAtomically(flags.out, files);
    endProgress(flags.quiet);
    const counts = { critical: 0, warning: 0, info: 0 };
    for (const f of result.findings) counts[f.severity]++;
    process.stdout.write(
      `${path.relative(process.cwd(), written[0]) || written[0]}: ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}` +
        ` (${counts.critical} critical, ${counts.warning} warning, ${counts.info} info), ${result.recommendations.length} recommendation${result.recommendations.length === 1 ? '' : 's'}\n`,
    );
    if (flags.failOn) {
      const bad = flags.failOn === 'warning' ? counts.critical + counts.warning : counts.critical;
      if (bad > 0) process.exitCode = 1;
    }
  });
}

/** `--gpu-hour-price`: a positive number of US dollars (a leading `$` is accepted). */
export function parseGpuHourPrice(text: string): number {
  const v = Number(text.trim().replace(/^\$/, ''));
  if (!(Number.isFinite(v) && v > 0)) throw new InputError({ code: 'BAD_OPTION', message: `--gpu-hour-price ${JSON.stringify(text)} is not a positive number of US dollars`, hint: 'e.g. --gpu-hour-price 2.5' });
  return v;
}
