// Content checks of the text formats (vLLM server log, CSV, Prometheus text exposition), apart from
// their readers: the registry loads this eagerly.

import type { AdapterFormat } from '../adapter.js';
import { parseNumberRange } from '../bytes/decimal.js';
import { sniffCsv } from '../tabular/csv-sniff.js';
import { findSeriesEnd } from '../text/series-text.js';
import { timeFromBareLine } from '../text/scrape-time.js';

// ───────────────────────────── vLLM server log ─────────────────────────────

export const ENGINE_RE = /Initializing an? (?:(V[01]) )?LLM engine \(v([^)]+)\) with config: (.*)$/;
export const NONDEFAULT_RE = /non-default args: \{(.*)\}\s*$/;

function looksLikeLog(text: string): boolean {
  return ENGINE_RE.test(text) || NONDEFAULT_RE.test(text) || /\bvLLM API server version\b/.test(text) || /^(?:\(\w+ pid=\d+\) )?(INFO|WARNING|DEBUG) \d\d-\d\d \d\d:\d\d:\d\d .*\.py:\d+\]/m.test(text);
}

export const vllmLogFormat: AdapterFormat = {
  id: 'vllm-log',
  label: 'vLLM server log',
  sniff: (_head, text) => looksLikeLog(text),
};

// ───────────────────────────── CSV ─────────────────────────────

export const csvFormat: AdapterFormat = {
  id: 'csv-long',
  label: 'CSV (long format or Grafana wide export)',
  sniff: (_head, headText) => sniffCsv(headText),
};

// ───────────────────────────── Prometheus text exposition ─────────────────────────────

/** Lines of the head to look at, and how many sample lines must parse. */
const SNIFF_LINES = 200;
const SNIFF_SAMPLES = 5;

/** True when `line` (trimmed, not a comment) is a well-formed sample line. */
function isSampleLine(line: string): boolean {
  let se: number;
  try {
    se = findSeriesEnd(line, 0, line.length);
  } catch {
    return false;
  }
  const rest = line.slice(se).trim().split(/[ \t]+/);
  if (rest.length === 0 || rest[0] === '' || parseNumberRange(rest[0], 0, rest[0].length) === undefined) {
    // promtool's native-histogram samples (`{count:…}`) still mark the format.
    return line.charCodeAt(0) === 0x7b && rest[0]?.startsWith('{count:') === true;
  }
  if (rest.length === 1) return true;
  if (rest[1].startsWith('#')) return true; // exemplar
  if (parseNumberRange(rest[1], 0, rest[1].length) === undefined) return false;
  return rest.length === 2 || rest[2].startsWith('#');
}

export function sniffPrometheusText(headText: string): boolean {
  let text = headText.charCodeAt(0) === 0xfeff ? headText.slice(1) : headText;
  // The head may end inside a line: drop the partial last line unless it is all there is.
  const lastNl = text.lastIndexOf('\n');
  if (lastNl > 0) text = text.slice(0, lastNl);
  const lines = text.split('\n', SNIFF_LINES);
  let samples = 0;
  let bad = 0;
  let families = 0;
  for (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    if (line[0] === '#') {
      if (/^#\s*(HELP|TYPE|UNIT)\s+[^\s]+/.test(line)) families++;
      continue;
    }
    if (timeFromBareLine(line) !== undefined) continue;
    if (isSampleLine(line)) samples++;
    else bad++;
    if (samples + bad >= SNIFF_SAMPLES * 4) break;
  }
  // `# HELP`/`# TYPE` lines are decisive; otherwise most sample lines must parse. A file that is
  // recognised here but has a malformed line later gets TEXT_SYNTAX with that line's number.
  if (families > 0) return samples + families > bad;
  return samples > 0 && samples >= bad;
}

export const promTextFormat: AdapterFormat = {
  id: 'prometheus-text',
  label: 'Prometheus text exposition / OpenMetrics / promtool tsdb dump',
  sniff: (_head, headText) => sniffPrometheusText(headText),
};
