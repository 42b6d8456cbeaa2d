// Where the time of a scrape without sample timestamps can come from: an epoch (or ISO date-time)
// in the file name, or a separator line written between concatenated scrapes
// (`date +%s >> all.txt`, `echo "# scrape at $(date -Is)" >> all.txt`).

import path from 'node:path';

/** Plausible scrape times: 2000-01-01 … 2100-01-01 (rejects ids and counters that happen to be long digit runs). */
const MIN_SECONDS = 946_684_800;
const MAX_SECONDS = 4_102_444_800;

/** Epoch digits by length: 10 → seconds, 13 → milliseconds, 16 → microseconds, 19 → nanoseconds. */
function epochFromDigits(digits: string, fraction = ''): number | undefined {
  const scale = digits.length === 10 ? 1 : digits.length === 13 ? 1e3 : digits.length === 16 ? 1e6 : digits.length === 19 ? 1e9 : 0;
  if (!scale) return undefined;
  const s = Number(digits + fraction) / scale;
  return s >= MIN_SECONDS && s <= MAX_SECONDS ? s : undefined;
}

const ISO_RE = /(\d{4})-?(\d{2})-?(\d{2})[T_ ](\d{2})[:-]?(\d{2})(?:[:-]?(\d{2})(?:[.,](\d+))?)?(Z|[+-]\d{2}:?\d{2})?/;

/** Seconds from an ISO 8601 date-time (extended or basic form); no zone means UTC. */
function isoSeconds(m: RegExpExecArray): number | undefined {
  const [, y, mo, d, h, mi, s = '00', frac = '', zone = 'Z'] = m;
  const z = zone === 'Z' ? 'Z' : zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone;
  const ms = Date.parse(`${y}-${mo}-${d}T${h}:${mi}:${s}${frac ? `.${frac.slice(0, 3).padEnd(3, '0')}` : ''}${z}`);
  if (!Number.isFinite(ms)) return undefined;
  const sec = ms / 1000;
  return sec >= MIN_SECONDS && sec <= MAX_SECONDS ? sec : undefined;
}

/**
 * Unix seconds named by a file, e.g. `metrics-1700000000.prom` (seconds), `scrape_1700000000123.txt`
 * (milliseconds, by digit count) or `metrics-2024-05-01T12:00:00Z.prom`; undefined when the name holds none.
 */
export function timeFromFileName(file: string): number | undefined {
  const base = path.basename(file);
  const digitRuns = base.match(/\d+/g) ?? [];
  for (const d of digitRuns) {
    const t = epochFromDigits(d);
    if (t !== undefined) return t;
  }
  const iso = ISO_RE.exec(base);
  return iso ? isoSeconds(iso) : undefined;
}

/**
 * Time written on a separator line between concatenated scrapes: a line that is only an epoch
 * (seconds, optionally fractional, or ms/µs/ns by digit count) or an ISO date-time, or a free
 * comment (`# scrape at 2024-05-01T12:00:00Z`, `# 1700000000`) holding one. `line` excludes the
 * newline; for comments, pass the text after `#`.
 */
export function timeFromSeparator(text: string): number | undefined {
  const iso = ISO_RE.exec(text);
  if (iso) return isoSeconds(iso);
  const m = /(?:^|[^\d.])(\d{10}|\d{13}|\d{16}|\d{19})(\.\d+)?(?![\d])/.exec(text);
  return m ? epochFromDigits(m[1], m[2] ?? '') : undefined;
}

const DATE_CMD_RE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun),? [A-Za-z0-9 :,.+-]*\d{4}$/;

/**
 * Time of a line that is nothing but a time stamp (a separator between concatenated scrapes):
 * `1700000000`, `1700000000.5`, `1700000000123`, `2024-05-01T12:00:00+00:00` (`date -Is`), or the
 * default output of `date` (`Tue Nov 21 12:00:00 UTC 2023`). Undefined for any other line.
 */
export function timeFromBareLine(line: string): number | undefined {
  const epoch = /^(\d{10}|\d{13}|\d{16}|\d{19})(\.\d+)?$/.exec(line);
  if (epoch) return epochFromDigits(epoch[1], epoch[2] ?? '');
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}([.,]\d+)?)?(Z|[+-]\d{2}:?\d{2})?$/.test(line)) {
    const iso = ISO_RE.exec(line);
    return iso ? isoSeconds(iso) : undefined;
  }
  if (DATE_CMD_RE.test(line)) {
    const ms = Date.parse(line);
    const sec = ms / 1000;
    return Number.isFinite(ms) && sec >= MIN_SECONDS && sec <= MAX_SECONDS ? sec : undefined;
  }
  return undefined;
}
