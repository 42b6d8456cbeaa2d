// Exports of simulated replicas: Prometheus query_range JSON (optionally gzip), OpenMetrics with
// timestamps (promtool's backfill input), CSV long format, and the vLLM server log lines that carry
// the configuration. All output is built in order from the replicas' matrices (no Map iteration),
// streamed in ~1 MiB pieces, and written to a temporary file that is renamed when complete.

import { createWriteStream, promises as fsp } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import path from 'node:path';
import type { ReplicaResult } from './engine.js';
import type { MemoryPlan } from './presets.js';
import type { ReplicaSpec } from './types.js';
import type { SeriesDef } from './registry.js';

const FLUSH_CHARS = 1 << 20;

/** A text sink that writes through gzip or straight to disk, whole or not at all. */
export interface TextOut {
  write(s: string): Promise<void>;
  close(): Promise<void>;
  abort(): Promise<void>;
}

export async function openTextOut(file: string, gzip: boolean): Promise<TextOut> {
  const tmp = `${file}.tmp-${process.pid}`;
  const fileStream = createWriteStream(tmp, { highWaterMark: 1 << 20 });
  const gz = gzip ? createGzip({ level: 9, chunkSize: 1 << 20 }) : null;
  if (gz) gz.pipe(fileStream);
  const head = gz ?? fileStream;
  let buf: string[] = [];
  let size = 0;
  let failed: Error | null = null;
  head.on('error', (e: Error) => (failed = e));
  fileStream.on('error', (e: Error) => (failed = e));
  const flush = async () => {
    if (failed) throw failed;
    if (!size) return;
    const chunk = buf.join('');
    buf = [];
    size = 0;
    if (!head.write(chunk)) await once(head, 'drain');
  };
  return {
    async write(s: string) {
      buf.push(s);
      size += s.length;
      if (size >= FLUSH_CHARS) await flush();
    },
    async close() {
      await flush();
      head.end();
      await once(fileStream, 'close');
      if (failed) throw failed;
      await fsp.rename(tmp, file);
    },
    async abort() {
      head.destroy();
      fileStream.destroy();
      await fsp.rm(tmp, { force: true });
    },
  };
}

/** Prometheus-style number text: integers plain, fractions rounded to 1e-6, never an exponent. */
export function formatValue(v: number): string {
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v !== v) return 'NaN';
  if (Number.isInteger(v) && Math.abs(v) < 1e21) return String(v);
  const r = Math.round(v * 1e6) / 1e6;
  const s = String(r);
  if (!s.includes('e')) return s;
  return r.toFixed(6).replace(/\.?0+$/, '');
}

export function formatTime(t: number): string {
  return Number.isInteger(t) ? String(t) : t.toFixed(3).replace(/\.?0+$/, '');
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** `{a="b",c="d"}` (labels already sorted by name). */
export function selector(labels: [string, string][]): string {
  return `{${labels.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

export interface ExportMeta {
  startTime: number;
  scrapeIntervalSeconds: number;
}

/** Families across replicas in order of first appearance, each with its (replica, series) members. */
function familyOrder(replicas: ReplicaResult[]): { name: string; type: string; help: string; members: [ReplicaResult, number][] }[] {
  const out: { name: string; type: string; help: string; members: [ReplicaResult, number][] }[] = [];
  const idx = new Map<string, number>();
  for (const r of replicas) {
    for (const f of r.registry.families) {
      if (!idx.has(f.name)) {
        idx.set(f.name, out.length);
        out.push({ ...f, members: [] });
      }
    }
  }
  for (const r of replicas) {
    const ser = r.registry.series;
    for (let s = 0; s < ser.length; s++) {
      const fam = r.registry.families[ser[s].family];
      out[idx.get(fam.name)!].members.push([r, s]);
    }
  }
  return out;
}

function timeAt(meta: ExportMeta, k: number): number {
  return meta.startTime + k * meta.scrapeIntervalSeconds;
}

/** Prometheus `/api/v1/query_range` response (matrix) with every series of every replica. */
export async function writeQueryRangeJson(out: TextOut, replicas: ReplicaResult[], meta: ExportMeta): Promise<void> {
  await out.write('{"status":"success","data":{"resultType":"matrix","result":[');
  let first = true;
  for (const fam of familyOrder(replicas)) {
    for (const [r, s] of fam.members) {
      const def: SeriesDef = r.registry.series[s];
      const n = r.nScrapes;
      const base = s * n;
      let values = '';
      for (let k = 0; k < n; k++) {
        const v = r.data[base + k];
        if (v !== v) continue;
        values += `${values ? ',' : ''}[${formatTime(timeAt(meta, k))},"${formatValue(v)}"]`;
      }
      if (!values) continue;
      const labels = ([["__name__", def.name], ...def.labels] as [string, string][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const metric = labels.map(([kk, v]) => `${JSON.stringify(kk)}:${JSON.stringify(v)}`).join(',');
      await out.write(`${first ? '\n' : ',\n'}{"metric":{${metric}},"values":[${values}]}`);
      first = false;
    }
  }
  await out.write('\n]}}\n');
}

/** OpenMetrics text with timestamps in seconds, one family block each, ending in `# EOF`. */
export async function writeOpenMetrics(out: TextOut, replicas: ReplicaResult[], meta: ExportMeta): Promise<void> {
  for (const fam of familyOrder(replicas)) {
    await out.write(`# HELP ${fam.name} ${fam.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${fam.name} ${fam.type}\n`);
    for (const [r, s] of fam.members) {
      const def = r.registry.series[s];
      const n = r.nScrapes;
      const base = s * n;
      const head = `${def.name}${selector(def.labels)} `;
      let text = '';
      for (let k = 0; k < n; k++) {
        const v = r.data[base + k];
        if (v !== v) continue;
        text += `${head}${formatValue(v)} ${formatTime(timeAt(meta, k))}\n`;
        if (text.length > FLUSH_CHARS) {
          await out.write(text);
          text = '';
        }
      }
      if (text) await out.write(text);
    }
  }
  await out.write('# EOF\n');
}

function csvQuote(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** CSV long format: `timestamp,metric,labels,value`, labels as one `{a="b"}` selector cell. */
export async function writeCsvLong(out: TextOut, replicas: ReplicaResult[], meta: ExportMeta): Promise<void> {
  await out.write('timestamp,metric,labels,value\n');
  for (const fam of familyOrder(replicas)) {
    for (const [r, s] of fam.members) {
      const def = r.registry.series[s];
      const n = r.nScrapes;
      const base = s * n;
      const mid = `,${csvQuote(def.name)},${csvQuote(selector(def.labels))},`;
      let text = '';
      for (let k = 0; k < n; k++) {
        const v = r.data[base + k];
        if (v !== v) continue;
        text += `${formatTime(timeAt(meta, k))}${mid}${formatValue(v)}\n`;
        if (text.length > FLUSH_CHARS) {
          await out.write(text);
          text = '';
        }
      }
      if (text) await out.write(text);
    }
  }
}

// --- vLLM server log -----------------------------------------------------------------------------

function logStamp(unixSeconds: number): string {
  const d = new Date(Math.floor(unixSeconds) * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getUTCMonth() + 1)}-${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())}`;
}

function pyBool(b: boolean): string {
  return b ? 'True' : 'False';
}

function groupThousands(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Start-up lines of one vLLM process (API server + engine core), as vLLM 0.11 prints them. */
export function startupLog(s: ReplicaSpec, plan: MemoryPlan, processStart: number, pidSeed: number): string {
  const m = s.model.hfId;
  const apiPid = apiPidOf(pidSeed);
  const enginePid = apiPid + 213;
  const L: string[] = [];
  const at = (dt: number) => logStamp(processStart + dt);
  const eng = `(EngineCore_0 pid=${enginePid}) `;
  const port = s.instance.replace(/^.*:/, '');
  L.push(`INFO ${at(0)} [__init__.py:216] Automatically detected platform ${s.gpu.vendor === 'amd' ? 'rocm' : 'cuda'}.`);
  L.push(`(APIServer pid=${apiPid}) INFO ${at(3)} [api_server.py:1839] vLLM API server version ${s.vllmVersion}`);
  const args: string[] = [`'model_tag': '${m}'`, `'port': ${port}`, `'model': '${m}'`, `'max_model_len': ${s.maxModelLen}`];
  if (s.tensorParallelSize > 1) args.push(`'tensor_parallel_size': ${s.tensorParallelSize}`);
  args.push(`'gpu_memory_utilization': ${s.gpuMemoryUtilization}`);
  if (s.kvCacheDtype !== 'auto') args.push(`'kv_cache_dtype': '${s.kvCacheDtype}'`);
  args.push(`'enable_prefix_caching': ${pyBool(s.enablePrefixCaching)}`);
  args.push(`'max_num_batched_tokens': ${s.maxNumBatchedTokens}`, `'max_num_seqs': ${s.maxNumSeqs}`);
  if (!s.enableChunkedPrefill) args.push(`'enable_chunked_prefill': False`);
  L.push(`(APIServer pid=${apiPid}) INFO ${at(3)} [utils.py:233] non-default args: {${args.join(', ')}}`);
  L.push(`(APIServer pid=${apiPid}) INFO ${at(9)} [model.py:547] Resolved architecture: ${s.model.architecture ?? (s.model.experts ? 'MixtralForCausalLM' : s.model.hfId.startsWith('Qwen') ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM')}`);
  L.push(`(APIServer pid=${apiPid}) INFO ${at(9)} [model.py:1510] Using max model len ${s.maxModelLen}`);
  if (s.enableChunkedPrefill) L.push(`(APIServer pid=${apiPid}) INFO ${at(9)} [scheduler.py:205] Chunked prefill is enabled with max_num_batched_tokens=${s.maxNumBatchedTokens}.`);
  L.push(
    `${eng}INFO ${at(14)} [core.py:77] Initializing a V1 LLM engine (v${s.vllmVersion}) with config: model='${m}', speculative_config=None, tokenizer='${m}', skip_tokenizer_init=False, tokenizer_mode=auto, revision=None, tokenizer_revision=None, trust_remote_code=False, dtype=torch.bfloat16, max_seq_len=${s.maxModelLen}, download_dir=None, load_format=auto, tensor_parallel_size=${s.tensorParallelSize}, pipeline_parallel_size=1, data_parallel_size=1, disable_custom_all_reduce=False, quantization=${s.model.quantization ?? 'None'}, enforce_eager=False, kv_cache_dtype=${s.kvCacheDtype}, device_config=cuda, structured_outputs_config=StructuredOutputsConfig(backend='auto', disable_fallback=False, disable_any_whitespace=False, disable_additional_properties=False, reasoning_parser=''), observability_config=ObservabilityConfig(show_hidden_metrics_for_version=None, otlp_traces_endpoint=None, collect_detailed_traces=None), seed=0, served_model_name=${m}, enable_prefix_caching=${pyBool(s.enablePrefixCaching)}, chunked_prefill_enabled=${pyBool(s.enableChunkedPrefill)}, pooler_config=None, compilation_config={"level":3,"debug_dump_path":"","cache_dir":"","backend":"","custom_ops":[],"splitting_ops":["vllm.unified_attention","vllm.unified_attention_with_output"],"use_inductor":true,"compile_sizes":[],"use_cudagraph":true,"cudagraph_num_of_warmups":1,"cudagraph_copy_inputs":false,"full_cuda_graph":false,"max_capture_size":512,"local_cache_dir":null}`,
  );
  const weightsGiB = (plan.weightBytesPerGpu / 1024 ** 3).toFixed(4);
  L.push(`${eng}INFO ${at(31)} [gpu_model_runner.py:2653] Model loading took ${weightsGiB} GiB and 14.218804 seconds`);
  const kvGiB = ((plan.numGpuBlocks * s.blockSize * plan.kvBytesPerToken) / 1024 ** 3).toFixed(2);
  L.push(`${eng}INFO ${at(44)} [gpu_worker.py:298] Available KV cache memory: ${kvGiB} GiB`);
  L.push(`${eng}INFO ${at(44)} [kv_cache_utils.py:1087] GPU KV cache size: ${groupThousands(plan.kvTokens)} tokens`);
  const conc = (plan.kvTokens / s.maxModelLen).toFixed(2);
  L.push(`${eng}INFO ${at(44)} [kv_cache_utils.py:1091] Maximum concurrency for ${groupThousands(s.maxModelLen)} tokens per request: ${conc}x`);
  L.push(`${eng}INFO ${at(58)} [core.py:210] init engine (profile, create kv cache, warmup model) took 26.93 seconds`);
  L.push(`(APIServer pid=${apiPid}) INFO ${at(60)} [api_server.py:1634] Starting vLLM API server 0 on http://0.0.0.0:${port}`);
  L.push(`(APIServer pid=${apiPid}) INFO ${at(60)} [launcher.py:44] Route: /metrics, Methods: GET`);
  L.push(`(APIServer pid=${apiPid}) INFO:     Application startup complete.`);
  return `${L.join('\n')}\n`;
}

/**
 * The log of one replica over the run: its start-up; after a crash the error line and a new start-up;
 * after a redeploy the old process's shutdown lines and the new process's start-up with its settings.
 */
export function replicaLog(r: ReplicaResult, replicaIndex: number): string {
  let text = '';
  let prevPid = 0;
  r.processes.forEach((p, i) => {
    const pidSeed = replicaIndex * 31 + i * 7 + 3;
    if (p.cause === 'restart') {
      text += `ERROR ${logStamp(p.start - 2)} [core_client.py:564] Engine core proc EngineCore_0 died unexpectedly, shutting down client.\n`;
    } else if (p.cause === 'redeploy') {
      const stop = p.previousStoppedAt!;
      text += `(APIServer pid=${prevPid}) INFO ${logStamp(stop)} [launcher.py:110] Shutting down FastAPI HTTP server.\n`;
      text += `(APIServer pid=${prevPid}) INFO:     Shutting down\n(APIServer pid=${prevPid}) INFO:     Waiting for application shutdown.\n(APIServer pid=${prevPid}) INFO:     Application shutdown complete.\n`;
    }
    const c = r.configs[p.config];
    text += startupLog(c.spec, c.plan, p.start, pidSeed);
    prevPid = apiPidOf(pidSeed);
  });
  return text;
}

/** Does a replica ship its server log? */
export function shipsLog(r: ReplicaResult): boolean {
  return r.spec.serverLog !== false;
}

/**
 * One log file for the fleet suffices when every replica ships its log, ran one configuration the whole
 * window and all share it (vLLM logs carry no instance label); otherwise one file per replica.
 */
export function sameConfig(replicas: ReplicaResult[]): boolean {
  const key = (r: ReplicaResult) => startupLog(r.spec, r.plan, 0, 0).replace(/pid=\d+/g, '');
  const k0 = key(replicas[0]);
  return replicas.every((r) => shipsLog(r) && r.configs.length === 1 && key(r) === k0);
}

function apiPidOf(pidSeed: number): number {
  return 1000 + ((pidSeed * 7919) % 60000);
}

export function logFileName(instance: string): string {
  return `vllm-${instance.replace(/[^A-Za-z0-9.]+/g, '-')}.log`;
}

export async function writeTextFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await fsp.writeFile(tmp, text);
  await fsp.rename(tmp, file);
}

export { path };
