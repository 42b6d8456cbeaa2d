// Before / during / after an episode on one replica: the traffic (request rate, prompt and output
// lengths, prefix-cache hit rate) and the state (running, waiting, KV usage, TTFT), and the traffic
// quantity that changed most from before to during — the trigger, when the data shows one.

import type { IncidentContext, TrafficStats } from '../model/result.js';
import type { AnalysisView, Scope } from './view.js';
import { episodeWindowSeconds, histogramMeanBetween, quantileBetween, statsBetween, totalBetween } from './windowed.js';
import { lengthShiftBetween } from './quality.js';

/** The before/after stretches are as long as the episode, at most this long. */
export const CONTEXT_MAX_SECONDS = 1800;
/** A traffic quantity that moved by this factor (either way) is a candidate trigger. Judgement call. */
export const TRIGGER_MIN_RATIO = 1.5;

export function trafficStats(view: AnalysisView, r: Scope, t0: number, t1: number): TrafficStats {
  const dur = Math.max(t1 - t0, view.step);
  const fin = totalBetween(view, 'vllm:request_success_total', r, t0, t1);
  const q = totalBetween(view, 'vllm:prefix_cache_queries_total', r, t0, t1);
  const h = totalBetween(view, 'vllm:prefix_cache_hits_total', r, t0, t1);
  return {
    startSeconds: t0,
    endSeconds: t1,
    requestsPerSecond: fin !== null ? fin / dur : null,
    promptTokensPerSecond: (() => {
      const p = totalBetween(view, 'vllm:prompt_tokens_total', r, t0, t1);
      return p !== null ? p / dur : null;
    })(),
    promptTokensMean: histogramMeanBetween(view, 'vllm:request_prompt_tokens', r, t0, t1),
    promptTokensP95: quantileBetween(view, 'vllm:request_prompt_tokens', 0.95, r, t0, t1)?.value ?? null,
    outputTokensMean: histogramMeanBetween(view, 'vllm:request_generation_tokens', r, t0, t1),
    maxTokensMean: histogramMeanBetween(view, 'vllm:request_params_max_tokens', r, t0, t1),
    prefixCacheHitRatio: q && h !== null ? h / q : null,
    runningMean: statsBetween(view, view.gauge('vllm:num_requests_running', r, 'sum'), t0, t1).mean,
    waitingMean: statsBetween(view, view.gauge('vllm:num_requests_waiting', r, 'sum'), t0, t1).mean,
    kvUsageMeanRatio: statsBetween(view, view.gauge('vllm:kv_cache_usage_perc', r, 'avg'), t0, t1).mean,
    ttftP95Seconds: quantileBetween(view, 'vllm:time_to_first_token_seconds', 0.95, r, t0, t1)?.value ?? null,
  };
}

/**
 * The traffic quantities compared (state such as the queue is an effect, not a trigger). The load ones
 * can be a trigger; the prefix-cache hit rate moves with the prompts and the max_tokens clients send
 * loads nothing by itself (it cuts answers), so those are the trigger only when no load quantity moved.
 */
const LOAD: (keyof TrafficStats)[] = ['requestsPerSecond', 'promptTokensPerSecond', 'promptTokensMean', 'promptTokensP95', 'outputTokensMean'];
const TRAFFIC: (keyof TrafficStats)[] = [...LOAD, 'maxTokensMean', 'prefixCacheHitRatio'];

export function incidentContext(view: AnalysisView, r: Scope, t0: number, t1: number, decomposition: IncidentContext['decomposition'] = null): IncidentContext {
  // Before and after: as long as the episode (at most half an hour), or what the window has of it, if
  // that is at least one sliding window.
  const len = Math.min(Math.max(t1 - t0, view.step), CONTEXT_MAX_SECONDS);
  const w = episodeWindowSeconds(view);
  const beforeLen = Math.min(len, t0 - view.start);
  const afterLen = Math.min(len, view.end - t1);
  const before = beforeLen >= w ? trafficStats(view, r, t0 - beforeLen, t0) : null;
  const after = afterLen >= w ? trafficStats(view, r, t1, t1 + afterLen) : null;
  const during = trafficStats(view, r, t0, t1);
  const changes: IncidentContext['changes'] = [];
  if (before) {
    for (const k of TRAFFIC) {
      const b = before[k];
      const d = during[k];
      if (typeof b !== 'number' || typeof d !== 'number' || !(b > 0) || !(d > 0)) continue;
      const ratio = d / b;
      if (Math.max(ratio, 1 / ratio) >= TRIGGER_MIN_RATIO) changes.push({ quantity: k, before: b, during: d, ratio });
    }
  }
  const strength = (c: { ratio: number }) => Math.max(c.ratio, 1 / c.ratio);
  changes.sort((a, b) => strength(b) - strength(a));
  const trigger = changes.find((c) => LOAD.includes(c.quantity as keyof TrafficStats)) ?? changes[0] ?? null;
  // The length distributions' distance from before to during (a new prompt mix, answers cut shorter).
  const psiOf = (base: 'vllm:request_prompt_tokens' | 'vllm:request_generation_tokens') => (before ? lengthShiftBetween(view, base, r, before, during)?.psi ?? null : null);
  const lengthPsi = { prompt: psiOf('vllm:request_prompt_tokens'), output: psiOf('vllm:request_generation_tokens') };
  return { before, during, after, trigger, changes, decomposition, ...(lengthPsi.prompt !== null || lengthPsi.output !== null ? { lengthPsi } : {}) };
}
