// Result.quality → Markdown: how requests finished and how long prompts and answers were, per scope,
// and the recent stretch against the rest of the window. Pure: data in, string out; the sentences for
// the caveat codes live here.

import type { QualitySection } from '../model/quality-result.js';
import { mdText } from './escape.js';
import { int, num, pct, table, time } from './format.js';

const CAVEAT: Record<string, string> = {
  'since-process-start':
    'The input is a single scrape: every number below is cumulative since each vLLM process started (counters and histograms are never reset by a scrape), not a rate over a window, and it says nothing about when anything happened.',
  'abort-not-counted':
    'The abort series counted nothing while requests finished. Many vLLM V1 versions do not count client aborts in vllm:request_success_total at all (the abort path bypasses the request stats, vllm-project/vllm#31503), so 0 % aborted may mean "not counted", not "none".',
  'no-finished-reason': 'vllm:request_success_total carries no finished_reason label (an export aggregated it away?): the shares of truncated and aborted requests cannot be told.',
  'no-length-histograms': 'vllm:request_prompt_tokens and vllm:request_generation_tokens are not in the inputs: no length distributions.',
};

const psiText = (x: number | null) => (x === null ? '–' : `${x < 0.01 ? '< 0.01' : num(x, 2)}${x >= 0.25 ? ' (major)' : x >= 0.1 ? ' (moderate)' : ''}`);
const change = (a: number | null, b: number | null) => `${pct(a)} → ${pct(b)}`;
const meanChange = (a: number | null, b: number | null) => `${int(a)} → ${int(b)}`;

export function renderQualitySection(q: QualitySection): string {
  const out: string[] = ['## Quality signals', ''];
  out.push(
    'How requests finished and how long prompts and answers were, from the metrics alone: "cut at length" is `finished_reason="length"` (the answer reached max_tokens or max_model_len and ends mid-sentence), "aborted" is `abort` (the client went away, or the engine gave up), "failed" is `error`. Lengths are in tokens, from the request histograms (p50/p95 interpolated inside their buckets). See docs/quality.md.',
    '',
  );
  for (const c of q.caveats) if (CAVEAT[c]) out.push(`> ${CAVEAT[c]}`, '');
  const rows = q.rows.map((r) => [
    mdText(r.scope),
    int(r.finished),
    pct(r.truncatedRatio),
    pct(r.abortedRatio),
    pct(r.erroredRatio),
    `${int(r.prompt.mean)} / ${int(r.prompt.p95)}`,
    `${int(r.output.mean)} / ${int(r.output.p95)}`,
    int(r.maxTokensMean),
  ]);
  out.push(table(['scope', 'finished', 'cut at length', 'aborted', 'failed', 'prompt mean / p95', 'output mean / p95', 'max_tokens mean'], rows, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  const rec = q.rows.filter((r) => r.recent);
  if (rec.length) {
    const r0 = rec[0].recent!;
    out.push(`Recent (${time(r0.recentStartSeconds)} → ${time(r0.endSeconds)}) against earlier in the window; PSI is the population stability index of the length histograms (< 0.1 stable, ≥ 0.25 a major shift):`, '');
    out.push(
      table(
        ['scope', 'cut at length', 'aborted or failed', 'prompt PSI', 'prompt mean', 'output PSI', 'output mean'],
        rec.map((r) => {
          const x = r.recent!;
          return [mdText(r.scope), change(x.truncatedEarlierRatio, x.truncatedRecentRatio), change(x.abortedEarlierRatio, x.abortedRecentRatio), psiText(x.promptPsi), meanChange(x.promptMeanEarlier, x.promptMeanRecent), psiText(x.outputPsi), meanChange(x.outputMeanEarlier, x.outputMeanRecent)];
        }),
        ['l', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
  }
  return out.join('\n');
}
