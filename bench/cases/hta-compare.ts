// The Kineto trace of ingest-kineto (1 GB synthetic, BENCH_KINETO_MB overrides) → kernel breakdown, side by
// side with Holistic Trace Analysis (HTA, facebookresearch/HolisticTraceAnalysis) on the same file in the
// same invocation: our reader (readKinetoProfile, as `analyze` runs it) against HTA's
// TraceAnalysis(trace_dir=…).get_gpu_kernel_breakdown(visualize=False) in its own Python process.
// HTA is not ours and is not installed by this repository: the case runs only when VLLM_TUNE_HTA_DIR names
// a directory holding the `hta` package (VLLM_TUNE_HTA_PYTHON: a Python 3 with pandas, numpy, plotly,
// matplotlib and matplotlib_venn; default /usr/bin/python3). docs/performance.md says where ours came from.
// HTA's wall time is its whole process (interpreter start, imports, parsing, breakdown); its peak RSS is
// getrusage's ru_maxrss, printed by the driver below. VLLM_TUNE_HTA_RUNS sets HTA's runs (default 1: one
// takes minutes); ours are the usual BENCH_RUNS, next to the every-byte floor.
// The answers are compared too: kernel count and total kernel time, overall and per kernel name.

import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchReferenceResult } from '../lib.js';
import kineto from './ingest-kineto.js';
import { readKinetoProfile } from '../../src/ingest/from-kineto.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { fileSource } from '../../src/ingest/source.js';

const HTA_DIR = process.env.VLLM_TUNE_HTA_DIR;
const HTA_PYTHON = process.env.VLLM_TUNE_HTA_PYTHON || '/usr/bin/python3';
const HTA_RUNS = Math.max(1, Number(process.env.VLLM_TUNE_HTA_RUNS ?? 1) | 0);
const RESULT_TAG = 'VLLM_TUNE_HTA_RESULT ';

/** Imports HTA, runs the kernel breakdown on the trace directory argv[1], prints one tagged JSON line.
 *  Counts and totals come from the breakdown's own frames and from the rows it aggregated (stream != -1). */
const DRIVER = `
import json, resource, sys, time
t0 = time.perf_counter()
from hta.trace_analysis import TraceAnalysis
t1 = time.perf_counter()
ta = TraceAnalysis(trace_dir=sys.argv[1])
t2 = time.perf_counter()
kernel_type_df, kernel_df = ta.get_gpu_kernel_breakdown(visualize=False)
t3 = time.perf_counter()
rows = [df[df["stream"].ne(-1)] for df in ta.t.get_all_traces().values()]
per_name = {}
for name, total in zip(kernel_df["name"], kernel_df["sum (ns)"]):
    per_name[name] = per_name.get(name, 0.0) + float(total)
rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
print("${RESULT_TAG}" + json.dumps({
    "import_s": t1 - t0, "load_s": t2 - t1, "breakdown_s": t3 - t2, "maxrss_kib": rss,
    "kernels": int(sum(len(r) for r in rows)), "dur_sum": float(sum(float(r["dur"].sum()) for r in rows)),
    "breakdown_sum": float(kernel_df["sum (ns)"].sum()), "per_name": per_name,
    "types": {str(k): float(v) for k, v in zip(kernel_type_df["kernel_type"], kernel_type_df["sum"])},
}), flush=True)
`;

interface DriverResult {
  import_s: number;
  load_s: number;
  breakdown_s: number;
  maxrss_kib: number;
  kernels: number;
  dur_sum: number;
  breakdown_sum: number;
  per_name: Record<string, number>;
  types: Record<string, number>;
}

/** HTA reads every .json/.gz in a directory and takes the rank from distributedInfo: give it one file. */
function traceDirFor(file: string): string {
  const dir = path.join(path.dirname(file), `hta-${path.basename(file, '.json')}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  symlinkSync(realpathSync(file), path.join(dir, 'rank0.json'));
  return dir;
}

function runHta(traceDir: string): Promise<{ seconds: number; result: DriverResult }> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(HTA_PYTHON, ['-c', DRIVER, traceDir], {
      cwd: traceDir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, PYTHONPATH: HTA_DIR, MPLBACKEND: 'Agg' },
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const line = out.split('\n').find((l) => l.startsWith(RESULT_TAG));
      if (code !== 0 || !line) return reject(new Error(`HTA (${HTA_PYTHON}, PYTHONPATH=${HTA_DIR}) exited ${code}:\n${(err || out).slice(-2000)}`));
      resolve({ seconds, result: JSON.parse(line.slice(RESULT_TAG.length)) as DriverResult });
    });
  });
}

/** HTA's durations are the trace's µs (floats; its columns say "(ns)"): to integer ns. */
const usToNs = (us: number): number => Math.round(us * 1000);

const benchCase: BenchCase = {
  id: 'hta-compare',
  title: `Kineto trace → kernel breakdown, ours (readKinetoProfile) against Holistic Trace Analysis (get_gpu_kernel_breakdown) on the same file`,
  unavailable() {
    if (!HTA_DIR) return 'HTA not available (set VLLM_TUNE_HTA_DIR to a directory holding the `hta` package, and VLLM_TUNE_HTA_PYTHON to a Python with its dependencies; see docs/performance.md)';
    if (!existsSync(path.join(HTA_DIR, 'hta', 'trace_analysis.py'))) return `HTA not available: ${path.join(HTA_DIR, 'hta', 'trace_analysis.py')} does not exist (VLLM_TUNE_HTA_DIR)`;
    if (!existsSync(HTA_PYTHON)) return `HTA not available: no Python at ${HTA_PYTHON} (VLLM_TUNE_HTA_PYTHON)`;
    return undefined;
  },
  prepare: (outDir) => kineto.prepare(outDir),
  // HTA runs on one core (pandas, one process for one rank); ours defaults to os.availableParallelism() workers.
  variants: [{ label: 'one thread (VLLM_TUNE_WORKERS=1)', env: { VLLM_TUNE_WORKERS: '1' } }],
  async run(prepared) {
    const { profile, events } = await readKinetoProfile(await fileSource(prepared.file), new KernelClassifier());
    const perName: Record<string, number> = {};
    let kernels = 0;
    let kernelNs = 0;
    for (const k of profile.kernels) {
      kernels += k.count;
      kernelNs += k.totalNs;
      perName[k.name] = (perName[k.name] ?? 0) + k.totalNs;
    }
    const comm = profile.kernels.filter((k) => k.category === 'communication').reduce((a, k) => a + k.totalNs, 0);
    return {
      items: events,
      itemName: 'events',
      check: { kernels, kernelNs, expectedKernels: prepared.meta?.kernels ?? '?', expectedKernelNs: prepared.meta?.kernelNs ?? '?', communicationShare: (comm / Math.max(1, kernelNs)).toFixed(3) },
      detail: { kernels, kernelNs, ...Object.fromEntries(Object.entries(perName).map(([n, v]) => [`name:${n}`, v])) },
    };
  },
  reference: {
    label: 'HTA',
    runs: HTA_RUNS,
    targets: { speedup: 80, memoryShare: 1 / 40 },
    async run(prepared): Promise<BenchReferenceResult> {
      const { seconds, result: r } = await runHta(traceDirFor(prepared.file));
      const total = Object.values(r.types).reduce((a, v) => a + v, 0);
      const types = Object.entries(r.types)
        .map(([k, v]) => `${k} ${((100 * v) / Math.max(1, total)).toFixed(1)}%`)
        .join(' / ');
      return {
        seconds,
        peakRssMb: r.maxrss_kib / 1024,
        check: { kernels: r.kernels, kernelNs: usToNs(r.dur_sum), breakdownSumNs: usToNs(r.breakdown_sum), kernelTypes: types },
        notes: `python start + imports ${r.import_s.toFixed(1)} s, TraceAnalysis() (reads and parses the trace) ${r.load_s.toFixed(1)} s, get_gpu_kernel_breakdown ${r.breakdown_s.toFixed(1)} s`,
        detail: { kernels: r.kernels, kernelNs: usToNs(r.dur_sum), ...Object.fromEntries(Object.entries(r.per_name).map(([n, v]) => [`name:${n}`, usToNs(v)])) },
      };
    },
    compare(ours, theirs) {
      const a = ours.detail ?? {};
      const b = theirs.detail ?? {};
      const names = [...new Set([...Object.keys(a), ...Object.keys(b)].filter((k) => k.startsWith('name:')))];
      const onlyOne = names.filter((n) => !(n in a) || !(n in b));
      const maxNameDiff = Math.max(0, ...names.filter((n) => n in a && n in b).map((n) => Math.abs(a[n] - b[n])));
      const parts = [
        `kernel count ${a.kernels === b.kernels ? `equal (${a.kernels})` : `DIFFERS (ours ${a.kernels}, HTA ${b.kernels})`}`,
        `total kernel time ours ${a.kernelNs} ns, HTA ${b.kernelNs} ns (its µs floats × 1000, rounded): difference ${b.kernelNs - a.kernelNs} ns`,
        `${names.length - onlyOne.length} kernel names in both, largest per-name difference ${maxNameDiff} ns`,
      ];
      if (onlyOne.length) parts.push(`${onlyOne.length} names in one answer only (HTA folds all but its top kernels into "others")`);
      return parts.join('; ');
    },
  },
};

export default benchCase;
