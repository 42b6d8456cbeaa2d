// Carrying the unfinished end of one chunk into the next without copying the next chunk whole. A
// token cut by a chunk boundary (one sample, one trace event) is usually a few bytes: a small bridge
// buffer holds them plus the first `headBytes` of the new chunk; the scan continues in the bridge
// until it has crossed into the new chunk, then in the chunk itself (its offset in the chunk is the
// offset in the bridge minus the carried length). Used by the JSON byte reader; the same scheme as the
// Kineto scanner's carry buffer.

/** `prev[from, to)` followed by the first `headBytes` of `next`, in a new buffer. */
export function bridgeBuffer(prev: Buffer, from: number, to: number, next: Buffer, headBytes: number): Buffer {
  const carry = to - from;
  const head = Math.min(headBytes, next.length);
  const b = Buffer.allocUnsafe(carry + head);
  prev.copy(b, 0, from, to);
  next.copy(b, carry, 0, head);
  return b;
}
