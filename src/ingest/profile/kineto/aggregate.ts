// The kernel breakdown of one Kineto trace, built event by event in file order: per (device, name) stats
// and the device timeline (ProfileBuilder), launch counts, and — with the op cross-check — each kernel's
// launching op (OpLinker) with CUDA-graph replays counted apart. Names arrive as NameTable ids, so the
// result does not depend on which thread scanned which part of the file.

import type { KernelProfile } from '../../../model/profile.js';
import { ProfileBuilder, type GpuActivityKind, type Stat } from '../builder.js';
import type { KernelClassifier } from '../classify.js';
import { OpLinker, summarise, type OpTally } from '../op-check.js';
import { Cat } from './keys.js';
import { RtKind, type EventSink } from './deliver.js';
import { NameTable, internedString } from './names.js';
import type { ScanHeader } from './scanner.js';

const KIND: readonly GpuActivityKind[] = ['kernel', 'memcpy', 'memset'];
const RT_KIND = ['launch', 'graph', 'other'] as const;

/** Per device: the stats record of each name id for kernel, memcpy, memset events, and the previous
 *  kernel (CUDA-graph detection), so a run of events on one device costs no Map lookup. */
class DeviceCache {
  readonly stats: (Stat | undefined)[][] = [[], [], []];
  prevCorr = NaN;
  /** Where the previous linked kernel was counted, to move it to the graph count if the next one shares its correlation. */
  prevTally: OpTally | undefined = undefined;
  prevOp = -1;
  prevDur = 0;
}

export class KinetoAggregator {
  readonly names = new NameTable();
  private readonly builder: ProfileBuilder;
  readonly linker: OpLinker | undefined;
  private readonly graphCorr = new Set<number>();
  private extIsCorrelation = 0;
  private baseUs = NaN;
  private badGpuEvents = 0;
  private readonly devices = new Map<number | string, DeviceCache>();
  private curKey: number | string | undefined = undefined;
  private cur: DeviceCache = new DeviceCache();

  constructor(classifier: KernelClassifier, opCheck: boolean) {
    this.builder = new ProfileBuilder(classifier);
    this.linker = opCheck ? new OpLinker(classifier, (id) => this.names.nameOf(id)) : undefined;
  }

  op(tid: number | string, tsUs: number, fracNs: number, durNs: number, nameId: number, extId: number): void {
    if (!this.linker) return;
    if (this.baseUs !== this.baseUs) this.baseUs = tsUs;
    const startNs = (tsUs - this.baseUs) * 1000 + fracNs;
    this.linker.op(tid, startNs, startNs + durNs, nameId, extId);
  }

  badGpu(): void {
    this.badGpuEvents++;
  }

  /** A kernel, memcpy or memset with a usable ts and dur; `corr`, `graphId`, `extId` NaN when absent. */
  gpu(cat: Cat, nameId: number, device: number | string, stream: number | string, tsUs: number, fracNs: number, durNs: number, corr: number, graphId: number, extId: number): void {
    if (this.baseUs !== this.baseUs) this.baseUs = tsUs;
    const startNs = (tsUs - this.baseUs) * 1000 + fracNs;
    let d = this.cur;
    if (device !== this.curKey) {
      const c = this.devices.get(device);
      if (c) d = c;
      else this.devices.set(device, (d = new DeviceCache()));
      this.curKey = device;
      this.cur = d;
    }
    const slots = d.stats[cat - Cat.Kernel];
    let st = slots[nameId];
    if (st === undefined) st = slots[nameId] = this.builder.statFor(KIND[cat - Cat.Kernel], device, this.names.nameOf(nameId));
    const hasCorr = corr === corr;
    this.builder.record(st, device, stream, startNs, durNs, hasCorr ? corr : undefined, graphId > 0);
    if (this.linker && cat === Cat.Kernel) {
      let t = st.tally;
      if (!t) st.tally = t = { byOp: new Map(), graphCount: 0, graphNs: 0, lastOp: -2, lastCounts: undefined };
      // Graph-replayed: a "graph id", the correlation of a cudaGraphLaunch seen before, or the same
      // correlation as the previous kernel on the device (a graph launch runs many kernels under one
      // id; the previous kernel of the run is then moved to the graph count too).
      const sameRun = hasCorr && corr === d.prevCorr;
      const pt = d.prevTally;
      if (sameRun && pt) {
        const r = pt.byOp.get(d.prevOp)!;
        r[0]--;
        r[1] -= d.prevDur;
        if (r[0] === 0) {
          pt.byOp.delete(d.prevOp);
          pt.lastOp = -2;
        }
        pt.graphCount++;
        pt.graphNs += d.prevDur;
        d.prevTally = undefined;
      }
      if (hasCorr) d.prevCorr = corr;
      if (graphId > 0 || sameRun || (hasCorr && this.graphCorr.size > 0 && this.graphCorr.has(corr))) {
        t.graphCount++;
        t.graphNs += durNs;
      } else {
        // Kineto 2022–23 wrote the correlation id as the kernel's External id: no link to an op then.
        let op = -1;
        if (extId === corr) this.extIsCorrelation++;
        else op = this.linker.lookup(extId);
        // a kernel name is nearly always launched by the same op: the last (op, counts) pair is kept
        let r = t.lastOp === op ? t.lastCounts : t.byOp.get(op);
        if (r) {
          r[0]++;
          r[1] += durNs;
        } else t.byOp.set(op, (r = [1, durNs]));
        t.lastOp = op;
        t.lastCounts = r;
        d.prevTally = t;
        d.prevOp = op;
        d.prevDur = durNs;
      }
    }
  }

  runtime(kind: RtKind, durNs: number, corr: number): void {
    this.builder.runtimeCall(RT_KIND[kind], durNs);
    if (kind === RtKind.Graph && corr === corr) this.graphCorr.add(corr);
  }

  /** The profile of the whole trace, once every event has been fed in file order. */
  finish(display: string, header: ScanHeader): KernelProfile {
    const builder = this.builder;
    const linker = this.linker;
    const base: Omit<KernelProfile, 'kernels' | 'devices' | 'gpuActivity' | 'launches' | 'shortKernels'> = { file: display, format: 'kineto-trace' };
    const dist = header.distributedInfo as { rank?: unknown; world_size?: unknown } | undefined;
    if (dist && typeof dist.rank === 'number') base.rank = dist.rank;
    if (dist && typeof dist.world_size === 'number') base.worldSize = dist.world_size;
    const profile = builder.finish(base, { timeline: true, launches: builder.runtimeEvents > 0 });
    const notes: string[] = [];
    if (linker && linker.ops > 0 && profile.gpuActivity) {
      profile.opCheck = builder.kernelStatsByDevice().map(([dev, stats]) => summarise(dev, stats, linker, (id) => this.names.nameOf(id)));
      if (this.extIsCorrelation > 0) notes.push(`op cross-check: ${this.extIsCorrelation} kernels carry their correlation id as External id (a 2022–23 Kineto layout), so their launching op is unknown`);
    }
    if (!profile.gpuActivity) notes.push('no GPU activity: the trace holds no kernel, memcpy or memset events (CPU-only trace)');
    if (this.badGpuEvents) notes.push(`${this.badGpuEvents} GPU events without ts/dur were skipped`);
    if (notes.length) profile.notes = notes;
    // Device name from deviceProperties (the entry whose id is the busiest device, else the first).
    const props = Array.isArray(header.deviceProperties) ? (header.deviceProperties as { id?: unknown; name?: unknown }[]) : [];
    if (props.length) {
      const dev = profile.devices?.[0]?.device;
      const hit = props.find((d) => String(d.id) === dev) ?? props[0];
      if (typeof hit?.name === 'string' && hit.name) profile.deviceName = hit.name;
    }
    return profile;
  }
}

/** Feeds an aggregator from a scanner in the same thread: this thread's interned ids → NameTable ids. */
export class LocalSink implements EventSink {
  private map = new Int32Array(1024).fill(-1);

  constructor(private readonly agg: KinetoAggregator) {}

  private nameId(raw: number, name: string | undefined): number {
    if (raw < 0) return this.agg.names.idOf(name!);
    if (raw >= this.map.length) {
      const m = new Int32Array(Math.max(raw + 1, this.map.length * 2)).fill(-1);
      m.set(this.map);
      this.map = m;
    }
    let id = this.map[raw];
    if (id < 0) id = this.map[raw] = this.agg.names.idOf(internedString(raw));
    return id;
  }

  op(tid: number | string, tsUs: number, fracNs: number, durNs: number, raw: number, name: string | undefined, extId: number): void {
    this.agg.op(tid, tsUs, fracNs, durNs, this.nameId(raw, name), extId);
  }

  gpu(cat: Cat, raw: number, name: string | undefined, device: number | string, stream: number | string, tsUs: number, fracNs: number, durNs: number, corr: number, graphId: number, extId: number): void {
    this.agg.gpu(cat, this.nameId(raw, name), device, stream, tsUs, fracNs, durNs, corr, graphId, extId);
  }

  badGpu(): void {
    this.agg.badGpu();
  }

  runtime(kind: RtKind, durNs: number, corr: number): void {
    this.agg.runtime(kind, durNs, corr);
  }
}
