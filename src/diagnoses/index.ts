// The ordered registry of metric diagnoses. (GPU-profile diagnoses live in src/diagnoses/gpu/.)

import type { DiagnosisDef } from './define-diagnosis.js';
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

export const DIAGNOSES: readonly DiagnosisDef[] = [
  kvCacheThrashing,
  prefillStarvation,
  gpuUnderutilized,
  memoryLeak,
  prefixCacheMisses,
  queueBuildup,
  kvSwapping,
  latencySloBreach,
  throughputDrop,
  oomRisk,
  replicaRestart,
  replicaSlowdown,
];
