// Replica restarts: the process start time moves (or, where it is not exported, vLLM counters reset)
// inside the window. Each restart is an episode from the replica's last sample before it to its first
// sample after (the time it was down, as far as the scrapes show).

import { defineDetector, insufficient, verdict, type TypedEpisode } from './define-detector.js';
import type { EpisodeNumbers } from './evidence.js';
import { lastAtOrBefore } from '../derive/windowed.js';

export default defineDetector({
  id: 'restarts',
  requires: ['vllm:generation_tokens_total'],
  perReplica: true,
  options: {},
  detect(view, _o, scope) {
    const counters = view.series('vllm:generation_tokens_total', scope);
    if (!counters.length) return insufficient('no generation counter in this scope');
    const times = new Set<number>();
    const rc = view.timeline.replicas.find((r) => r.replica === scope);
    const segs = rc?.segments ?? [];
    for (let i = 1; i < segs.length; i++) if (segs[i].processStartSeconds !== null && segs[i].processStartSeconds !== segs[i - 1].processStartSeconds) times.add(segs[i].startSeconds);
    if (!times.size) {
      // No process start time: a counter that drops has restarted.
      for (const s of counters) for (let i = 1; i < s.v.length; i++) if (s.v[i] < s.v[i - 1]) times.add(s.t[i]);
    }
    const t = counters[0].t;
    const episodes: TypedEpisode<EpisodeNumbers['restarts']>[] = [...times].sort((a, b) => a - b).map((at) => {
      // The first sample of the new process: the one at `at` when a scrape falls exactly there (a counter
      // reset is dated by the first sample after it), else the next one.
      const j = lastAtOrBefore(t, at);
      const after = j >= 0 && t[j] === at ? j : j + 1;
      const up = after < t.length ? t[after] : at;
      let down = after - 1 >= 0 ? t[after - 1] : at;
      if (down > at) down = at;
      return { startSeconds: down, endSeconds: Math.max(up, at), durationSeconds: Math.max(up, at) - down, peakAtSeconds: at, numbers: { processStartSeconds: at } };
    });
    return verdict<'restarts'>({ restarts: episodes.length, firstRestartSeconds: episodes[0]?.peakAtSeconds ?? null }, episodes);
  },
});
