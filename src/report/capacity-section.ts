// Result.capacityReview → Markdown: per model the demand (busiest hour, daily and weekly profiles,
// lengths at the peak, daily peaks and their growth), per configuration group the utilization at the
// busiest hour, the capacity model with its arithmetic, the headroom, the projection, the replicas the
// next weeks need, consolidation and cost. Pure: numbers in, text out (docs/capacity.md has the formulas).

import type { CapacityLimit, CapacityReview, GroupCapacity, ModelDemand } from '../model/capacity-result.js';
import { duration, int, num, pct, table, time } from './format.js';
import { code, mdText as md } from './escape.js';
import { LIMIT_NAME } from './capacity-text.js';

const DOW = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

const day = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : time(x).slice(0, 10));
const hhmm = (x: number) => time(x).slice(11, 16);
const ms = (s: number | null | undefined) => (s === null || s === undefined ? '–' : `${num(s * 1000)} ms`);
const signedPct = (x: number | null | undefined, digits = 1) => (x === null || x === undefined || !Number.isFinite(x) ? '–' : `${x >= 0 ? '+' : ''}${pct(x, digits)}`);
const rps = (x: number | null | undefined) => (x === null || x === undefined ? '–' : `${num(x)}/s`);

function demandLines(m: ModelDemand): string[] {
  const out: string[] = [`### Demand: ${code(m.model)}`, ''];
  out.push(`Replicas: ${m.replicas.map((r) => code(r)).join(', ')}.`, '');
  if (m.peak) {
    out.push(
      `- Busiest hour: ${time(m.peak.startSeconds)} → ${hhmm(m.peak.endSeconds)}Z, ${num(m.peak.requestsPerSecond)} requests/s (${int(m.peak.promptTokensPerSecond)} prompt and ${int(m.peak.outputTokensPerSecond)} output tokens/s); typical hour (median) ${num(m.typicalRequestsPerSecond)} requests/s.`,
    );
  }
  if (m.peakHourOfDay !== null) out.push(`- Daily profile: the peak hour of the day is ${String(m.peakHourOfDay).padStart(2, '0')}:00–${String((m.peakHourOfDay + 1) % 24).padStart(2, '0')}:00 UTC.`);
  if (m.lengthsAtPeak) {
    const l = m.lengthsAtPeak;
    out.push(`- Lengths at the peak (${int(l.prompt.requests ?? l.output.requests)} requests): prompt mean ${int(l.prompt.meanTokens)} tokens (p50 ${int(l.prompt.p50Tokens)}, p90 ${int(l.prompt.p90Tokens)}, p99 ${int(l.prompt.p99Tokens)}); output mean ${int(l.output.meanTokens)} (p50 ${int(l.output.p50Tokens)}, p90 ${int(l.output.p90Tokens)}, p99 ${int(l.output.p99Tokens)}). Quantiles interpolated inside the token histograms' buckets.`);
  }
  const g = m.growth;
  if (g.evaluated) {
    const w = g.weekendFactor !== null ? `; weekend peaks are ${num(g.weekendFactor)}× weekday peaks` : '';
    out.push(
      g.significant
        ? `- Growth of the weekday peak: ${signedPct(g.perDayRatio, 2)} a day (95% interval ${signedPct(g.perDayLowRatio, 2)} to ${signedPct(g.perDayHighRatio, 2)}; ln(peak) = β₀ + β₁·day${g.weekendFactor !== null ? ' + β₂·weekend' : ''} by least squares over ${g.days} daily peaks, β₁ = ${num(g.slopePerDay, 4)} ± ${num(g.slopeStandardError, 3)} (standard error), ${g.degreesOfFreedom} degrees of freedom${g.r2 !== null ? `, R² ${num(g.r2)}` : ''})${w}.`
        : `- No significant growth: the weekday peak changes ${signedPct(g.perDayRatio, 2)} a day, but the 95% interval (${signedPct(g.perDayLowRatio, 2)} to ${signedPct(g.perDayHighRatio, 2)}, ${g.days} daily peaks) includes no change${w}.`,
    );
  } else out.push(`- Growth: not evaluated — ${md(g.reason)}.`);
  out.push('');
  if (m.hourly.length) {
    out.push('Hour of day (UTC), mean over the window:', '');
    out.push(table(['hour', 'requests/s', 'prompt tokens/s', 'output tokens/s'], m.hourly.filter((h) => h.requestsPerSecond !== null).map((h) => [`${String(h.hour).padStart(2, '0')}:00${h.hour === m.peakHourOfDay ? ' (peak)' : ''}`, num(h.requestsPerSecond), int(h.promptTokensPerSecond), int(h.outputTokensPerSecond)]), ['l', 'r', 'r', 'r']), '');
  }
  if (m.weekly.length) {
    out.push('Day of week (UTC):', '');
    const order = [1, 2, 3, 4, 5, 6, 0];
    out.push(table(['day', 'requests per whole day', 'busiest hour (requests/s)', 'whole days'], order.map((d) => m.weekly.find((x) => x.dayOfWeek === d)!).map((x) => [DOW[x.dayOfWeek], int(x.requestsPerDay), num(x.peakRequestsPerSecond), int(x.days)]), ['l', 'r', 'r', 'r']), '');
  }
  if (m.dailyPeaks.length) {
    out.push('Daily peaks (the busiest hour of each UTC day; a day enters the growth fit when its data covers the peak hour ± 1 h):', '');
    out.push(table(['day', 'busiest hour', 'requests/s', 'weekend', 'in the fit'], m.dailyPeaks.map((p) => [p.day, `${hhmm(p.startSeconds)}Z`, num(p.requestsPerSecond), p.weekend ? 'yes' : '', p.used ? 'yes' : 'no (partial day)']), ['l', 'l', 'r', 'l', 'l']), '');
  }
  return out;
}

function limitArithmetic(l: CapacityLimit): string {
  const x = l.numbers as Record<string, number | string | boolean | null>;
  const n = (k: string) => (typeof x[k] === 'number' ? (x[k] as number) : null);
  const service = `${duration(n('serviceInterceptSeconds'))} + ${duration(n('serviceSlopeSeconds'))} × b`;
  const little = (b: number | null) => `λ = ${num(b)} ÷ (${service}) = ${rps(l.requestsPerSecond)}`;
  switch (l.kind) {
    case 'running-cap':
      return `b = max_num_seqs ${int(n('maxNumSeqs'))} (${md(String(x.maxNumSeqsSource ?? ''))}${l.bound === 'lower' ? ', a lower bound' : ''}); ${little(l.concurrency)}`;
    case 'kv-pool':
      return `b = ${num(n('headroomRatio'))} × ${int(n('poolTokens'))} pool tokens ÷ ${int(n('kvTokensPerSequence'))} tokens per running sequence (${x.kvSource === 'kv-usage' ? 'KV usage × pool ÷ running at the peak' : 'prompt + output, full length'}) = ${num(l.concurrency)}; ${little(l.concurrency)}`;
    case 'token-budget':
      return `λ × ${int(n('uncachedPromptMeanTokens'))} uncached prompt tokens × τ(b(λ)) + b(λ) = max_num_batched_tokens ${int(n('maxNumBatchedTokens'))} at λ = ${rps(l.requestsPerSecond)} (b = ${num(l.concurrency)}, τ = ${ms(n('stepSecondsAtLimit'))})`;
    case 'tbt-target': {
      const tail = n('tailReachesBudgetRequestsPerSecond');
      const mean = n('meanReachesTargetRequestsPerSecond');
      const parts = [
        tail !== null ? `tokens over ${ms(n('tbtTargetSeconds'))}: ${num(n('tailK'))} × λ × τ(b(λ)) reaches ${pct(n('overTargetRatio'), 0)} at λ = ${rps(tail)}` : null,
        mean !== null ? `the mean τ(b) reaches ${ms(n('tbtTargetSeconds'))} at λ = ${rps(mean)}` : null,
      ].filter(Boolean);
      return `${parts.join('; ')}; the first: b = ${num(l.concurrency)}, τ = ${ms(n('tbtMeanAtLimitSeconds'))}`;
    }
    case 'ttft-target':
      return x.atPeak ? `already over at the peak: ${pct(n('overTargetRatio'))} of first tokens over ${duration(n('ttftTargetSeconds'))} (budget ${pct(n('budgetRatio'), 0)})` : `breaks when a queue forms (${pct(n('overTargetRatio'))} of first tokens over ${duration(n('ttftTargetSeconds'))} at the peak)`;
  }
}

function groupLines(r: CapacityReview, g: GroupCapacity): string[] {
  const out: string[] = [`### Configuration group ${md(g.group)} (${code(g.model ?? 'unknown model')}, ${g.replicas.length} replica${g.replicas.length === 1 ? '' : 's'}: ${g.replicas.map((x) => code(x)).join(', ')})`, ''];
  const p = g.peak;
  if (p) {
    out.push(`At the busiest hour (${time(p.startSeconds)} → ${hhmm(p.endSeconds)}Z, ${num(p.requestsPerSecond)} requests/s on ${num(p.replicas)} replicas, ${num(p.requestsPerSecond / Math.max(p.replicas, 1e-9))} per replica):`, '');
    out.push(
      table(
        ['KV usage mean', 'KV max', 'running mean', 'running max', 'running cap', 'waiting mean', 'waiting max', 'GPU utilization', 'SM active'],
        [[pct(p.kvUsageMeanRatio), pct(p.kvUsageMaxRatio), num(p.runningMean), int(p.runningMax), p.runningCap === null ? '–' : `${int(p.runningCap)} (${md(p.runningCapSource ?? '')})`, num(p.waitingMean), int(p.waitingMax), p.gpuUtilMeanPercent === null ? '–' : `${num(p.gpuUtilMeanPercent)}%`, pct(p.smActiveMeanRatio)]],
        ['r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
      ),
      '',
    );
    if (p.gpuUtilMeanPercent !== null && p.gpuUtilMeanPercent > 80 && (g.headroomRatio ?? 0) > 0.3) out.push('GPU utilization counts the time any kernel ran: a memory-bound decode keeps it high at any batch size, so it is not the headroom.', '');
  }
  out.push('Capacity model, per replica (docs/capacity.md):', '');
  const s = g.stepTime;
  const mix = g.mix;
  if (s) {
    out.push(`- Step time against batch size: τ(b) = ${ms(s.interceptSeconds)} + ${ms(s.slopeSecondsPerSequence)} × b (mean time between tokens at b running sequences; least squares over ${int(s.points)} five-minute bins, R² ${num(s.r2)}; b measured from ${num(s.concurrencyMin)} to ${num(s.concurrencyMax)}${s.concurrencySource === 'inference-time' ? " by Little's law on the running time" : ' by the running gauge'}, up to ${num(s.requestsPerSecondMax)} requests/s per replica).`);
    if (s.tailK !== null) out.push(`- Tokens over the ${ms(r.targets.tbtSeconds)} target: share = ${num(s.tailK)} × λ × τ (tokens slowed by steps that carry a prefill; R² ${num(s.tailR2)}).`);
  } else out.push('- Step time against batch size: no fit (too few 5-minute bins with tokens, or the inter-token or running-time histogram is missing); the service time is held at its measured value.');
  if (mix) {
    out.push(`- At the peak (${int(mix.bins)} bins of the peak hour): ${num(mix.requestsPerSecondPerReplica)} requests/s per replica, ${num(mix.concurrencyMean)} running, service time S = ${duration(mix.serviceMeanSeconds)} per request (prefill ${duration(mix.prefillMeanSeconds)}), ${int(mix.promptMeanTokens)} prompt tokens (${int(mix.uncachedPromptMeanTokens)} not in the prefix cache) and ${int(mix.outputMeanTokens)} output tokens per request, ${int(mix.kvTokensPerSequence)} KV tokens per running sequence, ${pct(mix.tbtOverTargetRatio)} of tokens over the TBT target, ${pct(mix.ttftOverTargetRatio)} of first tokens over the TTFT target.`);
  }
  const l0 = g.limits.find((l) => l.evaluated && l.numbers.serviceSlopeSeconds !== undefined);
  if (l0) {
    const x = l0.numbers;
    out.push(`- Service time along the step-time line: S(b) = ${duration(x.serviceInterceptSeconds as number)} + ${duration(x.serviceSlopeSeconds as number)} × b (${int(x.outputMeanTokens as number)} output tokens × ${ms(x.stepSlopeSeconds as number)} per running sequence); Little's law: λ(b) = b ÷ S(b).`);
  }
  out.push('');
  out.push(table(['limit', 'bounds', 'running per replica', 'requests/s per replica', 'arithmetic'], g.limits.map((l) => [LIMIT_NAME[l.kind], l.bounds === 'queue' ? 'a queue forms' : 'latency target', l.evaluated ? num(l.concurrency) : '–', l.evaluated ? num(l.requestsPerSecond) : '–', l.evaluated ? limitArithmetic(l) : `not evaluated: ${md(l.reason ?? '')}`]), ['l', 'l', 'r', 'r', 'l']), '');
  if (g.capacityRequestsPerSecond !== null) {
    const per = p && p.replicas > 0 ? p.requestsPerSecond / p.replicas : null;
    out.push(
      `**Capacity: ${num(g.capacityRequestsPerSecond)} requests/s per replica** (${num(g.capacityRequestsPerSecond * g.replicas.length)} for the group), limited by ${LIMIT_NAME[g.limitedBy ?? ''] ?? 'its first limit'}; a queue forms at ${rps(g.queueRequestsPerSecond)}. ` +
        `The busiest hour ran ${rps(per)} per replica: **headroom ${signedPct(g.headroomRatio, 0)}** before the latency targets break, ${signedPct(g.queueHeadroomRatio, 0)} before a queue forms. ` +
        `${g.extrapolationRatio !== null ? `The capacity lies ${num(g.extrapolationRatio)}× beyond the busiest rate the step-time fit saw` : 'No step-time fit'}: confidence ${g.confidence}.`,
      '',
    );
  } else out.push('No capacity could be computed (see the limits above).', '');
  const pr = g.projection;
  const statusText: Record<string, string> = {
    saturated: 'the busiest hour already reached the capacity',
    'no-significant-growth': 'no significant growth, so no saturation date',
    declining: 'demand is declining',
    'beyond-limit': 'the projection does not reach the capacity within a year',
  };
  if (pr.status === 'projected') {
    out.push(`Projection: the weekday peak${pr.demandShareRatio !== null && pr.demandShareRatio < 0.999 ? ` (${pct(pr.demandShareRatio)} of the model's demand goes to this group)` : ''} reaches ${rps(pr.capacityRequestsPerSecond)} around **${day(pr.saturationSeconds)}**, ${num(pr.daysAfterWindow)} days after the window (95% band of the growth fit: ${day(pr.earliestSeconds)} to ${pr.latestSeconds === null ? 'beyond a year' : day(pr.latestSeconds)}; the band does not include the capacity model's own error).`, '');
  } else if (pr.status === 'not-evaluated') out.push(`Projection: not evaluated — ${md(pr.reason ?? '')}.`, '');
  else out.push(`Projection: ${statusText[pr.status]}${pr.earliestSeconds !== null && pr.status === 'no-significant-growth' ? ` (at the upper end of the growth interval it would reach the capacity around ${day(pr.earliestSeconds)})` : ''}.`, '');
  if (g.replicasNeeded.length) {
    out.push(`Replicas needed at the peak (${g.replicasNeeded[0].basis === 'growth' ? 'projected weekday peak, point and upper band' : 'the busiest hour of the window, no growth assumed'}), at ${num(g.capacityRequestsPerSecond)} requests/s per replica:`, '');
    out.push(table(['week', 'date', 'peak requests/s', 'upper band', 'replicas', 'upper band', `GPUs (${g.gpusPerReplica} per replica${g.gpusPerReplicaKnown ? '' : ', assumed'})`], g.replicasNeeded.map((w) => [String(w.week), day(w.atSeconds), num(w.peakRequestsPerSecond), num(w.peakHighRequestsPerSecond), int(w.replicas), int(w.replicasHigh), int(w.gpus)]), ['r', 'l', 'r', 'r', 'r', 'r', 'r']), '');
  }
  const c = g.consolidation;
  if (c) {
    const free = c.replicasPresent - c.replicasNeededInHorizon;
    out.push(
      `Consolidation: the busiest hour needed ${int(c.replicasNeededAtPeak)} of ${int(c.replicasPresent)} replicas; the next ${r.horizonDays} days need up to ${int(c.replicasNeededInHorizon)} (planned at ${num(c.plannedCapacityRequestsPerSecond)} requests/s per replica)` +
        (free > 0 ? `: ${int(free)} replica${free === 1 ? '' : 's'} (${int(free * g.gpusPerReplica * 168)} GPU-hours a week) could be freed.` : ': nothing to free.') +
        ` Over the window, ${int(c.idleGpuHoursStatic)} of ${int(c.windowHours * c.replicasPresent * g.gpusPerReplica)} GPU-hours were beyond what its busiest hour needed, and ${int(c.idleGpuHoursHourly)} beyond what each hour needed (scaling with demand).`,
      '',
    );
  }
  const k = g.cost;
  if (k) {
    out.push(
      `Cost: ${num(k.tokensPerGpuSecond)} tokens per GPU-second (${num(k.outputTokensPerGpuSecond)} output tokens) over ${num(k.gpuHours)} GPU-hours` +
        (r.gpuHourPriceUsd !== null ? `; at $${num(r.gpuHourPriceUsd)} per GPU-hour, $${num(k.usdPerMillionTokens)} per million tokens ($${num(k.usdPerMillionOutputTokens)} per million output tokens).` : '; give `--gpu-hour-price <usd>` for the cost per million tokens.'),
      '',
    );
  }
  return out;
}

export function renderCapacitySection(r: CapacityReview): string {
  const out: string[] = ['## Capacity review', ''];
  out.push(
    `${r.trigger === 'flag' ? 'Asked for with `--capacity` on' : 'Over'} ${duration(r.windowSeconds)} of data in ${duration(r.binSeconds)} bins; hours and days in UTC. Targets: TTFT p95 ≤ ${duration(r.targets.ttftSeconds)}, time between tokens p95 ≤ ${duration(r.targets.tbtSeconds)} — a target breaks when more than ${pct(r.targets.overTargetRatio, 0)} of observations are over it. Demand is arrivals: finished requests plus the change in requests in flight. Formulas: docs/capacity.md.`,
    '',
  );
  for (const m of r.models) out.push(...demandLines(m));
  for (const g of r.groups) out.push(...groupLines(r, g));
  return out.join('\n');
}
