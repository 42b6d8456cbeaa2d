// The ordered registry of detectors. Order is the order signals appear in the Result; the compiler
// checks that every detector id of model/vocabulary.ts is registered exactly once (DETECTOR_TABLE).

import type { AnyDetector } from './define-detector.js';
import type { DetectorId } from '../model/vocabulary.js';
import kvPressure from './kv-pressure.js';
import preemptions from './preemptions.js';
import { ttft, tbt, e2e } from './latency.js';
import queueBuildup from './queue-buildup.js';
import batchPlateau from './batch-plateau.js';
import gpuUtilization from './gpu-utilization.js';
import memoryGrowth from './memory-growth.js';
import prefixCache from './prefix-cache.js';
import swapping from './swapping.js';
import throughputDrop from './throughput-drop.js';
import oomRisk from './oom-risk.js';
import restarts from './restarts.js';
import replicaSlowdown from './replica-slowdown.js';
import truncationRise from './truncation-rise.js';
import abortRise from './abort-rise.js';
import lengthDrift from './length-drift.js';

const DETECTOR_TABLE = {
  'kv-pressure': kvPressure,
  preemptions,
  'latency-ttft': ttft,
  'latency-tbt': tbt,
  'latency-e2e': e2e,
  'queue-buildup': queueBuildup,
  'batch-plateau': batchPlateau,
  'gpu-utilization': gpuUtilization,
  'memory-growth': memoryGrowth,
  'prefix-cache-hit-rate': prefixCache,
  'kv-swapping': swapping,
  'throughput-drop': throughputDrop,
  'oom-risk': oomRisk,
  restarts,
  'replica-slowdown': replicaSlowdown,
  'truncation-rise': truncationRise,
  'abort-rise': abortRise,
  'length-drift': lengthDrift,
} satisfies Record<DetectorId, { id: DetectorId }>;

export const DETECTORS: readonly AnyDetector[] = Object.values(DETECTOR_TABLE) as unknown as AnyDetector[];
