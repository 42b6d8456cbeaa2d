// The diagnosis contract: a pathology code, the signals it reads, and a pure function from those
// signals (plus the view and config) to a Finding, nothing, or "not evaluated" with the reason.

import type { AnalysisView, Scope } from '../derive/view.js';
import type { Evidence, Finding, Recommendation, Signal, Severity } from '../model/result.js';
import { FINDING_TEXT } from './catalog.js';

export interface DiagnosisContext {
  view: AnalysisView;
  scope: Scope;
  /** Signal of a detector in this scope (undefined when the detector does not run here). */
  signal(id: string): Signal | undefined;
}

export type DiagnosisOutcome =
  | { kind: 'finding'; severity: Severity; summary: string; evidence: Evidence; window?: { startSeconds: number; endSeconds: number }; recommendations: Recommendation[] }
  | { kind: 'none' }
  | { kind: 'not-evaluated'; reason: string };

export interface DiagnosisDef {
  code: keyof typeof FINDING_TEXT;
  /** Detector ids whose signals it reads; when all are insufficient-data, the reason is reported. */
  needs: readonly string[];
  /** Whether it is evaluated per replica (else fleet only). */
  perReplica: boolean;
  /** Root causes that explain this symptom: when one of them is found in the same scope (or the fleet), this finding is dropped. */
  explainedBy?: readonly string[];
  diagnose(ctx: DiagnosisContext): DiagnosisOutcome;
}

export function defineDiagnosis(def: DiagnosisDef): DiagnosisDef {
  return def;
}

export const none: DiagnosisOutcome = { kind: 'none' };
export const notEvaluated = (reason: string): DiagnosisOutcome => ({ kind: 'not-evaluated', reason });

export function toFinding(def: DiagnosisDef, scope: Scope, o: Extract<DiagnosisOutcome, { kind: 'finding' }>): Finding {
  const f: Finding = {
    code: def.code,
    title: FINDING_TEXT[def.code].title,
    severity: o.severity,
    summary: o.summary,
    scope,
    evidence: o.evidence,
    recommendations: o.recommendations.map((r) => ({ ...r, findings: [def.code] })),
    doc: `docs/findings/${def.code}.md`,
  };
  if (o.window) f.window = o.window;
  return f;
}

/** Numeric evidence value of a signal, or null. */
export function ev(s: Signal | undefined, key: string): number | null {
  const v = s?.evidence[key];
  return typeof v === 'number' ? v : null;
}

/** The reason when a needed signal has no data. */
export function missing(s: Signal | undefined, id: string): string | null {
  if (!s) return `${id} was not evaluated in this scope`;
  if (s.status === 'insufficient-data' || s.status === 'error') return `${id}: ${s.reason ?? s.status}`;
  return null;
}
