// The two stores of the Kineto reader that grow with the trace: a device's idle gaps (DeviceSweep, pages
// of 65,536 after the first) and the op linker's External-id map (pages of 65,536 ids allocated where
// ids occur). Both are checked across several pages against values computed here from the inputs.

import { describe, expect, it } from 'vitest';
import { Cls, DeviceSweep, gapStats, GAP_THRESHOLDS_NS } from '../../src/ingest/profile/intervals.js';
import { OpLinker } from '../../src/ingest/profile/op-check.js';
import { KernelClassifier } from '../../src/ingest/profile/classify.js';

describe('DeviceSweep idle gaps over several pages', () => {
  // 200,001 back-to-back kernels of 50 ns on one stream; the gap after kernel i is 1 + (i·7919 mod 97)·1,000 ns.
  const n = 200_001;
  const gapOf = (i: number): number => 1 + ((i * 7919) % 97) * 1000;
  const sweep = new DeviceSweep(true);
  const expected: number[] = [];
  let s = 0;
  for (let i = 0; i < n; i++) {
    sweep.add(s, s + 50, Cls.Compute, 7);
    if (i < n - 1) {
      expected.push(gapOf(i));
      s += 50 + gapOf(i);
    } else s += 50;
  }
  const r = sweep.finish();

  it('keeps every gap, in order, and the busy time', () => {
    expect(r.gaps.length).toBe(200_000);
    expect(Array.from(r.gaps)).toEqual(expected);
    expect(r.busyNs).toBe(n * 50);
    expect(r.lastNs - r.firstNs).toBe(s);
  });

  it('gap statistics equal the ones computed from the sorted gaps (nearest rank)', () => {
    const sorted = [...expected].sort((a, b) => a - b);
    const total = expected.reduce((a, b) => a + b, 0);
    const st = gapStats(sweep.finish().gaps); // a second finish() returns the same gaps
    expect(st.count).toBe(200_000);
    expect(st.totalNs).toBe(total);
    expect(st.maxNs).toBe(96_001);
    expect(st.p50Ns).toBe(sorted[Math.ceil(0.5 * 200_000) - 1]);
    expect(st.p90Ns).toBe(sorted[Math.ceil(0.9 * 200_000) - 1]);
    for (const t of GAP_THRESHOLDS_NS) {
      const over = expected.filter((g) => g > t);
      expect(st.countOver[String(t)]).toBe(over.length);
      expect(st.totalOverNs[String(t)]).toBe(over.reduce((a, b) => a + b, 0));
    }
  });
});

describe('OpLinker External-id map across pages', () => {
  const names = ['vllm::unified_attention', 'aten::mm', 'aten::add'];
  const classifier = new KernelClassifier();
  const linker = new OpLinker(classifier, (id) => names[id]);
  const base = 1_000;
  // ops far apart: page 0, page 3 (pages 1 and 2 never touched) and the last id the map keeps (2^23 − 1)
  const ids = [base, base + 65_535, base + 3 * 65_536 + 17, base + (1 << 23) - 1];
  ids.forEach((ext, k) => linker.op(1, k * 100, k * 100 + 10, 0, ext));
  linker.op(1, 1_000, 1_010, 0, base + (1 << 23)); // beyond the span: not kept

  it('finds the deciding op of each id it was given', () => {
    expect(classifier.classifyOp(names[0])).toBe('attention');
    for (const ext of ids) expect(linker.lookup(ext)).toBe(0);
  });

  it('answers −1 for ids never seen, in touched and untouched pages, below the base and beyond the span', () => {
    for (const ext of [base + 1, base + 65_536, base + 2 * 65_536 + 5, base + 3 * 65_536 + 18, base - 1, base + (1 << 23), NaN]) {
      expect(linker.lookup(ext)).toBe(-1);
    }
  });
});
