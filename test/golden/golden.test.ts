// Golden outputs: for each scenario dataset, the Result JSON and the Markdown report, byte-compared.
// `UPDATE_GOLDEN=1 npx vitest run test/golden` rewrites them after a deliberate change.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { renderReport } from '../../src/report/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const SCENARIOS = ['healthy-baseline', 'kv-cache-thrashing', 'prefill-starvation', 'underutilized-demand', 'underutilized-config', 'memory-leak', 'prefix-cache-misses', 'replica-restart', 'fleet-one-degraded', 'profile-h200', 'gemm-bound-capped'];

function check(file: string, actual: string): void {
  const p = path.join(here, file);
  if (process.env.UPDATE_GOLDEN === '1' || !existsSync(p)) {
    writeFileSync(p, actual);
    if (process.env.UPDATE_GOLDEN !== '1') throw new Error(`golden ${file} was missing and has been written; rerun`);
    return;
  }
  expect(actual).toBe(readFileSync(p, 'utf8'));
}

describe('golden reports', () => {
  for (const name of SCENARIOS) {
    it(name, async () => {
      // A path relative to the repository, so no absolute path leaks into the outputs.
      const input = path.relative(process.cwd(), path.join(root, 'datasets', name));
      const artifacts = await ingest({ inputs: [input] });
      const result = runAnalysis(artifacts, { name });
      const files = renderReport(result, artifacts, { charts: true, json: true, outDir: 'reports' });
      check(`${name}.json`, files.find((f) => f.name === `${name}.json`)!.content);
      check(`${name}.md`, files.find((f) => f.name === `${name}.md`)!.content);
    });
  }
});
