// Documented limits (docs/limits.md, src/limits.ts), issue 11 §5: a gzip bomb, too many series, a
// giant label value each end in LIMIT_EXCEEDED (exit 2) naming the limit and its flag — quickly, not
// after gigabytes — and the flag raises the limit. The CLI runs in-process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { runCliInProcess } from '../support/cli.js';
import { setLimits } from '../../src/limits.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-limits-'));
});
afterAll(() => {
  setLimits({});
  rmSync(dir, { recursive: true, force: true });
});

const inspect = (file: string, ...flags: string[]) => runCliInProcess(['inspect', file, '-q', ...flags]);

describe('limits', () => {
  it('a gzip bomb stops at --max-decompression-ratio (file and stdin-like paths)', async () => {
    // 48 MiB of a repeated line, ~1000× compressed: over 100× and over the 16 MiB floor.
    const line = Buffer.from('vllm:num_requests_waiting{instance="a:1"} 1 1732269600000\n');
    const bomb = gzipSync(Buffer.concat(Array(Math.ceil((48 << 20) / line.length)).fill(line)), { level: 9 });
    const f = path.join(dir, 'bomb.prom.gz');
    writeFileSync(f, bomb);
    const r = await inspect(f);
    expect(r.code, r.err).toBe(2);
    expect(r.err).toMatch(/bomb\.prom\.gz: gzip data expands past 100× its size \(--max-decompression-ratio\) \[LIMIT_EXCEEDED\] — raise the limit with --max-decompression-ratio/);
    const ok = await inspect(f, '--max-decompression-ratio', '100000');
    expect(ok.code, ok.err).toBe(0);
  });

  it('more series than --max-series: exit 2 naming the limit; raised, the file reads', async () => {
    const lines = Array.from({ length: 1200 }, (_, i) => `vllm:num_requests_waiting{instance="r${i}:8000"} 1 1732269600000`);
    const f = path.join(dir, 'many.prom');
    writeFileSync(f, `${lines.join('\n')}\n`);
    const r = await inspect(f, '--max-series', '1000');
    expect(r.code).toBe(2);
    // the 1,001st series is on line 1001 (docs/errors.md: the sink's limits carry the reader's position)
    expect(r.err).toContain('many.prom, line 1001: more than 1,000 distinct series (--max-series) [LIMIT_EXCEEDED]');
    expect((await inspect(f)).code).toBe(0);
  });

  it('a label value over --max-label-length: exit 2; raised, it reads', async () => {
    const f = path.join(dir, 'long.prom');
    writeFileSync(f, `vllm:num_requests_waiting{instance="a:1"} 1 1732269600000\nvllm:num_requests_waiting{instance="${'x'.repeat(100_000)}"} 1 1732269600000\n`);
    const r = await inspect(f);
    expect(r.code).toBe(2);
    expect(r.err).toContain('long.prom, line 2: label "instance" of 100,000 characters, over 65,536 (--max-label-length) [LIMIT_EXCEEDED]');
    expect((await inspect(f, '--max-label-length', '200000')).code).toBe(0);
  });
});
