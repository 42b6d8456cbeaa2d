// Prometheus HTTP API JSON, the structure: responses (object or bare `data.result` array, several
// one after another), `status`/`error`/`warnings`/`infos`, `data.resultType`/`result`, series objects
// with `metric` and `values`/`value` in any order. The pairs themselves are scanned by pairs.ts.

import type { AdapterResult, IngestContext } from '../adapter.js';
import { chunkRing, type InputSource } from '../source.js';
import { InputError, withPosition } from '../../errors.js';
import { JsonByteReader, describeByte } from '../bytes/json-reader.js';
import { SeriesObjectReader, UNNAMED_METRIC, type SeriesTarget } from './series-object.js';
import type { RangeHandoff } from './parallel.js';
import type { Labels } from '../../model/series.js';
import type { SampleSink } from '../sink.js';
import { BATCH_HAS_BAD, type SeriesAccumulator } from '../accumulator.js';

export { UNNAMED_METRIC };

/** A response's `warnings` and `infos`, as warnings of the input (also for series fetched into memory). */
export function serverWarnings(ctx: IngestContext, file: string, warnings: readonly string[], infos: readonly string[]): void {
  const w = (code: string, message: string, count: number) => ctx.warn({ code, message, file, count });
  if (warnings.length) w('PROMETHEUS_WARNING', `Prometheus warned: ${warnings.slice(0, 3).join('; ')}${warnings.length > 3 ? '; …' : ''}`, warnings.length);
  if (infos.length) w('PROMETHEUS_INFO', `Prometheus noted: ${infos.slice(0, 3).join('; ')}${infos.length > 3 ? '; …' : ''}`, infos.length);
}

type ResultShape = 'matrix' | 'vector' | 'scalar' | 'string' | 'empty' | 'unknown';

/** Per-file reader: walks responses, series and pairs, and hands samples to the sink. */
export class PromJsonReader {
  private readonly r: JsonByteReader;
  private readonly file: string;
  private readonly src: InputSource;
  /** Series objects, handed to the sink when each ends. */
  private readonly objects: SeriesObjectReader;
  // Per-file tallies for warnings and the detail line (those of series objects are in `objects`).
  private ignoredScalars = 0;
  private emptyResults = 0;
  private responses = 0;
  private bare = false;
  private readonly shapes = new Set<ResultShape>();
  private readonly promWarnings: string[] = [];
  private readonly promInfos: string[] = [];
  /** Read buffers of the reads after a worker's range (reused: there may be hundreds). */
  private seekRing?: Buffer[];

  /** `handoff`: ranges of the file read by worker threads (parallel.ts), taken over when reached. */
  constructor(
    src: InputSource,
    private readonly ctx: IngestContext,
    private readonly handoff?: RangeHandoff,
  ) {
    this.src = src;
    this.r = new JsonByteReader(src.display, src.chunks());
    this.file = src.display;
    this.objects = new SeriesObjectReader(this.r, (message, abs) => this.shapeError(message, abs), sinkTarget(ctx));
  }

  /** Stop reading (closes the file when the walk ended early, on an error). */
  close(): Promise<void> {
    return this.r.close();
  }

  private shapeError(message: string, abs: number, hint?: string): InputError {
    return new InputError({
      code: 'NOT_PROMETHEUS_RESPONSE',
      file: this.file,
      position: { byte: abs },
      message,
      hint: hint ?? 'expected the JSON of /api/v1/query_range or /api/v1/query: {"status":"success","data":{"resultType":"matrix","result":[{"metric":{…},"values":[[1700000000,"1"],…]}]}}',
    });
  }

  async readAll(): Promise<AdapterResult> {
    const r = this.r;
    // UTF-8 byte order mark.
    let c = await r.peek();
    if (c === 0xef) {
      while (r.buf.length - r.pos < 3 && (await r.fill()));
      if (r.buf[r.pos + 1] === 0xbb && r.buf[r.pos + 2] === 0xbf) r.pos += 3;
      c = await r.peek();
    }
    if (c < 0) throw new InputError({ code: 'EMPTY_INPUT', file: this.file, message: 'input is empty' });
    for (;;) {
      if (c === 0x7b) await this.response();
      else if (c === 0x5b) {
        this.bare = true;
        this.responses++;
        await this.resultArray(true);
      } else if (this.responses === 0) throw this.shapeError(`a Prometheus API response is a JSON object or the array of its data.result; found ${describeByte(c)}`, r.offset);
      else throw r.syntaxError(`unexpected ${describeByte(c)} after the end of the JSON value`);
      c = await r.peek();
      if (c < 0) break;
      // Several responses one after another (JSON Lines / concatenated `curl` outputs).
      if (c !== 0x7b && c !== 0x5b) throw r.syntaxError(`unexpected ${describeByte(c)} after the end of the JSON value`);
    }
    this.emitWarnings();
    return { detail: this.detail() };
  }

  private async response(): Promise<void> {
    const r = this.r;
    const startAbs = r.offset;
    let status: string | undefined;
    let errorType: string | undefined;
    let error: string | undefined;
    let sawData = false;
    let shape: ResultShape | undefined;
    await r.object(async (key, keyAbs) => {
      switch (key) {
        case 'status':
          status = await this.stringValue(key);
          break;
        case 'errorType':
          errorType = await this.stringValue(key);
          break;
        case 'error':
          error = await this.stringValue(key);
          break;
        case 'warnings':
        case 'infos': {
          const { value, startAbs: at } = await r.captureJson();
          if (!Array.isArray(value)) throw this.shapeError(`"${key}" must be an array of strings`, at);
          for (const w of value) (key === 'warnings' ? this.promWarnings : this.promInfos).push(String(w));
          break;
        }
        case 'data': {
          if ((await r.peek()) === 0x6e) {
            // "data": null (error bodies may carry it)
            await r.skipValue();
            break;
          }
          if ((await r.peek()) !== 0x7b) throw this.shapeError('"data" must be an object with "resultType" and "result"', r.offset);
          sawData = true;
          shape = await this.data(keyAbs);
          break;
        }
        default:
          await r.skipValue();
      }
    });
    this.responses++;
    if (status === 'error' || ((errorType !== undefined || error !== undefined) && !sawData)) {
      throw new InputError({
        code: 'PROMETHEUS_ERROR',
        file: this.file,
        // the position helps only when the error body is one of several responses in the file
        ...(startAbs > 0 ? { position: { byte: startAbs } } : {}),
        message: `Prometheus answered with an error: ${errorType ?? 'unknown error type'}: ${error ?? '(no message)'}`,
        hint: errorType === 'bad_data' ? 'fix the query parameters (PromQL, start/end/step; at most 11,000 points per series) and export again' : 'fix the query or the server and export again; this file holds no samples',
      });
    }
    if (!sawData) {
      throw this.shapeError(status === undefined ? 'this JSON object is not a Prometheus API response (no "status" or "data")' : 'the response has no "data"', startAbs);
    }
    if (shape) this.shapes.add(shape);
  }

  private async stringValue(key: string): Promise<string> {
    const c = await this.r.peek();
    if (c !== 0x22) throw this.shapeError(`"${key}" must be a string, found ${describeByte(c)}`, this.r.offset);
    return this.r.readString();
  }

  private async data(dataAbs: number): Promise<ResultShape> {
    const r = this.r;
    let resultType: string | undefined;
    let seen: ResultShape | undefined;
    await r.object(async (key) => {
      if (key === 'resultType') resultType = await this.stringValue(key);
      else if (key === 'result') {
        const c = await r.peek();
        if (c !== 0x5b) throw this.shapeError(`"result" must be an array, found ${describeByte(c)}`, r.offset);
        seen = await this.resultArray(false);
      } else await r.skipValue();
    });
    if (seen === undefined) throw this.shapeError('"data" has no "result"', dataAbs);
    if (resultType === 'scalar' || resultType === 'string') {
      if (seen !== 'scalar' && seen !== 'empty') throw this.shapeError(`resultType "${resultType}" but the result holds series`, dataAbs);
      return resultType;
    }
    if (seen === 'scalar') {
      if (resultType === 'matrix' || resultType === 'vector') throw this.shapeError(`resultType "${resultType}" but the result is a single [time, value] pair`, dataAbs);
      return 'scalar';
    }
    if (seen === 'empty') {
      this.emptyResults++;
      return resultType === 'matrix' || resultType === 'vector' ? resultType : 'empty';
    }
    if (resultType === 'matrix' || resultType === 'vector') return resultType;
    return seen;
  }

  /** The `result` array (or a bare one): series objects, or a scalar/string `[t, v]` pair. */
  private async resultArray(bare: boolean): Promise<ResultShape> {
    const r = this.r;
    let kind = 'empty' as ResultShape;
    let vectors = 0;
    let matrices = 0;
    await r.array(async (index, c) => {
      if (c === 0x7b) {
        if (kind === 'scalar') throw this.shapeError('a result mixes series and plain values', r.offset);
        kind = 'unknown';
        const run = this.handoff?.reach(r.offset);
        if (run) {
          // A worker read the series objects from here on: theirs, in file order; go on after them.
          const got = await run;
          if (got && got.endAbs > r.offset) {
            matrices += got.matrices;
            vectors += got.vectors;
            this.objects.addTallies(got.tallies);
            this.handoff!.apply(got, this.ctx.sink);
            // One set of read buffers for every seek (the previous read ends before the next starts).
            await r.seek(got.endAbs, this.src.chunksFrom!(got.endAbs, (this.seekRing ??= chunkRing())));
            return;
          }
        }
        const s = await this.objects.read();
        if (s === 'matrix') matrices++;
        else if (s === 'vector') vectors++;
      } else {
        // A scalar or string result is one [time, value] pair: a number first.
        const startsPair = index === 0 && (c === 0x2d || (c - 0x30) >>> 0 < 10);
        if (startsPair) kind = 'scalar';
        else if (kind !== 'scalar') throw this.shapeError(`expected a series object {"metric":…}, found ${describeByte(c)}`, r.offset);
        await r.skipValue();
      }
    });
    if (kind === 'scalar') {
      this.ignoredScalars++;
      return 'scalar';
    }
    if (kind === 'empty') {
      if (bare) this.emptyResults++;
      return 'empty';
    }
    if (bare) this.shapes.add(matrices >= vectors ? 'matrix' : 'vector');
    return matrices === 0 && vectors > 0 ? 'vector' : matrices > 0 ? 'matrix' : 'unknown';
  }

  private emitWarnings(): void {
    const w = (code: string, message: string, count?: number) => this.ctx.warn({ code, message, file: this.file, ...(count !== undefined ? { count } : {}) });
    const { unnamed, badValues, nativeHistograms } = this.objects.tallies();
    if (unnamed) w('UNNAMED_SERIES', `${unnamed} series have no __name__ (results of an expression such as rate(…)); they were read under the name ${UNNAMED_METRIC} — export the raw metrics to have them recognised`, unnamed);
    if (badValues) w('BAD_SAMPLE_VALUE', `${badValues} sample values were not numbers and were skipped`, badValues);
    if (nativeHistograms) w('NATIVE_HISTOGRAM_SKIPPED', `${nativeHistograms} series carry native-histogram samples, which are not read; export classic _bucket series instead`, nativeHistograms);
    if (this.ignoredScalars) w('SCALAR_RESULT_IGNORED', `${this.ignoredScalars === 1 ? 'a scalar or string result was' : `${this.ignoredScalars} scalar or string results were`} ignored: it has no labels or series to analyse`, this.ignoredScalars);
    if (this.emptyResults) w('EMPTY_RESULT', `${this.emptyResults === 1 ? 'the query returned' : `${this.emptyResults} queries returned`} no series (empty result); check the metric names, labels and time range of the query`, this.emptyResults);
    serverWarnings(this.ctx, this.file, this.promWarnings, this.promInfos);
  }

  private detail(): string {
    const names: Record<ResultShape, string> = {
      matrix: 'query_range matrix',
      vector: 'instant vector',
      scalar: 'scalar (ignored)',
      string: 'string (ignored)',
      empty: 'empty result',
      unknown: 'series without samples',
    };
    const shapes = [...this.shapes];
    if (shapes.length === 0) shapes.push('empty');
    let d = shapes.map((s) => names[s]).join(' + ');
    if (this.bare) d += ' (bare result array)';
    if (this.responses > 1) d += `, ${this.responses} responses`;
    return d;
  }
}

/** The series of the object at `atAbs` in the sink (a series or label-length limit errs at that object). */
export function openAt(sink: SampleSink, name: string, labels: Labels, n: number, atAbs: number): SeriesAccumulator {
  try {
    return sink.open(name, labels, n);
  } catch (e) {
    throw withPosition(e, { byte: atAbs });
  }
}

/** The file reader's target: the sample sink. */
function sinkTarget(ctx: IngestContext): SeriesTarget {
  return {
    take(name, labels, atAbs, t, v, n, kind) {
      const acc = openAt(ctx.sink, name, labels, n, atAbs);
      if (kind === BATCH_HAS_BAD) acc.pushMany(t, v, n, kind);
      else acc.pushBlock(t, v, n);
      ctx.sink.countSamples(n);
    },
  };
}
