// CONFIG_DRIFT: replicas that serve the same model with different settings at the same time, or a
// replica whose settings changed inside the window (a redeploy). Read values (flags, logs,
// cache_config_info) and inferred exact values (a running plateau), marked as inferred; never a bound. The replicas that differ from the majority of their peers
// are named; with no majority, every replica involved is. When the odd setting explains another
// finding on that replica (engine.ts, linkDrift), this finding leads the verdict and proposes to restore
// the peers' value.

import { defineDiagnosis, found, none, notEvaluated } from './define-diagnosis.js';
import { episode } from './shared.js';
import { COMPARED_SETTINGS } from '../model/vocabulary.js';
import type { ReplicaConfig } from '../model/config-timeline.js';
import type { TypedEpisode } from '../detectors/define-detector.js';
import type { FindingEpisodeNumbers } from './evidence.js';

/**
 * num_gpu_blocks differs a little between identical deployments (the memory profile at start-up, the
 * GPU model): a relative difference below this is not drift. Judgement call.
 */
export const BLOCKS_TOLERANCE = 0.05;

type DriftEpisode = TypedEpisode<FindingEpisodeNumbers['CONFIG_DRIFT']>;

function differs(setting: string, a: string | number | boolean, b: string | number | boolean): boolean {
  if (typeof a === 'number' && typeof b === 'number') {
    if (setting === 'num_gpu_blocks') return Math.abs(a - b) / Math.max(a, b) > BLOCKS_TOLERANCE;
    return Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a));
  }
  return String(a).toLowerCase() !== String(b).toLowerCase();
}

const show = (v: string | number | boolean) => String(v);

interface Entry {
  replica: string;
  start: number;
  end: number;
  value: string | number | boolean;
  inferred: boolean;
}

export default defineDiagnosis({
  code: 'CONFIG_DRIFT',
  needs: [],
  runs: 'fleet',
  diagnose({ view }) {
    const tl = view.timeline;
    if (!tl.replicas.length) return notEvaluated('no replica identity in the inputs');
    const byModel = new Map<string, ReplicaConfig[]>();
    for (const r of tl.replicas) {
      const k = r.model ?? '(unknown model)';
      let l = byModel.get(k);
      if (!l) byModel.set(k, (l = []));
      l.push(r);
    }
    const drafts = [];
    for (const [model, reps] of [...byModel].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const episodes: DriftEpisode[] = [];
      const odd = new Set<string>();
      const peers = new Set<string>();
      const settings = new Set<string>();
      let changedInWindow = false;
      for (const setting of COMPARED_SETTINGS) {
        const entries: Entry[] = [];
        for (const r of reps) for (const s of r.segments) {
          const v = s.values[setting];
          // Read values, and inferred exact values (a running plateau); a bound says too little.
          if (v && !v.bound) entries.push({ replica: r.replica, start: s.startSeconds, end: s.endSeconds, value: v.value, inferred: v.source === 'inferred' });
        }
        if (entries.length < 2) continue;
        // Replicas whose own value of this setting changed inside the window (a redeploy).
        const changed = new Set(reps.map((r) => r.replica).filter((id) => {
          const own = entries.filter((e) => e.replica === id).sort((x, y) => x.start - y.start);
          return own.some((e, i) => i > 0 && differs(setting, own[i - 1].value, e.value));
        }));
        // Across replicas, on each elementary interval between segment boundaries.
        const cuts = [...new Set(entries.flatMap((e) => [e.start, e.end]))].sort((a, b) => a - b);
        const spans = new Map<string, DriftEpisode>();
        for (let i = 0; i + 1 < cuts.length; i++) {
          const a = cuts[i];
          const b = cuts[i + 1];
          const live = entries.filter((e) => e.start <= a && e.end >= b);
          const replicas = new Set(live.map((e) => e.replica));
          if (replicas.size < 2) continue;
          // The value most live replicas hold (strict majority), else none.
          const counts = new Map<string, { value: string | number | boolean; n: number }>();
          for (const e of live) {
            const key = [...counts.keys()].find((k) => !differs(setting, counts.get(k)!.value, e.value)) ?? show(e.value);
            const c = counts.get(key) ?? { value: e.value, n: 0 };
            c.n++;
            counts.set(key, c);
          }
          if (counts.size < 2) continue;
          let major = [...counts.values()].sort((x, y) => y.n - x.n)[0];
          let hasMajority = major.n * 2 > live.length;
          // No majority (two replicas, two values): the replicas that were redeployed to their value
          // inside the window are the odd ones, when the others kept theirs.
          const kept = live.filter((e) => !changed.has(e.replica));
          if (!hasMajority && kept.length && kept.length < live.length && new Set(kept.map((e) => show(e.value).toLowerCase())).size === 1) {
            major = { value: kept[0].value, n: kept.length };
            hasMajority = true;
          }
          for (const e of live) {
            const isOdd = hasMajority ? differs(setting, e.value, major.value) : true;
            if (!isOdd) {
              peers.add(e.replica);
              continue;
            }
            odd.add(e.replica);
            settings.add(setting);
            const others = live.filter((x) => x.replica !== e.replica && differs(setting, x.value, e.value));
            const peersValue = hasMajority ? show(major.value) : [...new Set(others.map((x) => show(x.value)))].join(' / ');
            const key = `${e.replica}|${show(e.value)}|${peersValue}`;
            const prev = spans.get(key);
            if (prev && prev.endSeconds >= a) {
              prev.endSeconds = b;
              prev.durationSeconds = b - prev.startSeconds;
            } else spans.set(key, episode({ startSeconds: a, endSeconds: b }, { replica: e.replica, setting, value: show(e.value), peersValue, inferred: e.inferred }));
          }
        }
        episodes.push(...spans.values());
        // Over time: a replica whose value changed between its own segments (a redeploy).
        for (const r of reps) {
          const own = entries.filter((e) => e.replica === r.replica).sort((x, y) => x.start - y.start);
          for (let i = 1; i < own.length; i++) {
            if (!differs(setting, own[i - 1].value, own[i].value)) continue;
            changedInWindow = true;
            odd.add(r.replica);
            settings.add(setting);
            const ep = episode({ startSeconds: own[i].start, endSeconds: own[i].end }, { replica: r.replica, setting, value: show(own[i].value), peersValue: show(own[i - 1].value), inferred: own[i].inferred }, own[i].start);
            // The same stretch already found against the peers (same value) is one episode, not two.
            if (!episodes.some((x) => x.numbers.replica === r.replica && x.numbers.setting === setting && x.numbers.value === ep.numbers.value && x.startSeconds === ep.startSeconds && x.endSeconds === ep.endSeconds)) episodes.push(ep);
          }
        }
      }
      if (!episodes.length) continue;
      for (const o of odd) peers.delete(o);
      episodes.sort((x, y) => x.startSeconds - y.startSeconds || (x.numbers.replica < y.numbers.replica ? -1 : x.numbers.replica > y.numbers.replica ? 1 : 0) || (x.numbers.setting < y.numbers.setting ? -1 : x.numbers.setting > y.numbers.setting ? 1 : 0));
      const oddList = [...odd].sort();
      drafts.push({
        severity: 'warning' as const,
        episodes,
        evidence: { model, settings: [...settings].join(', '), replicas: oddList.join(', '), peerReplicas: [...peers].sort().join(', '), changedInWindow },
        proposals: [],
        replicas: oddList,
        scope: oddList.join(', '),
      });
    }
    return drafts.length ? found(...drafts) : none;
  },
});
