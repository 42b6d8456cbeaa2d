// Replica slowdown: one replica's decode steps are much slower than its peers' on the same model and
// traffic — a per-replica fault (clock throttling, a noisy neighbour, a bad node) that fleet averages hide.

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { FLEET } from '../derive/view.js';
import { nanQuantile } from '../stats/summary.js';

export default defineDetector({
  id: 'replica-slowdown',
  requires: ['vllm:inter_token_latency_seconds_bucket'],
  perReplica: true,
  options: {
    /** This replica's median inter-token latency over the peers' median, above which it is an outlier. Judgement call. */
    minRatio: 1.5,
    /** Part of the window (at the end) compared, so a mid-window onset still shows. */
    tailShare: 0.5,
  },
  detect(view, o, scope) {
    if (scope === FLEET) return insufficient('compares replicas with each other');
    if (view.replicas.length < 2) return insufficient('needs at least two replicas to compare');
    const from = Math.floor(view.grid.length * (1 - o.tailShare));
    const median = (id: string): number => {
      const s = view.quantileSeries('vllm:inter_token_latency_seconds', 0.5, id);
      return s ? nanQuantile(s.subarray(from), 0.5) : NaN;
    };
    const mine = median(scope);
    const peers = view.replicas.filter((r) => r !== scope).map(median).filter((x) => Number.isFinite(x));
    if (!Number.isFinite(mine) || peers.length === 0) return insufficient('no inter-token latency traffic to compare');
    const peerMedian = nanQuantile(Float64Array.from(peers), 0.5);
    const ratio = mine / peerMedian;
    // Onset: first grid point where this replica's median ITL exceeds the peers' by the ratio.
    const mineSeries = view.quantileSeries('vllm:inter_token_latency_seconds', 0.5, scope)!;
    let onset: number | null = null;
    for (let i = 0; i < mineSeries.length; i++) if (mineSeries[i] >= o.minRatio * peerMedian) { onset = view.grid[i]; break; }
    const clock = view.gauge('DCGM_FI_DEV_SM_CLOCK', scope, 'avg') ?? null;
    const evidence = {
      itlMedianSeconds: mine,
      peersItlMedianSeconds: peerMedian,
      ratioToPeers: ratio,
      onsetSeconds: onset,
      smClockMedianMHz: clock ? nanQuantile(clock.subarray(from), 0.5) : null,
    };
    return ratio >= o.minRatio ? issue(evidence) : ok(evidence);
  },
});
