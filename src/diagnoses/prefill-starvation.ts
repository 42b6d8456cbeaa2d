// PREFILL_STARVATION: new requests wait long for their first token while running requests decode at
// normal speed, and the queue grows — prefills do not get enough of each step's token budget.

import { defineDiagnosis, ev, missing, none, notEvaluated } from './define-diagnosis.js';
import type { Recommendation } from '../model/result.js';
import { roundDown } from '../recommend/capacity.js';
import { duration } from '../report/format.js';

/**
 * How many times further over its target TTFT must be than TBT when TBT is over its own target too.
 * Judgement call: an order of magnitude separates "prefills wait" from "everything is slow".
 */
const TTFT_DOMINANCE = 10;

export default defineDiagnosis({
  code: 'PREFILL_STARVATION',
  needs: ['latency-ttft', 'latency-tbt', 'queue-buildup'],
  perReplica: true,
  diagnose({ view, scope, signal }) {
    const ttft = signal('latency-ttft');
    const tbt = signal('latency-tbt');
    const q = signal('queue-buildup');
    const why = missing(ttft, 'latency-ttft') ?? missing(tbt, 'latency-tbt') ?? missing(q, 'queue-buildup');
    if (why) return notEvaluated(why);
    if (ttft!.status !== 'issue' || q!.status !== 'issue') return none;
    // Decodes keep their pace while prefills wait: TBT meets its target, or degrades far less than TTFT
    // (long prefill chunks stretch every step a little but delay queued first tokens a lot).
    const ttftOver = (ev(ttft, 'p95Seconds') ?? 0) / (ev(ttft, 'targetSeconds') ?? Infinity);
    const tbtOver = (ev(tbt, 'p95Seconds') ?? Infinity) / (ev(tbt, 'targetSeconds') ?? 1);
    if (tbt!.status !== 'ok' && ttftOver < TTFT_DOMINANCE * tbtOver) return none;
    // KV thrashing also raises TTFT with a queue; when blocks ran out, that is the cause, not the budget.
    if (signal('kv-pressure')?.status === 'issue' && signal('preemptions')?.status === 'issue') return none;
    // A batch held at a small max_num_seqs with fast steps: requests wait for a slot, not for prefill budget.
    if (signal('batch-plateau')?.status === 'issue' && tbt!.status === 'ok' && (ev(signal('kv-pressure'), 'kvP95Ratio') ?? 1) < 0.8) return none;
    const recs: Recommendation[] = [];
    const chunked = view.setting('enable_chunked_prefill');
    if (chunked !== true) recs.push({ setting: 'enable_chunked_prefill', from: chunked === undefined ? null : chunked, to: true, because: 'long prompts are then split across steps, so decodes and other prefills share each step', expectedEffect: 'shorter TTFT tail under long prompts', risk: 'none in vLLM v1 (it is the default there)', confidence: 'high' });
    const tbtP95 = ev(tbt, 'p95Seconds');
    const tbtTarget = ev(tbt, 'targetSeconds');
    const current = view.num('max_num_batched_tokens');
    const promptP95 = view.quantile('vllm:request_prompt_tokens', 0.95, scope)?.value;
    if (tbtP95 && tbtTarget && tbtP95 > 0) {
      // Step time grows roughly linearly with scheduled tokens when compute-bound; the TBT headroom says
      // how far the per-step budget can grow before decodes slow past their target.
      const headroom = Math.min(4, tbtTarget / tbtP95);
      const base = current ?? view.quantile('vllm:iteration_tokens_total', 0.95, scope)?.value;
      if (current !== undefined && headroom < 0.95) {
        // Steps are too long for decodes: shrink the budget toward the TBT target, at most halving it per
        // change (step time is not purely linear in tokens; re-measure after each step).
        const to = Math.max(512, roundDown(Math.max(current / 2, current * headroom), 256));
        recs.push({
          setting: 'max_num_batched_tokens',
          from: current,
          to,
          because: `time between tokens p95 is ${(tbtP95 * 1000).toFixed(0)} ms against a ${(tbtTarget * 1000).toFixed(0)} ms target: steps carrying ${current} tokens of long prefill stall every running decode; ${to} bounds the step length`,
          expectedEffect: 'shorter steps: decodes keep their pace while long prompts prefill over more steps',
          risk: 'long prompts take more steps to prefill: their own TTFT grows',
          confidence: 'medium',
        });
      } else if (base && headroom > 1.05) {
        let to = roundDown(base * headroom, 256);
        if (promptP95) to = Math.min(to, Math.max(roundDown(promptP95, 256), 2048));
        to = Math.max(512, Math.min(to, 65536));
        if (current === undefined || to > current) {
          recs.push({
            setting: 'max_num_batched_tokens',
            from: current ?? null,
            to,
            because: `time between tokens p95 is ${(tbtP95 * 1000).toFixed(0)} ms against a ${(tbtTarget * 1000).toFixed(0)} ms target, leaving ${headroom.toFixed(2)}× headroom per step; a ${to}-token budget admits more prefill per step${promptP95 ? ` (p95 prompt ${Math.round(promptP95)} tokens)` : ''}`,
            expectedEffect: 'queued prefills start sooner; TTFT falls while TBT stays under target',
            risk: 'longer steps: check TBT after the change',
            confidence: current === undefined ? 'low' : 'medium',
          });
        }
      }
    }
    return {
      kind: 'finding',
      severity: 'warning',
      summary: `TTFT p95 ${duration(ev(ttft, 'p95Seconds'))} is over its ${duration(ev(ttft, 'targetSeconds'))} target while time between tokens ${tbt!.status === 'ok' ? 'meets its target' : 'degrades far less'} (p95 ${duration(tbtP95)} against ${duration(tbtTarget)}), and requests queued (up to ${Math.round(ev(q, 'waitingMax') ?? 0)} waiting).`,
      evidence: {
        ttftP95Seconds: ev(ttft, 'p95Seconds'),
        ttftTargetSeconds: ev(ttft, 'targetSeconds'),
        tbtP95Seconds: tbtP95,
        tbtTargetSeconds: tbtTarget,
        waitingMax: ev(q, 'waitingMax'),
        timeWithQueueRatio: ev(q, 'timeWithQueueRatio'),
        promptP95Tokens: promptP95 ?? null,
      },
      ...(ev(q, 'longestQueueStartSeconds') !== null ? { window: { startSeconds: ev(q, 'longestQueueStartSeconds')!, endSeconds: ev(q, 'longestQueueEndSeconds')! } } : {}),
      recommendations: recs,
    };
  },
});
