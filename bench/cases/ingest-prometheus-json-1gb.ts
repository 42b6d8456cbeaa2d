// The same query_range layout as ingest-prometheus-json at ~1 GB (28 replicas, 42M samples): proves
// there is no input-size limit from V8's ~512 MiB string cap (whole-file JSON.parse fails here with
// ERR_STRING_TOO_LONG) and that memory follows the retained samples, not the file size.
// Opt-in: it runs only when named, `npm run bench -- ingest-prometheus-json-1gb` (generation ≈ 22 s
// on this shared 2-core machine, ≈ 1 GB in bench/out/, ≈ 760 MB peak RSS for 676 MB of samples).

import type { BenchCase } from '../lib.js';
import { preparePromJson, retainedMb, runPromJson, type PromJsonBenchSpec } from './ingest-prometheus-json.js';

const SPEC: PromJsonBenchSpec = { replicas: 28, samplesPerSeries: 10000, seed: 20261123 };

const benchCase: BenchCase = {
  id: 'ingest-prometheus-json-1gb',
  title: 'Prometheus query_range JSON at ~1 GB (42M samples) through ingest() — opt-in',
  optIn: true,
  prepare: (outDir) => preparePromJson(outDir, 'prometheus-query-range-1gb', SPEC),
  run: runPromJson,
  targets: { floorShare: 0.3, peakRssMb: Math.round(2 * retainedMb(SPEC) + 150) },
  // The default reads the file with every core (prometheus-json/parallel.ts); the same on one thread:
  variants: [{ label: 'one thread (VLLM_TUNE_WORKERS=1)', env: { VLLM_TUNE_WORKERS: '1' } }],
};

export default benchCase;
