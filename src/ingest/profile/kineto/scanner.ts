// Streaming byte scanner for Kineto / chrome-trace JSON. It never parses the whole file: it walks
// the top-level object, JSON.parses only the small top-level values it needs (deviceProperties,
// distributedInfo), and inside `traceEvents` reads each event object field by field (events.ts).
// When an event straddles the end of a chunk, the scan of that event is abandoned and resumed from
// its first byte in a small carry buffer (the tail plus the next chunk's first 64 KiB); once the scan
// has crossed into the next chunk it continues there, so chunks are never copied whole (only a value
// longer than the carry falls back to joining tail and chunk).

import { InputError } from '../../../errors.js';
import { Ch, eqAscii } from './bytes.js';
import { NEED_MORE } from './cursor.js';
import { EventReader, type ScannedEvent } from './events.js';

export interface ScanHeader {
  deviceProperties?: unknown;
  distributedInfo?: unknown;
}

/** Bytes of the next chunk copied behind a straddling event's tail (events are far smaller). */
const CARRY_HEAD = 64 * 1024;

/** Scanner states: 0 start, 1 top-level keys, 2 in traceEvents, 3 done, 4 in a bare array of events, 5 stopped. */
export type ScanState = 0 | 1 | 2 | 3 | 4 | 5;

export interface ScanRange {
  /** State at the first byte pushed: 0 (the start of the trace, the default), or 2 / 4 when the scan starts at an
   *  event of `traceEvents` / of a bare array (a byte range of a trace read on its own, see parallel.ts). */
  state?: 0 | 2 | 4;
  /** Absolute offset of the first byte pushed (for positions in messages and for `stopAt`). */
  base?: number;
  /** Stop before the first event that starts at or after this absolute offset (`stoppedAt` says where). */
  stopAt?: number;
}

export class KinetoScanner extends EventReader {
  /** While scanning a carry buffer: return to push() once the position reaches this index. */
  private switchAt = Infinity;
  private state: ScanState;
  private sawEvents: boolean;
  private readonly stopAt: number;
  /** Absolute offset of the event the scan stopped before (state 5), else −1. */
  stoppedAt = -1;
  readonly header: ScanHeader = {};
  eventCount = 0;

  /** `cpuOps`: also deliver CPU-operator events (name, pid/tid, ts, dur, External id) for the op cross-check. */
  constructor(
    display: string,
    private readonly onEvent: (ev: ScannedEvent) => void,
    cpuOps = false,
    range: ScanRange = {},
  ) {
    super(display, cpuOps);
    this.state = range.state ?? 0;
    this.sawEvents = this.state !== 0;
    this.base = range.base ?? 0;
    this.stopAt = range.stopAt ?? Infinity;
  }

  get stopped(): boolean {
    return this.state === 5;
  }

  /** Feed the next chunk (ignored once the scan has stopped). */
  push(chunk: Buffer): void {
    if (this.state === 5) return;
    const tail = this.end - this.p;
    if (tail <= 0) {
      this.base += this.end;
      this.setBuf(chunk);
      this.run();
      return;
    }
    if (tail < CARRY_HEAD && chunk.length > CARRY_HEAD) {
      // An event straddles the chunk boundary: instead of copying the whole chunk behind the
      // tail, scan a small carry buffer (tail + the chunk's first CARRY_HEAD bytes) until the
      // scan position has crossed into the chunk, then continue in the chunk itself.
      const carry = Buffer.allocUnsafe(tail + CARRY_HEAD);
      this.buf.copy(carry, 0, this.p, this.end);
      chunk.copy(carry, tail, 0, CARRY_HEAD);
      this.base += this.p;
      this.setBuf(carry);
      this.switchAt = tail;
      try {
        this.run();
      } finally {
        this.switchAt = Infinity;
      }
      if (this.stopped) return;
      if (this.p >= tail) {
        this.base += tail;
        const p = this.p - tail;
        this.setBuf(chunk);
        this.p = p;
        this.run();
        return;
      }
      // A value longer than the carry (or the end of the trace) is pending: fall back to a copy.
      const rest = Buffer.concat([carry.subarray(this.p, tail), chunk]);
      this.base += this.p;
      this.setBuf(rest);
      this.run();
      return;
    }
    const joined = this.p === 0 && this.end === this.buf.length ? Buffer.concat([this.buf, chunk]) : Buffer.concat([this.buf.subarray(this.p, this.end), chunk]);
    this.base += this.p;
    this.setBuf(joined);
    this.run();
  }

  private setBuf(b: Buffer): void {
    this.buf = b;
    this.end = b.length;
    this.p = 0;
    this.ev.buf = b;
  }

  /** End of input: everything must have been consumed. */
  finish(): { sawEvents: boolean } {
    this.skipWsSafe();
    if (this.state === 3 && this.p >= this.end) return { sawEvents: this.sawEvents };
    if (this.state === 3) throw this.syntax('unexpected data after the end of the trace');
    throw new InputError({
      code: 'JSON_SYNTAX',
      file: this.display,
      position: { byte: this.base + this.p },
      message: this.state === 0 ? 'trace is empty' : 'trace JSON ends early (file truncated?)',
      hint: 'a complete chrome trace ends with `]}`; re-export it or copy it again',
    });
  }

  private run(): void {
    const b = this.buf;
    for (;;) {
      const mark = this.p;
      if (mark >= this.switchAt) return;
      try {
        if (this.state === 0) {
          // A UTF-8 byte-order mark before the first value (Windows editors write one): skipped.
          if (this.base + this.p === 0 && b[this.p] === 0xef && b[this.p + 1] === 0xbb && b[this.p + 2] === 0xbf) this.p += 3;
          this.skipWs();
          const c = b[this.p];
          if (c === Ch.LBrace) {
            this.p++;
            this.state = 1;
          } else if (c === Ch.LBrack) {
            this.p++;
            this.state = 4;
            this.sawEvents = true;
          } else throw this.syntax('a trace starts with `{` or `[`');
        } else if (this.state === 1) {
          this.skipWs();
          let c = b[this.p];
          if (c === Ch.Comma) {
            this.p++;
            this.skipWs();
            c = b[this.p];
          }
          if (c === Ch.RBrace) {
            this.p++;
            this.state = 3;
            continue;
          }
          if (c !== Ch.Quote) throw this.syntax('expected a key in the trace object');
          const ks = this.p + 1;
          const ke = this.skipString();
          this.skipWs();
          if (b[this.p] !== Ch.Colon) throw this.syntax('expected `:` after a key');
          this.p++;
          this.skipWs();
          if (eqAscii(b, ks, ke, 'traceEvents')) {
            if (b[this.p] !== Ch.LBrack) throw new InputError({ code: 'TRACE_SHAPE', file: this.display, position: { byte: this.base + this.p }, message: '`traceEvents` is not an array', hint: 'a Kineto trace holds `"traceEvents": [ … ]`' });
            this.p++;
            this.state = 2;
            this.sawEvents = true;
          } else if (eqAscii(b, ks, ke, 'deviceProperties') || eqAscii(b, ks, ke, 'distributedInfo')) {
            const vs = this.p;
            this.skipValue();
            const key = b.toString('latin1', ks, ke) as keyof ScanHeader;
            try {
              this.header[key] = JSON.parse(b.toString('utf8', vs, this.p));
            } catch {
              throw this.syntax(`${key} is not valid JSON`);
            }
          } else this.skipValue();
        } else if (this.state === 2 || this.state === 4) {
          this.skipWs();
          let c = b[this.p];
          if (c === Ch.Comma) {
            this.p++;
            this.skipWs();
            c = b[this.p];
          }
          if (c === Ch.RBrack) {
            this.p++;
            this.state = this.state === 2 ? 1 : 3;
            continue;
          }
          if (c !== Ch.LBrace) {
            throw new InputError({ code: 'TRACE_SHAPE', file: this.display, position: { byte: this.base + this.p }, message: 'a trace event is not an object', hint: 'every element of traceEvents must be {…}' });
          }
          if (this.base + this.p >= this.stopAt) {
            this.stoppedAt = this.base + this.p;
            this.state = 5;
            return;
          }
          this.parseEvent();
          this.eventCount++;
          this.onEvent(this.ev);
        } else {
          return; // done (trailing whitespace is checked in finish()) or stopped
        }
      } catch (e) {
        if (e === NEED_MORE) {
          this.p = mark;
          return;
        }
        throw e;
      }
    }
  }

}
