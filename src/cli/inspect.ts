// `vllm-tune inspect <inputs…>`: what was read — formats, series per metric, time range and step,
// replicas, models, the serving config found, and every warning. No analysis.

import type { Command } from 'commander';
// Heavy modules (readers, engine, report) load when the command runs, not at start-up: --help and
// --version stay as fast as a bare Node start allows (bench: startup).
import { addInputOptions, endProgress, ingestRequestFrom, progress, type InputFlags } from './common.js';

interface InspectFlags extends InputFlags {
  json?: boolean;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('inspect')
    .description('Say what the inputs contain: detected formats, series per metric, time range and step, replicas, models, serving config and warnings.')
    .argument('<inputs...>', 'files, directories (walked) or - for stdin; .gz is read transparently')
    .option('--json', 'print the inventory as JSON instead of text')
    .option('-q, --quiet', 'no progress output');
  addInputOptions(cmd).action(async (inputs: string[], flags: InspectFlags) => {
    const [{ ingest }, { buildInventory }, { renderInspect }] = await Promise.all([import('../ingest/index.js'), import('../derive/inventory.js'), import('../report/inspect.js')]);
    const req = ingestRequestFrom(inputs, flags);
    req.onProgress = progress(flags.quiet);
    const artifacts = await ingest(req);
    endProgress(flags.quiet);
    const inventory = buildInventory(artifacts);
    const report = { inputs: artifacts.inputs, inventory, config: artifacts.config, profiles: artifacts.profiles.map((p) => ({ file: p.file, format: p.format, rank: p.rank ?? null, kernels: p.kernels.length })), warnings: artifacts.warnings };
    process.stdout.write(flags.json ? `${JSON.stringify(report, null, 2)}\n` : renderInspect(report));
  });
}
