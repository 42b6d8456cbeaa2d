// `vllm-tune explain <CODE>`: print the finding's documentation page (docs/findings/<CODE>.md): what it
// means, how each number is computed, what the report recommends and why.

import type { Command } from 'commander';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { PACKAGE_ROOT } from '../version.js';
import { FINDING_CODES, isFindingCode } from '../model/vocabulary.js';
import { terminal } from '../report/escape.js';

/** Path of a code's page. */
export function docPath(code: string): string {
  return path.join(PACKAGE_ROOT, 'docs', 'findings', `${code}.md`);
}

export function register(program: Command): void {
  program
    .command('explain')
    .description('Print the documentation page of a finding code (see vllm-tune list).')
    .argument('<code>', 'a finding code, e.g. KV_CACHE_THRASHING (case-insensitive)')
    .action((raw: string) => {
      const code = raw.trim().toUpperCase().replace(/-/g, '_');
      if (!isFindingCode(code)) {
        throw new InputError({ code: 'BAD_OPTION', message: `unknown finding code ${terminal(raw)}`, hint: `known codes: ${FINDING_CODES.join(', ')}` });
      }
      process.stdout.write(readFileSync(docPath(code), 'utf8'));
    });
}
