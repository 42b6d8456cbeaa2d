// Hostile values through every report output. A real analysis (metrics + two GPU profiles) is run,
// then every string in its Result that the schema lets vary (label values, scopes, file names,
// titles, config keys and values, kernel names, warnings, …) is replaced by a hostile value. The
// Markdown is parsed with markdown-it (CommonMark + GFM tables) and its structure compared with the
// same report rendered from plain values; each SVG chart is parsed with a strict XML parser (saxes);
// `inspect` text and the one-line CLI errors are checked for terminal control characters.

import { beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import MarkdownIt from 'markdown-it';
import { SaxesParser } from 'saxes';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { renderGpuSection } from '../../src/report/gpu-section.js';
import { renderChartSvg } from '../../src/report/svg.js';
import { renderInspect } from '../../src/report/inspect.js';
import { ResultSchema, type Result } from '../../src/model/result.js';
import { code, codeBlock, codeCell, linkDest, mdText, terminal, visible, xmlAttr, xmlText } from '../../src/report/escape.js';
import { InputError } from '../../src/errors.js';
import { exitCodeFor } from '../../src/cli/main.js';
import { ROOT } from '../support/paths.js';

/** Values an attacker (or an unlucky exporter) can put in a label, a file name, a kernel name. */
export const HOSTILE: string[] = [
  'a|b',
  'x\\|y',
  'back`tick',
  '``double``',
  '`lead',
  'trail`',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '](javascript:alert(1))',
  '# heading',
  'r\r\n## injected',
  'cr\ronly',
  '- list item',
  '1. ordered',
  '> quote',
  '***bold*** _u_',
  '~~strike~~',
  '&lt;entity&gt; &amp; &#x41;',
  '\x1b[31mred\x1b[0m\x1b]0;title\x07',
  'nul\x00byte',
  '\u202eevil\u202c',
  'lone\ud800surrogate',
  '\\',
  'trailing\\',
  '    indented',
  '---',
  '===',
  '| --- |',
  '"quote\' attr=1',
  ']]><![CDATA[x]]>',
  'tab\there\vvt\fff',
  'nel\u0085x\u2028y\u2029z',
  '<!-- c -->',
  '![img](x.png)',
  '<https://evil.example>',
  '\\`',
  '`',
  '|',
  ' spaced ',
  'del\x7f c1\x9b',
  '\ufffe\uffff',
  '{{x}} ${y} %s',
];

const md = new MarkdownIt({ html: true, linkify: false });

interface Inline {
  type: string;
  content: string;
  children?: Inline[] | null;
  attrs?: [string, string][] | null;
}

/** The visible text of an inline token: text and code contents, breaks as spaces. */
function inlineText(tok: Inline): string {
  return (tok.children ?? []).map((c) => (c.type === 'text' || c.type === 'code_inline' ? c.content : c.type === 'softbreak' || c.type === 'hardbreak' ? ' ' : '')).join('');
}

/** Block structure and the non-text inline structure of a Markdown document. */
function structure(src: string): { blocks: string[]; inlineKinds: string[]; texts: string[]; hrefs: string[]; html: number } {
  const toks = md.parse(src, {}) as unknown as Inline[];
  const blocks: string[] = [];
  const inlineKinds: string[] = [];
  const texts: string[] = [];
  const hrefs: string[] = [];
  let html = 0;
  for (const t of toks) {
    if (t.type === 'html_block') html++;
    if (t.type !== 'inline') {
      blocks.push(t.type);
      continue;
    }
    texts.push(inlineText(t));
    for (const c of t.children ?? []) {
      if (c.type === 'html_inline') html++;
      if (c.type === 'link_open' || c.type === 'image') hrefs.push(Object.fromEntries(c.attrs ?? [])[c.type === 'image' ? 'src' : 'href']);
      if (c.type !== 'text' && c.type !== 'code_inline' && c.type !== 'softbreak') inlineKinds.push(c.type);
    }
  }
  return { blocks, inlineKinds, texts, hrefs, html };
}

/** Original key of each renamed record key, per output object (to map a schema issue's path back). */
const ORIGINAL_KEY = new WeakMap<object, Map<string, string>>();

/** Every string leaf of a JSON value replaced by f(original); keys of records where `keyed(path)` too. */
function mapStrings(v: unknown, f: (s: string) => string, keyed: (p: string[]) => boolean, p: string[] = []): unknown {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x, i) => mapStrings(x, f, keyed, [...p, String(i)]));
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    const orig = new Map<string, string>();
    for (const [k, x] of Object.entries(v)) {
      const nk = keyed(p) ? f(k) : k;
      orig.set(nk, k);
      Object.defineProperty(out, nk, { value: mapStrings(x, f, keyed, [...p, k]), enumerable: true, writable: true, configurable: true });
    }
    ORIGINAL_KEY.set(out, orig);
    return out;
  }
  return v;
}

/** Put back, at `p` in `changed`, the value the same place holds in `base`. */
function revert(changed: unknown, base: unknown, p: PropertyKey[]): void {
  let c = changed as Record<PropertyKey, unknown>;
  let b = base as Record<PropertyKey, unknown>;
  for (let i = 0; i < p.length - 1; i++) {
    const ok = ORIGINAL_KEY.get(c)?.get(String(p[i])) ?? p[i];
    c = c[p[i]] as Record<PropertyKey, unknown>;
    b = b[ok] as Record<PropertyKey, unknown>;
  }
  const last = p[p.length - 1];
  c[last] = b[ORIGINAL_KEY.get(c)?.get(String(last)) ?? last];
}

/** Record keys that come from inputs: config settings, evidence keys, memory directions. */
const KEYED = (p: string[]): boolean => {
  const last = p[p.length - 1];
  return (p.length === 2 && p[0] === 'config' && last === 'values') || last === 'evidence' || last === 'memoryByDirectionNs';
};

/**
 * The Result with every free string replaced through `pick` (same original → same replacement, so
 * a finding still finds its chart); strings the schema constrains (enums, literals) keep their value.
 */
function substitute(base: Result, pick: (i: number) => string): Result {
  const ids = new Map<string, number>();
  const f = (s: string) => {
    if (!ids.has(s)) ids.set(s, ids.size);
    return pick(ids.get(s)!);
  };
  const changed = mapStrings(base, f, KEYED) as Result;
  for (let round = 0; round < 50; round++) {
    const r = ResultSchema.safeParse(changed);
    if (r.success) return r.data;
    for (const issue of r.error.issues) revert(changed, base, issue.path);
  }
  throw new Error('could not make a schema-valid hostile Result');
}

let base: Result;
let hostile: Result;
let plain: Result;

beforeAll(async () => {
  const rel = (p: string) => path.relative(process.cwd(), path.join(ROOT, p));
  const artifacts = await ingest({ inputs: [rel('datasets/kv-cache-thrashing'), rel('test/fixtures/profiles/nsys-gpu-trace.csv'), rel('test/fixtures/profiles/key-averages-vllm-tp2.log')] });
  base = runAnalysis(artifacts, { name: 'hostile' });
  expect(base.gpu).toBeDefined();
  hostile = substitute(base, (i) => HOSTILE[i % HOSTILE.length]);
  // The plain twin of each hostile value: its UTF-16 code units as 4 hex digits each, which sorts
  // exactly like the hostile value (so sorted sections come out in the same order).
  plain = substitute(base, (i) => `p${Array.from({ length: HOSTILE[i % HOSTILE.length].length }, (_, k) => HOSTILE[i % HOSTILE.length].charCodeAt(k).toString(16).padStart(4, '0')).join('')}`);
}, 120_000);

function fullMarkdown(r: Result): string {
  return renderMarkdown(r, { charts: true, ...(r.gpu ? { extraSections: [renderGpuSection(r.gpu)] } : {}) });
}

describe('escape.ts contexts, each parsed', () => {
  it('mdText: a value stays one run of text in a paragraph, a heading, a list item and link text', () => {
    for (const v of HOSTILE) {
      const want = visible(v).trim();
      for (const [doc, text] of [
        [`${mdText(v)}\n`, want],
        [`prefix ${mdText(v)} suffix\n`, `prefix ${want} suffix`],
        [`### ${mdText(v)}\n`, want],
        [`- ${mdText(v)}\n`, want],
        [`[${mdText(v)}](x.md)\n`, want],
      ] as const) {
        const s = structure(`\n${doc}`);
        expect(s.html, JSON.stringify(v)).toBe(0);
        expect(s.inlineKinds.filter((k) => k !== 'link_open' && k !== 'link_close'), JSON.stringify([v, doc])).toEqual([]);
        expect(s.texts.join('|'), JSON.stringify([v, doc])).toBe(text);
      }
    }
  });
  it('code: one code span whose content is the value, never entity-escaped', () => {
    for (const v of HOSTILE) {
      const toks = md.parseInline(`a ${code(v)} b`, {})[0].children!;
      const codes = toks.filter((t) => t.type === 'code_inline');
      expect(codes.length, JSON.stringify(v)).toBe(1);
      expect(codes[0].content, JSON.stringify(v)).toBe(visible(v));
      expect(toks.some((t) => t.type === 'html_inline')).toBe(false);
    }
    expect(code('a<b>&amp;')).toBe('`a<b>&amp;`');
    expect(code('x``y')).toBe('```x``y```');
  });
  it('table cells: text and code keep the column count and the whole value', () => {
    for (const v of HOSTILE) {
      for (const cell of [mdText(v), codeCell(v)]) {
        const src = `| a | b | c |\n|---|---|---|\n| 1 | ${cell} | 3 |\n`;
        const toks = md.parse(src, {}) as unknown as Inline[];
        const tds = toks.filter((t) => t.type === 'td_open').length;
        expect(tds, JSON.stringify([v, cell])).toBe(3);
        const inl = toks.filter((t) => t.type === 'inline').map(inlineText);
        expect(inl.slice(3), JSON.stringify([v, cell])).toEqual(['1', visible(v).trim() === '' ? '' : cell === mdText(v) ? visible(v).trim() : visible(v), '3']);
        // GitHub (cmark-gfm) reads `\\|` as an escaped backslash and a cell break, markdown-it as an
        // escaped pipe: our cells never contain a pipe after an even run of backslashes.
        expect(/(?:^|[^\\])(?:\\\\)+\|/.test(cell), JSON.stringify(cell)).toBe(false);
      }
    }
  });
  it('codeBlock: a fence no line of the value can close', () => {
    const v = 'vllm serve x \\\n  --a ```\n```\n````';
    const toks = md.parse(codeBlock(v), {});
    expect(toks.map((t) => t.type)).toEqual(['fence']);
    expect(toks[0].content).toBe(`${v}\n`);
  });
  it('linkDest: stays a relative path', () => {
    for (const v of HOSTILE) {
      const toks = md.parseInline(`[x](${linkDest(v)})`, {})[0].children!;
      expect(toks[0].type, JSON.stringify(v)).toBe('link_open');
      expect(toks[0].attrGet('href')!, JSON.stringify(v)).toMatch(/^[A-Za-z0-9._~/%-]*$/);
    }
  });
  it('xmlText / xmlAttr: well-formed XML that gives the visible value back', () => {
    for (const v of HOSTILE) {
      const doc = `<svg a="${xmlAttr(v)}" b='${xmlAttr(v)}'><text>${xmlText(v)}</text></svg>`;
      const { texts, attrs } = parseXml(doc);
      expect(texts.join(''), JSON.stringify(v)).toBe(visible(v));
      expect(attrs.map((a) => a.value), JSON.stringify(v)).toEqual([visible(v), visible(v)]);
    }
  });
  it('terminal: no control character, escape sequence or bidi override survives', () => {
    for (const v of HOSTILE) expect(terminal(v)).not.toMatch(CONTROL_RE);
    expect(terminal('\x1b[2J')).toBe('␛[2J');
  });
});

/** C0/C1 controls (tab and newline included: every escaped value is one line), bidi controls, lone surrogates. */
const CONTROL_RE = /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function parseXml(doc: string): { elements: string[]; attrs: { name: string; value: string }[]; texts: string[] } {
  const p = new SaxesParser({ xmlns: false });
  const elements: string[] = [];
  const attrs: { name: string; value: string }[] = [];
  const texts: string[] = [];
  let err: Error | undefined;
  p.on('error', (e) => {
    err ??= e;
  });
  p.on('opentag', (t) => {
    elements.push(t.name);
    for (const [name, value] of Object.entries(t.attributes)) attrs.push({ name, value: typeof value === 'string' ? value : value.value });
  });
  p.on('text', (t) => texts.push(t));
  p.on('cdata', (t) => texts.push(`CDATA:${t}`));
  p.write(doc).close();
  if (err) throw err;
  return { elements, attrs, texts };
}

describe('a hostile Result through every report section', () => {
  it('the substitution reaches every section', () => {
    // Sanity of the test itself: hostile values did land in the Result where reports show them.
    expect(HOSTILE).toContain(hostile.name);
    expect(hostile.inputs.every((i) => HOSTILE.includes(i.file))).toBe(true);
    expect(hostile.findings.length).toBeGreaterThan(0);
    // Titles come from the catalog by code (model/catalog.ts), not from the Result.
    expect(hostile.findings.every((f) => HOSTILE.includes(f.scope))).toBe(true);
    // The configuration is per replica (config timeline): replica ids and the settings' string values.
    expect(hostile.config.replicas.every((r) => HOSTILE.includes(r.replica))).toBe(true);
    const stringValues = hostile.config.replicas.flatMap((r) => r.segments.flatMap((g) => Object.values(g.values).map((x) => x.value))).filter((x): x is string => typeof x === 'string');
    expect(stringValues.length).toBeGreaterThan(0);
    expect(stringValues.every((x) => HOSTILE.includes(x))).toBe(true);
    expect(hostile.gpu!.devices.flatMap((d) => d.categories.flatMap((c) => c.top.map((k) => k.name))).every((n) => HOSTILE.includes(n))).toBe(true);
    expect(hostile.charts.length).toBeGreaterThan(0);
  });

  it('Markdown: same structure as with plain values, no HTML, only our links, every value intact', () => {
    const h = fullMarkdown(hostile);
    const p = fullMarkdown(plain);
    const sh = structure(h);
    const sp = structure(p);
    expect(sh.html).toBe(0);
    expect(sh.blocks).toEqual(sp.blocks);
    expect(sh.inlineKinds).toEqual(sp.inlineKinds);
    expect(sh.hrefs.length).toBe(sp.hrefs.length);
    for (const href of sh.hrefs) expect(href).toMatch(/^[A-Za-z0-9._~/%-]+$/);
    // Every hostile value used somewhere in the Result shows up whole in some inline run.
    const all = sh.texts.join('\n');
    const used = new Set<string>();
    mapStrings(hostile, (s) => (used.add(s), s), KEYED);
    for (const v of HOSTILE) if (used.has(v) && visible(v).trim()) expect(all, JSON.stringify(v)).toContain(visible(v).trim());
    // Each table row has as many unescaped pipes as its header (markdown-it silently drops extra cells).
    for (const block of h.split('\n\n')) {
      const rows = block.split('\n').filter((l) => l.startsWith('|'));
      if (rows.length < 2) continue;
      const cells = (l: string) => l.replace(/\\./g, '').split('|').length;
      for (const r of rows) expect(cells(r), r).toBe(cells(rows[0]));
    }
  });

  it('SVG: every chart is well-formed XML with only our elements and attributes, titles intact', () => {
    const ELEMENTS = new Set(['svg', 'title', 'rect', 'text', 'line', 'polyline', 'circle', 'g', 'path']);
    for (const c of hostile.charts) {
      const svg = renderChartSvg(c);
      const { elements, attrs, texts } = parseXml(svg);
      for (const e of elements) expect(ELEMENTS.has(e), e).toBe(true);
      for (const a of attrs) expect(a.name, a.name).toMatch(/^(?!on)[a-zA-Z][a-zA-Z0-9-]*$/);
      for (const a of attrs) expect(a.value).not.toMatch(/[<>]/);
      expect(texts.join('\n')).toContain(visible(c.title));
      for (const t of texts.filter((x) => x.trim() !== '')) expect(t).not.toMatch(CONTROL_RE);
    }
  });

  it('inspect text: no terminal control characters', () => {
    const out = renderInspect({
      inputs: hostile.inputs,
      inventory: hostile.inventory,
      // inspect shows what the inputs said (a ServingConfig), not the Result's per-replica timeline.
      config: { values: Object.fromEntries(HOSTILE.map((h) => [h, { value: h, source: 'log' as const, file: h }])), conflicts: [], statements: [] },
      profiles: HOSTILE.map((h) => ({ file: h, format: h, rank: 0, kernels: 1 })),
      warnings: hostile.warnings.length ? hostile.warnings : HOSTILE.map((h) => ({ code: h, message: h, file: h })),
    });
    for (const line of out.split('\n')) expect(line, JSON.stringify(line)).not.toMatch(CONTROL_RE);
    expect(out).toContain(terminal(hostile.inputs[0].file));
  });

  it('one-line errors: a file name with control characters prints without them', () => {
    let err = '';
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((s: string) => ((err += s), true)) as typeof process.stderr.write;
    try {
      for (const v of HOSTILE) {
        expect(exitCodeFor(new InputError({ code: 'JSON_SYNTAX', file: v, message: `bad ${v}`, hint: v }))).toBe(2);
        expect(exitCodeFor(new Error(v))).toBe(70);
      }
    } finally {
      process.stderr.write = write;
    }
    const lines = err.split('\n').filter(Boolean);
    expect(lines.length).toBe(HOSTILE.length * 3);
    for (const l of lines) expect(l, JSON.stringify(l)).not.toMatch(CONTROL_RE);
  });
});
