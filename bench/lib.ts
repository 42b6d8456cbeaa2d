// Benchmark harness: every case runs in its own child process so peak RSS belongs to it alone,
// next to the every-byte floor measured in the same run on the same file (see run.ts).

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
  /** Measured figures (ratios, times) that vary between runs: the runner prints each one's median over the runs. */
  figures?: Record<string, number>;
  /** How the run went (e.g. threads used), printed after the timing of the first run. */
  notes?: string;
  /** Values a reference tool's answer is compared with (not printed; see BenchCase.reference.compare). */
  detail?: Record<string, number>;
}

/** What one run of a reference tool measured: its process's wall time and peak RSS, and its answer. */
export interface BenchReferenceResult {
  seconds: number;
  peakRssMb: number;
  /** Printed like a case's check. */
  check?: Record<string, number | string>;
  /** Printed after its timing (e.g. where the time went). */
  notes?: string;
  /** Compared with the case's `detail` by `compare`. */
  detail?: Record<string, number>;
}

/** Another tool run on the same input in the same invocation (e.g. Holistic Trace Analysis), in its own
 *  process, after the case's runs; the runner prints the case's speed and memory as ratios to it. */
export interface BenchReference {
  label: string;
  /** Runs of the reference (default 1: it may take minutes); run after the case's runs. */
  runs?: number;
  run(prepared: BenchPrepared): Promise<BenchReferenceResult>;
  /** One line on whether the two answers agree (counts, totals), printed after the ratios. */
  compare?(ours: BenchRunResult, theirs: BenchReferenceResult): string;
  /** Targets, printed (not asserted): the case at least `speedup`× faster, at most `memoryShare` of its peak RSS. */
  targets?: { speedup?: number; memoryShare?: number };
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
  /** Whether the floor (an every-byte JS pass over the file) makes sense for this case. */
  floor?: boolean;
  /** Targets, printed next to the result (not asserted). `floorShare`: the floor's time over the case's (0.3 = 30% of its speed). */
  targets?: { floorShare?: number; peakRssMb?: number; seconds?: number };
  /** Why the case cannot run here (a tool it needs is not installed…): the runner prints it as skipped. */
  unavailable?(): string | undefined;
  /** A reference tool measured beside the case in the same invocation. */
  reference?: BenchReference;
  /** Extra measurements of the same case under other settings (environment), e.g. worker counts. */
  variants?: { label: string; env: Record<string, string> }[];
}
