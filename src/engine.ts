// runAnalysis: stages 2–4 (derive → detect → diagnose) over the Artifacts, returning the Result.
// A detector or diagnosis that throws becomes an `error` signal / a "not evaluated" line; the rest of
// the report still renders. After the diagnoses, findings are linked (links.ts: configuration drift that
// explains a replica's trouble, consequences under their causes), recommendations are made safe to paste
// (recommend/propose.ts), merged per replica and grouped into `vllm serve` blocks (recommend/merge.ts).

import type { Artifacts } from './model/artifacts.js';
import { ResultSchema, type AnomalyEpisode, type Finding, type Result, type Signal } from './model/result.js';
import type { FindingCode } from './model/vocabulary.js';
import type { GpuBreakdown } from './model/gpu-result.js';
import { buildInventory } from './derive/inventory.js';
import { VERSION } from './version.js';
import { resolveSlo, type SloOptions } from './derive/slo.js';
import { AnalysisView, FLEET } from './derive/view.js';
import { capacityRows, latencyRows, throughputRows } from './derive/summaries.js';
import { latencyDecompositionRows } from './derive/decomposition.js';
import { anomalyEpisodes, anomalyEpisodesIn, correlations, USER_FACING_ANOMALY_METRICS } from './derive/anomalies.js';
import { kernelBreakdown } from './derive/kernel-breakdown.js';
import { chartSpecs } from './derive/charts.js';
import { DETECTORS } from './detectors/index.js';
import { replicaScopes, runDetectors } from './detectors/run.js';
import { analysisThreadStats, startAnalysisThreads, type TaskName } from './analysis/threads.js';
import { DIAGNOSES } from './diagnoses/index.js';
import type { DiagnosisContext, FindingDraft, TypedSignal } from './diagnoses/define-diagnosis.js';
import { assembleFindings, type Drafted } from './links.js';
import { alertsSection, replayWithoutFindingsHolds, type alertsReplay } from './alerts/index.js';
import { incidentsOf } from './alerts/calibrate.js';
import { clientSection } from './derive/client.js';
import { qualitySection } from './derive/quality-section.js';
import { capacityReview, type CapacityOptions } from './derive/capacity-review.js';
import type { CapacityReview } from './model/capacity-result.js';
import { attachEffects, type WhatIfOptions } from './recommend/what-if.js';

export interface AnalysisOptions {
  /** Report name (file stem). */
  name: string;
  slo?: SloOptions;
  /** Wall time of summary-only GPU profiles (--wall-seconds). */
  wallSeconds?: number;
  /** The capacity review: forced on windows under a day (--capacity), GPU-hour price (--gpu-hour-price). */
  capacity?: CapacityOptions;
  /** The what-if replay of each serve block (recommend/what-if.ts); `{ enabled: false }` skips it. */
  whatIf?: WhatIfOptions;
  /**
   * Analysis threads (--workers; default: VLLM_TUNE_WORKERS, else the CPUs, at most 4). The Result is
   * the same whatever the number (analysis/threads.ts).
   */
  threads?: number;
}

interface DiagnosisRun {
  drafted: Drafted[];
  notEvaluated: { code: FindingCode; reason: string }[];
}

function runDiagnoses(view: AnalysisView, signals: Signal[], hasTimeSeries: boolean, gpu: GpuBreakdown | undefined, anomalies: AnomalyEpisode[], phase: 'main' | 'post', earlier: readonly Finding[], capacity: CapacityReview | null = null): DiagnosisRun {
  const drafted: Drafted[] = [];
  const notEvaluated: DiagnosisRun['notEvaluated'] = [];
  const byKey = new Map(signals.map((s) => [`${s.id}@${s.scope}`, s]));
  const fleetOnly = new Set(DETECTORS.filter((d) => !d.perReplica).map((d) => d.id));
  const lookup = (id: string, scope: string) => byKey.get(`${id}@${scope}`) ?? (fleetOnly.has(id as never) ? byKey.get(`${id}@${FLEET}`) : undefined);
  for (const d of DIAGNOSES) {
    if ((d.runs === 'post') !== (phase === 'post')) continue;
    if (d.runs !== 'profile' && !hasTimeSeries) {
      notEvaluated.push({ code: d.code, reason: view.metrics.series.length ? 'the metrics hold a single scrape without a time range; episodes, rates and trends need a series of scrapes' : 'no metrics in the inputs' });
      continue;
    }
    const scopes = d.runs === 'replica' || d.runs === 'post' ? replicaScopes(view) : [FLEET];
    const reasons = new Set<string>();
    let skipped = 0;
    for (const scope of scopes) {
      const ctx: DiagnosisContext = {
        view,
        scope,
        signal: ((id: string) => lookup(id, scope)) as DiagnosisContext['signal'],
        allSignals: ((id: string) => signals.filter((x) => x.id === id)) as DiagnosisContext['allSignals'],
        ...(gpu ? { gpu } : {}),
        ...(capacity ? { capacity } : {}),
        ...(phase === 'post' ? { findings: earlier, anomalies } : {}),
      };
      try {
        const o = d.diagnose(ctx);
        if (o.kind === 'findings') for (const f of o.findings) drafted.push({ code: d.code, scope, draft: f as FindingDraft<FindingCode> });
        else if (o.kind === 'not-evaluated') {
          reasons.add(o.reason);
          skipped++;
        }
      } catch (e) {
        reasons.add(`diagnosis failed: ${(e as Error).message}`);
        skipped++;
      }
    }
    if (skipped === scopes.length && !drafted.some((x) => x.code === d.code)) notEvaluated.push({ code: d.code, reason: [...reasons].sort().join('; ') });
  }
  return { drafted, notEvaluated };
}

export function runAnalysis(artifacts: Artifacts, options: AnalysisOptions): Result {
  const slo = resolveSlo(options.slo);
  const view = new AnalysisView(artifacts.metrics, artifacts.config, slo);
  const hasTimeSeries = view.grid.length > 1;
  const gpu = artifacts.profiles.length ? kernelBreakdown(artifacts.profiles, options.wallSeconds === undefined ? {} : { wallSeconds: options.wallSeconds }) : undefined;
  // Large inputs (analysis/threads.ts): the first worker computes the view-wide pieces taken below
  // (fromThreads) and the alert replay without findings; from three threads on, replicas are shared
  // out too, and runDetectors finds their signals done and the rest of their values memoized.
  const threads = hasTimeSeries ? startAnalysisThreads(view, options.threads, options.capacity) : null;
  /** A view-wide piece from a worker when it has it, else computed here (the same value). */
  const fromThreads = <T>(task: TaskName, here: () => T): T => {
    const t = threads?.take<T>(task);
    return t ? t.value : here();
  };
  // The inventory while the workers start (it reads only the artifacts).
  const inventory = buildInventory(artifacts);
  const signals = hasTimeSeries ? runDetectors(view, threads?.finish()) : [];
  const anomalies = hasTimeSeries ? anomalyEpisodes(view) : [];
  const capacity = hasTimeSeries ? fromThreads('capacity', () => capacityReview(view, options.capacity)) : null;
  const main = runDiagnoses(view, signals, hasTimeSeries, gpu, anomalies, 'main', [], capacity);
  const first = assembleFindings(view, main.drafted);
  // UNEXPLAINED_ANOMALY reads every user-facing episode of each replica, not the report's capped list.
  const userFacing = hasTimeSeries ? replicaScopes(view).flatMap((s) => anomalyEpisodesIn(view, s, USER_FACING_ANOMALY_METRICS)) : [];
  const post = runDiagnoses(view, signals, hasTimeSeries, gpu, userFacing, 'post', first.findings);
  const assembled = assembleFindings(view, [...main.drafted, ...post.drafted]);
  const { findings, recommendations } = assembled;
  // What-if: each serve block's flags replayed on the replica's measured traffic (after recommend,
  // before report; a replay that throws is a "not evaluated" effect, never a failed analysis).
  const serveBlocks = hasTimeSeries && assembled.serveBlocks.length
    ? attachEffects(assembled.serveBlocks, { artifacts, findings, recommendations, slo, window: { startSeconds: view.start, endSeconds: view.end } }, options.whatIf)
    : assembled.serveBlocks;
  const result: Result = {
    schemaVersion: 2,
    tool: { name: 'vllm-tune', version: VERSION },
    name: options.name,
    inputs: artifacts.inputs,
    inventory,
    config: view.timeline,
    slo,
    // A single scrape still carries cumulative histograms: the latency table reads them (with a caveat).
    latency: latencyRows(view, slo),
    throughput: hasTimeSeries ? throughputRows(view) : [],
    capacity: hasTimeSeries ? capacityRows(view) : [],
    signals,
    findings,
    notEvaluated: [...main.notEvaluated, ...post.notEvaluated],
    anomalies,
    correlations: hasTimeSeries ? fromThreads('correlations', () => correlations(view)) : [],
    recommendations,
    serveBlocks,
    charts: hasTimeSeries ? chartSpecs(view, findings, anomalies, options.name) : [],
    warnings: artifacts.warnings.map((w) => ({ ...w })),
  };
  if (gpu !== undefined) result.gpu = gpu;
  if (capacity) result.capacityReview = capacity;
  const decomposition = latencyDecompositionRows(view);
  if (decomposition.length) result.latencyDecomposition = decomposition;
  // Taken before the alert replay, whose wait is the longest (threads.ts TASKS order); shown after it.
  const quality = fromThreads('quality', () => qualitySection(view));
  if (hasTimeSeries) {
    // A worker replayed the rules without findings meanwhile; that replay is the answer when these
    // findings cannot change it (alerts/index.ts replayWithoutFindingsHolds), else replay them here.
    const incidents = incidentsOf(findings, { startSeconds: view.start, endSeconds: view.end });
    const early = incidents.every((f) => !f.window) ? threads?.take<ReturnType<typeof alertsReplay>>('alerts')?.value : undefined;
    if (early) analysisThreadStats.alertsReplayed++;
    const holds = early !== undefined && replayWithoutFindingsHolds(incidents, early.historyCodes);
    if (holds) analysisThreadStats.alertsReused++;
    result.alerts = holds ? early.section : alertsSection(artifacts.metrics, incidents, slo);
  }
  threads?.close();
  if (artifacts.clients?.length) result.client = clientSection(artifacts.clients, view, slo);
  if (quality) result.quality = quality;
  return ResultSchema.parse(finiteOnly(result));
}

/**
 * A number that is not finite (a ratio over zero somewhere in derive) is unknown: null in the Result,
 * never an internal error. Evidence and episode numbers allow null; everywhere else the schema decides.
 */
function finiteOnly(r: Result): Result {
  const clean = (ev: Record<string, unknown>) => {
    for (const k of Object.keys(ev)) if (typeof ev[k] === 'number' && !Number.isFinite(ev[k] as number)) ev[k] = null;
  };
  for (const s of r.signals) {
    clean(s.evidence);
    for (const e of s.episodes) clean(e.numbers);
  }
  for (const f of r.findings) {
    clean(f.evidence);
    for (const e of f.episodes) clean(e.numbers);
  }
  for (const x of r.recommendations) clean(x.reason.numbers);
  // Rows whose required numbers are not finite (a correlation over a constant stretch) carry nothing.
  const finiteRow = (o: object) => Object.values(o).every((v) => typeof v !== 'number' || Number.isFinite(v));
  r.correlations = r.correlations.filter(finiteRow);
  r.anomalies = r.anomalies.filter((a) => Number.isFinite(a.startSeconds) && Number.isFinite(a.endSeconds) && Number.isFinite(a.peakValue) && Number.isFinite(a.peakScore));
  return r;
}

export type { TypedSignal };
