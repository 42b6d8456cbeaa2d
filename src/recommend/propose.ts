// From a diagnosis's proposal to a Recommendation that is safe to paste: the replica's current value
// at the episode's time (read, inferred or unknown), the direction checked against it, and the value
// kept inside vLLM's ranges. A proposal is dropped, never shown, when it would be a no-op (equal to the
// current value, or to vLLM's default when the current value is unknown) or when the current value
// already lies on the proposed side (a "raise" to below the current value). When the current value is
// unknown or only bounded, the recommendation becomes conditional ("if your current value is above X")
// and its confidence drops one level.

import type { AnalysisView, Scope } from '../derive/view.js';
import type { Confidence, CurrentValue, Reason, Recommendation } from '../model/result.js';
import type { TunableSetting } from '../model/vocabulary.js';
import { SAFE_RANGES, vllmDefault, type DefaultsContext } from './defaults.js';

export interface Proposal {
  setting: TunableSetting;
  to: number | string | boolean;
  /** `lower` / `raise` for numbers (checked against the current value); `set` for anything else. */
  direction: 'lower' | 'raise' | 'set';
  reason: Reason;
  confidence: Confidence;
  /** `alternative`: an option beside the primary fix (another trade-off), not in the serve block. */
  role?: 'primary' | 'alternative';
  /** Whether to clamp a number into SAFE_RANGES (computed values yes; a peer's proven value no). */
  clamp?: boolean;
}

export interface ProposalContext {
  view: AnalysisView;
  replica: Scope;
  /** The time the proposal is about (the episode): the configuration in force then is the one changed. */
  atSeconds: number;
}

const LOWER: Record<Confidence, Confidence> = { high: 'medium', medium: 'low', low: 'low' };

function same(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));
  return String(a).toLowerCase() === String(b).toLowerCase();
}

/** What the defaults depend on, for one replica at one time. */
export function defaultsContext(view: AnalysisView, replica: Scope, t: number): DefaultsContext {
  const s = (k: 'vllm_version' | 'engine_version') => {
    const v = view.settingAt(replica, k, t);
    return v ? String(v.value) : undefined;
  };
  const used = view.deviceSeries('DCGM_FI_DEV_FB_USED', replica);
  const free = view.deviceSeries('DCGM_FI_DEV_FB_FREE', replica);
  let gib: number | undefined;
  if (used.length && free.length && used[0].v.length && free[0].v.length) gib = (used[0].v[used[0].v.length - 1] + free[0].v[free[0].v.length - 1]) / 1024;
  const name = view.deviceSeries('DCGM_FI_DEV_GPU_UTIL', replica)[0]?.labels.modelName;
  return { vllmVersion: s('vllm_version'), engineVersion: s('engine_version'), gpuMemoryGiB: gib, gpuName: name };
}

/**
 * Constraints vLLM checks between settings at start-up, against the replica's read values: the step
 * budget must hold one token per running sequence (max_num_batched_tokens ≥ max_num_seqs), and without
 * chunked prefill a whole prompt (max_num_batched_tokens ≥ max_model_len). A value that would break
 * them is moved to the nearest one that does not.
 */
export function withinOtherSettings(setting: TunableSetting, to: number | string | boolean, view: AnalysisView, replica: Scope, t: number): number | string | boolean {
  if (typeof to !== 'number') return to;
  const read = (k: 'max_num_seqs' | 'max_num_batched_tokens' | 'max_model_len') => view.readNum(replica, k, t);
  if (setting === 'max_num_batched_tokens') {
    let x = to;
    const seqs = read('max_num_seqs');
    if (seqs !== undefined && x < seqs) x = seqs;
    const chunked = view.settingAt(replica, 'enable_chunked_prefill', t);
    const len = read('max_model_len');
    if (chunked && chunked.source !== 'inferred' && chunked.value === false && len !== undefined && x < len) x = len;
    return x;
  }
  if (setting === 'max_num_seqs') {
    const budget = read('max_num_batched_tokens');
    return budget !== undefined && to > budget ? budget : to;
  }
  return to;
}

/** The Recommendation for a proposal, or null when it must not be shown (no-op, wrong direction). */
export function toRecommendation(p: Proposal, ctx: ProposalContext): Omit<Recommendation, 'id' | 'findings'> | null {
  const { view, replica, atSeconds } = ctx;
  let to = p.to;
  const range = SAFE_RANGES[p.setting];
  if (typeof to === 'number' && range && p.clamp !== false) to = Math.min(range.max, Math.max(range.min, to));
  to = withinOtherSettings(p.setting, to, view, replica, atSeconds);
  const sv = view.settingAt(replica, p.setting, atSeconds);
  const current: CurrentValue = sv ? { value: sv.value, source: sv.source, ...(sv.bound ? { bound: sv.bound } : {}) } : { value: null, source: 'unknown' };
  let relation: Recommendation['relation'] = 'set';
  let confidence = p.confidence;
  const known = sv && sv.source !== 'inferred' ? sv.value : undefined;
  if (known !== undefined) {
    if (same(known, to)) return null;
    if (typeof known === 'number' && typeof to === 'number') {
      if (p.direction === 'lower' && to >= known) return null;
      if (p.direction === 'raise' && to <= known) return null;
    }
  } else {
    // Unknown or inferred: never presented as a change from a value we do not have.
    if (typeof to === 'number' && p.direction !== 'set') {
      if (sv?.bound === 'lower' && typeof sv.value === 'number') {
        // current ≥ bound: a raise to at most the bound is a no-op; a lower below the bound is conditional.
        if (p.direction === 'raise' && to <= sv.value) return null;
      }
      if (sv && !sv.bound && typeof sv.value === 'number') {
        // An inferred exact value (a running plateau): check the direction against it too.
        if (p.direction === 'lower' && to >= sv.value) return null;
        if (p.direction === 'raise' && to <= sv.value) return null;
      }
      relation = p.direction === 'lower' ? 'at-most' : 'at-least';
    } else {
      const def = vllmDefault(p.setting, defaultsContext(view, replica, atSeconds));
      if (def !== undefined && same(def, to)) return null;
    }
    confidence = LOWER[confidence];
  }
  return { setting: p.setting, replicas: [replica], current, to, relation, reason: p.reason, confidence, role: p.role ?? 'primary' };
}
