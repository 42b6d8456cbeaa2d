// The "Where request time goes" section: mean waiting, prefill and decode per request against the mean
// TTFT and end-to-end latency, per scope, with what is left over (computed in derive/decomposition.ts).
// Pure: Result data in, Markdown out.

import type { LatencyDecomposition } from '../model/result.js';
import { duration, int, table } from './format.js';
import { mdText as md } from './escape.js';

/** A residual: signed, "≈ 0" below a millisecond (floating-point noise of sums that add up). */
function residual(x: number | null): string {
  if (x === null) return '–';
  if (Math.abs(x) < 1e-3) return '≈ 0';
  return `${x < 0 ? '−' : '+'}${duration(Math.abs(x))}`;
}

/** "TTFT 49 s = 48.9 s waiting + 300 ms prefill + 100 ms other", or null when a part is unknown. */
export function ttftSentence(r: LatencyDecomposition): string | null {
  if (r.ttftMeanSeconds === null || r.queueMeanSeconds === null || r.prefillMeanSeconds === null || r.ttftResidualSeconds === null) return null;
  const rest = Math.abs(r.ttftResidualSeconds) < 1e-3 ? '' : ` ${r.ttftResidualSeconds < 0 ? '−' : '+'} ${duration(Math.abs(r.ttftResidualSeconds))} other`;
  return `TTFT ${duration(r.ttftMeanSeconds)} = ${duration(r.queueMeanSeconds)} waiting + ${duration(r.prefillMeanSeconds)} prefill${rest}`;
}

export function renderDecompositionSection(rows: readonly LatencyDecomposition[] | undefined): string {
  if (!rows || !rows.length) return '';
  const out: string[] = [];
  out.push('## Where request time goes');
  out.push('');
  out.push(
    "Means per request over the window, from each histogram's `_sum` / `_count` (means add up, quantiles do not): waiting = queued → first scheduled, prefill = first scheduled → first token, decode = first → last token (vLLM V1 engine timestamps). TTFT and end-to-end are measured by the API server from arrival; what they hold beyond the phases (tokenization, hand-off to the engine and back, detokenization) is the rest. See docs/latency.md.",
  );
  out.push('');
  out.push(
    table(
      ['scope', 'requests', 'waiting', 'prefill', 'decode', 'TTFT', 'TTFT − (waiting + prefill)', 'end-to-end', 'end-to-end − all phases'],
      rows.map((r) => [
        md(r.scope),
        int(r.e2eCount ?? r.queueCount),
        duration(r.queueMeanSeconds),
        duration(r.prefillMeanSeconds),
        duration(r.decodeMeanSeconds),
        duration(r.ttftMeanSeconds),
        residual(r.ttftResidualSeconds),
        duration(r.e2eMeanSeconds),
        residual(r.e2eResidualSeconds),
      ]),
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const notes: string[] = [];
  for (const r of rows) {
    const s = ttftSentence(r);
    const parts = [s ? `${s}.` : '', ...r.caveats.map((c) => `${c[0].toUpperCase()}${c.slice(1)}.`)].filter((x) => x);
    if (parts.length) notes.push(`- ${md(r.scope)}: ${md(parts.join(' '))}`);
  }
  if (notes.length) out.push('', ...notes);
  return out.join('\n');
}
