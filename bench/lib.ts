// Benchmark harness: every case runs in its own child process so peak RSS belongs to it alone,
// next to a floor measured in the same run (reading the same file in 1 MiB chunks).

export interface BenchPrepared {
  /** Input file the case reads (generated under bench/out/, not committed). */
  file: string;
  /** Size of the file on disk in bytes. */
  bytes: number;
  /** Anything the case wants to report about the input (samples, events…). */
  meta?: Record<string, number | string>;
}

export interface BenchRunResult {
  /** Items processed (samples, events, rows) to report a per-item rate. */
  items?: number;
  itemName?: string;
  /** Values to check correctness against the prepared meta (the runner prints both). */
  check?: Record<string, number | string>;
}

export interface BenchCase {
  /** Short id, used on the command line: `npm run bench -- <id>`. */
  id: string;
  title: string;
  /** Generate the input (seeded) into `outDir` unless it already exists. */
  prepare(outDir: string): Promise<BenchPrepared>;
  /** Do the work being measured, in a fresh process. */
  run(prepared: BenchPrepared): Promise<BenchRunResult>;
  /** Run only when named on the command line (e.g. a case whose input takes long to generate). */
  optIn?: boolean;
  /** Whether the floor (raw 1 MiB chunk read of the file) makes sense for this case. */
  floor?: boolean;
  /** Targets, printed next to the result (not asserted). */
  targets?: { mbPerSecond?: number; peakRssMb?: number; seconds?: number };
}
