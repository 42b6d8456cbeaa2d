// From diagnosis drafts to the Result's findings and recommendations:
// 1. ids (`CODE@scope`), severity order;
// 2. configuration drift that explains a replica's trouble: the finding goes under the CONFIG_DRIFT
//    finding, whose first proposal restores the peers' value; the finding's own proposals stay, as
//    alternatives for when the odd setting was intended;
// 3. consequences under their causes (diagnoses/relations.ts CAUSED_BY): each episode of a symptom that
//    overlaps an episode of a cause on the same replica moves into a consequence finding under that
//    cause, which carries no advice of its own; the rest stays an independent finding;
// 4. before/during/after context of each root finding's worst episode;
// 5. proposals → safe recommendations (recommend/propose.ts), merged per replica, serve blocks.

import type { Episode, Finding, Recommendation, ServeBlock, Severity } from './model/result.js';
import type { FindingCode, TunableSetting } from './model/vocabulary.js';
import { TUNABLE_SETTINGS } from './model/vocabulary.js';
import type { AnalysisView } from './derive/view.js';
import { FLEET } from './derive/view.js';
import type { FindingDraft, ProposalAt } from './diagnoses/define-diagnosis.js';
import { CAUSED_BY, DRIFT_RELEVANT, ROOT_ORDER } from './diagnoses/relations.js';
import { near } from './derive/episodes.js';
import { episodeWindowSeconds } from './derive/windowed.js';
import { incidentContext } from './derive/incident.js';
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

/** Configuration drift that explains a finding on the odd replica (see the header). */
function linkDrift(view: AnalysisView, items: Working[]): void {
  const w = episodeWindowSeconds(view);
  for (const drift of items.filter((x) => x.finding.code === 'CONFIG_DRIFT')) {
    const peers = String(drift.finding.evidence.peerReplicas ?? '').split(', ').filter(Boolean);
    for (const item of items) {
      const f = item.finding;
      if (f.code === 'CONFIG_DRIFT' || f.causedBy || f.replicas.length !== 1) continue;
      const r = f.replicas[0];
      if (!drift.finding.replicas.includes(r)) continue;
      const relevant = DRIFT_RELEVANT[f.code] as readonly string[];
      // Drift episodes of this replica, on a relevant setting, in force during one of the finding's episodes.
      const driftEps = drift.finding.episodes.filter((e) => relevant.includes(String(e.numbers.setting)) && f.episodes.some((x) => near(x, e, 0)));
      if (!driftEps.length) continue;
      // The peers (the other setting) must be free of this finding at the same time, or the setting is not why.
      const peersWithIt = items.some((o) => o.finding.code === f.code && o.finding.replicas.some((p) => peers.includes(p)) && o.finding.episodes.some((x) => f.episodes.some((y) => near(x, y, w))));
      if (!peers.length || peersWithIt) continue;
      f.causedBy = drift.finding.id;
      drift.finding.severity = worstSeverity(drift.finding.severity, f.severity);
      const worst = longest(f.episodes)!;
      const restore: ProposalAt[] = [];
      for (const e of driftEps) {
        const setting = String(e.numbers.setting);
        if (!(TUNABLE_SETTINGS as readonly string[]).includes(setting)) continue;
        const peersValue = String(e.numbers.peersValue);
        const to = parseConfigScalar(peersValue);
        if (to === undefined || peersValue.includes(' / ') || restore.some((p) => p.setting === setting)) continue;
        restore.push({ replica: r, atSeconds: worst.startSeconds, setting: setting as TunableSetting, to, direction: 'set', confidence: 'high', clamp: false, reason: { kind: 'restore-peers', numbers: { value: String(e.numbers.value), peersValue, peerReplicas: peers.join(', '), finding: f.code } } });
      }
      drift.proposals.push(...restore);
      if (restore.length) for (const p of item.proposals) p.role = 'alternative';
      // Drift is the cause: its finding carries the fix; the mechanism's own proposals stay as options.
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
    let k = 0;
    for (const [causeId, eps] of parts) {
      const id = free.length === 0 && parts.size === 1 ? f.id : `${f.id}#${++k}`;
      out.push({ finding: { ...f, id, episodes: eps, causedBy: causeId, evidence: { ...f.evidence, ...(typeof f.evidence.episodes === 'number' ? { episodes: eps.length } : {}) } }, proposals: [], incident: false });
    }
    if (free.length) {
      const kept = item.proposals.filter((p) => free.some((e) => p.atSeconds >= e.startSeconds - w && p.atSeconds <= e.endSeconds + w));
      out.push({ finding: { ...f, episodes: free, evidence: { ...f.evidence, ...(typeof f.evidence.episodes === 'number' ? { episodes: free.length } : {}) } }, proposals: kept, incident: item.incident });
    }
  }
  return out;
}

export function assembleFindings(view: AnalysisView, drafted: Drafted[]): { findings: Finding[]; recommendations: Recommendation[]; serveBlocks: ServeBlock[] } {
  let items = build(drafted);
  linkDrift(view, items);
  items = linkConsequences(view, items);
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
    if (e && view.grid.length > 1) f.context = incidentContext(view, f.replicas[0], e.startSeconds, e.endSeconds);
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
