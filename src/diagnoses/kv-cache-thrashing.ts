// KV_CACHE_THRASHING: the replica's KV pool runs full and vLLM preempts running requests to make room;
// each preempted request is recomputed later, so the same work is done twice and TTFT rises.
// Episodes: where KV pressure and a sustained preemption rate coincide. The fix is sized from this
// replica's pool and the traffic of the worst episode.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy, type ProposalAt } from './define-diagnosis.js';
import { coincide, episode, mergeSpans } from './shared.js';
import type { ThrashEpisode } from './evidence.js';
import { KV_HEADROOM, kvFitBetween, memoryRoom, poolAtFraction, sequencesThatFit } from '../recommend/capacity.js';
import { quantileBetween, statsBetween, totalBetween } from '../derive/windowed.js';
import type { AnalysisView } from '../derive/view.js';

/** Preemptions per finished request at which thrashing is critical (5%). Judgement call. */
export const CRITICAL_PREEMPTIONS_PER_REQUEST = 0.05;

function numbers(view: AnalysisView, replica: string, t0: number, t1: number): ThrashEpisode {
  const kv = statsBetween(view, view.gauge('vllm:kv_cache_usage_perc', replica, 'avg'), t0, t1);
  const pre = totalBetween(view, 'vllm:num_preemptions_total', replica, t0, t1);
  const fin = totalBetween(view, 'vllm:request_success_total', replica, t0, t1);
  const fit = kvFitBetween(view, replica, t0, t1);
  return {
    kvMeanRatio: kv.mean,
    kvMaxRatio: kv.max,
    preemptions: pre,
    requestsFinished: fin,
    preemptionsPerRequest: pre !== null && fin ? pre / fin : null,
    ttftP95Seconds: quantileBetween(view, 'vllm:time_to_first_token_seconds', 0.95, replica, t0, t1)?.value ?? null,
    waitingMax: statsBetween(view, view.gauge('vllm:num_requests_waiting', replica, 'sum'), t0, t1).max,
    promptMeanTokens: fit?.footprint.promptMeanTokens ?? null,
    outputMeanTokens: fit?.footprint.outputMeanTokens ?? null,
    tokensPerSequence: fit?.footprint.tokensPerSequence ?? null,
    poolTokens: fit?.pool.tokens ?? null,
    sequencesThatFit: fit?.fits ?? null,
    maxNumSeqs: view.readNum(replica, 'max_num_seqs', t0) ?? null,
  };
}

export default defineDiagnosis({
  code: 'KV_CACHE_THRASHING',
  needs: ['kv-pressure', 'preemptions'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const kv = signal('kv-pressure');
    const pre = signal('preemptions');
    const why = missing(kv, 'kv-pressure') ?? missing(pre, 'preemptions');
    if (why) return notEvaluated(why);
    // Each preemption frees the victim's blocks, so a thrashing pool's usage swings (long sequences: by
    // tenths of the pool at a time) and its sliding-window mean can stay under the threshold through a whole
    // episode. vLLM preempts only when a step cannot get a block, so a sustained preemption episode in
    // which the gauge itself reached the threshold is the same pathology, whatever the mean.
    const kvGauge = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
    const full = kv!.evidence.highThresholdRatio;
    const touched = pre!.episodes.filter((e) => (statsBetween(view, kvGauge, e.startSeconds, e.endSeconds).max ?? 0) >= full);
    const spans = mergeSpans([...coincide(view, kv!.episodes, pre!.episodes), ...touched]);
    if (!spans.length) return none;
    const episodes = spans.map((s) => episode(s, numbers(view, scope, s.startSeconds, s.endSeconds)));
    const worst = worstBy(episodes, (n) => n.preemptions)!;
    const w = worst.numbers;
    const at = worst.startSeconds;
    const proposals: ProposalAt[] = [];
    const fit = kvFitBetween(view, scope, worst.startSeconds, worst.endSeconds);
    const maxNumSeqs = view.readNum(scope, 'max_num_seqs', at);
    const kvFitReason = (poolTokens: number, result: number, extra: Record<string, number | null> = {}) => ({
      kind: 'kv-fit' as const,
      numbers: {
        poolTokens,
        numGpuBlocks: extra.memoryRaisedTo !== undefined ? null : fit!.pool.numGpuBlocks,
        blockSize: extra.memoryRaisedTo !== undefined ? null : fit!.pool.blockSize,
        promptMeanTokens: fit!.footprint.promptMeanTokens,
        outputMeanTokens: fit!.footprint.outputMeanTokens,
        tokensPerSequence: fit!.footprint.tokensPerSequence,
        headroomRatio: KV_HEADROOM,
        result,
        episodeStartSeconds: worst.startSeconds,
        episodeEndSeconds: worst.endSeconds,
        ...extra,
      },
    });
    // A pool made small by a low gpu_memory_utilization: raising the fraction is the fix when the GPU
    // had that memory free for the whole window (nothing else was using it); the cut in concurrency is
    // then only what the larger pool still cannot hold. Without that evidence the fraction stays an
    // alternative and max_num_seqs is sized to the pool as it is.
    const gmu = view.readNum(scope, 'gpu_memory_utilization', at);
    const room = memoryRoom(view, scope);
    const raiseTo = 0.9;
    const extraGiB = gmu !== undefined && room ? (raiseTo - gmu) * room.totalGiB : null;
    const memoryFree = extraGiB !== null && extraGiB > 0 && room!.freeMinGiB >= extraGiB;
    if (gmu !== undefined && gmu < raiseTo) {
      const kvGiB = view.readNum(scope, 'kv_cache_memory_gib', at);
      const raised = fit ? poolAtFraction(fit.pool.tokens, gmu, raiseTo, kvGiB, room?.totalGiB) : null;
      const fitsAfter = raised && fit ? sequencesThatFit(raised.tokens, fit.footprint.tokensPerSequence) : null;
      proposals.push({
        replica: scope,
        atSeconds: at,
        setting: 'gpu_memory_utilization',
        to: raiseTo,
        direction: 'raise',
        confidence: memoryFree && raised?.basis === 'estimate' ? 'high' : 'medium',
        role: memoryFree ? 'primary' : 'alternative',
        reason: {
          kind: 'memory-fraction-raise',
          numbers: {
            currentRatio: gmu,
            toRatio: raiseTo,
            poolTokens: fit?.pool.tokens ?? null,
            kvCacheGiB: kvGiB ?? null,
            gpuMemoryGiB: room?.totalGiB ?? null,
            extraGiB,
            freeMinGiB: room?.freeMinGiB ?? null,
            poolAfterTokens: raised?.tokens ?? null,
            poolAfterIsLowerBound: raised ? (raised.basis === 'at-least' ? 1 : 0) : null,
            tokensPerSequence: fit?.footprint.tokensPerSequence ?? null,
            sequencesThatFitAfter: fitsAfter,
          },
        },
      });
      if (memoryFree && fit && raised && fitsAfter !== null && (maxNumSeqs === undefined || fitsAfter < maxNumSeqs)) {
        // Even the larger pool cannot hold max_num_seqs requests of this episode: size it to that pool.
        proposals.push({ replica: scope, atSeconds: at, setting: 'max_num_seqs', to: fitsAfter, direction: 'lower', confidence: raised.basis === 'estimate' ? 'high' : 'medium', reason: kvFitReason(raised.tokens, fitsAfter, { memoryRaisedTo: raiseTo }) });
      }
    }
    if (fit) {
      // Sized to the pool as it is: the fix, or — when the fraction can be raised — the fallback.
      proposals.push({ replica: scope, atSeconds: at, setting: 'max_num_seqs', to: fit.fits, direction: 'lower', confidence: 'high', ...(memoryFree ? { role: 'alternative' as const } : {}), reason: kvFitReason(fit.pool.tokens, fit.fits) });
    }
    const dtype = view.settingAt(scope, 'kv_cache_dtype', at);
    if (dtype && dtype.source !== 'inferred' && String(dtype.value) === 'auto') {
      proposals.push({
        replica: scope,
        atSeconds: at,
        setting: 'kv_cache_dtype',
        to: 'fp8',
        direction: 'set',
        confidence: 'medium',
        role: 'alternative',
        reason: { kind: 'kv-fp8', numbers: { poolTokens: fit?.pool.tokens ?? null, poolAfterTokens: fit ? fit.pool.tokens * 2 : null, tokensPerSequence: fit?.footprint.tokensPerSequence ?? null, sequencesThatFitAfter: fit ? Math.floor((0.9 * fit.pool.tokens * 2) / fit.footprint.tokensPerSequence) : null } },
      });
    }
    const ttftTarget = view.slo.ttftSeconds;
    const critical = (w.preemptionsPerRequest ?? 0) >= CRITICAL_PREEMPTIONS_PER_REQUEST || (w.ttftP95Seconds ?? 0) > ttftTarget;
    return found({
      severity: critical ? 'critical' : 'warning',
      episodes,
      evidence: { ...w, episodes: episodes.length, preemptionsTotal: pre!.evidence.preemptionsTotal },
      proposals,
      incident: true,
    });
  },
});
