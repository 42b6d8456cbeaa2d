// Kineto / torch.profiler chrome trace JSON (export_chrome_trace, tensorboard_trace_handler, vLLM's
// profiler output), current categories (kernel, gpu_memcpy, gpu_memset, cuda_runtime, …) and the
// 2021 ones (Kernel, Memcpy, Memset, Runtime). Streamed with a byte scanner
// (src/ingest/profile/kineto/): memory depends on distinct kernels, not on file size. A large
// uncompressed file is scanned by several threads (profile/kineto/parallel.ts) with the same result.
// GPU events: pid = device (args.device when present), tid = stream (args.stream when present).
// A trace without GPU events is a CPU-only trace: a profile that says "no GPU activity".

import { InputError } from '../errors.js';
import { readerThreads } from './threads.js';
import type { KernelProfile } from '../model/profile.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { KernelClassifier } from './profile/classify.js';
import { KinetoAggregator, LocalSink } from './profile/kineto/aggregate.js';
import { deliver } from './profile/kineto/deliver.js';
import { parallelAvailable, readKinetoParallel } from './profile/kineto/parallel.js';
import { KinetoScanner, type ScanHeader } from './profile/kineto/scanner.js';
import { kinetoFormat } from './sniff/profile.js';

export interface KinetoReadResult {
  profile: KernelProfile;
  events: number;
  /** Threads that scanned the file (1: this thread alone). */
  scanThreads: number;
  /** Blocks whose start was not confirmed and that this thread re-scanned (parallel reads). */
  rescannedBlocks: number;
}

export interface KinetoReadOptions {
  /** Link kernels to the CPU ops that launched them and compare classes (default true). */
  opCheck?: boolean;
  /** Threads that scan a large uncompressed file (default: kinetoWorkers()); 1 = this thread only. */
  workers?: number;
  /** Files at least this large are scanned in parallel (default PARALLEL_MIN_BYTES). */
  parallelMinBytes?: number;
  /** Size of the byte ranges handed to the scanning threads (default 4 MiB). */
  blockBytes?: number;
  /** The worker script (the test compiles one from src/ into a temporary directory; default: the compiled worker.js next to parallel.js). */
  workerUrl?: URL;
}

/** Below this size a trace is scanned by this thread alone: starting workers (tens of ms each, and
 *  their compilers warming up) costs more than they save. */
export const PARALLEL_MIN_BYTES = 64 << 20;
const BLOCK_BYTES = 4 << 20;

/**
 * Threads that scan a large trace (src/ingest/threads.ts: `--workers`, VLLM_TUNE_WORKERS, else the
 * CPUs). The result is the same whatever the number; each worker adds 15–25 MB (docs/performance.md).
 */
export function kinetoWorkers(requested?: number): number {
  return readerThreads(requested);
}

/** Read one trace into a KernelProfile (exported for tests and the bench). */
export async function readKinetoProfile(src: InputSource, classifier: KernelClassifier, opts: KinetoReadOptions = {}): Promise<KinetoReadResult> {
  const agg = new KinetoAggregator(classifier, opts.opCheck !== false);
  const workers = opts.workers ?? kinetoWorkers();
  let scan: { events: number; header: ScanHeader; sawEvents: boolean; threads: number; rescanned: number } | null = null;
  if (workers > 1 && src.path && !src.gzip && (src.sizeBytes ?? 0) >= (opts.parallelMinBytes ?? PARALLEL_MIN_BYTES) && parallelAvailable(opts.workerUrl)) {
    scan = await readKinetoParallel(src.path, src.display, agg, { workers, blockBytes: opts.blockBytes ?? BLOCK_BYTES, workerUrl: opts.workerUrl });
  }
  if (!scan) {
    const sink = new LocalSink(agg);
    const scanner = new KinetoScanner(src.display, (ev) => deliver(ev, sink), agg.linker !== undefined);
    for await (const chunk of src.chunks()) scanner.push(chunk);
    const { sawEvents } = scanner.finish();
    scan = { events: scanner.eventCount, header: scanner.header, sawEvents, threads: 1, rescanned: 0 };
  }
  if (!scan.sawEvents) {
    throw new InputError({ code: 'TRACE_SHAPE', file: src.display, message: 'JSON object has no `traceEvents` array', hint: 'a Kineto/chrome trace holds `"traceEvents": [ … ]`' });
  }
  return { profile: agg.finish(src.display, scan.header), events: scan.events, scanThreads: scan.threads, rescannedBlocks: scan.rescanned };
}

export const kinetoAdapter: Adapter = {
  ...kinetoFormat,
  read: async (src: InputSource, ctx: IngestContext): Promise<AdapterResult> => {
    const classifier = KernelClassifier.fromOptions(ctx.options);
    const { profile, events } = await readKinetoProfile(src, classifier, ctx.options.workers !== undefined ? { workers: ctx.options.workers } : {});
    ctx.addProfile(profile);
    for (const d of profile.devices ?? []) {
      if (d.lateIntervals) {
        ctx.warn({ code: 'TRACE_OUT_OF_ORDER', file: src.display, count: d.lateIntervals, message: `${src.display}: ${d.lateIntervals} GPU events on device ${d.device} arrived far out of time order; idle time there may be overstated` });
      }
    }
    const kernels = profile.kernels.reduce((n, k) => n + (k.category === 'memory' ? 0 : k.count), 0);
    const detail = profile.gpuActivity
      ? `${events} events, ${kernels} kernels (${profile.kernels.length} distinct names) on ${profile.devices?.length ?? 0} device(s)${profile.rank !== undefined ? `, rank ${profile.rank}` : ''}`
      : `${events} events, no GPU activity (CPU-only trace)`;
    return { detail };
  },
};
