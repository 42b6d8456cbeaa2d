// The simulator's library entry: run replicas, write their exports, summarise a run.

import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { InputError } from '../errors.js';
import { simulateReplica, type ReplicaResult, type SimHooks } from './engine.js';
import { SCENARIOS, findScenario, type Scenario } from './scenarios.js';
import { simulateWithTruth, type Truth } from './truth.js';
import type { ReplicaSpec, SimOptions } from './types.js';
import {
  logFileName,
  openTextOut,
  replicaLog,
  sameConfig,
  shipsLog,
  writeCsvLong,
  writeOpenMetrics,
  writeQueryRangeJson,
  writeTextFile,
  type ExportMeta,
  type TextOut,
} from './writers.js';

export { simulateReplica, SCENARIOS, findScenario };
export type { ReplicaResult, SimHooks, Scenario, ReplicaSpec, SimOptions };

/** 2025-11-20T10:00:00Z: the first scrape of every dataset (a fixed time keeps outputs byte-stable). */
export const DEFAULT_START = 1763632800;

export type ExportFormat = 'json' | 'json.gz' | 'openmetrics' | 'csv' | 'log';
export const FORMATS: readonly ExportFormat[] = ['json', 'json.gz', 'openmetrics', 'csv', 'log'];

export function simulateFleet(replicas: ReplicaSpec[], opts: SimOptions, hooks: SimHooks = {}): ReplicaResult[] {
  return replicas.map((r, i) => simulateReplica(r, opts, i, hooks));
}

export function parseFormats(list: string): ExportFormat[] {
  const out: ExportFormat[] = [];
  for (const raw of list.split(',').map((s) => s.trim()).filter(Boolean)) {
    if (!(FORMATS as readonly string[]).includes(raw)) {
      throw new InputError({ code: 'BAD_OPTION', message: `unknown --format ${JSON.stringify(raw)}`, hint: `choose from ${FORMATS.join(', ')}` });
    }
    if (!out.includes(raw as ExportFormat)) out.push(raw as ExportFormat);
  }
  if (!out.length) throw new InputError({ code: 'BAD_OPTION', message: '--format is empty', hint: `choose from ${FORMATS.join(', ')}` });
  return out;
}

/** Files written for each format (the log may be one file per replica). */
export async function writeExports(outDir: string, results: ReplicaResult[], formats: ExportFormat[], meta: ExportMeta): Promise<string[]> {
  await fsp.mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const stream = async (name: string, gzip: boolean, fn: (o: TextOut) => Promise<void>) => {
    const file = path.join(outDir, name);
    const o = await openTextOut(file, gzip);
    try {
      await fn(o);
      await o.close();
    } catch (e) {
      await o.abort();
      throw e;
    }
    written.push(file);
  };
  for (const f of formats) {
    if (f === 'json') await stream('metrics.json', false, (o) => writeQueryRangeJson(o, results, meta));
    else if (f === 'json.gz') await stream('metrics.json.gz', true, (o) => writeQueryRangeJson(o, results, meta));
    else if (f === 'openmetrics') await stream('metrics.om.txt', false, (o) => writeOpenMetrics(o, results, meta));
    else if (f === 'csv') await stream('metrics.csv', false, (o) => writeCsvLong(o, results, meta));
    else if (f === 'log') {
      if (sameConfig(results)) {
        // One process log is enough when every replica runs the same settings (vLLM logs carry no instance).
        const restarts = results.findIndex((r) => r.processStarts.length > 1);
        const r = restarts >= 0 ? restarts : 0;
        const file = path.join(outDir, 'vllm-serve.log');
        await writeTextFile(file, replicaLog(results[r], r));
        written.push(file);
      } else {
        for (let i = 0; i < results.length; i++) {
          if (!shipsLog(results[i])) continue;
          const file = path.join(outDir, logFileName(results[i].spec.instance));
          await writeTextFile(file, replicaLog(results[i], i));
          written.push(file);
        }
      }
    }
  }
  return written;
}

// --- summaries (for the dataset READMEs and the CLI's closing line) --------------------------------

function seriesIndex(r: ReplicaResult, name: string, match: Record<string, string> = {}): number {
  const ser = r.registry.series;
  for (let s = 0; s < ser.length; s++) {
    if (ser[s].name !== name) continue;
    if (Object.entries(match).every(([k, v]) => ser[s].labels.some(([a, b]) => a === k && b === v))) return s;
  }
  return -1;
}

/** Increase of a cumulative series between scrapes a and b (inclusive), surviving resets and gaps. */
export function increaseBetween(r: ReplicaResult, s: number, a: number, b: number): number {
  const n = r.nScrapes;
  let inc = 0;
  let prev = NaN;
  for (let k = a; k <= b; k++) {
    const v = r.data[s * n + k];
    if (v !== v) continue;
    if (prev === prev) inc += v >= prev ? v - prev : v;
    prev = v;
  }
  return inc;
}

export interface WindowFacts {
  fromMin: number;
  toMin: number;
  requestsPerSecond: number;
  runningMean: number;
  waitingMax: number;
  kvUsageMax: number;
  preemptions: number;
  ttftMeanSeconds: number;
  itlMeanSeconds: number;
  prefixHitRatio: number;
  /** NaN where the replica has no DCGM series (an AMD GPU). */
  gpuUtilMeanPercent: number;
  rssMaxGB: number;
}

/** Facts per time window of one replica, computed from its scraped series (what a user would see). */
export function windowFacts(r: ReplicaResult, interval: number, windows: number): WindowFacts[] {
  const n = r.nScrapes;
  const idx = (name: string, m?: Record<string, string>) => seriesIndex(r, name, m);
  const running = idx('vllm:num_requests_running');
  const waiting = idx('vllm:num_requests_waiting');
  const kv = idx('vllm:kv_cache_usage_perc');
  const pre = idx('vllm:num_preemptions_total');
  const ttftS = idx('vllm:time_to_first_token_seconds_sum');
  const ttftC = idx('vllm:time_to_first_token_seconds_count');
  const itlS = idx('vllm:inter_token_latency_seconds_sum');
  const itlC = idx('vllm:inter_token_latency_seconds_count');
  const e2eC = idx('vllm:e2e_request_latency_seconds_count');
  const q = idx('vllm:prefix_cache_queries_total');
  const h = idx('vllm:prefix_cache_hits_total');
  const util = idx('DCGM_FI_DEV_GPU_UTIL');
  const rss = idx('process_resident_memory_bytes');
  const out: WindowFacts[] = [];
  const per = Math.max(1, Math.floor(n / windows));
  for (let w = 0; w < windows; w++) {
    const a = w * per;
    const b = w === windows - 1 ? n - 1 : (w + 1) * per;
    let runSum = 0;
    let runN = 0;
    let wMax = 0;
    let kvMax = 0;
    let uSum = 0;
    let uN = 0;
    let rssMax = 0;
    for (let k = a; k <= b; k++) {
      const rv = r.data[running * n + k];
      if (rv === rv) {
        runSum += rv;
        runN++;
        wMax = Math.max(wMax, r.data[waiting * n + k]);
        kvMax = Math.max(kvMax, r.data[kv * n + k]);
        rssMax = Math.max(rssMax, r.data[rss * n + k]);
      }
      if (util >= 0) {
        uSum += r.data[util * n + k];
        uN++;
      }
    }
    const inc = (s: number) => increaseBetween(r, s, a, b);
    const secs = (b - a) * interval;
    out.push({
      fromMin: (a * interval) / 60,
      toMin: (b * interval) / 60,
      requestsPerSecond: secs > 0 ? inc(e2eC) / secs : 0,
      runningMean: runN ? runSum / runN : 0,
      waitingMax: wMax,
      kvUsageMax: kvMax,
      preemptions: inc(pre),
      ttftMeanSeconds: inc(ttftS) / Math.max(1, inc(ttftC)),
      itlMeanSeconds: inc(itlS) / Math.max(1, inc(itlC)),
      prefixHitRatio: inc(h) / Math.max(1, inc(q)),
      gpuUtilMeanPercent: uN ? uSum / uN : NaN,
      rssMaxGB: rssMax / 1e9,
    });
  }
  return out;
}

export interface ScenarioRun {
  scenario: Scenario;
  results: ReplicaResult[];
  meta: ExportMeta;
  opts: SimOptions;
  /** Ground truth (absent when the caller passed its own hooks). */
  truth?: Truth;
}

export function runScenario(name: string, p: { seed?: number; hours?: number; replicas?: number; scrapeIntervalSeconds?: number }, hooks: SimHooks = {}): ScenarioRun {
  const scenario = findScenario(name);
  if (!scenario) {
    throw new InputError({ code: 'BAD_OPTION', message: `unknown scenario ${JSON.stringify(name)}`, hint: `run \`vllm-tune simulate --list\`; known: ${SCENARIOS.map((s) => s.name).join(', ')}` });
  }
  const hours = p.hours ?? scenario.defaultHours;
  const replicas = p.replicas ?? scenario.defaultReplicas;
  if (!(hours > 0 && hours <= 24 * 31)) throw new InputError({ code: 'BAD_OPTION', message: `--hours ${hours} is out of range`, hint: 'give a number of hours between 0 and 744' });
  if (!(Number.isInteger(replicas) && replicas >= 1 && replicas <= 64)) throw new InputError({ code: 'BAD_OPTION', message: `--replicas ${replicas} is out of range`, hint: 'give an integer between 1 and 64' });
  const interval = p.scrapeIntervalSeconds ?? scenario.defaultIntervalSeconds ?? 10;
  if (!(interval > 0 && interval <= 3600)) throw new InputError({ code: 'BAD_OPTION', message: `--interval ${interval} is out of range`, hint: 'give seconds between 0 and 3600' });
  const opts: SimOptions = { seed: p.seed ?? 1, startTime: DEFAULT_START, durationSeconds: Math.round(hours * 3600), scrapeIntervalSeconds: interval };
  const specs = scenario.build({ hours, replicas });
  const meta = { startTime: opts.startTime, scrapeIntervalSeconds: interval };
  if (hooks.onStep || hooks.onFinish || hooks.onArrival || hooks.onFirstToken || hooks.onToken) {
    return { scenario, results: simulateFleet(specs, opts, hooks), meta, opts };
  }
  const { results, truth } = simulateWithTruth(scenario, specs, opts);
  return { scenario, results, meta, opts, truth };
}
