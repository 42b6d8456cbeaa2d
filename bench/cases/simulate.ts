// One hour of one busy replica (≈ 10 requests/s of chat on Llama-3.1-8B / H100), simulated and
// exported as query_range JSON. No input file: the floor does not apply.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { BenchCase } from '../lib.js';
import { DEFAULT_START, simulateReplica, writeExports } from '../../src/simulate/index.js';
import { chat, replica } from '../../src/simulate/scenarios.js';
import type { ReplicaSpec } from '../../src/simulate/types.js';

/** One busy replica: the scenarios' replica 0 with a steady 10 requests/s of their chat stream. */
function busyReplica(): ReplicaSpec {
  return replica(0, { streams: [chat(10, { rate: { rps: 10 } })] });
}

const bench: BenchCase = {
  id: 'simulate',
  title: 'simulator: 1 h of one replica at 10 req/s (Llama-3.1-8B, H100), plus query_range JSON export',
  floor: false,
  targets: { seconds: 10 },
  async prepare(outDir) {
    const dir = path.join(outDir, 'simulate');
    await fsp.mkdir(dir, { recursive: true });
    return { file: path.join(dir, 'metrics.json'), bytes: 0, meta: { hours: 1, rps: 10 } };
  },
  async run(prepared) {
    const r = simulateReplica(busyReplica(), { seed: 1, startTime: DEFAULT_START, durationSeconds: 3600, scrapeIntervalSeconds: 10 }, 0);
    await writeExports(path.dirname(prepared.file), [r], ['json'], { startTime: DEFAULT_START, scrapeIntervalSeconds: 10 });
    return {
      items: r.stats.steps,
      itemName: 'engine steps',
      check: { requests: r.stats.finished, steps: r.stats.steps, generatedTokens: r.stats.generatedTokens, preemptions: r.stats.preemptions },
    };
  },
};

export default bench;
