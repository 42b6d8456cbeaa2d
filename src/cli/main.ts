// The commander program. Each command lives in its own file and exports `register(program)`.

import { Command, CommanderError } from 'commander';
import { isInputError } from '../errors.js';
import { VERSION } from '../version.js';
import { terminal } from '../report/escape.js';
import { redactSecrets } from '../redact.js';
import * as analyze from './analyze.js';
import * as inspect from './inspect.js';
import * as simulate from './simulate.js';
import * as fetch from './fetch.js';
import * as alerts from './alerts.js';
import * as list from './list.js';
import * as explain from './explain.js';
import * as compare from './compare.js';

export function buildProgram(): Command {
  const program = new Command('vllm-tune')
    .description('Offline analyst for vLLM deployments: reads Prometheus exports and GPU profiles, finds what went wrong, and recommends vLLM settings.')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const cmd of [analyze, compare, inspect, simulate, fetch, alerts, list, explain]) cmd.register(program);
  for (const c of program.commands) c.exitOverride().version(VERSION, '-V, --version');
  return program;
}

/** Exit codes: 0 ok, 1 only with --fail-on, 2 bad input or usage, 70 internal error. */
export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`vllm-tune list | head`) ends the output, not the process with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

export function exitCodeFor(err: unknown): number {
  if (err instanceof CommanderError) {
    // --help and --version exit 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? 0 : 2;
  }
  if (isInputError(err)) {
    process.stderr.write(`vllm-tune: ${terminal(redactSecrets(err.oneLine()))}\n`);
    return 2;
  }
  const e = err as Error;
  process.stderr.write(`vllm-tune: internal error: ${terminal(redactSecrets(e?.message ?? String(err)))}\n`);
  if (process.env.VLLM_TUNE_DEBUG) process.stderr.write(`${redactSecrets(e?.stack ?? '')}\n`);
  else process.stderr.write('this is a bug in vllm-tune; rerun with VLLM_TUNE_DEBUG=1 for details\n');
  return 70;
}
