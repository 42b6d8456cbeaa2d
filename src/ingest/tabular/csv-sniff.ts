// CSV sniffing and header reading (split out of from-csv.ts): BOM, Excel `sep=` line, delimiter
// detection, and whether a file's head looks like a CSV table at all.

import { parseCellNumber } from '../bytes/decimal.js';
import { columnRole, parseTimestamp } from './common.js';

const DELIMS = [',', ';', '\t'] as const;

export function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** First physical line (without CR). */
export function firstLine(text: string): string {
  const nl = text.indexOf('\n');
  const line = nl < 0 ? text : text.slice(0, nl);
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

/** Split one line on `delim` outside double quotes (enough for sniffing a header). */
export function splitLine(line: string, delim: string): string[] {
  const out: string[] = [];
  let cur = '';
  let inQ = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inQ) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else inQ = false;
      } else cur += c;
    } else if (c === '"') inQ = true;
    else if (c === delim) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** Occurrences of `delim` outside double quotes and outside `{…}` (selectors hold commas). */
function countDelims(line: string, delim: string): number {
  let n = 0;
  let inQ = false;
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') inQ = !inQ;
    else if (inQ) continue;
    else if (c === '{') depth++;
    else if (c === '}') depth = Math.max(0, depth - 1);
    else if (c === delim && depth === 0) n++;
  }
  return n;
}

/** The delimiter the header line uses: the most frequent of `,` `;` TAB outside quotes and braces. */
export function detectDelimiter(header: string): string {
  let best: string = ',';
  let bestN = 0;
  for (const d of DELIMS) {
    const n = countDelims(header, d);
    if (n > bestN) {
      best = d;
      bestN = n;
    }
  }
  return best;
}

/** Excel hint line Grafana writes first with "Download for Excel": `sep=,`. */
export const SEP_RE = /^sep=(.)$/;

// A Prometheus exposition line (`name{…} value [ts]`) must not be mistaken for a CSV header.
const EXPOSITION_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})?\s+\S+(\s+\S+)?\s*$/;

export function sniffCsv(headText: string): boolean {
  let text = stripBom(headText);
  if (SEP_RE.test(firstLine(text))) text = text.slice(text.indexOf('\n') + 1);
  const header = firstLine(text);
  if (header.trim() === '' || /^\s*[#{[]/.test(header) || EXPOSITION_RE.test(header)) return false;
  const delim = detectDelimiter(header);
  const cols = splitLine(header, delim).map((c) => c.trim());
  if (cols.length < 2) return false;
  if (cols.some((c) => columnRole(c) !== undefined)) return true;
  // No recognised column name: accept when the next line has as many fields and holds a number.
  const rest = text.slice(text.indexOf('\n') + 1);
  if (!rest) return false;
  const second = splitLine(firstLine(rest), delim);
  return second.length === cols.length && second.some((c) => parseCellNumber(c) !== undefined || parseTimestamp(c) !== undefined);
}
