// Reading one trace event in place: its keys are recognised from their bytes and only ph, cat, name
// (as a byte range), pid, tid, ts, dur and args.device/stream/correlation/External id/graph id are
// kept; every other value is skipped without being materialised. An event whose `ph` is not `X`, or
// whose `cat` is not wanted, is skipped to its closing brace as soon as that is known.
// Times: `ts`/`dur` are microseconds with up to 3 fractional digits (nanoseconds). `ts` is split
// into integer microseconds and a nanosecond remainder so that no precision is lost: absolute
// epoch nanoseconds (≈1.7e18) do not fit a double, relative ones do.

import { Ch, STRUCT, eqBytes, isWs } from './bytes.js';
import { JsonCursor, NEED_MORE } from './cursor.js';
import { Cat, Key, L_CORRELATION, L_DEVICE, L_EXTERNAL_ID, L_EXTERNAL_ID_OLD, L_GRAPH_ID, L_STREAM, catOf, hasGraph, knownKey } from './keys.js';

export const PH_X = 88; // X

/** Length in bytes of each Key. Tables read per byte or per key are module-local: an imported binding
 *  is loaded and checked at every use. */
const KEY_LEN = [0, 2, 3, 4, 3, 3, 2, 3, 4];
const T_STRUCT = STRUCT;

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

export class EventReader extends JsonCursor {
  protected readonly ev: ScannedEvent = {
    ph: 0, cat: Cat.None, nameStart: 0, nameEnd: 0, pidNum: NaN, pidStr: undefined, tidNum: NaN, tidStr: undefined,
    hasTs: false, tsUs: 0, tsFracNs: 0, durNs: 0, device: NaN, stream: NaN, correlation: NaN, graphId: NaN, extId: NaN, buf: Buffer.alloc(0),
  };

  /** `cpuOps`: also deliver CPU-operator events (name, pid/tid, ts, dur, External id) for the op cross-check. */
  constructor(
    display: string,
    protected readonly cpuOps: boolean,
  ) {
    super(display);
  }

  protected parseEvent(): void {
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
      if (c === Ch.Comma) c = b[++p];
      if (c === 32) c = b[++p];
      let key: Key;
      if (c === Ch.Quote && p + 8 < end) {
        key = knownKey(b, p + 1);
        const ke = key !== Key.Other ? p + 1 + KEY_LEN[key] : this.strEnd(p);
        if (b[ke + 1] === Ch.Colon && b[ke + 2] === 32 && ke + 3 < end && b[ke + 3] > 32) {
          this.p = ke + 3;
        } else {
          this.p = ke + 1;
          this.skipWs();
          if (b[this.p] !== Ch.Colon) throw this.syntax('expected `:` in a trace event');
          this.p++;
          this.skipWs();
        }
      } else {
        this.skipWs();
        c = b[this.p];
        if (c === Ch.Comma) {
          this.p++;
          this.skipWs();
          c = b[this.p];
        }
        if (c === Ch.RBrace) {
          this.p++;
          return;
        }
        if (c !== Ch.Quote) throw this.syntax('expected a key in a trace event');
        const ks = this.p + 1;
        const ke = this.skipString();
        key = ke - ks <= 4 ? knownKey(b, ks) : Key.Other;
        if (key !== Key.Other && KEY_LEN[key] !== ke - ks) key = Key.Other;
        this.skipWs();
        if (b[this.p] !== Ch.Colon) throw this.syntax('expected `:` in a trace event');
        this.p++;
        this.skipWs();
      }
      switch (key) {
        case Key.Ph:
          if (b[this.p] === Ch.Quote) {
            ev.ph = b[this.p + 1];
            // one-letter phase ("X", "f", …): no scan for the closing quote
            if (b[this.p + 2] === Ch.Quote && ev.ph !== Ch.Backslash) this.p += 3;
            else this.skipString();
            // Only complete events ("X") are used: skip the rest of any other without reading keys.
            if (ev.ph !== PH_X) {
              this.skipRestOfObject();
              return;
            }
          } else this.skipValue();
          break;
        case Key.Cat:
          if (b[this.p] === Ch.Quote) {
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
          if (b[this.p] === Ch.Quote) {
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
          if (b[this.p] === Ch.LBrace && (ev.cat === Cat.None || ev.cat === Cat.Kernel || ev.cat === Cat.Memcpy || ev.cat === Cat.Memset || ev.cat === Cat.CpuOp || (ev.cat === Cat.Runtime && this.cpuOps && hasGraph(b, ev.nameStart, ev.nameEnd)))) this.parseArgs();
          else this.skipValue();
          break;
        default:
          this.skipValue();
      }
    }
  }

  protected parseArgs(): void {
    const b = this.buf;
    const ev = this.ev;
    const end = this.end;
    this.p++; // {
    for (;;) {
      let p = this.p;
      let c = b[p];
      if (c === Ch.Comma) c = b[++p];
      if (c === 32) c = b[++p];
      let ks: number;
      let ke: number;
      if (c === Ch.Quote && p + 1 < end) {
        // usual `, "key": value` layout
        ks = p + 1;
        ke = this.strEnd(p);
        if (b[ke + 1] === Ch.Colon && b[ke + 2] === 32 && ke + 3 < end && b[ke + 3] > 32) {
          this.p = ke + 3;
        } else {
          this.p = ke + 1;
          this.skipWs();
          if (b[this.p] !== Ch.Colon) throw this.syntax('expected `:` in event args');
          this.p++;
          this.skipWs();
        }
      } else {
        this.skipWs();
        c = b[this.p];
        if (c === Ch.Comma) {
          this.p++;
          this.skipWs();
          c = b[this.p];
        }
        if (c === Ch.RBrace) {
          this.p++;
          return;
        }
        if (c !== Ch.Quote) throw this.syntax('expected a key in event args');
        ks = this.p + 1;
        ke = this.skipString();
        this.skipWs();
        if (b[this.p] !== Ch.Colon) throw this.syntax('expected `:` in event args');
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

  /** Inside `args` (its `{` consumed): skip to past its `}`, picking up a top-level "graph id" number
   *  and a 2021-layout "external id". */
  protected skipArgsRest(): void {
    const b = this.buf;
    const end = this.end;
    const T = T_STRUCT;
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
          if (b[p] !== Ch.Colon) continue;
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
          if (b[p] !== Ch.Colon) continue;
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
  protected skipRestOfObject(): void {
    this.skipNested(this.p, 1);
  }

}
