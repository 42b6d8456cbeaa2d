// Streaming byte scanner for Kineto / chrome-trace JSON. It never parses the whole file: it walks
// the top-level object, JSON.parses only the small top-level values it needs (deviceProperties,
// distributedInfo), and inside `traceEvents` reads each event object field by field, keeping only
// ph, cat, name (as a byte range), pid, tid, ts, dur and args.device/stream/correlation/graph id.
// Values of other fields are skipped without being materialised. When an event straddles the end
// of a chunk, the scan of that event is abandoned and resumed from its first byte in a small carry
// buffer (the tail plus the next chunk's first 64 KiB); once the scan has crossed into the next
// chunk it continues there, so chunks are never copied whole (only a value longer than the carry
// falls back to joining tail and chunk).
// Times: `ts`/`dur` are microseconds with up to 3 fractional digits (nanoseconds). `ts` is split
// into integer microseconds and a nanosecond remainder so that no precision is lost: absolute
// epoch nanoseconds (≈1.7e18) do not fit a double, relative ones do.

import { InputError } from '../../errors.js';

/** Event category, decided from the `cat` bytes. */
export const enum Cat {
  None = 0,
  Kernel = 1,
  Memcpy = 2,
  Memset = 3,
  Runtime = 4,
  Other = 5,
  /** A CPU operator (`cpu_op`, 2021 `Operator`): read only when the scanner is asked to. */
  CpuOp = 6,
}

export interface ScannedEvent {
  ph: number;
  cat: Cat;
  /** Byte range of the name string's content in `buf` (escapes not resolved). */
  nameStart: number;
  nameEnd: number;
  pidNum: number;
  pidStr: string | undefined;
  tidNum: number;
  tidStr: string | undefined;
  hasTs: boolean;
  tsUs: number;
  tsFracNs: number;
  durNs: number;
  device: number;
  stream: number;
  correlation: number;
  graphId: number;
  /** args["External id"] (2021 layout: "external id"): links a kernel to the CPU op that launched it. */
  extId: number;
  buf: Buffer;
}

export interface ScanHeader {
  deviceProperties?: unknown;
  distributedInfo?: unknown;
}

/** Bytes of the next chunk copied behind a straddling event's tail (events are far smaller). */
const CARRY_HEAD = 64 * 1024;

/** Thrown internally when the buffer ends inside the value being read. */
const NEED_MORE = { needMore: true };

const Q = 34; // "
const PH_X = 88; // X
const BS = 92; // \
const LBRACE = 123;
const RBRACE = 125;
const LBRACK = 91;
const RBRACK = 93;
const COMMA = 44;
const COLON = 58;

/** Byte classes for skipNested: 1 quote, 2 opening bracket, 3 closing bracket, 0 anything else. */
const STRUCT = new Uint8Array(256);
STRUCT[Q] = 1;
STRUCT[LBRACE] = 2;
STRUCT[LBRACK] = 2;
STRUCT[RBRACE] = 3;
STRUCT[RBRACK] = 3;

function isWs(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** Literal bytes for the compares made per event. */
const L_GPU_MEMCPY = Buffer.from('gpu_memcpy');
const L_GPU_MEMSET = Buffer.from('gpu_memset');
const L_RUNTIME = Buffer.from('Runtime');
const L_CUDA_RUNTIME = Buffer.from('cuda_runtime');
const L_CUDA_DRIVER = Buffer.from('cuda_driver');
const L_GRAPH_ID = Buffer.from('graph id');
const L_DEVICE = Buffer.from('device');
const L_STREAM = Buffer.from('stream');
const L_CORRELATION = Buffer.from('correlation');
const L_EXTERNAL_ID = Buffer.from('External id');
const L_EXTERNAL_ID_OLD = Buffer.from('external id');
const L_CPU_OP = Buffer.from('cpu_op');
const L_OPERATOR = Buffer.from('Operator');

function eqBytes(b: Buffer, s: number, e: number, lit: Buffer): boolean {
  const n = lit.length;
  if (e - s !== n) return false;
  for (let i = 0; i < n; i++) if (b[s + i] !== lit[i]) return false;
  return true;
}

function eqAscii(b: Buffer, s: number, e: number, lit: string): boolean {
  if (e - s !== lit.length) return false;
  for (let i = 0; i < lit.length; i++) if (b[s + i] !== lit.charCodeAt(i)) return false;
  return true;
}

/** The name bytes contain "Graph" (cudaGraphLaunch, hipGraphLaunch): such runtime calls need their correlation id. */
function hasGraph(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i + 5 <= e; i++) if (b[i] === 71 && b[i + 1] === 114 && b[i + 2] === 97 && b[i + 3] === 112 && b[i + 4] === 104) return true;
  return false;
}

function catOf(b: Buffer, s: number, e: number, cpuOps: boolean): Cat {
  const n = e - s;
  const c0 = b[s];
  switch (n) {
    case 8:
      return cpuOps && c0 === 79 && eqBytes(b, s, e, L_OPERATOR) ? Cat.CpuOp : Cat.Other;
    case 6:
      if (c0 === 99) return cpuOps && eqBytes(b, s, e, L_CPU_OP) ? Cat.CpuOp : Cat.Other;
      // kernel / Kernel / Memcpy / Memset: first byte, then the rest
      if ((c0 === 107 || c0 === 75) && b[s + 1] === 101 && b[s + 2] === 114 && b[s + 3] === 110 && b[s + 4] === 101 && b[s + 5] === 108) return Cat.Kernel;
      if (c0 === 77 && b[s + 1] === 101 && b[s + 2] === 109) {
        if (b[s + 3] === 99 && b[s + 4] === 112 && b[s + 5] === 121) return Cat.Memcpy;
        if (b[s + 3] === 115 && b[s + 4] === 101 && b[s + 5] === 116) return Cat.Memset;
      }
      return Cat.Other;
    case 10:
      if (c0 !== 103) return Cat.Other;
      if (eqBytes(b, s, e, L_GPU_MEMCPY)) return Cat.Memcpy;
      if (eqBytes(b, s, e, L_GPU_MEMSET)) return Cat.Memset;
      return Cat.Other;
    case 7:
      return c0 === 82 && eqBytes(b, s, e, L_RUNTIME) ? Cat.Runtime : Cat.Other;
    case 12:
      return c0 === 99 && eqBytes(b, s, e, L_CUDA_RUNTIME) ? Cat.Runtime : Cat.Other;
    case 11:
      return c0 === 99 && eqBytes(b, s, e, L_CUDA_DRIVER) ? Cat.Runtime : Cat.Other;
    default:
      return Cat.Other;
  }
}

/** Event keys the scanner reads; KEY_LEN is each one's length in bytes. */
const enum Key {
  Other = 0,
  Ph = 1,
  Cat = 2,
  Name = 3,
  Pid = 4,
  Tid = 5,
  Ts = 6,
  Dur = 7,
  Args = 8,
}
const KEY_LEN = [0, 2, 3, 4, 3, 3, 2, 3, 4];

/**
 * The known event key whose bytes start at `s` and whose closing quote follows them directly, else
 * Key.Other. Reads at most s+4 (callers guarantee it is inside the buffer). An escaped key never
 * matches: the byte at the expected closing position must be a bare quote, preceded by key letters.
 */
function knownKey(b: Buffer, s: number): Key {
  switch (b[s]) {
    case 112: // p
      if (b[s + 1] === 104) return b[s + 2] === Q ? Key.Ph : Key.Other;
      return b[s + 1] === 105 && b[s + 2] === 100 && b[s + 3] === Q ? Key.Pid : Key.Other;
    case 99: // c
      return b[s + 1] === 97 && b[s + 2] === 116 && b[s + 3] === Q ? Key.Cat : Key.Other;
    case 110: // n
      return b[s + 1] === 97 && b[s + 2] === 109 && b[s + 3] === 101 && b[s + 4] === Q ? Key.Name : Key.Other;
    case 116: // t
      if (b[s + 1] === 115) return b[s + 2] === Q ? Key.Ts : Key.Other;
      return b[s + 1] === 105 && b[s + 2] === 100 && b[s + 3] === Q ? Key.Tid : Key.Other;
    case 100: // d
      return b[s + 1] === 117 && b[s + 2] === 114 && b[s + 3] === Q ? Key.Dur : Key.Other;
    case 97: // a
      return b[s + 1] === 114 && b[s + 2] === 103 && b[s + 3] === 115 && b[s + 4] === Q ? Key.Args : Key.Other;
    default:
      return Key.Other;
  }
}

export class KinetoScanner {
  private buf: Buffer = Buffer.alloc(0);
  private end = 0;
  private p = 0;
  /** Absolute byte offset of buf[0] in the decompressed input. */
  private base = 0;
  /** While scanning a carry buffer: return to push() once the position reaches this index. */
  private switchAt = Infinity;
  private state: 0 | 1 | 2 | 3 | 4 = 0; // 0 start, 1 top-level keys, 2 in events, 3 done, 4 bare array
  private sawEvents = false;
  readonly header: ScanHeader = {};
  eventCount = 0;
  private readonly ev: ScannedEvent = {
    ph: 0, cat: Cat.None, nameStart: 0, nameEnd: 0, pidNum: NaN, pidStr: undefined, tidNum: NaN, tidStr: undefined,
    hasTs: false, tsUs: 0, tsFracNs: 0, durNs: 0, device: NaN, stream: NaN, correlation: NaN, graphId: NaN, extId: NaN, buf: Buffer.alloc(0),
  };

  /** `cpuOps`: also deliver CPU-operator events (name, pid/tid, ts, dur, External id) for the op cross-check. */
  constructor(
    private readonly display: string,
    private readonly onEvent: (ev: ScannedEvent) => void,
    private readonly cpuOps = false,
  ) {}

  /** Feed the next chunk. */
  push(chunk: Buffer): void {
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

  private syntax(msg: string): InputError {
    return new InputError({ code: 'JSON_SYNTAX', file: this.display, position: { byte: this.base + this.p }, message: msg, hint: 'the trace is not valid JSON here' });
  }

  private skipWsSafe(): void {
    while (this.p < this.end && isWs(this.buf[this.p])) this.p++;
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
          if (c === LBRACE) {
            this.p++;
            this.state = 1;
          } else if (c === LBRACK) {
            this.p++;
            this.state = 4;
            this.sawEvents = true;
          } else throw this.syntax('a trace starts with `{` or `[`');
        } else if (this.state === 1) {
          this.skipWs();
          let c = b[this.p];
          if (c === COMMA) {
            this.p++;
            this.skipWs();
            c = b[this.p];
          }
          if (c === RBRACE) {
            this.p++;
            this.state = 3;
            continue;
          }
          if (c !== Q) throw this.syntax('expected a key in the trace object');
          const ks = this.p + 1;
          const ke = this.skipString();
          this.skipWs();
          if (b[this.p] !== COLON) throw this.syntax('expected `:` after a key');
          this.p++;
          this.skipWs();
          if (eqAscii(b, ks, ke, 'traceEvents')) {
            if (b[this.p] !== LBRACK) throw new InputError({ code: 'TRACE_SHAPE', file: this.display, position: { byte: this.base + this.p }, message: '`traceEvents` is not an array', hint: 'a Kineto trace holds `"traceEvents": [ … ]`' });
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
          if (c === COMMA) {
            this.p++;
            this.skipWs();
            c = b[this.p];
          }
          if (c === RBRACK) {
            this.p++;
            this.state = this.state === 2 ? 1 : 3;
            continue;
          }
          if (c !== LBRACE) {
            throw new InputError({ code: 'TRACE_SHAPE', file: this.display, position: { byte: this.base + this.p }, message: 'a trace event is not an object', hint: 'every element of traceEvents must be {…}' });
          }
          this.parseEvent();
          this.eventCount++;
          this.onEvent(this.ev);
        } else {
          return; // done: trailing whitespace is checked in finish()
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

  private skipWs(): void {
    const b = this.buf;
    let p = this.p;
    if (p < this.end && b[p] > 32) return;
    while (p < this.end && isWs(b[p])) p++;
    if (p >= this.end) {
      this.p = p;
      throw NEED_MORE;
    }
    this.p = p;
  }

  /**
   * Index of the closing quote of the string whose opening quote is at `p0`. Short strings (keys,
   * most values) are scanned in JS — a native indexOf call costs more than a few bytes of loop —
   * longer ones and escapes fall back to indexOf with a backslash count.
   */
  private strEnd(p0: number): number {
    const b = this.buf;
    const end = this.end;
    let p = p0 + 1;
    const lim = p + 40 < end ? p + 40 : end;
    while (p < lim) {
      const c = b[p];
      if (c === Q) return p;
      if (c === BS) break;
      p++;
    }
    for (;;) {
      const q = b.indexOf(Q, p);
      if (q < 0 || q >= end) throw NEED_MORE;
      // Count the backslashes right before the quote: odd means escaped.
      let k = q - 1;
      let n = 0;
      while (k > p0 && b[k] === BS) {
        n++;
        k--;
      }
      if ((n & 1) === 0) return q;
      p = q + 1;
    }
  }

  /** At a `"`: moves past the closing quote; returns the index of the closing quote. */
  private skipString(): number {
    const q = this.strEnd(this.p);
    this.p = q + 1;
    return q;
  }

  /**
   * Skip to just after the bracket that closes a container whose opening bracket is before `p`
   * (`depth` containers are open). Bytes are classified by a table: only quotes and brackets stop
   * the tight loop; strings are jumped over with strEnd. Values skipped this way are not
   * syntax-checked beyond bracket balance.
   */
  private skipNested(p: number, depth: number): void {
    const b = this.buf;
    const end = this.end;
    const T = STRUCT;
    while (p < end) {
      const t = T[b[p]];
      if (t === 0) {
        p++;
        continue;
      }
      if (t === 1) {
        p = this.strEnd(p) + 1;
        continue;
      }
      if (t === 2) depth++;
      else if (--depth === 0) {
        this.p = p + 1;
        return;
      }
      p++;
    }
    throw NEED_MORE;
  }

  /** Inside `args` (its `{` consumed): skip to past its `}`, picking up a top-level "graph id" number
   *  and a 2021-layout "external id". */
  private skipArgsRest(): void {
    const b = this.buf;
    const end = this.end;
    const T = STRUCT;
    let p = this.p;
    let depth = 1;
    while (p < end) {
      const t = T[b[p]];
      if (t === 0) {
        p++;
        continue;
      }
      if (t === 1) {
        const q = this.strEnd(p);
        const s0 = p + 1;
        p = q + 1;
        if (depth === 1 && q - s0 === 11 && b[s0] === 101 && eqBytes(b, s0, q, L_EXTERNAL_ID_OLD)) {
          // 2021 layout: "external id" comes after "correlation"
          while (p < end && isWs(b[p])) p++;
          if (p >= end) throw NEED_MORE;
          if (b[p] !== COLON) continue;
          p++;
          while (p < end && isWs(b[p])) p++;
          if (p >= end) throw NEED_MORE;
          this.p = p;
          if (this.parseNumber()) this.ev.extId = this.numInt;
          p = this.p;
          continue;
        }
        if (depth === 1 && q - s0 === 8 && b[s0] === 103 && eqBytes(b, s0, q, L_GRAPH_ID)) {
          while (p < end && isWs(b[p])) p++;
          if (p >= end) throw NEED_MORE;
          if (b[p] !== COLON) continue;
          p++;
          while (p < end && isWs(b[p])) p++;
          if (p >= end) throw NEED_MORE;
          this.p = p;
          if (this.parseNumber()) this.ev.graphId = this.numInt;
          p = this.p;
        }
        continue;
      }
      if (t === 2) depth++;
      else if (--depth === 0) {
        this.p = p + 1;
        return;
      }
      p++;
    }
    throw NEED_MORE;
  }

  /** Inside an event object (its `{` consumed): skip the rest of it, past its `}`. */
  private skipRestOfObject(): void {
    this.skipNested(this.p, 1);
  }

  private skipValue(): void {
    const b = this.buf;
    if (this.p >= this.end) throw NEED_MORE;
    const c = b[this.p];
    if (c === Q) {
      this.skipString();
      return;
    }
    if (c === LBRACE || c === LBRACK) {
      this.skipNested(this.p + 1, 1);
      return;
    }
    // number, true, false, null: up to the next delimiter
    let p = this.p;
    while (p < this.end) {
      const x = b[p];
      if (x === COMMA || x === RBRACE || x === RBRACK || isWs(x)) break;
      p++;
    }
    if (p >= this.end) throw NEED_MORE;
    if (p === this.p) throw this.syntax('expected a value');
    this.p = p;
  }

  /** Parse a JSON number at p as (integer part, nanoseconds from the first three decimals). Sets numInt/numFrac. */
  private numInt = 0;
  private numFrac = 0;
  private parseNumber(): boolean {
    const b = this.buf;
    let p = this.p;
    const start = p;
    let neg = false;
    if (b[p] === 45) {
      neg = true;
      p++;
    }
    let int = 0;
    let digits = 0;
    while (p < this.end) {
      const x = b[p] - 48;
      if (x < 0 || x > 9) break;
      int = int * 10 + x;
      digits++;
      p++;
    }
    let frac = 0;
    if (p < this.end && b[p] === 46) {
      p++;
      let scale = 100;
      let roundDigit = -1;
      while (p < this.end) {
        const x = b[p] - 48;
        if (x < 0 || x > 9) break;
        if (scale >= 1) frac += x * scale;
        else if (roundDigit < 0) roundDigit = x;
        scale /= 10;
        p++;
      }
      if (roundDigit >= 5) frac += 1;
    }
    if (p >= this.end) throw NEED_MORE;
    const x = b[p];
    if (x === 101 || x === 69) {
      // exponent: rare; fall back to the slow path on the whole token
      this.p = start;
      this.skipValue();
      const v = Number(b.toString('latin1', start, this.p));
      if (!Number.isFinite(v)) return false;
      const whole = Math.trunc(v);
      this.numInt = whole;
      this.numFrac = Math.round((v - whole) * 1000);
      return true;
    }
    if (digits === 0) {
      this.p = start;
      this.skipValue();
      return false;
    }
    this.p = p;
    this.numInt = neg ? -int : int;
    this.numFrac = neg ? -frac : frac;
    return true;
  }

  /** Value that is either a number or a string holding an id ("stream 7"). */
  /** Value that is either a number or a string holding an id ("stream 7"); sets idNum/idStr (no object per call). */
  private idNum = NaN;
  private idStr: string | undefined = undefined;
  private parseId(): void {
    const b = this.buf;
    if (b[this.p] === Q) {
      const s = this.p + 1;
      const e = this.skipString();
      const str = b.toString('utf8', s, e);
      const m = /^\D*(\d+)$/.exec(str);
      this.idNum = m ? Number(m[1]) : NaN;
      this.idStr = str;
      return;
    }
    this.idStr = undefined;
    this.idNum = this.parseNumber() ? this.numInt : NaN;
  }

  private parseEvent(): void {
    const b = this.buf;
    const ev = this.ev;
    ev.ph = 0;
    ev.cat = Cat.None;
    ev.nameStart = ev.nameEnd = 0;
    ev.pidNum = NaN;
    ev.pidStr = undefined;
    ev.tidNum = NaN;
    ev.tidStr = undefined;
    ev.hasTs = false;
    ev.tsUs = 0;
    ev.tsFracNs = 0;
    ev.durNs = NaN;
    ev.device = NaN;
    ev.stream = NaN;
    ev.correlation = NaN;
    ev.graphId = NaN;
    ev.extId = NaN;
    this.p++; // {
    const end = this.end;
    for (;;) {
      // Fast path for the usual `, "key": value` layout: known keys are recognised from their
      // bytes without scanning for the closing quote; anything else takes the general path.
      let p = this.p;
      let c = b[p];
      if (c === COMMA) c = b[++p];
      if (c === 32) c = b[++p];
      let key: Key;
      if (c === Q && p + 8 < end) {
        key = knownKey(b, p + 1);
        const ke = key !== Key.Other ? p + 1 + KEY_LEN[key] : this.strEnd(p);
        if (b[ke + 1] === COLON && b[ke + 2] === 32 && ke + 3 < end && b[ke + 3] > 32) {
          this.p = ke + 3;
        } else {
          this.p = ke + 1;
          this.skipWs();
          if (b[this.p] !== COLON) throw this.syntax('expected `:` in a trace event');
          this.p++;
          this.skipWs();
        }
      } else {
        this.skipWs();
        c = b[this.p];
        if (c === COMMA) {
          this.p++;
          this.skipWs();
          c = b[this.p];
        }
        if (c === RBRACE) {
          this.p++;
          return;
        }
        if (c !== Q) throw this.syntax('expected a key in a trace event');
        const ks = this.p + 1;
        const ke = this.skipString();
        key = ke - ks <= 4 ? knownKey(b, ks) : Key.Other;
        if (key !== Key.Other && KEY_LEN[key] !== ke - ks) key = Key.Other;
        this.skipWs();
        if (b[this.p] !== COLON) throw this.syntax('expected `:` in a trace event');
        this.p++;
        this.skipWs();
      }
      switch (key) {
        case Key.Ph:
          if (b[this.p] === Q) {
            ev.ph = b[this.p + 1];
            // one-letter phase ("X", "f", …): no scan for the closing quote
            if (b[this.p + 2] === Q && ev.ph !== BS) this.p += 3;
            else this.skipString();
            // Only complete events ("X") are used: skip the rest of any other without reading keys.
            if (ev.ph !== PH_X) {
              this.skipRestOfObject();
              return;
            }
          } else this.skipValue();
          break;
        case Key.Cat:
          if (b[this.p] === Q) {
            const s = this.p + 1;
            const e = this.skipString();
            ev.cat = catOf(b, s, e, this.cpuOps);
            // cpu_op, user_annotation, python_function, flow events…: nothing else is needed.
            if (ev.cat === Cat.Other) {
              this.skipRestOfObject();
              return;
            }
          } else this.skipValue();
          break;
        case Key.Name:
          if (b[this.p] === Q) {
            ev.nameStart = this.p + 1;
            ev.nameEnd = this.skipString();
          } else this.skipValue();
          break;
        case Key.Pid:
          this.parseId();
          ev.pidNum = this.idNum;
          ev.pidStr = this.idStr;
          break;
        case Key.Tid:
          this.parseId();
          ev.tidNum = this.idNum;
          ev.tidStr = this.idStr;
          break;
        case Key.Ts:
          if (this.parseNumber()) {
            ev.hasTs = true;
            ev.tsUs = this.numInt;
            ev.tsFracNs = this.numFrac;
          }
          break;
        case Key.Dur:
          if (this.parseNumber()) ev.durNs = this.numInt * 1000 + this.numFrac;
          break;
        case Key.Args:
          if (b[this.p] === LBRACE && (ev.cat === Cat.None || ev.cat === Cat.Kernel || ev.cat === Cat.Memcpy || ev.cat === Cat.Memset || ev.cat === Cat.CpuOp || (ev.cat === Cat.Runtime && this.cpuOps && hasGraph(b, ev.nameStart, ev.nameEnd)))) this.parseArgs();
          else this.skipValue();
          break;
        default:
          this.skipValue();
      }
    }
  }

  private parseArgs(): void {
    const b = this.buf;
    const ev = this.ev;
    const end = this.end;
    this.p++; // {
    for (;;) {
      let p = this.p;
      let c = b[p];
      if (c === COMMA) c = b[++p];
      if (c === 32) c = b[++p];
      let ks: number;
      let ke: number;
      if (c === Q && p + 1 < end) {
        // usual `, "key": value` layout
        ks = p + 1;
        ke = this.strEnd(p);
        if (b[ke + 1] === COLON && b[ke + 2] === 32 && ke + 3 < end && b[ke + 3] > 32) {
          this.p = ke + 3;
        } else {
          this.p = ke + 1;
          this.skipWs();
          if (b[this.p] !== COLON) throw this.syntax('expected `:` in event args');
          this.p++;
          this.skipWs();
        }
      } else {
        this.skipWs();
        c = b[this.p];
        if (c === COMMA) {
          this.p++;
          this.skipWs();
          c = b[this.p];
        }
        if (c === RBRACE) {
          this.p++;
          return;
        }
        if (c !== Q) throw this.syntax('expected a key in event args');
        ks = this.p + 1;
        ke = this.skipString();
        this.skipWs();
        if (b[this.p] !== COLON) throw this.syntax('expected `:` in event args');
        this.p++;
        this.skipWs();
      }
      const c0 = b[this.p];
      const numeric = c0 === 45 || (c0 >= 48 && c0 <= 57);
      const klen = ke - ks;
      const k0 = b[ks];
      if (!numeric) this.skipValue();
      else if (klen === 6 && k0 === 100 && eqBytes(b, ks, ke, L_DEVICE)) {
        if (this.parseNumber()) ev.device = this.numInt;
      } else if (klen === 6 && k0 === 115 && eqBytes(b, ks, ke, L_STREAM)) {
        if (this.parseNumber()) ev.stream = this.numInt;
      } else if (klen === 11 && k0 === 99 && eqBytes(b, ks, ke, L_CORRELATION)) {
        if (this.parseNumber()) ev.correlation = this.numInt;
        // Kineto writes device, stream, correlation first; of the rest (registers, grid, block,
        // occupancy…) only "graph id" matters: skip them without reading keys one by one.
        if (ev.device === ev.device && ev.stream === ev.stream) {
          this.skipArgsRest();
          return;
        }
      } else if (klen === 11 && (k0 === 69 || k0 === 101) && (eqBytes(b, ks, ke, L_EXTERNAL_ID) || eqBytes(b, ks, ke, L_EXTERNAL_ID_OLD))) {
        if (this.parseNumber()) ev.extId = this.numInt;
        // A CPU op needs nothing else from its args (input dims, types, …).
        if (ev.cat === Cat.CpuOp) {
          this.skipNested(this.p, 1);
          return;
        }
      } else if (klen === 8 && k0 === 103 && eqBytes(b, ks, ke, L_GRAPH_ID)) {
        if (this.parseNumber()) ev.graphId = this.numInt;
      } else this.skipValue();
    }
  }
}

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
    if (b[i] === BS) {
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
