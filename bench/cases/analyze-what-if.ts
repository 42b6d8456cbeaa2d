// The what-if step's cost inside `analyze` (issue 14 §2): the default dataset (an hour of two thrashing
// replicas, one serve block) analysed with the what-if replay (one replica replayed twice, calibrated)
// and, as a variant in the same run, with it switched off — the ratio is the step's share of the time.
// Target: the whole analysis within the 10 s budget.

import path from 'node:path';
import { promises as fsp } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BenchCase } from '../lib.js';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const bench: BenchCase = {
  id: 'analyze-what-if',
  title: 'analyze datasets/kv-cache-thrashing (1 h, 2 replicas) with the what-if replay of its serve block',
  floor: false,
  targets: { seconds: 10 },
  variants: [{ label: 'without what-if (VLLM_TUNE_BENCH_WHAT_IF=0)', env: { VLLM_TUNE_BENCH_WHAT_IF: '0' } }],
  async prepare() {
    const file = path.join(ROOT, 'datasets', 'kv-cache-thrashing', 'metrics.json.gz');
    return { file, bytes: (await fsp.stat(file)).size };
  },
  async run(p) {
    const a = await ingest({ inputs: [path.dirname(p.file)] });
    const on = process.env.VLLM_TUNE_BENCH_WHAT_IF !== '0';
    const r = runAnalysis(a, { name: 'bench', whatIf: { enabled: on } });
    const replayed = (r.serveBlocks[0]?.effects ?? []).filter((x) => x.status === 'evaluated').length;
    if (on && replayed !== 1) throw new Error(`expected one replayed replica, got ${replayed}`);
    // The findings and recommendations are the same either way; only the effects differ.
    return { items: r.findings.length, itemName: 'findings', check: { findings: r.findings.length, recommendations: r.recommendations.length } };
  },
};

export default bench;
