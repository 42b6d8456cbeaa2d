// TEMPLATE — copy this file to add a diagnosis. It compiles but is not registered.
//
// 1. Add the code to METRIC_FINDING_CODES (or GPU_FINDING_CODES) in src/model/vocabulary.ts. The
//    compiler then points at every table that needs an entry:
//    - src/model/catalog.ts             FINDING_TITLES (one-line title)
//    - src/diagnoses/evidence.ts        FindingEvidence / FindingEpisodeNumbers (typed numbers)
//    - src/diagnoses/relations.ts       CAUSED_BY, DRIFT_RELEVANT, (and ROOT_ORDER, checked by a test)
//    - src/diagnoses/index.ts           DIAGNOSIS_TABLE (register this file)
//    - src/report/findings-text.ts      FINDING_SUMMARY (the sentence), EPISODE_COLUMNS
//    - src/derive/charts.ts             CHART_PLANS (what its chart shows, or null)
// 2. Write docs/findings/<CODE>.md (test/unit/docs-findings.test.ts checks it exists, with
//    "## What it means" and "## What the report recommends").
// 3. If it needs a new symptom, add a detector (src/detectors/, id in DETECTOR_IDS, typed evidence in
//    src/detectors/evidence.ts) that returns the episodes where the symptom held.
// 4. If it recommends a value, add a reason kind (src/model/reasons.ts) and its sentence with the
//    arithmetic (src/report/reasons.ts, REASON_TEXT).
// 5. Tests: a truth table in test/unit/diagnoses.test.ts; a simulator scenario that produces it.
//
// A diagnosis returns codes, numbers and proposals, never sentences; it reads the configuration of the
// replica and the time it is about (view.settingAt / readNum), never a fleet-wide one.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy, type ProposalAt } from './define-diagnosis.js';
import { episode } from './shared.js';
import { statsBetween } from '../derive/windowed.js';

export default defineDiagnosis({
  // Replace with your new code (QUEUE_BUILDUP is only here so that the template compiles).
  code: 'QUEUE_BUILDUP',
  needs: ['queue-buildup'],
  runs: 'replica',
  diagnose({ view, scope, signal }) {
    const s = signal('queue-buildup');
    const why = missing(s, 'queue-buildup');
    if (why) return notEvaluated(why);
    if (!s!.episodes.length) return none;
    // One finding per replica; one episode per stretch where the pathology held, with its own numbers.
    const waiting = view.gauge('vllm:num_requests_waiting', scope, 'sum');
    const episodes = s!.episodes.map((e) => {
      const st = statsBetween(view, waiting, e.startSeconds, e.endSeconds);
      return episode(e, { waitingMean: st.mean, waitingMax: st.max, finishedPerSecond: null, arrivalsPerSecond: null, ttftP95Seconds: null });
    });
    const worst = worstBy(episodes, (_n, e) => e.durationSeconds)!;
    // Proposals name the replica and the time whose configuration they change; recommend/propose.ts
    // drops no-ops and makes unknown current values conditional.
    const proposals: ProposalAt[] = [];
    return found({ severity: 'warning', episodes, evidence: { ...worst.numbers, episodes: episodes.length }, proposals, incident: true });
  },
});
