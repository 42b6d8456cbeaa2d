// The CLI run in-process (the same main() bin/vllm-tune calls), with stdout/stderr captured and the
// exit code it would end with. Faster than a child process for tests that run it many times.

import { main } from '../../src/cli/main.js';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

let running = false;

export async function runCliInProcess(args: string[]): Promise<CliRun> {
  if (running) throw new Error('runCliInProcess: one run at a time');
  running = true;
  let out = '';
  let err = '';
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  const prevCode = process.exitCode;
  process.exitCode = undefined;
  process.stdout.write = ((s: string | Uint8Array) => ((out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true)) as typeof process.stdout.write;
  process.stderr.write = ((s: string | Uint8Array) => ((err += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')), true)) as typeof process.stderr.write;
  try {
    await main(['node', 'vllm-tune', ...args]);
    return { code: Number(process.exitCode ?? 0), out, err };
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
    process.exitCode = prevCode;
    running = false;
  }
}
