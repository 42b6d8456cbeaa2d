// The commander program. Each command lives in its own file and exports `register(program)`; the
// command files import only what their options need (their work loads when they run).

import { Command } from 'commander';
import { VERSION } from '../version.js';
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
