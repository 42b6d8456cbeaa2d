// What-if by replay (issue 14 §2): the traffic a replica measurably served in a window — its request-rate
// curve, prompt/output length distributions per time segment and its prefix-cache hit share, as the
// exports show them — is replayed through the simulator with that replica's configuration (from
// vllm:cache_config_info, the server log, or inferred and labelled so), the step-time model calibrated
// to the inter-token and prefill times measured in the window. Then the same traffic is replayed with
// changed settings (`--set key=value`) to predict their effect. Inputs are read through ingest and
// the AnalysisView (read-only); measured and replayed numbers are computed the same way, from histograms.

import { InputError } from '../errors.js';
import type { Artifacts } from '../model/artifacts.js';
import { histogramParts, resolveMetricName, type HistogramName, type SeriesName } from '../model/metric-catalog.js';
import { canonicalLabels, MetricSet, type Series } from '../model/series.js';
import { AnalysisView, parseLe, type HistogramWindow } from '../derive/view.js';
import { histogramBetween, totalBetween } from '../derive/windowed.js';
import type { ConfigSegment, SettingValue } from '../model/config-timeline.js';
import type { ConfigScalar } from '../model/serving-config.js';
import { empiricalMean, fitExponent } from './arrivals.js';
import { planFor, simulateReplica, type ReplicaResult } from './engine.js';
import { GPUS, MODELS, kvBytesPerTokenPerGpu, type GpuPreset, type ModelPreset } from './presets.js';
import type { EmpiricalDist, FaultSpec, RedeploySettings, ReplicaSpec, SimOptions, StreamSpec } from './types.js';

/** Settings `--set` may change, by their vLLM names. */
export const REPLAY_SETTINGS = ['max_num_seqs', 'max_num_batched_tokens', 'gpu_memory_utilization', 'enable_prefix_caching', 'enable_chunked_prefill', 'kv_cache_dtype', 'num_gpu_blocks'] as const;
export type ReplaySetting = (typeof REPLAY_SETTINGS)[number];

export interface ReplayOptions {
  /** Replica id (instance); default: every replica. */
  replica?: string;
  /** Settings to change in the what-if run, vLLM names → text values. */
  set?: Partial<Record<ReplaySetting, string>>;
  seed?: number;
  /** Calibrate step times to the window (default true). */
  calibrate?: boolean;
  /** Length-mix segments, seconds (default 300). */
  segmentSeconds?: number;
  /** Most minutes a calibration round simulates (the busiest part of the window); default 20. */
  calibrationMinutes?: number;
  /** Replay only this part of the inputs (Unix seconds). */
  window?: { start: number; end: number };
}

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

/** Where a setting of the replayed configuration came from. */
export type SettingOrigin = 'cache_config_info' | 'log' | 'inferred' | 'default' | 'set';

export interface ReplayConfig {
  model: string;
  gpu: string;
  tensorParallelSize: number;
  settings: Record<'max_num_seqs' | 'max_num_batched_tokens' | 'max_model_len' | 'gpu_memory_utilization' | 'enable_prefix_caching' | 'enable_chunked_prefill' | 'kv_cache_dtype' | 'block_size' | 'num_gpu_blocks', number | string | boolean>;
  origin: Record<string, SettingOrigin>;
  /** How each inferred or default value was obtained, in words. */
  notes: string[];
}

/** The numbers compared between the measured window and a replay, per replica, computed alike. */
export interface Measures {
  requests: number;
  /** Prompt and generated tokens over the window (the traffic's size). */
  promptTokens: number | null;
  generationTokens: number | null;
  ttftP95Seconds: number | null;
  tbtP95Seconds: number | null;
  e2eP95Seconds: number | null;
  itlMeanSeconds: number | null;
  prefillMeanSeconds: number | null;
  queueMeanSeconds: number | null;
  queueP95Seconds: number | null;
  /** When the queue-time p95 lies in the histogram's first bucket: that bucket's bound (the value is an interpolation below it). */
  queueP95BelowSeconds: number | null;
  waitingMean: number | null;
  waitingMax: number | null;
  preemptions: number | null;
  prefixHitRatio: number | null;
}

export interface ReplayReplica {
  replica: string;
  config: ReplayConfig;
  traffic: { requests: number; curveStepSeconds: number; segments: number; excessSegments: number; prefixShare: number; prefixTokens: number };
  calibration: { computeScale: number; memoryScale: number; lengthCorrelation: number; rounds: number; windowSeconds: number };
  measured: Measures;
  replayed: Measures;
  whatIf?: { set: RedeploySettings; settings: ReplayConfig['settings']; measures: Measures };
  warnings: string[];
}

export interface ReplayResult {
  start: number;
  end: number;
  stepSeconds: number;
  replicas: ReplayReplica[];
  /** The replayed runs (own configuration, then the what-if), for exports. */
  runs: { replica: string; replayed: ReplicaResult; whatIf?: ReplicaResult }[];
}

// ---------------------------------------------------------------------------------------------------
// Reading the inputs

function firstLabel(view: AnalysisView, name: SeriesName, replica: string, label: string): string | undefined {
  for (const s of view.series(name, replica)) if (s.labels[label] !== undefined) return s.labels[label];
  return undefined;
}

function findModel(hfId: string | undefined): ModelPreset {
  const m = hfId && Object.values(MODELS).find((x) => x.hfId.toLowerCase() === hfId.toLowerCase());
  if (!m) {
    throw new InputError({
      code: 'BAD_OPTION',
      message: `replay has no model preset for ${JSON.stringify(hfId ?? '(no model_name label)')}`,
      hint: `known: ${Object.values(MODELS).map((x) => x.hfId).join(', ')}`,
    });
  }
  return m;
}

function hostOf(instance: string): string {
  return instance.replace(/:\d+$/, '');
}

/** The replica's GPU model and count from dcgm-exporter series on the same host. */
function findGpu(view: AnalysisView, replica: string): { gpu: GpuPreset; count: number; note?: string } {
  const host = hostOf(replica);
  const devs = new Map<string, string>();
  for (const s of view.metrics.get('DCGM_FI_DEV_GPU_UTIL')) {
    if (s.labels.instance !== undefined && hostOf(s.labels.instance) === host) devs.set(s.labels.gpu ?? s.labels.UUID ?? '0', s.labels.modelName ?? '');
  }
  const name = [...devs.values()][0];
  const g = name ? Object.values(GPUS).find((x) => name.startsWith(x.modelName) || x.modelName.startsWith(name)) : undefined;
  if (g) return { gpu: g, count: devs.size };
  return { gpu: GPUS['h100-80gb'], count: devs.size, note: name ? `GPU ${JSON.stringify(name)} has no preset: H100 80GB assumed (calibration absorbs part of the difference)` : 'no DCGM series for this host: an H100 80GB is assumed (calibration absorbs part of the difference)' };
}

/** max_model_len from the largest finite bucket of the token histograms (vLLM builds them 1-2-5 up to max_model_len). */
function inferMaxModelLen(view: AnalysisView, replica: string): number | undefined {
  let maxLe = 0;
  for (const s of view.series(histogramParts('vllm:request_prompt_tokens').bucket, replica)) {
    const le = parseLe(s.labels.le);
    if (Number.isFinite(le) && le > maxLe) maxLe = le;
  }
  if (!maxLe) return undefined;
  // The next 1-2-5 bound is > max_model_len; a power of two in [maxLe, next) is the usual choice.
  const next = maxLe * (String(maxLe).startsWith('2') ? 2.5 : 2);
  let p = 1;
  while (p < maxLe) p *= 2;
  return p < next ? p : maxLe;
}

/** vLLM 0.11's API-server defaults (`EngineArgs.get_batch_defaults`): ≥ 70 GiB and not an A100 → 8192 / 1024, else 2048 / 256. */
function batchDefaults(gpu: GpuPreset): { maxNumBatchedTokens: number; maxNumSeqs: number } {
  const big = gpu.memoryMiB * 1048576 >= 70 * 1024 ** 3 && !/a100/i.test(gpu.modelName);
  return big ? { maxNumBatchedTokens: 8192, maxNumSeqs: 1024 } : { maxNumBatchedTokens: 2048, maxNumSeqs: 256 };
}

/** The replayed configuration of one segment of the replica's configuration timeline (derive/config.ts). */
function configOf(view: AnalysisView, replica: string, seg: ConfigSegment, gpu: GpuPreset, startup: Map<string, ConfigScalar>): ReplayConfig {
  const origin: Record<string, SettingOrigin> = {};
  const notes: string[] = [];
  const get = (key: string): SettingValue | undefined => {
    const v = seg.values[key];
    if (v && v.source !== 'inferred') return v;
    const l = startup.get(key);
    return l !== undefined ? { value: l, source: 'log' } : v;
  };
  const read = <T extends number | string | boolean>(key: string, fallback: T, why: string): T => {
    const v = get(key);
    if (v && v.source !== 'inferred') {
      origin[key] = v.source === 'flag' ? 'set' : v.source;
      return v.value as T;
    }
    origin[key] = 'default';
    notes.push(`${key} ${String(fallback)}: ${why}`);
    return fallback;
  };
  const d = batchDefaults(gpu);
  const settings = {} as ReplayConfig['settings'];
  settings.block_size = read('block_size', 16, 'not stated; vLLM\'s default assumed');
  settings.gpu_memory_utilization = read('gpu_memory_utilization', 0.9, 'not stated; vLLM\'s default assumed');
  settings.enable_prefix_caching = read('enable_prefix_caching', true, 'not stated; vLLM V1\'s default (on) assumed');
  settings.enable_chunked_prefill = read('enable_chunked_prefill', true, 'not stated; vLLM V1 always chunks prefills');
  settings.kv_cache_dtype = read('kv_cache_dtype', 'auto', 'not stated; vLLM\'s default assumed');
  const blocks = get('num_gpu_blocks');
  settings.num_gpu_blocks = blocks && typeof blocks.value === 'number' ? blocks.value : 0;
  origin.num_gpu_blocks = blocks ? (blocks.source === 'flag' ? 'set' : blocks.source) : 'inferred';
  if (!blocks) notes.push("num_gpu_blocks: not exported; the simulator's memory model sizes the pool from gpu_memory_utilization");
  const mml = get('max_model_len');
  if (mml && mml.source !== 'inferred' && typeof mml.value === 'number') {
    settings.max_model_len = mml.value;
    origin.max_model_len = mml.source === 'flag' ? 'set' : mml.source;
  } else {
    settings.max_model_len = inferMaxModelLen(view, replica) ?? 8192;
    origin.max_model_len = 'inferred';
    notes.push(`max_model_len ${settings.max_model_len}: from the largest bucket of vllm:request_prompt_tokens (vLLM builds those buckets up to max_model_len)`);
  }
  // Scheduler settings: stated by a log or a flag, else the timeline's inference, else vLLM's default.
  const sched = (key: 'max_num_seqs' | 'max_num_batched_tokens', def: number): number => {
    const v = get(key);
    if (v && v.source !== 'inferred' && typeof v.value === 'number') {
      origin[key] = v.source === 'flag' ? 'set' : v.source;
      return v.value;
    }
    if (v && typeof v.value === 'number' && v.bound === undefined) {
      origin[key] = 'inferred';
      notes.push(`${key} ${v.value}: inferred (${v.inference?.method ?? 'metrics'})`);
      return v.value;
    }
    // A lower bound from vllm:iteration_tokens_total is not one with chunked prefill: vLLM counts a
    // request's whole prompt in the step that completes it, so steps show more than the budget.
    const lower = v && typeof v.value === 'number' && v.inference?.method !== 'iteration-tokens' ? v.value : 0;
    origin[key] = 'default';
    const value = Math.max(def, lower);
    notes.push(`${key} ${value}: not stated; vLLM 0.11's API-server default for this GPU class${lower > def ? ` raised to the ${lower} the metrics show as a lower bound` : ''}`);
    return value;
  };
  settings.max_num_seqs = sched('max_num_seqs', d.maxNumSeqs);
  settings.max_num_batched_tokens = sched('max_num_batched_tokens', d.maxNumBatchedTokens);
  return { model: '', gpu: gpu.modelName, tensorParallelSize: 1, settings, origin, notes };
}

// ---------------------------------------------------------------------------------------------------
// The traffic

/** Per-bin arrivals: finished (e2e _count increase) plus the change of running + waiting. */
function arrivalCurve(view: AnalysisView, replica: string, step: number, duration: number): number[] {
  const n = Math.max(1, Math.ceil(duration / step));
  const out = new Array<number>(n).fill(0);
  const count = view.series(histogramParts('vllm:e2e_request_latency_seconds').count, replica);
  const run = view.series('vllm:num_requests_running', replica);
  const wait = view.series('vllm:num_requests_waiting', replica);
  if (!count.length || !run.length || !wait.length) throw new InputError({ code: 'BAD_OPTION', message: `replay needs vllm:e2e_request_latency_seconds_count, num_requests_running and num_requests_waiting of ${replica}` });
  // Cumulative arrivals A(t) = finished since the window start + in flight at t, on the scrape times.
  const t = count[0].t;
  const idx = (s: Series) => {
    const m = new Map<number, number>();
    for (let i = 0; i < s.t.length; i++) m.set(s.t[i], s.v[i]);
    return m;
  };
  const r = idx(run[0]);
  const w = idx(wait[0]);
  let finished = 0;
  let prevCount = NaN;
  let prevA = NaN;
  for (let i = 0; i < t.length; i++) {
    const c = count[0].v[i];
    if (prevCount === prevCount) finished += c >= prevCount ? c - prevCount : c;
    prevCount = c;
    const inFlight = (r.get(t[i]) ?? NaN) + (w.get(t[i]) ?? NaN);
    if (inFlight !== inFlight) continue;
    const A = finished + inFlight;
    if (prevA === prevA) {
      // A drop is in-flight work lost to a restart, not negative arrivals.
      const d = Math.max(0, A - prevA);
      const b = Math.min(n - 1, Math.max(0, Math.floor((t[i] - view.start - 1e-6) / step)));
      out[b] += d;
    }
    prevA = A;
  }
  return out.map((x) => x / step);
}

/** An empirical length distribution from cumulative bucket counts, its within-bucket shape matched to the mean. */
export function empiricalFrom(h: HistogramWindow, max: number): EmpiricalDist | null {
  const total = h.counts[h.counts.length - 1];
  if (!(total > 0)) return null;
  const bounds = h.les.filter((x) => Number.isFinite(x));
  const probs: number[] = [];
  let prev = 0;
  for (let i = 0; i < h.les.length; i++) {
    probs.push(Math.max(0, h.counts[i] - prev) / total);
    prev = h.counts[i];
  }
  const d = { bounds, probs, max: Math.max(max, bounds[bounds.length - 1] ?? 1) };
  return { ...d, exponent: fitExponent(d, h.count > 0 && Number.isFinite(h.sum) ? h.sum / h.count : empiricalMean(d, 1)) };
}

interface Traffic {
  /** One stream, or two when some segments carry a second workload on top of the usual one. */
  streams: StreamSpec[];
  /** Total arrival rate per curve bin (req/s). */
  curve: number[];
  requests: number;
  curveStep: number;
  segments: number;
  /** Segments where a second workload was split off, and its share of their requests. */
  excessSegments: number;
  prefixShare: number;
  prefixTokens: number;
}

/** Per-bucket counts (not cumulative) of a histogram window, the +Inf bucket last. */
function bucketCounts(h: HistogramWindow): number[] {
  return h.counts.map((c, j) => Math.max(0, c - (j ? h.counts[j - 1] : 0)));
}

function distFrom(les: number[], counts: number[], exponent: number, max: number): EmpiricalDist | null {
  const total = counts.reduce((x, y) => x + y, 0);
  if (!(total > 0)) return null;
  const bounds = les.filter((x) => Number.isFinite(x));
  return { bounds, probs: counts.map((c) => c / total), max: Math.max(max, bounds[bounds.length - 1] ?? 1), exponent };
}

/** Mean of an empirical distribution. */
function meanOf(d: EmpiricalDist): number {
  return empiricalMean(d, d.exponent);
}

/** The distribution with its within-bucket exponent set so that its mean is `target` (as far as the buckets allow). */
function matchMean(d: EmpiricalDist, target: number): EmpiricalDist {
  return { ...d, exponent: fitExponent(d, target) };
}

/**
 * Split a segment's bucket counts into the baseline mix and a significant excess: per bucket, what
 * exceeds the baseline's expectation by more than two Poisson standard deviations. Judgement call: the
 * exports hold each length's marginal distribution only; a burst of a different workload shows as such
 * an excess in both the prompt and the output histogram, and pairing the two excesses keeps its prompts
 * with its outputs (independent draws would give 16k-token prompts chat-length answers).
 */
function excessOf(counts: number[], base: number[]): { excess: number[]; rest: number[]; total: number } {
  const n = counts.reduce((x, y) => x + y, 0);
  const excess = counts.map((c, j) => {
    const e = n * base[j];
    return Math.max(0, c - e - 2 * Math.sqrt(e + 1));
  });
  const total = excess.reduce((x, y) => x + y, 0);
  return { excess, rest: counts.map((c, j) => Math.max(0, c - excess[j])), total };
}

function trafficOf(view: AnalysisView, replica: string, maxModelLen: number, caching: boolean, segmentSeconds: number, duration: number): Traffic {
  const curveStep = Math.max(60, view.step);
  const curve = arrivalCurve(view, replica, curveStep, duration);
  const requests = curve.reduce((a, x) => a + x * curveStep, 0);
  const whole = {
    prompt: histogramBetween(view, 'vllm:request_prompt_tokens', replica, view.start - 1, view.start + duration + 1),
    output: histogramBetween(view, 'vllm:request_generation_tokens', replica, view.start - 1, view.start + duration + 1),
  };
  const wp = whole.prompt && empiricalFrom(whole.prompt, maxModelLen);
  const wo = whole.output && empiricalFrom(whole.output, maxModelLen);
  if (!wp || !wo) throw new InputError({ code: 'BAD_OPTION', message: `replay needs the vllm:request_prompt_tokens and vllm:request_generation_tokens histograms of ${replica}` });
  const seg = Math.max(curveStep, Math.round(segmentSeconds / curveStep) * curveStep);
  const nSeg = Math.max(1, Math.ceil(duration / seg));
  // Lengths are observed at finish: each curve bin's finishes are moved back to when they arrived, by
  // that bin's mean end-to-end latency, then summed per arrival segment.
  const acc = { prompt: new Map<number, HistogramWindow>(), output: new Map<number, HistogramWindow>() };
  const add = (m: Map<number, HistogramWindow>, k: number, h: HistogramWindow) => {
    const cur = m.get(k);
    if (!cur) m.set(k, { les: h.les, counts: [...h.counts], sum: h.sum, count: h.count });
    else if (cur.les.length === h.les.length) {
      for (let j = 0; j < h.counts.length; j++) cur.counts[j] += h.counts[j];
      cur.sum += h.sum;
      cur.count += h.count;
    }
  };
  for (let b = 0; b * curveStep < duration; b++) {
    const t0 = view.start + b * curveStep - (b === 0 ? 1 : 0);
    const t1 = view.start + (b + 1) * curveStep;
    const e2e = histogramBetween(view, 'vllm:e2e_request_latency_seconds', replica, t0, t1);
    if (!e2e || !(e2e.count > 0)) continue;
    const arrivedAt = (b + 0.5) * curveStep - (Number.isFinite(e2e.sum) ? e2e.sum / e2e.count : 0);
    const k = Math.min(nSeg - 1, Math.max(0, Math.floor(arrivedAt / seg)));
    const hp = histogramBetween(view, 'vllm:request_prompt_tokens', replica, t0, t1);
    const ho = histogramBetween(view, 'vllm:request_generation_tokens', replica, t0, t1);
    if (hp) add(acc.prompt, k, hp);
    if (ho) add(acc.output, k, ho);
  }
  // The baseline mix: segments whose mean prompt length is near the median segment's.
  const segMean = (i: number) => {
    const h = acc.prompt.get(i);
    return h && h.count >= 30 ? h.sum / h.count : NaN;
  };
  const means = Array.from({ length: nSeg }, (_, i) => segMean(i)).filter((x) => x === x).sort((x, y) => x - y);
  const med = means.length ? means[Math.floor(means.length / 2)] : NaN;
  const pool = (m: Map<number, HistogramWindow>) => {
    let counts: number[] | null = null;
    for (let i = 0; i < nSeg; i++) {
      const x = segMean(i);
      const h = m.get(i);
      if (!h || !(x === x) || x < 0.8 * med || x > 1.25 * med) continue;
      const c = bucketCounts(h);
      counts = counts ? counts.map((y, j) => y + (c[j] ?? 0)) : c;
    }
    const n = counts ? counts.reduce((x, y) => x + y, 0) : 0;
    return counts && n > 0 ? counts.map((c) => c / n) : null;
  };
  const baseP = pool(acc.prompt);
  const baseO = pool(acc.output);
  // The baseline's within-bucket shape, from the typical segments' own token totals.
  const poolWeight = (m: Map<number, HistogramWindow>) => {
    let sum = 0;
    let count = 0;
    let counts: number[] | null = null;
    let les: number[] = [];
    for (let i = 0; i < nSeg; i++) {
      const x = segMean(i);
      const h = m.get(i);
      if (!h || !(x === x) || x < 0.8 * med || x > 1.25 * med) continue;
      sum += h.sum;
      count += h.count;
      les = h.les;
      counts = counts ? counts.map((y, j) => y + (h.counts[j] ?? 0)) : [...h.counts];
    }
    return counts ? (empiricalFrom({ les, counts, sum, count }, maxModelLen)?.exponent ?? 1) : 1;
  };
  const basePW = poolWeight(acc.prompt);
  const baseOW = poolWeight(acc.output);
  const lesOf = (m: Map<number, HistogramWindow>) => [...m.values()][0]?.les ?? [];
  const basePD = baseP && distFrom(lesOf(acc.prompt), baseP, basePW, maxModelLen);
  const baseOD = baseO && distFrom(lesOf(acc.output), baseO, baseOW, maxModelLen);
  const prompt: EmpiricalDist[] = [];
  const output: EmpiricalDist[] = [];
  const xPrompt: EmpiricalDist[] = [];
  const xOutput: EmpiricalDist[] = [];
  const xShare: number[] = [];
  for (let i = 0; i < nSeg; i++) {
    const hp = acc.prompt.get(i);
    const ho = acc.output.get(i);
    const ok = hp && ho && hp.counts[hp.counts.length - 1] >= 30;
    const dp = (ok && empiricalFrom(hp!, maxModelLen)) || wp;
    const dout = (ok && empiricalFrom(ho!, maxModelLen)) || wo;
    let share = 0;
    if (ok && basePD && baseOD && baseP && baseO && baseP.length === hp!.les.length && baseO.length === ho!.les.length) {
      const ep = excessOf(bucketCounts(hp!), baseP);
      const eo = excessOf(bucketCounts(ho!), baseO);
      const n = hp!.counts[hp!.counts.length - 1];
      if (ep.total >= Math.max(10, 0.05 * n) && eo.total >= Math.max(10, 0.05 * n)) {
        // The segment = (1 − f) × the baseline mix + f × the excess, f from the prompt histogram (the same
        // requests carry the output excess). Each part's within-bucket shape matches its token total.
        share = Math.min(0.95, ep.total / n);
        const nx = share * n;
        const no = ho!.counts[ho!.counts.length - 1];
        const nxo = share * no;
        prompt.push(basePD!);
        output.push(baseOD!);
        xPrompt.push(matchMean(distFrom(hp!.les, ep.excess, 1, maxModelLen)!, (hp!.sum - (n - nx) * meanOf(basePD!)) / nx));
        xOutput.push(matchMean(distFrom(ho!.les, eo.excess, 1, maxModelLen)!, (ho!.sum - (no - nxo) * meanOf(baseOD!)) / nxo));
        xShare.push(share);
        continue;
      }
    }
    prompt.push(dp);
    output.push(dout);
    xPrompt.push(dp);
    xOutput.push(dout);
    xShare.push(0);
  }
  // Prefix sharing: hits / queries of the window, as a share of requests carrying one of 4 popular prefixes.
  const q = view.total('vllm:prefix_cache_queries_total', replica) ?? 0;
  const hits = view.total('vllm:prefix_cache_hits_total', replica) ?? 0;
  const hit = caching && q > 0 ? hits / q : 0;
  const meanPrompt = whole.prompt!.count > 0 ? whole.prompt!.sum / whole.prompt!.count : 0;
  let share = 0;
  let tokens = 0;
  if (hit > 0 && meanPrompt > 0) {
    share = 0.7;
    tokens = (hit * meanPrompt) / share;
    const cap = 0.8 * meanPrompt;
    if (tokens > cap) {
      share = Math.min(1, (hit * meanPrompt) / cap);
      tokens = cap;
    }
  }
  const segOf = (b: number) => Math.min(nSeg - 1, Math.floor((b * curveStep) / seg));
  const excessSegments = xShare.filter((x) => x > 0).length;
  const base: StreamSpec = {
    name: 'replay',
    rate: { rps: 0, curve: { start: 0, step: curveStep, rps: curve.map((r, b) => r * (1 - xShare[segOf(b)])) } },
    prompt: { median: 1, sigma: 0 },
    output: { median: 1, sigma: 0 },
    maxTokens: [maxModelLen],
    mix: { step: seg, prompt, output },
    ...(share > 0 ? { prefix: { share, count: 4, length: { median: Math.max(16, Math.round(tokens)), sigma: 0 }, zipf: 1, carve: true } } : {}),
  };
  const streams = [base];
  if (excessSegments) {
    streams.push({
      name: 'replay-excess',
      rate: { rps: 0, curve: { start: 0, step: curveStep, rps: curve.map((r, b) => r * xShare[segOf(b)]) } },
      prompt: { median: 1, sigma: 0 },
      output: { median: 1, sigma: 0 },
      maxTokens: [maxModelLen],
      mix: { step: seg, prompt: xPrompt, output: xOutput },
    });
  }
  return { streams, curve, requests, curveStep, segments: nSeg, excessSegments, prefixShare: share, prefixTokens: Math.round(tokens) };
}

// ---------------------------------------------------------------------------------------------------
// Measuring a window and a replay alike

/** A MetricSet of a simulated replica (names and labels as ingest would give them). */
export function metricSetOf(results: ReplicaResult[], startTime: number, interval: number): MetricSet {
  const series: Series[] = [];
  for (const r of results) {
    const n = r.nScrapes;
    r.registry.series.forEach((def, s) => {
      let k = 0;
      for (let i = 0; i < n; i++) if (r.data[s * n + i] === r.data[s * n + i]) k++;
      if (!k) return;
      const t = new Float64Array(k);
      const v = new Float64Array(k);
      let j = 0;
      for (let i = 0; i < n; i++) {
        const x = r.data[s * n + i];
        if (x !== x) continue;
        t[j] = startTime + i * interval;
        v[j++] = x;
      }
      series.push({ name: resolveMetricName(def.name).name, labels: canonicalLabels(Object.fromEntries(def.labels)), t, v });
    });
  }
  return new MetricSet(series);
}

function nn(x: number | null | undefined): number | null {
  return x === undefined || x === null || !Number.isFinite(x) ? null : Math.round(x * 1e6) / 1e6;
}

function firstBucket(d: { lower: number; upper: number } | null): number | null {
  return d && d.lower <= 0 && Number.isFinite(d.upper) ? d.upper : null;
}

export function measure(view: AnalysisView, replica: string): Measures {
  const q = (base: HistogramName) => nn(view.quantile(base, 0.95, replica)?.value);
  const wait = view.gauge('vllm:num_requests_waiting', replica, 'sum');
  let wSum = 0;
  let wN = 0;
  let wMax = -Infinity;
  if (wait) {
    for (let i = 0; i < wait.length; i++) {
      if (wait[i] !== wait[i]) continue;
      wSum += wait[i];
      wN++;
      if (wait[i] > wMax) wMax = wait[i];
    }
  }
  const queries = view.total('vllm:prefix_cache_queries_total', replica);
  const hits = view.total('vllm:prefix_cache_hits_total', replica);
  return {
    requests: Math.round(view.total(histogramParts('vllm:e2e_request_latency_seconds').count, replica) ?? 0),
    promptTokens: nn(view.total('vllm:prompt_tokens_total', replica)),
    generationTokens: nn(view.total('vllm:generation_tokens_total', replica)),
    ttftP95Seconds: q('vllm:time_to_first_token_seconds'),
    tbtP95Seconds: q('vllm:inter_token_latency_seconds'),
    e2eP95Seconds: q('vllm:e2e_request_latency_seconds'),
    itlMeanSeconds: nn(view.histogramMean('vllm:inter_token_latency_seconds', replica)),
    prefillMeanSeconds: nn(view.histogramMean('vllm:request_prefill_time_seconds', replica)),
    queueMeanSeconds: nn(view.histogramMean('vllm:request_queue_time_seconds', replica)),
    queueP95Seconds: q('vllm:request_queue_time_seconds'),
    queueP95BelowSeconds: firstBucket(view.quantile('vllm:request_queue_time_seconds', 0.95, replica)),
    waitingMean: wN ? nn(wSum / wN) : null,
    waitingMax: wN ? wMax : null,
    preemptions: nn(view.total('vllm:num_preemptions_total', replica)),
    prefixHitRatio: queries && hits !== null ? nn(hits / queries) : null,
  };
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

/**
 * How closely a replay at the window's own configuration reproduces it (docs/simulator.md, "Replay";
 * asserted on every bundled dataset by test/unit/simulate-replay.test.ts), by the regime the window
 * measured: `thrashing` = at least 100 preemptions, `saturated` = mean requests waiting ≥ 1, else `steady`.
 */
export const REPLAY_TOLERANCE = {
  tbtP95Relative: 0.25,
  ttftP95Factor: { steady: 1.5, saturated: 3, thrashing: 8 },
  queueFactor: { steady: 1.5, saturated: 3, thrashing: 8 },
  queueAbsSeconds: 0.05,
  waitingAbs: 1,
  preemptionsFactor: 2,
  preemptionsAbs: 50,
  promptTokensRelative: 0.05,
};

export type ReplayRegime = 'steady' | 'saturated' | 'thrashing';

export function replayRegime(m: Measures): ReplayRegime {
  return (m.preemptions ?? 0) >= 100 ? 'thrashing' : (m.waitingMean ?? 0) >= 1 ? 'saturated' : 'steady';
}

function withinFactor(a: number, b: number, f: number): boolean {
  return b <= a * f && a <= b * f;
}

/**
 * The first quantity a replay at the own configuration misses by more than REPLAY_TOLERANCE, as
 * words ("TTFT p95 12 s replayed against 0.8 s measured"), or null when it reproduces the window.
 * A quantity the window does not measure is not checked.
 */
export function replayMisfit(m: Measures, p: Measures): string | null {
  const t = REPLAY_TOLERANCE;
  const f = replayRegime(m);
  const has = (x: number | null): x is number => x !== null && Number.isFinite(x);
  const say = (what: string, a: number, b: number) => `${what} ${Math.round(b * 1000) / 1000} replayed against ${Math.round(a * 1000) / 1000} measured (${f} window)`;
  if (has(m.tbtP95Seconds) && m.tbtP95Seconds > 0) {
    if (!has(p.tbtP95Seconds) || Math.abs(p.tbtP95Seconds - m.tbtP95Seconds) / m.tbtP95Seconds > t.tbtP95Relative) return say('inter-token p95 (s)', m.tbtP95Seconds, p.tbtP95Seconds ?? NaN);
  }
  if (has(m.ttftP95Seconds) && m.ttftP95Seconds > 0) {
    if (!has(p.ttftP95Seconds) || !withinFactor(m.ttftP95Seconds, p.ttftP95Seconds, t.ttftP95Factor[f])) return say('TTFT p95 (s)', m.ttftP95Seconds, p.ttftP95Seconds ?? NaN);
  }
  if (has(m.queueMeanSeconds) && has(p.queueMeanSeconds) && Math.abs(p.queueMeanSeconds - m.queueMeanSeconds) > t.queueAbsSeconds && !withinFactor(m.queueMeanSeconds, p.queueMeanSeconds, t.queueFactor[f])) return say('queue time mean (s)', m.queueMeanSeconds, p.queueMeanSeconds);
  if (has(m.waitingMean) && has(p.waitingMean) && Math.abs(p.waitingMean - m.waitingMean) > t.waitingAbs && !withinFactor(m.waitingMean, p.waitingMean, t.queueFactor[f])) return say('requests waiting mean', m.waitingMean, p.waitingMean);
  if (has(m.preemptions) && has(p.preemptions) && Math.abs(p.preemptions - m.preemptions) > t.preemptionsAbs && !withinFactor(m.preemptions, p.preemptions, t.preemptionsFactor)) return say('preemptions', m.preemptions, p.preemptions);
  // Served prompt tokens check the reconstructed traffic only where the replica served what it was
  // offered (steady); in a saturated or thrashing window that ends with a backlog they measure
  // throughput, an outcome the checks above already judge (kv-cache-thrashing's 10.0.0.11:8000 replays
  // 5.2 % fewer while its TTFT p95 and preemptions are within 6 % and 2 %).
  if (f === 'steady' && has(m.promptTokens) && m.promptTokens > 0 && has(p.promptTokens) && Math.abs(p.promptTokens - m.promptTokens) / m.promptTokens > t.promptTokensRelative) return say('prompt tokens', m.promptTokens, p.promptTokens);
  return null;
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

function clamp(x: number): number {
  return Math.min(4, Math.max(0.25, x));
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Mean over scrapes with requests running of KV usage ÷ running: the KV share one running sequence holds. */
function kvPerRunning(view: AnalysisView, replica: string, from: number, to: number): number {
  const kv = view.gauge('vllm:kv_cache_usage_perc', replica, 'max');
  const run = view.gauge('vllm:num_requests_running', replica, 'sum');
  if (!kv || !run) return NaN;
  let s = 0;
  let n = 0;
  for (let i = 0; i < view.grid.length; i++) {
    const t = view.grid[i] - view.start;
    if (t < from || t >= to || !(run[i] > 0) || kv[i] !== kv[i]) continue;
    s += kv[i] / run[i];
    n++;
  }
  return n ? s / n : NaN;
}

/** Measures over a sub-window [from, to) of the view (offsets), for calibration. */
function measureWindow(view: AnalysisView, replica: string, from: number, to: number): Pick<Measures, 'itlMeanSeconds' | 'prefillMeanSeconds' | 'prefixHitRatio'> & { kvPerRunning: number | null; kvMax: number | null; preemptions: number | null } {
  const t0 = view.start + from;
  const t1 = view.start + to;
  const mean = (base: HistogramName) => {
    const h = histogramBetween(view, base, replica, t0, t1);
    return h && h.count > 0 ? h.sum / h.count : null;
  };
  const q = totalBetween(view, 'vllm:prefix_cache_queries_total', replica, t0, t1);
  const h = totalBetween(view, 'vllm:prefix_cache_hits_total', replica, t0, t1);
  const kvr = kvPerRunning(view, replica, from, to);
  const kvg = view.gauge('vllm:kv_cache_usage_perc', replica, 'max');
  let kvMax: number | null = null;
  if (kvg) for (let i = 0; i < view.grid.length; i++) {
    const t = view.grid[i] - view.start;
    if (t >= from && t < to && kvg[i] === kvg[i]) kvMax = Math.max(kvMax ?? 0, kvg[i]);
  }
  const preemptions = totalBetween(view, 'vllm:num_preemptions_total', replica, t0, t1);
  return {
    kvMax,
    preemptions: preemptions !== null && preemptions > 0 ? preemptions : null, itlMeanSeconds: mean('vllm:inter_token_latency_seconds'), prefillMeanSeconds: mean('vllm:request_prefill_time_seconds'), prefixHitRatio: q && h !== null ? h / q : null, kvPerRunning: Number.isFinite(kvr) ? kvr : null };
}
