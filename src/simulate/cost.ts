// Step time of one engine iteration: a roofline over the scheduled tokens. Compute = Σ tokens ×
// (2 × active params + attention over the context) at MFU × peak; memory = weights (the experts a
// batch touches, for MoE) + the KV of every scheduled context at a share of peak bandwidth; plus a
// fixed CPU overhead and TP all-reduces. Constants and sources: docs/simulator.md, COST in presets.ts.

import { COST, weightBytes, type MemoryPlan } from './presets.js';
import type { Req } from './request.js';
import type { ReplicaSpec } from './types.js';

export class StepCost {
  // The last step's times (fields, not a returned object: one step is computed per engine iteration).
  /** Wall time of the step, seconds (CPU overhead included). */
  dt = 0;
  /** Time the GPU is busy within it. */
  gpuTime = 0;
  compute = 0;
  memory = 0;
  private readonly weightBytes: number;
  private readonly kvBpt: number;
  private readonly attnDim: number;
  private readonly flopsPeak: number;
  private readonly bw: number;
  private readonly tpOverhead: number;
  /** Factors on the compute and memory terms (1 = the roofline as is); replay calibrates them to the step times measured in a window. */
  computeScale = 1;
  memoryScale = 1;

  constructor(
    private readonly spec: ReplicaSpec,
    plan: MemoryPlan,
  ) {
    const m = spec.model;
    const tp = spec.tensorParallelSize;
    if (spec.stepTimeScale) {
      this.computeScale = spec.stepTimeScale.compute;
      this.memoryScale = spec.stepTimeScale.memory;
    }
    this.weightBytes = plan.weightBytesPerGpu;
    this.kvBpt = plan.kvBytesPerToken;
    this.attnDim = m.heads * m.headDim;
    this.flopsPeak = spec.gpu.bf16Flops * COST.mfu; // per GPU; the work is divided by tp below
    this.bw = spec.gpu.memBandwidth * COST.bandwidthEfficiency;
    this.tpOverhead = tp > 1 ? 2 * m.layers * COST.allReduceSeconds : 0;
  }

  /** Time of a step that computes `ns[j]` tokens of `reqs[j]` (`tokens` in all) at SM clock factor `clock`; sets the fields, returns `dt`. */
  step(reqs: readonly Req[], ns: readonly number[], tokens: number, clock: number): number {
    const m = this.spec.model;
    const tp = this.spec.tensorParallelSize;
    let flops = 0;
    let kvRead = 0;
    for (let j = 0; j < reqs.length; j++) {
      const n = ns[j];
      const ctx = reqs[j].computed;
      flops += n * (2 * m.activeParams + 4 * m.layers * this.attnDim * (ctx + n / 2));
      kvRead += ctx + n;
    }
    let wBytes = this.weightBytes;
    // params = shared + count × expert, active = shared + topK × expert: a batch reads the experts its tokens touch.
    if (m.experts) wBytes = weightBytes(m, tp, 1 - Math.pow(1 - m.experts.topK / m.experts.count, tokens));
    let compute = flops / tp / (this.flopsPeak * clock);
    let memory = (wBytes + kvRead * this.kvBpt) / (this.bw * (0.5 + 0.5 * clock));
    if (this.computeScale !== 1) compute *= this.computeScale;
    if (this.memoryScale !== 1) memory *= this.memoryScale;
    const gpuTime = Math.max(compute, memory) + this.tpOverhead;
    this.gpuTime = gpuTime;
    this.compute = compute;
    this.memory = memory;
    this.dt = COST.stepOverheadSeconds + gpuTime;
    return this.dt;
  }
}
