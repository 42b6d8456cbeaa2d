// A run's files are written together (issue 11 §7): killed with SIGKILL between two renames, the
// directory is completed to the new report by the next run, with no temporary file left; stale
// temporary files of dead runs are removed; two runs writing the same report at once never mix
// their files. The CLI runs as child processes (a kill must be a real kill).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/paths.js';

const bin = path.join(ROOT, 'bin', 'vllm-tune');
const A = path.join(ROOT, 'datasets/healthy-baseline');
const B = path.join(ROOT, 'datasets/kv-cache-thrashing');
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-atomic-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function analyze(input: string, out: string, env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [bin, 'analyze', input, '--out', out, '--name', 'r', '--json', '-q'], { encoding: 'utf8', env: { ...process.env, VLLM_TUNE_DEBUG: '', ...env }, timeout: 120_000 });
}

/** Which dataset a report was made from, read from the Markdown and from the JSON separately. */
function origin(out: string): { md: string; json: string } {
  const md = readFileSync(path.join(out, 'r.md'), 'utf8');
  const json = JSON.parse(readFileSync(path.join(out, 'r.json'), 'utf8')) as { inputs: { file: string }[] };
  const which = (s: string) => (s.includes('kv-cache-thrashing') ? 'B' : s.includes('healthy-baseline') ? 'A' : '?');
  return { md: which(md.split('\n').find((l) => l.includes('metrics.json')) ?? ''), json: which(json.inputs.map((i) => i.file).join(' ')) };
}

/** Every chart the Markdown links exists. */
function chartsPresent(out: string): boolean {
  const md = readFileSync(path.join(out, 'r.md'), 'utf8');
  const links = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
  const have = new Set(readdirSync(out));
  return links.length > 0 && links.every((l) => have.has(decodeURIComponent(l)));
}

const leftovers = (out: string) => readdirSync(out).filter((f) => f.endsWith('.tmp') || f.endsWith('.lock'));

describe('a report is written whole', () => {
  it('killed (SIGKILL) between two renames: the next run finishes the new report; no temporary file survives', () => {
    const out = path.join(dir, 'kill');
    expect(analyze(A, out).status).toBe(0);
    expect(origin(out)).toEqual({ md: 'A', json: 'A' });
    const killed = analyze(B, out, { VLLM_TUNE_TEST_KILL_AFTER_RENAMES: '1' });
    expect(killed.signal).toBe('SIGKILL');
    // The Markdown moves last: right after the kill the old report is still what r.md shows.
    expect(origin(out).md).toBe('A');
    // Any later run writing there completes the interrupted one first (here: an `alerts`-free
    // re-run of A, which then replaces it — both steps leave whole reports).
    const next = analyze(A, out);
    expect(next.status, next.stderr).toBe(0);
    expect(origin(out)).toEqual({ md: 'A', json: 'A' });
    expect(chartsPresent(out)).toBe(true);
    expect(leftovers(out)).toEqual([]);
  });

  it('stale temporary files and locks of dead runs are cleaned up', () => {
    const out = path.join(dir, 'stale');
    mkdirSync(out, { recursive: true });
    const dead = 2 ** 22 + 12345; // above pid_max's default: no such process
    writeFileSync(path.join(out, `r.md.${dead}.tmp`), 'half a report');
    mkdirSync(path.join(out, `.r.vllm-tune-${dead}-x.tmp`));
    writeFileSync(path.join(out, `.r.vllm-tune-${dead}-x.tmp`, 'r.md'), 'never committed');
    writeFileSync(path.join(out, '.r.vllm-tune.lock'), String(dead));
    const r = analyze(A, out);
    expect(r.status, r.stderr).toBe(0);
    expect(leftovers(out)).toEqual([]);
    expect(readFileSync(path.join(out, 'r.md'), 'utf8')).toContain('# vLLM analysis');
  });

  it('two runs writing the same report at once: the Markdown and the JSON always come from one run', async () => {
    const out = path.join(dir, 'race');
    const go = (input: string) =>
      new Promise<number | null>((resolve) => {
        const c = spawn(process.execPath, [bin, 'analyze', input, '--out', out, '--name', 'r', '--json', '-q'], { stdio: 'ignore', env: { ...process.env, VLLM_TUNE_DEBUG: '' } });
        c.on('close', (code) => resolve(code));
      });
    for (let round = 0; round < 2; round++) {
      const codes = await Promise.all([go(A), go(B), go(A)]);
      expect(codes).toEqual([0, 0, 0]);
      const o = origin(out);
      expect(o.md).toBe(o.json);
      expect(chartsPresent(out)).toBe(true);
      expect(leftovers(out)).toEqual([]);
    }
  }, 300_000);
});
