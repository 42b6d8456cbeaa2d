// `vllm-tune list`: every finding code with its one-line title (and whether it comes from metrics or
// GPU profiles). `--json` for scripts.

import type { Command } from 'commander';
import { FINDING_TITLES } from '../model/catalog.js';
import { FINDING_CODES, GPU_FINDING_CODES } from '../model/vocabulary.js';

export function register(program: Command): void {
  program
    .command('list')
    .description('List the finding codes the analysis can report, with one-line titles (details: vllm-tune explain <CODE>).')
    .option('--json', 'print as JSON')
    .action((flags: { json?: boolean }) => {
      const rows = FINDING_CODES.map((code) => ({ code, title: FINDING_TITLES[code], from: (GPU_FINDING_CODES as readonly string[]).includes(code) ? 'profiles' : 'metrics' }));
      if (flags.json) {
        process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
        return;
      }
      const w = Math.max(...rows.map((r) => r.code.length));
      for (const r of rows) process.stdout.write(`${r.code.padEnd(w)}  ${r.title}${r.from === 'profiles' ? ' (GPU profiles)' : ''}\n`);
    });
}
