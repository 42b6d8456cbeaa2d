// Minor input cases of issue 11 §9: a FIFO (or process substitution, `<(zcat x.gz)`) is read once,
// not reopened until it blocks forever; symlinks inside a walked directory are followed (once: a
// cycle ends), not skipped silently. The CLI runs as a child process (a hang must be killable).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/paths.js';

const bin = path.join(ROOT, 'bin', 'vllm-tune');
const fixture = path.join(ROOT, 'test/fixtures/prometheus-json/matrix-min.json');
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-minor-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function inspectJson(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [bin, 'inspect', '--json', '-q', ...args], { env: { ...process.env, VLLM_TUNE_DEBUG: '' } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d));
    c.stderr.on('data', (d: Buffer) => (err += d));
    const t = setTimeout(() => c.kill('SIGKILL'), 30_000);
    c.on('close', (code) => {
      clearTimeout(t);
      resolve({ code, out, err });
    });
  });
}

describe('inputs', () => {
  it.skipIf(process.platform === 'win32')('a FIFO with a writer is read (once), not waited on forever', async () => {
    const fifo = path.join(dir, 'metrics.fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const writer = spawn('sh', ['-c', `cat '${fixture}' > '${fifo}'`]);
    const r = await inspectJson([fifo]);
    writer.kill();
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).inventory.seriesCount).toBe(2);
  });

  it('symlinks inside a directory are followed (files and directories), a cycle is walked once', async () => {
    const root = path.join(dir, 'walk');
    mkdirSync(path.join(root, 'real'), { recursive: true });
    mkdirSync(path.join(root, 'elsewhere'), { recursive: true });
    copyFileSync(fixture, path.join(root, 'elsewhere', 'a.json'));
    const other = readFileSync(fixture, 'utf8').replace(/10\.0\.0\.5/g, '10.0.0.6');
    const b = path.join(dir, 'b.json');
    writeFileSync(b, other);
    symlinkSync(b, path.join(root, 'real', 'link-to-b.json'));
    symlinkSync(path.join(root, 'elsewhere'), path.join(root, 'real', 'link-to-dir'));
    symlinkSync(root, path.join(root, 'real', 'cycle'));
    const r = await inspectJson([path.join(root, 'real')]);
    expect(r.code, r.err).toBe(0);
    const j = JSON.parse(r.out);
    expect(j.inputs.map((i: { file: string }) => path.basename(i.file)).sort()).toEqual(['a.json', 'link-to-b.json']);
    expect(j.inventory.seriesCount).toBe(4);
  });
});
