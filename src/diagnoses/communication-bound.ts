// COMMUNICATION_BOUND (GPU profiles): collectives (NCCL, vLLM's custom all-reduce) take a large share of
// GPU time on some device, after removing the part hidden behind compute where a timeline shows it.
// Joined with metrics: with tensor_parallel_size > 1 and a KV pool that never ran near full on any
// replica (KV p95 below half), fewer TP ranks and more replicas is the trade to test.

import { defineDiagnosis, found, none, notEvaluated, type ProposalAt } from './define-diagnosis.js';
import { activeDevices, COMM_SHARE_CRIT, COMM_SHARE_WARN, devicesLabel, exposedComm, worstDevice } from './gpu-shared.js';
import { FLEET } from '../derive/view.js';

export default defineDiagnosis({
  code: 'COMMUNICATION_BOUND',
  needs: [],
  runs: 'profile',
  diagnose({ view, gpu, allSignals }) {
    const active = activeDevices(gpu);
    if (typeof active === 'string') return notEvaluated(active);
    const w = worstDevice(active, exposedComm, COMM_SHARE_WARN);
    if (!w.over.length) return none;
    const d = w.d;
    const comm = d.categories.find((c) => c.category === 'communication')!;
    const nccl = comm.top.filter((k) => k.sub === 'nccl').reduce((s, k) => s + k.totalNs, 0);
    const custom = comm.top.filter((k) => k.sub === 'custom_allreduce').reduce((s, k) => s + k.totalNs, 0);
    const tpv = view.settingAt(FLEET, 'tensor_parallel_size');
    const tp = tpv && typeof tpv.value === 'number' ? tpv.value : null;
    const proposals: ProposalAt[] = [];
    const kv = allSignals('kv-pressure').filter((s) => s.status === 'ok' || s.status === 'issue');
    const kvP95Max = kv.length ? Math.max(...kv.map((s) => s.evidence.kvP95Ratio ?? 1)) : null;
    if (tp !== null && tp > 1) {
      // Low KV pressure means the pool has room to lose when the same model sits on fewer GPUs.
      const roomy = kvP95Max !== null && kvP95Max < 0.5;
      proposals.push({ replica: FLEET, atSeconds: view.end, setting: 'tensor_parallel_size', to: Math.max(1, tp / 2), direction: 'lower', confidence: roomy ? 'medium' : 'low', role: 'alternative', reason: { kind: 'tp-lower', numbers: { exposedCommShare: w.v, tensorParallelSize: tp, result: Math.max(1, tp / 2), kvP95MaxRatio: kvP95Max } } });
    }
    return found({
      severity: w.v >= COMM_SHARE_CRIT ? 'critical' : 'warning',
      episodes: [],
      scope: devicesLabel(w.over),
      evidence: { device: d.label, commShare: comm.share, exposedCommShare: w.v, commNs: comm.ns, overlapShareOfComm: d.overlap?.overlapShareOfComm ?? null, ncclTopNs: nccl, customAllReduceTopNs: custom, tensorParallelSize: tp, thresholdShare: COMM_SHARE_WARN, kvP95MaxRatio: kvP95Max },
      proposals,
    });
  },
});
