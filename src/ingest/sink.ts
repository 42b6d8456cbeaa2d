// The one place where samples from every adapter land: resolves names through the catalog, merges
// series with the same canonical name and labels across files, and turns odd-but-usable data
// (out-of-order, duplicate timestamps, NaN, single samples, renamed metrics) into warnings.

import { limitError, limits } from '../limits.js';
import { resolveMetricName } from '../model/metric-catalog.js';
import { canonicalLabels, labelsKey, type InputWarning, type Labels, type SampleValues, type Series } from '../model/series.js';
import { sharedCopy, sharedFloat64, sharedInt32 } from '../model/shared-memory.js';
import { SeriesAccumulator, TimePool } from './accumulator.js';

// The per-series storage lives in accumulator.ts; importers of sink.js keep finding it here.
export { MAX_TIME_SECONDS, MIN_TIME_SECONDS, SeriesAccumulator, TimePool, isInt32 } from './accumulator.js';

export interface SinkStats {
  samples: number;
  series: number;
}

/** Collects samples from all inputs of one run. */
export class SampleSink {
  private readonly accs = new Map<string, SeriesAccumulator>();
  private readonly times = new TimePool();
  readonly warnings: InputWarning[] = [];
  /** Raw names that were renamed by alias, per canonical name (to report mixed versions). */
  private readonly aliasUse = new Map<string, Set<string>>();
  /** Per-file counters, for the inventory. */
  private readonly perFile = new Map<string, SinkStats>();
  private currentFile = '';
  private currentStats: SinkStats = { samples: 0, series: 0 };

  /** Adapters call this before pushing the samples of one input. */
  beginFile(file: string): void {
    this.currentFile = file;
    let s = this.perFile.get(file);
    if (!s) this.perFile.set(file, (s = { samples: 0, series: 0 }));
    this.currentStats = s;
  }

  fileStats(file: string): SinkStats {
    return this.perFile.get(file) ?? { samples: 0, series: 0 };
  }

  /** docs/limits.md: a new series within the series count and name/label length limits (src/limits.ts). */
  private checkLimits(rawName: string, labels: Labels): void {
    if (this.accs.size >= limits.maxSeries) {
      throw limitError(this.currentFile || undefined, `more than ${limits.maxSeries.toLocaleString('en-US')} distinct series (--max-series)`, '--max-series');
    }
    const max = limits.maxLabelLength;
    if (rawName.length > max) throw limitError(this.currentFile || undefined, `a metric name of ${rawName.length.toLocaleString('en-US')} characters, over ${max.toLocaleString('en-US')} (--max-label-length)`, '--max-label-length');
    for (const k in labels) {
      const v = labels[k];
      if (k.length > max || v.length > max) throw limitError(this.currentFile || undefined, `label ${JSON.stringify(k.slice(0, 40))} of ${Math.max(k.length, v.length).toLocaleString('en-US')} characters, over ${max.toLocaleString('en-US')} (--max-label-length)`, '--max-label-length');
    }
  }

  /** Open (or re-open) the series of a raw metric name and label set. `__name__` must not be in labels. */
  open(rawName: string, rawLabels: Labels, expectedSamples = 64): SeriesAccumulator {
    const resolved = resolveMetricName(rawName);
    const labels = canonicalLabels(rawLabels);
    // Alias and canonical raw names are kept apart until finish(): when both exist for the same
    // labels (vLLM 0.10/0.11 emit the old and new names side by side), the canonical one wins.
    const key = `${resolved.viaAlias ? '~' : ''}${resolved.name}{${labelsKey(labels)}}`;
    let acc = this.accs.get(key);
    if (!acc) {
      this.checkLimits(rawName, labels);
      acc = new SeriesAccumulator(rawName, resolved, labels, Math.max(4, expectedSamples), this.times);
      this.accs.set(key, acc);
      if (resolved.viaAlias) {
        let set = this.aliasUse.get(resolved.name);
        if (!set) this.aliasUse.set(resolved.name, (set = new Set()));
        set.add(rawName.replace(/_(bucket|sum|count|created|total)$/, ''));
      }
    }
    if (!acc.files.has(this.currentFile)) {
      acc.files.add(this.currentFile);
      this.currentStats.series++;
    }
    return acc;
  }

  /** Count samples pushed for the current file (adapters call once per batch, not per sample). */
  countSamples(n: number): void {
    this.currentStats.samples += n;
  }

  /** Convenience for slow paths: push one sample. */
  add(rawName: string, labels: Labels, tSeconds: number, value: number): void {
    this.open(rawName, labels).push(tSeconds, value);
    this.currentStats.samples++;
  }

  warn(w: InputWarning): void {
    this.warnings.push(w);
  }

  /** Build the final, sorted, de-duplicated series and the warnings about them. */
  finish(): { series: Series[]; warnings: InputWarning[] } {
    const out: Series[] = [];
    let unorderedSeries = 0;
    let dupSamples = 0;
    let nanSamples = 0;
    let infSamples = 0;
    let badTimeSamples = 0;
    let badTimeExample = NaN;
    const infMetrics = new Set<string>();
    let singleSample = 0;
    let droppedAliases = 0;
    const nanMetrics = new Set<string>();
    const canonicalKeys = new Set<string>();
    for (const key of this.accs.keys()) if (!key.startsWith('~')) canonicalKeys.add(key);

    const times = new TimeInterner();
    const keys = [...this.accs.keys()].sort();
    for (const key of keys) {
      const acc = this.accs.get(key)!;
      if (key.startsWith('~') && canonicalKeys.has(key.slice(1))) {
        droppedAliases++;
        continue;
      }
      nanSamples += acc.nanCount;
      if (acc.nanCount) nanMetrics.add(acc.resolved.name);
      infSamples += acc.infCount;
      if (acc.infCount) infMetrics.add(acc.resolved.name);
      if (acc.badTimeCount && badTimeSamples === 0) badTimeExample = acc.badTimeExample;
      badTimeSamples += acc.badTimeCount;
      const taken = acc.take();
      let t = taken.t;
      let v = taken.v;
      if (acc.unordered) {
        const sorted = sortDedup(t, v);
        if (sorted.reordered) unorderedSeries++;
        dupSamples += sorted.duplicates;
        t = sorted.t;
        v = sorted.v;
      }
      if (t.length === 0) continue;
      if (t.length === 1) singleSample++;
      // Copy out of over-allocated buffers so memory matches what is kept; exact blocks (a series
      // read in one batch, or joined by take()) are handed over without a copy.
      const exact = acc.unordered ? v.byteLength === v.buffer.byteLength : taken.exact;
      const series: Series = { name: acc.resolved.name, labels: acc.labels, t: acc.unordered ? times.intern(t, false) : times.internPrefix(t), v: exact ? v : sharedCopy(v) };
      out.push(acc.rawName !== acc.resolved.name ? { ...series, rawName: acc.rawName } : series);
      acc.release();
    }
    const w = [...this.warnings];
    if (unorderedSeries) w.push({ code: 'OUT_OF_ORDER', count: unorderedSeries, message: `${unorderedSeries} series had out-of-order samples; they were sorted by time` });
    if (dupSamples) w.push({ code: 'DUPLICATE_TIMESTAMPS', count: dupSamples, message: `${dupSamples} samples repeated an earlier timestamp of their series; the last value read was kept` });
    if (nanSamples) w.push({ code: 'NAN_SAMPLES', count: nanSamples, message: `${nanSamples} NaN samples were dropped (${[...nanMetrics].sort().slice(0, 5).join(', ')}${nanMetrics.size > 5 ? ', …' : ''})` });
    if (infSamples) w.push({ code: 'INFINITE_SAMPLES', count: infSamples, message: `${infSamples} +Inf/-Inf samples were dropped (${[...infMetrics].sort().slice(0, 5).join(', ')}${infMetrics.size > 5 ? ', …' : ''})` });
    if (badTimeSamples) {
      w.push({
        code: 'TIMESTAMP_OUT_OF_RANGE',
        count: badTimeSamples,
        message: `${badTimeSamples} samples with a timestamp outside 1970–9999 were dropped (e.g. ${badTimeExample} s); is the time unit right?`,
      });
    }
    const timeful = out.some((s) => s.t.length > 1);
    if (singleSample && timeful) w.push({ code: 'SINGLE_SAMPLE_SERIES', count: singleSample, message: `${singleSample} series have a single sample; no rate or trend can be computed from them` });
    if (droppedAliases) w.push({ code: 'DUPLICATE_ALIAS', count: droppedAliases, message: `${droppedAliases} series were exported under both an old and a new vLLM name; the new name was kept` });
    // Canonical names read directly (not through an alias): their presence next to an alias means the
    // input mixes vLLM versions.
    const direct = new Set<string>();
    for (const [key, acc] of this.accs) if (!key.startsWith('~')) direct.add(acc.resolved.name);
    for (const [canonical, raws] of [...this.aliasUse].sort()) {
      const mixed = direct.has(canonical);
      w.push({
        code: 'RENAMED_METRIC',
        metric: canonical,
        message: `${[...raws].sort().join(', ')} read as ${canonical} (older vLLM name)${mixed ? '; the input mixes vLLM versions' : ''}`,
      });
    }
    return { series: out, warnings: w };
  }
}

/**
 * Series scraped together have identical timestamp arrays (every series of one target shares the
 * scrape times). Sharing one array between them halves the memory of the samples kept: a week of
 * 10 s data for 8 replicas is 141M samples, 2.3 GB as separate (t, v) pairs, 1.2 GB with shared t.
 * Arrays are compared in full before they are shared; `Series.t` is never mutated after ingest.
 */
class TimeInterner {
  private readonly byKey = new Map<string, Float64Array[]>();
  /** Prefixes of one shared column already interned, by column buffer and length: no re-compare. */
  private readonly byColumn = new Map<ArrayBufferLike, Map<number, Float64Array>>();

  /** `intern` for a prefix of a shared column (most series): cached per (column, length). */
  internPrefix(t: Float64Array): Float64Array {
    if (t.byteOffset !== 0) return this.intern(t, true);
    let m = this.byColumn.get(t.buffer);
    if (!m) this.byColumn.set(t.buffer, (m = new Map()));
    let hit = m.get(t.length);
    if (!hit) m.set(t.length, (hit = this.intern(t, true)));
    return hit;
  }

  /** The shared array equal to `t`, or `t` itself (copied out of its buffer when `copy`). */
  intern(t: Float64Array, copy: boolean): Float64Array {
    const n = t.length;
    const key = `${n}:${t[0]}:${t[n - 1]}:${t[n >> 1]}`;
    let list = this.byKey.get(key);
    if (!list) this.byKey.set(key, (list = []));
    for (const c of list) if (sameArray(c, t)) return c;
    const own = copy ? sharedCopy(t) : t;
    if (list.length < 8) list.push(own);
    return own;
  }
}

function sameArray(a: Float64Array, b: Float64Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Stable sort by time; for equal timestamps the last pushed value wins. */
function sortDedup(t: Float64Array, v: SampleValues): { t: Float64Array; v: SampleValues; duplicates: number; reordered: boolean } {
  const n = t.length;
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  let reordered = false;
  for (let i = 1; i < n; i++) if (t[i] < t[i - 1]) { reordered = true; break; }
  if (reordered) idx.sort((a, b) => t[a] - t[b] || a - b);
  const ot = sharedFloat64(n);
  const ov = v instanceof Int32Array ? sharedInt32(n) : sharedFloat64(n);
  let m = 0;
  let duplicates = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    if (m > 0 && ot[m - 1] === t[i]) {
      ov[m - 1] = v[i];
      duplicates++;
    } else {
      ot[m] = t[i];
      ov[m] = v[i];
      m++;
    }
  }
  return { t: ot.subarray(0, m), v: ov.subarray(0, m), duplicates, reordered };
}

