// Malformed binary inputs must not abort the process from native code or exhaust the heap
// (issue 11 §2): a non-UTF-8 string in an Nsight Systems SQLite export (the SQLite binding panicked:
// Rust backtrace, SIGABRT), a damaged database image (exit 70), a corrupted Parquet footer (the
// process grew to 2–3 GB and died in V8). Run as a child process: a native abort would take a test
// worker down with it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { ROOT } from '../support/paths.js';

const bin = path.join(ROOT, 'bin', 'vllm-tune');
const require = createRequire(import.meta.url);
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-native-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  // --max-old-space-size bounds the heap: a run that would grow to gigabytes fails fast instead.
  const r = spawnSync(process.execPath, ['--max-old-space-size=512', bin, ...args], { encoding: 'utf8', env: { ...process.env, VLLM_TUNE_DEBUG: '' }, timeout: 60_000 });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

describe('Nsight Systems SQLite', () => {
  const fixture = path.join(ROOT, 'test/fixtures/profiles/nsys-small.sqlite');

  it('a kernel name that is not UTF-8 is read with U+FFFD for the bad bytes', () => {
    const f = path.join(dir, 'bad-utf8.sqlite');
    copyFileSync(fixture, f);
    const Database = require('libsql') as new (p: string) => { prepare(s: string): { run(): void; raw(b: boolean): { get(): unknown[] } }; close(): void };
    const db = new Database(f);
    // "foo" + 0xFF 0x80 (never valid UTF-8), as the first kernel's name.
    db.prepare("UPDATE StringIds SET value = CAST(X'666f6fff80' AS TEXT) WHERE id = 1").run();
    db.close();
    const out = path.join(dir, 'out');
    const r = run(['analyze', f, '--out', out, '--json', '-q', '--name', 'n']);
    expect([r.code, r.signal], r.err).toEqual([0, null]);
    const result = JSON.parse(readFileSync(path.join(out, 'n.json'), 'utf8'));
    const names = result.gpu.devices.flatMap((d: { categories: { top: { name: string }[] }[] }) => d.categories.flatMap((c) => c.top.map((k) => k.name)));
    expect(names).toContain('foo\ufffd\ufffd');
  });

  it('a damaged database image (truncated, garbage pages, bad header) is exit 2, never 70 or a signal', () => {
    const good = readFileSync(fixture);
    const variants: [string, Buffer][] = [
      ['truncated', good.subarray(0, 8192)],
      ['garbage-page', Buffer.concat([good.subarray(0, 8192), Buffer.alloc(2048, 0xde), good.subarray(10240)])],
      ['garbage-tail', Buffer.concat([good.subarray(0, good.length - 4096), Buffer.alloc(4096, 0xa5)])],
      ['bad-header', Buffer.concat([good.subarray(0, 28), Buffer.alloc(6, 0xff), good.subarray(34)])],
    ];
    for (const [name, bytes] of variants) {
      const f = path.join(dir, `${name}.sqlite`);
      writeFileSync(f, bytes);
      const r = run(['analyze', f, '--out', path.join(dir, 'out2'), '-q']);
      expect(r.signal, name).toBeNull();
      expect([0, 2], `${name}: ${r.err}`).toContain(r.code);
      if (r.code === 2) expect(r.err, name).toMatch(new RegExp(`^vllm-tune: ${f.replace(/[.]/g, '\\.')}: .*\\[SQLITE_SCHEMA\\]`));
      expect(r.err, name).not.toMatch(/internal error|panicked|backtrace/);
    }
  });
});
