// Streaming reader for Prometheus text exposition, OpenMetrics and `promtool tsdb dump` output.
//
// The input is decoded 1 MiB at a time (lines.ts) and parsed line by line by index (no whole-file
// string, no string per line). Each line's series text (`name{labels}`) keys a per-file cache, so a
// series that repeats across millions of lines costs one Map lookup; labels are parsed only on a miss.
//
// Time:
// - samples with timestamps: OpenMetrics writes seconds, Prometheus text and promtool dump write
//   milliseconds. OpenMetrics markers (`# EOF`, `# UNIT`, `# TYPE x unknown|gaugehistogram|info|stateset`)
//   mean seconds, promtool's `{__name__=…}` lines mean milliseconds, otherwise the magnitude of the
//   first timestamp decides (> 1e11 is milliseconds: seconds that large are after the year 5000).
// - samples without timestamps: placed by the scrape clock (scrapes.ts).

import { InputError, withPosition } from '../../errors.js';
import type { FormatId } from '../../model/artifacts.js';
import type { AdapterResult, IngestContext } from '../adapter.js';
import type { SeriesAccumulator } from '../sink.js';
import type { InputSource } from '../source.js';
import { parseNumberRange } from '../bytes/decimal.js';
import { findSeriesEnd, parseSeries, SeriesSyntaxError } from './series-text.js';
import { timeFromBareLine, timeFromFileName, timeFromSeparator } from './scrape-time.js';
import { forEachLineBlock, LineTooLong } from './lines.js';
import { ScrapeClock, type ScrapeMark } from './scrapes.js';

/** A line longer than this is not text exposition (a binary file, or a file without newlines). */
const MAX_LINE_CHARS = 16 << 20;

const SYNTAX_HINT = 'expected `name{label="value",…} value [timestamp]`, `# HELP`/`# TYPE` comments, or promtool\'s `{__name__="…",…} value timestamp_ms`';

/** OpenMetrics-only metric types. */
const OM_TYPES = new Set(['unknown', 'gaugehistogram', 'info', 'stateset']);

interface SeriesState {
  readonly acc: SeriesAccumulator;
  /** The series text this state was cached under (one state per text; several texts may share an accumulator). */
  readonly key: string;
  /** The series that followed this one the last time: files repeat their order (grouped series, histogram buckets, successive scrapes). */
  next: SeriesState | undefined;
  readonly scrape: ScrapeMark;
}

/** True when the (decompressed) head shows OpenMetrics markers. */
export function headIsOpenMetrics(headText: string): boolean {
  return /^# EOF[ \t]*\r?$/m.test(headText) || /^# UNIT /m.test(headText) || /^# TYPE \S+ (?:unknown|gaugehistogram|info|stateset)[ \t]*\r?$/m.test(headText);
}

export async function readTextExposition(src: InputSource, ctx: IngestContext): Promise<AdapterResult> {
  const r = new TextReader(src, ctx);
  try {
    await forEachLineBlock(src.chunks(), MAX_LINE_CHARS, (text) => r.lines(text));
  } catch (e) {
    if (e instanceof LineTooLong) throw r.syntax(`line longer than ${MAX_LINE_CHARS >> 20} MiB: not a text exposition`, r.lineNo + 1);
    throw e;
  }
  return r.result();
}

/** The line parser of one file. */
class TextReader {
  private readonly display: string;
  private readonly cache = new Map<string, SeriesState>();
  private readonly byAcc = new Map<SeriesAccumulator, ScrapeMark>();
  private readonly clock: ScrapeClock;
  lineNo = 0;
  private omMarked: boolean;
  private omReason: string;
  private dumpLines = 0;
  private exemplars = 0;
  private nativeHistograms = 0;
  /** Samples pushed since the sink was last told. */
  private pushed = 0;
  private timedSamples = 0;
  // Timestamp unit: 0 until the first timestamp decides; then the divisor to seconds (1 or 1000).
  private tsDiv = 0;
  private tsReason = '';
  private tsMismatch = 0;
  private checkMagnitude = true;
  /** The series of the previous sample line (its `next` predicts this line's). */
  private prevState: SeriesState | undefined;
  /** Positions of the next `#` and the next `} ` in the current block (found natively, reused until passed). */
  private hashPos = -1;
  private bracePos = -1;

  constructor(
    src: InputSource,
    private readonly ctx: IngestContext,
  ) {
    this.display = src.display;
    this.omMarked = headIsOpenMetrics(src.head.toString('utf8'));
    this.omReason = this.omMarked ? 'OpenMetrics markers' : '';
    this.clock = new ScrapeClock(ctx.sink, src.display, timeFromFileName(src.path ?? src.display), ctx.options.scrapeIntervalSeconds, () => this.lineNo);
  }

  syntax(message: string, line = this.lineNo): InputError {
    return new InputError({ code: 'TEXT_SYNTAX', file: this.display, position: { line }, message, hint: SYNTAX_HINT });
  }

  private openSeries(key: string): SeriesState {
    // Copy the key out of the 1 MiB chunk string it was sliced from, or the cache would keep every chunk alive.
    const own = Buffer.from(key, 'utf8').toString('utf8');
    let parsed;
    try {
      parsed = parseSeries(own);
    } catch (e) {
      if (e instanceof SeriesSyntaxError) throw this.syntax(`${e.message} (in ${JSON.stringify(own.length > 120 ? `${own.slice(0, 120)}…` : own)})`);
      throw e;
    }
    let acc: SeriesAccumulator;
    try {
      acc = this.ctx.sink.open(parsed.name, parsed.labels);
    } catch (e) {
      throw withPosition(e, { line: this.lineNo }); // a series or label-length limit, at this line
    }
    // Texts that differ only in spelling (`le="1"` / `le="1.0"`, label order) share the scrape bookkeeping.
    let shared = this.byAcc.get(acc);
    if (!shared) this.byAcc.set(acc, (shared = { lastScrape: -1 }));
    const st: SeriesState = { acc, key: own, next: undefined, scrape: shared };
    this.cache.set(own, st);
    return st;
  }

  private decideUnit(t: number): void {
    const big = Math.abs(t) > 1e11;
    if (this.dumpLines > 0) {
      this.tsDiv = 1000;
      this.tsReason = 'promtool tsdb dump';
      this.checkMagnitude = false;
    } else if (this.omMarked) {
      this.tsDiv = big ? 1000 : 1;
      this.tsReason = big ? 'OpenMetrics markers, but values > 1e11 read as milliseconds' : this.omReason;
      if (big) {
        this.ctx.warn({
          code: 'TIMESTAMP_UNIT',
          file: this.display,
          message: `${this.display}: OpenMetrics timestamps are seconds, but these exceed 1e11 and were read as milliseconds (promtool would misread this file)`,
        });
      }
    } else {
      this.tsDiv = big ? 1000 : 1;
      this.tsReason = big ? 'values > 1e11' : 'values ≤ 1e11';
    }
  }

  /** A comment line `s[a, e)` (s[a] is `#`). */
  private comment(s: string, a: number, e: number): void {
    let i = a + 1;
    while (i < e && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
    // `# HELP` and `# TYPE` are most comment lines of a scrape: recognised without slicing.
    const c0 = s.charCodeAt(i);
    const sp = s.charCodeAt(i + 4);
    if (c0 === 0x48 /* H */ && (sp === 0x20 || i + 4 === e) && s.charCodeAt(i + 1) === 0x45 && s.charCodeAt(i + 2) === 0x4c && s.charCodeAt(i + 3) === 0x50) return;
    if (c0 === 0x54 /* T */ && sp === 0x20 && s.charCodeAt(i + 1) === 0x59 && s.charCodeAt(i + 2) === 0x50 && s.charCodeAt(i + 3) === 0x45) {
      if (!this.omMarked) {
        const type = s.slice(i + 5, e).trim().split(/\s+/)[1];
        if (type && OM_TYPES.has(type)) {
          this.omMarked = true;
          this.omReason = `OpenMetrics # TYPE ${type}`;
        }
      }
      return;
    }
    const rest = s.slice(i, e);
    if (rest.startsWith('UNIT ')) {
      if (!this.omMarked) {
        this.omMarked = true;
        this.omReason = 'OpenMetrics # UNIT';
      }
      return;
    }
    if (rest === 'EOF') {
      if (!this.omMarked) {
        this.omMarked = true;
        this.omReason = 'OpenMetrics # EOF';
      }
      this.clock.end();
      return;
    }
    const t = timeFromSeparator(rest);
    if (t !== undefined) this.clock.separator(t);
    // Any other comment is harmless and skipped.
  }

  /** Push one parsed sample (`hasT` false: no timestamp in the line). */
  private store(st: SeriesState, v: number, hasT: boolean, t: number): void {
    if (hasT) {
      if (this.tsDiv === 0) this.decideUnit(t);
      else if (this.checkMagnitude && Math.abs(t) > 1e11 !== (this.tsDiv === 1000)) this.tsMismatch++;
      st.acc.push(this.tsDiv === 1 ? t : t / this.tsDiv, v);
      this.timedSamples++;
    } else this.clock.push(st.acc, st.scrape, v);
    this.pushed++;
  }

  /**
   * Cached series for the series text `s[a, se)`; undefined when it is new and does not parse as a
   * series. Measured here: `slice` + `===` against the predicted text ≈ 90 ns a line, `Map.get`
   * (hashing the text) ≈ 300 ns, `startsWith(prev, pos)` ≈ 600 ns.
   */
  private lookup(s: string, a: number, se: number): SeriesState | undefined {
    const key = s.slice(a, se);
    const p = this.prevState;
    if (p !== undefined) {
      const n = p.next;
      if (n !== undefined && n.key === key) return (this.prevState = n);
    }
    let st = this.cache.get(key);
    if (st === undefined) {
      try {
        parseSeries(key);
      } catch {
        return undefined;
      }
      if (s.charCodeAt(a) === 0x7b) this.dumpLines++;
      st = this.openSeries(key);
    }
    if (p !== undefined) p.next = st;
    return (this.prevState = st);
  }

  /**
   * Fast path for a sample line `s[a, e)` holding no `#`, in the layout every exporter writes:
   * `series value[ timestamp]` with single spaces. The series text ends at the first `} ` (or the
   * first space for a bare name); it is only trusted when it is a cached series or parses as one,
   * so a label value holding `} ` just takes the full parse. Native `indexOf` does the scanning:
   * per-character loops in JS cost several times more. Returns false when the line needs the full parse.
   */
  private fastSample(s: string, a: number, e: number): boolean {
    if (this.hashPos !== -1 && this.hashPos < a) this.hashPos = s.indexOf('#', a);
    if (this.hashPos !== -1 && this.hashPos < e) return false;
    if (this.bracePos !== -1 && this.bracePos < a) this.bracePos = s.indexOf('} ', a);
    let se: number;
    if (this.bracePos !== -1 && this.bracePos < e) se = this.bracePos + 1;
    else {
      se = s.indexOf(' ', a);
      if (se === -1 || se >= e) return false;
    }
    const vs = se + 1;
    let ve = s.indexOf(' ', vs);
    if (ve === -1 || ve > e) ve = e;
    const v = parseNumberRange(s, vs, ve);
    if (v === undefined) return false;
    let t = 0;
    const hasT = ve < e;
    if (hasT) {
      const x = parseNumberRange(s, ve + 1, e);
      if (x === undefined || !Number.isFinite(x)) return false;
      t = x;
    }
    const st = this.lookup(s, a, se);
    if (st === undefined) return false;
    this.store(st, v, hasT, t);
    return true;
  }

  /** A line that is no sample may be a separator between scrapes (a bare time, `date` output); else a syntax error. */
  private separatorOr(s: string, a: number, e: number, error: () => InputError): void {
    const t = timeFromBareLine(s.slice(a, e));
    if (t === undefined) throw error();
    this.clock.separator(t);
  }

  /** A sample line `s[a, e)`, trimmed. */
  private sample(s: string, a: number, e: number): void {
    if (this.fastSample(s, a, e)) return;
    let se: number;
    try {
      se = findSeriesEnd(s, a, e);
    } catch (err) {
      if (!(err instanceof SeriesSyntaxError)) throw err;
      return this.separatorOr(s, a, e, () => this.syntax(`${err.message}: ${JSON.stringify(s.slice(a, Math.min(e, a + 80)))}`));
    }
    let i = se;
    let c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && (s.charCodeAt(se - 1) !== 0x7d || i >= e)) {
      return this.separatorOr(s, a, e, () =>
        this.syntax(i >= e ? `no value after ${JSON.stringify(s.slice(a, se))}` : `unexpected ${JSON.stringify(s[i])} after the metric name ${JSON.stringify(s.slice(a, se))}`),
      );
    }
    while (i < e && ((c = s.charCodeAt(i)) === 0x20 || c === 0x09)) i++;
    const vs = i;
    while (i < e && (c = s.charCodeAt(i)) !== 0x20 && c !== 0x09) i++;
    if (vs === i) throw this.syntax(`no value after ${JSON.stringify(s.slice(a, se))}`);
    const v = parseNumberRange(s, vs, i);
    if (v === undefined) {
      if (s.charCodeAt(vs) === 0x7b) {
        // promtool prints native histogram samples as `{count:…, sum:…, …}`: not a float sample.
        this.nativeHistograms++;
        return;
      }
      // `date` output between scrapes: `Tue Nov 21 12:00:00 UTC 2023`
      const ve = i;
      return this.separatorOr(s, a, e, () => this.syntax(`value ${JSON.stringify(s.slice(vs, ve))} is not a number`));
    }
    const key = s.slice(a, se);
    let st = this.cache.get(key);
    if (st === undefined) {
      if (s.charCodeAt(a) === 0x7b) this.dumpLines++;
      st = this.openSeries(key);
    }
    while (i < e && ((c = s.charCodeAt(i)) === 0x20 || c === 0x09)) i++;
    if (i < e && c !== 0x23 /* # */) {
      const ts = i;
      while (i < e && (c = s.charCodeAt(i)) !== 0x20 && c !== 0x09) i++;
      const t = parseNumberRange(s, ts, i);
      if (t === undefined || !Number.isFinite(t)) throw this.syntax(`timestamp ${JSON.stringify(s.slice(ts, i))} is not a number`);
      while (i < e && ((c = s.charCodeAt(i)) === 0x20 || c === 0x09)) i++;
      if (i < e) {
        if (c !== 0x23) throw this.syntax(`unexpected text after the timestamp: ${JSON.stringify(s.slice(i, Math.min(e, i + 40)))}`);
        this.exemplars++;
      }
      this.store(st, v, true, t);
    } else {
      if (i < e) this.exemplars++;
      this.store(st, v, false, 0);
    }
  }

  /** Parse a block of complete lines (each ends with a newline, except possibly the input's last). */
  lines(s: string): void {
    const end = s.length;
    let pos = 0;
    this.hashPos = s.indexOf('#');
    this.bracePos = s.indexOf('} ');
    while (pos < end) {
      let nl = s.indexOf('\n', pos);
      if (nl === -1 || nl >= end) nl = end;
      this.lineNo++;
      let e = nl;
      let c = 0;
      while (e > pos && ((c = s.charCodeAt(e - 1)) === 0x0d || c === 0x20 || c === 0x09)) e--;
      let a = pos;
      while (a < e && ((c = s.charCodeAt(a)) === 0x20 || c === 0x09)) a++;
      if (a < e) {
        if (c === 0x23) this.comment(s, a, e);
        else this.sample(s, a, e);
      }
      pos = nl + 1;
    }
    this.ctx.sink.countSamples(this.pushed);
    this.pushed = 0;
  }

  /** What was read, in words, and the warnings about it. */
  result(): AdapterResult {
    const untimed = this.clock.samples;
    const timed = this.timedSamples;
    const parts: string[] = [];
    const format: FormatId = this.dumpLines > 0 ? 'promtool-dump' : this.omMarked ? 'openmetrics' : 'prometheus-text';
    if (timed) parts.push(`timestamps in ${this.tsDiv === 1 ? 'seconds' : 'milliseconds'} (${this.tsReason})`);
    if (untimed) parts.push(this.clock.describe());
    if (!timed && !untimed) parts.push('no samples');
    if (this.exemplars) parts.push(`${this.exemplars} exemplars ignored`);
    const display = this.display;
    if (this.nativeHistograms) {
      parts.push(`${this.nativeHistograms} native histogram samples skipped`);
      this.ctx.warn({
        code: 'NATIVE_HISTOGRAM_SKIPPED',
        file: display,
        count: this.nativeHistograms,
        message: `${display}: ${this.nativeHistograms} native histogram samples were skipped (only classic _bucket/_sum/_count histograms are read)`,
      });
    }
    if (timed && untimed) {
      this.ctx.warn({
        code: 'MIXED_TIMESTAMPS',
        file: display,
        count: untimed,
        message: `${display}: ${untimed} samples have no timestamp while ${timed} do; the untimed ones were placed at their scrape's time (${[...this.clock.sourcesUsed].join(', ')})`,
      });
    }
    if (this.tsMismatch) {
      this.ctx.warn({
        code: 'TIMESTAMP_UNIT',
        file: display,
        count: this.tsMismatch,
        message: `${display}: ${this.tsMismatch} timestamps have a different magnitude than the first one (read as ${this.tsDiv === 1 ? 'seconds' : 'milliseconds'}); the file may mix units`,
      });
    }
    return { format, detail: parts.join('; ') };
  }
}
