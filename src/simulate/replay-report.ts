// The replay's Markdown summary: per replica, the configuration replayed (and where each value came
// from), the traffic reconstructed, the calibration, and measured vs replayed vs what-if side by side.

import type { Measures, ReplayReplica, ReplayResult } from './replay.js';

function fmt(v: number | null | undefined, unit: 's' | 'n' | 'r'): string {
  if (v === null || v === undefined) return '—';
  if (unit === 's') return v >= 1 ? `${v.toFixed(2)} s` : `${(v * 1000).toFixed(1)} ms`;
  if (unit === 'r') return `${(v * 100).toFixed(1)} %`;
  return Math.abs(v) >= 1000 ? Math.round(v).toLocaleString('en-US') : String(Math.round(v * 100) / 100);
}

const ROWS: [keyof Measures, string, 's' | 'n' | 'r'][] = [
  ['requests', 'requests finished', 'n'],
  ['promptTokens', 'prompt tokens', 'n'],
  ['generationTokens', 'generated tokens', 'n'],
  ['ttftP95Seconds', 'TTFT p95', 's'],
  ['tbtP95Seconds', 'inter-token latency p95', 's'],
  ['e2eP95Seconds', 'end-to-end p95', 's'],
  ['queueMeanSeconds', 'queue time (mean)', 's'],
  ['waitingMean', 'requests waiting (mean)', 'n'],
  ['waitingMax', 'requests waiting (max)', 'n'],
  ['preemptions', 'preemptions', 'n'],
  ['prefixHitRatio', 'prefix-cache hit ratio', 'r'],
];

function replicaSection(r: ReplayReplica): string[] {
  const L: string[] = [`## ${r.replica}`, ''];
  const c = r.config;
  L.push(`${c.model} on ${c.gpu} (TP ${c.tensorParallelSize}).`, '');
  L.push('| setting | replayed | from |', '| --- | --- | --- |');
  for (const [k, v] of Object.entries(c.settings)) L.push(`| \`${k}\` | \`${String(v)}\`${r.whatIf && r.whatIf.settings[k as keyof typeof c.settings] !== v ? ` → \`${String(r.whatIf.settings[k as keyof typeof c.settings])}\`` : ''} | ${c.origin[k] ?? '—'} |`);
  L.push('');
  const t = r.traffic;
  L.push(
    `Traffic: ${t.requests.toLocaleString('en-US')} requests on a ${t.curveStepSeconds} s rate curve; lengths from the token histograms in ${t.segments} segments` +
      `${t.excessSegments ? ` (${t.excessSegments} with a second workload split off)` : ''}; ${t.prefixShare ? `${(t.prefixShare * 100).toFixed(0)} % of requests share one of 4 prefixes of ≈ ${t.prefixTokens} tokens` : 'no shared prefixes'}.`,
    `Calibration on ${Math.round(r.calibration.windowSeconds / 60)} min: compute × ${r.calibration.computeScale}, memory × ${r.calibration.memoryScale} (${r.calibration.rounds} rounds).`,
    '',
  );
  L.push(`| | measured | replayed${r.whatIf ? ' | what-if' : ''} |`, `| --- | ---: | ---:${r.whatIf ? ' | ---:' : ''} |`);
  for (const [k, label, unit] of ROWS) L.push(`| ${label} | ${fmt(r.measured[k], unit)} | ${fmt(r.replayed[k], unit)}${r.whatIf ? ` | ${fmt(r.whatIf.measures[k], unit)}` : ''} |`);
  L.push('');
  if (r.warnings.length) L.push(...r.warnings.map((w) => `- ${w}`), '');
  return L;
}

export function replayMarkdown(res: ReplayResult, inputs: string[]): string {
  const L: string[] = ['# Replay', ''];
  L.push(
    `Inputs: ${inputs.map((i) => `\`${i}\``).join(', ')}. Window ${new Date(res.start * 1000).toISOString()} → ${new Date(res.end * 1000).toISOString()}, step ${res.stepSeconds} s.`,
    '',
    'The traffic each replica served — its request-rate curve, prompt/output length distributions and prefix-cache hit share as the exports show them — replayed through the simulator (docs/simulator.md, "Replay") with the replica\'s configuration and step times calibrated to the window. Measured and replayed numbers are computed alike, from the histograms. Validation tolerances: docs/simulator.md.',
    '',
  );
  for (const r of res.replicas) L.push(...replicaSection(r));
  return `${L.join('\n')}\n`;
}
