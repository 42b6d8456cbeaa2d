// Every finding code has its documentation page with the sections the report links to, every page
// belongs to a code, and `vllm-tune explain` prints it.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FINDING_CODES } from '../../src/model/vocabulary.js';
import { FINDING_TITLES } from '../../src/model/catalog.js';
import { ROOT } from '../support/paths.js';

const DIR = path.join(ROOT, 'docs/findings');

describe('docs/findings', () => {
  it('every code has a page headed by its code, saying what it means and what the report recommends', () => {
    for (const code of FINDING_CODES) {
      const f = path.join(DIR, `${code}.md`);
      expect([code, existsSync(f)]).toEqual([code, true]);
      const text = readFileSync(f, 'utf8');
      expect(text.split('\n')[0]).toBe(`# ${code}`);
      expect([code, /^## What it means$/m.test(text), /^## What the report recommends$/m.test(text)]).toEqual([code, true, true]);
    }
  });
  it('every page belongs to a code, and every code has a title', () => {
    const pages = readdirSync(DIR).filter((f) => f.endsWith('.md')).map((f) => f.replace(/\.md$/, ''));
    expect(pages.sort()).toEqual([...FINDING_CODES].sort());
    for (const code of FINDING_CODES) expect(FINDING_TITLES[code].length).toBeGreaterThan(10);
  });
  it("the README's list of finding codes names every code", () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const list = /^- \*\*Finding codes\*\*:([\s\S]*?)\n- \*\*/m.exec(readme)?.[1] ?? '';
    expect(FINDING_CODES.filter((c) => !list.includes(`\`${c}\``))).toEqual([]);
  });
});
