// The building blocks of the named scenarios (scenarios.ts): what a scenario is, and the replica,
// fleet and traffic streams they are made of. Split out of scenarios.ts, which keeps the table.

import { GPUS, MODELS } from './presets.js';
import type { RedeploySettings, ReplicaSpec, SimOptions, StreamSpec } from './types.js';

/** An incident the scenario causes on purpose: its ground truth is measured from the engine (truth.ts). */
export interface IncidentSpec {
  /** Replica index. */
  replica: number;
  /** Finding code in the analysis vocabulary (KV_CACHE_THRASHING, PREFILL_STARVATION, …). */
  pathology: string;
  /** One sentence: what goes wrong and why. */
  mechanism: string;
  /** The generator's cause windows, offsets in seconds (a burst, the window after a redeploy …); one episode each. */
  causes: { start: number; end: number }[];
  /** Engine state that marks a time bin as affected. */
  signal: 'preemptions' | 'ttft-over-target' | 'queue';
  /** For 'queue': requests waiting at least this many (default 1). */
  min?: number;
  /** For 'ttft-over-target': the TTFT p95 target in seconds (default 0.5, the chat target). */
  ttftTargetSeconds?: number;
}

/** A counterfactual run of one replica with other settings on the same requests (truth.json `whatIf`). */
export interface WhatIfSpec {
  replica: number;
  label: string;
  set: RedeploySettings;
}

export interface ScenarioParams {
  hours: number;
  replicas: number;
}

export interface Scenario {
  name: string;
  /** One line, for `--list`. */
  summary: string;
  defaultHours: number;
  defaultReplicas: number;
  /** What happens and when (Markdown paragraphs); `{T}` placeholders are not used: times are stated in minutes. */
  story: string;
  /** What a correct diagnosis says (Markdown bullet list). */
  diagnosis: string;
  /** Input warnings the scenario causes on purpose (ingest warning codes). */
  expectedWarnings: string[];
  /** Scrape interval of the dataset (default 10 s); long windows use a coarser one to stay small. */
  defaultIntervalSeconds?: number;
  build(p: ScenarioParams): ReplicaSpec[];
  /** Incidents caused on purpose, for the ground truth. */
  incidents?(specs: ReplicaSpec[], opts: SimOptions): IncidentSpec[];
  /** Counterfactual runs recorded in the ground truth. */
  whatIf?(specs: ReplicaSpec[]): WhatIfSpec[];
  /** Capacity of a replica at these targets (truth.json `capacity`, `demand`, `saturation`). */
  capacity?: { replica: number; targets: { ttftP95Seconds: number; tbtP95Seconds: number } };
  /** One half of a before/after pair: the same requests, the other scenario's settings. */
  pair?: { name: string; role: 'before' | 'after'; peer: string };
  /** Real files kept in the dataset directory next to the generated ones (not written by the simulator; listed in its README). */
  companions?: { file: string; what: string }[];
}


export const MIN = 60;
export const HOUR = 3600;

/** Chat traffic with a handful of popular system prompts. */
/** The chat stream the scenarios share (a ±20 % six-hour swing; `extra` overrides any part). */
export function chat(rps: number, extra: Partial<StreamSpec> = {}): StreamSpec {
  return {
    name: 'chat',
    rate: { rps, diurnal: { amplitude: 0.2, periodSeconds: 6 * HOUR, phase: 0 } },
    prompt: { median: 350, sigma: 0.8 },
    output: { median: 180, sigma: 0.7 },
    maxTokens: [512, 1024, 1024, 2048],
    prefix: { share: 0.7, count: 6, length: { median: 600, sigma: 0.3 }, zipf: 1 },
    ...extra,
  };
}

/** Replica i of a scenario fleet: Llama-3.1-8B on one H100 with vLLM's usual settings, `over` on top. */
export function replica(i: number, over: Partial<ReplicaSpec>): ReplicaSpec {
  return {
    instance: `10.0.0.${11 + i}:8000`,
    hostname: `gpu-node-${i + 1}`,
    gpu: GPUS['h100-80gb'],
    model: MODELS['llama-3.1-8b'],
    tensorParallelSize: 1,
    maxNumSeqs: 256,
    maxNumBatchedTokens: 8192,
    maxModelLen: 8192,
    blockSize: 16,
    gpuMemoryUtilization: 0.9,
    enablePrefixCaching: true,
    enableChunkedPrefill: true,
    kvCacheDtype: 'auto',
    streams: [chat(5)],
    faults: [],
    baseRssBytes: 3.1e9 + i * 0.07e9,
    vllmVersion: '0.11.0',
    ...over,
  };
}

export function fleet(n: number, make: (i: number) => Partial<ReplicaSpec>): ReplicaSpec[] {
  const out: ReplicaSpec[] = [];
  for (let i = 0; i < n; i++) out.push(replica(i, make(i)));
  return out;
}

/** Retrieval-augmented requests: long prompts (a few thousand tokens), answers of a few hundred. */
export function rag(rps: number, extra: Partial<StreamSpec> = {}): StreamSpec {
  return {
    name: 'rag',
    rate: { rps },
    prompt: { median: 3000, sigma: 0.45 },
    output: { median: 350, sigma: 0.5 },
    maxTokens: [1024, 2048],
    prefix: { share: 0.5, count: 3, length: { median: 500, sigma: 0.2 }, zipf: 1 },
    ...extra,
  };
}

/** Window offsets (s) of a burst every `everyHours` hours starting at `firstHour`, `minutes` long, within `hours`. */
export function recurring(hours: number, firstHour: number, everyHours: number, minutes: number[]): { start: number; end: number }[] {
  const out: { start: number; end: number }[] = [];
  for (let h = firstHour, i = 0; h * HOUR < hours * HOUR; h += everyHours, i++) {
    const start = h * HOUR;
    out.push({ start, end: Math.min(hours * HOUR, start + minutes[i % minutes.length] * MIN) });
  }
  return out;
}
