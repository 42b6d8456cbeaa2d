// Numbers both capacity diagnoses report about a configuration group, read off the capacity review.

import type { GroupCapacity } from '../model/capacity-result.js';
import type { CapacityNumbers } from './evidence.js';

export function capacityNumbers(g: GroupCapacity): CapacityNumbers {
  const perReplica = g.peak && g.peak.replicas > 0 ? g.peak.requestsPerSecond / g.peak.replicas : null;
  const C = g.capacityRequestsPerSecond;
  return {
    group: g.group,
    model: g.model,
    replicas: g.replicas.length,
    gpusPerReplica: g.gpusPerReplica,
    peakRequestsPerSecond: g.peak?.requestsPerSecond ?? null,
    peakPerReplicaRequestsPerSecond: perReplica,
    capacityPerReplicaRequestsPerSecond: C,
    groupCapacityRequestsPerSecond: C !== null ? C * g.replicas.length : null,
    limitedBy: g.limitedBy,
    headroomRatio: g.headroomRatio,
    confidence: g.confidence,
  };
}

/** The scope label of a group finding. */
export function groupScope(g: GroupCapacity): string {
  return `group ${g.group}`;
}
