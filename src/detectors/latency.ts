// Latency above target: p95 of TTFT, time between tokens, or end-to-end over the chosen SLO.
// Three detectors from one definition (the logic is the same; only the histogram differs).

import { defineDetector, insufficient, issue, ok } from './define-detector.js';
import { LATENCY_METRICS, latencyRow } from '../derive/summaries.js';

function latencyDetector(id: keyof typeof LATENCY_METRICS) {
  const metric = LATENCY_METRICS[id];
  return defineDetector({
    id: `latency-${id}`,
    requires: [`${metric}_bucket`],
    perReplica: true,
    options: {
      /** Requests needed before a p95 means anything. */
      minRequests: 20,
    },
    detect(view, o, scope) {
      const target = id === 'ttft' ? view.slo.ttftSeconds : id === 'tbt' ? view.slo.tbtSeconds : view.slo.e2eSeconds;
      const row = latencyRow(view, id, scope, target);
      if (!row || row.requests === null) return insufficient(`no ${metric} observations in this scope`);
      if (row.requests < o.minRequests) return insufficient(`only ${row.requests} requests observed (need ${o.minRequests})`);
      const evidence = {
        p50Seconds: row.p50Seconds,
        p95Seconds: row.p95Seconds,
        p99Seconds: row.p99Seconds,
        targetSeconds: target,
        overTargetRatio: row.overTargetRatio,
        requests: row.requests,
      };
      return row.verdict === 'breached' ? issue(evidence) : ok(evidence);
    },
  });
}

export const ttft = latencyDetector('ttft');
export const tbt = latencyDetector('tbt');
export const e2e = latencyDetector('e2e');
