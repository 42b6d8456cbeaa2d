// The kernel-name corpus (test/fixtures/kernel-corpus/corpus.json): real names from real profiles with
// the class each must get. Every entry is classified here; a misclassified real name added to the corpus
// is how a classification bug is reported and fixed.

import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import path from 'node:path';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';
import { ROOT } from '../support/paths.js';

interface Entry {
  name: string;
  category: string;
  sub?: string;
  family: string;
  source: string;
  truncated?: boolean;
}
interface Corpus {
  sources: Record<string, { repo?: string; path?: string; commit?: string; url?: string; indexId?: string; what: string }>;
  entries: Entry[];
}

const corpus = JSON.parse(readFileSync(path.join(ROOT, 'test/fixtures/kernel-corpus/corpus.json'), 'utf8')) as Corpus;
const classifier = new KernelClassifier();
const TRACE_DIRS = ['test/fixtures/real/traces', 'test/fixtures/real-h200'];

function traceKernelNames(): Map<string, string> {
  const out = new Map<string, string>();
  for (const dir of TRACE_DIRS) {
    for (const f of readdirSync(path.join(ROOT, dir)).filter((x) => /\.json(\.gz)?$/.test(x)).sort()) {
      let b = readFileSync(path.join(ROOT, dir, f));
      if (f.endsWith('.gz')) b = gunzipSync(b);
      const j = JSON.parse(b.toString('utf8')) as { traceEvents: { ph?: string; cat?: string; name?: string }[] } | { ph?: string; cat?: string; name?: string }[];
      for (const e of Array.isArray(j) ? j : j.traceEvents) {
        if (e.ph === 'X' && String(e.cat).toLowerCase() === 'kernel' && !out.has(e.name!)) out.set(e.name!, `${dir}/${f}`);
      }
    }
  }
  return out;
}

describe('kernel-name corpus', () => {
  it('every entry has a known source and no name is listed twice', () => {
    const names = new Set<string>();
    for (const e of corpus.entries) {
      expect(names.has(e.name), e.name).toBe(false);
      names.add(e.name);
      const isTrace = TRACE_DIRS.some((d) => e.source.startsWith(`${d}/`));
      expect(isTrace || e.source in corpus.sources, `${e.name}: source ${e.source}`).toBe(true);
      if (isTrace) expect(readFileSync(path.join(ROOT, e.source)).length).toBeGreaterThan(0);
      expect(e.family.length).toBeGreaterThan(0);
    }
  });

  it('lists every kernel name of every real trace in the repository, with that trace as a source', () => {
    const fromTraces = traceKernelNames();
    const listed = new Set(corpus.entries.map((e) => e.name));
    const missing = [...fromTraces.keys()].filter((n) => !listed.has(n));
    expect(missing).toEqual([]);
    expect(fromTraces.size).toBe(519);
  });

  it('classifies every entry as expected', () => {
    const wrong: string[] = [];
    for (const e of corpus.entries) {
      const c = classifier.classify(e.name);
      if (c.category !== e.category || (e.sub !== undefined && c.sub !== e.sub)) {
        wrong.push(`${e.name.slice(0, 120)}: expected ${e.category}/${e.sub ?? '*'}, got ${c.category}/${c.sub ?? '-'}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('covers the families the issue names', () => {
    const families = new Map<string, number>();
    for (const e of corpus.entries) families.set(e.family, (families.get(e.family) ?? 0) + 1);
    for (const f of ['flash-attention-2', 'flash-attention-3', 'flash-attention-4', 'flashinfer', 'cudnn-sdpa', 'vllm-triton-attention', 'rocm-paged-attention', 'cublas', 'cublaslt-nvjet', 'cutlass', 'hipblaslt-cijk', 'moe-triton', 'moe-grouped-gemm', 'moe-routing', 'nccl', 'vllm-custom-allreduce', 'symm-mem-allreduce', 'deepep', 'kv-cache-write', 'inductor', 'norm', 'rotary', 'aten-sampling', 'quantization']) {
      expect(families.get(f) ?? 0, f).toBeGreaterThan(0);
    }
  });

  it('FlashAttention-3 inside cutlass::device_kernel is attention, not a CUTLASS GEMM (the reported bug)', () => {
    const fa3 = corpus.entries.filter((e) => e.family === 'flash-attention-3');
    expect(fa3.length).toBeGreaterThanOrEqual(5);
    for (const e of fa3) expect(classifier.classify(e.name).category).toBe('attention');
    // and a real CUTLASS GEMM in the same wrapper stays a GEMM
    expect(classifier.classify('void cutlass::Kernel2<cutlass_80_tensorop_bf16_s16816gemm_relu_bf16_256x128_32x3_tn_align8>(T1::Params)').category).toBe('gemm');
  });

  it('a user rule (--kernel-patterns) moves a corpus name to another class', () => {
    const name = 'mul_broadcast_2d_kernel';
    expect(classifier.classify(name)).toMatchObject({ category: 'other', sub: 'elementwise' });
    const user = new KernelClassifier([{ category: 'other', sub: 'normalization', pattern: '^mul_broadcast_2d_kernel$' }]);
    expect(user.classify(name)).toMatchObject({ category: 'other', sub: 'normalization', rule: 0 });
  });
});
