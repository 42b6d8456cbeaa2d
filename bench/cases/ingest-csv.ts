// CSV long format (time, metric, value, label columns) of ~300 MB: rows interleaved by time
// (the worst case for the same-series fast path), one label value with a quoted comma.

import { existsSync, openSync, statSync, writeSync, closeSync } from 'node:fs';
import path from 'node:path';
import type { BenchCase, BenchPrepared } from '../lib.js';
import { ingest } from '../../src/ingest/index.js';
import { mulberry32 as rng } from '../../src/stats/prng.js';

const TARGET_BYTES = Number(process.env.BENCH_CSV_MB ?? 300) * 1e6;
const METRICS = [
  'vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total', 'vllm:num_preemptions_total', 'vllm:prefix_cache_queries_total', 'vllm:prefix_cache_hits_total',
  'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED',
];
const INSTANCES = 8;


const bench: BenchCase = {
  id: 'ingest-csv',
  title: 'CSV long format, ~300 MB, 80 series interleaved by time (byte tokenizer; csv-parse before)',
  async prepare(outDir: string): Promise<BenchPrepared> {
    const file = path.join(outDir, `ingest-csv-long-${TARGET_BYTES / 1e6}MB.csv`);
    const series = METRICS.length * INSTANCES;
    if (!existsSync(file)) {
      const rand = rng(42);
      const fd = openSync(file, 'w');
      let buf = 'timestamp,metric,value,instance,job,model_name\n';
      let bytes = 0;
      for (let step = 0; bytes < TARGET_BYTES; step++) {
        const t = 1732269600 + step * 10;
        for (let m = 0; m < METRICS.length; m++) {
          for (let i = 0; i < INSTANCES; i++) {
            const model = i % 4 === 3 ? '"org/m, v2"' : 'meta-llama/Llama-3.1-8B-Instruct';
            buf += `${t},${METRICS[m]},${(rand() * 100).toFixed(4)},10.0.0.${i}:8000,vllm,${model}\n`;
          }
        }
        if (buf.length >= 1 << 20) {
          bytes += writeSync(fd, buf);
          buf = '';
        }
      }
      if (buf) writeSync(fd, buf);
      closeSync(fd);
    }
    const bytes = statSync(file).size;
    return { file, bytes, meta: { series } };
  },
  async run(p: BenchPrepared) {
    const a = await ingest({ inputs: [p.file] });
    const samples = a.metrics.sampleCount;
    return { items: samples, itemName: 'rows', check: { series: a.metrics.series.length, samples, warnings: a.warnings.length } };
  },
};

export default bench;
