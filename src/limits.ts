// Documented limits on what one run will hold, each with the flag that raises it (docs/limits.md).
// A limit exceeded is an InputError LIMIT_EXCEEDED naming the limit and the flag (exit 2), never an
// out-of-memory crash or a run that never ends.

import { InputError } from './errors.js';

/** `512MiB`, `1GiB`, `200MB`, `1e6`, or a bare number of bytes → bytes. */
export function parseByteSize(text: string, flag: string): number {
  const m = /^\s*(\d+(?:\.\d+)?|\.\d+)(?:e(\d+))?\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?\s*$/i.exec(text);
  if (!m) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)} is not a size`, hint: 'use e.g. 512MiB, 2GiB or a number of bytes' });
  const unit = (m[3] ?? 'b').toLowerCase();
  const mult: Record<string, number> = { b: 1, k: 1024, kb: 1e3, kib: 1024, m: 1024 ** 2, mb: 1e6, mib: 1024 ** 2, g: 1024 ** 3, gb: 1e9, gib: 1024 ** 3, t: 1024 ** 4, tb: 1e12, tib: 1024 ** 4 };
  const x = Number(m[1]) * 10 ** Number(m[2] ?? 0) * mult[unit];
  if (!(x >= 1) || !Number.isFinite(x)) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)} must be at least 1 byte` });
  return Math.floor(x);
}
