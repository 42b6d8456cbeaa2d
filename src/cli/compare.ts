// `vllm-tune compare <before…> -- <after…>` or `vllm-tune compare <input…> --split <time>`: two windows
// analysed alike and compared (src/compare/, docs/capacity.md "Compare"). Markdown (and JSON with
// --json), written atomically like `analyze`; exit 1 with --fail-on when a regression of that severity
// or worse exists, 2 on bad input.

import { Option, type Command } from 'commander';
import path from 'node:path';
import { InputError } from '../errors.js';
import { SLO_PROFILES } from '../derive/slo.js';
import { parseTimeArg } from '../prometheus/time.js';
import { addInputOptions, endProgress, ingestRequestFrom, parseDurationSeconds, progress, safeName, writeFilesAtomically, type InputFlags } from './common.js';

interface CompareFlags extends InputFlags {
  out: string;
  name?: string;
  json?: boolean;
  split?: string;
  slo: string;
  sloTtft?: string;
  sloTbt?: string;
  sloE2e?: string;
  failOn?: 'warning' | 'critical';
  quiet?: boolean;
}

/** The inputs after `--` on the command line (commander merges both sides into one list). */
export function splitOperands(inputs: string[], rawArgs: readonly string[]): { before: string[]; after: string[] } | null {
  const at = rawArgs.indexOf('--');
  if (at < 0) return null;
  const nAfter = rawArgs.length - at - 1;
  return { before: inputs.slice(0, inputs.length - nAfter), after: inputs.slice(inputs.length - nAfter) };
}

/** `--split`: RFC 3339, Unix seconds, or `+<duration>` after the data's first sample. */
export function parseSplit(text: string, dataStart: number | null): number {
  const s = text.trim();
  if (s.startsWith('+')) {
    if (dataStart === null) throw new InputError({ code: 'BAD_OPTION', message: `--split ${JSON.stringify(text)}: the inputs have no time range to offset from`, hint: 'give an RFC 3339 time' });
    return dataStart + parseDurationSeconds(s.slice(1), '--split');
  }
  return parseTimeArg(s, '--split');
}

export function register(program: Command): void {
  const cmd = program
    .command('compare')
    .description('Compare two windows — before and after a change — per metric and replica, with significance tests, findings resolved / new / persisting, configuration changes and a verdict.')
    .argument('<inputs...>', 'before inputs, then -- and the after inputs; or one set of inputs with --split <time>')
    .option('--split <time>', 'cut one set of inputs in two at this time: RFC 3339, Unix seconds, or +<duration> after the first sample (e.g. +30m)')
    .option('-o, --out <dir>', 'directory to write the comparison into', 'reports')
    .option('--name <name>', 'report name (file stem); default: <first before input>-vs-<first after input>')
    .option('--json', 'also write <name>.json: the CompareResult (schema: src/model/compare-result.ts)')
    .addOption(new Option('--slo <profile>', 'latency targets of a use case').choices(Object.keys(SLO_PROFILES)).default('chat'))
    .option('--slo-ttft <duration>', 'TTFT target (p95), overrides the profile, e.g. 300ms')
    .option('--slo-tbt <duration>', 'time-between-tokens target (p95), e.g. 40ms')
    .option('--slo-e2e <duration>', 'end-to-end latency target (p95), e.g. 8s')
    .addOption(new Option('--fail-on <severity>', 'exit 1 when a regression (a metric that got significantly worse, a new or more severe finding) of this severity or worse exists').choices(['warning', 'critical']))
    .option('-q, --quiet', 'no progress output')
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  vllm-tune compare before/ -- after/',
        '      two exports, before and after a change',
        '  vllm-tune compare week.json.gz --split 2025-11-20T20:32:00Z',
        '      one export cut at a redeploy',
        '  vllm-tune compare before/ -- after/ --json --fail-on warning',
        '      also the JSON; exit 1 on a regression (CI)',
        '',
        'Method (bins, the block-means test, what counts as a change): docs/capacity.md#compare',
      ].join('\n'),
    );
  addInputOptions(cmd).action(async (inputs: string[], flags: CompareFlags, command: Command) => {
    const sides = splitOperands(inputs, (command.parent as unknown as { rawArgs?: string[] } | null)?.rawArgs ?? process.argv);
    if (sides && flags.split !== undefined) throw new InputError({ code: 'BAD_OPTION', message: 'give either -- between before and after inputs, or --split, not both', hint: 'vllm-tune compare before/ -- after/   or   vllm-tune compare run/ --split 2025-11-20T10:30:00Z' });
    if (!sides && flags.split === undefined) throw new InputError({ code: 'BAD_OPTION', message: 'compare needs two windows', hint: 'vllm-tune compare before/ -- after/   or   vllm-tune compare run/ --split <time>' });
    if (sides && (!sides.before.length || !sides.after.length)) throw new InputError({ code: 'BAD_OPTION', message: `no ${sides.before.length ? 'after' : 'before'} inputs${sides.before.length ? ' after --' : ' before --'}`, hint: 'vllm-tune compare before/ -- after/' });
    // Heavy modules (readers, engine, report) load when the command runs (--help stays fast).
    const [{ ingest }, { compareArtifacts, splitArtifacts }, { renderCompareMarkdown }] = await Promise.all([import('../ingest/index.js'), import('../compare/index.js'), import('../report/compare-markdown.js')]);
    const say = progress(flags.quiet);
    const slo: { profile: string; ttftSeconds?: number; tbtSeconds?: number; e2eSeconds?: number } = { profile: flags.slo };
    if (flags.sloTtft) slo.ttftSeconds = parseDurationSeconds(flags.sloTtft, '--slo-ttft');
    if (flags.sloTbt) slo.tbtSeconds = parseDurationSeconds(flags.sloTbt, '--slo-tbt');
    if (flags.sloE2e) slo.e2eSeconds = parseDurationSeconds(flags.sloE2e, '--slo-e2e');
    const read = async (list: string[]) => {
      const req = ingestRequestFrom(list, flags);
      req.onProgress = say;
      return ingest(req);
    };
    let before;
    let after;
    let split: number | undefined;
    let name: string;
    if (sides) {
      before = await read(sides.before);
      after = await read(sides.after);
      name = flags.name ?? `${path.basename(path.resolve(sides.before[0]))}-vs-${path.basename(path.resolve(sides.after[0]))}`;
    } else {
      const all = await read(inputs);
      const range = all.metrics.timeRange();
      split = parseSplit(flags.split!, range?.start ?? null);
      if (!range || !(split > range.start && split < range.end)) {
        throw new InputError({ code: 'BAD_OPTION', message: `--split ${JSON.stringify(flags.split)} is not inside the data${range ? ` (${new Date(range.start * 1000).toISOString()} → ${new Date(range.end * 1000).toISOString()})` : ' (no time range)'}`, hint: 'give a time between the first and the last sample' });
      }
      ({ before, after } = splitArtifacts(all, split));
      name = flags.name ?? `${path.basename(path.resolve(inputs[0]))}-split`;
    }
    for (const [label, a] of [['before', before], ['after', after]] as const) {
      const r = a.metrics.timeRange();
      if (!r || r.end <= r.start) throw new InputError({ code: 'NO_DATA', message: `the ${label} window has no time series (a single scrape or no metrics)`, hint: 'compare needs a range of scrapes on each side' });
    }
    say('comparing…');
    const result = compareArtifacts(before, after, { name: safeName(name), slo, ...(split !== undefined ? { splitSeconds: split } : {}) });
    const files = [{ name: `${result.name}.md`, content: renderCompareMarkdown(result) }];
    if (flags.json) files.push({ name: `${result.name}.json`, content: `${JSON.stringify(result, null, 2)}\n` });
    const written = await writeFilesAtomically(flags.out, files);
    endProgress(flags.quiet);
    const c = { improved: 0, regressed: 0 };
    for (const m of result.metrics) if (m.assessment === 'regressed') c.regressed++;
    else if (m.assessment === 'improved' || (m.assessment === 'gone' && m.direction === 'lower-better')) c.improved++;
    process.stdout.write(
      `${path.relative(process.cwd(), written[0]) || written[0]}: ${result.verdict.outcome}; ${c.improved} metric${c.improved === 1 ? '' : 's'} improved, ${c.regressed} regressed; findings ${result.findings.resolved.length} resolved, ${result.findings.new.length} new, ${result.findings.persisting.length} persisting\n`,
    );
    if (flags.failOn) {
      const bad = result.regressions.filter((x) => (flags.failOn === 'warning' ? x.severity !== 'info' : x.severity === 'critical'));
      if (bad.length) process.exitCode = 1;
    }
  });
}
