import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { describe, expect, it } from 'vitest';
import { detectDelimiter } from '../../src/ingest/from-csv.js';
import { CellInterner, CsvTokenizer, CsvUnclosedQuote } from '../../src/ingest/tabular/csv-tokenizer.js';
import { mulberry32 } from '../../src/stats/prng.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixtures = path.resolve(here, '../fixtures/csv');

/** The options the CSV adapter gave csv-parse before the tokenizer replaced it. */
const csvParse = (data: Buffer, delimiter: string): string[][] =>
  parse(data, { delimiter, bom: true, relax_column_count: true, relax_quotes: true, skip_empty_lines: true }) as string[][];

/** Tokenize `data` fed in chunks of the given sizes (cycled); rows as decoded strings. */
function tokenize(data: Buffer, delimiter: string, sizes: number[] = [data.length || 1]): string[][] {
  const rows: string[][] = [];
  const tok = new CsvTokenizer(delimiter, (r) => {
    expect(r.row).toBe(rows.length + 1);
    rows.push(r.fields());
  });
  let k = 0;
  for (let i = 0; i < data.length; ) {
    const n = sizes[k++ % sizes.length];
    // A fresh copy per chunk, and the source chunk overwritten after push: the tokenizer must not
    // keep a reference to a chunk it was given.
    const chunk = Buffer.from(data.subarray(i, i + n));
    tok.push(chunk);
    chunk.fill(0x58);
    i += n;
  }
  tok.end();
  return rows;
}

function delimiterOf(text: string): string {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/)[0];
  const sep = /^sep=(.)$/.exec(first);
  return sep ? sep[1] : detectDelimiter(first);
}

describe('CSV tokenizer: hand-checked rows', () => {
  const rowsOf = (s: string, d = ',') => tokenize(Buffer.from(s), d);

  it('quoted fields with delimiters, doubled quotes and line breaks; CRLF', () => {
    const text = 'time,name\r\n1,"a,b"\r\n2,"say ""hi"""\r\n3,"two\r\nlines"\r\n';
    expect(rowsOf(text)).toEqual([
      ['time', 'name'],
      ['1', 'a,b'],
      ['2', 'say "hi"'],
      ['3', 'two\r\nlines'],
    ]);
  });

  it('the same rows whatever the chunking, down to one byte and at every split point', () => {
    const data = Buffer.from('\uFEFFt;v\n"x;\n""y""";é日😀\n\n"";\n');
    const expected = [['t', 'v'], ['x;\n"y"', 'é日😀'], ['', '']];
    expect(tokenize(data, ';')).toEqual(expected);
    expect(tokenize(data, ';', [1])).toEqual(expected);
    for (let cut = 1; cut < data.length; cut++) expect(tokenize(data, ';', [cut, data.length])).toEqual(expected);
  });

  it('BOM skipped, empty lines skipped and not counted, no final newline', () => {
    const rows: [number, string[]][] = [];
    const tok = new CsvTokenizer('\t', (r) => rows.push([r.row, r.fields()]));
    tok.push(Buffer.from('\uFEFFa\tb\n\n\n1\t2\n\n3\t'));
    tok.end();
    expect(rows).toEqual([[1, ['a', 'b']], [2, ['1', '2']], [3, ['3', '']]]);
  });

  it('the first line break fixes the record delimiter: a lone CR in an LF file is data', () => {
    expect(rowsOf('a,b\nc\rd,e\n')).toEqual([['a', 'b'], ['c\rd', 'e']]);
    expect(rowsOf('a\r\nb\nc\r\n')).toEqual([['a'], ['b\nc']]);
    expect(rowsOf('a\rb\r')).toEqual([['a'], ['b']]);
  });

  it('relaxed quotes: a quote inside an unquoted field is data; text after a closing quote keeps it', () => {
    expect(rowsOf('a"b,"c"d,"e""f"g\n')).toEqual([['a"b', '"c"d', '"e"f"g']]);
  });

  it('an unclosed quote throws with the row and the byte of the opening quote', () => {
    let err: unknown;
    try {
      tokenize(Buffer.from('h,i\n1,2\n\n3,"abc\n4,5\n'), ',', [2]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CsvUnclosedQuote);
    expect((err as CsvUnclosedQuote).row).toBe(3); // the empty line is not a row
    expect((err as CsvUnclosedQuote).byte).toBe(11);
  });

  it('a field much longer than the chunks (2 MB quoted cell) arrives whole', () => {
    const big = 'x,'.repeat(1 << 20);
    const data = Buffer.from(`a,b\n1,"${big}"\n2,3\n`);
    const rows = tokenize(data, ',', [65536]);
    expect(rows.length).toBe(3);
    expect(rows[1][1].length).toBe(big.length);
    expect(rows[1][1] === big).toBe(true);
    expect(rows[2]).toEqual(['2', '3']);
  });

  it('rejects delimiters it cannot tokenize', () => {
    expect(() => new CsvTokenizer('"', () => {})).toThrow(RangeError);
    expect(() => new CsvTokenizer('é', () => {})).toThrow(RangeError);
  });
});

describe('CSV tokenizer versus csv-parse', () => {
  const files = readdirSync(fixtures).filter((f) => f.endsWith('.csv'));

  it('identical rows on every fixture in test/fixtures/csv, whole and in 1, 3 and 7-byte chunks', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const f of files) {
      const data = readFileSync(path.join(fixtures, f));
      const d = delimiterOf(data.toString('utf8'));
      const expected = csvParse(data, d);
      expect(expected.length).toBeGreaterThan(1);
      for (const sizes of [[data.length], [1], [3], [7, 1, 2]]) expect([f, sizes, tokenize(data, d, sizes)]).toEqual([f, sizes, expected]);
    }
  });

  // Seeded fuzz corpus: fields RFC-quoted, raw with stray quotes, quoted with text after the
  // closing quote, or plain noise; any of LF / CRLF / CR (or mixed) line ends, empty lines, BOM,
  // unicode, NUL, unclosed quotes at the end; fed in random chunk sizes down to 1 byte.
  const ALPHABET = ['a', 'b', 'Z', '0', '7', '.', '-', ' ', '"', '"', ',', ';', '\t', '\r', '\n', 'é', '日', '😀', '{', '=', '\u0000'];
  function doc(rand: () => number): { data: Buffer; delim: string } {
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)];
    const delim = pick([',', ';', '\t']);
    const style = pick(['\n', '\r\n', '\r', 'mixed']);
    const noise = (max: number) => {
      let s = '';
      const n = Math.floor(rand() * max);
      for (let i = 0; i < n; i++) s += pick(ALPHABET);
      return s;
    };
    const field = (): string => {
      const r = rand();
      if (r < 0.15) return '';
      if (r < 0.45) return noise(8).replace(/["\r\n,;\t]/g, 'q'); // plain
      if (r < 0.75) return `"${noise(10).replace(/"/g, '""')}"`; // RFC 4180 quoted
      if (r < 0.85) return `${pick(['a', 'b', '1'])}${noise(6).replace(/[\r\n]/g, '').split(delim).join('')}`; // stray quotes
      if (r < 0.93) return `"${noise(5).replace(/"/g, '""')}"${noise(4)}`; // text after the closing quote
      return noise(6); // anything
    };
    let s = rand() < 0.2 ? '\uFEFF' : '';
    const rows = Math.floor(rand() * 10);
    for (let r = 0; r < rows; r++) {
      const nf = 1 + Math.floor(rand() * 5);
      const cells: string[] = [];
      for (let c = 0; c < nf; c++) cells.push(field());
      s += cells.join(delim);
      const end = style === 'mixed' ? pick(['\n', '\r\n', '\r']) : style;
      if (r < rows - 1 || rand() < 0.7) s += end;
      if (rand() < 0.1) s += end; // an empty line
    }
    if (rand() < 0.05) s += `"${noise(5).replace(/"/g, '')}`; // unclosed
    return { data: Buffer.from(s, 'utf8'), delim };
  }

  it('identical rows (or both fail on an unclosed quote) on 4000 seeded documents in random chunkings', () => {
    const rand = mulberry32(20261122);
    let failures = 0;
    let rows = 0;
    let quotedNewlines = 0;
    for (let n = 0; n < 4000; n++) {
      const { data, delim } = doc(rand);
      let expected: string[][] | undefined;
      try {
        expected = csvParse(data, delim);
      } catch (e) {
        expect((e as { code?: string }).code).toBe('CSV_QUOTE_NOT_CLOSED');
      }
      const chunkings = [[data.length || 1], [1], [1 + Math.floor(rand() * 5), 1 + Math.floor(rand() * 9)], [1 + Math.floor(rand() * 40)]];
      for (const sizes of chunkings) {
        if (expected) {
          expect([n, data.toString('utf8'), sizes, tokenize(data, delim, sizes)]).toEqual([n, data.toString('utf8'), sizes, expected]);
        } else {
          expect(() => tokenize(data, delim, sizes)).toThrow(CsvUnclosedQuote);
        }
      }
      if (expected) {
        rows += expected.length;
        quotedNewlines += expected.flat().filter((c) => /[\r\n]/.test(c)).length;
      } else failures++;
    }
    // The corpus exercises what it claims to.
    expect(failures).toBeGreaterThan(50);
    expect(rows).toBeGreaterThan(10000);
    expect(quotedNewlines).toBeGreaterThan(1000);
  });
});

describe('CellInterner', () => {
  it('same raw bytes → same id and one decoded string; different bytes (even if equal once decoded) → another id', () => {
    const seen: [number, string][] = [];
    const interner = new CellInterner();
    const tok = new CsvTokenizer(',', (r) => {
      const id = interner.id(r, 0);
      seen.push([id, interner.value(id)]);
    });
    tok.push(Buffer.from('a:8000\nb:8000\na:8000\n"a:8000"\n"x,""y"""\nb:8000\n"x,""y"""\n\n'));
    tok.end();
    expect(seen).toEqual([[0, 'a:8000'], [1, 'b:8000'], [0, 'a:8000'], [2, 'a:8000'], [3, 'x,"y"'], [1, 'b:8000'], [3, 'x,"y"']]);
    expect(interner.size).toBe(4);
  });

  it('keeps ids stable across table growth (5000 distinct values, seen twice)', () => {
    const interner = new CellInterner();
    const ids: number[] = [];
    const tok = new CsvTokenizer(',', (r) => ids.push(interner.id(r, 0)));
    let text = '';
    for (let i = 0; i < 5000; i++) text += `pod-${i}\n`;
    tok.push(Buffer.from(text + text));
    tok.end();
    expect(interner.size).toBe(5000);
    for (let i = 0; i < 5000; i++) {
      expect(ids[i]).toBe(i);
      expect(ids[5000 + i]).toBe(i);
    }
    expect(interner.value(4321)).toBe('pod-4321');
  });
});
