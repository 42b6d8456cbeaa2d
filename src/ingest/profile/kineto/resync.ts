// Where does an event start? A byte range of a trace read on its own (parallel.ts) must begin at an
// event of `traceEvents`. A raw line break cannot occur inside a JSON string, so from the last line
// break before the range the bytes can be walked structurally (strings skipped, brackets counted) without
// knowing how deep the walk started; the first `{` at or after the range start that sits at the
// shallowest level seen so far and follows a `,` or `[` is taken as an event start.
// This is a guess: it is confirmed only when the scan of the previous range, which knows where it is,
// stops at exactly this byte (parallel.ts); any other outcome costs a re-scan of the range, never a
// wrong result. Without a line break nearby (a minified trace) the walk starts at the range start.

import { Ch, isWs } from './bytes.js';

/** Bytes looked at before a range start for a line break. */
export const RESYNC_LOOKBACK = 64 * 1024;

/**
 * The absolute offset of the first likely event start in [from, limit), given the bytes `b` that begin
 * at absolute offset `bBase` (they must cover `from`); −1 when there is none before `limit`, −2 when `b`
 * ends before an answer is known.
 */
export function findEventStart(b: Buffer, bBase: number, from: number, limit: number): number {
  const rel = from - bBase;
  const nl = b.lastIndexOf(Ch.Newline, rel);
  let p = nl >= 0 ? nl + 1 : rel;
  const limRel = limit - bBase;
  const end = b.length < limRel ? b.length : limRel;
  let depth = 0;
  let min = 0;
  while (p < end) {
    const c = b[p];
    if (c === Ch.Quote) {
      p++;
      for (;;) {
        if (p >= b.length) return end === limRel ? -1 : -2;
        const x = b[p];
        if (x === Ch.Quote) break;
        p += x === Ch.Backslash ? 2 : 1;
      }
    } else if (c === Ch.LBrace || c === Ch.LBrack) {
      if (c === Ch.LBrace && depth === min && p >= rel) {
        let k = p - 1;
        while (k >= 0 && isWs(b[k])) k--;
        if (k >= 0 && (b[k] === Ch.Comma || b[k] === Ch.LBrack)) return bBase + p;
      }
      depth++;
    } else if (c === Ch.RBrace || c === Ch.RBrack) {
      if (--depth < min) min = depth;
    }
    p++;
  }
  return end === limRel ? -1 : -2;
}
