// The ground truth of a simulated dataset (`truth.json`): per replica, the settings each process ran
// with and which input states them; per incident, the true pathology, when it started and ended (from
// the engine's own state, not from the exports), the numbers before / during / after, the KV pool and
// the incident's length mix (tokens per sequence, how many such sequences fit the pool); the settings
// that differ between replicas and — where the scenario asks — what the replica would have done with
// its peers' setting (a counterfactual run on the very same requests). Tests assert an analysis of the
// exports against this file. Schema: docs/simulator.md ("Ground truth").
//
// The types are in truth-types.ts; per-replica settings/process truth, drift and pairs in
// truth-replica.ts; window stats and episodes in truth-episodes.ts; capacity, demand and saturation in
// truth-capacity.ts. This module runs the simulation with timelines and assembles the truth.

import { simulateReplica, type ReplicaResult } from './engine.js';
import type { Scenario } from './scenarios.js';
import { Timeline } from './timeline.js';
import { capacitySearch, demandOf, saturationOf } from './truth-capacity.js';
import { EPISODE_MAX_GAP_BINS, episodes, matters, windowStats } from './truth-episodes.js';
import { drift, pairOf, processTruths } from './truth-replica.js';
import { TRUTH_BIN_SECONDS, TRUTH_SCHEMA, type ReplicaTruth, type Truth, type WhatIfTruth } from './truth-types.js';
import type { RedeploySettings, ReplicaSpec, SimOptions } from './types.js';
import { logFileName, shipsLog, sameConfig } from './writers.js';

export * from './truth-types.js';
export { capacitySearch } from './truth-capacity.js';

const METHOD: Record<string, string> = {
  bins: `Engine state is binned by ${TRUTH_BIN_SECONDS} s from the window start; episode start/end are bin edges.`,
  episode:
    'For each cause window of an incident, the first affected bin from 2 bins before the cause start up to its end opens the episode; it extends while bins are affected, across at most ' +
    `${EPISODE_MAX_GAP_BINS} unaffected bins, and never into the next cause window. Affected: 'preemptions' = at least one preemption in the bin; ` +
    "'ttft-over-target' = p95 of the TTFTs of first tokens produced in the bin above the incident's target; 'queue' = requests waiting at some step of the bin ≥ the incident's minimum.",
  before_after: 'before = the episode-long window ending at the episode start (clipped to the window); after = the episode-long window starting at its end.',
  latency: 'TTFT quantiles are exact (every first token); inter-token latency quantiles come from 5 % wide log bins (±2.5 %). Both by when the token was produced.',
  mix: 'tokensPerSequence = mean(prompt + output tokens); sequencesThatFit = floor(kvPoolTokens / tokensPerSequence) (P90 variant with the 90th percentile).',
  matters: 'A setting difference matters when the counterfactual run changes TTFT p95 or inter-token p95 by ≥ 25 %, or moves preemptions or the peak queue from > 0 to 0 (or the reverse).',
  statedBy: "cache_config_info states block_size, cache dtype, prefix caching, gpu_memory_utilization, num_gpu_blocks; a shipped server log states the others except block_size and num_gpu_blocks (it prints the KV cache size in tokens). An empty list: the setting must be inferred.",
};

/** The replica spec with `set` applied to its first process and to every redeploy (same requests, other settings). */
function counterfactualSpec(spec: ReplicaSpec, set: RedeploySettings): ReplicaSpec {
  return { ...spec, ...set, faults: spec.faults.map((f) => (f.kind === 'redeploy' ? { ...f, set: { ...f.set, ...set } } : f)) };
}

/** Simulate a scenario's replicas with timelines (same outputs as without) and build its truth. */
export function simulateWithTruth(
  scenario: Scenario,
  specs: ReplicaSpec[],
  opts: SimOptions,
): { results: ReplicaResult[]; timelines: Timeline[]; truth: Truth } {
  const timelines: Timeline[] = [];
  const results = specs.map((spec, i) => {
    const tl = new Timeline(opts.durationSeconds, TRUTH_BIN_SECONDS);
    timelines.push(tl);
    return simulateReplica(spec, opts, i, tl);
  });
  const oneLog = sameConfig(results);
  const replicas: ReplicaTruth[] = results.map((r, i) => ({
    instance: r.spec.instance,
    hostname: r.spec.hostname,
    model: r.spec.model.hfId,
    gpu: r.spec.gpu.modelName,
    logFile: !shipsLog(r) ? null : oneLog ? 'vllm-serve.log' : logFileName(r.spec.instance),
    processes: processTruths(r, opts),
    whole: windowStats(timelines[i], opts.startTime, 0, opts.durationSeconds),
    totals: { arrived: r.stats.arrived, finished: r.stats.finished, dropped: r.stats.dropped, preemptions: r.stats.preemptions },
    generator: { streams: r.spec.streams, faults: r.spec.faults },
  }));
  const eps = (scenario.incidents?.(specs, opts) ?? []).flatMap((inc) => episodes({ results, opts }, timelines, inc));
  const whatIf: WhatIfTruth[] = (scenario.whatIf?.(specs) ?? []).map((w) => {
    const tl = new Timeline(opts.durationSeconds, TRUTH_BIN_SECONDS);
    simulateReplica(counterfactualSpec(specs[w.replica], w.set), opts, w.replica, tl);
    const actual = replicas[w.replica].whole;
    const counterfactual = windowStats(tl, opts.startTime, 0, opts.durationSeconds);
    return { replica: specs[w.replica].instance, label: w.label, set: w.set, actual, counterfactual, matters: matters(actual, counterfactual) };
  });
  const capacity = scenario.capacity ? capacitySearch(specs[scenario.capacity.replica], opts.seed, scenario.capacity.targets) : undefined;
  const truth: Truth = {
    schema: TRUTH_SCHEMA,
    scenario: scenario.name,
    seed: opts.seed,
    start: opts.startTime,
    end: opts.startTime + opts.durationSeconds,
    scrapeIntervalSeconds: opts.scrapeIntervalSeconds,
    method: METHOD,
    replicas,
    episodes: eps,
    drift: drift(replicas),
    whatIf,
  };
  if (capacity) {
    truth.capacity = capacity;
    truth.demand = specs.map((sp, i) => demandOf(sp, timelines[i], opts));
    truth.saturation = saturationOf(specs, specs[scenario.capacity!.replica], capacity.requestsPerSecond, opts);
  }
  const pair = pairOf(scenario, specs);
  if (pair) truth.pair = pair;
  return { results, timelines, truth };
}

/** truth.json text: presets by name, numbers as they are, stable key order. */
export function truthJson(t: Truth): string {
  return `${JSON.stringify(t, (k, v) => (k === 'gpu' && v && typeof v === 'object' ? v.id : k === 'model' && v && typeof v === 'object' ? v.id : v), 2)}\n`;
}
