// Replica restarts: vLLM counters reset (or the process start time moves) inside the window.

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { FLEET } from '../derive/view.js';

export default defineDetector({
  id: 'restarts',
  requires: ['vllm:generation_tokens_total'],
  perReplica: true,
  options: {},
  detect(view, _o, scope) {
    if (scope === FLEET && view.replicas.length > 1) return insufficient('evaluated per replica');
    const list = view.series('vllm:generation_tokens_total', scope);
    let resets = 0;
    let first: number | null = null;
    for (const s of list) {
      for (let i = 1; i < s.v.length; i++) {
        if (s.v[i] < s.v[i - 1]) {
          resets++;
          if (first === null || s.t[i] < first) first = s.t[i];
        }
      }
    }
    const evidence = { counterResets: resets, firstRestartSeconds: first };
    return resets > 0 ? issue(evidence) : ok(evidence);
  },
});
