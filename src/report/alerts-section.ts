// Result.alerts → Markdown: which of the rules `vllm-tune alerts` writes for these inputs would have
// fired over the analysed window, and when. Pure: data in, string out.

import type { AlertsSection } from '../model/alerts-result.js';
import { code, codeCell, mdText } from './escape.js';
import { duration, num, pct, table, time } from './format.js';

function labelsText(labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  if (!keys.length) return 'fleet';
  // The replica-naming label alone reads best; the rest only when needed to tell series apart.
  const main = ['instance', 'pod', 'Hostname', 'engine', 'gpu'].find((k) => labels[k] !== undefined);
  const rest = keys.filter((k) => k !== main && k !== 'model_name' && k !== 'UUID' && k !== 'namespace');
  return [main ? labels[main] : '', ...rest.map((k) => `${k}=${labels[k]}`)].filter(Boolean).join(', ');
}

function peak(kind: string, v: number | null): string {
  if (v === null) return '–';
  if (kind.includes('burn') || kind === 'kv-pressure' || kind === 'prefix-cache-hit-rate-drop' || kind === 'truncation-rise' || kind === 'abort-rise') return pct(v);
  if (kind === 'memory-growth') return `${num(v / 2 ** 30)} GiB`;
  if (kind === 'gpu-underuse') return `${num(v)}%`;
  return num(v);
}

export function renderAlertsSection(a: AlertsSection): string {
  const out: string[] = [];
  out.push('## Alert rules: which would have fired, and when');
  out.push('');
  out.push(
    `The rules \`vllm-tune alerts\` writes for these inputs (docs/alerts.md), replayed on the window every ${duration(a.evaluationIntervalSeconds)}, one alert per ${a.groupBy.length ? a.groupBy.map(code).join(', ') : 'fleet'}. ` +
      'Thresholds and `for:` were calibrated on this same history, so this shows what the rules would have done here, not how they will do on new data. ' +
      'A range window (`rate(…[1h])`) is replayed only where the data covers all of it.',
  );
  out.push('');
  const kindOf = new Map(a.rules.map((r) => [r.alert, r.kind]));
  if (a.firings.length) {
    out.push(
      table(
        ['alert', 'severity', 'for', 'series', 'condition since', 'firing since', 'last firing', 'peak'],
        a.firings.map((f) => {
          const r = a.rules.find((x) => x.alert === f.alert)!;
          return [
            codeCell(f.alert),
            r.severity,
            duration(r.forSeconds),
            mdText(labelsText(f.labels)),
            time(f.activeSinceSeconds),
            time(f.firingSinceSeconds),
            f.ongoingAtEnd ? `${time(f.lastFiringSeconds)} (still firing at the end)` : time(f.lastFiringSeconds),
            peak(kindOf.get(f.alert) ?? '', f.peakValue),
          ];
        }),
        ['l', 'l', 'r', 'l', 'l', 'l', 'l', 'r'],
      ),
    );
  } else out.push('None of the rules would have fired.');
  out.push('');
  const quiet = a.rules.filter((r) => r.firings === 0 && r.replayedFromSeconds !== null);
  if (quiet.length) {
    out.push(`Never fired: ${quiet.map((r) => code(r.alert)).join(', ')}.`);
    out.push('');
  }
  const short = a.rules.filter((r) => r.replayedFromSeconds === null);
  if (short.length) {
    out.push(`Not replayed, the window is shorter than their rate windows: ${short.map((r) => code(r.alert)).join(', ')}.`);
    out.push('');
  }
  if (a.notGenerated.length) {
    out.push('Not written for these inputs:');
    out.push('');
    for (const n of a.notGenerated) out.push(`- ${code(n.kind)}: ${mdText(n.reason)}`);
    out.push('');
  }
  out.push('<details><summary>Rules and their calibration</summary>');
  out.push('');
  for (const r of a.rules) {
    out.push(`- ${code(r.alert)} (${r.severity}, for ${duration(r.forSeconds)}): ${code(r.expr)}`);
    for (const c of r.calibration) out.push(`  - ${mdText(c)}`);
  }
  out.push('');
  out.push('</details>');
  return out.join('\n');
}
