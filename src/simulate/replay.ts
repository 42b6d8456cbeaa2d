// What-if by replay (issue 14 §2): the traffic a replica measurably served in a window — its request-rate
// curve, prompt/output length distributions per time segment and its prefix-cache hit share, as the
// exports show them — is replayed through the simulator with that replica's configuration (from
// vllm:cache_config_info, the server log, or inferred and labelled so), the step-time model calibrated
// to the inter-token and prefill times measured in the window. Then the same traffic is replayed with
// changed settings (`--set key=value`) to predict their effect. Inputs are read through ingest and
// the AnalysisView (read-only); measured and replayed numbers are computed the same way, from histograms.

import { InputError } from '../errors.js';
import type { Artifacts } from '../model/artifacts.js';
import { MetricSet, type Series } from '../model/series.js';
import { AnalysisView } from '../derive/view.js';
import type { ConfigSegment } from '../model/config-timeline.js';
import type { ConfigScalar } from '../model/serving-config.js';
import { planFor, simulateReplica, type ReplicaResult } from './engine.js';
import { kvBytesPerTokenPerGpu } from './presets.js';
import type { FaultSpec, RedeploySettings, ReplicaSpec, SimOptions } from './types.js';
import { configOf, findGpu, findModel, firstLabel } from './replay-config.js';
import { trafficOf } from './replay-traffic.js';
import { clamp, kvPerRunning, measure, measureWindow, metricSetOf, round3 } from './replay-measure.js';
import { REPLAY_SETTINGS, type ReplayConfig, type ReplayOptions, type ReplayReplica, type ReplayResult } from './replay-types.js';

export * from './replay-types.js';
export { empiricalFrom } from './replay-traffic.js';
export { measure, metricSetOf, REPLAY_TOLERANCE, replayMisfit, replayRegime, type ReplayRegime } from './replay-measure.js';

/** The samples of a MetricSet within [start, end]. */
function sliceMetrics(m: MetricSet, start: number, end: number): MetricSet {
  const out: Series[] = [];
  for (const s of m.series) {
    let a = 0;
    while (a < s.t.length && s.t[a] < start) a++;
    let b = a;
    while (b < s.t.length && s.t[b] <= end) b++;
    if (b > a) out.push({ ...s, t: s.t.subarray(a, b), v: s.v.subarray(a, b) as Series['v'] });
  }
  return new MetricSet(out);
}

// ---------------------------------------------------------------------------------------------------
// Building and running the replay

/** Parse and check `--set` values (exported so the CLI can refuse them before reading the inputs). */
export function parseSet(set: ReplayOptions['set'] = {}): RedeploySettings & { num_gpu_blocks?: number } {
  const out: RedeploySettings & { num_gpu_blocks?: number } = {};
  const bad = (k: string, v: string, want: string) => new InputError({ code: 'BAD_OPTION', message: `--set ${k}=${v}: ${want}` });
  const int = (k: string, v: string) => {
    const x = Number(v);
    if (!Number.isInteger(x) || x <= 0) throw bad(k, v, 'expected a positive integer');
    return x;
  };
  const bool = (k: string, v: string) => {
    if (/^(true|1|on|yes)$/i.test(v)) return true;
    if (/^(false|0|off|no)$/i.test(v)) return false;
    throw bad(k, v, 'expected true or false');
  };
  for (const [k, v] of Object.entries(set)) {
    if (v === undefined) continue;
    if (k === 'max_num_seqs') out.maxNumSeqs = int(k, v);
    else if (k === 'max_num_batched_tokens') out.maxNumBatchedTokens = int(k, v);
    else if (k === 'gpu_memory_utilization') {
      const x = Number(v);
      if (!(x > 0 && x <= 1)) throw bad(k, v, 'expected a number in (0, 1]');
      out.gpuMemoryUtilization = x;
    } else if (k === 'enable_prefix_caching') out.enablePrefixCaching = bool(k, v);
    else if (k === 'enable_chunked_prefill') out.enableChunkedPrefill = bool(k, v);
    else if (k === 'kv_cache_dtype') {
      if (!/^(auto|fp8|fp8_e4m3|fp8_e5m2|bfloat16|float16)$/.test(v)) throw bad(k, v, 'expected auto, fp8, fp8_e4m3, fp8_e5m2, bfloat16 or float16');
      out.kvCacheDtype = v;
    } else if (k === 'num_gpu_blocks') out.num_gpu_blocks = int(k, v);
    else throw new InputError({ code: 'BAD_OPTION', message: `--set ${k}: not a setting replay can change`, hint: `one of ${REPLAY_SETTINGS.join(', ')}` });
  }
  return out;
}

/**
 * The pool of a changed configuration, anchored on the measured one: the bytes a change of
 * gpu_memory_utilization or of the profiling activations frees or takes, over the bytes per block.
 */
function changedPool(spec: ReplicaSpec, blocks: number, set: RedeploySettings): number {
  const tp = spec.tensorParallelSize;
  const m = spec.model;
  const bytesPerBlock = (dtype: string, bs: number) => kvBytesPerTokenPerGpu(m, dtype, tp) * bs;
  let kvBytes = blocks * bytesPerBlock(spec.kvCacheDtype, spec.blockSize);
  const total = spec.gpu.memoryMiB * 1048576;
  if (set.gpuMemoryUtilization !== undefined) kvBytes += (set.gpuMemoryUtilization - spec.gpuMemoryUtilization) * total;
  if (set.maxNumBatchedTokens !== undefined) kvBytes -= ((set.maxNumBatchedTokens - spec.maxNumBatchedTokens) * (10 * m.hidden + 3 * m.intermediate) * 2) / tp;
  return Math.max(0, Math.floor(kvBytes / bytesPerBlock(set.kvCacheDtype ?? spec.kvCacheDtype, set.blockSize ?? spec.blockSize)));
}

/** The replica with its process changes: a restart when the settings stay, a redeploy when they change. */
function replaySpecs(base: ReplicaSpec, processes: { at: number; down: number; spec: Partial<ReplicaSpec> }[]): ReplicaSpec {
  const same = (a: Partial<ReplicaSpec>, b: Partial<ReplicaSpec>) => JSON.stringify(a) === JSON.stringify(b);
  const faults: FaultSpec[] = processes
    .slice(1)
    .map((p, i) => (same(p.spec, processes[i].spec) ? { kind: 'restart', at: p.at, downSeconds: p.down } : { kind: 'redeploy', at: p.at, downSeconds: p.down, set: p.spec as RedeploySettings }));
  return { ...base, ...processes[0].spec, faults };
}

/** The replica's configuration segments with the offsets of their first and last vLLM sample. */
function processesOf(view: AnalysisView, replica: string): { seg: ConfigSegment; from: number; to: number }[] {
  const rc = view.timeline.replicas.find((r) => r.replica === replica);
  if (!rc || !rc.segments.length) throw new InputError({ code: 'BAD_OPTION', message: `no configuration known for ${replica}` });
  const t = view.series('vllm:num_requests_running', replica)[0]?.t ?? new Float64Array(0);
  const out: { seg: ConfigSegment; from: number; to: number }[] = [];
  rc.segments.forEach((seg, i) => {
    const last = i + 1 === rc.segments.length;
    let a = 0;
    while (a < t.length && t[a] < seg.startSeconds) a++;
    let b = a;
    while (b < t.length && (last ? t[b] <= seg.endSeconds : t[b] < seg.endSeconds)) b++;
    // A segment without a sample (a cut inside the down time of a restart) holds no process of its own.
    if (b === a && rc.segments.length > 1) return;
    out.push({ seg, from: out.length ? t[a] - view.start : 0, to: t[b - 1] - view.start });
  });
  return out.length ? out : [{ seg: rc.segments[0], from: 0, to: view.end - view.start }];
}

/**
 * Log-only settings of each of a replica's processes when the configuration timeline has none: a log
 * file that names the replica is split into its start-ups (each ends with the KV cache size line), and
 * a start-up is matched to a process by its cache settings (gpu_memory_utilization, prefix caching,
 * KV dtype) and order. A stopgap for logs with several start-ups (a redeploy), which the timeline reads
 * as one set of values today.
 */
function startupValues(a: Artifacts, replica: string, procs: { seg: ConfigSegment }[]): Map<string, ConfigScalar>[] {
  const tags = [replica, replica.replace(/:/g, '-'), replica.replace(/:/g, '_')];
  const startups: Map<string, ConfigScalar>[] = [];
  let cur = new Map<string, ConfigScalar>();
  for (const st of a.config.statements ?? []) {
    if (st.source !== 'log' || !st.file || !tags.some((x) => st.file!.includes(x))) continue;
    cur.set(st.key, st.value);
    if (st.key === 'gpu_kv_cache_tokens') {
      startups.push(cur);
      cur = new Map();
    }
  }
  if (cur.size) startups.push(cur);
  const out: Map<string, ConfigScalar>[] = [];
  let next = 0;
  for (const p of procs) {
    const agrees = (m: Map<string, ConfigScalar>) =>
      ['gpu_memory_utilization', 'enable_prefix_caching', 'kv_cache_dtype'].every((k) => {
        const x = m.get(k);
        const y = p.seg.values[k];
        return x === undefined || !y || y.source !== 'cache_config_info' || String(x).toLowerCase() === String(y.value).toLowerCase();
      });
    let k = next;
    while (k < startups.length && !agrees(startups[k])) k++;
    if (k < startups.length) {
      out.push(startups[k]);
      next = k + 1;
    } else out.push(new Map());
  }
  return out;
}

function applySet(spec: ReplicaSpec, set: RedeploySettings & { num_gpu_blocks?: number }): ReplicaSpec {
  const { num_gpu_blocks, ...rest } = set;
  const one = (s: ReplicaSpec): Partial<ReplicaSpec> => {
    const blocks = num_gpu_blocks ?? changedPool(s, s.numGpuBlocksOverride ?? planFor(s).numGpuBlocks, rest);
    return { ...rest, numGpuBlocksOverride: blocks };
  };
  let cur: ReplicaSpec = { ...spec, faults: [] };
  const first = { ...spec, ...one(spec), faults: [] as FaultSpec[] };
  const faults = spec.faults.map((f) => {
    if (f.kind !== 'redeploy') return f;
    cur = { ...cur, ...f.set };
    return { ...f, set: { ...f.set, ...one(cur) } };
  });
  return { ...first, faults };
}

/**
 * The calibration window, `len` seconds: the busiest one (most arrivals) among those where the replica
 * kept up (mean waiting below CALIBRATION_MAX_WAITING) — step times are only readable where a queue does not mix them with
 * scheduling — else the busiest one.
 */
function calibrationWindow(view: AnalysisView, replica: string, curve: number[], step: number, len: number): { from: number; to: number } {
  const n = Math.min(curve.length, Math.max(1, Math.round(len / step)));
  const wait = view.gauge('vllm:num_requests_waiting', replica, 'sum');
  const waitingMean = (from: number, to: number) => {
    if (!wait) return 0;
    let s = 0;
    let k = 0;
    for (let i = 0; i < view.grid.length; i++) {
      const t = view.grid[i] - view.start;
      if (t < from || t >= to || wait[i] !== wait[i]) continue;
      s += wait[i];
      k++;
    }
    return k ? s / k : 0;
  };
  let best = -1;
  let bestAny = 0;
  let bestSum = -1;
  let bestAnySum = -1;
  let sum = 0;
  for (let i = 0; i < curve.length; i++) {
    sum += curve[i];
    if (i >= n) sum -= curve[i - n];
    if (i < n - 1) continue;
    const start = i - n + 1;
    if (sum > bestAnySum) {
      bestAnySum = sum;
      bestAny = start;
    }
    if (sum > bestSum && waitingMean(start * step, (start + n) * step) < CALIBRATION_MAX_WAITING) {
      bestSum = sum;
      best = start;
    }
  }
  const s0 = best >= 0 ? best : bestAny;
  return { from: s0 * step, to: (s0 + n) * step };
}

export function replay(a: Artifacts, o: ReplayOptions = {}): ReplayResult {
  const view = new AnalysisView(o.window ? sliceMetrics(a.metrics, o.window.start, o.window.end) : a.metrics, a.config);
  if (view.snapshot) throw new InputError({ code: 'BAD_OPTION', message: 'replay needs a time range (a single scrape has no traffic curve)' });
  const replicas = o.replica ? [o.replica] : view.replicas;
  if (o.replica && !view.replicas.includes(o.replica)) throw new InputError({ code: 'BAD_OPTION', message: `no replica ${JSON.stringify(o.replica)} in the inputs`, hint: `replicas: ${view.replicas.join(', ')}` });
  if (!replicas.length) throw new InputError({ code: 'BAD_OPTION', message: 'no vLLM replica in the inputs' });
  const set = parseSet(o.set);
  const interval = view.step;
  const duration = view.end - view.start + interval;
  const out: ReplayResult = { start: view.start, end: view.end + interval, stepSeconds: interval, replicas: [], runs: [] };
  replicas.forEach((replica, ri) => {
    const warnings: string[] = [];
    const model = findModel(firstLabel(view, 'vllm:num_requests_running', replica, 'model_name'));
    const g = findGpu(view, replica);
    if (g.note) warnings.push(g.note);
    const procs = processesOf(view, replica);
    const startups = startupValues(a, replica, procs);
    const configs = procs.map((p, i) => configOf(view, replica, p.seg, g.gpu, startups[i]));
    const tpv = procs[0].seg.values.tensor_parallel_size;
    const tp = tpv && typeof tpv.value === 'number' ? tpv.value : Math.max(1, g.count);
    const cfg0 = configs[0];
    const specOf = (c: ReplayConfig): Partial<ReplicaSpec> => ({
      maxNumSeqs: c.settings.max_num_seqs as number,
      maxNumBatchedTokens: c.settings.max_num_batched_tokens as number,
      gpuMemoryUtilization: c.settings.gpu_memory_utilization as number,
      enablePrefixCaching: c.settings.enable_prefix_caching as boolean,
      enableChunkedPrefill: c.settings.enable_chunked_prefill as boolean,
      kvCacheDtype: c.settings.kv_cache_dtype as string,
      blockSize: c.settings.block_size as number,
      ...(c.settings.num_gpu_blocks ? { numGpuBlocksOverride: c.settings.num_gpu_blocks as number } : {}),
    });
    const traffic = trafficOf(view, replica, cfg0.settings.max_model_len as number, procs.some((_, i) => configs[i].settings.enable_prefix_caching === true), o.segmentSeconds ?? 300, duration);
    const base: ReplicaSpec = {
      instance: replica,
      hostname: `replay-${ri + 1}`,
      gpu: g.gpu,
      model,
      tensorParallelSize: tp,
      maxNumSeqs: 256,
      maxNumBatchedTokens: 8192,
      maxModelLen: cfg0.settings.max_model_len as number,
      blockSize: 16,
      gpuMemoryUtilization: 0.9,
      enablePrefixCaching: true,
      enableChunkedPrefill: true,
      kvCacheDtype: 'auto',
      streams: traffic.streams,
      faults: [],
      baseRssBytes: 3e9,
      vllmVersion: 'replay',
    };
    const spec = replaySpecs(
      base,
      procs.map((p, i) => {
        if (!i) return { at: 0, down: 0, spec: specOf(configs[0]) };
        // The old process answered last at procs[i-1].to, the new one first at p.from: stop half a scrape after the last answer.
        const at = Math.min(p.from, procs[i - 1].to + interval / 2);
        return { at, down: Math.max(0, p.from - at - 1e-3), spec: specOf(configs[i]) };
      }),
    );
    const simOpts = (from: number, to: number): SimOptions => ({ seed: o.seed ?? 1, startTime: view.start + from, durationSeconds: Math.max(interval, to - from), scrapeIntervalSeconds: interval });
    const sub = (s: ReplicaSpec, from: number): ReplicaSpec => {
      if (!from) return s;
      const streams = s.streams.map((stream) => {
        const c = stream.rate.curve!;
        const mix = stream.mix!;
        const m0 = Math.floor(from / mix.step);
        return { ...stream, rate: { ...stream.rate, curve: { ...c, rps: c.rps.slice(Math.round(from / c.step)) } }, mix: { ...mix, prompt: mix.prompt.slice(m0), output: mix.output.slice(m0) } };
      });
      return { ...s, streams, faults: s.faults.map((f) => ('at' in f ? { ...f, at: f.at - from } : f)).filter((f) => !('at' in f) || f.at >= 0) };
    };
    const run = (s: ReplicaSpec, from: number, to: number, cs: number, ms: number): ReplicaResult =>
      simulateReplica({ ...sub(s, from), stepTimeScale: { compute: cs, memory: ms } }, simOpts(from, to), ri);
    const measured = measure(view, replica);
    // Calibration: inter-token latency (decode, memory-bound) and prefill time (compute-bound), on the busiest part.
    let cs = 1;
    let ms = 1;
    let rounds = 0;
    const calLen = Math.min(duration, (o.calibrationMinutes ?? 20) * 60);
    const win = calibrationWindow(view, replica, traffic.curve, traffic.curveStep, calLen);
    const measuredCal = measureWindow(view, replica, win.from, win.to);
    const computeReadable = !!measuredCal.prefillMeanSeconds && !!measuredCal.itlMeanSeconds && measuredCal.prefillMeanSeconds > PREFILL_COMPUTE_RATIO * measuredCal.itlMeanSeconds;
    let rho = 0;
    const setRho = (x: number) => {
      spec.streams = spec.streams.map((st) => ({ ...st, mix: { ...st.mix!, rho: x } }));
    };
    if (o.calibrate !== false && measuredCal.itlMeanSeconds) {
      // Round 1 at independent lengths, round 2 at ρ = 0.5: the KV held per running sequence (a gauge the
      // exports have) moves with the coupling of prompt and output lengths, which the marginal histograms
      // do not show; ρ is interpolated between the two rounds.
      const kv: number[] = [];
      const rhos = [0, 0.5];
      const kvRoom = measuredCal.kvMax !== null && measuredCal.kvMax < CALIBRATION_MAX_KV;
      for (rounds = 1; rounds <= CALIBRATION_ROUNDS; rounds++) {
        setRho(rhos[rounds - 1] ?? rho);
        const r = run(spec, win.from, win.to, cs, ms);
        const rv = new AnalysisView(metricSetOf([r], view.start + win.from, interval), EMPTY_CONFIG);
        const m = measure(rv, replica);
        kv.push(kvRoom ? kvPerRunning(rv, replica, 0, win.to - win.from) : m.preemptions ?? NaN);
        if (m.itlMeanSeconds) ms = clamp(ms * (measuredCal.itlMeanSeconds / m.itlMeanSeconds));
        // Prefill time reads the compute term only when prefills take several steps' worth of time; a
        // one-step prefill is as memory-bound as a decode, and fitting compute to it would be noise.
        if (computeReadable && m.prefillMeanSeconds) cs = clamp(cs * (measuredCal.prefillMeanSeconds! / m.prefillMeanSeconds));
        else cs = ms;
        // The shared-prefix length, to the hit ratio measured in the same window.
        const p = spec.streams[0].prefix;
        if (p && measuredCal.prefixHitRatio && m.prefixHitRatio) {
          const len = Math.max(16, Math.round(p.length.median * clamp(measuredCal.prefixHitRatio / m.prefixHitRatio)));
          spec.streams[0] = { ...spec.streams[0], prefix: { ...p, length: { ...p.length, median: len } } };
        }
      }
      rounds--;
      // Where the pool had room, the KV one running sequence holds; where it was full (it holds what it
      // holds whatever the lengths), the preemptions of the window.
      const target = kvRoom ? measuredCal.kvPerRunning : measuredCal.preemptions;
      if (kv.length >= 2 && target !== null && Number.isFinite(kv[0]) && Number.isFinite(kv[1]) && Math.abs(kv[1] - kv[0]) > 1e-3 * Math.abs(kv[0])) {
        // From preemption counts only a positive coupling is read: they are noisy, and a workload whose long
        // prompts come with short answers shows up as a second workload (the burst split) instead.
        rho = Math.min(0.9, Math.max(kvRoom ? -0.9 : 0, ((target - kv[0]) * 0.5) / (kv[1] - kv[0])));
      }
      setRho(rho);
    }
    const replayed = run(spec, 0, duration, cs, ms);
    const replayedMeasures = measure(new AnalysisView(metricSetOf([replayed], view.start, interval), EMPTY_CONFIG), replica);
    const entry: ReplayReplica = {
      replica,
      config: { ...cfg0, model: model.hfId, tensorParallelSize: tp },
      traffic: { requests: Math.round(traffic.requests), curveStepSeconds: traffic.curveStep, segments: traffic.segments, excessSegments: traffic.excessSegments, prefixShare: Math.round(traffic.prefixShare * 1000) / 1000, prefixTokens: traffic.prefixTokens },
      calibration: { computeScale: round3(cs), memoryScale: round3(ms), lengthCorrelation: round3(rho), rounds, windowSeconds: win.to - win.from },
      measured,
      replayed: replayedMeasures,
      gpuAssumed: g.note ?? null,
      warnings: [...warnings, ...(procs.length > 1 ? [`${procs.length} processes in the window (restart or redeploy): replayed with the same process changes`] : []), ...configs.flatMap((c) => c.notes)],
    };
    const runEntry: ReplayResult['runs'][number] = { replica, replayed };
    if (Object.keys(set).length) {
      const changed = applySet(spec, set);
      const w = run(changed, 0, duration, cs, ms);
      const last = changed.faults.filter((f): f is Extract<FaultSpec, { kind: 'redeploy' }> => f.kind === 'redeploy').reduce<ReplicaSpec>((acc, f) => ({ ...acc, ...f.set }), changed);
      entry.whatIf = {
        set: { ...set } as RedeploySettings,
        settings: {
          ...cfg0.settings,
          max_num_seqs: last.maxNumSeqs,
          max_num_batched_tokens: last.maxNumBatchedTokens,
          gpu_memory_utilization: last.gpuMemoryUtilization,
          enable_prefix_caching: last.enablePrefixCaching,
          enable_chunked_prefill: last.enableChunkedPrefill,
          kv_cache_dtype: last.kvCacheDtype,
          num_gpu_blocks: last.numGpuBlocksOverride ?? planFor(last).numGpuBlocks,
        },
        measures: measure(new AnalysisView(metricSetOf([w], view.start, interval), EMPTY_CONFIG), replica),
      };
      runEntry.whatIf = w;
    }
    out.replicas.push(entry);
    out.runs.push(runEntry);
  });
  return out;
}

/** Mean requests waiting below which a window counts as keeping up (calibration reads step times there). Judgement call. */
export const CALIBRATION_MAX_WAITING = 0.2;

/** KV usage below which the calibration window's KV per running sequence reads the length coupling. */
export const CALIBRATION_MAX_KV = 0.9;

/** Calibration rounds on the calibration window before the full replay. */
export const CALIBRATION_ROUNDS = 2;

/** Prefill mean over inter-token mean above which prefill time measures compute (several steps' worth). Judgement call. */
export const PREFILL_COMPUTE_RATIO = 3;

const EMPTY_CONFIG = { values: {}, conflicts: [], statements: [] };

