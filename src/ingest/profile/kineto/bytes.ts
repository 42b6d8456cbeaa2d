// Byte-level vocabulary of the Kineto scanner: the JSON punctuation it compares against, a byte-class
// table for skipping nested values, and literal compares that build no string.

/** JSON punctuation. A const enum, so the compiler writes the numbers in place: an imported `const`
 *  costs a module-binding load and check at every use, which in the byte loops was measured at ~25%. */
export const enum Ch {
  Quote = 34,
  Backslash = 92,
  LBrace = 123,
  RBrace = 125,
  LBrack = 91,
  RBrack = 93,
  Comma = 44,
  Colon = 58,
  Newline = 10,
}

/** Byte classes for skipping nested values: 1 quote, 2 opening bracket, 3 closing bracket, 0 anything else. */
export const STRUCT = new Uint8Array(256);
STRUCT[Ch.Quote] = 1;
STRUCT[Ch.LBrace] = 2;
STRUCT[Ch.LBrack] = 2;
STRUCT[Ch.RBrace] = 3;
STRUCT[Ch.RBrack] = 3;

export function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** b[s..e) equals the literal bytes. */
export function eqBytes(b: Buffer, s: number, e: number, lit: Buffer): boolean {
  const n = lit.length;
  if (e - s !== n) return false;
  for (let i = 0; i < n; i++) if (b[s + i] !== lit[i]) return false;
  return true;
}

/** b[s..e) equals the ASCII string (for compares made once per trace, not per event). */
export function eqAscii(b: Buffer, s: number, e: number, lit: string): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (b[s + i] !== lit.charCodeAt(i)) return false;
  return true;
}
