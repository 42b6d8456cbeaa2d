// Event names: interned by their bytes (a kernel name seen millions of times is decoded once), tested
// for a substring without building a string, and decoded with JSON escapes resolved.

import { Ch } from './bytes.js';
import type { ScannedEvent } from './events.js';


/**
 * Interned names: decoding the same kernel name millions of times costs more than comparing bytes.
 * An open-addressing table keyed by a sampled hash of the name bytes; a hit is confirmed by a full
 * byte compare (native for long names; in JS for short ones, where the call overhead dominates).
 */
const INTERN_SLOTS = 1 << 17;
const INTERN_MAX = INTERN_SLOTS >> 1;
const internHash = new Int32Array(INTERN_SLOTS);
const internIdx = new Int32Array(INTERN_SLOTS).fill(-1);
const internBytes: Buffer[] = [];
const internStr: string[] = [];

function sameBytes(b: Buffer, s: number, n: number, x: Buffer): boolean {
  if (x.length !== n) return false;
  if (n > 48) return b.compare(x, 0, n, s, s + n) === 0;
  // from the end: template names differ most in their tails
  for (let i = n - 1; i >= 0; i--) if (b[s + i] !== x[i]) return false;
  return true;
}

/**
 * Id of the current event's name in the intern table (a small integer, stable for the process),
 * or -1 when the table is full; the string is built only when a name is seen for the first time.
 */
export function internedId(ev: ScannedEvent): number {
  const b = ev.buf;
  const s = ev.nameStart;
  const e = ev.nameEnd;
  const n = e - s;
  // cheap hash: length, and up to 24 sampled bytes (the tail of template names differs most)
  let h = n * 2654435761;
  const step = n > 24 ? (n / 24) | 0 : 1;
  for (let i = s; i < e; i += step) h = Math.imul(h ^ b[i], 16777619);
  h = Math.imul(h ^ b[e - 1 >= s ? e - 1 : s], 16777619) | 0;
  let slot = h & (INTERN_SLOTS - 1);
  for (;;) {
    const k = internIdx[slot];
    if (k < 0) break;
    if (internHash[slot] === h && sameBytes(b, s, n, internBytes[k])) return k;
    slot = (slot + 1) & (INTERN_SLOTS - 1);
  }
  if (internStr.length >= INTERN_MAX) return -1;
  const id = internStr.length;
  const name = eventName(ev); // before the table changes
  internHash[slot] = h;
  internIdx[slot] = id;
  internBytes.push(Buffer.from(b.subarray(s, e)));
  internStr.push(name);
  return id;
}

/** The name interned under `id` (from internedId). */
export function internedString(id: number): string {
  return internStr[id];
}

/** True when the name bytes contain `lit` (ASCII), without building a string. */
export function nameHas(ev: ScannedEvent, lit: string): boolean {
  const b = ev.buf;
  const n = lit.length;
  const c0 = lit.charCodeAt(0);
  outer: for (let i = ev.nameStart; i + n <= ev.nameEnd; i++) {
    if (b[i] !== c0) continue;
    for (let k = 1; k < n; k++) if (b[i + k] !== lit.charCodeAt(k)) continue outer;
    return true;
  }
  return false;
}

/** Decode the name of the current event (resolving JSON escapes only when there are any). */
export function eventName(ev: ScannedEvent): string {
  const b = ev.buf;
  let escaped = false;
  for (let i = ev.nameStart; i < ev.nameEnd; i++) {
    if (b[i] === Ch.Backslash) {
      escaped = true;
      break;
    }
  }
  if (!escaped) return b.toString('utf8', ev.nameStart, ev.nameEnd);
  const text = b.toString('utf8', ev.nameStart, ev.nameEnd);
  try {
    return JSON.parse(`"${text}"`) as string;
  } catch {
    return decodeLenient(text);
  }
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A name whose escapes JSON.parse rejects (`\q`, a short `\u12`, a raw control character): valid
 * escapes are decoded, an invalid one is kept as written. A kernel name stays a usable name instead of
 * failing the whole trace on one byte.
 */
function decodeLenient(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '\\' || i + 1 >= text.length) {
      out += c;
      continue;
    }
    const n = text[i + 1];
    if (Object.hasOwn(SIMPLE_ESCAPES, n)) {
      out += SIMPLE_ESCAPES[n];
      i++;
    } else if (n === 'u' && /^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) {
      out += String.fromCharCode(parseInt(text.slice(i + 2, i + 6), 16));
      i += 5;
    } else out += c;
  }
  return out;
}

/**
 * The names an aggregation speaks of, by small integer ids in first-seen order: the ids the stats caches
 * and the op linker are keyed by. The interned ids above are per thread and per byte spelling; these
 * are per decoded name, so a trace read by several threads gets the same ids in the same order.
 */
export class NameTable {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];

  idOf(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      id = this.names.length;
      this.ids.set(name, id);
      this.names.push(name);
    }
    return id;
  }

  nameOf(id: number): string {
    return this.names[id];
  }
}
