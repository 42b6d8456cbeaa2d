// Replica slowdown: one replica's decode steps are much slower than its peers' at the same time, under
// comparable load and with the same configuration — a per-replica fault (clock throttling, a noisy
// neighbour, a bad node) that fleet averages hide. Compared window by window (centred sliding windows),
// never as medians over halves of the window; the episode ends when the slowdown ends.

import { defineDetector, findEpisodes, insufficient, verdict } from './define-detector.js';
import { nanQuantile } from '../stats/summary.js';
import { centredGauge, centredQuantile, centredRate, episodeWindowSeconds, gridRange, quantileBetween } from '../derive/windowed.js';
import type { AnalysisView } from '../derive/view.js';

const ITL = 'vllm:inter_token_latency_seconds';

function groupAt(view: AnalysisView, replica: string, t: number): string | undefined {
  return view.configAt(replica, t)?.group;
}

export default defineDetector({
  id: 'replica-slowdown',
  requires: ['vllm:inter_token_latency_seconds_bucket'],
  perReplica: true,
  options: {
    /** This replica's median inter-token latency over its peers' median at the same time. Judgement call. */
    minRatio: 1.5,
    /**
     * Comparable load: the replica's input (prompt tokens/s over the window) within this factor of the
     * peers' median. Input, not the running batch: a slow replica holds more requests in flight at the
     * same arrivals (Little's law), so its batch grows because it is slow. Judgement call.
     */
    maxLoadRatio: 1.5,
    /**
     * A slowdown must last two sliding windows (10 minutes), and its median ratio over the episode must
     * reach minRatio too: replicas drain a shared burst at slightly different times, which makes short
     * pointwise excursions. Judgement call.
     */
    minEpisodeWindows: 2,
  },
  detect(view, o, scope) {
    if (view.replicas.length < 2) return insufficient('needs at least two replicas to compare');
    const w = episodeWindowSeconds(view);
    const mine = centredQuantile(view, ITL, 0.5, scope, w);
    if (!mine) return insufficient('no inter-token latency histogram for this replica');
    const peers = view.replicas.filter((r) => r !== scope);
    const peerItl = peers.map((p) => centredQuantile(view, ITL, 0.5, p, w));
    const myRun = centredGauge(view, 'vllm:num_requests_running', scope, 'sum', w);
    const peerRun = peers.map((p) => centredGauge(view, 'vllm:num_requests_running', p, 'sum', w));
    const myLoad = centredRate(view, 'vllm:prompt_tokens_total', scope, w);
    const peerLoad = peers.map((p) => centredRate(view, 'vllm:prompt_tokens_total', p, w));
    const n = view.grid.length;
    const ratio = new Float64Array(n).fill(NaN);
    const peerMedian = new Float64Array(n).fill(NaN);
    const runRatio = new Float64Array(n).fill(NaN);
    let compared = 0;
    let withTraffic = 0;
    const vals: number[] = [];
    const runs: number[] = [];
    const loads: number[] = [];
    for (let i = 0; i < n; i++) {
      if (!(mine[i] > 0)) continue;
      withTraffic++;
      const t = view.grid[i];
      const g = groupAt(view, scope, t);
      vals.length = 0;
      runs.length = 0;
      loads.length = 0;
      peers.forEach((p, k) => {
        const x = peerItl[k]?.[i];
        if (!(x !== undefined && x > 0) || groupAt(view, p, t) !== g) return;
        vals.push(x);
        const r = peerRun[k]?.[i];
        if (r !== undefined && r === r) runs.push(r);
        const l = peerLoad[k]?.[i];
        if (l !== undefined && l === l) loads.push(l);
      });
      if (!vals.length) continue;
      const pm = nanQuantile(Float64Array.from(vals), 0.5);
      const rr = myRun && runs.length ? (myRun[i] + 1) / (nanQuantile(Float64Array.from(runs), 0.5) + 1) : NaN;
      const lr = myLoad && loads.length ? (myLoad[i] + 1) / (nanQuantile(Float64Array.from(loads), 0.5) + 1) : NaN;
      if (lr === lr && (lr > o.maxLoadRatio || lr < 1 / o.maxLoadRatio)) continue;
      compared++;
      peerMedian[i] = pm;
      ratio[i] = mine[i] / pm;
      runRatio[i] = rr;
    }
    if (!compared) return insufficient(withTraffic ? 'no window where a peer with the same configuration ran a comparable load' : 'no inter-token latency traffic to compare');
    const clock = view.deviceGauge('DCGM_FI_DEV_SM_CLOCK', scope, 'avg');
    const peerClocks = peers.map((p) => view.deviceGauge('DCGM_FI_DEV_SM_CLOCK', p, 'avg'));
    const medianIn = (a: Float64Array | null | undefined, t0: number, t1: number): number | null => {
      if (!a) return null;
      const [i0, i1] = gridRange(view, t0, t1);
      const m = nanQuantile(a.subarray(i0, i1 + 1), 0.5);
      return Number.isFinite(m) ? m : null;
    };
    // Unsmoothed: the replica's median over grid point i's own interval against its same-configuration
    // peers' medians over the same interval. The centred median passes minRatio only once more than half
    // the window is slow (3 steps late on a 10 s grid); the raw ratio marks where the slowdown starts.
    const rawMedian = (r: string, t: number) => quantileBetween(view, ITL, 0.5, r, t, t + view.step)?.value ?? NaN;
    const raw = (i: number): boolean => {
      const t = view.grid[i];
      const m = rawMedian(scope, t);
      if (!(m > 0)) return false;
      const g = groupAt(view, scope, t);
      const pv = peers.filter((p) => groupAt(view, p, t) === g).map((p) => rawMedian(p, t)).filter((x) => x > 0);
      return pv.length > 0 && m / nanQuantile(Float64Array.from(pv), 0.5) >= o.minRatio;
    };
    const episodes = findEpisodes(view, {
      holds: (i) => ratio[i] >= o.minRatio,
      raw,
      minSeconds: o.minEpisodeWindows * w,
      peakOf: ratio,
      numbers: (t0, t1) => {
        const pc = peerClocks.map((c) => medianIn(c, t0, t1)).filter((x): x is number => x !== null);
        return {
          ratioToPeers: medianIn(ratio, t0, t1),
          itlMedianSeconds: medianIn(mine, t0, t1),
          peersItlMedianSeconds: medianIn(peerMedian, t0, t1),
          runningRatioToPeers: medianIn(runRatio, t0, t1),
          smClockMedianMHz: medianIn(clock, t0, t1),
          peersSmClockMedianMHz: pc.length ? nanQuantile(Float64Array.from(pc), 0.5) : null,
        };
      },
    }).filter((e) => (e.numbers.ratioToPeers ?? 0) >= o.minRatio);
    const all = medianIn(mine, view.start, view.end);
    const peersAll = medianIn(peerMedian, view.start, view.end);
    return verdict<'replica-slowdown'>({ comparedWindowsRatio: withTraffic ? compared / withTraffic : 0, peers: peers.length, itlMedianSeconds: all, peersItlMedianSeconds: peersAll }, episodes);
  },
});
