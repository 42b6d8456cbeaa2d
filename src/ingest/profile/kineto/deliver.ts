// From a scanned event to what the aggregation needs: the device and stream keys, the runtime-call kind
// read from the name bytes, and the event's name as an interned id of this thread (or the decoded name
// when the intern table is full). The same function feeds the aggregation directly (one thread) and the
// record batches a worker sends to the main thread (parallel.ts), so both see identical values.

import { Cat } from './keys.js';
import { PH_X, type ScannedEvent } from './events.js';
import { eventName, internedId, nameHas } from './names.js';

/** Runtime/driver call kinds, as ProfileBuilder.runtimeCall counts them. */
export const enum RtKind {
  Launch = 0,
  Graph = 1,
  Other = 2,
}

/**
 * Receives the events the breakdown uses. `raw` is the name's interned id in this thread (−1: table
 * full, `name` holds the decoded name); NaN marks a number the event did not carry (correlation, graph
 * id, External id).
 */
export interface EventSink {
  op(tid: number | string, tsUs: number, fracNs: number, durNs: number, raw: number, name: string | undefined, extId: number): void;
  gpu(cat: Cat, raw: number, name: string | undefined, device: number | string, stream: number | string, tsUs: number, fracNs: number, durNs: number, corr: number, graphId: number, extId: number): void;
  /** A kernel/memcpy/memset event without a usable ts or dur. */
  badGpu(): void;
  runtime(kind: RtKind, durNs: number, corr: number): void;
}

export function deliver(ev: ScannedEvent, sink: EventSink): void {
  if (ev.ph !== PH_X) return;
  const cat = ev.cat;
  if (cat === Cat.Kernel || cat === Cat.Memcpy || cat === Cat.Memset) {
    if (!ev.hasTs || !(ev.durNs >= 0)) {
      sink.badGpu();
      return;
    }
    const device = ev.device === ev.device ? ev.device : ev.pidNum === ev.pidNum ? ev.pidNum : (ev.pidStr ?? '?');
    const stream = ev.stream === ev.stream ? ev.stream : ev.tidNum === ev.tidNum ? ev.tidNum : (ev.tidStr ?? '?');
    const raw = internedId(ev);
    sink.gpu(cat, raw, raw < 0 ? eventName(ev) : undefined, device, stream, ev.tsUs, ev.tsFracNs, ev.durNs, ev.correlation, ev.graphId, ev.extId);
  } else if (cat === Cat.CpuOp) {
    // delivered by the scanner only when the op cross-check runs
    if (!ev.hasTs) return;
    const raw = internedId(ev);
    const tid = ev.tidNum === ev.tidNum ? ev.tidNum : (ev.tidStr ?? '?');
    sink.op(tid, ev.tsUs, ev.tsFracNs, ev.durNs >= 0 ? ev.durNs : 0, raw, raw < 0 ? eventName(ev) : undefined, ev.extId);
  } else if (cat === Cat.Runtime) {
    // Runtime calls are counted from their name bytes (no string per call).
    const dur = ev.durNs === ev.durNs ? ev.durNs : 0;
    const kind = nameHas(ev, 'GraphLaunch') ? RtKind.Graph : nameHas(ev, 'LaunchKernel') || nameHas(ev, 'LaunchCooperativeKernel') ? RtKind.Launch : RtKind.Other;
    sink.runtime(kind, dur, ev.correlation);
  }
}
