// GPU profiles in the analysis: the kernel-time breakdown and the profile diagnoses.

import type { Artifacts } from '../model/artifacts.js';
import type { Finding } from '../model/result.js';
import type { ServingConfig } from '../model/serving-config.js';
import type { GpuBreakdown } from '../model/gpu-result.js';
import { kernelBreakdown } from './kernel-breakdown.js';
import { diagnoseGpu } from '../diagnoses/gpu/index.js';

export interface GpuAnalysis {
  breakdown?: GpuBreakdown;
  findings: Finding[];
  notEvaluated: { code: string; reason: string }[];
}

export function analyzeGpu(artifacts: Artifacts, config: ServingConfig, wallSeconds?: number): GpuAnalysis {
  if (artifacts.profiles.length === 0) return { findings: [], notEvaluated: [] };
  const breakdown = kernelBreakdown(artifacts.profiles, wallSeconds === undefined ? {} : { wallSeconds });
  return { breakdown, ...diagnoseGpu(breakdown, config) };
}
