// Result.client → Markdown: the load generator's view of each run and, where server metrics cover the
// same window, the join with them. Pure: data in, string out; sentences for the note codes live here.

import type { ClientLatencyStat, ClientRun, ClientSection } from '../model/client-result.js';
import { code, mdText } from './escape.js';
import { duration, int, num, pct, table, time } from './format.js';

const METRIC_NAME: Record<ClientLatencyStat['metric'], string> = { ttft: 'TTFT', tpot: 'TPOT (per request)', itl: 'ITL (each gap)', e2el: 'end-to-end' };

const NOTE: Record<string, string> = {
  'goodput-key-typo': 'The file spells the goodput key "request_goodput:" (with a colon), as benchmark_serving.py did in 2024–25; it was read all the same.',
  'per-request-arrays-mismatch': 'Its per-request arrays have different lengths; only the summary numbers were used.',
  'date-unreadable': 'Its `date` is not in the YYYYMMDD-HHMMSS form vLLM writes, so the run could not be placed in time.',
  'incomplete-requests': 'Some requests were still running when the benchmark stopped (guidellm "incomplete"); they are not counted.',
  'tpot-from-itls': 'TPOT per request is the sum of its inter-token gaps over (output tokens − 1): this file keeps no end-to-end latency per request.',
  'goodput-without-e2e': 'Goodput leaves out the end-to-end target: the file has no end-to-end latency per request.',
  'goodput-without-tpot': 'Goodput leaves out the TPOT target: the file has no output length or decode time per request.',
  'no-wall-clock-time': 'The file does not say when the run happened, so it cannot be set against the server metrics.',
  'outside-metrics-window': "The run's time lies outside the server metrics' window (at every UTC offset, when the file has no zone): no join.",
  'alignment-ambiguous': 'Several UTC offsets place the run where the server counted a similar number of requests: the join may be with the wrong window. Give --client-utc-offset.',
  'no-request-counter': "vllm:request_success_total is not in the metrics, so the run's placement could not be checked against the server's own count.",
  'server-counted-fewer': 'The server counted fewer requests than the client completed: part of the traffic went to replicas not in the metrics, or the window is off.',
  'server-counted-more': 'The server counted more requests than the client completed: other traffic shared the window, and the server-side means include it.',
  'negative-ttft-overhead': "The server's mean TTFT is above the client's: other traffic in the window, or the window is off.",
  'no-server-ttft': 'No vllm:time_to_first_token_seconds histogram covers the window.',
  'window-shorter-than-step': "The run is shorter than the metrics' step: no gauge sample fell inside it.",
  'utc-offset-given': '',
  'placement-failed': "The file's time has no zone, and at no UTC offset did the server count about as many requests as the client completed (other traffic, or another deployment): no join. Give --client-utc-offset to place it.",
};

function noteText(n: string): string {
  const [codeName, arg] = n.split(':');
  if (codeName === 'reported-mismatch') return `The tool's reported mean ${METRIC_NAME[arg as ClientLatencyStat['metric']] ?? arg} differs from the mean of its own per-request values; the per-request one is shown.`;
  if (codeName === 'most-loaded-of') return `Load figures are those of the most loaded of the ${arg} replicas.`;
  return NOTE[n] ?? n;
}

function pctl(l: ClientLatencyStat, p: number): string {
  const x = l.percentiles.find((q) => q.p === p);
  return x ? duration(x.seconds) : '–';
}

function loadSentence(run: ClientRun): string {
  const j = run.join!;
  const facts = [
    j.waitingMean !== null ? `waiting mean ${num(j.waitingMean)}, max ${num(j.waitingMax)}` : null,
    j.runningMean !== null ? `running mean ${num(j.runningMean)}, max ${num(j.runningMax)}${j.maxNumSeqs !== null ? ` of max_num_seqs ${int(j.maxNumSeqs)}` : ''}` : null,
    j.kvUsageMaxRatio !== null ? `KV cache up to ${pct(j.kvUsageMaxRatio)}` : null,
  ].filter(Boolean);
  const where = j.scope !== 'fleet' ? ` on ${code(j.scope)}` : '';
  const f = facts.length ? ` (${facts.join('; ')}${where})` : '';
  switch (j.load) {
    case 'saturated':
      return `**saturated**${f}: requests queued at the server or the batch was full, so the client's latencies include queueing in vLLM — this run measured capacity.`;
    case 'busy':
      return `**busy**${f}: the server worked near its batch or KV limits without a queue.`;
    case 'light':
      return `**light**${f}: the server had room, so these are latencies without load, not what the deployment does at capacity.`;
    default:
      return 'unknown: no waiting/running gauges in the window.';
  }
}

function runSection(r: ClientRun): string[] {
  const out: string[] = [];
  out.push(`### ${mdText(r.file)}: ${mdText(r.tool)}${r.label ? ` (${mdText(r.label)})` : ''}`);
  out.push('');
  const rows: string[][] = [];
  rows.push(['read as', mdText(r.layout)]);
  if (r.model) rows.push(['model', code(r.model)]);
  // vLLM stamps `date` when the run ended; aiperf/genai-perf write the start.
  const stamp = r.tool === 'vllm bench serve' || r.tool === 'benchmark_serving.py' ? 'ended' : 'started';
  const when = r.startSeconds !== null && r.endSeconds !== null ? `${time(r.startSeconds)} → ${time(r.endSeconds)}` : r.dateText ? `${stamp} ${mdText(r.dateText)} (local time, zone not in the file)` : 'not in the file';
  rows.push(['when', `${when}${r.durationSeconds !== null ? `, ${duration(r.durationSeconds)}` : ''}`]);
  rows.push(['offered load', `${r.requestRate === null ? '–' : r.requestRate === 'inf' ? 'all at once (rate inf)' : `${num(r.requestRate)} req/s`}${r.maxConcurrency !== null ? `, at most ${int(r.maxConcurrency)} in flight` : ''}`]);
  rows.push(['requests', `${int(r.completed)} completed, ${int(r.failed)} failed`]);
  rows.push(['throughput', `${num(r.requestsPerSecond)} req/s, ${num(r.outputTokensPerSecond)} output tok/s, ${num(r.totalTokensPerSecond)} total tok/s`]);
  if (r.goodput) {
    const g = r.goodput;
    rows.push(['goodput at the targets', `${pct(g.ratio)} of requests (${int(g.goodRequests)} of ${int(g.requests)}) had TTFT ≤ ${duration(g.ttftSeconds)}, TPOT ≤ ${duration(g.tpotSeconds)} and end-to-end ≤ ${duration(g.e2eSeconds)}: ${num(g.requestsPerSecond)} req/s`]);
  } else if (r.reportedGoodputPerSecond !== null) rows.push(['goodput (the tool\'s own targets)', `${num(r.reportedGoodputPerSecond)} req/s`]);
  out.push(table(['', ''], rows));
  out.push('');
  if (r.latency.length) {
    out.push(table(['latency', 'mean', 'median', 'p90', 'p95', 'p99', 'from'], r.latency.map((l) => [METRIC_NAME[l.metric], duration(l.meanSeconds), duration(l.medianSeconds), pctl(l, 90), pctl(l, 95), pctl(l, 99), l.source === 'per-request' ? 'per-request values' : "the tool's summary"]), ['l', 'r', 'r', 'r', 'r', 'r', 'l']));
    out.push('');
  }
  if (r.join) {
    const j = r.join;
    out.push(`Against the server's metrics from ${time(j.windowStartSeconds)} to ${time(j.windowEndSeconds)} (placed by ${mdText(j.alignment)}; confidence ${j.alignmentConfidence}):`);
    out.push('');
    const diff = (a: number | null, b: number | null) => (a !== null && b !== null ? duration(a - b) : '–');
    out.push(
      table(
        ['', 'client', 'server', 'client − server'],
        [
          ['requests', int(j.clientRequests), int(j.serverRequests), j.clientRequests !== null && j.serverRequests !== null ? int(j.clientRequests - j.serverRequests) : '–'],
          ['mean TTFT', duration(j.clientTtftMeanSeconds), duration(j.serverTtftMeanSeconds), diff(j.clientTtftMeanSeconds, j.serverTtftMeanSeconds)],
          ['mean end-to-end', duration(j.clientE2eMeanSeconds), duration(j.serverE2eMeanSeconds), diff(j.clientE2eMeanSeconds, j.serverE2eMeanSeconds)],
        ],
        ['l', 'r', 'r', 'r'],
      ),
    );
    out.push('');
    const clean = j.alignmentConfidence !== 'low' && !j.notes.some((n) => n.startsWith('server-counted'));
    if (j.ttftOverheadMeanSeconds !== null && j.ttftOverheadMeanSeconds >= 0 && clean) out.push(`The ${duration(j.ttftOverheadMeanSeconds)} of TTFT the client saw beyond vLLM's own is spent outside the engine: network, proxies and gateways, the API server's tokenization and request handling.`);
    else if (j.ttftOverheadMeanSeconds !== null) out.push('The TTFT difference is not attributed: the placement is uncertain or other traffic shared the window.');
    out.push(`Load during the run: ${loadSentence(r)}`);
    out.push('');
    for (const n of j.notes) if (noteText(n)) out.push(`- ${mdText(noteText(n))}`);
    if (j.notes.length) out.push('');
  }
  const notes = r.notes.map(noteText).filter(Boolean);
  for (const n of notes) out.push(`- ${mdText(n)}`);
  if (notes.length) out.push('');
  return out;
}

export function renderClientSection(c: ClientSection): string {
  const out: string[] = [];
  out.push('## Load test: the client\'s view');
  out.push('');
  out.push('What the benchmark client measured (docs/clients.md), next to what the server counted in the same window where server metrics cover it.');
  out.push('');
  for (const r of c.runs) out.push(...runSection(r));
  return out.join('\n');
}
