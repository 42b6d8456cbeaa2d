// From diagnosis drafts to the Result's findings and recommendations:
// 1. ids (`CODE@scope`), severity order;
// 2. consequences under their causes (diagnoses/relations.ts CAUSED_BY): each episode of a symptom that
//    overlaps an episode of a cause on the same replica moves into a consequence finding under that
//    cause, which carries no advice of its own; the rest stays an independent finding;
// 3. configuration drift that explains a replica's remaining root trouble: the finding goes under the
//    CONFIG_DRIFT finding, whose first proposal restores the peers' value; the finding's own proposals
//    stay, as alternatives for when the odd setting was intended;
// 4. before/during/after context of each root finding's worst episode;
// 5. proposals → safe recommendations (recommend/propose.ts), merged per replica, serve blocks.

import type { Episode, Finding, Recommendation, ServeBlock, Severity } from './model/result.js';
import type { FindingCode, TunableSetting } from './model/vocabulary.js';
import { TUNABLE_SETTINGS } from './model/vocabulary.js';
import type { AnalysisView } from './derive/view.js';
import { FLEET } from './derive/view.js';
import type { FindingDraft, ProposalAt } from './diagnoses/define-diagnosis.js';
import { CAUSED_BY, DRIFT_RELEVANT, ROOT_ORDER } from './diagnoses/relations.js';
import { DIAGNOSES } from './diagnoses/index.js';
import { near } from './derive/episodes.js';
import { episodeWindowSeconds } from './derive/windowed.js';
import { incidentContext } from './derive/incident.js';
import { decomposeLatency } from './derive/decomposition.js';
import { toRecommendation } from './recommend/propose.js';
import { harmonizeGroups, mergeRecommendations, serveBlocks } from './recommend/merge.js';
import { parseConfigScalar } from './model/serving-config.js';

export interface Drafted {
  code: FindingCode;
  scope: string;
  draft: FindingDraft<FindingCode>;
}

interface Working {
  finding: Finding;
  proposals: ProposalAt[];
  incident: boolean;
}

const SEV: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

function worstSeverity(a: Severity, b: Severity): Severity {
  return SEV[a] <= SEV[b] ? a : b;
}

function longest(episodes: readonly Episode[]): Episode | undefined {
  return episodes.reduce<Episode | undefined>((b, e) => (!b || e.durationSeconds > b.durationSeconds ? e : b), undefined);
}

function build(drafted: Drafted[]): Working[] {
  const ids = new Map<string, number>();
  return drafted.map(({ code, scope, draft }) => {
    const label = draft.scope ?? scope;
    let id = `${code}@${label}`;
    const n = (ids.get(id) ?? 0) + 1;
    ids.set(id, n);
    if (n > 1) id = `${id}#${n}`;
    const finding: Finding = {
      id,
      code,
      severity: draft.severity,
      scope: label,
      replicas: draft.replicas ?? (scope === FLEET ? [] : [scope]),
      episodes: draft.episodes as Episode[],
      evidence: draft.evidence as Finding['evidence'],
      recommendations: [],
      doc: `docs/findings/${code}.md`,
    };
    return { finding, proposals: [...draft.proposals], incident: draft.incident ?? false };
  });
}

/** A setting's value as text: read, or inferred as an exact value (a running plateau), never a bound. */
function readValue(view: AnalysisView, replica: string, setting: string, t: number): string | undefined {
  const v = view.settingAt(replica, setting as TunableSetting, t);
  return v && !v.bound ? String(v.value) : undefined;
}

/**
 * Configuration drift that explains a finding on a replica (see the header): during one of the
 * finding's episodes, a relevant setting of the replica differs from the value its peers of the same
 * model all run, and none of those peers shows the finding at the same time. Decided from the
 * configuration timeline, whichever replica the drift finding called odd (with two replicas there is
 * no majority; the one in trouble is the one to restore).
 */
function linkDrift(view: AnalysisView, items: Working[]): void {
  const w = episodeWindowSeconds(view);
  const modelOf = new Map(view.timeline.replicas.map((r) => [r.replica, r.model ?? '(unknown model)']));
  for (const drift of items.filter((x) => x.finding.code === 'CONFIG_DRIFT')) {
    const model = String(drift.finding.evidence.model ?? '(unknown model)');
    for (const item of items) {
      const f = item.finding;
      if (f.code === 'CONFIG_DRIFT' || f.causedBy || f.replicas.length !== 1) continue;
      const r = f.replicas[0];
      if (modelOf.get(r) !== model) continue;
      const others = [...modelOf].filter(([x, m]) => x !== r && m === model).map(([x]) => x);
      const restore: ProposalAt[] = [];
      const explained: string[] = [];
      for (const setting of DRIFT_RELEVANT[f.code] as readonly string[]) {
        for (const e of f.episodes) {
          const t = e.startSeconds;
          const mine = readValue(view, r, setting, t);
          if (mine === undefined) continue;
          const differing = others.filter((p) => {
            const v = readValue(view, p, setting, t);
            return v !== undefined && v.toLowerCase() !== mine.toLowerCase();
          });
          if (!differing.length) continue;
          const values = new Set(differing.map((p) => readValue(view, p, setting, t)!.toLowerCase()));
          // The peers with the other value must be free of this finding at the same time.
          const peersWithIt = items.some((o) => o.finding.code === f.code && o.finding.replicas.some((p) => differing.includes(p)) && o.finding.episodes.some((x) => near(x, e, w)));
          if (peersWithIt || values.size !== 1) continue;
          if (!explained.includes(setting)) explained.push(setting);
          const peersValue = readValue(view, differing[0], setting, t)!;
          const to = parseConfigScalar(peersValue);
          if (to === undefined || !(TUNABLE_SETTINGS as readonly string[]).includes(setting) || restore.some((p) => p.setting === setting)) continue;
          restore.push({ replica: r, atSeconds: t, setting: setting as TunableSetting, to, direction: 'set', confidence: 'high', clamp: false, reason: { kind: 'restore-peers', numbers: { value: mine, peersValue, peerReplicas: differing.join(', '), finding: f.code } } });
        }
      }
      if (!explained.length) continue;
      f.causedBy = drift.finding.id;
      drift.finding.severity = worstSeverity(drift.finding.severity, f.severity);
      if (!drift.finding.replicas.includes(r)) drift.finding.replicas = [...drift.finding.replicas, r].sort();
      drift.finding.evidence = { ...drift.finding.evidence, explains: [String(drift.finding.evidence.explains ?? ''), `${f.code}@${r}`].filter(Boolean).join(', '), replicasToRestore: [String(drift.finding.evidence.replicasToRestore ?? ''), r].filter(Boolean).join(', ') };
      drift.proposals.push(...restore);
      // Drift is the cause: its finding carries the fix; the mechanism's own proposals stay as options.
      if (restore.length) for (const p of item.proposals) p.role = 'alternative';
      item.incident = true;
    }
  }
}

/** Consequences under their causes, splitting a symptom's episodes by what explains them. */
function linkConsequences(view: AnalysisView, items: Working[]): Working[] {
  const w = episodeWindowSeconds(view);
  const order = (c: FindingCode) => ROOT_ORDER.indexOf(c);
  const sorted = [...items].sort((a, b) => order(a.finding.code) - order(b.finding.code));
  const out: Working[] = [];
  for (const item of sorted) {
    const f = item.finding;
    const causes = CAUSED_BY[f.code] as readonly FindingCode[];
    if (!causes.length || f.causedBy || f.replicas.length !== 1) {
      out.push(item);
      continue;
    }
    const r = f.replicas[0];
    const candidates = causes.flatMap((c) => out.filter((o) => o.finding.code === c && (o.finding.replicas.includes(r) || o.finding.scope === FLEET)));
    const parts = new Map<string, Episode[]>();
    const free: Episode[] = [];
    for (const e of f.episodes) {
      const cause = candidates.find((c) => c.finding.episodes.some((x) => near(x, e, w)));
      if (cause) {
        const l = parts.get(cause.finding.id) ?? [];
        l.push(e);
        parts.set(cause.finding.id, l);
      } else free.push(e);
    }
    if (!parts.size) {
      out.push(item);
      continue;
    }
    // Each part says only what its own episodes show (the diagnosis's refine(), when it has one).
    const def = DIAGNOSES.find((d) => d.code === f.code);
    const part = (eps: Episode[]): Pick<Finding, 'severity' | 'evidence'> => {
      if (def?.refine) {
        const r = def.refine(eps as never, f.evidence as never);
        return { severity: r.severity, evidence: r.evidence as Finding['evidence'] };
      }
      return { severity: f.severity, evidence: { ...f.evidence, ...(typeof f.evidence.episodes === 'number' ? { episodes: eps.length } : {}) } };
    };
    let k = 0;
    for (const [causeId, eps] of parts) {
      const id = free.length === 0 && parts.size === 1 ? f.id : `${f.id}#${++k}`;
      out.push({ finding: { ...f, ...part(eps), id, episodes: eps, causedBy: causeId }, proposals: [], incident: false });
    }
    if (free.length) {
      const kept = item.proposals.filter((p) => free.some((e) => p.atSeconds >= e.startSeconds - w && p.atSeconds <= e.endSeconds + w));
      out.push({ finding: { ...f, ...part(free), episodes: free }, proposals: kept, incident: item.incident });
    }
  }
  return out;
}

export function assembleFindings(view: AnalysisView, drafted: Drafted[]): { findings: Finding[]; recommendations: Recommendation[]; serveBlocks: ServeBlock[] } {
  let items = build(drafted);
  items = linkConsequences(view, items);
  linkDrift(view, items);
  // A cause is at least as severe as what it causes (a warning-level cap behind a critical TTFT breach).
  const byId = new Map(items.map((x) => [x.finding.id, x.finding]));
  for (let changed = true; changed; ) {
    changed = false;
    for (const it of items) {
      const cause = it.finding.causedBy ? byId.get(it.finding.causedBy) : undefined;
      if (cause && SEV[it.finding.severity] < SEV[cause.severity]) {
        cause.severity = it.finding.severity;
        changed = true;
      }
    }
  }
  // Context of each root finding (and of drift-explained mechanisms) around its longest episode.
  for (const it of items) {
    const f = it.finding;
    if (!it.incident || f.replicas.length !== 1 || (f.causedBy && !f.causedBy.startsWith('CONFIG_DRIFT'))) continue;
    const e = longest(f.episodes);
    if (e && view.grid.length > 1) {
      const d = decomposeLatency(view, f.replicas[0], e.startSeconds, e.endSeconds);
      const split = d.ttftMeanSeconds !== null && (d.queueMeanSeconds !== null || d.prefillMeanSeconds !== null)
        ? { ttftMeanSeconds: d.ttftMeanSeconds, queueMeanSeconds: d.queueMeanSeconds, prefillMeanSeconds: d.prefillMeanSeconds, decodeMeanSeconds: d.decodeMeanSeconds, e2eMeanSeconds: d.e2eMeanSeconds, ttftResidualSeconds: d.ttftResidualSeconds, e2eResidualSeconds: d.e2eResidualSeconds }
        : null;
      f.context = incidentContext(view, f.replicas[0], e.startSeconds, e.endSeconds, split);
    }
  }
  // Recommendations: only findings that are not consequences propose (drift-explained ones as alternatives).
  const raw: Recommendation[] = [];
  const counter = new Map<string, number>();
  for (const it of items) {
    if (it.finding.causedBy && !it.finding.causedBy.startsWith('CONFIG_DRIFT')) continue;
    for (const p of it.proposals) {
      const rec = toRecommendation(p, { view, replica: p.replica, atSeconds: p.atSeconds });
      if (!rec) continue;
      const base = `${p.setting}@${p.replica}`;
      const n = (counter.get(base) ?? 0) + 1;
      counter.set(base, n);
      raw.push({ ...rec, id: `${base}#${n}`, findings: [it.finding.id] });
    }
  }
  const groupOf = (r: string) => view.configAt(r)?.group ?? '–';
  const recommendations = harmonizeGroups(mergeRecommendations(raw), groupOf).map((r, i) => ({ ...r, id: `R${i + 1}` }));
  const findings = items.map((x) => x.finding);
  for (const f of findings) f.recommendations = recommendations.filter((r) => r.findings.includes(f.id)).map((r) => r.id);
  findings.sort((a, b) => SEV[a.severity] - SEV[b.severity] || ROOT_ORDER.indexOf(a.code) - ROOT_ORDER.indexOf(b.code) || (a.scope < b.scope ? -1 : a.scope > b.scope ? 1 : 0));
  const all = view.replicas;
  const blocks = serveBlocks(recommendations, all, groupOf);
  return { findings, recommendations, serveBlocks: blocks };
}
