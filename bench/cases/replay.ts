// What-if replay (issue 14 §2): an hour of one busy replica (≈ 10 requests/s of chat on Llama-3.1-8B /
// H100, simulated in prepare) ingested and replayed at its own configuration with calibration (two
// 20-minute calibration rounds, then the full hour). Target: < 5 s (issue 14).

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { BenchCase } from '../lib.js';
import { DEFAULT_START, simulateReplica, writeExports } from '../../src/simulate/index.js';
import { chat, replica } from '../../src/simulate/scenarios.js';
import { ingest } from '../../src/ingest/index.js';
import { replay } from '../../src/simulate/replay.js';
import type { ReplicaSpec } from '../../src/simulate/types.js';

/** One busy replica: the scenarios' replica 0 with a steady 10 requests/s of their chat stream. */
function busyReplica(): ReplicaSpec {
  return replica(0, { streams: [chat(10, { rate: { rps: 10 } })] });
}

const bench: BenchCase = {
  id: 'replay',
  title: 'simulate --replay: ingest + calibrated replay of 1 h of one replica at 10 req/s (Llama-3.1-8B, H100)',
  floor: false,
  targets: { seconds: 5 },
  async prepare(outDir) {
    const dir = path.join(outDir, 'replay');
    await fsp.mkdir(dir, { recursive: true });
    const r = simulateReplica(busyReplica(), { seed: 1, startTime: DEFAULT_START, durationSeconds: 3600, scrapeIntervalSeconds: 10 }, 0);
    await writeExports(dir, [r], ['json', 'log'], { startTime: DEFAULT_START, scrapeIntervalSeconds: 10 });
    const file = path.join(dir, 'metrics.json');
    return { file, bytes: (await fsp.stat(file)).size, meta: { hours: 1, rps: 10 } };
  },
  async run(prepared) {
    const dir = path.dirname(prepared.file);
    const a = await ingest({ inputs: [path.join(dir, 'metrics.json'), path.join(dir, 'vllm-serve.log')] });
    const res = replay(a, {});
    const x = res.replicas[0];
    return {
      items: x.replayed.requests,
      itemName: 'replayed requests',
      check: { measuredTtftP95: x.measured.ttftP95Seconds ?? 'none', replayedTtftP95: x.replayed.ttftP95Seconds ?? 'none', memoryScale: x.calibration.memoryScale, lengthCorrelation: x.calibration.lengthCorrelation },
    };
  },
};

export default bench;
