// What the engine knows and an export only approximates, recorded per time bin for one replica:
// preemptions, queue and KV peaks, TTFT of every first token (exact), inter-token latency in fine
// log-spaced bins, and the length mix of the requests that arrived or finished. The ground truth
// (truth.ts) and the replay validation read it; nothing here is exported as a metric.

import type { ArrivalProbe, FinishProbe, SimHooks, StepProbe } from './engine.js';

/** Log-spaced latency bins: 5 % wide from 0.1 ms (a quantile read from them is within ±2.5 %). */
const LAT_RATIO = 1.05;
const LAT_MIN = 1e-4;
const LAT_BINS = 320; // up to ≈ 0.1 ms × 1.05^320 ≈ 6e2 s; larger values land in the last bin
const LN_RATIO = Math.log(LAT_RATIO);

const FINE_RATIO = 1.002;
const LN_FINE = Math.log(FINE_RATIO);
const FINE_BINS = Math.ceil(Math.log(1e4 / LAT_MIN) / LN_FINE) + 1;

function fineBin(v: number): number {
  if (!(v > LAT_MIN)) return 0;
  const b = Math.floor(Math.log(v / LAT_MIN) / LN_FINE) + 1;
  return b >= FINE_BINS ? FINE_BINS - 1 : b;
}

export function latencyBin(v: number): number {
  if (!(v > LAT_MIN)) return 0;
  const b = Math.floor(Math.log(v / LAT_MIN) / LN_RATIO) + 1;
  return b >= LAT_BINS ? LAT_BINS - 1 : b;
}

/** Geometric middle of a latency bin. */
export function latencyBinValue(b: number): number {
  if (b <= 0) return LAT_MIN;
  return LAT_MIN * Math.pow(LAT_RATIO, b - 0.5);
}

/** Quantile q of counts over latency bins (NaN when empty). */
export function binnedQuantile(counts: ArrayLike<number>, q: number): number {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return NaN;
  const rank = q * total;
  let acc = 0;
  for (let i = 0; i < counts.length; i++) {
    acc += counts[i];
    if (acc >= rank) return latencyBinValue(i);
  }
  return latencyBinValue(counts.length - 1);
}

class Growable {
  a: Float64Array;
  n = 0;
  constructor(cap = 1024) {
    this.a = new Float64Array(cap);
  }
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

/** Per-bin facts of one replica. Bins are `binSeconds` long from offset 0. */
export class Timeline implements SimHooks {
  readonly nBins: number;
  readonly preemptions: Float64Array;
  readonly waitingMax: Float64Array;
  readonly runningMax: Float64Array;
  readonly kvUsageMax: Float64Array;
  readonly arrivals: Float64Array;
  readonly finishes: Float64Array;
  readonly dropped: Float64Array;
  /** Per bin × latency bin: inter-token gaps. */
  readonly tbt: Uint32Array;
  /** Every first token: offset (s) and TTFT (s), in time order. */
  readonly ttftAt = new Growable();
  readonly ttftValue = new Growable();
  /** Every arrival: offset, prompt tokens, output tokens it will produce, stream. */
  readonly arrivalAt = new Growable();
  readonly arrivalPrompt = new Growable();
  readonly arrivalOutput = new Growable();
  readonly arrivalStream = new Growable();
  /** Every finish: offset, prompt tokens, output tokens, queue time, e2e. */
  readonly finishAt = new Growable();
  readonly finishPrompt = new Growable();
  readonly finishOutput = new Growable();
  readonly finishQueue = new Growable();
  readonly finishE2e = new Growable();
  private lastPreemptions = 0;
  /** Whole-run inter-token gaps in 0.2 % log bins, from `fineFrom` on (capacity probes); null when off. */
  fineTbt: Uint32Array | null = null;
  fineFrom = 0;

  constructor(
    readonly durationSeconds: number,
    readonly binSeconds = 60,
  ) {
    this.nBins = Math.max(1, Math.ceil(durationSeconds / binSeconds));
    const n = this.nBins;
    this.preemptions = new Float64Array(n);
    this.waitingMax = new Float64Array(n);
    this.runningMax = new Float64Array(n);
    this.kvUsageMax = new Float64Array(n);
    this.arrivals = new Float64Array(n);
    this.finishes = new Float64Array(n);
    this.dropped = new Float64Array(n);
    this.tbt = new Uint32Array(n * LAT_BINS);
  }

  bin(t: number): number {
    const b = Math.floor(t / this.binSeconds);
    return b < 0 ? 0 : b >= this.nBins ? this.nBins - 1 : b;
  }

  onStep(p: StepProbe): void {
    const b = this.bin(p.time);
    // Cumulative over processes; a new process's scheduler starts at the running total.
    if (p.preemptions > this.lastPreemptions) this.preemptions[b] += p.preemptions - this.lastPreemptions;
    this.lastPreemptions = p.preemptions;
    if (p.waiting > this.waitingMax[b]) this.waitingMax[b] = p.waiting;
    if (p.running > this.runningMax[b]) this.runningMax[b] = p.running;
    const kv = p.numGpuBlocks > 0 ? p.blocksInUse / p.numGpuBlocks : 0;
    if (kv > this.kvUsageMax[b]) this.kvUsageMax[b] = kv;
  }

  onArrival(p: ArrivalProbe): void {
    const b = this.bin(p.time);
    this.arrivals[b]++;
    if (p.dropped) this.dropped[b]++;
    this.arrivalAt.push(p.time);
    this.arrivalPrompt.push(p.promptLen);
    this.arrivalOutput.push(p.outputLen);
    this.arrivalStream.push(p.stream);
  }

  onFirstToken(now: number, ttft: number): void {
    this.ttftAt.push(now);
    this.ttftValue.push(ttft);
  }

  onToken(now: number, gap: number): void {
    this.tbt[this.bin(now) * LAT_BINS + latencyBin(gap)]++;
    if (this.fineTbt && now >= this.fineFrom) this.fineTbt[fineBin(gap)]++;
  }

  /** Keep a fine whole-run histogram of inter-token gaps from offset `from` (for exact-enough quantiles). */
  enableFineTbt(from: number): void {
    this.fineTbt = new Uint32Array(FINE_BINS);
    this.fineFrom = from;
  }

  /** Inter-token latency quantile from the fine histogram (±0.1 %); NaN when off or empty. */
  fineTbtQuantile(q: number): number {
    const h = this.fineTbt;
    if (!h) return NaN;
    let total = 0;
    for (let i = 0; i < h.length; i++) total += h[i];
    if (total <= 0) return NaN;
    const rank = q * total;
    let acc = 0;
    for (let i = 0; i < h.length; i++) {
      acc += h[i];
      if (acc >= rank) return LAT_MIN * Math.pow(FINE_RATIO, i - 0.5);
    }
    return NaN;
  }

  onFinish(p: FinishProbe): void {
    this.finishes[this.bin(p.finishedAt)]++;
    this.finishAt.push(p.finishedAt);
    this.finishPrompt.push(p.promptLen);
    this.finishOutput.push(p.outputLen);
    this.finishQueue.push(p.queueTime);
    this.finishE2e.push(p.e2e);
  }

  /** TTFT quantile over first tokens produced in [from, to) (offsets, s); NaN when none. Exact. */
  ttftQuantile(from: number, to: number, q: number): number {
    const at = this.ttftAt.view();
    const v = this.ttftValue.view();
    const sel: number[] = [];
    for (let i = lowerBound(at, from); i < at.length && at[i] < to; i++) sel.push(v[i]);
    return exactQuantile(sel, q);
  }

  /** Inter-token latency quantile over tokens produced in bins [b0, b1); ±2.5 %. */
  tbtQuantile(b0: number, b1: number, q: number): number {
    const acc = new Float64Array(LAT_BINS);
    for (let b = Math.max(0, b0); b < Math.min(this.nBins, b1); b++) {
      const base = b * LAT_BINS;
      for (let i = 0; i < LAT_BINS; i++) acc[i] += this.tbt[base + i];
    }
    return binnedQuantile(acc, q);
  }

  /** Length mix of the requests that arrived in [from, to): means and the p90 of prompt + output. */
  arrivalMix(from: number, to: number): LengthMix {
    const at = this.arrivalAt.view();
    const p = this.arrivalPrompt.view();
    const o = this.arrivalOutput.view();
    const tot: number[] = [];
    let sp = 0;
    let so = 0;
    for (let i = lowerBound(at, from); i < at.length && at[i] < to; i++) {
      sp += p[i];
      so += o[i];
      tot.push(p[i] + o[i]);
    }
    return mix(tot.length, sp, so, tot);
  }

  /** Length mix of the requests that finished in [from, to) (what the token histograms show). */
  finishMix(from: number, to: number): LengthMix {
    const at = this.finishAt.view();
    const p = this.finishPrompt.view();
    const o = this.finishOutput.view();
    const tot: number[] = [];
    let sp = 0;
    let so = 0;
    for (let i = lowerBound(at, from); i < at.length && at[i] < to; i++) {
      sp += p[i];
      so += o[i];
      tot.push(p[i] + o[i]);
    }
    return mix(tot.length, sp, so, tot);
  }

  /** Mean queue time of requests finished in [from, to). */
  queueMean(from: number, to: number): number {
    const at = this.finishAt.view();
    const q = this.finishQueue.view();
    let s = 0;
    let n = 0;
    for (let i = lowerBound(at, from); i < at.length && at[i] < to; i++) {
      s += q[i];
      n++;
    }
    return n ? s / n : NaN;
  }

  sum(a: Float64Array, b0: number, b1: number): number {
    let s = 0;
    for (let b = Math.max(0, b0); b < Math.min(this.nBins, b1); b++) s += a[b];
    return s;
  }

  max(a: Float64Array, b0: number, b1: number): number {
    let m = 0;
    for (let b = Math.max(0, b0); b < Math.min(this.nBins, b1); b++) if (a[b] > m) m = a[b];
    return m;
  }
}

export interface LengthMix {
  requests: number;
  promptTokensMean: number;
  outputTokensMean: number;
  /** Mean of prompt + output tokens: the KV a sequence holds when it finishes. */
  tokensPerSequence: number;
  tokensPerSequenceP90: number;
}

function mix(n: number, sp: number, so: number, tot: number[]): LengthMix {
  return {
    requests: n,
    promptTokensMean: n ? sp / n : NaN,
    outputTokensMean: n ? so / n : NaN,
    tokensPerSequence: n ? (sp + so) / n : NaN,
    tokensPerSequenceP90: exactQuantile(tot, 0.9),
  };
}

/** First index with a[i] >= x (a sorted ascending). */
function lowerBound(a: Float64Array, x: number): number {
  let lo = 0;
  let hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (a[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Quantile by the nearest-rank method (NaN on an empty list). */
export function exactQuantile(values: number[], q: number): number {
  if (!values.length) return NaN;
  const s = Float64Array.from(values).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1));
  return s[i];
}
