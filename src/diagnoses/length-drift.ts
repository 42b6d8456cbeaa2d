// LENGTH_DRIFT: the prompt or output length distribution of this replica moved and stayed moved (at
// least an hour on sliding windows, or the recent stretch against the rest of the window), with
// no incident to explain it. It runs after the other diagnoses: a drift during another finding's
// episode on the same replica is that finding's trigger or symptom, shown in its context (the
// before/during length distance, derive/incident.ts), not a finding of its own.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy } from './define-diagnosis.js';
import { episode } from './shared.js';
import { near } from '../derive/episodes.js';
import { episodeWindowSeconds } from '../derive/windowed.js';
import { FLEET } from '../derive/view.js';
import type { FindingCode } from '../model/vocabulary.js';
import type { LengthDriftNumbers } from './evidence.js';
import type { TypedEpisode } from '../detectors/define-detector.js';

/** Findings whose episodes a traffic change can trigger or come with: a drift during one is its context. */
export const ABSORBING_CODES: readonly FindingCode[] = [
  'KV_CACHE_THRASHING',
  'KV_SWAPPING',
  'PREFILL_STARVATION',
  'GPU_UNDERUTILIZED',
  'QUEUE_BUILDUP',
  'LATENCY_SLO_BREACH',
  'THROUGHPUT_DROP',
  'REPLICA_SLOWDOWN',
  'TRUNCATION_RISE',
  'ABORT_RISE',
];

const size = (n: LengthDriftNumbers) => Math.max(n.promptPsi ?? 0, n.outputPsi ?? 0);

export default defineDiagnosis({
  code: 'LENGTH_DRIFT',
  needs: ['length-drift'],
  runs: 'post',
  diagnose({ view, scope, signal, findings }) {
    const s = signal('length-drift');
    const why = missing(s, 'length-drift');
    if (why) return notEvaluated(why);
    const ev = s!.evidence;
    const w = episodeWindowSeconds(view);
    const mine = (findings ?? []).filter((f) => ABSORBING_CODES.includes(f.code) && (f.replicas.includes(scope) || (scope === FLEET && f.scope === FLEET)));
    const all = s!.episodes;
    const kept = all.filter((e) => !mine.some((f) => f.episodes.some((x) => near(x, e, w))));
    let kind: 'episodes' | 'recent' = 'episodes';
    let episodes: TypedEpisode<LengthDriftNumbers>[];
    if (kept.length) episodes = kept.map((e) => episode(e, e.numbers, e.peakAtSeconds));
    else if (!all.length && ev.recentDrift !== 'none' && ev.recentStartSeconds !== null) {
      kind = 'recent';
      const span = { startSeconds: ev.recentStartSeconds, endSeconds: view.end };
      episodes = [
        episode(span, {
          dimension: ev.recentDrift,
          promptPsi: ev.promptPsiRecent,
          outputPsi: ev.outputPsiRecent,
          promptMeanBefore: ev.promptMeanEarlier,
          promptMeanDuring: ev.promptMeanRecent,
          outputMeanBefore: ev.outputMeanEarlier,
          outputMeanDuring: ev.outputMeanRecent,
          requests: null,
        }),
      ];
    } else return none;
    const worst = worstBy(episodes, (n) => size(n))!;
    return found({ severity: 'info', episodes, evidence: { ...worst.numbers, episodes: episodes.length, kind, absorbedEpisodes: all.length - kept.length }, proposals: [], incident: true });
  },
});
