// Fixed, locale-free number and text formatting for reports (goldens must be byte-stable).
// Escaping of untrusted text is not here: it lives in ./escape.ts, one function per output context.

import { mdText } from './escape.js';

/** Significant-digit formatting without exponent surprises: 3 significant digits, trimmed. */
export function num(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || Number.isNaN(x)) return '–';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-4) return x.toExponential(digits - 1).replace(/\.?0+e/, 'e');
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(abs)));
  return trimZeros(x.toFixed(Math.min(decimals, 6)));
}

function trimZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

export function int(x: number | null | undefined): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '–';
  return Math.round(x).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

export function pct(ratio: number | null | undefined, digits = 1): string {
  if (ratio === null || ratio === undefined || !Number.isFinite(ratio)) return '–';
  return `${(ratio * 100).toFixed(digits)}%`;
}

/** A duration in seconds as `850 ms`, `1.25 s`, `3 min 20 s`, `2 h 5 min`. */
export function duration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '–';
  if (seconds === 0) return '0 s';
  const s = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (s < 1e-3) return `${sign}${num(s * 1e6)} µs`;
  if (s < 1) return `${sign}${num(s * 1e3)} ms`;
  if (s < 120) return `${sign}${num(s)} s`;
  // Round to whole seconds (minutes) first, so that 239.7 s reads "4 min", not "3 min 60 s".
  if (Math.round(s) < 7200) {
    const r = Math.round(s);
    return `${sign}${Math.floor(r / 60)} min${r % 60 ? ` ${r % 60} s` : ''}`;
  }
  if (Math.round(s / 60) < 2880) {
    const m = Math.round(s / 60);
    return `${sign}${Math.floor(m / 60)} h${m % 60 ? ` ${m % 60} min` : ''}`;
  }
  return `${sign}${num(s / 86400)} d`;
}

/** Unix seconds → `2024-05-01 12:00:00Z` (UTC, no milliseconds unless present). */
export function time(seconds: number): string {
  if (!Number.isFinite(seconds)) return '–';
  const iso = new Date(seconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.endsWith('.000Z') ? iso.slice(11, 19) : iso.slice(11, 23)}Z`;
}

export function bytes(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (Math.abs(x) >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${num(x)} ${units[i]}`;
}

/** A Markdown table; cells are escaped by the caller (mdText() or codeCell() from ./escape.ts). */
export function table(head: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const sep = head.map((_, i) => (align?.[i] === 'r' ? '---:' : '---'));
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(sep), ...rows.map(line)].join('\n');
}

/**
 * An evidence value, formatted by the unit its key names (DESIGN: units in the keys): `…Seconds`
 * holding a Unix time → a UTC time, other `…Seconds` → a duration, `…Ratio` → a percentage,
 * `…MiB` → MiB; other numbers with 4 significant digits.
 */
export function evidenceValue(key: string, v: number | string | boolean | null): string {
  if (v === null) return '–';
  if (typeof v !== 'number') return mdText(String(v));
  if (/Seconds$/.test(key)) return v > 1e9 ? time(v) : duration(v);
  if (/Ratio$/.test(key)) return pct(v, 2);
  if (/MiB$/.test(key)) return `${num(v, 4)} MiB`;
  return num(v, 4);
}
