// CAPACITY_HEADROOM_LOW: a configuration group's demand reaches what its replicas serve at the latency
// targets soon — the growth of the daily peak projects it within HORIZON_DAYS of the window's end, or the
// busiest hour already uses more than 1 − HEADROOM_MIN of it. Read off the capacity review (windows of a
// day or more, or --capacity); docs/capacity.md has the model and docs/findings/CAPACITY_HEADROOM_LOW.md
// what to do. A group already past its capacity at the peak is not this finding: the queue, the latency
// breach and their cause say what happened (the capacity section shows the headroom as negative).

import { defineDiagnosis, found, none, notEvaluated } from './define-diagnosis.js';
import { episode } from './shared.js';
import { capacityNumbers, groupScope } from './capacity-shared.js';
import { HORIZON_DAYS } from '../derive/capacity-review.js';

/** Headroom at the busiest hour below which the group is close to its capacity without any growth. Judgement call (a 15 % burst). */
export const HEADROOM_MIN = 0.15;
/** Saturation projected within this many days of the window's end is critical: a week to act. */
export const CRITICAL_DAYS = 7;

export default defineDiagnosis({
  code: 'CAPACITY_HEADROOM_LOW',
  needs: [],
  runs: 'fleet',
  diagnose({ capacity }) {
    if (!capacity) return notEvaluated('the capacity review runs on windows of a day or more, or with --capacity');
    const drafts = [];
    for (const g of capacity.groups) {
      if (g.capacityRequestsPerSecond === null || g.headroomRatio === null || !g.peak) continue;
      const p = g.projection;
      const projected = p.status === 'projected' && p.daysAfterWindow !== null && p.daysAfterWindow <= HORIZON_DAYS;
      const low = g.headroomRatio > 0 && g.headroomRatio < HEADROOM_MIN;
      if (!projected && !low) continue;
      const model = capacity.models.find((m) => m.model === (g.model ?? '(unknown model)'));
      const growth = model?.growth.evaluated ? model.growth : null;
      const last = g.replicasNeeded[g.replicasNeeded.length - 1];
      const critical = projected && p.daysAfterWindow! <= CRITICAL_DAYS;
      const base = capacityNumbers(g);
      drafts.push({
        severity: critical ? ('critical' as const) : ('warning' as const),
        scope: groupScope(g),
        replicas: g.replicas,
        episodes: [episode({ startSeconds: g.peak.startSeconds, endSeconds: g.peak.endSeconds }, { requestsPerSecond: g.peak.requestsPerSecond, perReplicaRequestsPerSecond: base.peakPerReplicaRequestsPerSecond, headroomRatio: g.headroomRatio })],
        evidence: {
          ...base,
          reason: projected ? 'projected' : 'low-headroom',
          growthPerDayRatio: growth?.perDayRatio ?? null,
          growthPerDayLowRatio: growth?.perDayLowRatio ?? null,
          growthPerDayHighRatio: growth?.perDayHighRatio ?? null,
          saturationSeconds: p.saturationSeconds,
          earliestSeconds: p.earliestSeconds,
          latestSeconds: p.latestSeconds,
          daysAfterWindow: p.daysAfterWindow,
          horizonDays: HORIZON_DAYS,
          replicasNeededAtHorizon: last?.replicas ?? null,
          replicasNeededAtHorizonHigh: last?.replicasHigh ?? null,
        },
        proposals: [],
      });
    }
    return drafts.length ? found(...drafts) : none;
  },
});
