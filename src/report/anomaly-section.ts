// The "Anomaly episodes" section: each episode against its baseline ("× the baseline", or the change
// from a baseline of ~0), with the robust score capped ("> 50σ"). Pure: Result data in, Markdown out.

import type { AnomalyEpisode, QuantileBucket } from '../model/result.js';
import { duration, num, pct, table, time } from './format.js';
import { codeCell, mdText as md } from './escape.js';

/** A value in the episode's unit. */
export function anomalyValue(x: number | null | undefined, unit: string | undefined): string {
  if (x === null || x === undefined) return '–';
  switch (unit) {
    case 'seconds':
      return duration(x);
    case 'ratio':
      return pct(x);
    case 'per second':
      return `${num(x)}/s`;
    case 'tokens per second':
      return `${num(x)} tok/s`;
    default:
      return num(x);
  }
}

function bucket(b: QuantileBucket | undefined, unit: string | undefined): string {
  if (!b || !b.wide) return '';
  return ` (bucket ${anomalyValue(b.lowerSeconds, unit)}–${b.upperSeconds === null ? '+Inf' : anomalyValue(b.upperSeconds, unit)})`;
}

/** "37×", or "+5" when the baseline is ~0 and a ratio would mean nothing. */
export function changeCell(a: AnomalyEpisode): string {
  if (a.ratioToBaseline !== undefined && a.ratioToBaseline !== null) return `${num(a.ratioToBaseline)}×`;
  if (a.deltaFromBaseline !== undefined) return `${a.deltaFromBaseline >= 0 ? '+' : '−'}${anomalyValue(Math.abs(a.deltaFromBaseline), a.unit)}`;
  return '–';
}

/** The capped robust score: "+12σ", "> 50σ" (or "< −50σ" for a drop). */
export function scoreCell(a: AnomalyEpisode): string {
  const mag = Math.abs(a.peakScore);
  if (a.scoreCapped) return a.direction === 'up' ? `> ${num(mag)}σ` : `< −${num(mag)}σ`;
  return `${a.direction === 'up' ? '+' : '−'}${num(mag)}σ`;
}

export function renderAnomalySection(anomalies: readonly AnomalyEpisode[]): string {
  if (!anomalies.length) return '';
  const out: string[] = [];
  out.push('## Anomaly episodes');
  out.push('');
  out.push(
    'Each series is compared with the median of its last hour of normal points (learnt only outside episodes, frozen while one runs); the score is a robust z (deviation / 1.4826·MAD, with floors), shown up to 50σ. A shift that lasts 2 h is accepted as the new normal. See docs/latency.md.',
  );
  out.push('');
  out.push(
    table(
      ['metric', 'scope', 'from', 'to', 'lasted', 'peak', 'baseline', 'change', 'score'],
      anomalies.map((a) => [
        codeCell(a.metric),
        md(a.scope),
        time(a.startSeconds),
        `${time(a.endSeconds)}${a.acceptedAsNormal ? ' (new normal)' : ''}`,
        duration(a.endSeconds - a.startSeconds),
        `${anomalyValue(a.peakValue, a.unit)}${bucket(a.peakBucket, a.unit)}`,
        anomalyValue(a.baselineValue, a.unit),
        changeCell(a),
        scoreCell(a),
      ]),
      ['l', 'l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  const accepted = anomalies.filter((a) => a.acceptedAsNormal);
  if (accepted.length) {
    out.push('');
    for (const a of accepted) out.push(`- ${codeCell(a.metric)} ${md(a.scope)}: still shifted after ${duration(a.endSeconds - a.startSeconds)}; from ${time(a.endSeconds)} this level is the baseline (the episode may have continued).`);
  }
  return out.join('\n');
}
