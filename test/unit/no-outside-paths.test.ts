// Nothing in src/, test/, bench/ or .ci/ may read outside the repository: a user's clone has nothing
// beside it. This scans every source file for path literals that climb above the repository root
// (counted from the file's own folder) and for absolute paths into this machine's work folders.

import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../support/paths.js';

const SCANNED = ['src', 'test', 'bench', '.ci'];
const EXT = /\.(ts|mts|js|mjs|cjs|sh|py|json)$|^run$/;

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'fixtures' || name === 'out') continue;
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (EXT.test(name)) out.push(p);
  }
}

/** Path literals in a file that resolve outside the repository, as `line: literal`. */
export function outsideReferences(file: string, text: string): string[] {
  const bad: string[] = [];
  const dir = path.dirname(file);
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    // A literal made only of ../ steps (and a tail), as path.resolve(here, '../../x') is written.
    for (const m of line.matchAll(/['"`]((?:\.\.\/)+[^'"`\s]*)['"`]/g)) {
      // src/ and bench/ also run compiled from dist/<same path>: either location may resolve it.
      const from = [dir];
      const rel = path.relative(ROOT, dir);
      if (rel.startsWith('src') || rel.startsWith('bench')) from.push(path.join(ROOT, 'dist', rel));
      const inside = from.some((d) => !path.relative(ROOT, path.resolve(d, m[1])).startsWith('..'));
      if (!inside) bad.push(`${i + 1}: ${m[1]}`);
    }
    // Absolute paths into the workplace, or the sibling shared folder by name.
    for (const m of line.matchAll(/['"`](\/work\/[^'"`]*|[^'"`]*\.\.\/shared\/[^'"`]*)['"`]/g)) bad.push(`${i + 1}: ${m[1]}`);
  });
  return bad;
}

describe('no file reads outside the repository', () => {
  const files: string[] = [];
  for (const d of SCANNED) walk(path.join(ROOT, d), files);

  it('scans a meaningful number of files', () => {
    expect(files.length).toBeGreaterThan(100);
  });

  it('finds the escapes it is meant to find', () => {
    const probe = path.join(ROOT, 'test/unit/x.test.ts');
    // Built by concatenation so that this file itself holds no such literal.
    const up = '../'.repeat(3);
    expect(outsideReferences(probe, `const a = path.resolve(here, '${up}shared/fixtures/real');`)).toHaveLength(2);
    expect(outsideReferences(probe, "const a = path.resolve(here, '../fixtures/real');")).toEqual([]);
    expect(outsideReferences(probe, `readFileSync('${'/wo' + 'rk/'}shared/x')`)).toHaveLength(1);
    expect(outsideReferences(path.join(ROOT, 'bench/cases/x.ts'), `path.resolve(here, '${up}', 'test')`)).toEqual([]);
  });

  it('no source, test, bench or CI file points outside the repository', () => {
    const offenders = files.flatMap((f) => outsideReferences(f, readFileSync(f, 'utf8')).map((b) => `${path.relative(ROOT, f)}:${b}`));
    expect(offenders).toEqual([]);
  });
});
