// GEMM_BOUND (GPU profiles): dense and MoE matrix multiplications dominate GPU time — weight reads are
// the cost; quantised weights or bigger decode batches pay off directly. Joined with metrics of the same
// deployment: where a replica's running batch sat at its cap with KV room (batch-plateau episodes), a
// larger max_num_seqs amortises each weight read over more tokens — sized from that replica's pool.

import { defineDiagnosis, found, none, notEvaluated, type ProposalAt } from './define-diagnosis.js';
import { kvFitBetween } from '../recommend/capacity.js';
import { SAFE_RANGES } from '../recommend/defaults.js';
import { activeDevices, devicesLabel, GEMM_SHARE_CRIT, GEMM_SHARE_WARN, share, worstDevice } from './gpu-shared.js';
import { FLEET } from '../derive/view.js';

export default defineDiagnosis({
  code: 'GEMM_BOUND',
  needs: [],
  runs: 'profile',
  diagnose({ view, gpu, allSignals }) {
    const active = activeDevices(gpu);
    if (typeof active === 'string') return notEvaluated(active);
    const g = (d: (typeof active)[number]) => share(d, 'gemm') + share(d, 'moe_gemm');
    const w = worstDevice(active, g, GEMM_SHARE_WARN);
    if (!w.over.length) return none;
    const d = w.d;
    const quant = view.settingAt(FLEET, 'quantization');
    // The join: replicas whose batch sat at its cap with KV room while GEMMs dominate.
    const proposals: ProposalAt[] = [];
    const capped: string[] = [];
    let capRequests: number | null = null;
    let kvMean: number | null = null;
    for (const s of allSignals('batch-plateau')) {
      const e = s.episodes.find((x) => (x.numbers.kvMeanRatio ?? 1) < 0.8);
      if (!e) continue;
      // One replica's cap and KV usage in the finding; with several, each is quoted under its own recommendation.
      capRequests = capped.length ? null : e.numbers.capRequests;
      kvMean = capped.length ? null : e.numbers.kvMeanRatio;
      capped.push(s.scope);
      const fit = kvFitBetween(view, s.scope, e.startSeconds, e.endSeconds);
      if (fit && e.numbers.capRequests !== null) {
        const to = Math.min(fit.fits, SAFE_RANGES.max_num_seqs!.max);
        proposals.push({ replica: s.scope, atSeconds: e.startSeconds, setting: 'max_num_seqs', to, direction: 'raise', confidence: 'medium', reason: { kind: 'kv-fit-raise', numbers: { capRequests: e.numbers.capRequests, kvMeanRatio: e.numbers.kvMeanRatio, poolTokens: fit.pool.tokens, numGpuBlocks: fit.pool.numGpuBlocks, blockSize: fit.pool.blockSize, tokensPerSequence: fit.footprint.tokensPerSequence, promptMeanTokens: fit.footprint.promptMeanTokens, outputMeanTokens: fit.footprint.outputMeanTokens, headroomRatio: 0.9, sequencesThatFit: fit.fits, result: to, gemmShare: w.v } } });
      }
    }
    return found({
      severity: w.v >= GEMM_SHARE_CRIT ? 'critical' : 'warning',
      episodes: [],
      scope: devicesLabel(w.over),
      evidence: { device: d.label, gemmShare: w.v, denseGemmShare: share(d, 'gemm'), moeGemmShare: share(d, 'moe_gemm'), quantization: quant ? String(quant.value) : null, thresholdShare: GEMM_SHARE_WARN, capReachedReplicas: capped.length ? capped.join(', ') : null, capRequests, kvMeanRatio: kvMean },
      proposals,
    });
  },
});
