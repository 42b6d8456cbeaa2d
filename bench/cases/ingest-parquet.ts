// Parquet long format, 5M rows as DuckDB/pyarrow write it: INT64 TIMESTAMP(MICROS), dictionary
// strings, DOUBLE values, snappy, row groups of 122,880 rows (DuckDB's default). Written at bench
// time with hyparquet-writer (devDependency), so no DuckDB is needed.

import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ParquetWriter, type ColumnSource } from 'hyparquet-writer';
import { fileWriter } from 'hyparquet-writer';
import type { SchemaElement } from 'hyparquet';
import type { BenchCase, BenchPrepared } from '../lib.js';
import { ingest } from '../../src/ingest/index.js';
import { mulberry32 as rng } from '../../src/stats/prng.js';

const ROWS = Number(process.env.BENCH_PARQUET_ROWS ?? 5_000_000);
const GROUP = 122_880;
const METRICS = [
  'vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:kv_cache_usage_perc', 'vllm:prompt_tokens_total',
  'vllm:generation_tokens_total', 'vllm:num_preemptions_total', 'vllm:prefix_cache_queries_total', 'vllm:prefix_cache_hits_total',
  'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_FB_USED',
];
const INSTANCES = Array.from({ length: 8 }, (_, i) => `10.0.0.${i}:8000`);
const SERIES = METRICS.length * INSTANCES.length;


const schema: SchemaElement[] = [
  { name: 'root', num_children: 6 },
  { name: 'ts', type: 'INT64', repetition_type: 'REQUIRED', logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' } },
  { name: 'metric', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
  { name: 'value', type: 'DOUBLE', repetition_type: 'REQUIRED' },
  { name: 'instance', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
  { name: 'job', type: 'BYTE_ARRAY', repetition_type: 'REQUIRED', converted_type: 'UTF8' },
  { name: 'model_name', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL', converted_type: 'UTF8' },
];

const bench: BenchCase = {
  id: 'ingest-parquet',
  title: 'Parquet long format, 5M rows, INT64 TIMESTAMP micros, dictionary strings, snappy, 122,880-row groups',
  async prepare(outDir: string): Promise<BenchPrepared> {
    const file = path.join(outDir, `ingest-parquet-${ROWS}.parquet`);
    if (!existsSync(file)) {
      const rand = rng(7);
      const writer = new ParquetWriter({ writer: fileWriter(file), schema, codec: 'SNAPPY' });
      for (let start = 0; start < ROWS; start += GROUP) {
        const n = Math.min(GROUP, ROWS - start);
        const ts = new BigInt64Array(n);
        const metric: string[] = new Array(n);
        const value = new Float64Array(n);
        const instance: string[] = new Array(n);
        const job: string[] = new Array(n);
        const model: (string | null)[] = new Array(n);
        for (let k = 0; k < n; k++) {
          const r = start + k; // rows ordered by time, all series at each step
          const s = r % SERIES;
          const step = (r - s) / SERIES;
          ts[k] = BigInt(1732269600 + step * 10) * 1_000_000n;
          metric[k] = METRICS[s % METRICS.length];
          instance[k] = INSTANCES[(s / METRICS.length) | 0];
          job[k] = 'vllm';
          model[k] = s % 4 === 3 ? null : 'meta-llama/Llama-3.1-8B-Instruct';
          value[k] = Math.round(rand() * 1e6) / 1e4;
        }
        const columnData: ColumnSource[] = [
          { name: 'ts', data: ts },
          { name: 'metric', data: metric },
          { name: 'value', data: value },
          { name: 'instance', data: instance },
          { name: 'job', data: job },
          { name: 'model_name', data: model },
        ];
        await writer.write({ columnData, rowGroupSize: GROUP });
      }
      writer.finish();
    }
    return { file, bytes: statSync(file).size, meta: { rows: ROWS, series: SERIES } };
  },
  async run(p: BenchPrepared) {
    const a = await ingest({ inputs: [p.file] });
    const samples = a.metrics.sampleCount;
    return { items: samples, itemName: 'rows', check: { series: a.metrics.series.length, samples } };
  },
};

export default bench;
