// The ordered registry of detectors. Order is the order signals appear in the Result.

import type { AnyDetector } from './define-detector.js';
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

export const DETECTORS: readonly AnyDetector[] = [
  kvPressure,
  preemptions,
  ttft,
  tbt,
  e2e,
  queueBuildup,
  batchPlateau,
  gpuUtilization,
  memoryGrowth,
  prefixCache,
  swapping,
  throughputDrop,
  oomRisk,
  restarts,
  replicaSlowdown,
] as AnyDetector[];
