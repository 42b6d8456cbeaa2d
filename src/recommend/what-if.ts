// What-if (issue 14 §2): the predicted effect of each `vllm serve` block. After recommend and before
// report, each block's replicas (at most `replicasPerBlock`, the worst first) have the measured traffic
// of the relevant window — the longest episode of the findings behind the block's flags, with a lead-in —
// replayed through the simulator twice, same seed and calibration (src/simulate/replay.ts): at the
// settings the replica ran (`before`) and with the block's flags (`after`). The pair is compared on the
// targets: preemptions, TTFT p95 and TBT p95 against the latency targets, and served throughput.
//
// Nothing is guessed: a block whose flags the simulator cannot change, whose current values are not
// known (a conditional block), whose inputs lack what replay needs, or whose replay at the current
// settings does not reproduce the measured window within docs/simulator.md's tolerances gets a
// `not-evaluated` effect with the reason. A throw becomes "not evaluated" too, never a crash.
//
// Policy: a block whose replay does not improve the breached targets is MARKED (`verdict`), not
// dropped. The flags come from measured numbers by the arithmetic the report shows; the replay is a
// model with stated tolerances, and it is the weaker witness of the two. The report says so next to
// the block (docs/what-if.md).

import type { Artifacts } from '../model/artifacts.js';
import type { Effect, EffectMeasures, EffectTarget, Finding, Recommendation, ServeBlock } from '../model/result.js';
import type { SloTargets } from '../derive/slo.js';
import { REPLAY_SETTINGS, REPLAY_TOLERANCE, replay, replayMisfit, type Measures, type ReplayOptions, type ReplaySetting } from '../simulate/replay.js';

export interface WhatIfOptions {
  /** false: no replay; each block's effect says "not evaluated" with why. Default true. */
  enabled?: boolean;
  /** Longest replayed window, seconds (cost is proportional to it). Default WHAT_IF_MAX_WINDOW_SECONDS. */
  maxWindowSeconds?: number;
  /** Replicas replayed per block, the worst first. Default WHAT_IF_REPLICAS_PER_BLOCK. */
  replicasPerBlock?: number;
  /** Replay seed (the same for before and after). Default 1. */
  seed?: number;
}

/**
 * Longest replayed window: one hour, the length the replay's tolerances were validated on
 * (docs/simulator.md); the cost grows with it (docs/what-if.md has the measured times).
 */
export const WHAT_IF_MAX_WINDOW_SECONDS = 3600;

/** Shortest replayed window: the calibration needs minutes of traffic, and a short episode its build-up. */
export const WHAT_IF_MIN_WINDOW_SECONDS = 900;

/** Time replayed before the episode starts, so the replay builds the backlog the episode had. */
export const WHAT_IF_LEAD_SECONDS = 600;

/** Replicas replayed per serve block (the worst first): each costs a calibrated replay. Judgement call. */
export const WHAT_IF_REPLICAS_PER_BLOCK = 1;

/**
 * A paired change counts when it moves a quantity by more than this fraction (before and after share the
 * traffic, seed and calibration, so their difference is far tighter than the replay's absolute
 * tolerance). Judgement call.
 */
export const EFFECT_MIN_CHANGE = 0.1;

/** Preemptions over the window below which the replay cannot tell them from none (REPLAY_TOLERANCE.preemptionsAbs). */
export const PREEMPTIONS_FLOOR = REPLAY_TOLERANCE.preemptionsAbs;

/** Settings whose assumed value the report names (they set the pool and the batch). */
const ASSUMPTIONS_SHOWN = ['max_num_seqs', 'max_num_batched_tokens', 'gpu_memory_utilization', 'num_gpu_blocks', 'enable_prefix_caching', 'enable_chunked_prefill'];

/** Findings whose episodes are spans of a state (a configuration), not of an incident. */
const STATE_CODES = new Set<string>(['CONFIG_DRIFT']);

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

export interface WhatIfInput {
  artifacts: Artifacts;
  findings: readonly Finding[];
  recommendations: readonly Recommendation[];
  slo: SloTargets;
  /** The analysed window (Unix seconds). */
  window: { startSeconds: number; endSeconds: number };
}

/** The findings on `replica` behind a block's flags: those that asked for them, and their consequences there. */
function relevantFindings(findings: readonly Finding[], asked: Set<string>, replica: string): Finding[] {
  const byId = new Map(findings.map((f) => [f.id, f]));
  const rooted = (f: Finding): boolean => {
    for (let x: Finding | undefined = f, depth = 0; x && depth < 8; x = x.causedBy ? byId.get(x.causedBy) : undefined, depth++) if (asked.has(x.id)) return true;
    return false;
  };
  return findings.filter((f) => (f.scope === replica || f.replicas.includes(replica)) && rooted(f));
}

/**
 * The replayed window: all of the data when it fits the cap (the setting the replay was validated in,
 * and the most kept-up traffic for its calibration); else the longest episode of the replica's
 * relevant findings with a lead-in before it, within the caps.
 */
export function whatIfWindow(fs: readonly Finding[], replica: string, data: { startSeconds: number; endSeconds: number }, maxSeconds: number): { startSeconds: number; endSeconds: number } {
  if (data.endSeconds - data.startSeconds <= maxSeconds) return { ...data };
  // Episodes of harm first: a CONFIG_DRIFT episode is the span a setting differed (hours, mostly
  // harmless), its consequences' episodes are the incidents. Then findings about this replica alone
  // (a fleet finding's episodes may be another replica's).
  const harm = fs.filter((f) => !STATE_CODES.has(f.code));
  const pool = harm.length ? harm : fs;
  const own = pool.filter((f) => f.scope === replica).flatMap((f) => f.episodes);
  const eps = own.length ? own : pool.flatMap((f) => f.episodes);
  const longest = eps.reduce<(typeof eps)[number] | undefined>((b, e) => (!b || e.endSeconds - e.startSeconds > b.endSeconds - b.startSeconds ? e : b), undefined);
  const span = Math.min(maxSeconds, WHAT_IF_MIN_WINDOW_SECONDS);
  let start = longest ? Math.max(data.startSeconds, longest.startSeconds - WHAT_IF_LEAD_SECONDS) : data.startSeconds;
  let end = longest ? Math.min(data.endSeconds, Math.max(longest.endSeconds, start + span), start + maxSeconds) : Math.min(data.endSeconds, start + maxSeconds);
  // Near the end of the data a short window borrows time before it.
  if (end - start < span) start = Math.max(data.startSeconds, end - span);
  if (end - start > maxSeconds) end = start + maxSeconds;
  return { startSeconds: start, endSeconds: end };
}

function effectMeasures(m: Measures, seconds: number): EffectMeasures {
  return {
    preemptions: m.preemptions,
    ttftP95Seconds: m.ttftP95Seconds,
    tbtP95Seconds: m.tbtP95Seconds,
    queueP95Seconds: m.queueP95Seconds,
    queueP95BelowSeconds: m.queueP95BelowSeconds,
    generationTokensPerSecond: m.generationTokens !== null && seconds > 0 ? Math.round((m.generationTokens / seconds) * 1000) / 1000 : null,
    requests: m.requests,
  };
}

/**
 * The verdict on a before/after pair (both replays). Breached: TTFT or TBT p95 above its target,
 * preemptions at or above PREEMPTIONS_FLOOR. Improved: a breached quantity back within its target, or
 * lower by more than EFFECT_MIN_CHANGE; with nothing breached, throughput higher by more than that.
 * Worsened: a met target breached after, a breached one higher by more than EFFECT_MIN_CHANGE, or
 * throughput lower by more than that, or the queue p95 higher by more than that (and 50 ms). Verdict:
 * `improves` when every breached target improves and nothing worsens (`meetsTargets` says whether every
 * target is met after), `partial` when some do, `no-improvement` when none does, `mixed` / `worse` when
 * something worsens with / without a gain.
 */
export function judgeEffect(before: EffectMeasures, after: EffectMeasures, targets: { ttftSeconds: number; tbtSeconds: number }): Pick<Extract<Effect, { status: 'evaluated' }>, 'breached' | 'improved' | 'worsened' | 'verdict' | 'meetsTargets'> {
  const breached: EffectTarget[] = [];
  const improved: EffectTarget[] = [];
  const worsened: EffectTarget[] = [];
  const k = EFFECT_MIN_CHANGE;
  const latency = (name: EffectTarget, b: number | null, a: number | null, target: number) => {
    if (b === null || a === null) return;
    if (b > target) {
      breached.push(name);
      if (a <= target || a < b * (1 - k)) improved.push(name);
      else if (a > b * (1 + k)) worsened.push(name);
    } else if (a > target) worsened.push(name);
  };
  latency('ttft', before.ttftP95Seconds, after.ttftP95Seconds, targets.ttftSeconds);
  latency('tbt', before.tbtP95Seconds, after.tbtP95Seconds, targets.tbtSeconds);
  const pb = before.preemptions;
  const pa = after.preemptions;
  if (pb !== null && pa !== null) {
    if (pb >= PREEMPTIONS_FLOOR) {
      breached.push('preemptions');
      if (pa < PREEMPTIONS_FLOOR || pa < pb * (1 - k)) improved.push('preemptions');
      else if (pa > pb * (1 + k)) worsened.push('preemptions');
    } else if (pa >= PREEMPTIONS_FLOOR) worsened.push('preemptions');
  }
  // Queue p95: a direction, not a target (a TTFT p95 inside vLLM's wide top buckets, 160-640 s, cannot
  // show a queue doubling; the queue histogram still does). In the first bucket it is "below the bound".
  const qb = before.queueP95BelowSeconds ?? before.queueP95Seconds;
  const qa = after.queueP95BelowSeconds !== null ? null : after.queueP95Seconds;
  if (qb !== null && qa !== null && qa > qb * (1 + k) && qa - qb > REPLAY_TOLERANCE.queueAbsSeconds) worsened.push('queue');
  const tb = before.generationTokensPerSecond;
  const ta = after.generationTokensPerSecond;
  if (tb !== null && ta !== null && tb > 0) {
    if (ta < tb * (1 - k)) worsened.push('throughput');
    else if (!breached.length && ta > tb * (1 + k)) improved.push('throughput');
  }
  const target = breached.length ? breached : (['throughput'] as EffectTarget[]);
  const gained = target.filter((x) => improved.includes(x));
  const verdict = worsened.length ? (gained.length ? 'mixed' : 'worse') : gained.length === target.length ? 'improves' : gained.length ? 'partial' : 'no-improvement';
  const meetsTargets = after.ttftP95Seconds !== null && after.ttftP95Seconds <= targets.ttftSeconds && after.tbtP95Seconds !== null && after.tbtP95Seconds <= targets.tbtSeconds && (after.preemptions ?? 0) < PREEMPTIONS_FLOOR;
  return { breached, improved, worsened, verdict, meetsTargets };
}

/** The `--set` of a block's recommendations, or why the block cannot be replayed. */
function settingsOf(recs: Recommendation[]): { set: Partial<Record<ReplaySetting, string>>; values: Record<string, number | string | boolean> } | { reason: string } {
  const cannot = recs.filter((r) => !(REPLAY_SETTINGS as readonly string[]).includes(r.setting)).map((r) => r.setting);
  if (cannot.length) return { reason: `the simulator cannot change ${cannot.join(', ')}` };
  const conditional = recs.filter((r) => r.relation !== 'set').map((r) => r.setting);
  if (conditional.length) return { reason: `the current ${conditional.join(', ')} is not known (the flag is conditional), so the replay's "before" would be an assumption` };
  const set: Partial<Record<ReplaySetting, string>> = {};
  const values: Record<string, number | string | boolean> = {};
  for (const r of recs) {
    set[r.setting as ReplaySetting] = String(r.to);
    values[r.setting] = r.to;
  }
  return { set, values };
}

/** One replica's effect of one block. Throws on replay errors (the caller isolates them). */
function evaluate(input: WhatIfInput, replica: string, recs: Recommendation[], fs: Finding[], o: Required<Omit<WhatIfOptions, 'enabled'>>): Effect {
  const s = settingsOf(recs);
  if ('reason' in s) return { status: 'not-evaluated', replica, reason: s.reason };
  const w = whatIfWindow(fs, replica, input.window, o.maxWindowSeconds);
  const opts: ReplayOptions = { replica, window: { start: w.startSeconds, end: w.endSeconds }, set: s.set, seed: o.seed };
  const res = replay(input.artifacts, opts);
  const x = res.replicas[0];
  if (!x?.whatIf) return { status: 'not-evaluated', replica, reason: 'the replay returned no what-if run' };
  const misfit = replayMisfit(x.measured, x.replayed);
  if (misfit) return { status: 'not-evaluated', replica, reason: `the replay at the current settings does not reproduce the window: ${misfit}` };
  const seconds = res.end - res.start;
  const before = effectMeasures(x.replayed, seconds);
  const after = effectMeasures(x.whatIf.measures, seconds);
  const targets = { ttftSeconds: input.slo.ttftSeconds, tbtSeconds: input.slo.tbtSeconds };
  const assumed = ASSUMPTIONS_SHOWN.filter((k) => !(k in s.values) && (x.config.origin[k] === 'default' || x.config.origin[k] === 'inferred'));
  return {
    status: 'evaluated',
    replica,
    startSeconds: res.start,
    endSeconds: res.end,
    set: s.values,
    measured: effectMeasures(x.measured, seconds),
    before,
    after,
    targets,
    ...judgeEffect(before, after, targets),
    assumed,
    ...(x.gpuAssumed ? { assumedGpu: x.gpuAssumed } : {}),
  };
}

/**
 * Each serve block with its `effects` (one per replica of the block: evaluated for the first
 * `replicasPerBlock` by severity and episode length, not evaluated for the rest).
 */
export function attachEffects(blocks: readonly ServeBlock[], input: WhatIfInput, options: WhatIfOptions = {}): ServeBlock[] {
  const o = {
    maxWindowSeconds: options.maxWindowSeconds ?? WHAT_IF_MAX_WINDOW_SECONDS,
    replicasPerBlock: options.replicasPerBlock ?? WHAT_IF_REPLICAS_PER_BLOCK,
    seed: options.seed ?? 1,
  };
  const recById = new Map(input.recommendations.map((r) => [r.id, r]));
  return blocks.map((b) => {
    if (options.enabled === false) return { ...b, effects: b.replicas.map((replica) => ({ status: 'not-evaluated' as const, replica, reason: 'what-if replay switched off (--no-what-if)' })) };
    const recs = b.recommendations.map((id) => recById.get(id)).filter((r): r is Recommendation => r !== undefined);
    const asked = new Set(recs.flatMap((r) => r.findings));
    const ranked = b.replicas
      .map((replica) => {
        const fs = relevantFindings(input.findings, asked, replica);
        const sev = Math.min(3, ...fs.map((f) => SEVERITY_RANK[f.severity]));
        const longest = Math.max(0, ...fs.filter((f) => f.scope === replica).flatMap((f) => f.episodes.map((e) => e.endSeconds - e.startSeconds)));
        return { replica, fs, sev, longest };
      })
      .sort((x, y) => x.sev - y.sev || y.longest - x.longest || (x.replica < y.replica ? -1 : 1));
    const chosen = new Set(ranked.slice(0, Math.max(0, o.replicasPerBlock)).map((r) => r.replica));
    const effects: Effect[] = b.replicas.map((replica) => {
      if (!chosen.has(replica)) return { status: 'not-evaluated', replica, reason: `not replayed: ${o.replicasPerBlock} replica${o.replicasPerBlock === 1 ? '' : 's'} per block, the worst first (--what-if-replicas)` };
      const r = ranked.find((x) => x.replica === replica)!;
      try {
        return evaluate(input, replica, recs, r.fs, o);
      } catch (e) {
        return { status: 'not-evaluated', replica, reason: `replay failed: ${(e as Error).message}` };
      }
    });
    return { ...b, effects };
  });
}
