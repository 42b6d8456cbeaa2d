// A small deterministic OpenMetrics generator for the live-Prometheus tests (and the fetch-week bench):
// a fleet of vLLM replicas with counters that reset (a restart), a scrape gap, a TTFT histogram whose
// +Inf bucket fills, gauges, a DCGM gauge and a process gauge. Timestamps are Unix SECONDS with
// millisecond jitter (as real scrapes have), which is what `promtool tsdb create-blocks-from
// openmetrics` expects. Layout: one `# TYPE` line per family, each series' samples contiguous and in
// time order, no blank lines or comments, `# EOF` last.

import { createWriteStream } from 'node:fs';
import { mulberry32 } from '../../../src/stats/prng.js';

export interface GenOptions {
  /** Unix seconds of the first scrape (whole seconds). */
  start: number;
  durationSeconds: number;
  scrapeSeconds: number;
  replicas: number;
  seed: number;
  /** Replica index that restarts (counters reset) at this offset (seconds), or none. */
  restart?: { replica: number; atSeconds: number };
  /** Replica index with no scrapes in [from, to) seconds from the start. */
  gap?: { replica: number; fromSeconds: number; toSeconds: number };
}

export const TTFT_BOUNDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5];


function leText(b: number): string {
  return b === Infinity ? '+Inf' : Number.isInteger(b) ? `${b}.0` : String(b);
}

/** Per-replica sample values at every scrape, computed once (typed arrays), then written family by family. */
interface ReplicaData {
  instance: string;
  host: string;
  ts: Float64Array; // scrape timestamps (seconds, ms precision)
  prompt: Float64Array;
  gen: Float64Array;
  preempt: Float64Array;
  kv: Float64Array;
  waiting: Float64Array;
  running: Float64Array;
  buckets: Float64Array[]; // cumulative, one per bound + Inf
  hsum: Float64Array;
  hcount: Float64Array;
  util: Float64Array;
  rss: Float64Array;
}

function simulateReplica(o: GenOptions, r: number): ReplicaData {
  const rnd = mulberry32(o.seed * 1000 + r + 1);
  const n = Math.floor(o.durationSeconds / o.scrapeSeconds);
  const keep: number[] = [];
  for (let i = 0; i < n; i++) {
    const off = i * o.scrapeSeconds;
    if (o.gap && o.gap.replica === r && off >= o.gap.fromSeconds && off < o.gap.toSeconds) continue;
    keep.push(i);
  }
  const m = keep.length;
  const mk = () => new Float64Array(m);
  const d: ReplicaData = {
    instance: `10.0.0.${11 + r}:8000`,
    host: `gpu-node-${r + 1}`,
    ts: mk(),
    prompt: mk(),
    gen: mk(),
    preempt: mk(),
    kv: mk(),
    waiting: mk(),
    running: mk(),
    buckets: [...TTFT_BOUNDS, Infinity].map(mk),
    hsum: mk(),
    hcount: mk(),
    util: mk(),
    rss: mk(),
  };
  const bounds = [...TTFT_BOUNDS, Infinity];
  // Counters live through the whole run; a restart sets them back to zero.
  let prompt = 0;
  let gen = 0;
  let preempt = 0;
  const bcount = new Float64Array(bounds.length);
  let hsum = 0;
  let hcount = 0;
  let restarted = false;
  let lastI = -1;
  const phase = (r * 0.137) % 1;
  for (let k = 0; k < m; k++) {
    const i = keep[k];
    const off = i * o.scrapeSeconds;
    if (o.restart && o.restart.replica === r && !restarted && off >= o.restart.atSeconds) {
      restarted = true;
      prompt = gen = preempt = hsum = hcount = 0;
      bcount.fill(0);
    }
    // Work done since the last kept scrape (a gap still accumulates: the process kept running).
    const steps = i - lastI;
    lastI = i;
    for (let s = 0; s < steps; s++) {
      const load = 0.5 + 0.4 * Math.sin((2 * Math.PI * (off / 3600 + phase)));
      const reqs = Math.floor(rnd() * 6 * load + 1);
      for (let q = 0; q < reqs; q++) {
        prompt += 200 + Math.floor(rnd() * 1800);
        gen += 50 + Math.floor(rnd() * 400);
        // TTFT: mostly small, a tail above 2.5 s (lands only in +Inf).
        const ttft = rnd() < 0.04 ? 2.5 + rnd() * 3 : Math.exp(Math.log(0.12) + 0.9 * (rnd() * 2 - 1)) * (0.6 + load);
        hsum += ttft;
        hcount++;
        for (let b = 0; b < bounds.length; b++) if (ttft <= bounds[b]) { bcount[b]++; break; }
      }
      if (rnd() < 0.05 * load) preempt++;
    }
    // Millisecond jitter on the scrape timestamp, as a real scraper shows.
    d.ts[k] = o.start + off + Math.round(rnd() * 900 + r * 37) / 1000;
    d.prompt[k] = prompt;
    d.gen[k] = gen;
    d.preempt[k] = preempt;
    const loadNow = 0.5 + 0.4 * Math.sin(2 * Math.PI * (off / 3600 + phase));
    d.kv[k] = Math.round(Math.min(1, loadNow * 0.9 + rnd() * 0.1) * 1e4) / 1e4;
    d.waiting[k] = Math.max(0, Math.floor((loadNow - 0.6) * 40 + rnd() * 3));
    d.running[k] = Math.floor(loadNow * 64 + rnd() * 8);
    let cum = 0;
    for (let b = 0; b < bounds.length; b++) {
      cum += bcount[b];
      d.buckets[b][k] = cum;
    }
    d.hsum[k] = Math.round(hsum * 1e6) / 1e6;
    d.hcount[k] = hcount;
    d.util[k] = Math.round(loadNow * 100);
    d.rss[k] = 4e9 + Math.floor(off * 1000);
  }
  return d;
}

type Emit = (s: string) => void;

function writeSeries(emit: Emit, name: string, labels: string, ts: Float64Array, vs: Float64Array): void {
  let out = '';
  for (let k = 0; k < ts.length; k++) {
    out += `${name}{${labels}} ${vs[k]} ${ts[k].toFixed(3)}\n`;
    if (out.length > 1 << 20) {
      emit(out);
      out = '';
    }
  }
  emit(out);
}

function generate(o: GenOptions, emit: Emit): { samples: number; series: number } {
  const reps = Array.from({ length: o.replicas }, (_, r) => simulateReplica(o, r));
  let samples = 0;
  let series = 0;
  const fam = (type: string, name: string, pick: (d: ReplicaData) => Float64Array, sample = name) => {
    emit(`# TYPE ${name} ${type}\n`);
    for (const d of reps) {
      writeSeries(emit, sample, `instance="${d.instance}",model_name="demo-model"`, d.ts, pick(d));
      samples += d.ts.length;
      series++;
    }
  };
  fam('counter', 'vllm:prompt_tokens', (d) => d.prompt, 'vllm:prompt_tokens_total');
  fam('counter', 'vllm:generation_tokens', (d) => d.gen, 'vllm:generation_tokens_total');
  fam('counter', 'vllm:num_preemptions', (d) => d.preempt, 'vllm:num_preemptions_total');
  fam('gauge', 'vllm:kv_cache_usage_perc', (d) => d.kv);
  fam('gauge', 'vllm:num_requests_waiting', (d) => d.waiting);
  fam('gauge', 'vllm:num_requests_running', (d) => d.running);
  emit('# TYPE vllm:time_to_first_token_seconds histogram\n');
  const bounds = [...TTFT_BOUNDS, Infinity];
  for (const d of reps) {
    const base = `instance="${d.instance}",model_name="demo-model"`;
    for (let b = 0; b < bounds.length; b++) writeSeries(emit, 'vllm:time_to_first_token_seconds_bucket', `${base},le="${leText(bounds[b])}"`, d.ts, d.buckets[b]);
    writeSeries(emit, 'vllm:time_to_first_token_seconds_sum', base, d.ts, d.hsum);
    writeSeries(emit, 'vllm:time_to_first_token_seconds_count', base, d.ts, d.hcount);
    samples += d.ts.length * (bounds.length + 2);
    series += bounds.length + 2;
  }
  emit('# TYPE DCGM_FI_DEV_GPU_UTIL gauge\n');
  for (const d of reps) {
    writeSeries(emit, 'DCGM_FI_DEV_GPU_UTIL', `Hostname="${d.host}",gpu="0",modelName="NVIDIA H100 80GB HBM3"`, d.ts, d.util);
    samples += d.ts.length;
    series++;
  }
  fam('gauge', 'process_resident_memory_bytes', (d) => d.rss);
  emit('# EOF\n');
  return { samples, series };
}

/** The whole OpenMetrics text (small fixtures). */
export function generateOpenMetrics(o: GenOptions): { text: string; samples: number; series: number } {
  const parts: string[] = [];
  const r = generate(o, (s) => parts.push(s));
  return { text: parts.join(''), ...r };
}

/** Stream the OpenMetrics text to a file (a week of data is ~100 MB). */
export async function writeOpenMetrics(o: GenOptions, file: string): Promise<{ samples: number; series: number; bytes: number }> {
  const ws = createWriteStream(file);
  let bytes = 0;
  const pending: string[] = [];
  const r = generate(o, (s) => {
    pending.push(s);
    bytes += s.length;
  });
  for (const s of pending) if (!ws.write(s)) await new Promise<void>((res) => ws.once('drain', () => res()));
  await new Promise<void>((res, rej) => ws.end((e?: Error | null) => (e ? rej(e) : res())));
  return { ...r, bytes };
}
