// The quality signals on datasets/quality-regression against what the simulator drew the traffic from
// (truth.json `generator`): each request's natural output length is round(LogNormal(median, σ)), its
// max_tokens one of the stream's list at random, and it finishes by "length" when the output reaches
// max_tokens (src/simulate/arrivals.ts; prompts stay far below max_model_len here). So the share cut at
// length and the mean output length follow from the generator's parameters in closed form, and the
// episodes must start where the generator switched streams.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { describe, expect, it } from 'vitest';
import { runAnalysis } from '../../src/engine.js';
import { ingest } from '../../src/ingest/index.js';
import type { Truth } from '../../src/simulate/truth.js';
import { ROOT } from '../support/paths.js';

const DIR = path.join(ROOT, 'datasets', 'quality-regression');
const truth = JSON.parse(readFileSync(path.join(DIR, 'truth.json'), 'utf8')) as Truth;
const result = runAnalysis(await ingest({ inputs: [path.relative(process.cwd(), DIR)] }), { name: 'quality-regression' });

type Stream = Truth['replicas'][number]['generator']['streams'][number];
const Phi = (x: number) => normalCdf(x, 0, 1);

/** P(round(X) ≥ m) for X ~ LogNormal(ln median, σ): the share of answers cut at max_tokens m. */
function cutShare(s: Stream): number {
  const mu = Math.log(s.output.median);
  const p = (m: number) => 1 - Phi((Math.log(m - 0.5) - mu) / s.output.sigma);
  return s.maxTokens.reduce((a, m) => a + p(m), 0) / s.maxTokens.length;
}

/** E[min(X, m)] averaged over the max_tokens list: the mean output length vLLM counts. */
function meanOutput(s: Stream): number {
  const mu = Math.log(s.output.median);
  const sg = s.output.sigma;
  const one = (m: number) => Math.exp(mu + (sg * sg) / 2) * Phi((Math.log(m) - mu - sg * sg) / sg) + m * (1 - Phi((Math.log(m) - mu) / sg));
  return s.maxTokens.reduce((a, m) => a + one(m), 0) / s.maxTokens.length;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Binomial standard error of a share p over n requests. */
const se = (p: number, n: number) => Math.sqrt((p * (1 - p)) / n);

const replica = (i: number) => truth.replicas[i];
const A = replica(0); // the longer system prompt at minute 60
const B = replica(1); // clients lower max_tokens at minute 50
const streamsOf = (r: Truth['replicas'][number]) => r.generator.streams;
const finding = (code: string, scope: string) => result.findings.filter((f) => f.code === code && f.scope === scope);

describe('quality-regression against its generator (truth.json)', () => {
  it('the generator is what the README says: one stream change per replica, same output model', () => {
    expect(A.instance).toBe('10.0.0.11:8000');
    expect(B.instance).toBe('10.0.0.12:8000');
    const [b0, b1] = streamsOf(B);
    expect([b0.rate.window?.end, b1.rate.window?.start, b1.maxTokens]).toEqual([3000, 3000, [256]]);
    expect(b1.output).toEqual(b0.output);
    const [a0, a1] = streamsOf(A);
    expect([a0.rate.window?.end, a1.rate.window?.start]).toEqual([3600, 3600]);
    expect([a1.maxTokens, a1.output]).toEqual([a0.maxTokens, a0.output]);
  });

  it(`TRUNCATION_RISE on ${B.instance}: from the minute the clients changed, at the share the generator implies, cause max_tokens`, () => {
    const [before, after] = streamsOf(B);
    const [f] = finding('TRUNCATION_RISE', B.instance);
    expect(f).toBeDefined();
    expect(f.episodes).toHaveLength(1);
    const ep = f.episodes[0];
    const n = ep.numbers as Record<string, number | string>;
    // Starts within a minute of the switch (10:50:00); lasts to the last sample.
    expect(Math.abs(ep.startSeconds - (truth.start + after.rate.window!.start))).toBeLessThanOrEqual(60);
    expect(ep.endSeconds).toBe(truth.end - truth.scrapeIntervalSeconds);
    // 1 − Φ((ln 255.5 − ln 180)/0.7) = 30.8 % during; (6.8 + 0.6 + 0.6 + 0.03)/4 = 2.0 % before.
    const pDuring = cutShare(after);
    const pBefore = cutShare(before);
    expect(pDuring).toBeCloseTo(0.3084, 3);
    expect(pBefore).toBeCloseTo(0.0202, 3);
    const finished = n.finished as number;
    expect(Math.abs((n.truncatedRatio as number) - pDuring)).toBeLessThan(4 * se(pDuring, finished));
    expect(n.truncated).toBe(Math.round((n.truncatedRatio as number) * finished));
    // The baseline is the last hour of calm intervals: at the stream's minimum rate (rps × 0.8), ≥ 14,400 requests.
    expect(Math.abs((n.baselineRatio as number) - pBefore)).toBeLessThan(4 * se(pBefore, before.rate.rps * 0.8 * 3600));
    // max_tokens sent: the mean of the list before (1,152; σ 558 per request), exactly 256 during — but
    // for the few requests sent just before 10:50:00 that finished after it.
    const list = before.maxTokens;
    const sd = Math.sqrt(mean(list.map((m) => m * m)) - mean(list) ** 2);
    expect(Math.abs((n.maxTokensMeanBefore as number) - mean(list))).toBeLessThan((4 * sd) / Math.sqrt(before.rate.rps * 0.8 * 3600));
    expect(n.maxTokensMeanDuring as number).toBeGreaterThanOrEqual(256);
    expect(n.maxTokensMeanDuring as number).toBeLessThan(256 * 1.005);
    expect(n.likelyCause).toBe('max-tokens-lowered');
    // Mean output E[min(X, max_tokens)]: 175.8 during, 225.4 before (2 %: a few standard errors at these counts).
    expect(Math.abs((n.outputMeanDuring as number) / meanOutput(after) - 1)).toBeLessThan(0.02);
    expect(Math.abs((n.outputMeanBefore as number) / meanOutput(before) - 1)).toBeLessThan(0.02);
    // Prompts did not change on B.
    expect(Math.abs((n.promptMeanDuring as number) / (n.promptMeanBefore as number) - 1)).toBeLessThan(0.03);
  });

  it(`LENGTH_DRIFT on ${A.instance}: the prompts, from the minute the system prompt changed; outputs unchanged`, () => {
    const [, after] = streamsOf(A);
    const [f] = finding('LENGTH_DRIFT', A.instance);
    expect(f).toBeDefined();
    expect(f.episodes).toHaveLength(1);
    const ep = f.episodes[0];
    const n = ep.numbers as Record<string, number | string>;
    expect(Math.abs(ep.startSeconds - (truth.start + after.rate.window!.start))).toBeLessThanOrEqual(60);
    expect(ep.endSeconds).toBe(truth.end - truth.scrapeIntervalSeconds);
    expect(n.dimension).toBe('prompt');
    expect(n.promptPsi as number).toBeGreaterThanOrEqual(0.25);
    expect(n.outputPsi as number).toBeLessThan(0.1);
    // Same output model and max_tokens before and after: both means at E[min(X, max_tokens)] = 225.4.
    for (const k of ['outputMeanBefore', 'outputMeanDuring']) expect(Math.abs((n[k] as number) / meanOutput(after) - 1), k).toBeLessThan(0.02);
    // The system prompt (95 % of requests, median 2,400 instead of 70 % at 600) at least doubles the mean prompt.
    expect((n.promptMeanDuring as number) / (n.promptMeanBefore as number)).toBeGreaterThan(2);
  });

  it('each replica shows only its own change: no truncation on A, no drift on B, nothing else', () => {
    expect(result.findings.map((f) => `${f.code}@${f.scope}`).sort()).toEqual([`LENGTH_DRIFT@${A.instance}`, `TRUNCATION_RISE@${B.instance}`]);
    const rowA = result.quality!.rows.find((r) => r.scope === A.instance)!;
    // A's share over the whole window is its generator's 2.0 % (the same max_tokens list throughout).
    expect(Math.abs(rowA.truncatedRatio! - cutShare(streamsOf(A)[0]))).toBeLessThan(4 * se(cutShare(streamsOf(A)[0]), rowA.finished!));
  });

  it('the finished counts are the simulator\'s, but for the requests of the first scrape interval (an increase starts at the first sample)', () => {
    for (const r of [A, B]) {
      const row = result.quality!.rows.find((x) => x.scope === r.instance)!;
      const perInterval = r.whole.requestsPerSecond * truth.scrapeIntervalSeconds;
      expect(row.finished!).toBeLessThanOrEqual(r.totals.finished);
      expect(r.totals.finished - row.finished!).toBeLessThan(3 * perInterval);
    }
  });
});
