// A streaming JSON byte reader over 1 MiB chunks: whitespace, keys, small strings, validated skipping
// and capture of small values, with state carried across chunk boundaries. It never holds more than
// the current chunk plus the bytes of the token being read (a key, a label object, one sample), so a
// file of any size can be walked — no whole-file string, no 512 MiB cap.
//
// Callers drive it by structure (recursive descent, `object`/`array` helpers) and may read the bytes
// of `buf` directly from `pos` for hot loops; `fill()` appends the next chunk, keeping the bytes from
// `pos` (or from the capture mark) onwards.

import { InputError } from '../../errors.js';
import { bridgeBuffer } from './carry.js';

const EMPTY = Buffer.alloc(0);
/** Bytes of a new chunk copied into a bridge buffer after the carried bytes. */
const BRIDGE_BYTES = 16 * 1024;
/** Carry at most this much through a bridge; longer carries are concatenated with the chunk. */
const BRIDGE_MAX_CARRY = 64 * 1024;

/** `true|false|null` or a JSON number. */
const WORD_RE = /^(?:-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)$/;

// Skipper states.
const S_VALUE = 0; // a value is expected
const S_ARR_FIRST = 1; // after `[`: a value or `]`
const S_OBJ_FIRST = 2; // after `{`: a key or `}`
const S_OBJ_KEY = 3; // after `,` in an object: a key
const S_COLON = 4; // after a key
const S_AFTER = 5; // after a value: `,` or the container's close
const S_STR = 6;
const S_ESC = 7;
const S_HEX = 8;
const S_WORD = 9;

function isWordByte(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x2b || c === 0x2d || c === 0x2e;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

/** Printable description of a byte for messages. */
export function describeByte(c: number): string {
  if (c < 0) return 'end of input';
  if (c >= 0x21 && c <= 0x7e) return `'${String.fromCharCode(c)}'`;
  return `byte 0x${c.toString(16).padStart(2, '0')}`;
}

export class JsonByteReader {
  /** Current window: unconsumed bytes of earlier chunks (only what is still needed) + the latest chunk. */
  buf: Buffer = EMPTY;
  /** Read position inside `buf`. */
  pos = 0;
  /** Offset of `buf[0]` in the whole (decompressed) input. */
  base = 0;
  /** Absolute offset from which bytes must be kept across `fill()`, or -1. */
  private keepAbs = -1;
  private ended = false;
  /** The chunk whose first BRIDGE_BYTES follow `bridgeCarry` carried bytes in `buf` (a bridge). */
  private pending: Buffer | undefined;
  private bridgeCarry = 0;
  private it: AsyncIterator<Buffer>;

  /** `startAbs`: the offset of the first byte of `chunks` in the whole input (a reader of a range). */
  constructor(
    readonly display: string,
    chunks: AsyncIterable<Buffer>,
    startAbs = 0,
  ) {
    this.it = chunks[Symbol.asyncIterator]();
    this.base = startAbs;
  }

  /**
   * Continue at offset `abs` of the input, whose bytes from there on `chunks` yields (the parallel
   * reader skips a range read by a worker). Only between values: no capture may be open.
   */
  async seek(abs: number, chunks: AsyncIterable<Buffer>): Promise<void> {
    if (this.keepAbs >= 0) throw new Error('JsonByteReader.seek inside a capture');
    await this.close();
    this.it = chunks[Symbol.asyncIterator]();
    this.buf = EMPTY;
    this.pos = 0;
    this.base = abs;
    this.ended = false;
    this.pending = undefined;
    this.bridgeCarry = 0;
  }

  /** Stop reading the input (its file is closed); for a reader left before the end. */
  async close(): Promise<void> {
    await this.it.return?.();
  }

  /** Absolute offset of the read position. */
  get offset(): number {
    return this.base + this.pos;
  }

  /** Total bytes seen so far (the input's length once `fill()` returned false; no bridge is then open). */
  get seen(): number {
    return this.base + this.buf.length;
  }

  /**
   * Make more bytes available after the end of `buf`; false at the end of input. Bytes before `pos`
   * (and before the capture mark) are dropped.
   *
   * The bytes still needed from the old window are usually a few (one sample cut by the chunk
   * boundary). Rather than copying the whole new chunk after them, a small bridge buffer holds
   * them plus the first BRIDGE_BYTES of the new chunk; once the reader is past the carried bytes,
   * the next `fill()` switches to the new chunk itself.
   */
  async fill(): Promise<boolean> {
    const from = this.keepAbs >= 0 ? Math.min(this.keepAbs - this.base, this.pos) : this.pos;
    const pending = this.pending;
    if (pending) {
      this.pending = undefined;
      if (from >= this.bridgeCarry) {
        // Everything still needed lies in the new chunk: switch to it.
        this.base += this.bridgeCarry;
        this.pos -= this.bridgeCarry;
        this.buf = pending;
      } else {
        this.buf = Buffer.concat([this.buf.subarray(from), pending.subarray(BRIDGE_BYTES)]);
        this.base += from;
        this.pos -= from;
      }
      return true;
    }
    if (this.ended) return false;
    for (;;) {
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const c = r.value;
      if (c.length === 0) continue;
      const carry = this.buf.length - from;
      if (carry <= 0) {
        this.base += this.buf.length;
        this.pos -= this.buf.length;
        this.buf = c;
      } else if (carry <= BRIDGE_MAX_CARRY && c.length > 4 * BRIDGE_BYTES) {
        this.buf = bridgeBuffer(this.buf, from, this.buf.length, c, BRIDGE_BYTES);
        this.base += from;
        this.pos -= from;
        this.pending = c;
        this.bridgeCarry = carry;
      } else {
        this.buf = Buffer.concat([this.buf.subarray(from), c]);
        this.base += from;
        this.pos -= from;
      }
      return true;
    }
  }

  syntaxError(message: string, abs = this.offset): InputError {
    return new InputError({
      code: 'JSON_SYNTAX',
      file: this.display,
      position: { byte: abs },
      message: `invalid JSON: ${message}`,
      hint: 'the file is not valid JSON; was it cut or edited? `python3 -m json.tool FILE` shows the spot',
    });
  }

  endsEarly(): InputError {
    return new InputError({
      code: 'JSON_SYNTAX',
      file: this.display,
      position: { byte: this.seen },
      message: 'invalid JSON: the input ends early (file truncated?)',
      hint: 'export or copy the file again; a download that was cut leaves an unclosed JSON value',
    });
  }

  /** Error for an unexpected byte at the read position. */
  unexpected(expected: string, c: number): InputError {
    if (c < 0) return this.endsEarly();
    return this.syntaxError(`expected ${expected}, found ${describeByte(c)}`);
  }

  /** Skip whitespace; the next byte (not consumed), or -1 at the end of input. */
  async peek(): Promise<number> {
    for (;;) {
      const b = this.buf;
      const n = b.length;
      let p = this.pos;
      while (p < n) {
        const c = b[p];
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) p++;
        else {
          this.pos = p;
          return c;
        }
      }
      this.pos = p;
      if (!(await this.fill())) return -1;
    }
  }

  /** Read the string starting at the read position (which must be at `"`). */
  async readString(): Promise<string> {
    const startAbs = this.offset;
    this.keepAbs = startAbs;
    let p = this.pos + 1;
    let esc = false;
    let hasEsc = false;
    for (;;) {
      const b = this.buf;
      const n = b.length;
      while (p < n) {
        const c = b[p];
        if (esc) esc = false;
        else if (c === 0x5c) {
          esc = true;
          hasEsc = true;
        } else if (c === 0x22) {
          const s = startAbs - this.base;
          this.pos = p + 1;
          this.keepAbs = -1;
          if (!hasEsc) return b.toString('utf8', s + 1, p);
          try {
            return JSON.parse(b.toString('utf8', s, p + 1)) as string;
          } catch {
            throw this.syntaxError('invalid escape sequence in a string', startAbs);
          }
        } else if (c < 0x20) throw this.syntaxError('control character inside a string', this.base + p);
        p++;
      }
      const before = this.base;
      if (!(await this.fill())) throw this.endsEarly();
      p -= this.base - before;
    }
  }

  /**
   * Skip one complete JSON value from the read position, validating its syntax (strings, escapes,
   * numbers, literals, nesting). Memory stays constant whatever the value's size.
   */
  async skipValue(): Promise<void> {
    const stack: number[] = [];
    let state = S_VALUE;
    let strIsKey = false;
    let hexLeft = 0;
    let wordAbs = -1;
    const outerKeep = this.keepAbs;
    let p = this.pos;
    for (;;) {
      const b = this.buf;
      const n = b.length;
      while (p < n) {
        const c = b[p];
        switch (state) {
          case S_STR:
            if (c === 0x22) {
              state = strIsKey ? S_COLON : S_AFTER;
              p++;
              if (state === S_AFTER && stack.length === 0) {
                this.pos = p;
                return;
              }
            } else if (c === 0x5c) {
              state = S_ESC;
              p++;
            } else if (c < 0x20) throw this.syntaxError('control character inside a string', this.base + p);
            else p++;
            continue;
          case S_ESC:
            if (c === 0x75) {
              state = S_HEX;
              hexLeft = 4;
            } else if (c === 0x22 || c === 0x5c || c === 0x2f || c === 0x62 || c === 0x66 || c === 0x6e || c === 0x72 || c === 0x74) state = S_STR;
            else throw this.syntaxError(`invalid escape \\${String.fromCharCode(c)}`, this.base + p);
            p++;
            continue;
          case S_HEX:
            if (!isHex(c)) throw this.syntaxError('invalid \\u escape', this.base + p);
            if (--hexLeft === 0) state = S_STR;
            p++;
            continue;
          case S_WORD:
            if (isWordByte(c)) {
              p++;
              continue;
            }
            this.endWord(wordAbs, this.base + p);
            if (outerKeep < 0) this.keepAbs = -1;
            state = S_AFTER;
            if (stack.length === 0) {
              this.pos = p;
              return;
            }
            continue; // re-examine c in S_AFTER
        }
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          p++;
          continue;
        }
        switch (state) {
          case S_ARR_FIRST:
            if (c === 0x5d) {
              stack.pop();
              p++;
              state = S_AFTER;
              if (stack.length === 0) {
                this.pos = p;
                return;
              }
              continue;
            }
            state = S_VALUE; // re-examine c as a value
            continue;
          case S_VALUE:
            if (c === 0x7b) {
              stack.push(0x7b);
              state = S_OBJ_FIRST;
            } else if (c === 0x5b) {
              stack.push(0x5b);
              state = S_ARR_FIRST;
            } else if (c === 0x22) {
              state = S_STR;
              strIsKey = false;
            } else if (isWordByte(c)) {
              state = S_WORD;
              wordAbs = this.base + p;
              if (outerKeep < 0) this.keepAbs = wordAbs;
            } else throw this.syntaxError(`expected a value, found ${describeByte(c)}`, this.base + p);
            p++;
            continue;
          case S_OBJ_FIRST:
            if (c === 0x7d) {
              stack.pop();
              p++;
              state = S_AFTER;
              if (stack.length === 0) {
                this.pos = p;
                return;
              }
              continue;
            }
            state = S_OBJ_KEY; // re-examine c as a key
            continue;
          case S_OBJ_KEY:
            if (c !== 0x22) throw this.syntaxError(`expected a "key", found ${describeByte(c)}`, this.base + p);
            state = S_STR;
            strIsKey = true;
            p++;
            continue;
          case S_COLON:
            if (c !== 0x3a) throw this.syntaxError(`expected ':' after a key, found ${describeByte(c)}`, this.base + p);
            state = S_VALUE;
            p++;
            continue;
          case S_AFTER: {
            const top = stack[stack.length - 1];
            if (c === 0x2c) state = top === 0x7b ? S_OBJ_KEY : S_VALUE;
            else if ((c === 0x7d && top === 0x7b) || (c === 0x5d && top === 0x5b)) {
              stack.pop();
              if (stack.length === 0) {
                this.pos = p + 1;
                return;
              }
            } else throw this.syntaxError(`expected ',' or '${top === 0x7b ? '}' : ']'}', found ${describeByte(c)}`, this.base + p);
            p++;
            continue;
          }
        }
      }
      const before = this.base;
      this.pos = p;
      if (!(await this.fill())) {
        if (state === S_WORD && stack.length === 0) {
          this.endWord(wordAbs, this.seen);
          if (outerKeep < 0) this.keepAbs = -1;
          this.pos = this.buf.length;
          return;
        }
        throw this.endsEarly();
      }
      p -= this.base - before;
    }
  }

  private endWord(startAbs: number, endAbs: number): void {
    const w = this.buf.toString('latin1', startAbs - this.base, endAbs - this.base);
    if (!WORD_RE.test(w)) throw this.syntaxError(`${JSON.stringify(w.slice(0, 40))} is not a JSON number or literal`, startAbs);
  }

  /** Read one small value whole (a label object, a list of warnings) and parse it. */
  async captureJson(): Promise<{ value: unknown; startAbs: number }> {
    const c = await this.peek();
    if (c < 0) throw this.endsEarly();
    const startAbs = this.offset;
    this.keepAbs = startAbs;
    try {
      await this.skipValue();
    } finally {
      this.keepAbs = -1;
    }
    const text = this.buf.toString('utf8', startAbs - this.base, this.pos);
    try {
      return { value: JSON.parse(text), startAbs };
    } catch (e) {
      // skipValue validated the syntax; this is a last resort (should not happen).
      const m = /position (\d+)/.exec(e instanceof Error ? e.message : '');
      throw this.syntaxError(e instanceof Error ? e.message : String(e), startAbs + (m ? Number(m[1]) : 0));
    }
  }

  /**
   * Walk the object at the read position (which must be `{`); `onKey` must consume the key's value.
   * Returns the number of keys.
   */
  async object(onKey: (key: string, keyAbs: number) => Promise<void>): Promise<number> {
    this.pos++;
    let c = await this.peek();
    if (c === 0x7d) {
      this.pos++;
      return 0;
    }
    let count = 0;
    for (;;) {
      if (c !== 0x22) throw this.unexpected('a "key"', c);
      const keyAbs = this.offset;
      const key = await this.readString();
      c = await this.peek();
      if (c !== 0x3a) throw this.unexpected("':' after a key", c);
      this.pos++;
      c = await this.peek();
      if (c < 0) throw this.endsEarly();
      await onKey(key, keyAbs);
      count++;
      c = await this.peek();
      if (c === 0x2c) {
        this.pos++;
        c = await this.peek();
        continue;
      }
      if (c === 0x7d) {
        this.pos++;
        return count;
      }
      throw this.unexpected("',' or '}'", c);
    }
  }

  /** Walk the array at the read position (which must be `[`); `onItem` must consume the item. */
  async array(onItem: (index: number, first: number) => Promise<void>): Promise<number> {
    this.pos++;
    let c = await this.peek();
    if (c === 0x5d) {
      this.pos++;
      return 0;
    }
    let i = 0;
    for (;;) {
      if (c < 0) throw this.endsEarly();
      await onItem(i++, c);
      c = await this.peek();
      if (c === 0x2c) {
        this.pos++;
        c = await this.peek();
        if (c === 0x5d) throw this.syntaxError("a value must follow ','");
        continue;
      }
      if (c === 0x5d) {
        this.pos++;
        return i;
      }
      throw this.unexpected("',' or ']'", c);
    }
  }
}
