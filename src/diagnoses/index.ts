// The registry of diagnoses, in evaluation order. DIAGNOSIS_TABLE is keyed by every finding code
// (model/vocabulary.ts): a code without a diagnosis does not compile.

import type { AnyDiagnosis } from './define-diagnosis.js';
import type { FindingCode } from '../model/vocabulary.js';
import configDrift from './config-drift.js';
import kvCacheThrashing from './kv-cache-thrashing.js';
import prefillStarvation from './prefill-starvation.js';
import gpuUnderutilized from './gpu-underutilized.js';
import memoryLeak from './memory-leak.js';
import prefixCacheMisses from './prefix-cache-misses.js';
import queueBuildup from './queue-buildup.js';
import kvSwapping from './kv-swapping.js';
import latencySloBreach from './latency-slo-breach.js';
import throughputDrop from './throughput-drop.js';
import oomRisk from './oom-risk.js';
import replicaRestart from './replica-restart.js';
import replicaSlowdown from './replica-slowdown.js';
import unexplainedAnomaly from './unexplained-anomaly.js';
import truncationRise from './truncation-rise.js';
import abortRise from './abort-rise.js';
import lengthDrift from './length-drift.js';
import capacityHeadroomLow from './capacity-headroom-low.js';
import overprovisioned from './overprovisioned.js';
import communicationBound from './communication-bound.js';
import gpuIdleGaps from './gpu-idle-gaps.js';
import attentionBound from './attention-bound.js';
import gemmBound from './gemm-bound.js';

const DIAGNOSIS_TABLE = {
  CONFIG_DRIFT: configDrift,
  KV_CACHE_THRASHING: kvCacheThrashing,
  PREFILL_STARVATION: prefillStarvation,
  GPU_UNDERUTILIZED: gpuUnderutilized,
  MEMORY_LEAK: memoryLeak,
  PREFIX_CACHE_MISSES: prefixCacheMisses,
  QUEUE_BUILDUP: queueBuildup,
  KV_SWAPPING: kvSwapping,
  LATENCY_SLO_BREACH: latencySloBreach,
  THROUGHPUT_DROP: throughputDrop,
  OOM_RISK: oomRisk,
  REPLICA_RESTART: replicaRestart,
  REPLICA_SLOWDOWN: replicaSlowdown,
  TRUNCATION_RISE: truncationRise,
  ABORT_RISE: abortRise,
  CAPACITY_HEADROOM_LOW: capacityHeadroomLow,
  OVERPROVISIONED: overprovisioned,
  UNEXPLAINED_ANOMALY: unexplainedAnomaly,
  LENGTH_DRIFT: lengthDrift,
  COMMUNICATION_BOUND: communicationBound,
  GPU_IDLE_GAPS: gpuIdleGaps,
  ATTENTION_BOUND: attentionBound,
  GEMM_BOUND: gemmBound,
} satisfies { [C in FindingCode]: { code: C } };

export const DIAGNOSES: readonly AnyDiagnosis[] = Object.values(DIAGNOSIS_TABLE) as unknown as AnyDiagnosis[];
