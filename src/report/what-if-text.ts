// The what-if sentences (src/recommend/what-if.ts computes, this file words): under each serve block,
// the predicted effect per replica ("preemptions 1,224 → 0; TTFT p95 589 s → 423 ms"), the verdict,
// and how well the replay reproduced the measured window; beside each recommendation, a short form.

import type { Effect, EffectMeasures, EffectTarget, Recommendation, Result, ServeBlock } from '../model/result.js';
import { duration, int, num, time } from './format.js';
import { code, mdText as md } from './escape.js';
import { REPLAY_SETTINGS } from '../simulate/replay.js';

type Evaluated = Extract<Effect, { status: 'evaluated' }>;

const NAME: Record<EffectTarget, string> = { preemptions: 'preemptions', ttft: 'TTFT p95', tbt: 'TBT p95', queue: 'queue p95', throughput: 'throughput' };

function tokensPerSecond(x: number | null): string {
  return x === null ? '–' : Math.abs(x) >= 1000 ? int(x) : num(x);
}

/** A queue-time p95 in the first bucket reads "< 300 ms": the interpolated value inside it means nothing. */
function queue(m: EffectMeasures): string {
  return m.queueP95BelowSeconds !== null ? `< ${duration(m.queueP95BelowSeconds)}` : duration(m.queueP95Seconds);
}

/** "TTFT p95 589 s → 423 ms (target 500 ms)" and friends, one per quantity. */
function arrows(e: Evaluated, only?: ReadonlySet<string>): string[] {
  const a = e.before;
  const b = e.after;
  const parts: [string, string][] = [
    ['preemptions', `preemptions ${int(a.preemptions)} → ${int(b.preemptions)}`],
    ['ttft', `TTFT p95 ${duration(a.ttftP95Seconds)} → ${duration(b.ttftP95Seconds)} (target ${duration(e.targets.ttftSeconds)})`],
    ['tbt', `TBT p95 ${duration(a.tbtP95Seconds)} → ${duration(b.tbtP95Seconds)} (target ${duration(e.targets.tbtSeconds)})`],
    ['queue', `queue p95 ${queue(a)} → ${queue(b)}`],
    ['throughput', `throughput ${tokensPerSecond(a.generationTokensPerSecond)} → ${tokensPerSecond(b.generationTokensPerSecond)} tokens/s`],
  ];
  return parts.filter(([k]) => !only || only.has(k)).map(([, s]) => s);
}

function list(xs: EffectTarget[]): string {
  return xs.map((x) => NAME[x]).join(', ');
}

/** The verdict in words; a marked one starts with ⚠. */
export function verdictText(e: Evaluated): string {
  const target = e.breached.length ? e.breached : (['throughput'] as EffectTarget[]);
  switch (e.verdict) {
    case 'improves':
      return e.meetsTargets ? 'Meets the targets.' : `Improves ${list(target)}, but not every target is met.`;
    case 'partial': {
      const left = target.filter((x) => !e.improved.includes(x));
      return `⚠ Partly: the replay improves ${list(target.filter((x) => e.improved.includes(x)))}, but ${list(left)} ${left.length > 1 ? 'do' : 'does'} not improve.`;
    }
    case 'no-improvement':
      return e.breached.length
        ? `⚠ The replay predicts no improvement of ${list(e.breached)}: the flags stay (they follow from the measured numbers), but check them before rolling out.`
        : '⚠ The replay predicts no gain: no target is breached and throughput does not rise; the flags stay, but check them before rolling out.';
    case 'mixed':
      return `⚠ Mixed: the replay improves ${list(e.improved)} but worsens ${list(e.worsened)}.`;
    case 'worse':
      return `⚠ The replay predicts it makes ${list(e.worsened)} worse: check the flags before rolling out.`;
  }
}

function fidelity(e: Evaluated): string {
  const m = e.measured;
  const b = e.before;
  const parts = [`TTFT p95 ${duration(b.ttftP95Seconds)} vs ${duration(m.ttftP95Seconds)}`, `TBT p95 ${duration(b.tbtP95Seconds)} vs ${duration(m.tbtP95Seconds)}`, `preemptions ${int(b.preemptions)} vs ${int(m.preemptions)}`];
  return `The replay at the current settings against the measured window: ${parts.join(', ')} (within the tolerances of docs/simulator.md).`;
}

/** Lines under a serve block: one paragraph per evaluated replica, replicas not evaluated grouped by reason. */
export function effectLines(b: ServeBlock): string[] {
  if (!b.effects?.length) return [];
  const out: string[] = [];
  for (const e of b.effects) {
    if (e.status !== 'evaluated') continue;
    out.push(
      `Predicted effect on ${code(e.replica)} (replay of ${time(e.startSeconds)} → ${time(e.endSeconds)}: the measured traffic at the current settings, then with these flags): ${arrows(e).join('; ')}. ${verdictText(e)}`,
      '',
      `${fidelity(e)}${e.assumed.length ? ` Assumed, not in the inputs: ${e.assumed.map((k) => code(k)).join(', ')}.` : ''}${e.assumedGpu ? ` The GPU: ${e.assumedGpu}.` : ''}`,
      '',
    );
  }
  const byReason = new Map<string, string[]>();
  for (const e of b.effects) if (e.status === 'not-evaluated') byReason.set(e.reason, [...(byReason.get(e.reason) ?? []), e.replica]);
  for (const [reason, replicas] of byReason) out.push(`Predicted effect on ${replicas.map((r) => code(r)).join(', ')}: not evaluated — ${md(reason)}.`, '');
  return out;
}

/** The short form beside a recommendation ("Replay: …"), or null when the report has nothing to say. */
export function recommendationEffect(r: Recommendation, result: Result): string | null {
  if (r.role === 'alternative') {
    if (!(REPLAY_SETTINGS as readonly string[]).includes(r.setting)) return `Replay: not evaluated — the simulator cannot change ${code(r.setting)}.`;
    return `Replay: not evaluated — alternatives are not replayed in the analysis; ${code(`vllm-tune simulate --replay <inputs> --replica ${r.replicas[0] ?? '<replica>'} --set ${r.setting}=${String(r.to)}`)} predicts it.`;
  }
  const b = result.serveBlocks.find((x) => x.recommendations.includes(r.id));
  if (!b?.effects?.length) return null;
  const e = b.effects.find((x): x is Evaluated => x.status === 'evaluated');
  if (!e) return 'Replay: not evaluated (see the serve block for why).';
  const shown = new Set<string>([...e.breached, ...e.improved, ...e.worsened]);
  const together = b.flags.length > 1 ? ' with the block\'s other flags' : '';
  return `Replay${together} on ${code(e.replica)}: ${arrows(e, shown.size ? shown : new Set(['throughput'])).join('; ')}. ${verdictText(e)}`;
}

