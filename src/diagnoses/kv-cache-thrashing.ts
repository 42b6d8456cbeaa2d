// KV_CACHE_THRASHING: the KV pool runs full and vLLM preempts running requests to make room; each
// preempted request is recomputed later, so the same work is done twice and TTFT rises.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';
import { kvFit } from '../recommend/capacity.js';
import type { Recommendation } from '../model/result.js';
import { duration } from '../report/format.js';

export default defineDiagnosis({
  code: 'KV_CACHE_THRASHING',
  needs: ['kv-pressure', 'preemptions'],
  perReplica: true,
  diagnose({ view, scope, signal }) {
    const kv = signal('kv-pressure');
    const pre = signal('preemptions');
    const why = missing(kv, 'kv-pressure') ?? missing(pre, 'preemptions');
    if (why) return notEvaluated(why);
    if (kv!.status !== 'issue' || pre!.status !== 'issue') return none;
    const ttft = signal('latency-ttft');
    const recs: Recommendation[] = [];
    const fit = kvFit(view, scope);
    const current = view.num('max_num_seqs');
    if (fit) {
      const { cap, fp, maxSeqs: to } = fit;
      if (current === undefined || to < current) {
        recs.push({
          setting: 'max_num_seqs',
          from: current ?? null,
          to,
          because: `the KV pool holds ${Math.round(cap.tokens)} tokens (${cap.source}) and a request needs ${Math.round(fp.tokensPerSequence)} at its end (mean prompt ${Math.round(fp.promptMeanTokens)} + mean output ${Math.round(fp.generationMeanTokens)}); ${to} such requests fill 90% of it`,
          expectedEffect: 'preemptions stop; each admitted request keeps its blocks to the end, so no prefill is recomputed',
          risk: 'fewer concurrent requests: throughput falls if the KV pool was not the bottleneck; watch the queue',
          confidence: 'high',
        });
      }
    }
    const gmu = view.num('gpu_memory_utilization');
    if (gmu !== undefined && gmu < 0.92) {
      const to = Math.min(0.92, Math.round((gmu + 0.05) * 100) / 100);
      recs.push({ setting: 'gpu_memory_utilization', from: gmu, to, because: `KV usage reached ${((ev(kv, 'kvMaxRatio') ?? 0) * 100).toFixed(0)}% with ${Math.round((1 - gmu) * 100)}% of GPU memory left outside vLLM's budget; ${to} raises vLLM's memory budget by ${Math.round(((to - gmu) / gmu) * 100)}%, and the KV pool by more, since the weights take the same memory as before`, expectedEffect: 'more KV blocks, fewer preemptions', risk: 'less room for other processes on the GPU and for activation spikes', confidence: 'medium' });
    }
    const dtype = view.setting('kv_cache_dtype');
    if (dtype === undefined || dtype === 'auto') {
      recs.push({ setting: 'kv_cache_dtype', from: dtype === undefined ? null : String(dtype), to: 'fp8', because: 'fp8 KV halves the bytes per token of a 16-bit cache, doubling the tokens the same memory holds', expectedEffect: 'about 2× the KV capacity', risk: 'needs a GPU with fp8 support (Hopper, Ada, MI300) and a small accuracy check', confidence: 'medium' });
    }
    const from = ev(kv, 'firstHighSeconds');
    const to = ev(kv, 'lastHighSeconds');
    return {
      kind: 'finding',
      severity: 'critical',
      summary: `KV usage was at or above ${Math.round((ev(kv, 'highThresholdRatio') ?? 0.9) * 100)}% for ${Math.round((ev(kv, 'timeAboveThresholdRatio') ?? 0) * 100)}% of the window and ${Math.round(ev(pre, 'preemptionsTotal') ?? 0)} requests were preempted${ev(pre, 'preemptionsPerRequest') !== null ? ` (${((ev(pre, 'preemptionsPerRequest') ?? 0) * 100).toFixed(1)}% of finished requests)` : ''}${ttft?.status === 'issue' ? `; TTFT p95 ${duration(ev(ttft, 'p95Seconds'))} is over its ${duration(ev(ttft, 'targetSeconds'))} target` : ''}.`,
      evidence: {
        kvP95Ratio: ev(kv, 'kvP95Ratio'),
        kvMaxRatio: ev(kv, 'kvMaxRatio'),
        timeAbove90Ratio: ev(kv, 'timeAboveThresholdRatio'),
        preemptionsTotal: ev(pre, 'preemptionsTotal'),
        preemptionsPerRequest: ev(pre, 'preemptionsPerRequest'),
        ttftP95Seconds: ev(ttft, 'p95Seconds'),
        kvCapacityTokens: fit?.cap.tokens ?? null,
        tokensPerSequence: fit?.fp.tokensPerSequence ?? null,
      },
      ...(from !== null && to !== null ? { window: { startSeconds: from, endSeconds: to } } : {}),
      recommendations: recs,
    };
  },
});
