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

/** The limits in force for this process (the CLI sets them from flags once, before reading). */
export interface Limits {
  /** Distinct series (metric name + label set) one run holds. */
  maxSeries: number;
  /** Longest metric name, label name or label value, in characters. */
  maxLabelLength: number;
  /** Most bytes a gzip input may expand to, per compressed byte (with a 16 MiB floor). */
  maxDecompressionRatio: number;
}

/**
 * Defaults, and why:
 * - 250,000 series: a fleet of 100 replicas exports ~300 vLLM series each, DCGM ~50 per GPU; 250k is
 *   8× that, and ~1 GB of accumulators — past it, memory (not insight) is what grows.
 * - 65,536 characters: real label values are model paths and pod names (< 300); a kernel-sized
 *   label is an accident, and a 1 GiB one never finished.
 * - 100×: Prometheus text, JSON and traces gzip 10–40×; a gzip bomb is ~1000×.
 */
export const DEFAULT_LIMITS: Readonly<Limits> = { maxSeries: 250_000, maxLabelLength: 65_536, maxDecompressionRatio: 100 };
export const DECOMPRESSED_FLOOR_BYTES = 16 * 1024 * 1024;

export const limits: Limits = { ...DEFAULT_LIMITS };

export function setLimits(p: Partial<Limits>): void {
  Object.assign(limits, DEFAULT_LIMITS, p);
}

/** Bytes a gzip input of `compressedBytes` may expand to. */
export function maxDecompressedBytes(compressedBytes: number): number {
  return Math.max(DECOMPRESSED_FLOOR_BYTES, Math.ceil(limits.maxDecompressionRatio * compressedBytes));
}

export function limitError(file: string | undefined, message: string, flag: string): InputError {
  return new InputError({ code: 'LIMIT_EXCEEDED', ...(file ? { file } : {}), message, hint: `raise the limit with ${flag} if the input is genuine (docs/limits.md)` });
}

export function positiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)}: expected a whole number ≥ 1` });
  return n;
}
