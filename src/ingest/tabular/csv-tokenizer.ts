// A streaming RFC 4180 tokenizer over raw bytes, for the CSV metrics adapter. It replaces csv-parse
// there because csv-parse took ~60% of the adapter's time (bench `ingest-csv`): it builds a string
// for every cell, while the adapter needs only a few cells per row and most of them repeat.
//
// Records come out as field spans over a byte buffer (no string per cell); callers decode the cells
// they need (`field`, `number`) or intern repeated ones by their bytes (`CellInterner`).
//
// The dialect is exactly what csv-parse produced with the options the adapter used
// (`{ delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }`),
// so rows are identical (test/unit/csv-tokenizer.test.ts checks this on fixtures and a fuzz corpus):
// - the record delimiter is the first CR LF, LF or CR found outside quotes; after that only that
//   sequence ends a record (a lone CR in an LF file is a character of the cell, as in csv-parse);
// - a field opening with `"` is quoted: delimiters and line breaks inside are data, `""` is one `"`;
//   the closing quote must be followed by the delimiter, the record delimiter or the end, otherwise
//   (relaxed quotes) the quote is kept and the field goes on unquoted; a `"` inside an unquoted
//   field is an ordinary character;
// - a UTF-8 BOM at the start is skipped; completely empty lines are skipped (not counted as rows);
// - a quote still open at the end of the input is an error (`CsvUnclosedQuote`).
// Input is fed in chunks of any size (down to one byte); a field may straddle chunks. Partial
// records are kept in one growable buffer (doubling), so a huge field costs linear time.

const QUOTE = 34;
const LF = 10;
const CR = 13;

const S_START = 0; // at the first byte of a field
const S_UNQUOTED = 1; // inside an unquoted field (or after a quoted part)
const S_QUOTED = 2; // inside quotes

const M_UNKNOWN = 0;
const M_LF = 1;
const M_CRLF = 2;
const M_CR = 3;

/** Field kinds in `CsvTokenizer.kinds`. */
import { parseDecimal } from '../bytes/decimal.js';

export const FIELD_PLAIN = 0; // bytes [start, end) are the value
export const FIELD_QUOTED = 1; // `"…"` without doubled quotes: bytes [start + 1, end - 1)
export const FIELD_COMPLEX = 2; // doubled quotes or relaxed quotes: decode with `field()`

export class CsvUnclosedQuote extends Error {
  constructor(
    /** Record number (1-based, as rows are counted) of the record holding the open quote. */
    readonly row: number,
    /** Byte offset of the opening quote in the input. */
    readonly byte: number,
  ) {
    super(`a quoted field opened on row ${row} (byte ${byte}) is never closed`);
    this.name = 'CsvUnclosedQuote';
  }
}

export type RecordHandler = (rec: CsvTokenizer) => void;

export class CsvTokenizer {
  /** Buffer the current record's spans point into (valid during the record callback only). */
  buf: Buffer = Buffer.alloc(0);
  /** Number of fields of the current record. */
  count = 0;
  starts = new Int32Array(64);
  ends = new Int32Array(64);
  kinds = new Uint8Array(64);
  /** 1-based number of the current record (empty lines are not records). */
  row = 0;

  private readonly delim: number;
  private len = 0;
  private pos = 0;
  private state = S_START;
  private mode = M_UNKNOWN;
  private fieldStart = 0;
  private kind = FIELD_PLAIN;
  private recStart = 0;
  /** Input offset of buf[0]. */
  private base = 0;
  private bomChecked = false;
  private carrying = false;
  private ended = false;

  constructor(
    delimiter: string,
    private readonly onRecord: RecordHandler,
  ) {
    const d = Buffer.from(delimiter, 'utf8');
    if (d.length !== 1 || d[0] === QUOTE || d[0] === LF || d[0] === CR) {
      throw new RangeError(`unsupported CSV delimiter ${JSON.stringify(delimiter)} (one ASCII character other than a quote or line break)`);
    }
    this.delim = d[0];
  }

  /** Feed the next chunk. The tokenizer does not keep `chunk` past this call. */
  push(chunk: Buffer): void {
    if (this.ended) throw new Error('CsvTokenizer: push after end');
    if (chunk.length === 0) return;
    if (this.carrying) {
      this.append(chunk);
    } else {
      // Nothing left over: scan the chunk in place.
      this.buf = chunk;
      this.len = chunk.length;
    }
    this.scan(false);
  }

  /** No more input: emit the last record, or throw `CsvUnclosedQuote`. */
  end(): void {
    if (this.ended) return;
    this.ended = true;
    this.scan(true);
    if (this.state === S_QUOTED) throw new CsvUnclosedQuote(this.row + 1, this.base + this.fieldStart);
    const n = this.len;
    if (this.count > 0 || this.fieldStart < n || this.kind !== FIELD_PLAIN) {
      this.addField(this.fieldStart, n, this.kind);
      this.emit();
    }
  }

  /** Decoded value of field `i` of the current record. */
  field(i: number): string {
    const s = this.starts[i];
    const e = this.ends[i];
    const k = this.kinds[i];
    if (k === FIELD_PLAIN) return this.buf.toString('utf8', s, e);
    if (k === FIELD_QUOTED) return this.buf.toString('utf8', s + 1, e - 1);
    return decodeComplex(this.buf, s, e);
  }

  /** All decoded fields of the current record. */
  fields(): string[] {
    const out = new Array<string>(this.count);
    for (let i = 0; i < this.count; i++) out[i] = this.field(i);
    return out;
  }

  /** Whether field `i` is empty once decoded. */
  isEmpty(i: number): boolean {
    const k = this.kinds[i];
    const len = this.ends[i] - this.starts[i];
    return k === FIELD_PLAIN ? len === 0 : k === FIELD_QUOTED ? len === 2 : this.field(i) === '';
  }

  /**
   * Field `i` as a plain decimal (`-12`, `3.25`, `.5`) read straight from the bytes, exactly as
   * `Number()` would (integer mantissa below 2^53 divided by a power of ten ≤ 10^22 is correctly
   * rounded). NaN when the cell is anything else (exponent, spaces, `NaN`, units…): decode and parse
   * the string then.
   */
  number(i: number): number {
    let s = this.starts[i];
    let e = this.ends[i];
    const k = this.kinds[i];
    if (k === FIELD_QUOTED) {
      s++;
      e--;
    } else if (k !== FIELD_PLAIN) return NaN;
    return parseDecimal(this.buf, s, e);
  }

  // --- internals ---

  private append(chunk: Buffer): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 1 << 16));
      this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.len);
    this.len = need;
  }

  private addField(s: number, e: number, k: number): void {
    const c = this.count;
    if (c === this.starts.length) {
      const n = c * 2;
      const st = new Int32Array(n);
      st.set(this.starts);
      const en = new Int32Array(n);
      en.set(this.ends);
      const ki = new Uint8Array(n);
      ki.set(this.kinds);
      this.starts = st;
      this.ends = en;
      this.kinds = ki;
    }
    this.starts[c] = s;
    this.ends[c] = e;
    this.kinds[c] = k;
    this.count = c + 1;
  }

  private emit(): void {
    this.row++;
    this.onRecord(this);
    this.count = 0;
  }

  /**
   * Length of the record delimiter at `p` (a CR or LF byte): >0 it ends the record, 0 it is data,
   * -1 undecidable until more input arrives. Discovers the file's record delimiter on first use.
   */
  private terminator(p: number, final: boolean): number {
    const buf = this.buf;
    const c = buf[p];
    switch (this.mode) {
      case M_LF:
        return c === LF ? 1 : 0;
      case M_CR:
        return c === CR ? 1 : 0;
      case M_CRLF:
        if (c !== CR) return 0;
        if (p + 1 >= this.len) return final ? 0 : -1;
        return buf[p + 1] === LF ? 2 : 0;
      default:
        if (c === LF) {
          this.mode = M_LF;
          return 1;
        }
        if (p + 1 >= this.len) {
          if (!final) return -1;
          this.mode = M_CR;
          return 1;
        }
        if (buf[p + 1] === LF) {
          this.mode = M_CRLF;
          return 2;
        }
        this.mode = M_CR;
        return 1;
    }
  }

  private scan(final: boolean): void {
    const buf = this.buf;
    const n = this.len;
    let i = this.pos;
    if (!this.bomChecked) {
      if (n < 3 && !final) {
        this.keep(final);
        return;
      }
      this.bomChecked = true;
      if (n >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
        i = 3;
        this.fieldStart = this.recStart = 3;
      }
    }
    const D = this.delim;
    const view = buf.length === n ? buf : buf.subarray(0, n);
    let state = this.state;
    let fs = this.fieldStart;
    let kind = this.kind;
    for (;;) {
      if (state === S_START) {
        if (i >= n) break;
        if (buf[i] === QUOTE) {
          state = S_QUOTED;
          kind = FIELD_QUOTED;
          i++;
          continue;
        }
        state = S_UNQUOTED;
      }
      if (state === S_UNQUOTED) {
        let c = 0;
        while (i < n) {
          c = buf[i];
          if (c === D || c === LF || c === CR) break;
          i++;
        }
        if (i >= n) break;
        if (c === D) {
          this.addField(fs, i, kind);
          i++;
          fs = i;
          kind = FIELD_PLAIN;
          state = S_START;
          continue;
        }
        const t = this.terminator(i, final);
        if (t < 0) break;
        if (t === 0) {
          i++;
          continue;
        }
        if (this.count === 0 && fs === i && kind === FIELD_PLAIN) {
          // empty line: skipped, not a record
        } else {
          this.addField(fs, i, kind);
          this.emit();
        }
        i += t;
        fs = i;
        this.recStart = i;
        kind = FIELD_PLAIN;
        state = S_START;
        continue;
      }
      // S_QUOTED: jump to the next quote
      const q = view.indexOf(QUOTE, i);
      if (q < 0) {
        i = n;
        break;
      }
      if (q + 1 >= n) {
        if (!final) {
          i = q; // decide with the next byte
          break;
        }
        i = q + 1; // closing quote at the end of the input
        state = S_UNQUOTED;
        continue;
      }
      const nx = buf[q + 1];
      if (nx === QUOTE) {
        kind = FIELD_COMPLEX;
        i = q + 2;
        continue;
      }
      if (nx === D) {
        i = q + 1;
        state = S_UNQUOTED;
        continue;
      }
      if (nx === LF || nx === CR) {
        const t = this.terminator(q + 1, final);
        if (t < 0) {
          i = q;
          break;
        }
        i = q + 1;
        state = S_UNQUOTED;
        if (t === 0) kind = FIELD_COMPLEX; // a line break that is data here: relaxed quote
        continue;
      }
      // Closing quote followed by something else (csv-parse closes on a NUL byte too, then goes on
      // unquoted): the quote is kept and the field goes on unquoted.
      kind = FIELD_COMPLEX;
      i = q + 1;
      state = S_UNQUOTED;
    }
    this.state = state;
    this.fieldStart = fs;
    this.kind = kind;
    this.pos = i;
    this.keep(final);
  }

  /** After a scan: keep the unfinished record (from `recStart`) at the front of the buffer. */
  private keep(final: boolean): void {
    if (final) return;
    const rs = this.recStart;
    const n = this.len;
    if (rs >= n) {
      // Nothing pending.
      this.base += n;
      this.len = 0;
      this.pos = this.fieldStart = this.recStart = 0;
      this.count = 0;
      this.carrying = false;
      return;
    }
    if (!this.carrying) {
      // Copy the tail out of the caller's chunk into our own buffer.
      const own = Buffer.allocUnsafe(Math.max((n - rs) * 2, 1 << 16));
      this.buf.copy(own, 0, rs, n);
      this.buf = own;
      this.carrying = true;
    } else if (rs > 0) {
      this.buf.copyWithin(0, rs, n);
    }
    for (let k = 0; k < this.count; k++) {
      this.starts[k] -= rs;
      this.ends[k] -= rs;
    }
    this.base += rs;
    this.len = n - rs;
    this.pos -= rs;
    this.fieldStart -= rs;
    this.recStart = 0;
  }
}

/** Decode a field with doubled quotes or a relaxed quote, as csv-parse does. */
export function decodeComplex(buf: Buffer, s: number, e: number): string {
  let out = '';
  let seg = s + 1;
  let i = s + 1;
  for (;;) {
    const q = buf.indexOf(QUOTE, i);
    if (q < 0 || q >= e) return out + buf.toString('utf8', seg, e); // not reached for tokenizer spans
    if (q + 1 < e && buf[q + 1] === QUOTE) {
      out += buf.toString('utf8', seg, q + 1);
      i = seg = q + 2;
      continue;
    }
    out += buf.toString('utf8', seg, q);
    if (q + 1 === e) return out; // closed at the end of the field
    if (buf[q + 1] === 0) return out + buf.toString('utf8', q + 1, e); // closed, then data
    return `"${out}${buf.toString('utf8', q, e)}`; // relaxed quote: kept, the rest as is
  }
}

/**
 * Interns the cells of one column by their raw bytes: the same bytes give the same small integer
 * id, and the decoded string is built once per distinct value. An open-addressing hash table over
 * a byte arena, so a repeated cell costs a hash and a compare, not a string.
 */
export class CellInterner {
  private arena = Buffer.allocUnsafe(1 << 12);
  private used = 0;
  private offs: number[] = [];
  private lens: number[] = [];
  private readonly values: string[] = [];
  private table = new Int32Array(64).fill(-1);
  private last = -1;

  /** Id of the bytes of field `i` of the tokenizer's current record (raw span, quotes included). */
  id(rec: CsvTokenizer, i: number): number {
    const buf = rec.buf;
    const s = rec.starts[i];
    const e = rec.ends[i];
    const len = e - s;
    const last = this.last;
    if (last >= 0 && this.lens[last] === len && this.same(buf, s, len, this.offs[last])) return last;
    let h = 0x811c9dc5;
    for (let k = s; k < e; k++) h = Math.imul(h ^ buf[k], 0x01000193);
    const mask = this.table.length - 1;
    let slot = h & mask;
    for (;;) {
      const id = this.table[slot];
      if (id < 0) break;
      if (this.lens[id] === len && this.same(buf, s, len, this.offs[id])) {
        this.last = id;
        return id;
      }
      slot = (slot + 1) & mask;
    }
    const id = this.values.length;
    if (this.used + len > this.arena.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.arena.length * 2, this.used + len));
      this.arena.copy(grown, 0, 0, this.used);
      this.arena = grown;
    }
    buf.copy(this.arena, this.used, s, e);
    this.offs.push(this.used);
    this.lens.push(len);
    this.used += len;
    this.values.push(rec.field(i));
    this.table[slot] = id;
    if (this.values.length * 2 > this.table.length) this.rehash();
    this.last = id;
    return id;
  }

  /** Decoded string of an id. */
  value(id: number): string {
    return this.values[id];
  }

  get size(): number {
    return this.values.length;
  }

  private same(buf: Buffer, s: number, len: number, off: number): boolean {
    const a = this.arena;
    for (let k = 0; k < len; k++) if (buf[s + k] !== a[off + k]) return false;
    return true;
  }

  private rehash(): void {
    const table = new Int32Array(this.table.length * 2).fill(-1);
    const mask = table.length - 1;
    const a = this.arena;
    for (let id = 0; id < this.values.length; id++) {
      let h = 0x811c9dc5;
      const off = this.offs[id];
      for (let k = off; k < off + this.lens[id]; k++) h = Math.imul(h ^ a[k], 0x01000193);
      let slot = h & mask;
      while (table[slot] >= 0) slot = (slot + 1) & mask;
      table[slot] = id;
    }
    this.table = table;
  }
}
