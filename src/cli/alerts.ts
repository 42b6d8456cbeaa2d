// `vllm-tune alerts <inputs…> [-o rules.yml]`: Prometheus recording and alerting rules for the
// diagnoses PromQL can express, with the metric names and labels the inputs carry, thresholds and
// `for:` calibrated on their history (the calibration as YAML comments). See docs/alerts.md.

import { Option, type Command } from 'commander';
import path from 'node:path';
import { InputError } from '../errors.js';
import { SLO_PROFILES, resolveSlo } from '../derive/slo.js';
import { VERSION } from '../version.js';
import { DEFAULT_OBJECTIVE } from '../alerts/defaults.js';
// Heavy modules (readers, engine, report) load when the command runs, not at start-up: --help and
// --version stay as fast as a bare Node start allows (bench: startup).
import { addInputOptions, endProgress, ingestRequestFrom, parseDurationSeconds, progress, writeFilesAtomically, type InputFlags } from './common.js';

interface AlertsFlags extends InputFlags {
  out?: string;
  selector?: string;
  groupBy?: string;
  interval: string;
  slo: string;
  sloTtft?: string;
  sloTbt?: string;
  sloE2e?: string;
  sloObjective: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('alerts')
    .description('Write Prometheus recording and alerting rules calibrated on the inputs\' history (thresholds, for:), with the metric names and labels they carry.')
    .argument('<inputs...>', 'files, directories (walked) or - for stdin: the history to calibrate on')
    .option('-o, --out <file>', 'rules file to write (default: standard output)')
    .option('--selector <matchers>', 'label matchers added to every selector, e.g. \'{namespace="prod",job="vllm"}\'')
    .option('--group-by <labels>', 'labels that identify a replica, comma-separated (default: the replica labels every vLLM series carries)')
    .option('--interval <duration>', 'rule evaluation interval (the group\'s interval:)', '1m')
    .addOption(new Option('--slo <profile>', 'latency targets of a use case').choices(Object.keys(SLO_PROFILES)).default('chat'))
    .option('--slo-ttft <duration>', 'TTFT target, overrides the profile, e.g. 300ms')
    .option('--slo-tbt <duration>', 'time-between-tokens target, e.g. 40ms')
    .option('--slo-e2e <duration>', 'end-to-end latency target, e.g. 8s')
    .option('--slo-objective <ratio>', 'share of requests that must meet each target (error budget = 1 − this)', String(DEFAULT_OBJECTIVE))
    .option('-q, --quiet', 'no progress output');
  addInputOptions(cmd).action(async (inputs: string[], flags: AlertsFlags) => {
    const [{ ingest }, { runAnalysis }, { generateRules, parseSelector, recordingRules, renderRulesYaml }, { incidentsOf }] = await Promise.all([
      import('../ingest/index.js'),
      import('../engine.js'),
      import('../alerts/index.js'),
      import('../alerts/calibrate.js'),
    ]);
    const matchers = flags.selector ? parseSelector(flags.selector) : [];
    const groupBy = flags.groupBy?.split(',').map((s) => s.trim()).filter(Boolean);
    if (groupBy) for (const g of groupBy) if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(g)) throw new InputError({ code: 'BAD_OPTION', message: `--group-by ${JSON.stringify(flags.groupBy)}: ${JSON.stringify(g)} is not a label name` });
    const interval = parseDurationSeconds(flags.interval, '--interval');
    if (!(interval >= 1) || !Number.isInteger(interval)) throw new InputError({ code: 'BAD_OPTION', message: `--interval ${flags.interval}: use whole seconds, at least 1s` });
    const objective = Number(flags.sloObjective);
    if (!(objective > 0 && objective < 1)) throw new InputError({ code: 'BAD_OPTION', message: `--slo-objective ${JSON.stringify(flags.sloObjective)} must be a ratio between 0 and 1, e.g. 0.95` });
    const sloOpts: Parameters<typeof resolveSlo>[0] = { profile: flags.slo };
    if (flags.sloTtft) sloOpts.ttftSeconds = parseDurationSeconds(flags.sloTtft, '--slo-ttft');
    if (flags.sloTbt) sloOpts.tbtSeconds = parseDurationSeconds(flags.sloTbt, '--slo-tbt');
    if (flags.sloE2e) sloOpts.e2eSeconds = parseDurationSeconds(flags.sloE2e, '--slo-e2e');
    const slo = resolveSlo(sloOpts);

    const req = ingestRequestFrom(inputs, flags);
    const say = progress(flags.quiet);
    req.onProgress = say;
    const artifacts = await ingest(req);
    say('calibrating…');
    // The findings give the incidents the calibration needs (healthy baseline, shortest incident).
    const result = runAnalysis(artifacts, { name: 'alerts', slo: sloOpts });
    const set = generateRules(artifacts.metrics, incidentsOf(result.findings, result.inventory.window), {
      matchers,
      selectorText: flags.selector ?? null,
      ...(groupBy ? { groupBy } : {}),
      intervalSeconds: interval,
      slo,
      objective,
    });
    const yaml = renderRulesYaml(set, { version: VERSION, inputs: artifacts.inputs.map((i) => i.file) });
    endProgress(flags.quiet);
    const recs = recordingRules(set).length;
    const fired = set.alerts.filter((a) => a.episodes.length).map((a) => `${a.alert} ×${a.episodes.length}`);
    const summary = `${set.alerts.length} alerting and ${recs} recording rules; on the inputs' history ${fired.length ? `would have fired: ${fired.join(', ')}` : 'none would have fired'}`;
    if (flags.out) {
      const abs = path.resolve(flags.out);
      await writeFilesAtomically(path.dirname(abs), [{ name: path.basename(abs), content: yaml }]);
      process.stdout.write(`${path.relative(process.cwd(), abs) || abs}: ${summary}\n`);
    } else {
      process.stdout.write(yaml);
      if (!flags.quiet) process.stderr.write(`vllm-tune: ${summary}\n`);
    }
    if (!set.alerts.length) process.stderr.write('vllm-tune: warning: the inputs carry none of the metrics the rules need (see the "not written" lines)\n');
  });
}
