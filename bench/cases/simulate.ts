// One hour of one busy replica (≈ 10 requests/s of chat on Llama-3.1-8B / H100), simulated and
// exported as query_range JSON. No input file: the floor does not apply.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { BenchCase } from '../lib.js';
import { DEFAULT_START, simulateReplica, writeExports } from '../../src/simulate/index.js';
import { GPUS, MODELS } from '../../src/simulate/presets.js';
import type { ReplicaSpec } from '../../src/simulate/types.js';

function busyReplica(): ReplicaSpec {
  return {
    instance: '10.0.0.11:8000',
    hostname: 'gpu-node-1',
    gpu: GPUS['h100-80gb'],
    model: MODELS['llama-3.1-8b'],
    tensorParallelSize: 1,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    maxModelLen: 8192,
    blockSize: 16,
    gpuMemoryUtilization: 0.9,
    enablePrefixCaching: true,
    enableChunkedPrefill: true,
    kvCacheDtype: 'auto',
    streams: [
      {
        name: 'chat',
        rate: { rps: 10 },
        prompt: { median: 350, sigma: 0.8 },
        output: { median: 180, sigma: 0.7 },
        maxTokens: [512, 1024, 1024, 2048],
        prefix: { share: 0.7, count: 6, length: { median: 600, sigma: 0.3 }, zipf: 1 },
      },
    ],
    faults: [],
    baseRssBytes: 3.1e9,
    vllmVersion: '0.11.0',
  };
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
