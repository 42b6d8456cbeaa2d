// KV_SWAPPING: a v0 engine moved KV blocks of running requests to CPU memory (slow, blocks steps).

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy, type ProposalAt } from './define-diagnosis.js';
import { episode } from './shared.js';
import { kvFitBetween } from '../recommend/capacity.js';

export default defineDiagnosis({
  code: 'KV_SWAPPING',
  needs: ['kv-swapping'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const s = signal('kv-swapping');
    const why = missing(s, 'kv-swapping');
    if (why) return notEvaluated(why);
    if (!s!.episodes.length) return none;
    const episodes = s!.episodes.map((e) => episode(e, e.numbers, e.peakAtSeconds));
    const worst = worstBy(episodes, (_n, e) => e.durationSeconds)!;
    const proposals: ProposalAt[] = [];
    const fit = kvFitBetween(view, scope, worst.startSeconds, worst.endSeconds);
    if (fit) {
      proposals.push({ replica: scope, atSeconds: worst.startSeconds, setting: 'max_num_seqs', to: fit.fits, direction: 'lower', confidence: 'medium', reason: { kind: 'kv-fit', numbers: { poolTokens: fit.pool.tokens, numGpuBlocks: fit.pool.numGpuBlocks, blockSize: fit.pool.blockSize, promptMeanTokens: fit.footprint.promptMeanTokens, outputMeanTokens: fit.footprint.outputMeanTokens, tokensPerSequence: fit.footprint.tokensPerSequence, headroomRatio: 0.9, result: fit.fits, episodeStartSeconds: worst.startSeconds, episodeEndSeconds: worst.endSeconds } } });
    }
    const e = s!.evidence;
    return found({ severity: 'warning', episodes, evidence: { swappedMax: e.swappedMax, timeSwappingRatio: e.timeSwappingRatio, cpuCacheUsageMaxRatio: e.cpuCacheUsageMaxRatio }, proposals, incident: true });
  },
});
