// PREFILL_STARVATION: new requests wait long for their first token while running requests decode at
// normal speed, and the queue grows — prefills do not get enough of each step's token budget.
// Episodes: TTFT over target together with a queue, where time between tokens stays within target (or
// degrades far less), and neither KV thrashing nor a running cap with KV room explains the wait.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy, type ProposalAt } from './define-diagnosis.js';
import { coincide, episode, overlapsAny } from './shared.js';
import type { StarvationEpisode } from './evidence.js';
import { histogramMeanBetween, quantileBetween, statsBetween } from '../derive/windowed.js';
import { roundDown, roundUp } from '../recommend/capacity.js';
import type { AnalysisView } from '../derive/view.js';

/**
 * How many times further over its target TTFT must be than TBT when TBT is over its own target too.
 * Judgement call: an order of magnitude separates "prefills wait" from "everything is slow".
 */
export const TTFT_DOMINANCE = 10;
/** KV usage below which a batch at its cap had room for more sequences. */
const KV_ROOM = 0.8;

function numbers(view: AnalysisView, r: string, t0: number, t1: number): StarvationEpisode {
  const mnbt = view.settingAt(r, 'max_num_batched_tokens', t0);
  return {
    ttftP95Seconds: quantileBetween(view, 'vllm:time_to_first_token_seconds', 0.95, r, t0, t1)?.value ?? null,
    ttftTargetSeconds: view.slo.ttftSeconds,
    tbtP95Seconds: quantileBetween(view, 'vllm:inter_token_latency_seconds', 0.95, r, t0, t1)?.value ?? null,
    tbtTargetSeconds: view.slo.tbtSeconds,
    waitingMax: statsBetween(view, view.gauge('vllm:num_requests_waiting', r, 'sum'), t0, t1).max,
    promptMeanTokens: histogramMeanBetween(view, 'vllm:request_prompt_tokens', r, t0, t1),
    promptP95Tokens: quantileBetween(view, 'vllm:request_prompt_tokens', 0.95, r, t0, t1)?.value ?? null,
    maxNumBatchedTokens: mnbt && typeof mnbt.value === 'number' ? mnbt.value : null,
  };
}

export default defineDiagnosis({
  code: 'PREFILL_STARVATION',
  needs: ['latency-ttft', 'latency-tbt', 'queue-buildup'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const ttft = signal('latency-ttft');
    const tbt = signal('latency-tbt');
    const q = signal('queue-buildup');
    const why = missing(ttft, 'latency-ttft') ?? missing(tbt, 'latency-tbt') ?? missing(q, 'queue-buildup');
    if (why) return notEvaluated(why);
    const kv = signal('kv-pressure');
    const pre = signal('preemptions');
    const thrash = kv && pre ? coincide(view, kv.episodes, pre.episodes) : [];
    // A batch held at its cap with KV room and fast steps is a slot shortage (GPU_UNDERUTILIZED); a cap
    // reached because long prefills slow every step is this pathology's consequence, not another cause.
    const plateau = (signal('batch-plateau')?.episodes ?? []).filter((e) => {
      if ((e.numbers.kvMeanRatio ?? 1) >= KV_ROOM) return false;
      const tbtP95 = quantileBetween(view, 'vllm:inter_token_latency_seconds', 0.95, scope, e.startSeconds, e.endSeconds)?.value;
      return tbtP95 === undefined || tbtP95 <= view.slo.tbtSeconds;
    });
    const episodes = coincide(view, ttft!.episodes, q!.episodes)
      // KV thrashing also raises TTFT with a queue; when blocks ran out, that is the cause, not the budget.
      .filter((s) => !overlapsAny(s, thrash))
      .filter((s) => !overlapsAny(s, plateau))
      .map((s) => episode(s, numbers(view, scope, s.startSeconds, s.endSeconds)))
      .filter((e) => {
        const n = e.numbers;
        if (n.ttftP95Seconds === null || n.ttftP95Seconds <= n.ttftTargetSeconds) return false;
        if (n.tbtP95Seconds === null || n.tbtP95Seconds <= n.tbtTargetSeconds) return true;
        return n.ttftP95Seconds / n.ttftTargetSeconds >= TTFT_DOMINANCE * (n.tbtP95Seconds / n.tbtTargetSeconds);
      });
    if (!episodes.length) return none;
    const worst = worstBy(episodes, (n) => n.ttftP95Seconds)!;
    const w = worst.numbers;
    const at = worst.startSeconds;
    const proposals: ProposalAt[] = [];
    const chunked = view.settingAt(scope, 'enable_chunked_prefill', at);
    if (chunked && chunked.source !== 'inferred' && chunked.value === false) {
      proposals.push({ replica: scope, atSeconds: at, setting: 'enable_chunked_prefill', to: true, direction: 'set', confidence: 'high', reason: { kind: 'chunked-prefill-on', numbers: { promptP95Tokens: w.promptP95Tokens, ttftP95Seconds: w.ttftP95Seconds } } });
    }
    const budget = view.settingAt(scope, 'max_num_batched_tokens', at);
    const base = budget && typeof budget.value === 'number' ? budget.value : null;
    if (w.tbtP95Seconds && w.tbtP95Seconds > 0 && base) {
      // Step time grows roughly linearly with scheduled tokens when compute-bound; the TBT headroom says
      // how far the per-step budget can grow before decodes slow past their target (at most 4× at once).
      const headroom = Math.min(4, w.tbtTargetSeconds / w.tbtP95Seconds);
      if (headroom > 1.05) {
        // A budget above the long prompts' length adds nothing: the whole prompt already fits one step.
        const cap = w.promptP95Tokens ? Math.max(roundUp(w.promptP95Tokens, 256), 2048) : Infinity;
        const to = Math.min(roundDown(base * headroom, 256), cap);
        proposals.push({
          replica: scope,
          atSeconds: at,
          setting: 'max_num_batched_tokens',
          to,
          direction: 'raise',
          confidence: 'medium',
          reason: { kind: 'budget-raise', numbers: { currentTokens: base, currentIsLowerBound: budget?.bound === 'lower', tbtP95Seconds: w.tbtP95Seconds, tbtTargetSeconds: w.tbtTargetSeconds, headroomRatio: headroom, promptP95Tokens: w.promptP95Tokens, result: to } },
        });
      } else if (headroom < 0.95 && budget?.source !== 'inferred') {
        // Steps are too long for decodes: shrink the budget toward the TBT target, at most halving it.
        const to = roundDown(Math.max(base / 2, base * headroom), 256);
        proposals.push({
          replica: scope,
          atSeconds: at,
          setting: 'max_num_batched_tokens',
          to,
          direction: 'lower',
          confidence: 'medium',
          reason: { kind: 'budget-lower', numbers: { currentTokens: base, tbtP95Seconds: w.tbtP95Seconds, tbtTargetSeconds: w.tbtTargetSeconds, headroomRatio: headroom, result: to } },
        });
      }
    }
    return found({ severity: 'warning', episodes, evidence: { ...w, episodes: episodes.length }, proposals, incident: true });
  },
});
