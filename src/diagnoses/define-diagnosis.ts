// The diagnosis contract: a pathology code, the detectors it reads, and a pure function from their
// signals (plus the view: configuration per replica and time, windowed numbers) to findings — one per
// replica, each with the episodes in which the pathology held — nothing, or "not evaluated" with the
// reason. Diagnoses return codes, numbers and proposals; sentences are made in src/report/.

import type { AnalysisView, Scope } from '../derive/view.js';
import type { AnomalyEpisode, Finding, Severity } from '../model/result.js';
import type { DetectorId, FindingCode } from '../model/vocabulary.js';
import type { GpuBreakdown } from '../model/gpu-result.js';
import type { CapacityReview } from '../model/capacity-result.js';
import type { DetectorEvidence, EpisodeNumbers } from '../detectors/evidence.js';
import type { TypedEpisode } from '../detectors/define-detector.js';
import type { FindingEvidence, FindingEpisodeNumbers } from './evidence.js';
import type { Proposal } from '../recommend/propose.js';

/** A detector's signal with its evidence and episode numbers typed. */
export interface TypedSignal<I extends DetectorId> {
  id: I;
  status: 'ok' | 'issue' | 'insufficient-data' | 'error';
  reason?: string;
  scope: string;
  evidence: DetectorEvidence[I];
  episodes: TypedEpisode<EpisodeNumbers[I]>[];
}

export interface DiagnosisContext {
  view: AnalysisView;
  /** The replica diagnosed (or `fleet` for fleet-level diagnoses and replica-less inputs). */
  scope: Scope;
  /** Signal of a detector in this scope (undefined when the detector does not run here). */
  signal<I extends DetectorId>(id: I): TypedSignal<I> | undefined;
  /** Signals of a detector in every scope it ran in (profile diagnoses join them with the profile). */
  allSignals<I extends DetectorId>(id: I): TypedSignal<I>[];
  /** The GPU-profile breakdown, for profile diagnoses (undefined without profiles). */
  gpu?: GpuBreakdown;
  /** The capacity review (windows of a day or more, or --capacity), for the capacity diagnoses. */
  capacity?: CapacityReview;
  /** For `post` diagnoses: the findings of every other diagnosis, and the anomaly episodes. */
  findings?: readonly Finding[];
  anomalies?: readonly AnomalyEpisode[];
}

/** A proposal tied to the replica and time whose configuration it changes. */
export interface ProposalAt extends Proposal {
  replica: Scope;
  atSeconds: number;
}

export interface FindingDraft<C extends FindingCode> {
  severity: Severity;
  episodes: TypedEpisode<FindingEpisodeNumbers[C]>[];
  evidence: FindingEvidence[C];
  proposals: ProposalAt[];
  /** Replicas concerned (default: the scope). */
  replicas?: string[];
  /** Scope label when it is not the diagnosed scope (e.g. the devices of a profile finding). */
  scope?: string;
  /** Whether the report should show before/during/after traffic around the worst episode. */
  incident?: boolean;
}

export type DiagnosisOutcome<C extends FindingCode> = { kind: 'findings'; findings: FindingDraft<C>[] } | { kind: 'none' } | { kind: 'not-evaluated'; reason: string };

export interface DiagnosisDef<C extends FindingCode> {
  code: C;
  /** Detector ids whose signals it reads; when a needed one has no data, the reason is reported. */
  needs: readonly DetectorId[];
  /**
   * `replica`: once per replica; `fleet`: once for all replicas (CONFIG_DRIFT); `profile`: once over the
   * GPU profiles; `post`: once per replica after all others, reading their findings (UNEXPLAINED_ANOMALY).
   */
  runs: 'replica' | 'fleet' | 'profile' | 'post';
  diagnose(ctx: DiagnosisContext): DiagnosisOutcome<C>;
  /**
   * Severity and evidence of a part of a finding, when its episodes are split between causes (links.ts):
   * the part keeps only its own episodes, and what it says must follow from them. Default: unchanged.
   */
  refine?(episodes: TypedEpisode<FindingEpisodeNumbers[C]>[], evidence: FindingEvidence[C]): { severity: Severity; evidence: FindingEvidence[C] };
}

/** A diagnosis with its code type erased, for the registry. */
export type AnyDiagnosis = DiagnosisDef<FindingCode>;

export function defineDiagnosis<C extends FindingCode>(def: DiagnosisDef<C>): DiagnosisDef<C> {
  return def;
}

export const none = { kind: 'none' } as const;
export const notEvaluated = (reason: string): { kind: 'not-evaluated'; reason: string } => ({ kind: 'not-evaluated', reason });
export function found<C extends FindingCode>(...findings: FindingDraft<C>[]): DiagnosisOutcome<C> {
  return findings.length ? { kind: 'findings', findings } : none;
}

/** The reason when a needed signal has no data (null when it has). */
export function missing(s: { status: string; reason?: string } | undefined, id: DetectorId): string | null {
  if (!s) return `${id} was not evaluated in this scope`;
  if (s.status === 'insufficient-data' || s.status === 'error') return `${id}: ${s.reason ?? s.status}`;
  return null;
}

/** The episode with the largest value of a number (the first on ties); undefined for none. */
export function worstBy<N>(episodes: TypedEpisode<N>[], f: (n: N, e: TypedEpisode<N>) => number | null): TypedEpisode<N> | undefined {
  let best: TypedEpisode<N> | undefined;
  let bv = -Infinity;
  for (const e of episodes) {
    const v = f(e.numbers, e) ?? -Infinity;
    if (!best || v > bv) {
      best = e;
      bv = v;
    }
  }
  return best;
}
