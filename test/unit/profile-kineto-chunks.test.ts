// The Kineto scanner finishes an event cut by a chunk boundary in a small carry buffer. Feed real
// traces in odd chunk sizes (well below, around and above the 64 KiB carry) and demand exactly the
// profile the default 1 MiB chunks give.

import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ingest } from '../../src/ingest/index.js';
import { bufferSource, type InputSource } from '../../src/ingest/source.js';
import { REAL_TRACES } from '../support/paths.js';

const traces = REAL_TRACES;

function chunked(raw: Buffer, size: number, display: string): InputSource {
  const base = bufferSource(raw, display);
  return {
    ...base,
    chunks: async function* () {
      for (let i = 0; i < raw.length; i += size) yield raw.subarray(i, i + size);
    },
  };
}

describe('Kineto scanner across chunk boundaries', () => {
  for (const file of ['df_index_resolver__df_index_resolver.json.gz', 'h100__Qwen_Qwen1.5-0.5B-Chat__1016005.json.gz']) {
    it(file, async () => {
      const raw = gunzipSync(readFileSync(path.join(traces, file)));
      const whole = await ingest({ inputs: [], sources: [chunked(raw, 1 << 20, file)] });
      for (const size of [4099, 65537, 70001, 131072, 200003]) {
        const split = await ingest({ inputs: [], sources: [chunked(raw, size, file)] });
        expect(split.profiles, `chunks of ${size} bytes`).toEqual(whole.profiles);
      }
      expect(whole.profiles[0].kernels.length).toBeGreaterThan(10);
    });
  }
});
