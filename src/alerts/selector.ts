// `--selector '{namespace="prod",job=~"vllm.*"}'` → label matchers, so generated rules carry them in
// every selector. Values may be "double-quoted" (Go escapes), 'single-quoted' or `raw`, as in PromQL.

import { InputError } from '../errors.js';
import type { Matcher } from './expr.js';

const LABEL = /^[A-Za-z_][A-Za-z0-9_]*/;

export function parseSelector(text: string): Matcher[] {
  const bad = (why: string): never => {
    throw new InputError({ code: 'BAD_OPTION', message: `--selector ${JSON.stringify(text)}: ${why}`, hint: 'e.g. --selector \'{namespace="prod",job=~"vllm.*"}\'' });
  };
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) bad('missing closing }');
    s = s.slice(1, -1);
  }
  const out: Matcher[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i])) i++;
  };
  ws();
  while (i < s.length) {
    const m = LABEL.exec(s.slice(i));
    if (!m) bad(`expected a label name at ${JSON.stringify(s.slice(i, i + 10))}`);
    const label = m![0];
    i += label.length;
    ws();
    const op = (['=~', '!~', '!=', '='] as const).find((o) => s.startsWith(o, i));
    if (!op) bad(`expected =, !=, =~ or !~ after ${label}`);
    i += op!.length;
    ws();
    const q = s[i];
    if (q !== '"' && q !== "'" && q !== '`') bad(`the value of ${label} must be quoted`);
    let value = '';
    i++;
    for (;;) {
      if (i >= s.length) bad(`unterminated value of ${label}`);
      const c = s[i];
      if (c === q) {
        i++;
        break;
      }
      if (c === '\\' && q !== '`') {
        const n = s[i + 1];
        const map: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', '"': '"', "'": "'" };
        if (n === undefined || !(n in map)) bad(`unsupported escape \\${n ?? ''} in the value of ${label}`);
        value += map[n];
        i += 2;
        continue;
      }
      value += c;
      i++;
    }
    if (op === '=~' || op === '!~') {
      try {
        new RegExp(value);
      } catch {
        bad(`${value} is not a valid regular expression`);
      }
    }
    out.push({ label, op: op!, value });
    ws();
    if (s[i] === ',') {
      i++;
      ws();
    } else if (i < s.length) bad(`expected , at ${JSON.stringify(s.slice(i, i + 10))}`);
  }
  return out;
}

/** The matchers back as selector text, for comments and the report. */
export function selectorText(ms: readonly Matcher[]): string {
  return `{${ms.map((m) => `${m.label}${m.op}${JSON.stringify(m.value)}`).join(',')}}`;
}
