// Streaming reader for Prometheus text exposition, OpenMetrics and `promtool tsdb dump` output.
//
// The input is decoded 1 MiB at a time and parsed line by line by index (no whole-file string, no
// string per line). Each line's series text (`name{labels}`) keys a per-file cache, so a series
// that repeats across millions of lines costs one Map lookup; labels are parsed only on a miss.
//
// Time:
// - samples with timestamps: OpenMetrics writes seconds, Prometheus text and promtool dump write
//   milliseconds. OpenMetrics markers (`# EOF`, `# UNIT`, `# TYPE x unknown|gaugehistogram|info|stateset`)
//   mean seconds, promtool's `{__name__=…}` lines mean milliseconds, otherwise the magnitude of the
//   first timestamp decides (> 1e11 is milliseconds: seconds that large are after the year 5000).
// - samples without timestamps (a `/metrics` scrape, or successive scrapes concatenated or in a
//   directory): a new scrape starts when a series repeats, at `# EOF`, or at a separator line holding
//   a time. A scrape's time is the separator's time, else the epoch in the file name, else
//   `--scrape-interval` × the number of scrapes read so far in this run, else 0 for a lone scrape.
//   Several scrapes with no time source are an error (MISSING_TIMESTAMPS).

import { isAscii } from 'node:buffer';
import { InputError } from '../../errors.js';
import type { FormatId } from '../../model/artifacts.js';
import { formatSelector } from '../../model/series.js';
import type { AdapterResult, IngestContext } from '../adapter.js';
import type { SampleSink, SeriesAccumulator } from '../sink.js';
import type { InputSource } from '../source.js';
import { parseNumberRange } from '../bytes/decimal.js';
import { findSeriesEnd, parseSeries, SeriesSyntaxError } from './series-text.js';
import { timeFromBareLine, timeFromFileName, timeFromSeparator } from './scrape-time.js';

/** A line longer than this is not text exposition (a binary file, or a file without newlines). */
const MAX_LINE_CHARS = 16 << 20;

const SYNTAX_HINT = 'expected `name{label="value",…} value [timestamp]`, `# HELP`/`# TYPE` comments, or promtool\'s `{__name__="…",…} value timestamp_ms`';
const MISSING_TS_HINT = 'pass --scrape-interval <seconds between scrapes>, or name each scrape file by its epoch (e.g. metrics-1700000000.prom)';

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

interface ScrapeMark {
  /** Index of the last scrape (within this file) that gave this series an untimed sample; -1 before. */
  lastScrape: number;
}

/** State shared by all files of one ingest run (the adapter is called once per file). */
interface RunState {
  /** Untimed scrapes placed by `--scrape-interval` counting so far. */
  intervalScrapes: number;
  /** Series that got an untimed sample at time 0 (no time source) from an earlier file. */
  readonly zeroTimeSeries: Set<SeriesAccumulator>;
}

const runs = new WeakMap<SampleSink, RunState>();

function runState(sink: SampleSink): RunState {
  let r = runs.get(sink);
  if (!r) runs.set(sink, (r = { intervalScrapes: 0, zeroTimeSeries: new Set() }));
  return r;
}

type TimeSource = 'separator' | 'file name' | '--scrape-interval' | 'none';

/** True when the (decompressed) head shows OpenMetrics markers. */
export function headIsOpenMetrics(headText: string): boolean {
  return /^# EOF[ \t]*\r?$/m.test(headText) || /^# UNIT /m.test(headText) || /^# TYPE \S+ (?:unknown|gaugehistogram|info|stateset)[ \t]*\r?$/m.test(headText);
}

/**
 * Bytes to a flat string. Measured here on 64 MiB of exposition text: `toString('utf8')` 80 ms,
 * `isAscii` + `toString('ascii')` 24 ms; the result is the same for ASCII, and UTF-8 text still
 * takes the UTF-8 decoder.
 */
function decode(buf: Buffer, start: number, end: number): string {
  const part = buf.subarray(start, end);
  return isAscii(part) ? part.toString('ascii') : part.toString('utf8');
}

function isoOf(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

export async function readTextExposition(src: InputSource, ctx: IngestContext): Promise<AdapterResult> {
  const sink = ctx.sink;
  const run = runState(sink);
  const interval = ctx.options.scrapeIntervalSeconds;
  const fileTime = timeFromFileName(src.path ?? src.display);

  const cache = new Map<string, SeriesState>();
  const byAcc = new Map<SeriesAccumulator, ScrapeMark>();

  let lineNo = 0;
  let omMarked = headIsOpenMetrics(src.head.toString('utf8'));
  let omReason = omMarked ? 'OpenMetrics markers' : '';
  let dumpLines = 0;
  let exemplars = 0;
  let nativeHistograms = 0;
  let pushed = 0;
  let timedSamples = 0;
  let untimedSamples = 0;

  // Timestamp unit: 0 until the first timestamp decides; then the divisor to seconds (1 or 1000).
  let tsDiv = 0;
  let tsReason = '';
  let tsMismatch = 0;
  let checkMagnitude = true;

  // Scrapes of untimed samples.
  let scrapeIdx = 0;
  let scrapeOpen = false;
  let scrapeTime = 0;
  let scrapeSource: TimeSource = 'none';
  let prevScrapeTime: number | undefined;
  let pendingSepTime: number | undefined;
  const sourcesUsed = new Set<TimeSource>();

  const syntax = (message: string, line = lineNo): InputError =>
    new InputError({ code: 'TEXT_SYNTAX', file: src.display, position: { line }, message, hint: SYNTAX_HINT });

  const openSeries = (key: string): SeriesState => {
    // Copy the key out of the 1 MiB chunk string it was sliced from, or the cache would keep every chunk alive.
    const own = Buffer.from(key, 'utf8').toString('utf8');
    let parsed;
    try {
      parsed = parseSeries(own);
    } catch (e) {
      if (e instanceof SeriesSyntaxError) throw syntax(`${e.message} (in ${JSON.stringify(own.length > 120 ? `${own.slice(0, 120)}…` : own)})`);
      throw e;
    }
    const acc = sink.open(parsed.name, parsed.labels);
    // Texts that differ only in spelling (`le="1"` / `le="1.0"`, label order) share the scrape bookkeeping.
    let shared = byAcc.get(acc);
    if (!shared) byAcc.set(acc, (shared = { lastScrape: -1 }));
    const st: SeriesState = { acc, key: own, next: undefined, scrape: shared };
    cache.set(own, st);
    return st;
  };

  const endScrape = (): void => {
    if (!scrapeOpen) return;
    prevScrapeTime = scrapeTime;
    scrapeIdx++;
    scrapeOpen = false;
  };

  const startScrape = (repeated: SeriesState | undefined): void => {
    let source: TimeSource;
    let t: number;
    if (pendingSepTime !== undefined) {
      t = pendingSepTime;
      source = 'separator';
    } else if (scrapeIdx === 0 && fileTime !== undefined) {
      t = fileTime;
      source = 'file name';
    } else if (interval !== undefined && (scrapeIdx === 0 || scrapeSource === '--scrape-interval')) {
      t = run.intervalScrapes++ * interval;
      source = '--scrape-interval';
    } else if (interval !== undefined && prevScrapeTime !== undefined) {
      t = prevScrapeTime + interval;
      source = '--scrape-interval';
    } else if (scrapeIdx === 0) {
      t = 0;
      source = 'none';
    } else {
      const what = repeated ? `${formatSelector(repeated.acc.rawName, repeated.acc.labels)} appears again` : 'a new scrape starts';
      throw new InputError({
        code: 'MISSING_TIMESTAMPS',
        file: src.display,
        position: { line: lineNo },
        message: `${what}: this file holds several scrapes without timestamps, and nothing gives the time of each${fileTime !== undefined ? ' (the file name gives one time only)' : ''}`,
        hint: MISSING_TS_HINT,
      });
    }
    pendingSepTime = undefined;
    scrapeTime = t;
    scrapeSource = source;
    sourcesUsed.add(source);
    scrapeOpen = true;
  };

  const pushUntimed = (st: SeriesState, v: number): void => {
    if (scrapeOpen && st.scrape.lastScrape === scrapeIdx) {
      endScrape();
      startScrape(st);
    } else if (!scrapeOpen) startScrape(undefined);
    if (scrapeSource === 'none' && st.scrape.lastScrape === -1) {
      if (run.zeroTimeSeries.has(st.acc)) {
        throw new InputError({
          code: 'MISSING_TIMESTAMPS',
          file: src.display,
          position: { line: lineNo },
          message: `${formatSelector(st.acc.rawName, st.acc.labels)} was already read from another scrape without timestamps; nothing gives the time of each scrape`,
          hint: MISSING_TS_HINT,
        });
      }
      run.zeroTimeSeries.add(st.acc);
    }
    st.scrape.lastScrape = scrapeIdx;
    st.acc.push(scrapeTime, v);
    untimedSamples++;
  };

  const decideUnit = (t: number): void => {
    const big = Math.abs(t) > 1e11;
    if (dumpLines > 0) {
      tsDiv = 1000;
      tsReason = 'promtool tsdb dump';
      checkMagnitude = false;
    } else if (omMarked) {
      tsDiv = big ? 1000 : 1;
      tsReason = big ? 'OpenMetrics markers, but values > 1e11 read as milliseconds' : omReason;
      if (big) {
        ctx.warn({
          code: 'TIMESTAMP_UNIT',
          file: src.display,
          message: `${src.display}: OpenMetrics timestamps are seconds, but these exceed 1e11 and were read as milliseconds (promtool would misread this file)`,
        });
      }
    } else {
      tsDiv = big ? 1000 : 1;
      tsReason = big ? 'values > 1e11' : 'values ≤ 1e11';
    }
  };

  /** A comment line `s[a, e)` (s[a] is `#`). */
  const comment = (s: string, a: number, e: number): void => {
    let i = a + 1;
    while (i < e && (s.charCodeAt(i) === 0x20 || s.charCodeAt(i) === 0x09)) i++;
    // `# HELP` and `# TYPE` are most comment lines of a scrape: recognised without slicing.
    const c0 = s.charCodeAt(i);
    const sp = s.charCodeAt(i + 4);
    if (c0 === 0x48 /* H */ && (sp === 0x20 || i + 4 === e) && s.charCodeAt(i + 1) === 0x45 && s.charCodeAt(i + 2) === 0x4c && s.charCodeAt(i + 3) === 0x50) return;
    if (c0 === 0x54 /* T */ && sp === 0x20 && s.charCodeAt(i + 1) === 0x59 && s.charCodeAt(i + 2) === 0x50 && s.charCodeAt(i + 3) === 0x45) {
      if (!omMarked) {
        const type = s.slice(i + 5, e).trim().split(/\s+/)[1];
        if (type && OM_TYPES.has(type)) {
          omMarked = true;
          omReason = `OpenMetrics # TYPE ${type}`;
        }
      }
      return;
    }
    const rest = s.slice(i, e);
    if (rest.startsWith('UNIT ')) {
      if (!omMarked) {
        omMarked = true;
        omReason = 'OpenMetrics # UNIT';
      }
      return;
    }
    if (rest === 'EOF') {
      if (!omMarked) {
        omMarked = true;
        omReason = 'OpenMetrics # EOF';
      }
      endScrape();
      return;
    }
    const t = timeFromSeparator(rest);
    if (t !== undefined) {
      endScrape();
      pendingSepTime = t;
    }
    // Any other comment is harmless and skipped.
  };

  /** Push one parsed sample (`hasT` false: no timestamp in the line). */
  const store = (st: SeriesState, v: number, hasT: boolean, t: number): void => {
    if (hasT) {
      if (tsDiv === 0) decideUnit(t);
      else if (checkMagnitude && Math.abs(t) > 1e11 !== (tsDiv === 1000)) tsMismatch++;
      st.acc.push(tsDiv === 1 ? t : t / tsDiv, v);
      timedSamples++;
    } else pushUntimed(st, v);
    pushed++;
  };

  /** Cached series for the series text `s[a, se)`; undefined when it is new and does not parse as a series. */
  // Measured here: `slice` + `===` against the predicted text ≈ 90 ns a line, `Map.get` (hashing
  // the text) ≈ 300 ns, `startsWith(prev, pos)` ≈ 600 ns.
  let prevState: SeriesState | undefined;
  const lookup = (s: string, a: number, se: number): SeriesState | undefined => {
    const key = s.slice(a, se);
    const p = prevState;
    if (p !== undefined) {
      const n = p.next;
      if (n !== undefined && n.key === key) return (prevState = n);
    }
    let st = cache.get(key);
    if (st === undefined) {
      try {
        parseSeries(key);
      } catch {
        return undefined;
      }
      if (s.charCodeAt(a) === 0x7b) dumpLines++;
      st = openSeries(key);
    }
    if (p !== undefined) p.next = st;
    return (prevState = st);
  };

  /** Positions of the next `#` and the next `} ` in the current chunk string (found natively, reused until passed). */
  let hashPos = -1;
  let bracePos = -1;

  /**
   * Fast path for a sample line `s[a, e)` holding no `#`, in the layout every exporter writes:
   * `series value[ timestamp]` with single spaces. The series text ends at the first `} ` (or the
   * first space for a bare name); it is only trusted when it is a cached series or parses as one,
   * so a label value holding `} ` just takes the full parse. Native `indexOf` does the scanning:
   * per-character loops in JS cost several times more. Returns false when the line needs the full parse.
   */
  const fastSample = (s: string, a: number, e: number): boolean => {
    if (hashPos !== -1 && hashPos < a) hashPos = s.indexOf('#', a);
    if (hashPos !== -1 && hashPos < e) return false;
    if (bracePos !== -1 && bracePos < a) bracePos = s.indexOf('} ', a);
    let se: number;
    if (bracePos !== -1 && bracePos < e) se = bracePos + 1;
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
    const st = lookup(s, a, se);
    if (st === undefined) return false;
    store(st, v, hasT, t);
    return true;
  };

  /** A sample line `s[a, e)`, trimmed. */
  const sample = (s: string, a: number, e: number): void => {
    if (fastSample(s, a, e)) return;
    let se: number;
    try {
      se = findSeriesEnd(s, a, e);
    } catch (err) {
      if (!(err instanceof SeriesSyntaxError)) throw err;
      const t = timeFromBareLine(s.slice(a, e));
      if (t !== undefined) {
        endScrape();
        pendingSepTime = t;
        return;
      }
      throw syntax(`${err.message}: ${JSON.stringify(s.slice(a, Math.min(e, a + 80)))}`);
    }
    let i = se;
    let c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09) {
      if (s.charCodeAt(se - 1) !== 0x7d || i >= e) {
        const t = timeFromBareLine(s.slice(a, e));
        if (t !== undefined) {
          endScrape();
          pendingSepTime = t;
            return;
        }
        throw syntax(i >= e ? `no value after ${JSON.stringify(s.slice(a, se))}` : `unexpected ${JSON.stringify(s[i])} after the metric name ${JSON.stringify(s.slice(a, se))}`);
      }
    }
    while (i < e && ((c = s.charCodeAt(i)) === 0x20 || c === 0x09)) i++;
    const vs = i;
    while (i < e && (c = s.charCodeAt(i)) !== 0x20 && c !== 0x09) i++;
    if (vs === i) throw syntax(`no value after ${JSON.stringify(s.slice(a, se))}`);
    const v = parseNumberRange(s, vs, i);
    if (v === undefined) {
      if (s.charCodeAt(vs) === 0x7b) {
        // promtool prints native histogram samples as `{count:…, sum:…, …}`: not a float sample.
        nativeHistograms++;
        return;
      }
      const t = timeFromBareLine(s.slice(a, e)); // `date` output between scrapes: `Tue Nov 21 12:00:00 UTC 2023`
      if (t !== undefined) {
        endScrape();
        pendingSepTime = t;
        return;
      }
      throw syntax(`value ${JSON.stringify(s.slice(vs, i))} is not a number`);
    }
    const key = s.slice(a, se);
    let st = cache.get(key);
    if (st === undefined) {
      if (s.charCodeAt(a) === 0x7b) dumpLines++;
      st = openSeries(key);
    }
    while (i < e && ((c = s.charCodeAt(i)) === 0x20 || c === 0x09)) i++;
    if (i < e && c !== 0x23 /* # */) {
      const ts = i;
      while (i < e && (c = s.charCodeAt(i)) !== 0x20 && c !== 0x09) i++;
      const t = parseNumberRange(s, ts, i);
      if (t === undefined || !Number.isFinite(t)) throw syntax(`timestamp ${JSON.stringify(s.slice(ts, i))} is not a number`);
      while (i < e && ((c = s.charCodeAt(i)) === 0x20 || c === 0x09)) i++;
      if (i < e) {
        if (c !== 0x23) throw syntax(`unexpected text after the timestamp: ${JSON.stringify(s.slice(i, Math.min(e, i + 40)))}`);
        exemplars++;
      }
      store(st, v, true, t);
    } else {
      if (i < e) exemplars++;
      store(st, v, false, 0);
    }
  };

  /** Parse the complete lines of `s[0, end)`; `end` is just past a newline. */
  const lines = (s: string, end: number): void => {
    let pos = 0;
    hashPos = s.indexOf('#');
    bracePos = s.indexOf('} ');
    while (pos < end) {
      let nl = s.indexOf('\n', pos);
      if (nl === -1 || nl >= end) nl = end;
      lineNo++;
      let e = nl;
      let c = 0;
      while (e > pos && ((c = s.charCodeAt(e - 1)) === 0x0d || c === 0x20 || c === 0x09)) e--;
      let a = pos;
      while (a < e && ((c = s.charCodeAt(a)) === 0x20 || c === 0x09)) a++;
      if (a < e) {
        if (c === 0x23) comment(s, a, e);
        else sample(s, a, e);
      }
      pos = nl + 1;
    }
  };

  // Each chunk is decoded from just after its first newline to its last one (a newline byte never
  // occurs inside a UTF-8 sequence): one flat string per chunk, no copy of the chunk. The line that
  // straddles two chunks is decoded on its own from the carried bytes. (Character access on a
  // concatenated string is much slower than on a flat one.)
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let first = true;
  for await (let chunk of src.chunks()) {
    if (first) {
      if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) chunk = chunk.subarray(3); // UTF-8 byte-order mark
      first = false;
    }
    const nl = chunk.indexOf(0x0a);
    if (nl === -1) {
      carry.push(chunk);
      carryBytes += chunk.length;
      if (carryBytes > MAX_LINE_CHARS) throw syntax(`line longer than ${MAX_LINE_CHARS >> 20} MiB: not a text exposition`, lineNo + 1);
      continue;
    }
    let from = 0;
    if (carryBytes > 0) {
      carry.push(chunk.subarray(0, nl + 1));
      const line = decode(Buffer.concat(carry), 0, carryBytes + nl + 1);
      lines(line, line.length);
      carry = [];
      carryBytes = 0;
      from = nl + 1;
    }
    const last = chunk.lastIndexOf(0x0a);
    if (last >= from) {
      const text = decode(chunk, from, last + 1);
      lines(text, text.length);
    }
    if (last + 1 < chunk.length) {
      // Copy: the stream may reuse the chunk's memory.
      const rest = Buffer.from(chunk.subarray(last + 1));
      carry.push(rest);
      carryBytes += rest.length;
    }
    sink.countSamples(pushed);
    pushed = 0;
  }
  if (carryBytes > 0) {
    const text = decode(Buffer.concat(carry), 0, carryBytes);
    lines(text, text.length);
    sink.countSamples(pushed);
    pushed = 0;
  }

  // What was read, in words.
  const parts: string[] = [];
  const format: FormatId = dumpLines > 0 ? 'promtool-dump' : omMarked ? 'openmetrics' : 'prometheus-text';
  if (timedSamples) parts.push(`timestamps in ${tsDiv === 1 ? 'seconds' : 'milliseconds'} (${tsReason})`);
  if (untimedSamples) {
    const scrapes = scrapeIdx + (scrapeOpen ? 1 : 0);
    const src0 = [...sourcesUsed];
    const how = src0
      .map((s) =>
        s === 'file name' ? `time ${isoOf(fileTime!)} from the file name` : s === 'separator' ? 'times from separator lines' : s === '--scrape-interval' ? `times from --scrape-interval ${interval} s` : 'time 0 (no time source)',
      )
      .join(', ');
    parts.push(`${scrapes === 1 ? 'single scrape' : `${scrapes} scrapes`}, no timestamps; ${how}`);
  }
  if (!timedSamples && !untimedSamples) parts.push('no samples');
  if (exemplars) parts.push(`${exemplars} exemplars ignored`);
  if (nativeHistograms) {
    parts.push(`${nativeHistograms} native histogram samples skipped`);
    ctx.warn({
      code: 'NATIVE_HISTOGRAM_SKIPPED',
      file: src.display,
      count: nativeHistograms,
      message: `${src.display}: ${nativeHistograms} native histogram samples were skipped (only classic _bucket/_sum/_count histograms are read)`,
    });
  }
  if (timedSamples && untimedSamples) {
    ctx.warn({
      code: 'MIXED_TIMESTAMPS',
      file: src.display,
      count: untimedSamples,
      message: `${src.display}: ${untimedSamples} samples have no timestamp while ${timedSamples} do; the untimed ones were placed at their scrape's time (${[...sourcesUsed].join(', ')})`,
    });
  }
  if (tsMismatch) {
    ctx.warn({
      code: 'TIMESTAMP_UNIT',
      file: src.display,
      count: tsMismatch,
      message: `${src.display}: ${tsMismatch} timestamps have a different magnitude than the first one (read as ${tsDiv === 1 ? 'seconds' : 'milliseconds'}); the file may mix units`,
    });
  }
  return { format, detail: parts.join('; ') };
}
