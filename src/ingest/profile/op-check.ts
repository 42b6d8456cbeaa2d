// The op cross-check (issue 12 §3): which CPU operator launched each kernel, classified by the op
// rules of kernel-patterns.json, compared with the class the kernel's name got.
//
// Link: a kernel's args["External id"] is the External id of the innermost CPU op open when it was
// launched (Kineto ≥ 2023 writes it on ops, runtime calls and kernels alike). Kineto lists CPU ops
// before GPU events, each thread's ops in start order, so ops are read as a stream: a small stack per
// thread gives each op its "deciding" op — itself when an op rule calls it attention/MoE/GEMM/
// communication, else the nearest enclosing op that is (so `aten::add` inside `vllm::unified_attention`
// speaks for attention), else itself when it is a known library op (class `other`). Memory: one
// 4-byte slot per External id (in 256 KiB pages where ids occur), nothing per kernel event.
// Kernels replayed from a CUDA graph carry the External id of the op around `cudaGraphLaunch`, which
// did not launch them: they are counted apart and have no op opinion.

import type { KernelCategory, OpCheckDevice, OpPair } from '../../model/profile.js';
import type { KernelClassifier, OpClass } from './classify.js';

const MAX_SPAN = 1 << 23; // External ids kept per trace (32 MiB at most); beyond, kernels count as unlinked
const PAGE_BITS = 16;
const PAGE_MASK = (1 << PAGE_BITS) - 1;

class OpStack {
  ends = new Float64Array(32);
  decider = new Int32Array(32);
  depth = 0;
}

export class OpLinker {
  private base = NaN;
  /** Deciding op name id + 1 per External id − base (0 = none), in pages allocated where ids occur. */
  private readonly pages: (Uint32Array | undefined)[] = [];
  private readonly stacks = new Map<number | string, OpStack>();
  private lastTid: number | string | undefined = undefined;
  private lastStack: OpStack | undefined = undefined;
  /** Class per op name id: −2 not computed, −1 no rule, else the index in OP_CLASSES. */
  private cls = new Int8Array(1024).fill(-2);
  ops = 0;

  constructor(
    private readonly classifier: KernelClassifier,
    private readonly nameOf: (id: number) => string,
  ) {}

  private classIdx(nameId: number): number {
    if (nameId >= this.cls.length) {
      const n = new Int8Array(Math.max(nameId + 1, this.cls.length * 2)).fill(-2);
      n.set(this.cls);
      this.cls = n;
    }
    let c = this.cls[nameId];
    if (c === -2) {
      const k = this.classifier.classifyOp(this.nameOf(nameId));
      c = this.cls[nameId] = k === null ? -1 : OPS.indexOf(k);
    }
    return c;
  }

  /** One CPU op: `nameId` from the intern table, times in ns on the trace's clock. */
  op(tid: number | string, startNs: number, endNs: number, nameId: number, extId: number): void {
    this.ops++;
    let st = this.lastStack;
    if (tid !== this.lastTid || !st) {
      st = this.stacks.get(tid);
      if (!st) this.stacks.set(tid, (st = new OpStack()));
      this.lastTid = tid;
      this.lastStack = st;
    }
    while (st.depth > 0 && st.ends[st.depth - 1] <= startNs) st.depth--;
    const own = nameId < 0 ? -1 : this.classIdx(nameId);
    const parent = st.depth > 0 ? st.decider[st.depth - 1] : -1;
    // decisive = attention, moe, gemm, communication (indices 0..3); `other` (4) only when no parent speaks
    const decider = own >= 0 && own < 4 ? nameId : parent >= 0 ? parent : own === 4 ? nameId : -1;
    if (st.depth === st.ends.length) {
      const e = new Float64Array(st.depth * 2);
      e.set(st.ends);
      const d = new Int32Array(st.depth * 2);
      d.set(st.decider);
      st.ends = e;
      st.decider = d;
    }
    st.ends[st.depth] = endNs;
    st.decider[st.depth] = decider;
    st.depth++;
    if (decider >= 0 && extId === extId) this.set(extId, decider);
  }

  private set(extId: number, decider: number): void {
    if (this.base !== this.base) this.base = extId;
    const i = extId - this.base;
    if (i < 0 || i >= MAX_SPAN) return;
    const k = i >>> PAGE_BITS;
    let pg = this.pages[k];
    if (pg === undefined) {
      while (this.pages.length < k) this.pages.push(undefined);
      this.pages[k] = pg = new Uint32Array(1 << PAGE_BITS);
    }
    pg[i & PAGE_MASK] = decider + 1;
  }

  /** Deciding op name id for a kernel's External id, or −1. */
  lookup(extId: number): number {
    if (extId !== extId || this.base !== this.base) return -1;
    const i = extId - this.base;
    if (i < 0 || i >= MAX_SPAN) return -1;
    const pg = this.pages[i >>> PAGE_BITS];
    return pg === undefined ? -1 : pg[i & PAGE_MASK] - 1;
  }

  opClass(nameId: number): OpClass | null {
    const c = this.classIdx(nameId);
    return c < 0 ? null : OPS[c];
  }
}

const OPS: readonly OpClass[] = ['attention', 'moe', 'gemm', 'communication', 'other'];

/** Per (device, kernel name): kernels by deciding op id (−1 = unlinked), and graph-replayed ones. */
export interface OpTally {
  byOp: Map<number, [number, number]>;
  graphCount: number;
  graphNs: number;
  /** The entry of byOp used last (its op id, −2 none), so a run of one op costs no Map lookup. */
  lastOp: number;
  lastCounts: [number, number] | undefined;
}

export type Verdict = 'agree' | 'conflict' | 'attributed' | 'no-opinion';

/** How the op's class relates to the class of the kernel's name. */
export function verdict(category: KernelCategory, sub: string | undefined, op: OpClass | null): Verdict {
  if (op === null) return 'no-opinion';
  const k = category === 'moe_gemm' || (category === 'other' && sub === 'moe_routing') ? 'moe' : category;
  if (k === op) return 'agree';
  if (op === 'other') return 'conflict'; // a named attention/GEMM/collective kernel under a plain op
  if (category === 'other') return 'attributed'; // the name says nothing; the op says what it belongs to
  return 'conflict';
}

const MAX_PAIRS = 20;

export function summarise(device: string, stats: { name: string; category: KernelCategory; sub?: string; count: number; totalNs: number; tally?: OpTally }[], linker: OpLinker, nameOf: (id: number) => string): OpCheckDevice {
  const r: OpCheckDevice = { device, kernels: 0, kernelNs: 0, linkedKernels: 0, linkedNs: 0, graphKernels: 0, graphNs: 0, unlinkedKernels: 0, unlinkedNs: 0, agreeNs: 0, conflictNs: 0, attributedNs: 0, noOpinionNs: 0, pairs: [] };
  const pairs: OpPair[] = [];
  for (const s of stats) {
    r.kernels += s.count;
    r.kernelNs += s.totalNs;
    const t = s.tally;
    if (!t) {
      r.unlinkedKernels += s.count;
      r.unlinkedNs += s.totalNs;
      continue;
    }
    r.graphKernels += t.graphCount;
    r.graphNs += t.graphNs;
    for (const [opId, [count, ns]] of t.byOp) {
      if (opId < 0) {
        r.unlinkedKernels += count;
        r.unlinkedNs += ns;
        continue;
      }
      r.linkedKernels += count;
      r.linkedNs += ns;
      const oc = linker.opClass(opId);
      const v = verdict(s.category, s.sub, oc);
      if (v === 'agree') r.agreeNs += ns;
      else if (v === 'no-opinion') r.noOpinionNs += ns;
      else {
        if (v === 'conflict') r.conflictNs += ns;
        else r.attributedNs += ns;
        const p: OpPair = { kernel: s.name, kernelCategory: s.category, op: nameOf(opId), opClass: oc!, verdict: v, count, ns };
        if (s.sub !== undefined) p.kernelSub = s.sub;
        pairs.push(p);
      }
    }
  }
  pairs.sort((a, b) => (a.verdict === b.verdict ? 0 : a.verdict === 'conflict' ? -1 : 1) || b.ns - a.ns || (a.kernel < b.kernel ? -1 : a.kernel > b.kernel ? 1 : 0));
  r.pairs = pairs.slice(0, MAX_PAIRS);
  return r;
}
