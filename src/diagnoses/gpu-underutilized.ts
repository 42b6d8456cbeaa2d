// GPU_UNDERUTILIZED, in two kinds: demand-bound (no queue, the GPUs simply have little to do) and
// config-bound (a queue while the batch sits at max_num_seqs with KV blocks to spare).

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';
import { kvFit } from '../recommend/capacity.js';
import type { Recommendation } from '../model/result.js';

/** KV usage p95 below which the pool clearly has room for more sequences. Judgement call. */
const KV_ROOM_RATIO = 0.8;
/** Demand-bound: KV usage mean and queue share below these. Judgement calls. */
const IDLE_KV_MEAN = 0.25;
const IDLE_QUEUE_SHARE = 0.05;

export default defineDiagnosis({
  code: 'GPU_UNDERUTILIZED',
  needs: ['batch-plateau', 'queue-buildup', 'kv-pressure'],
  perReplica: true,
  diagnose({ view, scope, signal }) {
    const plateau = signal('batch-plateau');
    const q = signal('queue-buildup');
    const kv = signal('kv-pressure');
    const gpu = signal('gpu-utilization');
    const why = missing(q, 'queue-buildup') ?? missing(kv, 'kv-pressure');
    if (why || !q || !kv) return notEvaluated(why ?? 'needs waiting-requests and KV-usage gauges');
    const kvP95 = ev(kv, 'kvP95Ratio') ?? 1;
    // Config-bound: the scheduler cap holds the batch small while requests wait and KV has room.
    // Fast steps (TBT within target) show the GPU has room: a busy GPU at the cap is not under-used.
    const tbtOk = signal('latency-tbt')?.status !== 'issue';
    if (plateau?.status === 'issue' && q.status === 'issue' && kvP95 < KV_ROOM_RATIO && tbtOk) {
      const recs: Recommendation[] = [];
      const fit = kvFit(view, scope);
      const current = view.num('max_num_seqs') ?? ev(plateau, 'capRequests');
      if (fit) {
        const { cap, fp, maxSeqs: to } = fit;
        if (current === null || to > current) {
          recs.push({ setting: 'max_num_seqs', from: view.num('max_num_seqs') ?? null, to, because: `the batch sat at its cap of ${current} while requests waited, with KV usage p95 only ${(kvP95 * 100).toFixed(0)}%; the KV pool (${Math.round(cap.tokens)} tokens) fits ${to} requests of ${Math.round(fp.tokensPerSequence)} tokens with 10% headroom`, expectedEffect: 'larger decode batches: more tokens/s per GPU and a shorter queue', risk: 'longer steps raise time between tokens a little; preemptions if the request mix grows longer', confidence: 'high' });
        }
      }
      return {
        kind: 'finding',
        severity: 'warning',
        summary: `config-bound: the running batch sat at its cap (${ev(plateau, 'capRequests')} requests, from ${String(plateau.evidence.capSource)}) with requests waiting for ${Math.round((ev(plateau, 'atCapWithQueueRatio') ?? 0) * 100)}% of the window, while KV usage p95 was only ${(kvP95 * 100).toFixed(0)}%.`,
        evidence: { kind: 'config-bound', runningMax: ev(plateau, 'runningMax'), capRequests: ev(plateau, 'capRequests'), atCapWithQueueRatio: ev(plateau, 'atCapWithQueueRatio'), kvP95Ratio: kvP95, waitingMax: ev(q, 'waitingMax'), gpuUtilMeanPercent: ev(gpu, 'gpuUtilMeanPercent') },
        recommendations: recs,
      };
    }
    // Demand-bound: nothing waits and the KV pool (and GPU, when DCGM says so) is mostly idle.
    const kvMean = ev(kv, 'kvMeanRatio') ?? 1;
    const queueShare = ev(q, 'timeWithQueueRatio') ?? 1;
    const gpuLow = gpu?.status === 'issue';
    const gpuKnownBusy = gpu?.status === 'ok';
    if (queueShare < IDLE_QUEUE_SHARE && kvMean < IDLE_KV_MEAN && !gpuKnownBusy) {
      const reqRate = view.rate('vllm:request_success_total', scope);
      let mean = 0;
      let n = 0;
      if (reqRate) for (const x of reqRate) if (!Number.isNaN(x)) { mean += x; n++; }
      return {
        kind: 'finding',
        severity: 'info',
        summary: `demand-bound: no queue (requests waiting in ${(queueShare * 100).toFixed(1)}% of scrapes) and KV usage averaged ${(kvMean * 100).toFixed(0)}%${gpuLow ? `, GPU utilisation ${(ev(gpu, 'gpuUtilMeanPercent') ?? 0).toFixed(0)}%` : ''}: the replicas have more capacity than the traffic needs. Consolidate replicas or share the GPUs; no vLLM setting will raise utilisation without more traffic.`,
        evidence: { kind: 'demand-bound', kvMeanRatio: kvMean, timeWithQueueRatio: queueShare, gpuUtilMeanPercent: ev(gpu, 'gpuUtilMeanPercent'), requestsPerSecondMean: n ? mean / n : null },
        recommendations: [],
      };
    }
    return none;
  },
});
