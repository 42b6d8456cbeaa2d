// Numbers over a window of the engine-state timeline (window stats, length mix) and the incident
// episodes read off it (affected bins, start/end, before/during/after). Split out of truth.ts; code
// moved, not changed.

import type { ReplicaResult } from './engine.js';
import type { IncidentSpec } from './scenarios.js';
import type { LengthMix, Timeline } from './timeline.js';
import type { EpisodeTruth, MixTruth, WindowStats } from './truth-types.js';
import type { SimOptions } from './types.js';

/** Unaffected bins an episode may contain before it is closed (a short lull inside one incident). */
export const EPISODE_MAX_GAP_BINS = 2;

export function n(v: number): number | null {
  return Number.isFinite(v) ? round(v) : null;
}

export function round(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

export function windowStats(tl: Timeline, start: number, from: number, to: number): WindowStats {
  const b0 = Math.floor(from / tl.binSeconds);
  const b1 = Math.ceil(to / tl.binSeconds);
  const len = Math.max(1e-9, to - from);
  return {
    from: start + from,
    to: start + to,
    requestsPerSecond: round(tl.sum(tl.arrivals, b0, b1) / len),
    ttftP95Seconds: n(tl.ttftQuantile(from, to, 0.95)),
    tbtP95Seconds: n(tl.tbtQuantile(b0, b1, 0.95)),
    queueMeanSeconds: n(tl.queueMean(from, to)),
    preemptions: tl.sum(tl.preemptions, b0, b1),
    waitingMax: tl.max(tl.waitingMax, b0, b1),
    runningMax: tl.max(tl.runningMax, b0, b1),
    kvUsageMax: round(tl.max(tl.kvUsageMax, b0, b1)),
  };
}

export function mixTruth(m: LengthMix, kvPoolTokens: number): MixTruth {
  return {
    requests: m.requests,
    promptTokensMean: n(m.promptTokensMean),
    outputTokensMean: n(m.outputTokensMean),
    tokensPerSequence: n(m.tokensPerSequence),
    tokensPerSequenceP90: n(m.tokensPerSequenceP90),
    sequencesThatFit: m.tokensPerSequence > 0 ? Math.floor(kvPoolTokens / m.tokensPerSequence) : null,
    sequencesThatFitP90: m.tokensPerSequenceP90 > 0 ? Math.floor(kvPoolTokens / m.tokensPerSequenceP90) : null,
  };
}

/** Which bins are affected for an incident's signal. */
function affectedBins(tl: Timeline, inc: IncidentSpec): Uint8Array {
  const out = new Uint8Array(tl.nBins);
  for (let b = 0; b < tl.nBins; b++) {
    if (inc.signal === 'preemptions') out[b] = tl.preemptions[b] > 0 ? 1 : 0;
    else if (inc.signal === 'queue') out[b] = tl.waitingMax[b] >= (inc.min ?? 1) ? 1 : 0;
    else {
      const p95 = tl.ttftQuantile(b * tl.binSeconds, (b + 1) * tl.binSeconds, 0.95);
      out[b] = p95 > (inc.ttftTargetSeconds ?? 0.5) ? 1 : 0;
    }
  }
  return out;
}

function processAt(r: ReplicaResult, unix: number): number {
  let p = 0;
  for (let i = 0; i < r.processes.length; i++) if (r.processes[i].start <= unix) p = i;
  return p;
}

export function episodes(run: { results: ReplicaResult[]; opts: SimOptions }, tls: Timeline[], inc: IncidentSpec): EpisodeTruth[] {
  const r = run.results[inc.replica];
  const tl = tls[inc.replica];
  const start = run.opts.startTime;
  const dur = run.opts.durationSeconds;
  const aff = affectedBins(tl, inc);
  const causes = [...inc.causes].sort((a, b) => a.start - b.start);
  return causes.map((c, ci) => {
    const limit = ci + 1 < causes.length ? tl.bin(causes[ci + 1].start) : tl.nBins;
    let b0 = -1;
    for (let b = Math.max(0, tl.bin(c.start) - 2); b <= Math.min(tl.nBins - 1, tl.bin(Math.max(c.start, c.end - 1e-9))); b++) {
      if (aff[b]) {
        b0 = b;
        break;
      }
    }
    const proc = processAt(r, start + c.start);
    const cfg = r.configs[r.processes[proc].config];
    const pool = cfg.plan.kvTokens;
    const base = { replica: r.spec.instance, pathology: inc.pathology, mechanism: inc.mechanism, cause: { from: start + c.start, to: start + c.end }, process: proc, kvPoolTokens: pool };
    if (b0 < 0) return { ...base, occurred: false, start: null, end: null, durationSeconds: null, before: null, during: null, after: null, incidentMix: null, finishedMix: null };
    let last = b0;
    let gap = 0;
    for (let b = b0 + 1; b < limit; b++) {
      if (aff[b]) {
        last = b;
        gap = 0;
      } else if (++gap > EPISODE_MAX_GAP_BINS) break;
    }
    const from = b0 * tl.binSeconds;
    const to = Math.min(dur, (last + 1) * tl.binSeconds);
    const len = to - from;
    return {
      ...base,
      occurred: true,
      start: start + from,
      end: start + to,
      durationSeconds: len,
      before: from > 0 ? windowStats(tl, start, Math.max(0, from - len), from) : null,
      during: windowStats(tl, start, from, to),
      after: to < dur ? windowStats(tl, start, to, Math.min(dur, to + len)) : null,
      incidentMix: mixTruth(tl.arrivalMix(from, to), pool),
      finishedMix: mixTruth(tl.finishMix(from, to), pool),
    };
  });
}

export function matters(a: WindowStats, b: WindowStats): boolean {
  const rel = (x: number | null, y: number | null) => x !== null && y !== null && Math.abs(x - y) / Math.max(1e-9, Math.min(x, y)) >= 0.25;
  return rel(a.ttftP95Seconds, b.ttftP95Seconds) || rel(a.tbtP95Seconds, b.tbtP95Seconds) || a.preemptions > 0 !== b.preemptions > 0 || a.waitingMax > 0 !== b.waitingMax > 0;
}
