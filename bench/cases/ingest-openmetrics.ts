// OpenMetrics backfill file of ~300 MB (the layout `promtool tsdb create-blocks-from openmetrics`
// takes): two vLLM replicas, gauges, counters with `_created`, a 12-bucket TTFT histogram, 10 s steps
// over about a week, timestamps in seconds, occasional exemplars, `# EOF`. Series are grouped as the
// format requires (a histogram's buckets, count and sum interleave per timestamp). Set
// BENCH_OPENMETRICS_FORM=dump for the same samples as `promtool tsdb dump` lines (ms timestamps).
//
// Every value is a multiple of 1/8; at the default size the total stays below 2^50, so the expected
// sum is exact in any summation order (far larger sizes may differ in the last bits).

import { closeSync, existsSync, openSync, readFileSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchPrepared } from '../lib.js';
import { ingest } from '../../src/ingest/index.js';
import { mulberry32 as rng } from '../../src/stats/prng.js';

const TARGET_BYTES = Number(process.env.BENCH_OPENMETRICS_MB ?? 300) * 1e6;
const FORM_ENV = process.env.BENCH_OPENMETRICS_FORM;
const FORM: 'openmetrics' | 'dump' | 'scrapes' = FORM_ENV === 'dump' || FORM_ENV === 'scrapes' ? FORM_ENV : 'openmetrics';
/** Interval passed as --scrape-interval for the `scrapes` form. */
const SCRAPE_INTERVAL = 15;
const T0 = 1732269600;
const STEP = 10;
const REPLICAS = [
  { instance: '10.0.0.1:8000', engine: '0' },
  { instance: '10.0.0.2:8000', engine: '0' },
];
const MODEL = 'meta-llama/Llama-3.1-8B-Instruct';
const GAUGES = ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc'];
const COUNTERS = ['vllm:prompt_tokens', 'vllm:generation_tokens', 'vllm:num_preemptions'];
const HIST = 'vllm:time_to_first_token_seconds';
const BOUNDS = ['0.001', '0.005', '0.01', '0.02', '0.04', '0.06', '0.08', '0.1', '0.25', '0.5', '1.0', '+Inf'];


interface Meta {
  samples: number;
  sum: number;
  series: number;
  steps: number;
}

class Out {
  private buf = '';
  bytes = 0;
  constructor(private readonly fd: number) {}
  line(s: string): void {
    this.buf += s;
    if (this.buf.length >= 1 << 20) this.flush();
  }
  flush(): void {
    this.bytes += writeSync(this.fd, this.buf);
    this.buf = '';
  }
}

/** Time-major: one whole `/metrics` scrape (HELP/TYPE lines, no timestamps) per step, as `curl … >> all.txt` writes it. */
function generateScrapes(file: string, steps: number): Meta {
  const rand = rng(11);
  const fd = openSync(file, 'w');
  const out = new Out(fd);
  let samples = 0;
  let sum = 0;
  const sel = (name: string, r: (typeof REPLICAS)[number], extra = '') =>
    `${name}{engine="${r.engine}",instance="${r.instance}",job="vllm"${extra ? `,${extra}` : ''},model_name="${MODEL}"}`;
  const emit = (s: string, v: number) => {
    out.line(`${s} ${v % 1 === 0 ? v.toFixed(1) : String(v)}\n`); // Python client style: `3.0`
    samples++;
    sum += v;
  };
  const counters = new Float64Array(COUNTERS.length * REPLICAS.length);
  const cum = new Float64Array(BOUNDS.length * REPLICAS.length);
  const hsum = new Float64Array(REPLICAS.length);
  for (let i = 0; i < steps; i++) {
    for (const g of GAUGES) {
      out.line(`# HELP ${g} vLLM gauge.\n# TYPE ${g} gauge\n`);
      for (const r of REPLICAS) emit(sel(g, r), g.endsWith('_perc') ? Math.floor(rand() * 8) / 8 : Math.floor(rand() * 64));
    }
    COUNTERS.forEach((c, ci) => {
      out.line(`# HELP ${c}_total vLLM counter.\n# TYPE ${c}_total counter\n`);
      REPLICAS.forEach((r, ri) => emit(sel(`${c}_total`, r), (counters[ci * REPLICAS.length + ri] += Math.floor(rand() * 500))));
      out.line(`# HELP ${c}_created vLLM counter.\n# TYPE ${c}_created gauge\n`);
      for (const r of REPLICAS) emit(sel(`${c}_created`, r), T0 - 3600);
    });
    out.line(`# HELP ${HIST} Histogram of time to first token in seconds.\n# TYPE ${HIST} histogram\n`);
    REPLICAS.forEach((r, ri) => {
      let acc = 0;
      for (let b = 0; b < BOUNDS.length; b++) {
        acc += Math.floor(rand() * 3);
        cum[ri * BOUNDS.length + b] += acc;
        emit(sel(`${HIST}_bucket`, r, `le="${BOUNDS[b]}"`), cum[ri * BOUNDS.length + b]);
      }
      hsum[ri] += Math.floor(rand() * 40) / 8;
      emit(sel(`${HIST}_count`, r), cum[ri * BOUNDS.length + BOUNDS.length - 1]);
      emit(sel(`${HIST}_sum`, r), hsum[ri]);
    });
  }
  out.flush();
  closeSync(fd);
  return { samples, sum, series: 46, steps };
}

function generate(file: string, steps: number): Meta {
  if (FORM === 'scrapes') return generateScrapes(file, steps);
  const rand = rng(7);
  const fd = openSync(file, 'w');
  const out = new Out(fd);
  let samples = 0;
  let sum = 0;
  let series = 0;
  const dump = FORM === 'dump';
  const ts = (i: number) => (dump ? String((T0 + i * STEP) * 1000) : String(T0 + i * STEP));
  const sel = (name: string, r: (typeof REPLICAS)[number], extra = '') =>
    dump
      ? `{__name__="${name}", engine="${r.engine}", instance="${r.instance}", job="vllm"${extra ? `, ${extra}` : ''}, model_name="${MODEL}"}`
      : `${name}{engine="${r.engine}",instance="${r.instance}",job="vllm"${extra ? `,${extra}` : ''},model_name="${MODEL}"}`;
  const emit = (s: string, v: number, i: number, exemplar = '') => {
    out.line(`${s} ${v} ${ts(i)}${exemplar}\n`);
    samples++;
    sum += v;
  };

  for (const g of GAUGES) {
    if (!dump) out.line(`# HELP ${g} vLLM gauge.\n# TYPE ${g} gauge\n`);
    for (const r of REPLICAS) {
      const s = sel(g, r);
      series++;
      for (let i = 0; i < steps; i++) emit(s, g.endsWith('_perc') ? Math.floor(rand() * 8) / 8 : Math.floor(rand() * 64), i);
    }
  }
  for (const c of COUNTERS) {
    if (!dump) out.line(`# HELP ${c} vLLM counter.\n# TYPE ${c} counter\n`);
    for (const r of REPLICAS) {
      const s = sel(`${c}_total`, r);
      const cs = sel(`${c}_created`, r);
      series += 2;
      let x = 0;
      for (let i = 0; i < steps; i++) {
        x += Math.floor(rand() * 500);
        emit(s, x, i);
        emit(cs, T0 - 3600, i);
      }
    }
  }
  if (!dump) out.line(`# HELP ${HIST} Histogram of time to first token in seconds.\n# TYPE ${HIST} histogram\n# UNIT ${HIST} seconds\n`);
  for (const r of REPLICAS) {
    const bucketSel = BOUNDS.map((b) => sel(`${HIST}_bucket`, r, `le="${b}"`));
    const countSel = sel(`${HIST}_count`, r);
    const sumSel = sel(`${HIST}_sum`, r);
    series += BOUNDS.length + 2;
    const cum = new Float64Array(BOUNDS.length);
    let total = 0;
    let hsum = 0;
    for (let i = 0; i < steps; i++) {
      let acc = 0;
      for (let b = 0; b < BOUNDS.length; b++) {
        acc += Math.floor(rand() * 3);
        cum[b] += acc;
      }
      total = cum[BOUNDS.length - 1];
      hsum += Math.floor(rand() * 40) / 8;
      for (let b = 0; b < BOUNDS.length; b++) {
        const ex = !dump && i % 97 === 0 && b === 4 ? ` # {trace_id="${(i * 2654435761) >>> 0}"} 0.031 ${T0 + i * STEP - 1}.5` : '';
        emit(bucketSel[b], cum[b], i, ex);
      }
      emit(countSel, total, i);
      emit(sumSel, hsum, i);
    }
  }
  if (!dump) out.line('# EOF\n');
  out.flush();
  closeSync(fd);
  return { samples, sum, series, steps };
}

const bench: BenchCase = {
  id: 'ingest-openmetrics',
  title:
    FORM === 'scrapes'
      ? `concatenated /metrics scrapes without timestamps (--scrape-interval ${SCRAPE_INTERVAL}), ~${TARGET_BYTES / 1e6} MB, 46 series per scrape`
      : `${FORM === 'dump' ? 'promtool tsdb dump' : 'OpenMetrics backfill'}, ~${TARGET_BYTES / 1e6} MB, 2 replicas × 23 series, 10 s steps, grouped by series`,
  async prepare(outDir: string): Promise<BenchPrepared> {
    const file = path.join(outDir, `ingest-${FORM}-${TARGET_BYTES / 1e6}MB.${FORM === 'openmetrics' ? 'om' : 'txt'}`);
    const metaFile = `${file}.meta.json`;
    if (!existsSync(file) || !existsSync(metaFile)) {
      // Size one step from a small run, then write the whole file.
      const probe = `${file}.probe`;
      generate(probe, 100);
      const perStep = statSync(probe).size / 100;
      unlinkSync(probe);
      const steps = Math.ceil(TARGET_BYTES / perStep);
      const meta = generate(file, steps);
      writeFileSync(metaFile, JSON.stringify(meta));
    }
    const meta = JSON.parse(readFileSync(metaFile, 'utf8')) as Meta;
    return { file, bytes: statSync(file).size, meta: { samples: meta.samples, sum: meta.sum, series: meta.series, steps: meta.steps } };
  },
  async run(prepared: BenchPrepared) {
    const a = await ingest({ inputs: [prepared.file], options: FORM === 'scrapes' ? { scrapeIntervalSeconds: SCRAPE_INTERVAL } : {} });
    let sum = 0;
    for (const s of a.metrics.series) for (let i = 0; i < s.v.length; i++) sum += s.v[i];
    const samples = a.metrics.sampleCount;
    const expected = prepared.meta!;
    return {
      items: samples,
      itemName: 'samples',
      check: {
        samples,
        sum,
        series: a.metrics.series.length,
        ok: samples === expected.samples && sum === expected.sum && a.metrics.series.length === expected.series ? 'yes' : 'NO',
      },
    };
  },
  // 200 MB/s before the bench measured ratios: about a fifth of the ~1 GB/s every-byte floor.
  targets: { floorShare: 0.2 },
};

export default bench;
