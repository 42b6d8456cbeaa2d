// Kineto / torch.profiler chrome trace JSON (export_chrome_trace, tensorboard_trace_handler, vLLM's
// profiler output), current categories (kernel, gpu_memcpy, gpu_memset, cuda_runtime, …) and the
// 2021 ones (Kernel, Memcpy, Memset, Runtime). Streamed with a byte scanner
// (src/ingest/profile/kineto/): memory depends on distinct kernels, not on file size.
// GPU events: pid = device (args.device when present), tid = stream (args.stream when present).
// A trace without GPU events is a CPU-only trace: a profile that says "no GPU activity".

import { InputError } from '../errors.js';
import type { KernelProfile } from '../model/profile.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { KernelClassifier } from './profile/classify.js';
import { ProfileBuilder, type GpuActivityKind, type Stat } from './profile/builder.js';
import { Cat } from './profile/kineto/keys.js';
import { KinetoScanner } from './profile/kineto/scanner.js';
import type { ScannedEvent } from './profile/kineto/events.js';
import { internedId, internedString, nameHas, eventName } from './profile/kineto/names.js';
import { OpLinker, summarise, type OpTally } from './profile/op-check.js';

const PH_X = 88; // 'X'

export interface KinetoReadResult {
  profile: KernelProfile;
  events: number;
}

export interface KinetoReadOptions {
  /** Link kernels to the CPU ops that launched them and compare classes (default true). */
  opCheck?: boolean;
}

/** Read one trace into a KernelProfile (exported for tests and the bench). */
export async function readKinetoProfile(src: InputSource, classifier: KernelClassifier, opts: KinetoReadOptions = {}): Promise<KinetoReadResult> {
  const builder = new ProfileBuilder(classifier);
  const linker = opts.opCheck === false ? undefined : new OpLinker(classifier, internedString);
  const graphCorr = new Set<number>();
  let extIsCorrelation = 0;
  // per device: the previous kernel's correlation, and where it was counted (to move it to the graph count)
  const prevCorr = new Map<number | string, number>();
  const prevTally = new Map<number | string, OpTally | undefined>();
  const prevOp = new Map<number | string, number>();
  const prevDur = new Map<number | string, number>();
  let baseUs = NaN;
  let badGpuEvents = 0;
  // per device: for kernel, memcpy, memset events, the stats record of each interned name id
  const statCaches = new Map<number | string, (Stat | undefined)[][]>();
  let cacheDevice: number | string | undefined = undefined;
  let cache: (Stat | undefined)[][] = [[], [], []];
  const onEvent = (ev: ScannedEvent): void => {
    if (ev.ph !== PH_X) return;
    const cat = ev.cat;
    if (cat === Cat.CpuOp) {
      if (!linker || !ev.hasTs) return;
      if (baseUs !== baseUs) baseUs = ev.tsUs;
      const startNs = (ev.tsUs - baseUs) * 1000 + ev.tsFracNs;
      const dur = ev.durNs >= 0 ? ev.durNs : 0;
      linker.op(ev.tidNum === ev.tidNum ? ev.tidNum : (ev.tidStr ?? '?'), startNs, startNs + dur, internedId(ev), ev.extId);
      return;
    }
    if (cat === Cat.Kernel || cat === Cat.Memcpy || cat === Cat.Memset) {
      if (!ev.hasTs || !(ev.durNs >= 0)) {
        badGpuEvents++;
        return;
      }
      if (baseUs !== baseUs) baseUs = ev.tsUs;
      const startNs = (ev.tsUs - baseUs) * 1000 + ev.tsFracNs;
      const device = ev.device === ev.device ? ev.device : ev.pidNum === ev.pidNum ? ev.pidNum : (ev.pidStr ?? '?');
      const stream = ev.stream === ev.stream ? ev.stream : ev.tidNum === ev.tidNum ? ev.tidNum : (ev.tidStr ?? '?');
      const kind: GpuActivityKind = cat === Cat.Kernel ? 'kernel' : cat === Cat.Memcpy ? 'memcpy' : 'memset';
      const corr = ev.correlation === ev.correlation ? ev.correlation : undefined;
      // Stats record by (device, kind, interned name id): an array slot per name, no string and no
      // Map lookup per event once a name has been seen on the device.
      const id = internedId(ev);
      let st: Stat | undefined;
      if (id < 0) st = builder.statFor(kind, device, eventName(ev));
      else {
        if (device !== cacheDevice) {
          cacheDevice = device;
          let c = statCaches.get(device);
          if (!c) statCaches.set(device, (c = [[], [], []]));
          cache = c;
        }
        const slots = cache[cat - Cat.Kernel];
        st = slots[id];
        if (st === undefined) st = slots[id] = builder.statFor(kind, device, internedString(id));
      }
      builder.record(st, device, stream, startNs, ev.durNs, corr, ev.graphId > 0);
      if (linker && cat === Cat.Kernel) {
        let t = st.tally;
        if (!t) st.tally = t = { byOp: new Map(), graphCount: 0, graphNs: 0 };
        // Graph-replayed: a "graph id", the correlation of a cudaGraphLaunch seen before, or the same
        // correlation as the previous kernel on the device (a graph launch runs many kernels under one
        // id; the previous kernel of the run is then moved to the graph count too).
        const sameRun = corr !== undefined && corr === prevCorr.get(device);
        if (sameRun && prevTally.get(device)) {
          const pt = prevTally.get(device)!;
          const r = pt.byOp.get(prevOp.get(device)!)!;
          const pd = prevDur.get(device)!;
          r[0]--;
          r[1] -= pd;
          if (r[0] === 0) pt.byOp.delete(prevOp.get(device)!);
          pt.graphCount++;
          pt.graphNs += pd;
          prevTally.set(device, undefined);
        }
        if (corr !== undefined) prevCorr.set(device, corr);
        if (ev.graphId > 0 || sameRun || (corr !== undefined && graphCorr.has(corr))) {
          t.graphCount++;
          t.graphNs += ev.durNs;
        } else {
          // Kineto 2022–23 wrote the correlation id as the kernel's External id: no link to an op then.
          let op = -1;
          if (ev.extId === ev.correlation) extIsCorrelation++;
          else op = linker.lookup(ev.extId);
          const r = t.byOp.get(op);
          if (r) {
            r[0]++;
            r[1] += ev.durNs;
          } else t.byOp.set(op, [1, ev.durNs]);
          prevTally.set(device, t);
          prevOp.set(device, op);
          prevDur.set(device, ev.durNs);
        }
      }
    } else if (cat === Cat.Runtime) {
      // Runtime calls are counted from their name bytes (no string per call).
      const dur = ev.durNs === ev.durNs ? ev.durNs : 0;
      if (nameHas(ev, 'GraphLaunch')) {
        builder.runtimeCall('graph', dur);
        if (ev.correlation === ev.correlation) graphCorr.add(ev.correlation);
      }
      else if (nameHas(ev, 'LaunchKernel') || nameHas(ev, 'LaunchCooperativeKernel')) builder.runtimeCall('launch', dur);
      else builder.runtimeCall('other', dur);
    }
  };
  const scanner = new KinetoScanner(src.display, onEvent, linker !== undefined);
  for await (const chunk of src.chunks()) scanner.push(chunk);
  const { sawEvents } = scanner.finish();
  if (!sawEvents) {
    throw new InputError({ code: 'TRACE_SHAPE', file: src.display, message: 'JSON object has no `traceEvents` array', hint: 'a Kineto/chrome trace holds `"traceEvents": [ … ]`' });
  }
  const header = scanner.header;
  const base: Omit<KernelProfile, 'kernels' | 'devices' | 'gpuActivity' | 'launches' | 'shortKernels'> = { file: src.display, format: 'kineto-trace' };
  const dist = header.distributedInfo as { rank?: unknown; world_size?: unknown } | undefined;
  if (dist && typeof dist.rank === 'number') base.rank = dist.rank;
  if (dist && typeof dist.world_size === 'number') base.worldSize = dist.world_size;
  const profile = builder.finish(base, { timeline: true, launches: builder.runtimeEvents > 0 });
  const notes: string[] = [];
  if (linker && linker.ops > 0 && profile.gpuActivity) {
    profile.opCheck = builder.kernelStatsByDevice().map(([dev, stats]) => summarise(dev, stats, linker, internedString));
    if (extIsCorrelation > 0) notes.push(`op cross-check: ${extIsCorrelation} kernels carry their correlation id as External id (a 2022–23 Kineto layout), so their launching op is unknown`);
  }
  if (!profile.gpuActivity) notes.push('no GPU activity: the trace holds no kernel, memcpy or memset events (CPU-only trace)');
  if (badGpuEvents) notes.push(`${badGpuEvents} GPU events without ts/dur were skipped`);
  if (notes.length) profile.notes = notes;
  // Device name from deviceProperties (the entry whose id is the busiest device, else the first).
  const props = Array.isArray(header.deviceProperties) ? (header.deviceProperties as { id?: unknown; name?: unknown }[]) : [];
  if (props.length) {
    const dev = profile.devices?.[0]?.device;
    const hit = props.find((d) => String(d.id) === dev) ?? props[0];
    if (typeof hit?.name === 'string' && hit.name) profile.deviceName = hit.name;
  }
  return { profile, events: scanner.eventCount };
}

export const kinetoAdapter: Adapter = {
  id: 'kineto-trace',
  label: 'Kineto / torch.profiler chrome trace JSON',
  sniff: (_head, text) => {
    const t = text.trimStart();
    if (t.startsWith('{')) {
      if (/"traceEvents"\s*:/.test(text)) return true;
      return /"schemaVersion"\s*:/.test(text) && /"(deviceProperties|distributedInfo)"\s*:/.test(text);
    }
    if (t.startsWith('[')) return /^\[\s*\{/.test(t) && /"ph"\s*:/.test(text) && /"ts"\s*:/.test(text);
    return false;
  },
  read: async (src: InputSource, ctx: IngestContext): Promise<AdapterResult> => {
    const classifier = KernelClassifier.fromOptions(ctx.options);
    const { profile, events } = await readKinetoProfile(src, classifier);
    ctx.addProfile(profile);
    for (const d of profile.devices ?? []) {
      if (d.lateIntervals) {
        ctx.warn({ code: 'TRACE_OUT_OF_ORDER', file: src.display, count: d.lateIntervals, message: `${src.display}: ${d.lateIntervals} GPU events on device ${d.device} arrived far out of time order; idle time there may be overstated` });
      }
    }
    const kernels = profile.kernels.reduce((n, k) => n + (k.category === 'memory' ? 0 : k.count), 0);
    const detail = profile.gpuActivity
      ? `${events} events, ${kernels} kernels (${profile.kernels.length} distinct names) on ${profile.devices?.length ?? 0} device(s)${profile.rank !== undefined ? `, rank ${profile.rank}` : ''}`
      : `${events} events, no GPU activity (CPU-only trace)`;
    return { detail };
  },
};
