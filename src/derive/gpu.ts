// GPU profiles in the analysis: the kernel-time breakdown and the profile diagnoses.

import type { Artifacts } from '../model/artifacts.js';
import type { Finding } from '../model/result.js';
import type { ServingConfig } from '../model/serving-config.js';
import { kernelBreakdown } from './kernel-breakdown.js';
import type { GpuBreakdown } from '../model/gpu-result.js';

export interface GpuAnalysis {
  breakdown?: GpuBreakdown;
  findings: Finding[];
  notEvaluated: { code: string; reason: string }[];
}

export function analyzeGpu(artifacts: Artifacts, _config: ServingConfig): GpuAnalysis {
  if (artifacts.profiles.length === 0) return { findings: [], notEvaluated: [] };
  return { breakdown: kernelBreakdown(artifacts.profiles), findings: [], notEvaluated: [] };
}
