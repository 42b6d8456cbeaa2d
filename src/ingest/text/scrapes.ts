// Times for samples without timestamps (a `/metrics` scrape, or successive scrapes concatenated or in
// a directory): a new scrape starts when a series repeats, at `# EOF`, or at a separator line holding
// a time. A scrape's time is the separator's time, else the epoch in the file name, else
// `--scrape-interval` × the number of scrapes read so far in this run, else 0 for a lone scrape.
// Several scrapes with no time source are an error (MISSING_TIMESTAMPS).

import { InputError } from '../../errors.js';
import { formatSelector } from '../../model/series.js';
import type { SampleSink, SeriesAccumulator } from '../sink.js';

const MISSING_TS_HINT = 'pass --scrape-interval <seconds between scrapes>, or name each scrape file by its epoch (e.g. metrics-1700000000.prom)';

export type TimeSource = 'separator' | 'file name' | '--scrape-interval' | 'none';

/** Per series (shared by the texts that spell one series differently): its last untimed scrape. */
export interface ScrapeMark {
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

function isoOf(t: number): string {
  return new Date(t * 1000).toISOString().replace('.000Z', 'Z');
}

/** The scrape clock of one file. */
export class ScrapeClock {
  private readonly run: RunState;
  /** Index of the current (or next) scrape within the file. */
  index = 0;
  open = false;
  /** Time of the open scrape. */
  time = 0;
  private source: TimeSource = 'none';
  private prevTime: number | undefined;
  /** A separator's time, for the next scrape. */
  pendingTime: number | undefined;
  readonly sourcesUsed = new Set<TimeSource>();
  /** Untimed samples placed. */
  samples = 0;

  constructor(
    sink: SampleSink,
    private readonly display: string,
    private readonly fileTime: number | undefined,
    private readonly interval: number | undefined,
    /** Line number for messages. */
    private readonly lineNo: () => number,
  ) {
    this.run = runState(sink);
  }

  /** A separator (a `# …` time comment, a bare time line, `# EOF`): the scrape ends. */
  separator(t: number | undefined): void {
    this.end();
    if (t !== undefined) this.pendingTime = t;
  }

  end(): void {
    if (!this.open) return;
    this.prevTime = this.time;
    this.index++;
    this.open = false;
  }

  /** `repeated`: the series whose repetition starts a new scrape (for the message). */
  private start(repeated: SeriesAccumulator | undefined): void {
    let source: TimeSource;
    let t: number;
    if (this.pendingTime !== undefined) {
      t = this.pendingTime;
      source = 'separator';
    } else if (this.index === 0 && this.fileTime !== undefined) {
      t = this.fileTime;
      source = 'file name';
    } else if (this.interval !== undefined && (this.index === 0 || this.source === '--scrape-interval')) {
      t = this.run.intervalScrapes++ * this.interval;
      source = '--scrape-interval';
    } else if (this.interval !== undefined && this.prevTime !== undefined) {
      t = this.prevTime + this.interval;
      source = '--scrape-interval';
    } else if (this.index === 0) {
      t = 0;
      source = 'none';
    } else {
      const what = repeated ? `${formatSelector(repeated.rawName, repeated.labels)} appears again` : 'a new scrape starts';
      throw new InputError({
        code: 'MISSING_TIMESTAMPS',
        file: this.display,
        position: { line: this.lineNo() },
        message: `${what}: this file holds several scrapes without timestamps, and nothing gives the time of each${this.fileTime !== undefined ? ' (the file name gives one time only)' : ''}`,
        hint: MISSING_TS_HINT,
      });
    }
    this.pendingTime = undefined;
    this.time = t;
    this.source = source;
    this.sourcesUsed.add(source);
    this.open = true;
  }

  /** Place an untimed sample of `acc` at its scrape's time. */
  push(acc: SeriesAccumulator, mark: ScrapeMark, v: number): void {
    if (this.open && mark.lastScrape === this.index) {
      this.end();
      this.start(acc);
    } else if (!this.open) this.start(undefined);
    if (this.source === 'none' && mark.lastScrape === -1) {
      if (this.run.zeroTimeSeries.has(acc)) {
        throw new InputError({
          code: 'MISSING_TIMESTAMPS',
          file: this.display,
          position: { line: this.lineNo() },
          message: `${formatSelector(acc.rawName, acc.labels)} was already read from another scrape without timestamps; nothing gives the time of each scrape`,
          hint: MISSING_TS_HINT,
        });
      }
      this.run.zeroTimeSeries.add(acc);
    }
    mark.lastScrape = this.index;
    acc.push(this.time, v);
    this.samples++;
  }

  /** In words, for the inventory: `3 scrapes, no timestamps; times from separator lines`. */
  describe(): string {
    const scrapes = this.index + (this.open ? 1 : 0);
    const how = [...this.sourcesUsed]
      .map((s) =>
        s === 'file name'
          ? `time ${isoOf(this.fileTime!)} from the file name`
          : s === 'separator'
            ? 'times from separator lines'
            : s === '--scrape-interval'
              ? `times from --scrape-interval ${this.interval} s`
              : 'time 0 (no time source)',
      )
      .join(', ');
    return `${scrapes === 1 ? 'single scrape' : `${scrapes} scrapes`}, no timestamps; ${how}`;
  }
}
