// LATENCY_SLO_BREACH: p95 of TTFT, time between tokens or end-to-end latency over the use-case target.

import { defineDiagnosis, ev, none, notEvaluated } from './define-diagnosis.js';
import type { Evidence } from '../model/result.js';
import { duration } from '../report/format.js';

const NAMES = { 'latency-ttft': 'TTFT', 'latency-tbt': 'time between tokens', 'latency-e2e': 'end-to-end latency' } as const;

export default defineDiagnosis({
  code: 'LATENCY_SLO_BREACH',
  needs: ['latency-ttft', 'latency-tbt', 'latency-e2e'],
  perReplica: true,
  diagnose({ signal }) {
    const parts: string[] = [];
    const evidence: Evidence = {};
    let worst = 0;
    let evaluated = 0;
    for (const id of Object.keys(NAMES) as (keyof typeof NAMES)[]) {
      const s = signal(id);
      if (!s || s.status === 'insufficient-data' || s.status === 'error') continue;
      evaluated++;
      const p95 = ev(s, 'p95Seconds');
      const target = ev(s, 'targetSeconds');
      const key = id.replace('latency-', '');
      evidence[`${key}P95Seconds`] = p95;
      evidence[`${key}TargetSeconds`] = target;
      if (s.status === 'issue' && p95 !== null && target) {
        parts.push(`${NAMES[id]} p95 ${duration(p95)} vs ${duration(target)} target`);
        worst = Math.max(worst, p95 / target);
      }
    }
    if (!evaluated) return notEvaluated('no latency histograms with enough requests');
    if (!parts.length) return none;
    evidence.worstRatioToTarget = worst;
    return {
      kind: 'finding',
      // Twice the target is what users notice as broken rather than slow. Judgement call.
      severity: worst >= 2 ? 'critical' : 'warning',
      summary: `${parts.join('; ')}.`,
      evidence,
      recommendations: [],
    };
  },
});
