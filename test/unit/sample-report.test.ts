// The committed sample report in reports/ must be the one the quick start (`npx vllm-tune analyze`)
// produces today: the same bytes as the golden of its dataset, with every chart it links present.

import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

describe('reports/ sample', () => {
  it('equals the golden report of the default dataset, and its charts exist', () => {
    const committed = readFileSync(path.join(root, 'reports/kv-cache-thrashing.md'), 'utf8');
    expect(committed).toBe(readFileSync(path.join(root, 'test/golden/kv-cache-thrashing.md'), 'utf8'));
    const links = [...committed.matchAll(/!\[[^\]]*\]\(([^)]+\.svg)\)/g)].map((m) => m[1]);
    expect(links.length).toBeGreaterThanOrEqual(2);
    for (const l of links) expect(existsSync(path.join(root, 'reports', l)), l).toBe(true);
  });
});
