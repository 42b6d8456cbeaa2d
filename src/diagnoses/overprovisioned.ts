// OVERPROVISIONED (info): a configuration group has more replicas than its busiest projected peak of the
// next HORIZON_DAYS needs at the latency targets — sustained low utilization that consolidation fixes.
// The capacity planned with is the model's, capped at MAX_EXTRAPOLATION × the busiest rate a replica was
// measured at, and the projected peak is the upper band of the growth fit (or the window's busiest hour
// when no growth is known), so GPUs are only freed on numbers the data supports.
//
// Relation to GPU_UNDERUTILIZED (demand-bound): that is each replica's symptom (no queue, an idle KV
// pool); this is the group's cause with the arithmetic of how many replicas to keep. When both hold, the
// replica findings are shown under this one (diagnoses/relations.ts CAUSED_BY) and carry no advice.

import { defineDiagnosis, found, none, notEvaluated } from './define-diagnosis.js';
import { episode } from './shared.js';
import { capacityNumbers, groupScope } from './capacity-shared.js';

export default defineDiagnosis({
  code: 'OVERPROVISIONED',
  needs: [],
  runs: 'fleet',
  diagnose({ view, capacity }) {
    if (!capacity) return notEvaluated('the capacity review runs on windows of a day or more, or with --capacity');
    const drafts = [];
    for (const g of capacity.groups) {
      const c = g.consolidation;
      if (!c || g.capacityRequestsPerSecond === null || !g.peak || g.replicas.length < 2) continue;
      const present = g.replicas.length;
      if (c.replicasNeededInHorizon >= present) continue;
      const free = present - c.replicasNeededInHorizon;
      const base = capacityNumbers(g);
      const util = base.groupCapacityRequestsPerSecond ? g.peak.requestsPerSecond / base.groupCapacityRequestsPerSecond : null;
      const gpuHoursPerWeek = free * g.gpusPerReplica * 168;
      drafts.push({
        severity: 'info' as const,
        scope: groupScope(g),
        replicas: g.replicas,
        episodes: [episode({ startSeconds: view.start, endSeconds: view.end }, { replicasPresent: present, replicasNeededInHorizon: c.replicasNeededInHorizon, peakUtilizationRatio: util })],
        evidence: {
          ...base,
          replicasPresent: present,
          replicasNeededAtPeak: c.replicasNeededAtPeak,
          replicasNeededInHorizon: c.replicasNeededInHorizon,
          replicasToFree: free,
          plannedCapacityPerReplicaRequestsPerSecond: c.plannedCapacityRequestsPerSecond,
          peakUtilizationRatio: util,
          gpuHoursFreedPerWeek: gpuHoursPerWeek,
          horizonDays: capacity.horizonDays,
          idleGpuHoursHourly: c.idleGpuHoursHourly,
          windowHours: c.windowHours,
          usdPerWeek: capacity.gpuHourPriceUsd !== null ? capacity.gpuHourPriceUsd * gpuHoursPerWeek : null,
        },
        proposals: [],
      });
    }
    return drafts.length ? found(...drafts) : none;
  },
});
