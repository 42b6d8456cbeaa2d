// Batch plateau: the running batch sits at its cap while requests wait — the scheduler limit, not the
// KV cache or the GPU, is what holds throughput back.

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { nanSummary } from '../stats/summary.js';

export default defineDetector({
  id: 'batch-plateau',
  requires: ['vllm:num_requests_running', 'vllm:num_requests_waiting'],
  perReplica: true,
  options: {
    /** "At the cap": running ≥ this fraction of max_num_seqs (or of the observed maximum when unknown). */
    atCapRatio: 0.95,
    /** Share of the window at the cap with requests waiting. Judgement call. */
    minShare: 0.25,
  },
  detect(view, o, scope) {
    const running = view.gauge('vllm:num_requests_running', scope, 'sum');
    const waiting = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    if (!running || !waiting) return insufficient('running or waiting gauge missing');
    const rs = nanSummary(running);
    if (rs.n < 3 || rs.max === null) return insufficient('too few points');
    const configured = view.num('max_num_seqs');
    const replicas = scope === 'fleet' ? Math.max(1, view.replicas.length) : 1;
    const cap = configured !== undefined ? configured * replicas : rs.max;
    let n = 0;
    let k = 0;
    for (let i = 0; i < running.length; i++) {
      if (Number.isNaN(running[i]) || Number.isNaN(waiting[i])) continue;
      n++;
      if (running[i] >= o.atCapRatio * cap && waiting[i] >= 1) k++;
    }
    const kv = view.gauge('vllm:kv_cache_usage_perc', scope, 'avg');
    const kvs = kv ? nanSummary(kv) : null;
    const evidence = {
      runningMean: rs.mean,
      runningMax: rs.max,
      capRequests: cap,
      capSource: configured !== undefined ? 'max_num_seqs' : 'observed maximum',
      atCapWithQueueRatio: n ? k / n : 0,
      kvP95Ratio: kvs?.p95 ?? null,
    };
    return n && k / n >= o.minShare ? issue(evidence) : ok(evidence);
  },
});
