// runAnalysis: stages 2–4 (derive → detect → diagnose) over the Artifacts, returning the Result.
// A detector or diagnosis that throws becomes an `error` signal / a "not evaluated" line; the rest of
// the report still renders.

import type { Artifacts } from './model/artifacts.js';
import { ResultSchema, type Finding, type Result, type Signal } from './model/result.js';
import { buildInventory } from './derive/inventory.js';
import { VERSION } from './version.js';
import { resolveSlo, type SloOptions } from './derive/slo.js';
import { AnalysisView, FLEET } from './derive/view.js';
import { capacityRows, latencyRows, throughputRows } from './derive/summaries.js';
import { latencyDecompositionRows } from './derive/decomposition.js';
import { anomalyEpisodes, correlations } from './derive/anomalies.js';
import { DETECTORS } from './detectors/index.js';
import { DIAGNOSES } from './diagnoses/index.js';
import { toFinding, type DiagnosisContext } from './diagnoses/define-diagnosis.js';
import { mergeRecommendations, serveFlags } from './recommend/merge.js';
import { analyzeGpu } from './derive/gpu.js';
import { chartSpecs } from './derive/charts.js';
import { alertsSection } from './alerts/index.js';
import { clientSection } from './derive/client.js';

export interface AnalysisOptions {
  /** Report name (file stem). */
  name: string;
  slo?: SloOptions;
  /** Wall time of summary-only GPU profiles (--wall-seconds). */
  wallSeconds?: number;
}

function runDetectors(view: AnalysisView): Signal[] {
  const signals: Signal[] = [];
  for (const d of DETECTORS) {
    const scopes = d.perReplica ? view.scopes() : [FLEET];
    for (const scope of scopes) {
      const absent = d.requires.filter((m) => !view.has(m));
      if (absent.length) {
        signals.push({ id: d.id, status: 'insufficient-data', reason: `${absent.join(', ')} not in the inputs`, evidence: {}, scope });
        continue;
      }
      try {
        const o = d.detect(view, d.options, scope);
        const sig: Signal = { id: d.id, status: o.status, evidence: o.evidence ?? {}, scope };
        if (o.status === 'insufficient-data') sig.reason = o.reason;
        signals.push(sig);
      } catch (e) {
        signals.push({ id: d.id, status: 'error', reason: `detector failed: ${(e as Error).message}`, evidence: {}, scope });
      }
    }
  }
  return signals;
}

function runDiagnoses(view: AnalysisView, signals: Signal[]): { findings: Finding[]; notEvaluated: { code: string; reason: string }[] } {
  const findings: Finding[] = [];
  const notEvaluated: { code: string; reason: string }[] = [];
  const byKey = new Map(signals.map((s) => [`${s.id}@${s.scope}`, s]));
  // Fleet-only detectors (DCGM utilisation, OOM risk) speak for every replica too.
  const fleetOnly = new Set(DETECTORS.filter((d) => !d.perReplica).map((d) => d.id));
  const lookup = (id: string, scope: string) => byKey.get(`${id}@${scope}`) ?? (fleetOnly.has(id) ? byKey.get(`${id}@${FLEET}`) : undefined);
  for (const d of DIAGNOSES) {
    const scopes = d.perReplica ? view.scopes() : [FLEET];
    const reasons = new Set<string>();
    let notEvaluatedScopes = 0;
    const found: Finding[] = [];
    for (const scope of scopes) {
      const ctx: DiagnosisContext = { view, scope, signal: (id) => lookup(id, scope) };
      try {
        const o = d.diagnose(ctx);
        if (o.kind === 'finding') found.push(toFinding(d, scope, o));
        else if (o.kind === 'not-evaluated') {
          reasons.add(o.reason);
          notEvaluatedScopes++;
        }
      } catch (e) {
        reasons.add(`diagnosis failed: ${(e as Error).message}`);
        notEvaluatedScopes++;
      }
    }
    // With several replicas, a fleet-level finding that repeats a replica's adds nothing: keep the
    // replicas' own (they say which one degraded), unless every replica shows it.
    const perReplica = found.filter((f) => f.scope !== FLEET);
    const fleet = found.find((f) => f.scope === FLEET);
    if (fleet && perReplica.length > 0 && perReplica.length < view.replicas.length) findings.push(...perReplica);
    else if (fleet) findings.push(fleet);
    else findings.push(...perReplica);
    if (found.length === 0 && notEvaluatedScopes === scopes.length) notEvaluated.push({ code: d.code, reason: [...reasons].sort().join('; ') });
  }
  const explained = (f: Finding): boolean => {
    const causes = DIAGNOSES.find((d) => d.code === f.code)?.explainedBy ?? [];
    return findings.some((g) => causes.includes(g.code) && (g.scope === f.scope || g.scope === FLEET || f.scope === FLEET));
  };
  return { findings: findings.filter((f) => !explained(f)), notEvaluated };
}

export function runAnalysis(artifacts: Artifacts, options: AnalysisOptions): Result {
  const inventory = buildInventory(artifacts);
  const slo = resolveSlo(options.slo);
  const view = new AnalysisView(artifacts.metrics, artifacts.config, slo);
  const hasTimeSeries = view.grid.length > 1;
  const signals = hasTimeSeries ? runDetectors(view) : [];
  const diag = hasTimeSeries ? runDiagnoses(view, signals) : { findings: [], notEvaluated: [] as { code: string; reason: string }[] };
  if (!hasTimeSeries && artifacts.metrics.series.length > 0) diag.notEvaluated.push({ code: 'ALL_METRIC_CHECKS', reason: 'the metrics hold a single scrape without a time range; rates, trends and anomalies need a series of scrapes' });
  const gpu = analyzeGpu(artifacts, view.config, options.wallSeconds);
  const findings = [...diag.findings, ...gpu.findings];
  const recommendations = mergeRecommendations(findings.flatMap((f) => f.recommendations));
  const anomalies = hasTimeSeries ? anomalyEpisodes(view) : [];
  const result: Result = {
    schemaVersion: 1,
    tool: { name: 'vllm-tune', version: VERSION },
    name: options.name,
    inputs: artifacts.inputs,
    inventory,
    config: artifacts.config,
    slo,
    // A single scrape still carries cumulative histograms: the latency table reads them (with a caveat).
    latency: latencyRows(view, slo),
    throughput: hasTimeSeries ? throughputRows(view) : [],
    capacity: hasTimeSeries ? capacityRows(view) : [],
    signals,
    findings,
    notEvaluated: [...diag.notEvaluated, ...gpu.notEvaluated],
    anomalies,
    correlations: hasTimeSeries ? correlations(view) : [],
    recommendations,
    serveFlags: serveFlags(recommendations),
    charts: hasTimeSeries ? chartSpecs(view, findings, anomalies, options.name) : [],
    warnings: artifacts.warnings.map((w) => ({ ...w })),
  };
  if (gpu.breakdown !== undefined) result.gpu = gpu.breakdown;
  const decomposition = latencyDecompositionRows(view);
  if (decomposition.length) result.latencyDecomposition = decomposition;
  if (hasTimeSeries) result.alerts = alertsSection(artifacts.metrics, findings, slo);
  if (artifacts.clients?.length) result.client = clientSection(artifacts.clients, view, slo);
  return ResultSchema.parse(result);
}
