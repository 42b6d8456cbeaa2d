// `vllm-tune fetch --prometheus <url> --start … --end … --out <file|dir>`: export a window of the vLLM,
// DCGM and process metrics from a Prometheus-compatible API as query_range JSON that `inspect` and
// `analyze` read like any other input. See docs/prometheus.md.

import { terminal } from '../report/escape.js';
import { redactSecrets } from '../redact.js';
import type { Command } from 'commander';
import path from 'node:path';
import { addPrometheusOptions, parsePrometheusFlags, type PrometheusFlags } from '../prometheus/options.js';
// Heavy modules (readers, engine, report) load when the command runs, not at start-up: --help and
// --version stay as fast as a bare Node start allows (bench: startup).
import { endProgress, progress } from './common.js';

interface FetchFlags extends PrometheusFlags {
  out: string;
  quiet?: boolean;
}

export function register(program: Command): void {
  const cmd = program
    .command('fetch')
    .description('Export a window of vLLM/DCGM metrics from Prometheus (or Thanos, Mimir, VictoriaMetrics) as query_range JSON for analyze/inspect.');
  addPrometheusOptions(cmd, { required: true })
    .requiredOption('-o, --out <file|dir>', 'export file (.json), or a directory (existing, or ending in /) for one file per source')
    .option('-q, --quiet', 'no progress output')
    .action(async (flags: FetchFlags) => {
      const opts = parsePrometheusFlags(flags);
      const say = progress(flags.quiet);
      let r;
      try {
        const { fetchToPath } = await import('../prometheus/index.js');
        r = await fetchToPath(opts, flags.out, say);
      } finally {
        endProgress(flags.quiet);
      }
      const m = r.meta;
      const rel = (p: string) => path.relative(process.cwd(), p) || p;
      process.stdout.write(`${r.written.slice(0, -1).map(rel).join(', ')}: ${m.series} series, ${m.samples} samples from ${m.source} (${m.start} .. ${m.end}, ${m.mode}${m.selector ? `, ${m.selector}` : ''}); ${m.requests} requests${m.retries ? `, ${m.retries} retried` : ''}\n`);
      process.stdout.write(`metadata: ${rel(r.written[r.written.length - 1])}\n`);
      const nf = (['vllm', 'dcgm', 'process'] as const).filter((g) => m.notFound[g].length).map((g) => `${g}: ${m.notFound[g].join(', ')}`);
      if (nf.length) process.stderr.write(`vllm-tune: not found in the window (unknown, not zero) — ${terminal(nf.join('; '))}\n`);
      for (const w of r.warnings) process.stderr.write(`vllm-tune: warning: ${terminal(redactSecrets(w))}\n`);
    });
}
