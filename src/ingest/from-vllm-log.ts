// vLLM server logs: the engine start-up line (`Initializing a V1 LLM engine (v…) with config: …`),
// the `non-default args: {…}` line of the API server, and the KV-cache size lines. They carry the
// scheduler settings that no metric exposes.

import type { Adapter, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { parseConfigScalar } from '../model/serving-config.js';
import { InputError } from '../errors.js';
import { forEachLineBlock, LineTooLong } from './text/lines.js';
import { ENGINE_RE, NONDEFAULT_RE, vllmLogFormat } from './sniff/text.js';

/** A longer line is not a log line (a binary file, or a file without newlines). */
const MAX_LINE_BYTES = 16 << 20;

const KV_TOKENS_RE = /GPU KV cache size: ([\d,]+) tokens/;
const KV_MEMORY_RE = /Available KV cache memory: ([\d.]+) GiB/;
const GPU_BLOCKS_RE = /# (?:GPU|cuda) blocks: (\d+)(?:, # CPU blocks: (\d+))?/;

/** Settings we take from the engine config line (others are noise for our purposes). */
const ENGINE_KEYS = new Set([
  'model', 'dtype', 'max_seq_len', 'tensor_parallel_size', 'pipeline_parallel_size', 'quantization',
  'enforce_eager', 'kv_cache_dtype', 'enable_prefix_caching', 'chunked_prefill_enabled', 'served_model_name',
]);

/** Split `a=1, b='x, y', c=Foo(d=2)` at top-level commas. */
export function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quote = '';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (quote) {
      if (c === '\\') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === "'" || c === '"') quote = c;
    else if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ',' && depth === 0) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  if (start < s.length) out.push(s.slice(start));
  return out.map((x) => x.trim()).filter(Boolean);
}

export function parseEngineConfig(body: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keys from the input
  for (const part of splitTopLevel(body)) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    out[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return out;
}

export function parseNonDefaultArgs(body: string): Record<string, string> {
  const out: Record<string, string> = Object.create(null); // keys from the input
  for (const part of splitTopLevel(body)) {
    const m = /^['"]([^'"]+)['"]\s*:\s*(.*)$/s.exec(part);
    if (m) out[m[1]] = m[2].trim();
  }
  return out;
}

async function readLog(src: InputSource, ctx: IngestContext) {
  let engines = 0;
  let nonDefault = 0;
  const version = new Set<string>();
  // A restart appends a second start-up to the same log: settings are kept per start-up (1, 2, …), so
  // each can be tied to the process it configured. A start-up begins at the API server's version line,
  // or, in logs without it, at the first settings line after an engine line.
  let startup = 0;
  let engineSeen = true;
  const set = (key: string, value: ReturnType<typeof parseConfigScalar>) => ctx.config.set(key, value, 'log', src.display, startup);
  const handle = (line: string) => {
    if (/\bvLLM API server version\b/.test(line)) {
      startup++;
      engineSeen = false;
      return;
    }
    let m = ENGINE_RE.exec(line);
    if (m || NONDEFAULT_RE.test(line)) {
      if (engineSeen) startup++;
      engineSeen = false;
    }
    if (m) {
      engines++;
      engineSeen = true;
      const [, engineVersion, ver, body] = m;
      version.add(ver);
      set('vllm_version', ver);
      if (engineVersion) set('engine_version', engineVersion);
      const cfg = parseEngineConfig(body);
      for (const [k, raw] of Object.entries(cfg)) {
        if (!ENGINE_KEYS.has(k)) continue;
        const key = k === 'served_model_name' ? 'served_model_name' : k;
        set(key, parseConfigScalar(raw));
      }
      return;
    }
    m = NONDEFAULT_RE.exec(line);
    if (m) {
      nonDefault++;
      for (const [k, raw] of Object.entries(parseNonDefaultArgs(m[1]))) {
        if (k === 'model_tag') set('model', parseConfigScalar(raw));
        else set(k, parseConfigScalar(raw));
      }
      return;
    }
    m = KV_TOKENS_RE.exec(line);
    if (m) {
      ctx.config.set('gpu_kv_cache_tokens', Number(m[1].replace(/,/g, '')), 'log', src.display, startup || 1);
      return;
    }
    m = KV_MEMORY_RE.exec(line);
    if (m) {
      ctx.config.set('kv_cache_memory_gib', Number(m[1]), 'log', src.display, startup || 1);
      return;
    }
    m = GPU_BLOCKS_RE.exec(line);
    if (m) {
      ctx.config.set('num_gpu_blocks', Number(m[1]), 'log', src.display, startup || 1);
      if (m[2] !== undefined) ctx.config.set('num_cpu_blocks', Number(m[2]), 'log', src.display, startup || 1);
    }
  };
  let linesRead = 0; // counted per block, for the position of a line that is too long
  try {
    // Whole lines only: a UTF-8 character cut by a chunk boundary is decoded once it is complete.
    await forEachLineBlock(src.chunks(), MAX_LINE_BYTES, (text) => {
      const lines = text.split('\n');
      if (lines[lines.length - 1] === '') lines.pop();
      linesRead += lines.length;
      for (const l of lines) handle(l);
    });
  } catch (e) {
    if (e instanceof LineTooLong) throw new InputError({ code: 'LIMIT_EXCEEDED', file: src.display, position: { line: linesRead + 1 }, message: `a line longer than ${MAX_LINE_BYTES >> 20} MiB: not a vLLM log line` });
    throw e;
  }
  const parts = [];
  if (engines) parts.push(`${engines} engine config line${engines > 1 ? 's' : ''}`);
  if (nonDefault) parts.push('non-default args');
  if (!parts.length) parts.push('no config lines found');
  if (version.size > 1) ctx.warn({ code: 'MIXED_VLLM_VERSIONS', file: src.display, message: `log shows several vLLM versions: ${[...version].sort().join(', ')}` });
  return { detail: `vLLM server log (${parts.join(', ')})` };
}

export const vllmLogAdapter: Adapter = {
  ...vllmLogFormat,
  read: readLog,
};
