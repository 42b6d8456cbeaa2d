// One series object of a Prometheus API result — `metric` plus `values` (matrix) or `value` (vector),
// in any order — read from a JsonByteReader and handed to a target when it ends. Shared by the file
// reader (reader.ts, target: the sample sink) and the range workers of the parallel reader
// (range-worker.ts, target: blocks sent back to the main thread).

import type { Labels, SampleValues } from '../../model/series.js';
import type { InputError } from '../../errors.js';
import { type JsonByteReader, describeByte } from '../bytes/json-reader.js';
import type { ValueSlabs } from '../value-slabs.js';
import { PairScanner } from './pairs.js';

/** Name given to series whose `metric` has no `__name__` (results of expressions like `rate(…)`). */
export const UNNAMED_METRIC = '__unnamed__';

export type SeriesKind = 'matrix' | 'vector' | 'histogram' | 'none';

/** Where a finished series goes. `t` is a scratch array, valid for [0, n) until the call returns;
 * `kind` is the samples' `batchKind`. Unless it is BATCH_HAS_BAD, `v` is the stored block — exactly
 * `n` values in shared memory, an Int32Array for BATCH_INT32 — for the target to keep; otherwise `v`
 * too is scratch, valid for [0, n) until the call returns. */
export interface SeriesTarget {
  take(name: string, labels: Labels, atAbs: number, t: Float64Array, v: SampleValues, n: number, kind: number): void;
}

/** What a run of series objects adds to a file's tallies (for warnings and the detail line). */
export interface SeriesTallies {
  unnamed: number;
  badValues: number;
  nativeHistograms: number;
}

export class SeriesObjectReader {
  /** The `values` scanner (a series is handed to the target when it ends, so the target gets its
   * exact size and `metric` may come after `values`). */
  private readonly pairs: PairScanner;
  private unnamed = 0;
  private nativeHistograms = 0;

  constructor(
    private readonly r: JsonByteReader,
    private readonly shapeError: (message: string, abs: number) => InputError,
    private readonly target: SeriesTarget,
    /** Where values are stored (a range worker keeps one across its ranges). */
    slabs?: ValueSlabs,
  ) {
    this.pairs = new PairScanner(r, shapeError, slabs);
  }

  tallies(): SeriesTallies {
    return { unnamed: this.unnamed, badValues: this.pairs.badValues, nativeHistograms: this.nativeHistograms };
  }

  /** Add tallies of series read elsewhere (a range worker's). */
  addTallies(t: SeriesTallies): void {
    this.unnamed += t.unnamed;
    this.pairs.badValues += t.badValues;
    this.nativeHistograms += t.nativeHistograms;
  }

  /** One series object at the read position. */
  async read(): Promise<SeriesKind> {
    const r = this.r;
    const startAbs = r.offset;
    let metric: Record<string, unknown> | undefined;
    let kind = 'none' as SeriesKind;
    let hasSamples = false;
    this.pairs.reset();
    await r.object(async (key) => {
      switch (key) {
        case 'metric': {
          const { value, startAbs: at } = await r.captureJson();
          if (value === null || typeof value !== 'object' || Array.isArray(value)) throw this.shapeError('"metric" must be an object of label names to values', at);
          metric = value as Record<string, unknown>;
          break;
        }
        case 'values': {
          const c = await r.peek();
          if (c !== 0x5b) throw this.shapeError(`"values" must be an array of [time, "value"] pairs, found ${describeByte(c)}`, r.offset);
          await this.pairs.read(false);
          kind = 'matrix';
          hasSamples = true;
          break;
        }
        case 'value': {
          const c = await r.peek();
          if (c !== 0x5b) throw this.shapeError(`"value" must be a [time, "value"] pair, found ${describeByte(c)}`, r.offset);
          await this.pairs.read(true);
          if (kind !== 'matrix') kind = 'vector';
          hasSamples = true;
          break;
        }
        case 'histograms':
        case 'histogram':
          await r.skipValue();
          this.nativeHistograms++;
          if (kind === 'none') kind = 'histogram';
          break;
        default:
          await r.skipValue();
      }
    });
    if (metric === undefined && !hasSamples && kind !== 'histogram') throw this.shapeError('a series object needs "metric" and "values" (or "value")', startAbs);
    this.flush(metric ?? {}, startAbs);
    return kind;
  }

  /** Hand the samples of the series just read to the target. */
  private flush(metric: Record<string, unknown>, atAbs: number): void {
    let name = UNNAMED_METRIC;
    const labels: Record<string, string> = Object.create(null); // keys from the input: `__proto__` is a label
    for (const key of Object.keys(metric)) {
      const v = metric[key];
      if (typeof v !== 'string') throw this.shapeError(`label ${JSON.stringify(key)} has a ${v === null ? 'null' : typeof v} value; label values are strings`, atAbs);
      if (key === '__name__') name = v;
      else labels[key] = v;
    }
    if (name === UNNAMED_METRIC) this.unnamed++;
    const p = this.pairs;
    const k = p.k;
    if (k === 0) return;
    const kind = p.seal();
    this.target.take(name, labels as Labels, atAbs, p.st, p.values, k, kind);
    p.reset();
  }
}
