// GPU_UNDERUTILIZED, in two kinds: config-bound (the running batch held at max_num_seqs while requests
// wait, with KV blocks to spare and fast steps — episodes) and demand-bound (no queue and an idle KV
// pool over the whole window: the replica has more capacity than its traffic needs).

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy, type ProposalAt } from './define-diagnosis.js';
import { episode, wholeWindow } from './shared.js';
import type { ConfigBoundEpisode } from './evidence.js';
import { kvFitBetween } from '../recommend/capacity.js';
import { quantileBetween, statsBetween } from '../derive/windowed.js';
import { SAFE_RANGES } from '../recommend/defaults.js';

/** KV usage (mean over the episode) below which the pool clearly has room for more sequences. Judgement call. */
export const KV_ROOM_RATIO = 0.8;
/** Demand-bound: KV usage mean and queue share below these. Judgement calls. */
export const IDLE_KV_MEAN = 0.25;
export const IDLE_QUEUE_SHARE = 0.05;

export default defineDiagnosis({
  code: 'GPU_UNDERUTILIZED',
  needs: ['batch-plateau', 'queue-buildup', 'kv-pressure'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const plateau = signal('batch-plateau');
    const q = signal('queue-buildup');
    const kv = signal('kv-pressure');
    const gpu = signal('gpu-utilization');
    const why = missing(q, 'queue-buildup') ?? missing(kv, 'kv-pressure');
    if (why) return notEvaluated(why);
    // Config-bound: the scheduler cap holds the batch small while requests wait and KV has room; fast
    // steps (TBT within target) show the GPU has room too — a busy GPU at the cap is not under-used.
    const tbtTarget = view.slo.tbtSeconds;
    const episodes = (plateau?.status === 'issue' ? plateau.episodes : [])
      .map((e) => {
        const span = { startSeconds: e.startSeconds, endSeconds: e.endSeconds };
        const fit = kvFitBetween(view, scope, e.startSeconds, e.endSeconds);
        const n: ConfigBoundEpisode = {
          runningMean: e.numbers.runningMean,
          capRequests: e.numbers.capRequests,
          kvMeanRatio: e.numbers.kvMeanRatio,
          waitingMax: statsBetween(view, view.gauge('vllm:num_requests_waiting', scope, 'sum'), e.startSeconds, e.endSeconds).max,
          tbtP95Seconds: quantileBetween(view, 'vllm:inter_token_latency_seconds', 0.95, scope, e.startSeconds, e.endSeconds)?.value ?? null,
          sequencesThatFit: fit?.fits ?? null,
        };
        return episode(span, n);
      })
      .filter((e) => (e.numbers.kvMeanRatio ?? 1) < KV_ROOM_RATIO && (e.numbers.tbtP95Seconds === null || e.numbers.tbtP95Seconds <= tbtTarget));
    if (episodes.length) {
      const worst = worstBy(episodes, (_n, e) => e.durationSeconds)!;
      const w = worst.numbers;
      const proposals: ProposalAt[] = [];
      const fit = kvFitBetween(view, scope, worst.startSeconds, worst.endSeconds);
      if (fit && w.capRequests !== null) {
        const to = Math.min(fit.fits, SAFE_RANGES.max_num_seqs!.max);
        proposals.push({
          replica: scope,
          atSeconds: worst.startSeconds,
          setting: 'max_num_seqs',
          to,
          direction: 'raise',
          confidence: 'high',
          reason: { kind: 'kv-fit-raise', numbers: { capRequests: w.capRequests, kvMeanRatio: w.kvMeanRatio, poolTokens: fit.pool.tokens, numGpuBlocks: fit.pool.numGpuBlocks, blockSize: fit.pool.blockSize, tokensPerSequence: fit.footprint.tokensPerSequence, promptMeanTokens: fit.footprint.promptMeanTokens, outputMeanTokens: fit.footprint.outputMeanTokens, headroomRatio: 0.9, sequencesThatFit: fit.fits, result: to } },
        });
      }
      return found({ severity: 'warning', episodes, evidence: { ...w, kind: 'config-bound', capSource: plateau!.evidence.capSource }, proposals, incident: true });
    }
    // Demand-bound: nothing waits and the KV pool (and the GPU, when DCGM says so) is mostly idle.
    const kvMean = kv!.evidence.kvMeanRatio ?? 1;
    const queueShare = q!.evidence.timeWithQueueRatio;
    const gpuKnownBusy = gpu?.status === 'ok';
    if (q!.episodes.length === 0 && queueShare < IDLE_QUEUE_SHARE && kvMean < IDLE_KV_MEAN && !gpuKnownBusy) {
      const req = view.rate('vllm:request_success_total', scope);
      const rps = statsBetween(view, req, view.start, view.end).mean;
      const gu = gpu?.status === 'issue' ? gpu.evidence.gpuUtilMeanPercent : null;
      return found({
        severity: 'info',
        episodes: [episode(wholeWindow(view), { kvMeanRatio: kvMean, requestsPerSecondMean: rps, gpuUtilMeanPercent: gu })],
        evidence: { kind: 'demand-bound', kvMeanRatio: kvMean, timeWithQueueRatio: queueShare, requestsPerSecondMean: rps, gpuUtilMeanPercent: gu },
        proposals: [],
      });
    }
    return none;
  },
});
