// Time arguments of `fetch` / `analyze --prometheus`: RFC 3339, Unix seconds, or relative to now
// (`now`, `now-6h`, `now-90m`, `now+5m`). Everything is returned as Unix seconds with millisecond
// resolution (what Prometheus stores).

import { InputError } from '../errors.js';
import { parseDurationSeconds } from '../duration.js';

const UNIX_RE = /^\d{9,11}(?:\.\d+)?$/;
const REL_RE = /^now(?:\s*([+-])\s*(.+))?$/i;
// RFC 3339 with a mandatory zone (Z or ±hh:mm); a bare date means UTC midnight.
const RFC3339_RE = /^\d{4}-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:[Zz]|[+-]\d{2}:\d{2}))?$/;

/** Round to whole milliseconds (the resolution of Prometheus timestamps). */
export function roundMs(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}

/** Parse one time argument to Unix seconds. `nowSeconds` is injected for tests. */
export function parseTimeArg(text: string, flag: string, nowSeconds = Date.now() / 1000): number {
  const s = text.trim();
  const bad = (why: string): InputError =>
    new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)}: ${why}`, hint: 'use RFC 3339 (2026-11-20T08:00:00Z), Unix seconds (1763625600), or now-6h / now' });
  if (s === '') throw bad('empty time');
  const rel = REL_RE.exec(s);
  if (rel) {
    if (!rel[1]) return roundMs(nowSeconds);
    const d = parseDurationSeconds(rel[2], flag);
    return roundMs(rel[1] === '-' ? nowSeconds - d : nowSeconds + d);
  }
  if (UNIX_RE.test(s)) return roundMs(Number(s));
  if (RFC3339_RE.test(s)) {
    const iso = s.length === 10 ? `${s}T00:00:00Z` : s.replace(' ', 'T');
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) throw bad('not a valid date/time');
    // Date.parse keeps only milliseconds; fractional seconds beyond that are dropped, as Prometheus does.
    return ms / 1000;
  }
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) throw bad('an RFC 3339 time needs a zone (Z or +01:00)');
  if (/^\d{12,}$/.test(s)) throw bad('looks like milliseconds; give Unix seconds');
  throw bad('not a time');
}

/** Unix seconds as a query-API parameter (exact to the millisecond, no exponent). */
export function formatApiTime(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  const neg = ms < 0;
  const a = Math.abs(ms);
  const whole = Math.floor(a / 1000);
  const frac = a % 1000;
  return `${neg ? '-' : ''}${whole}${frac ? `.${String(frac).padStart(3, '0').replace(/0+$/, '')}` : ''}`;
}

/** Unix seconds → RFC 3339 UTC, for messages and metadata. */
export function formatRfc3339(seconds: number): string {
  return new Date(Math.round(seconds * 1000)).toISOString().replace('.000Z', 'Z');
}

/** A PromQL duration in whole milliseconds (`3600000ms`), exact whatever the value. */
export function promDuration(seconds: number): string {
  const ms = Math.round(seconds * 1000);
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
