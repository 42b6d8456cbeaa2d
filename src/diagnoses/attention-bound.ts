// ATTENTION_BOUND (GPU profiles): attention kernels dominate GPU time — decode attention reads the whole
// KV cache every step; long contexts and large batches make it the largest cost. Joined with metrics:
// where a replica's KV pool also ran near full (kv-pressure episodes), fp8 KV addresses both at once and
// becomes the primary recommendation for those replicas.

import { defineDiagnosis, found, none, notEvaluated, type ProposalAt } from './define-diagnosis.js';
import { activeDevices, ATTENTION_SHARE_CRIT, ATTENTION_SHARE_WARN, devicesLabel, share, worstDevice } from './gpu-shared.js';
import { FLEET } from '../derive/view.js';

export default defineDiagnosis({
  code: 'ATTENTION_BOUND',
  needs: [],
  runs: 'profile',
  diagnose({ view, gpu, allSignals }) {
    const active = activeDevices(gpu);
    if (typeof active === 'string') return notEvaluated(active);
    const w = worstDevice(active, (d) => share(d, 'attention'), ATTENTION_SHARE_WARN);
    if (!w.over.length) return none;
    const d = w.d;
    const attn = d.categories.find((c) => c.category === 'attention')!;
    const dtype = view.settingAt(FLEET, 'kv_cache_dtype');
    const proposals: ProposalAt[] = [];
    const pressured = allSignals('kv-pressure').filter((s) => s.episodes.length);
    const sixteen = (v: { value: unknown; source: string } | undefined) => v && v.source !== 'inferred' && ['auto', 'bfloat16', 'float16'].includes(String(v.value));
    for (const s of pressured) {
      const e = s.episodes[0];
      if (!sixteen(view.settingAt(s.scope, 'kv_cache_dtype', e.startSeconds))) continue;
      proposals.push({ replica: s.scope, atSeconds: e.startSeconds, setting: 'kv_cache_dtype', to: 'fp8', direction: 'set', confidence: 'medium', reason: { kind: 'kv-fp8', numbers: { attentionShare: w.v, kvMeanRatio: e.numbers.kvMeanRatio, poolTokens: null, poolAfterTokens: null } } });
    }
    if (!proposals.length && sixteen(dtype)) {
      proposals.push({ replica: FLEET, atSeconds: view.end, setting: 'kv_cache_dtype', to: 'fp8', direction: 'set', confidence: 'medium', role: 'alternative', reason: { kind: 'kv-fp8', numbers: { attentionShare: w.v, poolTokens: null, poolAfterTokens: null } } });
    }
    return found({
      severity: w.v >= ATTENTION_SHARE_CRIT ? 'critical' : 'warning',
      episodes: [],
      scope: devicesLabel(w.over),
      evidence: { device: d.label, attentionShare: w.v, attentionNs: attn.ns, topAttentionKernel: (attn.top[0]?.name ?? '').slice(0, 120), kvCacheDtype: dtype ? String(dtype.value) : null, thresholdShare: ATTENTION_SHARE_WARN, kvPressureReplicas: pressured.length ? pressured.map((s) => s.scope).join(', ') : null, kvMeanRatio: pressured[0]?.episodes[0]?.numbers.kvMeanRatio ?? null },
      proposals,
    });
  },
});
