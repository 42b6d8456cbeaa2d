// Truncated profile inputs must not give confident results (issue 11 §8): a key_averages table cut
// short (no "Self CUDA time total" footer) used to yield a critical "ATTENTION_BOUND 100 %" from its
// first rows; a trace cut mid-JSON must not be read as if whole. Both are exit 2, naming the file and
// where it ends. The CLI runs in-process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { runCliInProcess } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-trunc-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const analyze = (file: string) => runCliInProcess(['analyze', file, '--out', path.join(dir, 'out'), '-q', '--name', 't']);

describe('truncated profiles', () => {
  const full = readFileSync(path.join(ROOT, 'test/fixtures/profiles/key-averages-vllm-tp2.log'), 'utf8');

  it('the whole key_averages table reads', async () => {
    const f = path.join(dir, 'full.log');
    writeFileSync(f, full);
    expect((await analyze(f)).code).toBe(0);
  });

  it('a key_averages table cut after 9 (or any number of) lines: exit 2 naming the cut, no report', async () => {
    const lines = full.split('\n');
    const footer = lines.findIndex((l) => /time total:/.test(l));
    expect(footer).toBeGreaterThan(9);
    for (const keep of [9, 11, footer - 1]) {
      const f = path.join(dir, `cut-${keep}.log`);
      writeFileSync(f, `${lines.slice(0, keep).join('\n')}\n`);
      const r = await analyze(f);
      expect(r.code, `${keep}: ${r.err}`).toBe(2);
      expect(r.err).toMatch(new RegExp(`cut-${keep}\\.log, line \\d+: key_averages table .*ends without its "Self .* time total" footer.*\\[PROFILE_TABLE\\]`));
    }
  });

  it('a Kineto trace cut mid-JSON: exit 2, "ends early", with the byte offset', async () => {
    const trace = gunzipSync(readFileSync(path.join(ROOT, 'test/fixtures/real/traces/critical_path__alexnet__benchmark_result_2869224_1695835535_trace.json.gz')));
    const f = path.join(dir, 'cut-trace.json');
    writeFileSync(f, trace.subarray(0, Math.floor(trace.length * 0.6)));
    const r = await analyze(f);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/cut-trace\.json, byte \d+: trace JSON ends early \(file truncated\?\) \[JSON_SYNTAX\]/);
  });
});
