// Kineto traces: the streaming scanner checked against a plain JSON.parse of every real trace in
// test/fixtures/real/traces/, plus hand-checked synthetic traces for idle time and edge cases.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readKinetoProfile, kinetoAdapter } from '../../src/ingest/from-kineto.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { bufferSource, fileSource } from '../../src/ingest/source.js';
import { InputError } from '../../src/errors.js';
import type { KernelProfile } from '../../src/model/profile.js';
import { kernelBreakdown } from '../../src/derive/kernel-breakdown.js';
import { REAL_TRACES } from '../support/paths.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const TRACES = REAL_TRACES;
const classifier = new KernelClassifier();

function load(file: string): string {
  let b = readFileSync(path.join(TRACES, file));
  if (file.endsWith('.gz')) b = gunzipSync(b);
  return b.toString('utf8');
}

interface RawEvent {
  ph?: string;
  cat?: string;
  name?: string;
  pid?: number | string;
  tid?: number | string;
  ts?: string;
  dur?: number;
  args?: { device?: number };
}

/** Independent reading: JSON.parse with `ts` kept as text (so no precision is lost), exact ns via BigInt. */
function independent(text: string) {
  const quoted = text.replace(/"ts":\s*(-?\d+(?:\.\d+)?)/g, '"ts": "$1"');
  const json = JSON.parse(quoted) as { traceEvents: RawEvent[] } | RawEvent[];
  const events = Array.isArray(json) ? json : json.traceEvents;
  const perCat: Record<string, number> = {};
  const perDevice = new Map<string, [bigint, bigint][]>();
  let count = 0;
  for (const e of events) {
    if (e.ph !== 'X') continue;
    const cat = (e.cat ?? '').toLowerCase();
    const kind = cat === 'kernel' ? 'kernel' : cat === 'gpu_memcpy' || cat === 'memcpy' ? 'memcpy' : cat === 'gpu_memset' || cat === 'memset' ? 'memset' : null;
    if (!kind) continue;
    count++;
    const c = classifier.classify(e.name!);
    const category = kind === 'kernel' || c.category === 'memory' ? c.category : 'memory';
    const durNs = Math.round(e.dur! * 1000);
    perCat[category] = (perCat[category] ?? 0) + durNs;
    const [int, frac = ''] = e.ts!.split('.');
    const start = BigInt(int) * 1000n + BigInt((frac + '000').slice(0, 3));
    const dev = String(e.args?.device ?? e.pid);
    if (!perDevice.has(dev)) perDevice.set(dev, []);
    perDevice.get(dev)!.push([start, start + BigInt(durNs)]);
  }
  const devices = new Map<string, { span: number; busy: number; gaps: number }>();
  for (const [dev, iv] of perDevice) {
    iv.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    let busy = 0n;
    let gaps = 0;
    let [cs, ce] = iv[0];
    let last = ce;
    for (const [s, e] of iv.slice(1)) {
      if (e > last) last = e;
      if (s <= ce) {
        if (e > ce) ce = e;
      } else {
        busy += ce - cs;
        gaps++;
        cs = s;
        ce = e;
      }
    }
    busy += ce - cs;
    devices.set(dev, { span: Number(last - iv[0][0]), busy: Number(busy), gaps });
  }
  return { perCat, devices, count };
}

function perCategory(p: KernelProfile): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of p.kernels) out[k.category] = (out[k.category] ?? 0) + k.totalNs;
  return out;
}

const traceFiles = readdirSync(TRACES).filter((f) => /\.json(\.gz)?$/.test(f)).sort();

describe('every real trace: streaming scanner = plain JSON.parse', () => {
  it('finds the 20 real traces', () => {
    expect(traceFiles.length).toBe(20);
  });
  for (const file of traceFiles) {
    it(file, async () => {
      const text = load(file);
      const ref = independent(text);
      const { profile } = await readKinetoProfile(await fileSource(path.join(TRACES, file), file), classifier);
      expect(perCategory(profile)).toEqual(ref.perCat);
      expect(profile.gpuActivity).toBe(ref.count > 0);
      const devs = new Map((profile.devices ?? []).map((d) => [d.device, d]));
      expect([...devs.keys()].sort()).toEqual([...ref.devices.keys()].sort());
      for (const [dev, r] of ref.devices) {
        const d = devs.get(dev)!;
        expect(d.spanNs).toBe(r.span);
        expect(d.busyNs).toBe(r.busy);
        expect(d.idleNs).toBe(r.span - r.busy);
        expect(d.gaps!.count).toBe(r.gaps);
        expect(d.lateIntervals).toBeUndefined();
      }
    });
  }
});

describe('classification of the real kernel names', () => {
  const names = new Set<string>();
  for (const file of traceFiles) {
    const json = JSON.parse(load(file)) as { traceEvents: RawEvent[] };
    for (const e of json.traceEvents) if (e.ph === 'X' && (e.cat ?? '').toLowerCase() === 'kernel') names.add(e.name!);
  }
  it('reads 359 distinct kernel names', () => {
    expect(names.size).toBe(359);
  });
  it('no attention, GEMM or collective kernel lands in `other`', () => {
    // Independent of the pattern file: words that only attention/GEMM/collective kernels carry.
    const mustNotBeOther = /gemm|gemv|attention|attn|flash|fmha|nccl|Cijk_|xmma|cutlass::Kernel|_matmul_ogs|scudnn|reshape_and_cache|store_kvcache|reduce_segments/i;
    const wrong = [...names].filter((n) => mustNotBeOther.test(n) && classifier.classify(n).category === 'other');
    expect(wrong).toEqual([]);
  });
  it('hand-checked names', () => {
    const cases: [string, string][] = [
      ['sm90_xmma_gemm_bf16bf16_bf16f32_f32_tn_n_tilesize128x128x64_warpgroupsize1x1x1_execute_segment_k_off_kernel__5x_cublas', 'gemm'],
      ['ncclKernel_AllReduce_RING_LL_Sum_float(ncclWorkElem)', 'communication'],
      ['kernel_unified_attention_3d', 'attention'],
      ['reduce_segments', 'attention'],
      ['_matmul_ogs_NNT_bf16xbf16xmxfp4_16x128x256x1_swiglu', 'moe_gemm'],
      ['_finalize_matmul_scatter_bf16', 'other'],
      ['triton_poi_fused_constant_pad_nd_moe_forward_0', 'other'],
      ['triton_poi_fused_add_cos_sin_0', 'other'],
      ['triton_red_fused__unsafe_view_add_mean_mul_pow_rsqrt_1', 'other'],
      ['attn_fwd', 'attention'],
      ['volta_sgemm_128x64_nn', 'gemm'],
      ['void vllm::rotary_embedding_kernel<c10::BFloat16, true>(long const*, c10::BFloat16*, c10::BFloat16*, c10::BFloat16 const*, int, long, long, long, int, int, int)', 'other'],
      // Names from other public profiles, with their sources, are in test/fixtures/kernel-corpus/corpus.json
      // (test/unit/kernel-corpus.test.ts).
      ['Memcpy HtoD (Pageable -> Device)', 'memory'],
    ];
    for (const [n, cat] of cases) expect([n, classifier.classify(n).category]).toEqual([n, cat]);
    expect(classifier.classify('Memcpy DtoH (Device -> Pinned)').sub).toBe('DtoH');
    expect(classifier.classify('[CUDA memcpy Host-to-Device]').sub).toBe('HtoD');
  });
});

describe('edge cases from the real files', () => {
  it('CPU-only traces yield "no GPU activity", not an error', async () => {
    for (const f of ['cpu_only__rank-34.Jul_15_10_52_41.1074.pt.trace.json.gz', 'rank_non_gpu__rank_non_gpu.json.gz']) {
      const { profile } = await readKinetoProfile(await fileSource(path.join(TRACES, f), f), classifier);
      expect(profile.gpuActivity).toBe(false);
      expect(profile.kernels).toEqual([]);
      expect(profile.devices).toBeUndefined();
      expect(profile.notes?.[0]).toMatch(/^no GPU activity/);
    }
    const { profile } = await readKinetoProfile(await fileSource(path.join(TRACES, 'cpu_only__rank-34.Jul_15_10_52_41.1074.pt.trace.json.gz')), classifier);
    expect([profile.rank, profile.worldSize]).toEqual([34, 300]);
  });
  it('large_integer trace parses exactly (uint64 ids skipped, kernel read)', async () => {
    const f = 'large_integer_trace__rank-70.Mar_25_20_48_12.2861.pt.trace.json.gz';
    const { profile, events } = await readKinetoProfile(await fileSource(path.join(TRACES, f)), classifier);
    expect(events).toBe(2);
    expect(profile.kernels).toEqual([{ name: 'ncclKernel_AllReduce', category: 'communication', sub: 'nccl', device: '0', count: 1, totalNs: 50_000, minNs: 50_000, maxNs: 50_000 }]);
    expect(profile.devices).toMatchObject([{ device: '0', spanNs: 50_000, busyNs: 50_000, idleNs: 0 }]);
  });
  it('vLLM graph-execution trace: graph kernels visible, MoE GEMMs apart', async () => {
    const f = 'inference__vllm_decode_full__graph_execution.json.gz';
    const { profile } = await readKinetoProfile(await fileSource(path.join(TRACES, f)), classifier);
    expect(profile.launches?.graphLaunches).toBe(1);
    expect(profile.launches?.graphKernels).toBeGreaterThan(400);
    expect(perCategory(profile).moe_gemm).toBe(7_034_595);
    expect(profile.rank).toBe(0);
  });
});

/** Build a trace from compact tuples: [cat, name, device, stream, tsUs (string), durUs]. */
function synth(events: [string, string, number, number, string, number][], extra = ''): Buffer {
  const parts = events.map(([cat, name, pid, tid, ts, dur]) => `{"ph": "X", "cat": "${cat}", "name": ${JSON.stringify(name)}, "pid": ${pid}, "tid": ${tid}, "ts": ${ts}, "dur": ${dur}, "args": {"device": ${pid}, "stream": ${tid}, "correlation": 1${tid}}}`);
  return Buffer.from(`{"schemaVersion": 1, ${extra}"traceEvents": [\n${parts.join(',\n')}\n], "traceName": "x"}`);
}

describe('idle time on a hand-checked synthetic trace', () => {
  // Device 0, µs: kernel A 100–110 (stream 7), B 105–120 (stream 8, overlaps A), memcpy 130–135,
  // C 200.5–201 ; union = [100,120] ∪ [130,135] ∪ [200.5,201] = 20 + 5 + 0.5 = 25.5 µs busy;
  // span 100 → 201 = 101 µs; idle 75.5 µs in gaps of 10 µs and 65.5 µs.
  const trace = synth([
    ['kernel', 'ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_tn', 0, 7, '1700000000100', 10],
    ['kernel', 'ncclDevKernel_AllReduce_Sum_bf16_RING_LL(ncclDevKernelArgsStorage<4096ul>)', 0, 8, '1700000000105', 15],
    ['gpu_memcpy', 'Memcpy HtoD (Pinned -> Device)', 0, 7, '1700000000130', 5],
    ['kernel', 'void vllm::rms_norm_kernel<c10::BFloat16>(c10::BFloat16*)', 0, 7, '1700000000200.500', 0.5],
  ]);
  it('busy, idle, gaps, overlap', async () => {
    const { profile } = await readKinetoProfile(bufferSource(trace, 'synthetic.json'), classifier);
    const d = profile.devices![0];
    expect(d).toMatchObject({ device: '0', spanNs: 101_000, busyNs: 25_500, idleNs: 75_500, streams: 2 });
    expect(d.gaps).toMatchObject({ count: 2, totalNs: 75_500, p50Ns: 10_000, p90Ns: 65_500, maxNs: 65_500 });
    expect(d.gaps!.countOver['10000']).toBe(1); // only the 65.5 µs gap is longer than 10 µs
    // comm 105–120 overlaps compute 100–110 for 5 µs
    expect([d.commNs, d.computeNs, d.commComputeOverlapNs]).toEqual([15_000, 10_500, 5_000]);
    expect(profile.shortKernels).toEqual({ thresholdNs: 5_000, count: 1, totalNs: 500 });
    // the memcpy 130–135 runs while no kernel does: all of it exposed
    expect([d.memoryNs, d.exposedMemoryNs]).toEqual([5_000, 5_000]);
  });
  it('exposed memory time: copies and sets while no kernel runs (TraceLens exposed memcpy)', async () => {
    // memcpy 100–130 (stream 9) under kernel 110–120 (stream 7), memset 140–145, memcpy 150–160 under
    // kernels 148–152 and 155–165: memory union 30 + 5 + 10 = 45 µs; kernels 10 + 4 + 10 = 24 µs;
    // busy [100,130) ∪ [140,145) ∪ [148,165) = 52 µs, so exposed = 52 − 24 = 28 µs (20 + 5 + 3).
    const t = synth([
      ['gpu_memcpy', 'Memcpy DtoD (Device -> Device)', 0, 9, '1700000000100', 30],
      ['kernel', 'ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_tn', 0, 7, '1700000000110', 10],
      ['gpu_memset', 'Memset (Device)', 0, 9, '1700000000140', 5],
      ['kernel', 'void vllm::rms_norm_kernel<c10::BFloat16>(c10::BFloat16*)', 0, 7, '1700000000148', 4],
      ['gpu_memcpy', 'Memcpy HtoD (Pinned -> Device)', 0, 9, '1700000000150', 10],
      ['kernel', 'ampere_bf16_s16816gemm_bf16_128x128_ldg8_f2f_stages_32x5_tn', 0, 7, '1700000000155', 10],
    ]);
    const { profile } = await readKinetoProfile(bufferSource(t, 'memory.json'), classifier);
    const d = profile.devices![0];
    expect([d.busyNs, d.memoryNs, d.exposedMemoryNs]).toEqual([52_000, 45_000, 28_000]);
    const b = kernelBreakdown([profile]).devices[0];
    expect(b.exposedMemory).toEqual({ memoryNs: 45_000, exposedNs: 28_000, exposedShareOfSpan: 28_000 / 65_000 });
  });
  it('same result when the input is gzip-compressed and split across chunk boundaries', async () => {
    const gz = gzipSync(trace);
    const src = bufferSource(gz, 'synthetic.json.gz');
    // Re-chunk into 7-byte pieces to cut every token somewhere.
    const whole = await src.bytes();
    const tiny = { ...src, chunks: async function* () { for (let i = 0; i < whole.length; i += 7) yield whole.subarray(i, i + 7); } };
    const { profile } = await readKinetoProfile(tiny, classifier);
    expect(profile.devices![0]).toMatchObject({ spanNs: 101_000, busyNs: 25_500 });
    expect(perCategory(profile)).toEqual({ gemm: 10_000, communication: 15_000, memory: 5_000, other: 500 });
  });
  it('2021 layout: cat Kernel/Memcpy, tid "stream 7", bare array of events', async () => {
    const arr = Buffer.from('[{"ph":"X","cat":"Kernel","name":"volta_sgemm_128x64_nn","pid":0,"tid":"stream 7","ts":1623142623529248,"dur":12},{"ph":"X","cat":"Memcpy","name":"Memcpy DtoD (Device -> Device)","pid":0,"tid":"stream 7","ts":1623142623529300,"dur":3}]');
    expect(kinetoAdapter.sniff(arr, arr.toString(), bufferSource(arr, 'a.json'))).toBe(true);
    const { profile } = await readKinetoProfile(bufferSource(arr, 'a.json'), classifier);
    expect(perCategory(profile)).toEqual({ gemm: 12_000, memory: 3_000 });
    expect(profile.devices![0]).toMatchObject({ spanNs: 55_000, busyNs: 15_000, streams: 1 });
  });
});

describe('CUDA graph kernels', () => {
  it('"graph id" is read after the other kernel args (also inside nested values and odd spacing)', async () => {
    const ev = (ts: number, corr: number, graph: string) =>
      `{"ph": "X", "cat": "kernel", "name": "k", "pid": 0, "tid": 7, "ts": ${ts}, "dur": 1, "args": {"queued": 0, "device": 0, "context": 1, "stream": 7, "correlation": ${corr}, "registers per thread": 32, "grid": [1, 1, 1], "block": [128, 1, 1], "note": {"graph id": 99}, "est. achieved occupancy %": 0${graph}}}`;
    const b = Buffer.from(`{"traceEvents": [${ev(100, 1, ', "graph id" :  5, "graph node id": 3')}, ${ev(200, 2, '')}, ${ev(300, 3, ', "graph id": 0')}, ${ev(400, 4, ',"graph id":7')}]}`);
    const { profile } = await readKinetoProfile(bufferSource(b, 'g.json'), classifier);
    // events 1 and 4 ran in a graph; the nested {"graph id": 99} and "graph id": 0 do not count
    expect(profile.launches).toBeUndefined();
    const { profile: p2 } = await readKinetoProfile(bufferSource(Buffer.from(b.toString().replace('{"traceEvents": [', '{"traceEvents": [{"ph": "X", "cat": "cuda_runtime", "name": "cudaGraphLaunch", "pid": 1, "tid": 1, "ts": 50, "dur": 2}, ')), 'g2.json'), classifier);
    expect(p2.launches).toEqual({ launchCalls: 0, launchCallNs: 0, graphLaunches: 1, graphKernels: 2 });
  });
});

describe('bad input', () => {
  it('truncated trace → JSON_SYNTAX with the byte position', async () => {
    const t = synth([['kernel', 'k', 0, 7, '100', 1]]);
    const cut = t.subarray(0, t.length - 20);
    const err = await readKinetoProfile(bufferSource(cut, 'cut.json'), classifier).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).code).toBe('JSON_SYNTAX');
    expect((err as InputError).file).toBe('cut.json');
    expect((err as InputError).position?.byte).toBeGreaterThan(0);
  });
  it('traceEvents that is not an array → TRACE_SHAPE', async () => {
    const b = Buffer.from('{"schemaVersion": 1, "traceEvents": {"a": 1}}');
    const err = await readKinetoProfile(bufferSource(b, 'bad.json'), classifier).catch((e: unknown) => e);
    expect((err as InputError).code).toBe('TRACE_SHAPE');
    expect((err as InputError).position?.byte).toBe(36);
  });
  it('an object without traceEvents → TRACE_SHAPE', async () => {
    const b = Buffer.from('{"schemaVersion": 1, "deviceProperties": []}');
    const err = await readKinetoProfile(bufferSource(b, 'bad.json'), classifier).catch((e: unknown) => e);
    expect((err as InputError).code).toBe('TRACE_SHAPE');
  });
});
