// Scan one byte range of a trace file synchronously: from an event start (or the start of the file) to
// the first event at or after `stopAt`, or to the end of the file (then the ending is checked as for a
// whole trace). Used by the workers and by the main thread when it re-scans a range itself.

import { readSync } from 'node:fs';
import type { ScannedEvent } from './events.js';
import { KinetoScanner, type ScanHeader } from './scanner.js';

export interface RangeScan {
  /** Absolute offset where the scan stopped (an event start), or the file size when it reached the end. */
  stop: number;
  eof: boolean;
  events: number;
  header: ScanHeader;
  sawEvents: boolean;
}

/** Bytes of the first read beyond the range's end (the scan stops at the first event start there). */
const PAST_END_BYTES = 16 * 1024;

/** Read `fd` from `from` in chunks, into the two `bufs` in turn (a chunk stays valid while the next is scanned). */
export function scanRange(
  fd: number,
  size: number,
  display: string,
  cpuOps: boolean,
  from: number,
  state: 0 | 2 | 4,
  stopAt: number,
  onEvent: (ev: ScannedEvent) => void,
  bufs: [Buffer, Buffer],
): RangeScan {
  const sc = new KinetoScanner(display, onEvent, cpuOps, { state, base: from, stopAt });
  let pos = from;
  let k = 0;
  let past = PAST_END_BYTES;
  while (!sc.stopped && pos < size) {
    const buf = bufs[k];
    k ^= 1;
    // Up to the range's end in full chunks; past it small reads (doubling, so that a long event there
    // is not copied again and again), enough to reach the next event start.
    let want = buf.length;
    if (pos < stopAt) want = Math.min(want, stopAt - pos);
    else {
      want = Math.min(want, past);
      past *= 2;
    }
    const n = readSync(fd, buf, 0, Math.min(want, size - pos), pos);
    if (n <= 0) break;
    pos += n;
    sc.push(n === buf.length ? buf : buf.subarray(0, n));
  }
  if (sc.stopped) return { stop: sc.stoppedAt, eof: false, events: sc.eventCount, header: sc.header, sawEvents: true };
  const { sawEvents } = sc.finish();
  return { stop: size, eof: true, events: sc.eventCount, header: sc.header, sawEvents };
}
