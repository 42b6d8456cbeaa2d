// Keys that come from inputs (label names, metric names, CSV columns, setting names, kernel names)
// and happen to be names of Object.prototype members: nothing is dropped, merged or replaced by a
// prototype member (issue 11 §4). Every input is read through the real ingest path.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import { bufferSource } from '../../src/ingest/source.js';
import { runAnalysis } from '../../src/engine.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderInspect } from '../../src/report/inspect.js';
import { buildInventory } from '../../src/derive/inventory.js';
import { ROOT } from '../support/paths.js';
import { parseSetFlags } from '../../src/cli/common.js';

const PROTO = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', '__defineGetter__', 'prototype'];

async function read(files: Record<string, string>, set?: Record<string, string>) {
  const sources = Object.entries(files).map(([name, text]) => bufferSource(Buffer.from(text), name));
  return ingest({ inputs: [], sources, ...(set ? { set } : {}) });
}

describe('prototype-named keys from inputs', () => {
  it('Prometheus text: a label named __proto__ (or constructor, …) keeps series apart', async () => {
    const lines: string[] = [];
    for (const k of PROTO) for (const v of ['a', 'b']) lines.push(`vllm:num_requests_waiting{instance="i:1",${k}="${v}"} ${v === 'a' ? 1 : 2} 1732269600000`);
    const a = await read({ 'p.prom': `${lines.join('\n')}\n` });
    const s = a.metrics.get('vllm:num_requests_waiting');
    expect(s.length).toBe(PROTO.length * 2);
    for (const k of PROTO) {
      const mine = s.filter((x) => Object.hasOwn(x.labels, k));
      expect(mine.map((x) => [x.labels[k], x.v[0]]).sort(), k).toEqual([['a', 1], ['b', 2]]);
    }
  });

  it('Prometheus JSON: the same', async () => {
    const result = PROTO.flatMap((k) => ['a', 'b'].map((v) => `{"metric":{"__name__":"vllm:num_requests_running","instance":"i:1","${k}":"${v}"},"values":[[1732269600,"${v === 'a' ? 1 : 2}"]]}`));
    const a = await read({ 'p.json': `{"status":"success","data":{"resultType":"matrix","result":[${result.join(',')}]}}` });
    const s = a.metrics.get('vllm:num_requests_running');
    expect(s.length).toBe(PROTO.length * 2);
    for (const k of PROTO) expect(s.filter((x) => Object.hasOwn(x.labels, k)).map((x) => x.labels[k]).sort(), k).toEqual(['a', 'b']);
  });

  it('metric names and CSV columns named like prototype members are series of their own', async () => {
    // The text file and the CSV name the same label-less series: they merge into one, sample by sample.
    const a = await read({
      'm.prom': `${PROTO.map((k, i) => `${k} ${i} 1732269600000`).join('\n')}\n`,
      'c.csv': `time,${PROTO.map((k) => `x_${k}`).join(',')},${PROTO.join(',')}\n1732269610,${PROTO.map((_, i) => i).join(',')},${PROTO.map((_, i) => i + 100).join(',')}\n`,
    });
    for (const [i, k] of PROTO.entries()) {
      const s = a.metrics.get(k);
      expect(s.length, k).toBe(1);
      expect(Array.from(s[0].v), k).toEqual([i, i + 100]);
      expect(Array.from(a.metrics.get(`x_${k}`)[0].v), k).toEqual([i]);
    }
  });

  it('settings named constructor/toString (--set, cache_config_info, vLLM log) are values, never functions', async () => {
    const cci = `vllm:cache_config_info{instance="i:1",${PROTO.filter((k) => k !== '__proto__').map((k) => `${k}="c_${k}"`).join(',')}} 1 1732269600000\n`;
    const log = "INFO 11-18 04:39:28 [utils.py:233] non-default args: {'constructor': 7, 'valueOf': 'v', 'model': 'm'}\n";
    const a = await read({ 'c.prom': cci, 'vllm.log': log }, { toString: '3', hasOwnProperty: 'x' });
    const cfg = a.config.values;
    expect(Object.hasOwn(cfg, 'constructor') && cfg.constructor.value).toBe(7);
    expect(cfg.tostring?.value ?? (cfg as Record<string, { value: unknown }>).toString?.value).toBe(3);
    expect(Object.hasOwn(cfg, 'valueof') || Object.hasOwn(cfg, 'valueOf')).toBe(true);
    for (const [k, v] of Object.entries(cfg)) expect(typeof v.value, k).not.toBe('function');
    const inspect = renderInspect({ inputs: a.inputs, inventory: buildInventory(a), config: a.config, profiles: [], warnings: a.warnings });
    expect(inspect).not.toMatch(/function|native code/);
    const md = renderMarkdown(runAnalysis(a, { name: 'x' }));
    expect(md).not.toMatch(/function|native code/);
  });

  it('--set __proto__=… is refused by name rather than lost; --set constructor=1 is kept', () => {
    expect(() => parseSetFlags(['__proto__=1'])).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(() => parseSetFlags(['a b=1'])).toThrow(expect.objectContaining({ code: 'BAD_OPTION' }));
    expect(Object.entries(parseSetFlags(['constructor=1', 'toString=2']))).toEqual([['constructor', '1'], ['toString', '2']]);
  });

  it('kernels named like prototype members are kernels', async () => {
    const csv = readFileSync(path.join(ROOT, 'test/fixtures/profiles/nsys-kern-sum.csv'), 'utf8');
    const lines = csv.split('\n');
    const first = lines.findIndex((l) => /^\d/.test(l.trim()));
    expect(first).toBeGreaterThan(0);
    const names = ['constructor', '__proto__', 'toString'];
    const edited = lines.map((l, i) => (i >= first && i < first + names.length ? l.replace(/^((?:[^,]*,){8}).*$/, `$1${names[i - first]}`) : l)).join('\n');
    const a = await read({ 'k.csv': edited });
    const kernels = a.profiles.flatMap((p) => p.kernels.map((k) => k.name));
    for (const n of names) expect(kernels, n).toContain(n);
  });
});
