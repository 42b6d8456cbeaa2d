// Ingest of a large /api/v1/query_range response through the real path (`ingest()`: detection, the
// streaming adapter, the sink, MetricSet). The input is generated (seeded) once and reused: 8 vLLM
// replicas × 151 series (histogram buckets, _sum/_count, counters, gauges, DCGM fields) at a 10 s
// step, minified as Prometheus writes it, with value digit counts as real exports have them
// (integers for buckets and counters, 17 significant digits for ratios and sums).

import { closeSync, existsSync, openSync, readFileSync, renameSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchPrepared, BenchRunResult } from '../lib.js';
import { ingest } from '../../src/ingest/index.js';
import { mulberry32 } from '../../src/stats/prng.js';

export interface PromJsonBenchSpec {
  replicas: number;
  samplesPerSeries: number;
  seed: number;
}

type Kind = 'bucket' | 'sum' | 'count' | 'counter' | 'int-gauge' | 'ratio' | 'ratio6' | 'watts' | 'mib';
interface SeriesSpec {
  name: string;
  labels: Record<string, string>;
  kind: Kind;
  scale: number;
}

const HISTOGRAMS: [string, number[]][] = [
  ['vllm:e2e_request_latency_seconds', [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]],
  ['vllm:time_to_first_token_seconds', [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]],
  ['vllm:inter_token_latency_seconds', [0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 20, 40, 80]],
  ['vllm:request_queue_time_seconds', [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]],
  ['vllm:request_prefill_time_seconds', [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]],
  ['vllm:request_decode_time_seconds', [0.3, 0.5, 0.8, 1, 1.5, 2, 2.5, 5, 10, 15, 20, 30, 40, 50, 60, 120, 240, 480, 960, 1920, 7680]],
];

function seriesOf(replicas: number): SeriesSpec[] {
  const out: SeriesSpec[] = [];
  for (let r = 0; r < replicas; r++) {
    const base = { engine: '0', instance: `10.0.${r >> 8}.${r & 255}:8000`, job: 'vllm', model_name: 'meta-llama/Llama-3.1-8B-Instruct' };
    for (const [h, les] of HISTOGRAMS) {
      les.forEach((le, i) => out.push({ name: `${h}_bucket`, labels: { ...base, le: String(le) }, kind: 'bucket', scale: (i + 1) / (les.length + 1) }));
      out.push({ name: `${h}_bucket`, labels: { ...base, le: '+Inf' }, kind: 'bucket', scale: 1 });
      out.push({ name: `${h}_sum`, labels: base, kind: 'sum', scale: 1 });
      out.push({ name: `${h}_count`, labels: base, kind: 'count', scale: 1 });
    }
    out.push({ name: 'vllm:prompt_tokens_total', labels: base, kind: 'counter', scale: 900 });
    out.push({ name: 'vllm:generation_tokens_total', labels: base, kind: 'counter', scale: 300 });
    out.push({ name: 'vllm:num_preemptions_total', labels: base, kind: 'counter', scale: 0.05 });
    out.push({ name: 'vllm:request_success_total', labels: { ...base, finished_reason: 'stop' }, kind: 'counter', scale: 3 });
    out.push({ name: 'vllm:num_requests_running', labels: base, kind: 'int-gauge', scale: 64 });
    out.push({ name: 'vllm:num_requests_waiting', labels: base, kind: 'int-gauge', scale: 30 });
    out.push({ name: 'vllm:kv_cache_usage_perc', labels: base, kind: 'ratio', scale: 1 });
    const gpu = { Hostname: `node-${r}`, UUID: `GPU-${(0x1a2b3c4d + r).toString(16)}-5e6f-7a8b-9c0d-e1f2a3b4c5d6`, device: 'nvidia0', gpu: '0', modelName: 'NVIDIA H100 80GB HBM3', instance: `10.0.${r >> 8}.${r & 255}:9400`, job: 'dcgm' };
    out.push({ name: 'DCGM_FI_DEV_GPU_UTIL', labels: gpu, kind: 'int-gauge', scale: 100 });
    out.push({ name: 'DCGM_FI_DEV_FB_USED', labels: gpu, kind: 'mib', scale: 1 });
    out.push({ name: 'DCGM_FI_PROF_SM_ACTIVE', labels: gpu, kind: 'ratio6', scale: 1 });
    out.push({ name: 'DCGM_FI_DEV_POWER_USAGE', labels: gpu, kind: 'watts', scale: 1 });
  }
  return out;
}

export interface PromJsonMeta {
  samples: number;
  series: number;
  valueSum: string;
  timeSum: string;
  [k: string]: number | string;
}

/** Per-series sums in sample order, then added in ascending order: independent of series order. */
export function orderFreeSum(perSeries: number[]): string {
  perSeries.sort((a, b) => a - b);
  let s = 0;
  for (const x of perSeries) s += x;
  return String(s);
}

/** Write the query_range response; returns the expected aggregates, computed with Number() on the written text. */
export function writePromJson(file: string, spec: PromJsonBenchSpec): PromJsonMeta {
  const rand = mulberry32(spec.seed);
  const series = seriesOf(spec.replicas);
  const tmp = `${file}.tmp`;
  const fd = openSync(tmp, 'w');
  const startMs = 1732269600781;
  const tStr: string[] = [];
  const tNum: number[] = [];
  for (let i = 0; i < spec.samplesPerSeries; i++) {
    const ms = startMs + i * 10_000;
    tStr.push(`${Math.floor(ms / 1000)}.${String(ms % 1000).padStart(3, '0')}`);
    tNum.push(Number(tStr[i]));
  }
  let tSeriesSum = 0;
  for (const t of tNum) tSeriesSum += t;
  const vSums: number[] = [];
  const tSums: number[] = [];
  writeSync(fd, '{"status":"success","data":{"resultType":"matrix","result":[');
  let samples = 0;
  series.forEach((s, si) => {
    const parts: string[] = [];
    let acc = 0;
    let vSum = 0;
    for (let i = 0; i < spec.samplesPerSeries; i++) {
      let v: string;
      switch (s.kind) {
        case 'bucket':
        case 'count':
          acc += Math.floor(rand() * 4 * s.scale + (rand() < 0.5 ? 0 : 1));
          v = String(acc);
          break;
        case 'counter':
          acc += Math.floor(rand() * 2 * s.scale * 10);
          v = String(acc);
          break;
        case 'sum':
          acc += rand() * 7.3;
          v = String(acc);
          break;
        case 'int-gauge':
          v = String(Math.floor(rand() * s.scale));
          break;
        case 'ratio':
          v = String(rand());
          break;
        case 'ratio6':
          v = String(Number(rand().toFixed(6)));
          break;
        case 'watts':
          v = String(Number((250 + rand() * 400).toFixed(3)));
          break;
        case 'mib':
          v = String(60000 + Math.floor(rand() * 20000));
          break;
      }
      vSum += Number(v);
      parts.push(`[${tStr[i]},"${v}"]`);
    }
    samples += spec.samplesPerSeries;
    vSums.push(vSum);
    tSums.push(tSeriesSum);
    writeSync(fd, `${si ? ',' : ''}{"metric":${JSON.stringify({ __name__: s.name, ...s.labels })},"values":[${parts.join(',')}]}`);
  });
  writeSync(fd, ']}}');
  closeSync(fd);
  renameSync(tmp, file);
  return { samples, series: series.length, valueSum: orderFreeSum(vSums), timeSum: orderFreeSum(tSums) };
}

/** Generate once into outDir (reused while the spec is unchanged). */
export async function preparePromJson(outDir: string, name: string, spec: PromJsonBenchSpec): Promise<BenchPrepared> {
  const file = path.join(outDir, `${name}.json`);
  const metaFile = `${file}.meta.json`;
  const specKey = JSON.stringify(spec);
  if (existsSync(file) && existsSync(metaFile)) {
    const saved = JSON.parse(readFileSync(metaFile, 'utf8')) as { spec: string; meta: PromJsonMeta };
    if (saved.spec === specKey) return { file, bytes: statSync(file).size, meta: saved.meta };
  }
  const t0 = Date.now();
  const meta = writePromJson(file, spec);
  writeFileSync(metaFile, JSON.stringify({ spec: specKey, meta }));
  console.log(`generated ${path.basename(file)} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return { file, bytes: statSync(file).size, meta };
}

/** Ingest through the real path and compute the same aggregates as the generator. */
export async function runPromJson(prepared: BenchPrepared): Promise<BenchRunResult> {
  const art = await ingest({ inputs: [prepared.file] });
  const vSums: number[] = [];
  const tSums: number[] = [];
  let samples = 0;
  for (const s of art.metrics.series) {
    let a = 0;
    let b = 0;
    for (let i = 0; i < s.v.length; i++) {
      a += s.v[i];
      b += s.t[i];
    }
    vSums.push(a);
    tSums.push(b);
    samples += s.t.length;
  }
  const check = { samples, series: art.metrics.series.length, valueSum: orderFreeSum(vSums), timeSum: orderFreeSum(tSums) };
  const m = prepared.meta ?? {};
  const ok = check.samples === m.samples && check.series === m.series && check.valueSum === m.valueSum && check.timeSum === m.timeSum;
  return { items: samples, itemName: 'samples', check: { ...check, matchesMeta: ok ? 'yes' : 'NO' } };
}

// 8 replicas × 151 series × 10,000 samples ≈ 12.1M samples, ≈ 300 MB.
const SPEC: PromJsonBenchSpec = { replicas: 8, samplesPerSeries: 10000, seed: 20261122 };
/** Retained samples × 16 bytes (t and v as float64), for the RSS target. */
export const retainedMb = (spec: PromJsonBenchSpec) => (seriesOf(spec.replicas).length * spec.samplesPerSeries * 16) / 1e6;

const benchCase: BenchCase = {
  id: 'ingest-prometheus-json',
  title: 'Prometheus query_range JSON (~300 MB, 12.1M samples) through ingest()',
  prepare: (outDir) => preparePromJson(outDir, 'prometheus-query-range-300mb', SPEC),
  run: runPromJson,
  targets: { floorShare: 0.3, peakRssMb: Math.round(2 * retainedMb(SPEC) + 150) },
  // The default reads the file with every core (prometheus-json/parallel.ts); the same on one thread:
  variants: [{ label: 'one thread (VLLM_TUNE_WORKERS=1)', env: { VLLM_TUNE_WORKERS: '1' } }],
};

export default benchCase;
