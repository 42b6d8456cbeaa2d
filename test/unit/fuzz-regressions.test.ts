// Every case the fuzz harness (`npm run fuzz`, fuzz/run.ts) ever failed on, kept in
// test/fixtures/fuzz/<format>/ with a note in index.json, replayed through the same in-process
// pipeline: each must now be read (ok) or refused with an InputError, never anything else.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { runPipeline } from '../../fuzz/pipeline.js';
import { ROOT } from '../support/paths.js';

const dir = path.join(ROOT, 'test/fixtures/fuzz');
const index = existsSync(path.join(dir, 'index.json')) ? (JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as Record<string, { format: string; kind: string; message: string; open?: string }>) : {};

describe('fuzz crashers stay fixed', () => {
  it('the index lists saved cases', () => {
    expect(Object.keys(index).length).toBeGreaterThan(0);
    for (const rel of Object.keys(index)) expect(existsSync(path.join(dir, rel)), rel).toBe(true);
  });
  for (const [rel, note] of Object.entries(index)) {
    // An `open` case is a known, unfixed failure (the note says why): shown as skipped, not hidden.
    // It would hang or exhaust the heap of the test process, so it cannot run here.
    (note.open ? it.skip : it)(`${rel} (was: ${note.kind}: ${note.message.slice(0, 80)})${note.open ? ` — OPEN: ${note.open.slice(0, 100)}` : ''}`, async () => {
      const outcome = await runPipeline(readFileSync(path.join(dir, rel)), rel);
      expect(outcome.kind === 'crash' ? `${outcome.message}\n${outcome.stack ?? ''}` : outcome.kind).toMatch(/^(ok|input)$/);
    });
  }
});
