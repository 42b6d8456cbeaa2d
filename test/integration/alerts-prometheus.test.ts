// Generated alert rules against the real thing, on the simulated incidents of datasets/:
// 1. `promtool check rules` accepts every generated file.
// 2. Every alert expression (recording rules expanded), queried with /api/v1/query_range on a real
//    Prometheus over the backfilled dataset, returns the same label sets and values (1e-9 relative) as our
//    evaluator at every evaluation time, and the same firing episodes follow from them.
// 3. `promtool test rules` — Prometheus's own rule manager, with `for:` state — fires exactly the alerts,
//    labels and annotations our replay predicts at every checked evaluation time.

import { execFile } from 'node:child_process';
import { mkdtempSync, promises as fsp, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateRules, type RuleSet } from '../../src/alerts/rules.js';
import { incidentsOf } from '../../src/alerts/calibrate.js';
import { renderRulesYaml } from '../../src/alerts/yaml.js';
import { Evaluator, alertEpisodes, type Vec } from '../../src/alerts/evaluate.js';
import { metricsOf, render } from '../../src/alerts/expr.js';
import { SLO_PROFILES } from '../../src/derive/slo.js';
import { runAnalysis } from '../../src/engine.js';
import { ingest } from '../../src/ingest/index.js';
import { MetricSet, labelsKey, type Series } from '../../src/model/series.js';
import { evalGrid } from '../../src/stats/promql.js';
import { havePrometheus, queryRange, startPrometheus, type PromServer } from './prometheus/server.js';
import { ROOT } from '../support/paths.js';

const run = promisify(execFile);
const REL = 1e-9;
const DATASETS = ['kv-cache-thrashing', 'replica-restart', 'memory-leak', 'underutilized-demand', 'prefix-cache-misses', 'prefill-starvation', 'quality-regression'];

interface Loaded {
  name: string;
  metrics: MetricSet;
  set: RuleSet;
  yaml: string;
}

async function load(name: string): Promise<Loaded> {
  const a = await ingest({ inputs: [path.join(ROOT, 'datasets', name, 'metrics.json.gz')] });
  const r = runAnalysis(a, { name });
  const set = generateRules(a.metrics, incidentsOf(r.findings, r.inventory.window), { matchers: [], selectorText: null, intervalSeconds: 60, slo: SLO_PROFILES.chat, objective: 0.95 });
  return { name, metrics: a.metrics, set, yaml: renderRulesYaml(set, { version: 'test', inputs: [name] }) };
}

function usedMetrics(set: RuleSet): Set<string> {
  const out = new Set<string>();
  for (const a of set.alerts) metricsOf(a.expr, out);
  return out;
}

/** The series the rules read, as OpenMetrics under the names the input used (no TYPE lines: unknown). */
function openMetrics(metrics: MetricSet, names: Set<string>): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const lines: string[] = [];
  for (const s of metrics.series) {
    const n = s.rawName ?? s.name;
    if (!names.has(n)) continue;
    const sel = `${n}{${Object.entries(s.labels).map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
    for (let i = 0; i < s.t.length; i++) lines.push(`${sel} ${s.v[i]} ${s.t[i]}`);
  }
  lines.push('# EOF');
  return `${lines.join('\n')}\n`;
}

function evalTimes(metrics: MetricSet, interval: number): Float64Array {
  const r = metrics.timeRange()!;
  return evalGrid(Math.ceil(r.start / interval) * interval, r.end, interval);
}

/**
 * Elements keyed by their labels without `__name__`. Recording rules keep their names in our evaluation
 * (as in Prometheus's rule evaluation), so `a or b` over two recorded series yields two elements for one
 * label set, present at disjoint times; the inline query has no names and one element. Merge them.
 */
function asMap(vec: Vec): Map<string, { v: Float64Array; has: Uint8Array }> {
  const out = new Map<string, { v: Float64Array; has: Uint8Array }>();
  for (const el of vec.values()) {
    const { __name__: _n, ...rest } = el.labels;
    const k = labelsKey(rest);
    const prev = out.get(k);
    if (!prev) {
      out.set(k, { v: el.v.slice(), has: el.has.slice() });
      continue;
    }
    for (let i = 0; i < el.v.length; i++) {
      if (!el.has[i]) continue;
      if (prev.has[i]) throw new Error(`two elements for {${k}} at one time`);
      prev.v[i] = el.v[i];
      prev.has[i] = 1;
    }
  }
  return out;
}

// ───────────── Go's fmt %.4g and Prometheus's humanize functions, for the expected annotations ─────────────

function goG4(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return '0';
  const [mant, e] = x.toExponential(3).split('e');
  const exp = Number(e);
  const trim = (s: string) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
  if (exp < -4 || exp >= 4) return `${trim(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return trim(x.toFixed(Math.max(0, 3 - exp)));
}

function humanize(v: number, base: number, big: string[], small: string[] | null): string {
  if (v === 0 || !Number.isFinite(v)) return goG4(v);
  let prefix = '';
  if (Math.abs(v) >= 1 || !small) {
    for (const p of big) {
      if (Math.abs(v) < base) break;
      prefix = p;
      v /= base;
    }
    return `${goG4(v)}${prefix}`;
  }
  for (const p of small) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return `${goG4(v)}${prefix}`;
}

function expand(template: string, labels: Record<string, string>, value: number): string {
  return template.replace(/\{\{\s*(\$labels\.(\w+)|\$value(?:\s*\|\s*(\w+))?)\s*\}\}/g, (_m, _all, label: string | undefined, fn: string | undefined) => {
    if (label) return labels[label] ?? '';
    if (fn === 'humanizePercentage') return `${goG4(value * 100)}%`;
    if (fn === 'humanize') return humanize(value, 1000, ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'], ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y']);
    if (fn === 'humanize1024') return humanize(value, 1024, ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'], null);
    throw new Error(`template function ${fn} not modelled`);
  });
}

const yq = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** A promtool unit-test file whose expected alerts are our replay's, at every 10 minutes and every transition. */
function promtoolTest(l: Loaded, rulesFile: string): { text: string; checks: number; firing: number } {
  const iv = l.set.intervalSeconds;
  const times = evalTimes(l.metrics, iv);
  const shift = times[0];
  const names = usedMetrics(l.set);
  const shifted: Series[] = [];
  const input: string[] = [];
  const step = 10;
  for (const s of l.metrics.series) {
    const n = s.rawName ?? s.name;
    if (!names.has(n)) continue;
    const t = Float64Array.from(s.t, (x) => x - shift);
    shifted.push({ ...s, t });
    const last = Math.round(t[t.length - 1] / step);
    const vals: string[] = new Array(last + 1).fill('_');
    for (let i = 0; i < t.length; i++) {
      const k = t[i] / step;
      if (!Number.isInteger(k) || k < 0) throw new Error(`${n}: sample at ${s.t[i]} is not on the ${step} s grid from ${shift}`);
      vals[k] = String(s.v[i]);
    }
    const sel = `${n}{${Object.entries(s.labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}}`;
    input.push(`      - series: ${yq(sel)}\n        values: ${yq(vals.join(' '))}`);
  }
  const rel = Float64Array.from(times, (x) => x - shift);
  const ev = new Evaluator(new MetricSet(shifted), rel);
  const tests: string[] = [];
  let checks = 0;
  let firing = 0;
  for (const a of l.set.alerts) {
    const vec = ev.evaluate(a.expr);
    const byLabels = asMap(vec);
    const episodes = alertEpisodes(vec, rel, a.forSeconds);
    const checkAt = new Set<number>();
    for (let i = 0; i < rel.length; i += 10) checkAt.add(rel[i]);
    for (const e of episodes) {
      for (const t of [e.firingSinceSeconds - iv, e.firingSinceSeconds, e.lastFiringSeconds, e.lastFiringSeconds + iv]) if (t >= 0 && t <= rel[rel.length - 1]) checkAt.add(t);
    }
    for (const t of [...checkAt].sort((x, y) => x - y)) {
      const i = Math.round(t / iv);
      const exp: string[] = [];
      for (const e of episodes) {
        if (!(e.firingSinceSeconds <= t && t <= e.lastFiringSeconds)) continue;
        const el = byLabels.get(labelsKey(e.labels))!;
        const labels = { ...e.labels, severity: a.severity };
        const lab = Object.entries(labels).map(([k, v]) => `              ${k}: ${yq(v)}`).join('\n');
        exp.push(
          `          - exp_labels:\n${lab}\n            exp_annotations:\n              summary: ${yq(expand(a.summary, labels, el.v[i]))}\n              description: ${yq(expand(a.description, labels, el.v[i]))}`,
        );
        firing++;
      }
      checks++;
      tests.push(`      - eval_time: ${t}s\n        alertname: ${a.alert}\n        exp_alerts:${exp.length ? `\n${exp.join('\n')}` : ' []'}`);
    }
  }
  const text = `rule_files:\n  - ${rulesFile}\nevaluation_interval: ${iv}s\ntests:\n  - interval: ${step}s\n    input_series:\n${input.join('\n')}\n    alert_rule_test:\n${tests.join('\n')}\n`;
  return { text, checks, firing };
}

describe.skipIf(!havePrometheus())('generated alert rules against promtool and a real Prometheus', () => {
  const loaded = new Map<string, Loaded>();
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-alerts-'));
    for (const d of DATASETS) loaded.set(d, await load(d));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('promtool check rules accepts every generated file', async () => {
    for (const l of loaded.values()) {
      const f = path.join(dir, `${l.name}.rules.yml`);
      await fsp.writeFile(f, l.yaml);
      const { stdout } = await run('promtool', ['check', 'rules', f]);
      expect(stdout, l.name).toMatch(/SUCCESS: \d+ rules found/);
    }
  }, 60_000);

  it('the datasets make the expected rules fire (so the checks below compare firing alerts, not silence)', () => {
    const fired = (d: string) => new Set(loaded.get(d)!.set.alerts.filter((a) => a.episodes.length).map((a) => a.alert));
    expect([...fired('kv-cache-thrashing')]).toEqual(expect.arrayContaining(['VllmKvCachePressure', 'VllmQueueBuildup']));
    expect([...fired('replica-restart')]).toContain('VllmReplicaRestart');
    expect([...fired('memory-leak')]).toContain('VllmMemoryGrowth');
    expect([...fired('prefix-cache-misses')]).toContain('VllmPrefixCacheHitRateDrop');
    expect([...fired('underutilized-demand')]).toContain('VllmGpuUnderused');
    expect([...fired('prefill-starvation')]).toContain('VllmQueueBuildup');
    expect([...fired('quality-regression')]).toEqual(['VllmTruncationRise']);
    // Healthy replicas stay quiet: the leak is on 10.0.0.11 only, the restart and the truncation on 10.0.0.12 only.
    expect(loaded.get('memory-leak')!.set.alerts.find((a) => a.alert === 'VllmMemoryGrowth')!.episodes.map((e) => e.labels.instance)).toEqual(['10.0.0.11:8000']);
    expect(loaded.get('replica-restart')!.set.alerts.find((a) => a.alert === 'VllmReplicaRestart')!.episodes.map((e) => e.labels.instance)).toEqual(['10.0.0.12:8000']);
    expect(loaded.get('quality-regression')!.set.alerts.find((a) => a.alert === 'VllmTruncationRise')!.episodes.map((e) => e.labels.instance)).toEqual(['10.0.0.12:8000']);
  });

  for (const d of DATASETS) {
    it(`${d}: every alert expression equals Prometheus's query_range, and so do its firing episodes`, async () => {
      const l = loaded.get(d)!;
      const om = path.join(dir, `${d}.om`);
      await fsp.writeFile(om, openMetrics(l.metrics, usedMetrics(l.set)));
      let server: PromServer | undefined;
      try {
        server = await startPrometheus({ omFile: om });
        const times = evalTimes(l.metrics, l.set.intervalSeconds);
        const ev = new Evaluator(l.metrics, times);
        let points = 0;
        let firingEpisodes = 0;
        for (const a of l.set.alerts) {
          const ours = ev.evaluate(a.expr);
          const res = await queryRange(server.url, render(a.expr, 'inline'), times[0], times[times.length - 1], l.set.intervalSeconds);
          const theirs: Vec = new Map();
          for (const r of res) {
            const v = new Float64Array(times.length);
            const has = new Uint8Array(times.length);
            for (const [t, s] of r.values) {
              const i = Math.round((t - times[0]) / l.set.intervalSeconds);
              v[i] = s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
              has[i] = 1;
            }
            theirs.set(labelsKey(r.metric), { labels: r.metric, v, has });
          }
          const o = asMap(ours);
          const p = asMap(theirs);
          expect([...o.keys()].filter((k) => o.get(k)!.has.some((x) => x)).sort(), `${a.alert} label sets`).toEqual([...p.keys()].sort());
          for (const [k, pe] of p) {
            const oe = o.get(k)!;
            for (let i = 0; i < times.length; i++) {
              expect(oe.has[i], `${a.alert} {${k}} @${times[i]} presence`).toBe(pe.has[i]);
              if (!pe.has[i]) continue;
              const x = oe.v[i];
              const y = pe.v[i];
              if (!(x === y || (Number.isNaN(x) && Number.isNaN(y)))) expect(Math.abs(x - y) / Math.max(Math.abs(x), Math.abs(y)), `${a.alert} {${k}} @${times[i]}: ours ${x}, Prometheus ${y}`).toBeLessThanOrEqual(REL);
              points++;
            }
          }
          const epOurs = alertEpisodes(ours, times, a.forSeconds);
          expect(epOurs, a.alert).toEqual(alertEpisodes(theirs, times, a.forSeconds));
          firingEpisodes += epOurs.length;
        }
        expect(points).toBeGreaterThan(0);
        expect(firingEpisodes).toBeGreaterThan(0);
      } finally {
        await server?.stop();
      }
    }, 120_000);

    it(`${d}: promtool test rules (Prometheus's rule manager) fires what our replay predicts`, async () => {
      const l = loaded.get(d)!;
      const rules = path.join(dir, `${d}.rules.yml`);
      await fsp.writeFile(rules, l.yaml);
      const t = promtoolTest(l, rules);
      expect(t.firing).toBeGreaterThan(0);
      const testFile = path.join(dir, `${d}.test.yml`);
      await fsp.writeFile(testFile, t.text);
      try {
        await run('promtool', ['test', 'rules', testFile], { maxBuffer: 64 << 20 });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string };
        throw new Error(`promtool test rules failed for ${d}:\n${(err.stdout ?? '').slice(0, 6000)}\n${(err.stderr ?? '').slice(0, 2000)}`);
      }
      if (d === 'kv-cache-thrashing') {
        // The check has teeth: one expected alert left out, and promtool must refuse.
        const broken = t.text.replace(/\n {10}- exp_labels:[\s\S]*?(?=\n {6}- eval_time|\n {10}- exp_labels|$)/, '');
        expect(broken).not.toBe(t.text);
        await fsp.writeFile(testFile, broken);
        await expect(run('promtool', ['test', 'rules', testFile], { maxBuffer: 64 << 20 })).rejects.toThrow();
      }
    }, 120_000);
  }
});
