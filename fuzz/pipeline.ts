// One fuzz case through everything a user's input meets in-process: source (gzip), sniffing, the
// adapter, the sink, the engine, and every renderer (Markdown with the GPU section, SVG charts,
// JSON). The outcome is 'ok', 'input' (an InputError: the expected answer to bad input) or
// 'crash' (anything else: a bug).

import { isInputError } from '../src/errors.js';
import { bufferSource } from '../src/ingest/source.js';
import { ingest } from '../src/ingest/index.js';
import { runAnalysis } from '../src/engine.js';
import { renderReport } from '../src/report/index.js';

export type Outcome = { kind: 'ok' } | { kind: 'input'; code: string } | { kind: 'crash'; message: string; stack?: string };

export async function runPipeline(bytes: Buffer, name: string): Promise<Outcome> {
  try {
    const src = bufferSource(bytes, name);
    const artifacts = await ingest({ inputs: [], sources: [src] });
    const result = runAnalysis(artifacts, { name: 'fuzz' });
    const files = renderReport(result, artifacts, { charts: true, json: true, outDir: 'fuzz-out' });
    for (const f of files) if (typeof f.content !== 'string') throw new Error(`renderer returned no text for ${f.name}`);
    return { kind: 'ok' };
  } catch (e) {
    if (isInputError(e)) return { kind: 'input', code: e.code };
    const err = e as Error;
    return { kind: 'crash', message: String(err?.message ?? e).slice(0, 500), ...(err?.stack ? { stack: err.stack.split('\n').slice(0, 8).join('\n') } : {}) };
  }
}
