// Reconciling recommendations, per replica: when several findings want one setting on one replica, the
// report shows one value, chosen by a written policy, names every finding behind it and keeps the
// overruled values. Then the primary recommendations become `vllm serve` blocks: one per set of replicas
// of one configuration group that share the same flags — a fleet-wide block only when every replica
// shares the problem.
//
// Policy (per replica and setting):
// - max_num_seqs, max_num_batched_tokens: the SMALLEST proposed value wins. A memory or latency limit
//   (thrashing, OOM, TBT) is a hard constraint; a throughput wish is not.
// - gpu_memory_utilization: the smallest value wins when OOM_RISK asks for one (safety first), else the
//   largest (more KV).
// - booleans (enable_chunked_prefill, enable_prefix_caching, enforce_eager): the value most proposals
//   ask for; `true` on a tie.
// - anything else: the proposal with the highest confidence, ties to the first (findings are in
//   severity order).
// The merged confidence is the lowest among the proposals that agree with the chosen value.

import type { Recommendation, ServeBlock } from '../model/result.js';
import { TUNABLE_SETTINGS, type TunableSetting } from '../model/vocabulary.js';

const CONF = { low: 0, medium: 1, high: 2 } as const;
const MIN_WINS = new Set<TunableSetting>(['max_num_seqs', 'max_num_batched_tokens']);

/** Flag order in a serve block: the memory fraction first (it sizes the pool the others are computed from), then the vocabulary's order. */
export const FLAG_ORDER: readonly TunableSetting[] = ['gpu_memory_utilization', ...TUNABLE_SETTINGS.filter((x) => x !== 'gpu_memory_utilization')];

function choose(setting: TunableSetting, list: Recommendation[]): Recommendation {
  const pick = (better: (a: Recommendation, b: Recommendation) => boolean) => list.reduce((best, r) => (better(r, best) ? r : best), list[0]);
  if (MIN_WINS.has(setting)) return pick((a, b) => Number(a.to) < Number(b.to));
  if (setting === 'gpu_memory_utilization') {
    const safety = list.some((r) => r.reason.kind === 'memory-fraction-lower');
    return pick((a, b) => (safety ? Number(a.to) < Number(b.to) : Number(a.to) > Number(b.to)));
  }
  if (list.every((r) => typeof r.to === 'boolean')) {
    const yes = list.filter((r) => r.to === true);
    const no = list.filter((r) => r.to === false);
    return yes.length >= no.length ? yes[0] ?? list[0] : no[0];
  }
  return pick((a, b) => CONF[a.confidence] > CONF[b.confidence]);
}

/**
 * One recommendation per (replica, setting, role); an alternative that repeats a primary's value is
 * dropped (one with another value is a fallback: max_num_seqs for the pool as it is, when raising
 * gpu_memory_utilization is the fix).
 */
export function mergeRecommendations(recs: Recommendation[]): Recommendation[] {
  const groups = new Map<string, Recommendation[]>();
  for (const r of recs) {
    const k = `${r.replicas.join(',')}|${r.setting}|${r.role}`;
    let l = groups.get(k);
    if (!l) groups.set(k, (l = []));
    l.push(r);
  }
  const out: Recommendation[] = [];
  for (const list of groups.values()) {
    const chosen = choose(list[0].setting, list);
    const agreeing = list.filter((r) => String(r.to) === String(chosen.to));
    const overruled = list.filter((r) => String(r.to) !== String(chosen.to));
    const confidence = agreeing.reduce((c, r) => (CONF[r.confidence] < CONF[c] ? r.confidence : c), chosen.confidence);
    // Agreeing proposals of the same reason keep what each adds: GEMM_BOUND's profile share joins
    // GPU_UNDERUTILIZED's pool arithmetic (the chosen proposal's own numbers win where both have one).
    const extra = Object.assign({}, ...agreeing.filter((r) => r !== chosen && r.reason.kind === chosen.reason.kind).map((r) => r.reason.numbers));
    const reason = Object.keys(extra).some((k) => !(k in chosen.reason.numbers)) ? { ...chosen.reason, numbers: { ...extra, ...chosen.reason.numbers } } : chosen.reason;
    const merged: Recommendation = { ...chosen, reason, confidence, findings: [...new Set(list.flatMap((r) => r.findings))] };
    if (overruled.length) merged.overruled = overruled.map((r) => ({ to: r.to, findings: r.findings }));
    out.push(merged);
  }
  const primaries = new Set(out.filter((r) => r.role === 'primary').map((r) => `${r.replicas.join(',')}|${r.setting}|${String(r.to)}`));
  return out
    .filter((r) => r.role === 'primary' || !primaries.has(`${r.replicas.join(',')}|${r.setting}|${String(r.to)}`))
    .sort((a, b) => (a.replicas.join(',') < b.replicas.join(',') ? -1 : a.replicas.join(',') > b.replicas.join(',') ? 1 : 0) || FLAG_ORDER.indexOf(a.setting) - FLAG_ORDER.indexOf(b.setting) || (a.role < b.role ? 1 : -1));
}

/**
 * Replicas of one configuration group that need the same setting for the same reason get one value:
 * the binding one by the same policy (the smallest max_num_seqs, …), shown with the arithmetic of the
 * replica that binds; the other replicas' own values are kept as overruled. One group, one block.
 */
export function harmonizeGroups(recs: Recommendation[], groupOf: (replica: string) => string): Recommendation[] {
  const groups = new Map<string, Recommendation[]>();
  const out: Recommendation[] = [];
  for (const r of recs) {
    if (r.replicas.length !== 1) {
      out.push(r);
      continue;
    }
    const k = `${groupOf(r.replicas[0])}|${r.setting}|${r.role}|${r.reason.kind}|${r.relation}`;
    let l = groups.get(k);
    if (!l) groups.set(k, (l = []));
    l.push(r);
  }
  for (const list of groups.values()) {
    if (list.length === 1) {
      out.push(list[0]);
      continue;
    }
    const chosen = choose(list[0].setting, list);
    const others = list.filter((r) => r !== chosen && String(r.to) !== String(chosen.to));
    const confidence = list.reduce((c, r) => (CONF[r.confidence] < CONF[c] ? r.confidence : c), chosen.confidence);
    const merged: Recommendation = { ...chosen, confidence, replicas: list.flatMap((r) => r.replicas).sort(), findings: [...new Set(list.flatMap((r) => r.findings))] };
    const overruled = [...(chosen.overruled ?? []), ...others.map((r) => ({ to: r.to, findings: r.findings }))];
    if (overruled.length) merged.overruled = overruled;
    out.push(merged);
  }
  return out.sort((a, b) => (a.replicas.join(',') < b.replicas.join(',') ? -1 : a.replicas.join(',') > b.replicas.join(',') ? 1 : 0) || FLAG_ORDER.indexOf(a.setting) - FLAG_ORDER.indexOf(b.setting) || (a.role < b.role ? 1 : -1));
}

/** A value as one shell word: as it is when it needs no quoting, else in single quotes. */
export function shellWord(v: string): string {
  return /^[A-Za-z0-9._:/=+-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** A recommendation as a `vllm serve` flag (booleans as --x / --no-x, as vLLM's CLI takes them), safe to paste. */
export function serveFlag(r: Pick<Recommendation, 'setting' | 'to'>): string {
  const flag = `--${r.setting.replace(/_/g, '-')}`;
  if (typeof r.to === 'boolean') return r.to ? flag : `--no-${r.setting.replace(/_/g, '-')}`;
  return `${flag} ${shellWord(String(r.to))}`;
}

/**
 * Serve blocks: replicas with the same configuration group and the same primary flags share a block.
 * `groupOf` gives a replica's configuration group (at the end of the window).
 */
export function serveBlocks(recs: Recommendation[], allReplicas: readonly string[], groupOf: (replica: string) => string): ServeBlock[] {
  const byReplica = new Map<string, Recommendation[]>();
  for (const r of recs) {
    if (r.role !== 'primary') continue;
    for (const rep of r.replicas) {
      let l = byReplica.get(rep);
      if (!l) byReplica.set(rep, (l = []));
      l.push(r);
    }
  }
  const blocks = new Map<string, ServeBlock>();
  for (const [rep, list] of [...byReplica].sort(([a], [b]) => (a < b ? -1 : 1))) {
    list.sort((a, b) => FLAG_ORDER.indexOf(a.setting) - FLAG_ORDER.indexOf(b.setting));
    const flags = list.map(serveFlag);
    const group = groupOf(rep);
    const key = `${group}|${flags.join(' ')}`;
    let b = blocks.get(key);
    if (!b) blocks.set(key, (b = { replicas: [], fleet: false, groups: [group], flags, recommendations: [], conditional: false }));
    b.replicas.push(rep);
    // A recommendation harmonized over several replicas of the group is listed once.
    for (const r of list) if (!b.recommendations.includes(r.id)) b.recommendations.push(r.id);
    b.conditional = b.conditional || list.some((r) => r.relation !== 'set');
  }
  const out = [...blocks.values()];
  // Replicas of different groups that need the same flags still get one block each per group; a block
  // covering every replica is the fleet's.
  for (const b of out) b.fleet = allReplicas.length > 0 && b.replicas.length === allReplicas.length;
  return out;
}
