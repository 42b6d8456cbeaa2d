// Legal or extreme values that used to end in an internal error (exit 70) — issue 11 §4. Each must
// become a handled value, a warning, or a one-line input error (exit 2). The CLI runs in-process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCliInProcess } from '../support/cli.js';
import { ROOT } from '../support/paths.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'vt-extreme-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string | Buffer): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

const matrix = (values: [number, string][], labels = '"instance":"a:1"') =>
  JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: JSON.parse(`{"__name__":"vllm:num_requests_waiting",${labels}}`), values }] } });

async function analyze(...inputs: string[]) {
  const out = path.join(dir, 'out');
  const r = await runCliInProcess(['analyze', ...inputs, '--out', out, '--json', '-q', '--name', 'r']);
  const result = r.code === 0 ? JSON.parse(readFileSync(path.join(out, 'r.json'), 'utf8')) : undefined;
  return { ...r, result };
}

describe('extreme values are handled, not internal errors', () => {
  it('+Inf, -Inf and NaN gauge samples: dropped with warnings, the rest analysed', async () => {
    const r = await analyze(file('inf.json', matrix([[1732269600, '+Inf'], [1732269610, '-Inf'], [1732269620, 'NaN'], [1732269630, '1'], [1732269640, '3']])));
    expect(r.code, r.err).toBe(0);
    expect(r.result.warnings.find((w: { code: string }) => w.code === 'INFINITE_SAMPLES').count).toBe(2);
    expect(r.result.warnings.find((w: { code: string }) => w.code === 'NAN_SAMPLES').count).toBe(1);
    const inv = r.result.inventory.metrics.find((m: { name: string }) => m.name === 'vllm:num_requests_waiting');
    expect([inv.min, inv.max, inv.samples]).toEqual([1, 3, 2]);
  });

  it('a timestamp of 99999999999999 s: dropped with a warning naming it, alone or beside good samples', async () => {
    const alone = await analyze(file('huge.json', matrix([[99999999999999, '1'], [99999999999999.5, '2']])));
    expect(alone.code, alone.err).toBe(0);
    expect(alone.result.warnings.find((w: { code: string }) => w.code === 'TIMESTAMP_OUT_OF_RANGE').message).toContain('99999999999999');
    const mixed = await analyze(file('huge-mixed.json', matrix([[1732269600, '1'], [1732269610, '2'], [99999999999999, '3']])));
    expect(mixed.code, mixed.err).toBe(0);
    expect(mixed.result.inventory.window).toMatchObject({ startSeconds: 1732269600, endSeconds: 1732269610 });
  });

  it('1e309 in a vLLM log: the setting keeps the text, no Infinity in the Result', async () => {
    const log = readFileSync(path.join(ROOT, 'datasets/healthy-baseline/vllm-serve.log'), 'utf8').replace("'max_num_seqs': 256", "'max_num_seqs': 1e309");
    expect(log).toContain('1e309');
    const r = await analyze(path.join(ROOT, 'datasets/healthy-baseline/metrics.json.gz'), file('vllm.log', log));
    expect(r.code, r.err).toBe(0);
    // The configuration is per replica: the log's value, as written, in every replica's segments.
    const segs = r.result.config.replicas.flatMap((x: { segments: unknown[] }) => x.segments);
    expect(segs.length).toBeGreaterThan(0);
    for (const g of segs) expect(g.values.max_num_seqs).toMatchObject({ value: '1e309', source: 'log' });
  });

  it('a bad escape inside a Kineto name is read as written; a BOM before the trace is skipped', async () => {
    const ev = (name: string) => `{"ph":"X","cat":"kernel","name":"${name}","pid":0,"tid":7,"ts":1,"dur":2,"args":{"device":0,"stream":7}}`;
    const bad = await analyze(file('badesc.json', `{"traceEvents":[${ev('bad\\q \\u12 ok\\n')},${ev('fine')}]}`));
    expect(bad.code, bad.err).toBe(0);
    const names = bad.result.gpu.devices[0].categories.flatMap((c: { top: { name: string }[] }) => c.top.map((k) => k.name));
    expect(names).toContain('bad\\q \\u12 ok\n');
    const bom = await analyze(file('bom.json', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`{"traceEvents":[${ev('k1')}]}`)])));
    expect(bom.code, bom.err).toBe(0);
    expect(bom.result.gpu.devices[0].activityNs).toBe(2000);
  });

  it('a header value with a line break: BAD_OPTION before any request, the value not printed', async () => {
    const r = await runCliInProcess(['fetch', '--prometheus', 'http://127.0.0.1:1', '--header', 'X-Scope-OrgID: tenant\r\nX-Evil: secret-value', '--out', path.join(dir, 'never.json')]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/BAD_OPTION/);
    expect(r.err).not.toContain('secret-value');
    expect(r.err.trim().split('\n')).toHaveLength(1);
  });

  it('--set constructor=1 is a setting; --set __proto__=1 is a usage error', async () => {
    const ok = await analyze(path.join(ROOT, 'datasets/healthy-baseline'), '--set', 'constructor=1');
    expect(ok.code, ok.err).toBe(0);
    const segs = ok.result.config.replicas.flatMap((x: { segments: unknown[] }) => x.segments);
    expect(segs.length).toBeGreaterThan(0);
    for (const g of segs) expect(Object.getOwnPropertyDescriptor(g.values, 'constructor')?.value).toMatchObject({ value: 1, source: 'flag' });
    expect(readFileSync(path.join(dir, 'out', 'r.md'), 'utf8')).not.toContain('native code');
    const bad = await analyze(path.join(ROOT, 'datasets/healthy-baseline'), '--set', '__proto__=1');
    expect(bad.code).toBe(2);
  });

  it('"data": null and a non-array "warnings" in a file: exit 2 naming the problem', async () => {
    const a = await analyze(file('null.json', '{"status":"success","data":null}'));
    expect([a.code, a.err]).toEqual([2, expect.stringMatching(/null\.json.*NOT_PROMETHEUS_RESPONSE/)]);
    const b = await analyze(file('warn.json', '{"status":"success","data":{"resultType":"matrix","result":[]},"warnings":"oops"}'));
    expect([b.code, b.err]).toEqual([2, expect.stringMatching(/"warnings" must be an array/)]);
  });
});
