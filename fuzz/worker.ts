// Worker thread of the fuzz harness: runs cases sent by the main thread, answers with the outcome and
// the time it took. The main thread terminates it on a case over the time or memory budget.

import { parentPort } from 'node:worker_threads';
import { runPipeline } from './pipeline.js';

parentPort!.on('message', async (m: { id: number; bytes: Uint8Array; name: string }) => {
  const t0 = performance.now();
  const outcome = await runPipeline(Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength), m.name);
  // A promise the case left rejected without a handler surfaces after the microtasks drain: wait one
  // macrotask so it takes the worker down while this case is still the one blamed (it used to kill a
  // later, innocent case of another format).
  await new Promise((resolve) => setTimeout(resolve, 0));
  parentPort!.postMessage({ id: m.id, outcome, ms: performance.now() - t0 });
});
