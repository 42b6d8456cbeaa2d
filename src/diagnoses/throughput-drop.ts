// THROUGHPUT_DROP: output tokens/s fell well below their recent level while requests waited.

import { defineDiagnosis, found, missing, none, notEvaluated, worstBy } from './define-diagnosis.js';
import { episode } from './shared.js';

export default defineDiagnosis({
  code: 'THROUGHPUT_DROP',
  needs: ['throughput-drop'],
  runs: 'replica',
  diagnose({ signal }) {
    const s = signal('throughput-drop');
    const why = missing(s, 'throughput-drop');
    if (why) return notEvaluated(why);
    if (!s!.episodes.length) return none;
    const episodes = s!.episodes.map((e) => episode(e, e.numbers));
    const worst = worstBy(episodes, (n) => n.dropRatio)!;
    return found({ severity: 'warning', episodes, evidence: worst.numbers, proposals: [], incident: true });
  },
});
