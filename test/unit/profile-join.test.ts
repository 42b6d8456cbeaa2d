// Issue 12 §4: a profile and metrics of one deployment in one story. datasets/gemm-bound-capped pairs a
// real vLLM decode trace (GPT-OSS-20B, 32 sequences, MI300X; TraceLens) with simulator metrics generated to
// agree with it. The GEMM_BOUND finding must join the trace's GEMM share with the replica whose running
// batch sat at its cap, and show the numbers of both sides; the trace alone must not propose a setting.

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { ingest } from '../../src/ingest/index.js';
import { runAnalysis } from '../../src/engine.js';
import { renderReport } from '../../src/report/index.js';
import { FINDING_SUMMARY } from '../../src/report/findings-text.js';
import type { Result } from '../../src/model/result.js';
import { MI300X_DECODE_STEP } from '../../src/simulate/scenarios.js';
import { COST } from '../../src/simulate/presets.js';
import { ROOT, REAL_TRACES } from '../support/paths.js';

const NAME = 'gemm-bound-capped';
const DIR = path.join(ROOT, 'datasets', NAME);
const TRACE = path.join(DIR, 'vllm-decode-mi300x.trace.json.gz');
const A = '10.0.0.11:8000';
const B = '10.0.0.12:8000';
const rel = (p: string) => path.relative(process.cwd(), p);

async function analyze(inputs: string[]): Promise<{ r: Result; md: string }> {
  const artifacts = await ingest({ inputs: inputs.map(rel) });
  const r = runAnalysis(artifacts, { name: NAME });
  const md = renderReport(r, artifacts, { charts: false, json: false, outDir: 'reports' }).find((f) => f.name === `${NAME}.md`)!.content;
  return { r, md };
}

interface TruthReplica { instance: string; processes: { settings: { max_num_seqs: number; num_gpu_blocks: number; block_size: number }; kvPoolTokens: number }[] }
const truth = JSON.parse(readFileSync(path.join(DIR, 'truth.json'), 'utf8')) as { replicas: TruthReplica[] };
const poolOf = (instance: string) => truth.replicas.find((x) => x.instance === instance)!.processes[0];

const gemm = (r: Result) => r.findings.filter((f) => f.code === 'GEMM_BOUND');
const deviceGemmShare = (r: Result) => {
  const d = r.gpu!.devices[0];
  const cat = (c: string) => d.categories.find((x) => x.category === c)?.share ?? 0;
  return cat('gemm') + cat('moe_gemm');
};

describe('gemm-bound-capped: the real trace is what the dataset says it is', () => {
  it('a byte copy of the TraceLens fixture, whose step is the one the simulator was calibrated to', async () => {
    expect(readFileSync(TRACE).equals(readFileSync(path.join(REAL_TRACES, 'inference__vllm_decode_full__graph_execution.json.gz')))).toBe(true);
    const trace = JSON.parse(gunzipSync(readFileSync(TRACE)).toString('utf8')) as { traceEvents: { name?: string; cat?: string }[]; deviceProperties: { totalGlobalMem: number; numSms: number }[] };
    // vLLM's step annotation: 0 prefill requests, 32 decode requests holding 55,086 KV tokens.
    const step = trace.traceEvents.map((e) => /^execute_\d+_context_0\(.*\)_generation_(\d+)\(sq\d+sk(\d+)/.exec(e.name ?? '')).find((m) => m !== null)!;
    expect([Number(step[1]), Number(step[2])]).toEqual([MI300X_DECODE_STEP.sequences, MI300X_DECODE_STEP.kvTokens]);
    // The MI300X preset's memory is the trace's totalGlobalMem (304 compute units: an MI300X).
    expect(trace.deviceProperties[0]).toMatchObject({ totalGlobalMem: 196592 * 1024 * 1024, numSms: 304 });
    const { r } = await analyze([TRACE]);
    const spanNs = r.gpu!.devices[0].idle!.spanNs;
    expect(Math.abs(spanNs / 1e9 - MI300X_DECODE_STEP.gpuSeconds)).toBeLessThan(0.005e-3);
  });

  it('the generated metrics agree with it: the capped replica runs 32 sequences at the trace step time plus the step overhead', async () => {
    const art = await ingest({ inputs: [rel(path.join(DIR, 'metrics.json.gz'))] });
    const one = (name: string) => art.metrics.get(name).find((s) => s.labels.instance === A)!;
    const inc = (name: string) => {
      const s = one(name);
      return s.v[s.v.length - 1] - s.v[0];
    };
    const itl = inc('vllm:inter_token_latency_seconds_sum') / inc('vllm:inter_token_latency_seconds_count');
    const decodeOnly = MI300X_DECODE_STEP.gpuSeconds + COST.stepOverheadSeconds;
    // Steps that also carry prefill chunks are longer, never shorter, than the pure decode step.
    expect(itl).toBeGreaterThanOrEqual(decodeOnly * 0.97);
    expect(itl).toBeLessThan(decodeOnly * 1.15);
    expect(Math.max(...one('vllm:num_requests_running').v)).toBe(32);
    expect(poolOf(A).settings.max_num_seqs).toBe(32);
    // No DCGM series: an AMD GPU has no dcgm-exporter.
    expect(art.metrics.get('DCGM_FI_DEV_GPU_UTIL')).toEqual([]);
  });
});

describe('gemm-bound-capped: profile and metrics joined', () => {
  it('GEMM_BOUND on the trace\'s GPU joins the replica whose batch sat at its cap, with the numbers of both sides', async () => {
    const [{ r, md }, alone] = await Promise.all([analyze([DIR]), analyze([TRACE])]);
    const [f] = gemm(r);
    expect(gemm(r)).toHaveLength(1);
    expect(f.scope).toBe(`rank 0 (${rel(TRACE)})`);
    // The trace's side: the GEMM share of its device, the same with or without the metrics.
    expect(f.evidence.gemmShare).toBeCloseTo(deviceGemmShare(r), 12);
    expect(f.evidence.gemmShare).toBeCloseTo(0.7712, 4);
    expect(f.evidence.moeGemmShare).toBeCloseTo(0.6564, 4);
    expect(gemm(alone.r)[0].evidence.gemmShare).toBe(f.evidence.gemmShare);
    // The metrics' side: only A reached its cap; cap and KV usage are A's batch-plateau episode's.
    const plateau = r.signals.find((s) => s.id === 'batch-plateau' && s.scope === A)!;
    const ep = plateau.episodes[0];
    expect(f.evidence.capReachedReplicas).toBe(A);
    expect(f.evidence.capRequests).toBe(poolOf(A).settings.max_num_seqs);
    expect(f.evidence.kvMeanRatio).toBe(ep.numbers.kvMeanRatio);
    expect(f.evidence.kvMeanRatio as number).toBeLessThan(0.05);
    expect(r.signals.find((s) => s.id === 'batch-plateau' && s.scope === B)!.episodes).toEqual([]);
    // One recommendation, for A only: max_num_seqs from A's own pool, with the trace's share in its reason.
    const recs = r.recommendations.filter((x) => f.recommendations.includes(x.id));
    expect(recs).toHaveLength(1);
    const [rec] = recs;
    expect([rec.setting, rec.replicas, rec.current.value, rec.to]).toEqual(['max_num_seqs', [A], 32, 1024]);
    expect(rec.findings).toEqual(expect.arrayContaining([f.id, `GPU_UNDERUTILIZED@${A}`]));
    const x = rec.reason.numbers as Record<string, number>;
    expect(x.gemmShare).toBe(f.evidence.gemmShare);
    expect(x.capRequests).toBe(32);
    expect(x.poolTokens).toBe(poolOf(A).kvPoolTokens);
    expect(x.poolTokens).toBe(poolOf(A).settings.num_gpu_blocks * poolOf(A).settings.block_size);
    expect(x.sequencesThatFit).toBe(Math.floor((0.9 * x.poolTokens) / x.tokensPerSequence));
    expect(x.sequencesThatFit).toBeGreaterThan(1024);
    expect(x.result).toBe(1024);
    expect(r.recommendations.filter((y) => y.replicas.includes(B))).toEqual([]);
    // The report states both sides in the finding and in the reason under it.
    const section = md.slice(md.indexOf('`GEMM_BOUND`'), md.indexOf('\n### ', md.indexOf('`GEMM_BOUND`')));
    expect(section).toContain('GEMMs take 77.1% of GPU time (dense 11.5%, MoE grouped 65.6%); in the metrics, the running batch sat at its cap of 32 on 10.0.0.11:8000 with KV at 1.3%');
    expect(section).toMatch(/`--max-num-seqs`: `32` → `1024` — medium confidence, for 10\.0\.0\.11:8000\n {2}- Why: GEMMs take 77\.1% of GPU time in the profile and the batch sat at its cap of 32 with KV usage at 1\.3%; the pool \(217,498 blocks × 16 tokens = 3,479,968 tokens\) holds ⌊0\.9 × 3,479,968 ÷ [\d,]+⌋ = [\d,]+ requests/);
    expect(section).not.toContain('10.0.0.12:8000');
  });

  it('the trace alone: GEMM_BOUND with no running cap to join and no setting to change', async () => {
    const { r, md } = await analyze([TRACE]);
    expect(r.findings.map((f) => f.code)).toEqual(['GEMM_BOUND']);
    const [f] = gemm(r);
    expect(f.evidence).toMatchObject({ capReachedReplicas: null, capRequests: null, kvMeanRatio: null });
    expect(f.recommendations).toEqual([]);
    expect(r.recommendations).toEqual([]);
    expect(md).not.toContain('max-num-seqs');
  });

  it('the metrics alone: the cap is found and max_num_seqs raised, but nothing speaks of GEMMs', async () => {
    const { r } = await analyze([path.join(DIR, 'metrics.json.gz'), path.join(DIR, 'vllm-serve.log')]);
    expect(gemm(r)).toEqual([]);
    const rec = r.recommendations.find((x) => x.setting === 'max_num_seqs')!;
    expect([rec.replicas, rec.to]).toEqual([[A], 1024]);
    expect(rec.reason.numbers.gemmShare).toBeUndefined();
    expect(rec.findings).toEqual([`GPU_UNDERUTILIZED@${A}`]);
  });

  it('several replicas at their caps: the finding names them all and quotes no one replica\'s cap for the others', () => {
    const ev = { device: 'rank 0', gemmShare: 0.7, denseGemmShare: 0.7, moeGemmShare: 0, quantization: null, thresholdShare: 0.6 };
    const text = (e: Record<string, unknown>) => FINDING_SUMMARY.GEMM_BOUND({ evidence: { ...ev, ...e } } as unknown as Parameters<(typeof FINDING_SUMMARY)['GEMM_BOUND']>[0]);
    expect(text({ capReachedReplicas: `${A}, ${B}`, capRequests: null, kvMeanRatio: null })).toBe(`GEMMs take 70.0% of GPU time (dense 70.0%, MoE grouped 0.0%); in the metrics, the running batch sat at its cap with KV room on ${A}, ${B} (each one's cap and KV usage under its recommendation): small batches read every weight for few tokens.`);
    expect(text({ capReachedReplicas: A, capRequests: 32, kvMeanRatio: 0.013 })).toContain(`its cap of 32 on ${A} with KV at 1.3%`);
    expect(text({ capReachedReplicas: null, capRequests: null, kvMeanRatio: null })).toBe('GEMMs take 70.0% of GPU time (dense 70.0%, MoE grouped 0.0%).');
  });
});
