// The configuration timeline: each replica's settings, in segments over time, with where each value
// came from. Sources, by precedence: `--set` flags (the user's word), `vllm:cache_config_info` labels
// of that replica (the engine's own report), a vLLM server log tied to that replica, and values
// inferred from the metrics (marked as inferred, with how; never shown or used as read).
//
// Segments: a replica's window is cut where its process restarted (`process_start_time_seconds`
// changed) or its cache_config_info labels changed. A log is tied to a replica when its file name names
// the replica, else when its cache settings (num_gpu_blocks, gpu_memory_utilization, block_size, …)
// equal that replica segment's cache_config_info; a log without cache settings and without a name
// applies to every replica (there is nothing to tell them apart). A log that contradicts every replica
// is reported as unattributed and not used.

import type { ServingConfig, ConfigStatement, ConfigScalar } from '../model/serving-config.js';
import { canonicalSetting, parseConfigScalar } from '../model/serving-config.js';
import type { ConfigGroup, ConfigSegment, ConfigTimeline, ReplicaConfig, SettingValue } from '../model/config-timeline.js';
import { COMPARED_SETTINGS } from '../model/vocabulary.js';
import type { Series } from '../model/series.js';
import { replicaIdOf } from './inventory.js';
import type { AnalysisView } from './view.js';
import { gridRange, histogramBetween } from './windowed.js';

/** Labels of cache_config_info that are identity, not configuration. */
const IDENTITY = new Set(['engine', 'instance', 'job', 'pod', 'model_name', 'namespace', 'le', '__name__']);

/** cache_config_info settings a log also states: the keys that tie a log to a replica. */
const CACHE_KEYS = ['num_gpu_blocks', 'gpu_memory_utilization', 'block_size', 'kv_cache_dtype', 'enable_prefix_caching', 'swap_space'] as const;

/** Running-cap inference: share of the segment's points at the plateau with a queue and KV room. Judgement call. */
export const PLATEAU_MIN_SHARE = 0.1;
export const PLATEAU_MIN_POINTS = 10;
/** KV usage below which a flat running count is the scheduler's cap, not the KV pool. */
export const PLATEAU_KV_ROOM = 0.9;

interface RawSegment {
  start: number;
  end: number;
  processStart: number | null;
  cache: Map<string, { value: ConfigScalar; file: string }>;
}

function sameScalar(a: ConfigScalar, b: ConfigScalar): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  return String(a).toLowerCase() === String(b).toLowerCase();
}

/** The time span of a replica's vLLM series. */
function replicaSpan(series: readonly Series[]): { start: number; end: number } | null {
  let start = Infinity;
  let end = -Infinity;
  for (const s of series) {
    if (!s.t.length) continue;
    if (s.t[0] < start) start = s.t[0];
    if (s.t[s.t.length - 1] > end) end = s.t[s.t.length - 1];
  }
  return Number.isFinite(start) ? { start, end } : null;
}

function cacheValues(s: Series): Map<string, { value: ConfigScalar; file: string }> {
  const m = new Map<string, { value: ConfigScalar; file: string }>();
  for (const [k, raw] of Object.entries(s.labels)) {
    if (IDENTITY.has(k)) continue;
    const v = parseConfigScalar(raw);
    if (v === undefined) continue;
    m.set(canonicalSetting(k), { value: v, file: replicaIdOf(s.labels) });
  }
  return m;
}

function sameCache(a: Map<string, { value: ConfigScalar }>, b: Map<string, { value: ConfigScalar }>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, x] of a) {
    const y = b.get(k);
    if (!y || !sameScalar(x.value, y.value)) return false;
  }
  return true;
}

/** Cut one replica's span into segments at process restarts and cache_config_info changes. */
function segmentsOf(view: AnalysisView, replica: string): RawSegment[] {
  const all = view.metrics.series.filter((s) => replicaIdOf(s.labels) === replica && (s.name.startsWith('vllm:') || s.name === 'process_start_time_seconds'));
  const span = replicaSpan(all.filter((s) => s.name.startsWith('vllm:'))) ?? { start: view.start, end: view.end };
  const cuts = new Set<number>();
  // Restarts: the exported process start time changes.
  const starts: { t: number; value: number }[] = [];
  for (const s of all) {
    if (s.name !== 'process_start_time_seconds') continue;
    for (let i = 0; i < s.t.length; i++) {
      const v = s.v[i];
      if (!Number.isFinite(v)) continue;
      if (!starts.length || starts[starts.length - 1].value !== v) starts.push({ t: s.t[i], value: v });
    }
  }
  starts.sort((a, b) => a.t - b.t);
  for (let i = 1; i < starts.length; i++) {
    if (starts[i].value === starts[i - 1].value) continue;
    // The process started at its own start time when that falls between the two scrapes; else at the scrape.
    const at = starts[i].value > starts[i - 1].t && starts[i].value <= starts[i].t ? starts[i].value : starts[i].t;
    cuts.add(at);
  }
  // cache_config_info label sets: a new one appearing is a redeploy.
  const infos = all
    .filter((s) => s.name === 'vllm:cache_config_info' && s.t.length > 0)
    .map((s) => ({ start: s.t[0], end: s.t[s.t.length - 1], cache: cacheValues(s) }))
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < infos.length; i++) {
    if (sameCache(infos[i].cache, infos[i - 1].cache) || !(infos[i].start > span.start)) continue;
    // A new label set first scraped right after a restart is that restart's redeploy: one cut, at the
    // process start, not a second one at the scrape (which left a segment of a few seconds between them).
    const restart = [...cuts].some((c) => c > infos[i - 1].end && c <= infos[i].start);
    if (!restart) cuts.add(infos[i].start);
  }
  const bounds = [...cuts].filter((c) => c > span.start && c <= span.end).sort((a, b) => a - b);
  const edges = [span.start, ...bounds, span.end];
  const segs: RawSegment[] = [];
  for (let i = 0; i + 1 < edges.length; i++) {
    const start = edges[i];
    const end = edges[i + 1];
    if (end <= start && !(edges.length === 2)) continue;
    // The cache_config_info series that covers most of this segment.
    let best: (typeof infos)[number] | null = null;
    let bestOverlap = -1;
    for (const inf of infos) {
      const ov = Math.min(end, inf.end) - Math.max(start, inf.start);
      if (ov > bestOverlap) {
        bestOverlap = ov;
        best = inf;
      }
    }
    const ps = [...starts].reverse().find((x) => x.t <= Math.max(start, (start + end) / 2));
    segs.push({ start, end, processStart: ps?.value ?? starts[0]?.value ?? null, cache: best && bestOverlap >= 0 ? best.cache : new Map() });
  }
  return segs.length ? segs : [{ start: span.start, end: span.end, processStart: starts[0]?.value ?? null, cache: infos[0]?.cache ?? new Map() }];
}

/**
 * Log statements grouped by file and engine start-up (a restart appends a second start-up to a log:
 * each configured its own process), in reading order. Keyed `file` for one start-up, `file#n` else.
 */
function logsByFile(statements: readonly ConfigStatement[]): Map<string, Map<string, ConfigScalar>> {
  const byFile = new Map<string, Map<number, Map<string, ConfigScalar>>>();
  for (const st of statements) {
    if (st.source !== 'log') continue;
    const file = st.file ?? '<log>';
    let f = byFile.get(file);
    if (!f) byFile.set(file, (f = new Map()));
    const n = st.startup ?? 1;
    let m = f.get(n);
    if (!m) f.set(n, (m = new Map()));
    m.set(st.key, st.value);
  }
  const out = new Map<string, Map<string, ConfigScalar>>();
  for (const [file, ups] of byFile) for (const [n, m] of ups) out.set(ups.size > 1 ? `${file}#${n}` : file, m);
  return out;
}

/** Whether a file name names a replica (its instance as written, or with ':' replaced by '_' or '-'). */
function namesReplica(file: string, replica: string): boolean {
  if (replica === 'default') return false;
  const forms = [replica, replica.replace(/:/g, '_'), replica.replace(/:/g, '-')];
  return forms.some((f) => file.includes(f));
}

/** Whether a log's cache settings agree with a segment's cache_config_info (vacuously true when either lacks them). */
function logAgrees(log: Map<string, ConfigScalar>, seg: RawSegment): boolean {
  for (const k of CACHE_KEYS) {
    const a = log.get(k);
    const b = seg.cache.get(k);
    if (a === undefined || b === undefined) continue;
    if (!sameScalar(a, b.value)) return false;
  }
  return true;
}

function logHasCacheKeys(log: Map<string, ConfigScalar>): boolean {
  return CACHE_KEYS.some((k) => log.has(k));
}

/** Infer settings no input states from the metrics of one segment (marked as inferred, with how). */
function inferSegment(view: AnalysisView, replica: string, seg: RawSegment, values: Record<string, SettingValue>): void {
  // vllm:iteration_tokens_total bounds max_num_batched_tokens from below only where it counts the tokens
  // scheduled per step: the V0 engine. The V1 engine counts a request's whole prompt in the step where
  // its (chunked) prefill completes (vllm/v1/metrics/stats.py, IterationStats.update_from_output), so its
  // steps can exceed the budget: no inference there, nor when the engine version is not stated.
  const engine = values.engine_version;
  if (!values.max_num_batched_tokens && engine && engine.source !== 'inferred' && String(engine.value).toUpperCase() === 'V0') {
    const h = histogramBetween(view, 'vllm:iteration_tokens_total', replica, seg.start, seg.end);
    if (h) {
      let top = -1;
      for (let j = 0; j < h.les.length; j++) {
        const below = j === 0 ? 0 : h.counts[j - 1];
        if (h.counts[j] - below > 0) top = j;
      }
      if (top > 0) {
        const lower = h.les[top - 1];
        values.max_num_batched_tokens = { value: lower, source: 'inferred', bound: 'lower', inference: { method: 'iteration-tokens', lowerBound: lower, bucketUpper: Number.isFinite(h.les[top]) ? h.les[top] : null } };
      }
    }
  }
  if (!values.max_num_seqs) {
    const running = view.gauge('vllm:num_requests_running', replica, 'sum');
    const waiting = view.gauge('vllm:num_requests_waiting', replica, 'sum');
    const kv = view.gauge('vllm:kv_cache_usage_perc', replica, 'avg');
    if (running) {
      const [i0, i1] = gridRange(view, seg.start, seg.end);
      let max = -Infinity;
      let n = 0;
      for (let i = i0; i <= i1; i++) if (running[i] === running[i]) { n++; if (running[i] > max) max = running[i]; }
      if (n > 0 && max > 0) {
        let at = 0;
        if (waiting) for (let i = i0; i <= i1; i++) if (running[i] >= max && waiting[i] >= 1 && (!kv || !(kv[i] >= PLATEAU_KV_ROOM))) at++;
        const share = at / n;
        if (at >= PLATEAU_MIN_POINTS && share >= PLATEAU_MIN_SHARE) values.max_num_seqs = { value: max, source: 'inferred', inference: { method: 'running-plateau', value: max, plateauShare: share, points: at } };
        else values.max_num_seqs = { value: max, source: 'inferred', bound: 'lower', inference: { method: 'running-max', lowerBound: max } };
      }
    }
  }
}

const ORDER: Record<SettingValue['source'], number> = { flag: 4, cache_config_info: 3, log: 2, inferred: 1 };

function put(values: Record<string, SettingValue>, key: string, v: SettingValue): void {
  // Keys come from inputs (--set, log keys, cache_config_info labels): never read Object.prototype
  // (`constructor` was "already set" and dropped) nor assign through it (`__proto__`).
  const cur = Object.hasOwn(values, key) ? values[key] : undefined;
  if (!cur || ORDER[v.source] > ORDER[cur.source]) Object.defineProperty(values, key, { value: v, enumerable: true, writable: true, configurable: true });
}

export function buildConfigTimeline(view: AnalysisView, config: ServingConfig): ConfigTimeline {
  const statements = config.statements ?? [];
  const logs = logsByFile(statements);
  const flags = statements.filter((s) => s.source === 'flag');
  const replicas = view.replicas.length ? view.replicas : [];
  const raw = new Map(replicas.map((r) => [r, segmentsOf(view, r)]));
  const unattributed: ConfigTimeline['unattributed'] = [];

  // Which (replica, segment) each log applies to.
  const logFor = new Map<string, { file: string; values: Map<string, ConfigScalar> }[]>();
  const key = (r: string, i: number) => `${r}#${i}`;
  const anyCache = [...raw.values()].some((segs) => segs.some((s) => s.cache.size > 0));
  for (const [file, values] of logs) {
    const named = replicas.filter((r) => namesReplica(file, r));
    const candidates = named.length ? named : replicas;
    let matched = 0;
    for (const r of candidates) {
      raw.get(r)!.forEach((seg, i) => {
        const agrees = logAgrees(values, seg);
        // Without a name, a log ties to a replica only through agreeing cache settings, or to all when it has none.
        if (!agrees) return;
        if (!named.length && logHasCacheKeys(values) && anyCache && seg.cache.size === 0) return;
        let l = logFor.get(key(r, i));
        if (!l) logFor.set(key(r, i), (l = []));
        l.push({ file, values });
        matched++;
      });
    }
    if (matched === 0 && replicas.length > 0) unattributed.push({ file, reason: named.length ? `its cache settings contradict ${named.join(', ')}'s cache_config_info` : 'its cache settings match no replica\'s cache_config_info' });
  }

  const out: ReplicaConfig[] = [];
  for (const r of replicas) {
    const segs = raw.get(r)!;
    const modelLabel = view.metrics.series.find((s) => replicaIdOf(s.labels) === r && s.labels.model_name)?.labels.model_name ?? null;
    const segments: Omit<ConfigSegment, 'group'>[] = segs.map((seg, i) => {
      const values: Record<string, SettingValue> = {};
      for (const [k, v] of seg.cache) put(values, k, { value: v.value, source: 'cache_config_info', file: v.file });
      for (const l of logFor.get(key(r, i)) ?? []) for (const [k, v] of l.values) put(values, k, { value: v, source: 'log', file: l.file });
      for (const f of flags) put(values, f.key, { value: f.value, source: 'flag' });
      if (!values.model && modelLabel) values.model = { value: modelLabel, source: 'cache_config_info', file: r };
      inferSegment(view, r, seg, values);
      return { startSeconds: seg.start, endSeconds: seg.end, processStartSeconds: seg.processStart, values };
    });
    out.push({ replica: r, model: (segments[0]?.values.model?.value as string | undefined) ?? modelLabel, segments: segments as ConfigSegment[] });
  }
  const groups = groupSegments(out);
  return { replicas: out, groups, unattributed };
}

/** The identity of a segment's configuration: its compared settings as read (not inferred). */
function signature(model: string | null, values: Record<string, SettingValue>): string {
  const parts = [`model=${model ?? '?'}`];
  for (const k of COMPARED_SETTINGS) {
    const v = values[k];
    if (v && v.source !== 'inferred') parts.push(`${k}=${String(v.value).toLowerCase()}`);
  }
  return parts.join('|');
}

function groupSegments(replicas: ReplicaConfig[]): ConfigGroup[] {
  const bySig = new Map<string, ConfigGroup>();
  const letters = (i: number) => (i < 26 ? String.fromCharCode(65 + i) : `G${i + 1}`);
  for (const rc of replicas) {
    for (const seg of rc.segments) {
      const sig = signature(rc.model, seg.values);
      let g = bySig.get(sig);
      if (!g) {
        const values: Record<string, SettingValue> = {};
        for (const k of COMPARED_SETTINGS) if (seg.values[k] && seg.values[k].source !== 'inferred') values[k] = seg.values[k];
        g = { id: letters(bySig.size), model: rc.model, values, members: [] };
        bySig.set(sig, g);
      }
      g.members.push({ replica: rc.replica, startSeconds: seg.startSeconds, endSeconds: seg.endSeconds });
      seg.group = g.id;
    }
  }
  return [...bySig.values()];
}

/** The segment of a replica in force at time t (the nearest one when t falls outside every segment). */
export function segmentAt(rc: ReplicaConfig | undefined, t: number): ConfigSegment | undefined {
  if (!rc || !rc.segments.length) return undefined;
  for (const s of rc.segments) if (t >= s.startSeconds && t <= s.endSeconds) return s;
  let best = rc.segments[0];
  let bd = Infinity;
  for (const s of rc.segments) {
    const d = t < s.startSeconds ? s.startSeconds - t : t - s.endSeconds;
    if (d < bd) {
      bd = d;
      best = s;
    }
  }
  return best;
}
