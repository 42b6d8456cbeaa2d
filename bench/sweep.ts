// Robustness sweep against the simulator's ground truth (not part of `npm test`: it simulates and
// analyses 111 datasets by default, about 7 minutes on two shared cores; with --extra 176 plus a single-replica run each, about 15 minutes).
//
//   npm run sweep [-- scenario… --variations v1,v2 --extra]   (= npm run build && node dist/bench/sweep.js …)
//
// For each scenario of `vllm-tune simulate --list` and each variation (other seeds, scrape intervals
// of 15 s and 30 s, another replica count), it runs `vllm-tune simulate` then `vllm-tune analyze --json`
// and checks the Result against the truth.json the simulator wrote:
//  - MISS: every true incident that occurred (truth.episodes) is found on its replica, as its code (or,
//    for PREFILL_STARVATION, a QUEUE_BUILDUP or a LATENCY_SLO_BREACH localised in time, as in
//    test/unit/scenarios.test.ts) with an episode starting within max(5 min, 3 scrapes) of the truth and
//    ending within max(10 min, 3 scrapes). Faults with no episode in truth.json (generator.faults and
//    processes) are checked too: a memory leak → MEMORY_LEAK on that replica; a restart or redeploy →
//    REPLICA_RESTART starting within the same tolerance; a slowed GPU → REPLICA_SLOWDOWN.
//  - FALSE: no KV_CACHE_THRASHING / PREFILL_STARVATION / GPU_UNDERUTILIZED / MEMORY_LEAK /
//    REPLICA_RESTART / REPLICA_SLOWDOWN on a replica the truth calls healthy for it.
//  - QUIET: a scenario with nothing wrong (healthy-baseline, the "-after" halves) gives nothing above info.
//  - REC: every recommendation is for replicas its findings concern, and every value (the flag and the
//    numbers it was computed from) is finite and plausible.
//  - EPISODE / CAUSE: every episode lies in the window; a consequence's cause is a finding that shares a replica.
//  - FORMAT (with --extra): the s2 data written as OpenMetrics text and as CSV give the same findings
//    (code, severity, replicas, episodes) and recommendations as the JSON export of s2 (when s2 ran).
//  - soft differences against the default-seed expectations (test/support/expected-findings.ts,
//    by replica index) are printed as "diff", not counted as failures: they are for a person to judge.
//
// Exit code 1 when any check fails. The per-run JSON goes to bench/out/sweep/<scenario>/<variation>/.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXPECTED as EXPECTED_FINDINGS } from '../test/support/expected-findings.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(here, '..', '..');
const CLI = path.join(ROOT, 'bin', 'vllm-tune');

interface Variation {
  id: string;
  seed: number;
  interval?: number;
  replicas?: number;
  hours?: number;
  /** `simulate --format` (default json,log): the same data written as another export format. */
  format?: string;
  /** For a format variation: the variation with the same data in JSON, whose findings and
   *  recommendations this one must equal (FORMAT check). */
  sameAs?: string;
}

const VARIATIONS: Variation[] = [
  { id: 's1', seed: 1 }, // the bundled datasets' own seed, for reference
  { id: 's2', seed: 2 },
  { id: 's3', seed: 3 },
  { id: 's2-i15', seed: 2, interval: 15 },
  { id: 's3-i30', seed: 3, interval: 30 },
  { id: 's2-r3', seed: 2, replicas: 3 },
];
/** With --extra: more seeds, a fourth replica, a longer window, a single replica. */
const EXTRA: Variation[] = [
  { id: 's4', seed: 4 },
  { id: 's5-i30', seed: 5, interval: 30 },
  { id: 's4-r4', seed: 4, replicas: 4 },
  { id: 's3-h2', seed: 3, hours: 2 },
  { id: 's2-r1', seed: 2, replicas: 1 },
  // The s2 data as OpenMetrics text and as CSV (with the same logs): the same findings, episodes and
  // recommendations as from the JSON export, or the format changed the diagnosis.
  { id: 's2-om', seed: 2, format: 'openmetrics,log', sameAs: 's2' },
  { id: 's2-csv', seed: 2, format: 'csv,log', sameAs: 's2' },
];

/** Scenarios whose size makes every variation too slow: one variation each (a week at 10-minute scrapes). */
const ONE_VARIATION: Record<string, string[]> = { 'capacity-week': ['s2'], 'redeploy-regression': ['s1', 's2', 's3', 's3-i30'] };
/** Scenarios with a fixed fleet (the replica count is part of the story). */
const FIXED_FLEET = new Set(['config-drift', 'gemm-bound-capped']);
const QUIET = new Set(['healthy-baseline', 'fix-kv-pool-after', 'fix-max-num-seqs-after']);

// The default-seed expectations (test/support/expected-findings.ts, which test/unit/scenarios.test.ts
// checks), by replica index: 10.0.0.11:8000 is 0, 10.0.0.12:8000 is 1, …; a scope that is not replicas by
// its first word (`group`, `rank`). The cause a finding is shown under is not compared here.
const EXPECTED: Record<string, string[]> = Object.fromEntries(Object.entries(EXPECTED_FINDINGS).map(([s, list]) => [s, [...new Set(list.flatMap(byIndex))]]));

function byIndex(label: string): string[] {
  const at = label.indexOf('@');
  const code = label.slice(0, at);
  const scope = label.slice(at + 1).split('<')[0];
  const ips = scope.split(', ').map((x) => /^10\.0\.0\.(\d+):8000$/.exec(x));
  if (ips.every((m) => m !== null)) return ips.map((m) => `${code}@${Number(m![1]) - 11}`);
  return [`${code}@${scope.split(' ')[0]}`];
}

interface Truth {
  start: number;
  end: number;
  scrapeIntervalSeconds: number;
  replicas: { instance: string; processes: { cause: string; from: number; to: number }[]; generator: { faults?: { kind: string; start?: number; at?: number }[] } }[];
  episodes: { replica: string; pathology: string; occurred: boolean; start: number | null; end: number | null; cause: { from: number; to: number } }[];
}

interface Episode {
  startSeconds: number;
  endSeconds: number;
}
interface Finding {
  code: string;
  scope: string;
  severity: string;
  replicas: string[];
  causedBy?: string;
  episodes: Episode[];
}
interface Recommendation {
  id: string;
  setting: string;
  replicas: string[];
  to: unknown;
  current?: { value: unknown };
  findings: string[];
  reason: { numbers: Record<string, unknown> };
}
interface Result {
  findings: Finding[];
  recommendations: Recommendation[];
}

const PATHOLOGY_CODES = ['KV_CACHE_THRASHING', 'PREFILL_STARVATION', 'GPU_UNDERUTILIZED', 'MEMORY_LEAK', 'REPLICA_RESTART', 'REPLICA_SLOWDOWN'];

function cli(args: string[]): string {
  return execFileSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

interface Incident {
  replica: string;
  codes: string[];
  start: number | null;
  end: number | null;
  /** The end of the cause window when the truth's episode ended before it (after a gap of more than 2 bins). */
  causeEnd: number | null;
  what: string;
}

function incidents(t: Truth): Incident[] {
  const out: Incident[] = [];
  for (const e of t.episodes.filter((x) => x.occurred)) {
    const codes = e.pathology === 'PREFILL_STARVATION' ? ['PREFILL_STARVATION', 'QUEUE_BUILDUP', 'LATENCY_SLO_BREACH'] : [e.pathology];
    out.push({ replica: e.replica, codes, start: e.start, end: e.end, causeEnd: e.end !== null && e.end < e.cause.to ? e.cause.to : null, what: e.pathology });
  }
  for (const r of t.replicas) {
    for (const f of r.generator.faults ?? []) {
      if (f.kind === 'memory-leak') out.push({ replica: r.instance, codes: ['MEMORY_LEAK'], start: null, end: null, causeEnd: null, what: 'memory-leak' });
      if (f.kind === 'slow-gpu') out.push({ replica: r.instance, codes: ['REPLICA_SLOWDOWN'], start: t.start + (f.start ?? 0), end: null, causeEnd: null, what: 'slow-gpu' });
    }
    // Each later process is a restart (a fault or a redeploy): its down time starts where the previous one ends.
    for (let i = 1; i < r.processes.length; i++) out.push({ replica: r.instance, codes: ['REPLICA_RESTART'], start: r.processes[i - 1].to, end: null, causeEnd: null, what: `restart(${r.processes[i].cause})` });
  }
  return out;
}

function truthReplicas(scenario: string, t: Truth, code: string): Set<string> {
  const s = new Set<string>();
  // Findings with no incident in truth.json (GPU_UNDERUTILIZED when demand-bound): the default-seed
  // expectation by replica index; a replica added by --replicas counts when every default one has it.
  const want = EXPECTED[scenario] ?? [];
  const all = want.includes(`${code}@0`) && want.includes(`${code}@1`) && !FIXED_FLEET.has(scenario);
  t.replicas.forEach((r, i) => {
    if (want.includes(`${code}@${i}`) || (i >= 2 && all)) s.add(r.instance);
  });
  for (const e of t.episodes) if (e.pathology === code) s.add(e.replica);
  for (const r of t.replicas) {
    for (const f of r.generator.faults ?? []) {
      if (code === 'MEMORY_LEAK' && f.kind === 'memory-leak') s.add(r.instance);
      if (code === 'REPLICA_SLOWDOWN' && f.kind === 'slow-gpu') s.add(r.instance);
    }
    if (code === 'REPLICA_RESTART' && r.processes.length > 1) s.add(r.instance);
  }
  return s;
}

const isNum = (x: unknown): x is number => typeof x === 'number';

function plausible(rec: Recommendation): string | null {
  const v = rec.to;
  for (const [k, x] of Object.entries(rec.reason?.numbers ?? {})) if (isNum(x) && !Number.isFinite(x)) return `${rec.setting}: reason number ${k}=${x}`;
  switch (rec.setting) {
    case 'max_num_seqs':
      return isNum(v) && Number.isInteger(v) && v >= 1 && v <= 4096 ? null : `max_num_seqs → ${v}`;
    case 'max_num_batched_tokens':
      return isNum(v) && Number.isInteger(v) && v >= 64 && v <= 1 << 20 ? null : `max_num_batched_tokens → ${v}`;
    case 'gpu_memory_utilization':
      return isNum(v) && v > 0.05 && v <= 0.98 ? null : `gpu_memory_utilization → ${v}`;
    case 'tensor_parallel_size':
      return isNum(v) && Number.isInteger(v) && v >= 1 && v <= 64 ? null : `tensor_parallel_size → ${v}`;
    case 'kv_cache_dtype':
      return typeof v === 'string' && /^(auto|fp8|fp8_e4m3|fp8_e5m2)$/.test(v) ? null : `kv_cache_dtype → ${v}`;
    case 'enable_chunked_prefill':
    case 'enforce_eager':
      return typeof v === 'boolean' || v === 'true' || v === 'false' ? null : `${rec.setting} → ${v}`;
    default:
      return isNum(v) && !Number.isFinite(v) ? `${rec.setting} → ${v}` : null;
  }
}

interface Outcome {
  scenario: string;
  variation: string;
  ok: boolean;
  failures: string[];
  diffs: string[];
  seconds: number;
  error?: string;
  /** What a format variation compares: findings (code, severity, replicas, episodes) and recommendations. */
  signature?: string[];
}

/** The diagnosis of a Result, independent of the input's format. */
function signature(r: Result): string[] {
  const f = r.findings.map((x) => `${x.code}/${x.severity}/${x.replicas.join('+')}/${x.episodes.map((e) => `${Math.round(e.startSeconds)}-${Math.round(e.endSeconds)}`).join(',')}`);
  const rec = r.recommendations.map((x) => `${x.setting}=${String(x.to)}@${x.replicas.join('+')}`);
  return [...f.sort(), ...rec.sort()];
}

function check(scenario: string, t: Truth, r: Result): { failures: string[]; diffs: string[] } {
  const failures: string[] = [];
  const diffs: string[] = [];
  const iv = t.scrapeIntervalSeconds;
  const tolStart = Math.max(300, 3 * iv);
  const tolEnd = Math.max(600, 3 * iv);
  const rel = (x: number) => Math.round((x - t.start) / 60);
  for (const inc of incidents(t)) {
    const eps = r.findings.filter((f) => inc.codes.includes(f.code) && f.replicas.includes(inc.replica)).flatMap((f) => f.episodes);
    const any = r.findings.some((f) => inc.codes.includes(f.code) && f.replicas.includes(inc.replica));
    const hit = eps.find((e) => (inc.start === null || Math.abs(e.startSeconds - inc.start) <= tolStart) && (inc.end === null || Math.abs(e.endSeconds - inc.end) <= tolEnd));
    // truth.json keeps only the first run of affected bins in a cause window (truth-episodes.ts: it stops at a
    // gap of more than 2 bins); when the cause lasts longer, a later end (up to the cause's end) cannot be
    // judged from the truth and is reported as a soft difference, not a failure.
    const truncated = !hit && inc.causeEnd !== null ? eps.find((e) => Math.abs(e.startSeconds - inc.start!) <= tolStart && e.endSeconds > inc.end! && e.endSeconds <= inc.causeEnd! + tolEnd) : undefined;
    if (truncated) diffs.push(`~${inc.what}@${inc.replica} ends ${rel(truncated.endSeconds)} min, truth ${rel(inc.end!)} (first run only; cause to ${rel(inc.causeEnd!)})`);
    else if (!any) failures.push(`MISS ${inc.what}@${inc.replica} [${inc.start === null ? '' : rel(inc.start)}–${inc.end === null ? '' : rel(inc.end)} min]: no ${inc.codes[0]}`);
    else if (!hit) failures.push(`MISS ${inc.what}@${inc.replica} [${inc.start === null ? '' : rel(inc.start)}–${inc.end === null ? '' : rel(inc.end)} min]: episodes ${eps.map((e) => `${rel(e.startSeconds)}–${rel(e.endSeconds)}`).join(', ')}`);
  }
  for (const code of PATHOLOGY_CODES) {
    const ok = truthReplicas(scenario, t, code);
    for (const f of r.findings.filter((x) => x.code === code)) {
      const bad = f.replicas.filter((x) => !ok.has(x));
      if (bad.length) failures.push(`FALSE ${code}@${bad.join(',')} (${f.severity}) ${f.episodes.map((e) => `${rel(e.startSeconds)}–${rel(e.endSeconds)}`).join(', ')}`);
    }
  }
  if (QUIET.has(scenario)) {
    for (const f of r.findings.filter((x) => x.severity !== 'info')) failures.push(`QUIET ${f.code}@${f.scope} is ${f.severity}`);
  }
  const byId = new Map(r.findings.map((f) => [`${f.code}@${f.scope}`, f]));
  // Every episode inside the window, start before end; a consequence shares a replica with its cause.
  for (const f of r.findings) {
    for (const e of f.episodes) if (!(e.startSeconds >= t.start - iv && e.endSeconds <= t.end + iv && e.startSeconds <= e.endSeconds)) failures.push(`EPISODE ${f.code}@${f.scope} ${e.startSeconds}–${e.endSeconds} outside ${t.start}–${t.end}`);
    if (f.causedBy) {
      const cause = byId.get(f.causedBy);
      if (!cause) failures.push(`CAUSE ${f.code}@${f.scope} caused by ${f.causedBy}, which is not a finding`);
      else if (f.replicas.length && cause.replicas.length && !f.replicas.some((x) => cause.replicas.includes(x))) failures.push(`CAUSE ${f.code}@${f.scope} caused by ${f.causedBy} on other replicas`);
    }
  }
  for (const rec of r.recommendations) {
    const p = plausible(rec);
    if (p) failures.push(`REC ${rec.id} ${p}`);
    const concerned = new Set(rec.findings.flatMap((id) => byId.get(id)?.replicas ?? []));
    const stray = rec.replicas.filter((x) => !concerned.has(x));
    if (stray.length) failures.push(`REC ${rec.id} ${rec.setting} for ${stray.join(',')} which its findings (${rec.findings.join('; ')}) do not concern`);
  }
  // Soft: differences against the default-seed expectations, by replica index.
  const index = new Map(t.replicas.map((x, i) => [x.instance, i]));
  const got = new Set<string>();
  for (const f of r.findings) {
    if (!f.replicas.length || f.code === 'CAPACITY_HEADROOM_LOW' || f.code === 'GEMM_BOUND') got.add(`${f.code}@${f.scope.split(' ')[0]}`);
    for (const x of f.replicas) got.add(`${f.code}@${index.get(x) ?? x}`);
  }
  const want = new Set(EXPECTED[scenario] ?? []);
  const extraReplicas = t.replicas.length > 2 && !FIXED_FLEET.has(scenario);
  for (const w of want) if (!got.has(w)) diffs.push(`-${w}`);
  for (const g of got) if (!want.has(g) && !(extraReplicas && Number(g.split('@')[1]) >= 2)) diffs.push(`+${g}`);
  if (extraReplicas) for (const g of got) if (Number(g.split('@')[1]) >= 2) diffs.push(`(${g})`);
  return { failures, diffs };
}

function main(): void {
  const args = process.argv.slice(2);
  const vi = args.indexOf('--variations');
  const variations = args.includes('--extra') ? [...VARIATIONS, ...EXTRA] : VARIATIONS;
  const only = args.filter((a, i) => !a.startsWith('--') && !(vi >= 0 && i === vi + 1));
  const vset = vi >= 0 ? new Set(args[vi + 1].split(',')) : null;
  const scenarios = cli(['simulate', '--list'])
    .split('\n')
    .map((l) => l.split(/\s+/)[0])
    .filter((x) => x && (only.length === 0 || only.includes(x)));
  const outRoot = path.join(ROOT, 'bench', 'out', 'sweep');
  const outcomes: Outcome[] = [];
  for (const scenario of scenarios) {
    for (const v of variations) {
      if (vset && !vset.has(v.id)) continue;
      if (ONE_VARIATION[scenario] && !ONE_VARIATION[scenario].includes(v.id)) continue;
      if (v.replicas && FIXED_FLEET.has(scenario)) continue;
      // A longer window only for the one-hour scenarios (their incidents sit at fixed minutes).
      if (v.hours && ['capacity-week', 'redeploy-regression', 'memory-leak', 'config-drift', 'long-prompt-burst', 'quality-regression', 'replica-restart'].includes(scenario)) continue;
      const dir = path.join(outRoot, scenario, v.id);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      const data = path.join(dir, 'data');
      const t0 = Date.now();
      const o: Outcome = { scenario, variation: v.id, ok: false, failures: [], diffs: [], seconds: 0 };
      try {
        const sim = ['simulate', '--scenario', scenario, '--out', data, '--seed', String(v.seed)];
        if (v.interval) sim.push('--interval', String(v.interval));
        if (v.replicas) sim.push('--replicas', String(v.replicas));
        if (v.hours) sim.push('--hours', String(v.hours));
        if (v.format) sim.push('--format', v.format);
        cli(sim);
        // Keep only what a user has: the exports and logs (plus any trace the scenario ships), not the truth.
        const truth = JSON.parse(readFileSync(path.join(data, 'truth.json'), 'utf8')) as Truth;
        rmSync(path.join(data, 'truth.json'));
        writeFileSync(path.join(dir, 'truth.json'), JSON.stringify(truth));
        rmSync(path.join(data, 'README.md'), { force: true });
        // gemm-bound-capped: the simulated metrics go with the real trace bundled in the dataset.
        const inputs = [data];
        if (scenario === 'gemm-bound-capped') for (const f of readdirSync(path.join(ROOT, 'datasets', scenario))) if (f.includes('.trace.')) inputs.push(path.join(ROOT, 'datasets', scenario, f));
        cli(['analyze', ...inputs, '--json', '--no-charts', '--no-what-if', '-q', '-o', dir, '--name', 'result']);
        const r = JSON.parse(readFileSync(path.join(dir, 'result.json'), 'utf8')) as Result;
        Object.assign(o, check(scenario, truth, r));
        o.signature = signature(r);
        const base = v.sameAs ? outcomes.find((x) => x.scenario === scenario && x.variation === v.sameAs) : undefined;
        if (base?.signature) {
          const want = new Set(base.signature);
          const got = new Set(o.signature);
          for (const s of want) if (!got.has(s)) o.failures.push(`FORMAT only with JSON (${v.sameAs}): ${s}`);
          for (const s of got) if (!want.has(s)) o.failures.push(`FORMAT only with ${v.format}: ${s}`);
        }
        o.ok = o.failures.length === 0;
      } catch (e) {
        const err = e as { stderr?: string; message: string };
        o.error = (err.stderr || err.message).split('\n').slice(0, 3).join(' | ');
        o.failures.push(`ERROR ${o.error}`);
      }
      o.seconds = (Date.now() - t0) / 1000;
      outcomes.push(o);
      console.log(`${o.ok ? 'pass' : 'FAIL'}  ${scenario.padEnd(24)} ${v.id.padEnd(8)} ${o.seconds.toFixed(1)}s${o.diffs.length ? `  diff: ${o.diffs.join(' ')}` : ''}`);
      for (const f of o.failures) console.log(`        ${f}`);
    }
  }
  writeFileSync(path.join(outRoot, 'sweep.json'), JSON.stringify(outcomes, null, 1));
  // The table: scenario × variation.
  const ids = variations.map((v) => v.id).filter((id) => !vset || vset.has(id));
  console.log(`\n| scenario | ${ids.join(' | ')} |\n|---|${ids.map(() => '---').join('|')}|`);
  for (const s of [...new Set(outcomes.map((o) => o.scenario))]) {
    const cells = ids.map((id) => {
      const o = outcomes.find((x) => x.scenario === s && x.variation === id);
      return o ? (o.ok ? 'pass' : 'FAIL') : '—';
    });
    console.log(`| ${s} | ${cells.join(' | ')} |`);
  }
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`\n${outcomes.length - failed}/${outcomes.length} pass`);
  process.exitCode = failed ? 1 : 0;
}

main();
