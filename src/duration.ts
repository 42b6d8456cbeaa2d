// Durations as users write them on the command line (`500ms`, `15s`, `5m`, `1h`, `1d`), shared by the
// CLI flags and the Prometheus fetch options.

import { InputError } from './errors.js';

/** `500ms`, `0.5s`, `2m`, `1h`, `1d`, or a bare number of seconds → seconds; InputError (BAD_OPTION, naming `flag`) when it is not one. */
export function parseDurationSeconds(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|min|h|d)?\s*$/.exec(text);
  if (!m) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)} is not a duration`, hint: 'use e.g. 500ms, 15s, 5m, 1h' });
  const x = Number(m[1]);
  const mult = { ms: 1e-3, s: 1, m: 60, min: 60, h: 3600, d: 86400 }[m[2] ?? 's'] ?? 1;
  return x * mult;
}
