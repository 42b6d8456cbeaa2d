// Worker thread of the fuzz harness: runs cases sent by the main thread, answers with the outcome and
// the time it took. The main thread terminates it on a case over the time or memory budget.

import { parentPort } from 'node:worker_threads';
import { runPipeline } from './pipeline.js';

parentPort!.on('message', async (m: { id: number; bytes: Uint8Array; name: string }) => {
  const t0 = performance.now();
  const outcome = await runPipeline(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.name);
  parentPort!.postMessage({ id: m.id, outcome, ms: performance.now() - t0 });
});
