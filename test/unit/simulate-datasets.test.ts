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
// Datasets that are real captures, not simulator runs (their own README says where they come from).
const CAPTURED = ['profile-h200'];
const dirs = readdirSync(DATASETS).filter((d) => statSync(path.join(DATASETS, d)).isDirectory() && !CAPTURED.includes(d)).sort();

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
      // Real files kept next to the generated ones: listed by the scenario, present, and nothing else unlisted.
      const scenario = SCENARIOS.find((s) => s.name === d)!;
      const generated = new Set(['metrics.json.gz', 'truth.json', 'README.md', ...shipped]);
      expect(readdirSync(path.join(DATASETS, d)).filter((f) => !generated.has(f)).sort()).toEqual((scenario.companions ?? []).map((c) => c.file).sort());
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

describe('capacity-week: demand, capacity and saturation in truth.json agree with the generator', () => {
  const t = JSON.parse(readFileSync(path.join(DATASETS, 'capacity-week', 'truth.json'), 'utf8')) as Truth;

  it('daily peaks grow 4 % a day on like days, weekends at 0.6, and what arrived matches within Poisson noise', () => {
    const d = t.demand![0];
    expect(d.growthPerDay).toBe(0.04);
    expect(d.weekendFactor).toBe(0.6);
    const full = d.dailyPeaks.filter((p) => !p.partial);
    expect(full.length).toBe(6);
    const weekday = (p: { day: string }) => ![0, 6].includes(new Date(`${p.day}T00:00:00Z`).getUTCDay());
    for (let i = 1; i < full.length; i++) {
      const a = full[i - 1];
      const b = full[i];
      if (weekday(a) !== weekday(b)) continue;
      const days = (b.peakHourStart - a.peakHourStart) / 86400;
      expect(b.generatorRps / a.generatorRps).toBeCloseTo(Math.pow(1.04, days), 3);
    }
    const sat = full.find((p) => !weekday(p))!;
    const fri = full.find((p) => p.day === '2025-11-21')!;
    expect(sat.generatorRps / fri.generatorRps).toBeCloseTo(0.6 * Math.pow(1.04, (sat.peakHourStart - fri.peakHourStart) / 86400), 3);
    for (const p of d.dailyPeaks) {
      const sd = Math.sqrt(p.generatorRps * 3600) / 3600;
      expect(Math.abs(p.arrivedRps - p.generatorRps)).toBeLessThan(4 * sd + 1e-9);
    }
  });

  it('the capacity is the last rate meeting both targets, and saturation follows from the weekday peak formula', () => {
    const c = t.capacity!;
    for (const p of c.points) expect(p.meetsTargets).toBe(p.requestsPerSecond <= c.requestsPerSecond);
    expect(c.limitedBy).toBe('tbt');
    // Weekday peak hour ≈ 0.7 × (1 + 0.5) × 1.04^(days since start) (the sine's peak, hour-averaged: × ~0.998).
    const daysToCap = Math.log(c.requestsPerSecond / (0.7 * 1.5)) / Math.log(1.04);
    const s = t.saturation!;
    const daysFromStart = (s.peakHourStart! - t.start) / 86400;
    expect(Math.abs(daysFromStart - daysToCap)).toBeLessThan(1.2);
    expect(new Date(s.peakHourStart! * 1000).getUTCDay()).not.toBe(0);
    expect(s.replicasNeeded.replicas).toBe(Math.ceil(s.replicasNeeded.fleetPeakRps / c.requestsPerSecond));
  });
});

describe('before/after pairs: the same requests, the stated change', () => {
  for (const [name, setting, before, after] of [
    ['fix-kv-pool', 'gpu_memory_utilization', 0.31, 0.9],
    ['fix-max-num-seqs', 'max_num_seqs', 8, 64],
  ] as const) {
    it(name, () => {
      const b = JSON.parse(readFileSync(path.join(DATASETS, `${name}-before`, 'truth.json'), 'utf8')) as Truth;
      const a = JSON.parse(readFileSync(path.join(DATASETS, `${name}-after`, 'truth.json'), 'utf8')) as Truth;
      expect(b.pair).toMatchObject({ name, role: 'before', peer: `${name}-after` });
      expect(a.pair).toMatchObject({ name, role: 'after', peer: `${name}-before` });
      expect(b.pair!.change.filter((c) => c.setting === setting)).toEqual(b.replicas.map((r) => ({ replica: r.instance, setting, before, after })));
      expect(a.pair!.change).toEqual(b.pair!.change);
      // The same requests: identical arrival counts per replica.
      expect(a.replicas.map((r) => r.totals.arrived)).toEqual(b.replicas.map((r) => r.totals.arrived));
      expect(a.replicas.map((r) => r.whole.requestsPerSecond)).toEqual(b.replicas.map((r) => r.whole.requestsPerSecond));
    });
  }
});
