// Entry point of the CLI. `--version` is answered without loading anything else; every other call
// loads the commander program (program.ts), whose commands load their work only when they run.

import { isInputError } from '../errors.js';
import { terminal } from '../report/escape.js';
import { redactSecrets } from '../redact.js';

/** Exit codes: 0 ok, 1 only with --fail-on, 2 bad input or usage, 70 internal error. */
export async function main(argv: string[]): Promise<void> {
  // A closed pipe (`vllm-tune list | head`) ends the output, not the process with a stack trace.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  const args = argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    const { VERSION } = await import('../version.js');
    process.stdout.write(`${VERSION}\n`);
    return;
  }
  try {
    const { buildProgram } = await import('./program.js');
    await buildProgram().parseAsync(argv);
  } catch (err) {
    process.exitCode = exitCodeFor(err);
  }
}

/** commander's own errors (usage, --help, --version) carry a `commander.*` code and an exit code. */
function isCommanderError(err: unknown): err is { code: string; exitCode: number } {
  const e = err as { code?: unknown; exitCode?: unknown } | null;
  return typeof e?.code === 'string' && e.code.startsWith('commander.') && typeof e.exitCode === 'number';
}

export function exitCodeFor(err: unknown): number {
  if (isCommanderError(err)) {
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
