// Kineto / torch.profiler chrome trace JSON (export_chrome_trace, tensorboard_trace_handler, vLLM's
// profiler output), current categories (kernel, gpu_memcpy, gpu_memset, cuda_runtime, …) and the
// 2021 ones (Kernel, Memcpy, Memset, Runtime). Streamed with a byte scanner
// (src/ingest/profile/kineto-scanner.ts): memory depends on distinct kernels, not on file size.
// GPU events: pid = device (args.device when present), tid = stream (args.stream when present).
// A trace without GPU events is a CPU-only trace: a profile that says "no GPU activity".

import { InputError } from '../errors.js';
import type { KernelProfile } from '../model/profile.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { KernelClassifier } from './profile/classify.js';
import { ProfileBuilder, type GpuActivityKind, type Stat } from './profile/builder.js';
import { Cat, KinetoScanner, internedId, internedString, nameHas, eventName, type ScannedEvent } from './profile/kineto-scanner.js';

const PH_X = 88; // 'X'

export interface KinetoReadResult {
  profile: KernelProfile;
  events: number;
}

/** Read one trace into a KernelProfile (exported for tests and the bench). */
export async function readKinetoProfile(src: InputSource, classifier: KernelClassifier): Promise<KinetoReadResult> {
  const builder = new ProfileBuilder(classifier);
  let baseUs = NaN;
  let badGpuEvents = 0;
  // per device: for kernel, memcpy, memset events, the stats record of each interned name id
  const statCaches = new Map<number | string, (Stat | undefined)[][]>();
  let cacheDevice: number | string | undefined = undefined;
  let cache: (Stat | undefined)[][] = [[], [], []];
  const onEvent = (ev: ScannedEvent): void => {
    if (ev.ph !== PH_X) return;
    const cat = ev.cat;
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
    } else if (cat === Cat.Runtime) {
      // Runtime calls are counted from their name bytes (no string per call).
      const dur = ev.durNs === ev.durNs ? ev.durNs : 0;
      if (nameHas(ev, 'GraphLaunch')) builder.runtimeCall('graph', dur);
      else if (nameHas(ev, 'LaunchKernel') || nameHas(ev, 'LaunchCooperativeKernel')) builder.runtimeCall('launch', dur);
      else builder.runtimeCall('other', dur);
    }
  };
  const scanner = new KinetoScanner(src.display, onEvent);
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
