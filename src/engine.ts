// runAnalysis: stages 2–4 (derive → detect → diagnose) over the Artifacts, returning the Result.

import type { Artifacts } from './model/artifacts.js';
import { ResultSchema, type Result } from './model/result.js';
import { buildInventory } from './derive/inventory.js';
import { VERSION } from './version.js';
import { resolveSlo, type SloOptions } from './derive/slo.js';

export interface AnalysisOptions {
  /** Report name (file stem). */
  name: string;
  slo?: SloOptions;
}

export function runAnalysis(artifacts: Artifacts, options: AnalysisOptions): Result {
  const inventory = buildInventory(artifacts);
  const slo = resolveSlo(options.slo);
  const result: Result = {
    schemaVersion: 1,
    tool: { name: 'vllm-tune', version: VERSION },
    name: options.name,
    inputs: artifacts.inputs,
    inventory,
    config: artifacts.config,
    slo,
    latency: [],
    throughput: [],
    capacity: [],
    signals: [],
    findings: [],
    notEvaluated: [],
    anomalies: [],
    correlations: [],
    recommendations: [],
    serveFlags: [],
    charts: [],
    warnings: artifacts.warnings.map((w) => ({ ...w })),
  };
  return ResultSchema.parse(result);
}
