// The replayed configuration of a replica: its GPU and model presets from the metrics' labels, and each
// configuration segment's settings (cache_config_info, the server log, inferred and labelled so, defaults).

import { InputError } from '../errors.js';
import { histogramParts, type SeriesName } from '../model/metric-catalog.js';
import { AnalysisView, parseLe } from '../derive/view.js';
import type { ConfigSegment, SettingValue } from '../model/config-timeline.js';
import type { ConfigScalar } from '../model/serving-config.js';
import { GPUS, MODELS, type GpuPreset, type ModelPreset } from './presets.js';
import type { ReplayConfig, SettingOrigin } from './replay-types.js';

// Reading the inputs

export function firstLabel(view: AnalysisView, name: SeriesName, replica: string, label: string): string | undefined {
  for (const s of view.series(name, replica)) if (s.labels[label] !== undefined) return s.labels[label];
  return undefined;
}

export function findModel(hfId: string | undefined): ModelPreset {
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
export function findGpu(view: AnalysisView, replica: string): { gpu: GpuPreset; count: number; note?: string } {
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
export function configOf(view: AnalysisView, replica: string, seg: ConfigSegment, gpu: GpuPreset, startup: Map<string, ConfigScalar>): ReplayConfig {
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

