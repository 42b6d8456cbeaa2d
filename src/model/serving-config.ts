// What we know of the deployment's settings and where each value came from.

export type ConfigSource = 'flag' | 'log' | 'cache_config_info';

/** One thing an input said about a setting, kept as said (the per-replica timeline is built from these in derive/config.ts). */
export interface ConfigStatement {
  key: string;
  value: ConfigScalar;
  source: ConfigSource;
  /** The input it came from (`log`), or the replica label (`cache_config_info`). */
  file?: string;
  /** In a log holding several engine start-ups (a restart appends to it): which one, from 1. */
  startup?: number;
}
export type ConfigScalar = string | number | boolean;

export interface ConfigValue {
  value: ConfigScalar;
  source: ConfigSource;
  /** The input it was read from (for `log` and `cache_config_info`). */
  file?: string;
}

/** Settings the analysis uses. Anything else found is kept under its own name. */
export const KNOWN_SETTINGS = [
  'model',
  'vllm_version',
  'engine_version',
  'max_num_seqs',
  'max_num_batched_tokens',
  'max_model_len',
  'enable_chunked_prefill',
  'enable_prefix_caching',
  'gpu_memory_utilization',
  'kv_cache_dtype',
  'block_size',
  'num_gpu_blocks',
  'num_cpu_blocks',
  'swap_space',
  'tensor_parallel_size',
  'pipeline_parallel_size',
  'data_parallel_size',
  'enforce_eager',
  'dtype',
  'quantization',
  'gpu_kv_cache_tokens',
  'kv_cache_memory_gib',
] as const;

export type KnownSetting = (typeof KNOWN_SETTINGS)[number];

export interface ServingConfig {
  values: Record<string, ConfigValue>;
  /** Settings whose sources disagreed (e.g. two replicas with different num_gpu_blocks). */
  conflicts: { setting: string; values: { value: ConfigScalar; source: ConfigSource; file?: string }[] }[];
  /** Every statement from logs and flags, in the order read (cache_config_info is read per replica from the metrics). */
  statements: ConfigStatement[];
}

const PRIORITY: Record<ConfigSource, number> = { flag: 3, log: 2, cache_config_info: 1 };

/** Synonyms across vLLM versions and sources, mapped to our setting names. */
const SYNONYMS: Record<string, string> = {
  cache_dtype: 'kv_cache_dtype',
  max_seq_len: 'max_model_len',
  chunked_prefill_enabled: 'enable_chunked_prefill',
  tp: 'tensor_parallel_size',
  tp_size: 'tensor_parallel_size',
  pp_size: 'pipeline_parallel_size',
  dp_size: 'data_parallel_size',
};

export function canonicalSetting(key: string): string {
  const k = key.trim().replace(/-/g, '_').toLowerCase();
  return Object.hasOwn(SYNONYMS, k) ? SYNONYMS[k] : k; // keys come from inputs: `constructor` is a setting
}

/** Parse a textual value the way vLLM prints it: True/False/None, numbers, quoted strings. */
export function parseConfigScalar(raw: string): ConfigScalar | undefined {
  let s = raw.trim();
  if ((s.startsWith("'") && s.endsWith("'")) || (s.startsWith('"') && s.endsWith('"'))) s = s.slice(1, -1);
  if (s === '' || s === 'None' || s === 'null') return undefined;
  if (/^(true|false)$/i.test(s)) return s.toLowerCase() === 'true';
  if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) {
    const n = Number(s);
    return Number.isFinite(n) ? n : s; // `1e309` overflows: kept as the text the input said
  }
  const dt = /^torch\.(\w+)$/.exec(s);
  if (dt) return dt[1];
  return s;
}

export class ServingConfigBuilder {
  /** Keyed by setting names from inputs (`constructor`, `toString` are settings too): a Map. */
  private readonly values = new Map<string, ConfigValue>();
  private readonly seen = new Map<string, ConfigValue[]>();
  private readonly statements: ConfigStatement[] = [];

  set(key: string, value: ConfigScalar | undefined, source: ConfigSource, file?: string, startup?: number): void {
    if (value === undefined) return;
    const k = canonicalSetting(key);
    // The Result's records (zod) drop a `__proto__` key; it names no vLLM setting either.
    if (k === '__proto__') return;
    const cv: ConfigValue = file === undefined ? { value, source } : { value, source, file };
    if (source !== 'cache_config_info') this.statements.push({ key: k, value, source, ...(file === undefined ? {} : { file }), ...(startup === undefined ? {} : { startup }) });
    let list = this.seen.get(k);
    if (!list) this.seen.set(k, (list = []));
    if (!list.some((x) => x.value === value && x.source === source)) list.push(cv);
    const cur = this.values.get(k);
    if (!cur || PRIORITY[source] >= PRIORITY[cur.source]) this.values.set(k, cv);
  }

  get(key: string): ConfigValue | undefined {
    return this.values.get(canonicalSetting(key));
  }

  build(): ServingConfig {
    const conflicts: ServingConfig['conflicts'] = [];
    for (const [setting, list] of [...this.seen].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const distinct = new Set(list.map((x) => String(x.value)));
      if (distinct.size > 1) conflicts.push({ setting, values: list.map((x) => ({ ...x })) });
    }
    const values: Record<string, ConfigValue> = Object.create(null);
    for (const k of [...this.values.keys()].sort()) values[k] = this.values.get(k)!;
    return { values, conflicts, statements: this.statements.map((x) => ({ ...x })) };
  }
}
