// Every bundled dataset carries a ground truth (truth.json) that agrees with its own exports: the
// replicas, each process's settings as cache_config_info and the server log state them, the process
// start times, the log files, and episodes inside the window on a process whose pool they quote.

import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ingest } from '../../src/ingest/index.js';
import { SCENARIOS } from '../../src/simulate/index.js';
import { TRUTH_SCHEMA, type Truth } from '../../src/simulate/truth.js';
import { ROOT } from '../support/paths.js';

const DATASETS = path.join(ROOT, 'datasets');
const dirs = readdirSync(DATASETS).filter((d) => statSync(path.join(DATASETS, d)).isDirectory()).sort();

describe('bundled datasets', () => {
  it('one directory per scenario, each with its truth.json and a metrics file under 3 MB', () => {
    expect(dirs).toEqual(SCENARIOS.map((s) => s.name).sort());
    for (const d of dirs) {
      expect(existsSync(path.join(DATASETS, d, 'truth.json')), d).toBe(true);
      expect(statSync(path.join(DATASETS, d, 'metrics.json.gz')).size, d).toBeLessThan(3e6);
    }
  });

  for (const d of dirs) {
    it(`${d}: truth.json agrees with the exports and the logs`, async () => {
      const truth = JSON.parse(readFileSync(path.join(DATASETS, d, 'truth.json'), 'utf8')) as Truth;
      expect(truth.schema).toBe(TRUTH_SCHEMA);
      expect(truth.scenario).toBe(d);
      const art = await ingest({ inputs: [path.relative(process.cwd(), path.join(DATASETS, d, 'metrics.json.gz'))] });
      const instances = [...new Set(art.metrics.get('vllm:num_requests_running').map((s) => s.labels.instance))].sort();
      expect(truth.replicas.map((r) => r.instance).sort()).toEqual(instances);
      const range = art.metrics.timeRange()!;
      expect(range.start).toBe(truth.start);
      expect(range.end).toBe(truth.end - truth.scrapeIntervalSeconds);
      for (const r of truth.replicas) {
        // Each process's cache_config_info series, with its labels, while it ran.
        const infos = art.metrics.get('vllm:cache_config_info').filter((s) => s.labels.instance === r.instance);
        for (const p of r.processes) {
          const info = infos.find((s) => s.labels.num_gpu_blocks === String(p.settings.num_gpu_blocks) && s.labels.gpu_memory_utilization === String(p.settings.gpu_memory_utilization));
          expect(info, `${d} ${r.instance} process from ${p.from}`).toBeDefined();
          expect(info!.labels.enable_prefix_caching).toBe(p.settings.enable_prefix_caching ? 'True' : 'False');
          expect(info!.labels.block_size).toBe(String(p.settings.block_size));
          expect(p.kvPoolTokens).toBe(p.settings.num_gpu_blocks * p.settings.block_size);
          expect(Array.from(info!.t).some((t) => t >= p.from && t <= p.to)).toBe(true);
          expect(p.statedBy.max_num_seqs).toEqual(r.logFile ? ['log'] : []);
        }
        expect(infos.length).toBe(new Set(r.processes.map((p) => `${p.settings.num_gpu_blocks}/${p.settings.gpu_memory_utilization}/${p.settings.enable_prefix_caching}`)).size);
        // process_start_time_seconds takes exactly the processes' start times.
        const starts = art.metrics.get('process_start_time_seconds').filter((s) => s.labels.instance === r.instance);
        expect([...new Set(starts.flatMap((s) => Array.from(s.v)))].sort()).toEqual(r.processes.map((p) => Math.round(p.processStart * 100) / 100).sort());
        // The log file states the settings of the processes (max_num_seqs is only there).
        if (r.logFile) {
          const log = await ingest({ inputs: [path.relative(process.cwd(), path.join(DATASETS, d, r.logFile))] });
          const seqs = new Set([log.config.values.max_num_seqs?.value, ...log.config.conflicts.filter((c) => c.setting === 'max_num_seqs').flatMap((c) => c.values.map((v) => v.value))]);
          for (const p of r.processes) expect(seqs.has(p.settings.max_num_seqs)).toBe(true);
        }
      }
      const shipped = truth.replicas.map((r) => r.logFile).filter((f): f is string => f !== null);
      const logsOnDisk = readdirSync(path.join(DATASETS, d)).filter((f) => f.endsWith('.log')).sort();
      expect([...new Set(shipped)].sort()).toEqual(logsOnDisk);
      for (const e of truth.episodes) {
        const r = truth.replicas.find((x) => x.instance === e.replica)!;
        expect(e.kvPoolTokens).toBe(r.processes[e.process].kvPoolTokens);
        expect(e.occurred, `${d} ${e.replica} ${e.cause.from}`).toBe(true);
        expect(e.start!).toBeGreaterThanOrEqual(truth.start);
        expect(e.end!).toBeLessThanOrEqual(truth.end);
        expect(e.start!).toBeLessThan(e.end!);
        expect(e.incidentMix!.sequencesThatFit).toBe(Math.floor(e.kvPoolTokens / e.incidentMix!.tokensPerSequence!));
      }
    });
  }
});
