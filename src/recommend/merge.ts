// Reconciling recommendations: when several findings want one setting, the report shows one value,
// chosen by a written policy, and names every finding behind it.
//
// Policy (per setting):
// - max_num_seqs, max_num_batched_tokens: the SMALLEST proposed value wins. A memory or latency limit
//   (thrashing, OOM, TBT) is a hard constraint; a throughput wish is not. The larger wish is dropped.
// - gpu_memory_utilization: the smallest value wins when OOM_RISK asks for one (safety first), else the
//   largest (more KV).
// - booleans (enable_chunked_prefill, enable_prefix_caching): `true` wins unless the only proposals say false.
// - anything else (kv_cache_dtype, max_model_len, parallelism): the proposal with the highest confidence,
//   ties broken by the first finding in severity order.
// The merged confidence is the lowest confidence among the proposals that agree with the chosen value.

import type { Recommendation } from '../model/result.js';

const CONF = { low: 0, medium: 1, high: 2 } as const;
const MIN_WINS = new Set(['max_num_seqs', 'max_num_batched_tokens']);

export function mergeRecommendations(proposals: Recommendation[]): Recommendation[] {
  const bySetting = new Map<string, Recommendation[]>();
  for (const p of proposals) {
    let l = bySetting.get(p.setting);
    if (!l) bySetting.set(p.setting, (l = []));
    l.push(p);
  }
  const out: Recommendation[] = [];
  for (const [setting, list] of bySetting) {
    let chosen: Recommendation;
    if (MIN_WINS.has(setting)) chosen = pickBy(list, (a, b) => Number(a.to) < Number(b.to));
    else if (setting === 'gpu_memory_utilization') {
      const oom = list.some((r) => r.findings?.includes('OOM_RISK'));
      chosen = pickBy(list, (a, b) => (oom ? Number(a.to) < Number(b.to) : Number(a.to) > Number(b.to)));
    } else if (list.every((r) => typeof r.to === 'boolean')) chosen = list.find((r) => r.to === true) ?? list[0];
    else chosen = pickBy(list, (a, b) => CONF[a.confidence] > CONF[b.confidence]);
    const agreeing = list.filter((r) => r.to === chosen.to);
    const overruled = list.filter((r) => r.to !== chosen.to);
    const findings = [...new Set(list.flatMap((r) => r.findings ?? []))];
    const conf = agreeing.reduce((c, r) => (CONF[r.confidence] < CONF[c] ? r.confidence : c), chosen.confidence);
    const because = overruled.length
      ? `${chosen.because} (also proposed: ${overruled.map((r) => `${String(r.to)} by ${(r.findings ?? []).join('/')}`).join(', ')}; ${MIN_WINS.has(setting) ? 'the smaller value is the binding constraint' : 'reconciled by policy'})`
      : chosen.because;
    out.push({ ...chosen, because, confidence: conf, findings });
  }
  return out.sort((a, b) => ORDER.indexOf(a.setting) - ORDER.indexOf(b.setting) || (a.setting < b.setting ? -1 : 1));
}

const ORDER = ['max_num_seqs', 'max_num_batched_tokens', 'enable_chunked_prefill', 'gpu_memory_utilization', 'enable_prefix_caching', 'kv_cache_dtype', 'max_model_len', 'tensor_parallel_size', 'pipeline_parallel_size'];

function pickBy(list: Recommendation[], better: (a: Recommendation, b: Recommendation) => boolean): Recommendation {
  let best = list[0];
  for (const r of list.slice(1)) if (better(r, best)) best = r;
  return best;
}

/** The merged recommendations as `vllm serve` flags (booleans as --x / --no-x, as vLLM's CLI takes them). */
export function serveFlags(recs: Recommendation[]): string[] {
  return recs.map((r) => {
    const flag = `--${r.setting.replace(/_/g, '-')}`;
    if (typeof r.to === 'boolean') return r.to ? flag : `--no-${r.setting.replace(/_/g, '-')}`;
    return `${flag} ${String(r.to)}`;
  });
}
