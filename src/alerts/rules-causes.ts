// The cause alerts (tickets): KV pressure with preemptions, queue and swapping gauges, prefix-cache
// hit rate, memory growth, restarts, GPU under-use, and the shares of requests cut at length or
// aborted. Split out of rules.ts; code moved, not changed.

import { catalogEntry } from '../model/metric-catalog.js';
import { calibrateFor, calibrateThreshold, roundAway } from './calibrate.js';
import { agg, and, anyOf, arith, cmp, formatDuration, predictLinear, rangeFn, sel, type Expr, type Matcher } from './expr.js';
import { Ctx, REPLICA_GROUP_CANDIDATES, bytesFmt, commonLabels, defaultFirings, finish, pctFmt, plainFmt, who, type Out } from './rules-context.js';

/** Finished requests a share-of-requests window must hold (the quality detectors' minimum, docs/quality.md). */
const MIN_FINISHED = 30;

/** GPU labels of the DCGM exporter, in grouping order. */
const GPU_GROUP_CANDIDATES = ['namespace', 'pod', 'Hostname', 'instance', 'gpu', 'UUID'];


export function kvPressure(c: Ctx): Out {
  const kind = 'kv-pressure';
  const kv = 'vllm:kv_cache_usage_perc';
  const pre = 'vllm:num_preemptions_total';
  const missing = [kv, pre].filter((m) => !c.series(m).length);
  if (missing.length) return { kind, reason: `${missing.join(' and ')} not in the inputs` };
  const G = c.groupBy;
  const codes = ['KV_CACHE_THRASHING'];
  // The highest usage of the last 5 minutes: the gauge is a snapshot per scrape and dips between bursts.
  const usage = c.gaugeOverTime('max', 'max_over_time', kv, 300, G);
  const preRate = c.rate(pre, 300, G);
  // vLLM preempts when a step cannot get a block; usage above 90% is where that starts (judgement call,
  // the kv-pressure detector's highRatio).
  const exclude = defaultFirings(c, and(cmp('>', usage, 0.9), cmp('>', preRate, 0)), 600);
  const tk = calibrateThreshold(c.evaluate(usage), c.h, { direction: 'above', q: 0.99, fallback: 0.9, bound: 0.9, codes, minHealthySeconds: 1800, fmt: pctFmt, exclude }, 'KV-cache usage');
  const tp = calibrateThreshold(c.evaluate(preRate), c.h, { direction: 'above', q: 0.99, fallback: 0, bound: 0, codes, minHealthySeconds: 1800, fmt: (x) => `${plainFmt(x)}/s`, exclude }, 'the 5m preemption rate');
  const expr = and(cmp('>', usage, tk.value), cmp('>', preRate, tp.value));
  const f = calibrateFor(c.evaluate(expr), c.h, codes, 600);
  return finish(
    c,
    {
      kind,
      alert: 'VllmKvCachePressure',
      severity: 'ticket',
      expr,
      forSeconds: f.value,
      summary: `vLLM KV cache full with preemptions on ${who(G)}`,
      description: 'KV-cache usage {{ $value | humanizePercentage }} while requests are being preempted: KV blocks run out and preempted requests are recomputed. See docs/findings/KV_CACHE_THRASHING.md.',
      calibration: [...tk.lines.map((x) => `KV usage ${x}`), ...tp.lines.map((x) => `preemption rate ${x}`), ...f.lines],
    },
    codes,
  );
}

export function gaugeAbove(c: Ctx, p: { kind: string; alert: string; metric: string; codes: string[]; defaultFor: number; summary: string; description: string; what: string }): Out {
  if (!c.series(p.metric).length) return { kind: p.kind, reason: `${p.metric} not in the inputs${catalogEntry(p.metric)?.v0Only ? ' (only a v0 engine exports it)' : ''}` };
  const G = c.groupBy;
  // The queue averaged over 5 minutes: sustained waiting, not a scrape that caught a momentary one.
  const signal = c.gaugeOverTime('sum', 'avg_over_time', p.metric, 300, G);
  const exclude = defaultFirings(c, cmp('>', signal, 0), p.defaultFor);
  const t = calibrateThreshold(c.evaluate(signal), c.h, { direction: 'above', q: 0.99, fallback: 0, bound: 0, codes: p.codes, minHealthySeconds: 1800, fmt: plainFmt, exclude }, p.what);
  const expr = cmp('>', signal, t.value);
  const f = calibrateFor(c.evaluate(expr), c.h, p.codes, p.defaultFor);
  return finish(c, { kind: p.kind, alert: p.alert, severity: 'ticket', expr, forSeconds: f.value, summary: `${p.summary} on ${who(G)}`, description: p.description, calibration: [...t.lines, ...f.lines] }, p.codes);
}

export function prefixCache(c: Ctx): Out {
  const kind = 'prefix-cache-hit-rate-drop';
  const codes = ['PREFIX_CACHE_MISSES'];
  const G = c.groupBy;
  const hits = 'vllm:prefix_cache_hits_total';
  const queries = 'vllm:prefix_cache_queries_total';
  let ratio: Expr;
  let what: string;
  if (c.series(hits).length && c.series(queries).length) {
    ratio = arith('/', c.rate(hits, 900, G), c.rate(queries, 900, G));
    what = 'the 15m prefix-cache hit rate (hit tokens / queried tokens)';
  } else if (c.series('vllm:gpu_prefix_cache_hit_rate').length) {
    ratio = c.gauge('avg', 'vllm:gpu_prefix_cache_hit_rate', G);
    what = 'the v0 engine prefix-cache hit rate';
  } else return { kind, reason: 'no prefix-cache counters (vllm:prefix_cache_hits/queries) or v0 hit-rate gauge in the inputs' };
  // No judgement-call ceiling: what counts as a drop depends on the deployment's own reuse.
  const exclude = defaultFirings(c, cmp('<', ratio, 0.1), 1800);
  const t = calibrateThreshold(c.evaluate(ratio), c.h, { direction: 'below', q: 0.01, fallback: 0.1, bound: null, codes, minHealthySeconds: 3600, fmt: pctFmt, exclude }, what);
  const expr = cmp('<', ratio, t.value);
  const f = calibrateFor(c.evaluate(expr), c.h, codes, 1800);
  return finish(
    c,
    {
      kind,
      alert: 'VllmPrefixCacheHitRateDrop',
      severity: 'ticket',
      expr,
      forSeconds: f.value,
      summary: `vLLM prefix-cache hit rate dropped on ${who(G)}`,
      description: `Prefix-cache hit rate {{ $value | humanizePercentage }}, below its usual range: more prefill work per request. See docs/findings/PREFIX_CACHE_MISSES.md.`,
      calibration: [...t.lines, ...f.lines],
    },
    codes,
  );
}

export function memoryGrowth(c: Ctx): Out[] {
  const out: Out[] = [];
  const codes = ['MEMORY_LEAK'];
  const rss = 'process_resident_memory_bytes';
  if (!c.series(rss).length) out.push({ kind: 'memory-growth', reason: `${rss} not in the inputs` });
  else {
    const rssSeries = c.series(rss);
    const Gp = c.o.groupBy ? [...c.o.groupBy] : commonLabels(rssSeries, REPLICA_GROUP_CANDIDATES);
    const { matchers, dropped } = c.matchers(rss);
    // The projected growth over the next 4 h, from the last hour's trend.
    let growth = agg('max', Gp, arith('-', predictLinear(rss, matchers, 3600, 4 * 3600), sel(rss, matchers)));
    const tie = Gp.filter((l) => c.groupBy.includes(l));
    const running = c.names('vllm:num_requests_running')[0];
    const notes: string[] = [];
    if (dropped.length) notes.push(`selector labels ${dropped.join(', ')} left out: the inputs' ${rss} series do not carry them`);
    if (tie.length && running) {
      // Only processes that also serve vLLM metrics (the process collector runs in every exporter).
      growth = and(growth, c.gauge('max', 'vllm:num_requests_running', tie), tie);
    } else notes.push(`${rss} could not be tied to vLLM replicas (no shared replica label): restrict it with --selector`);
    // 256 MiB: small processes wobble by tens of MiB (judgement call, the memory-growth detector's minGrowthBytes).
    const exclude = defaultFirings(c, cmp('>', growth, 256 * 2 ** 20), 1800);
    const t = calibrateThreshold(c.evaluate(growth), c.h, { direction: 'above', q: 0.99, fallback: 256 * 2 ** 20, bound: 256 * 2 ** 20, codes, minHealthySeconds: 3600, fmt: bytesFmt, exclude }, 'the growth predict_linear projects over 4h');
    const expr = cmp('>', growth, t.value);
    const f = calibrateFor(c.evaluate(expr), c.h, codes, 1800);
    out.push(
      finish(
        c,
        {
          kind: 'memory-growth',
          alert: 'VllmMemoryGrowth',
          severity: 'ticket',
          expr,
          forSeconds: f.value,
          summary: `vLLM process memory growing on ${who(Gp)}`,
          description: 'Resident memory is projected to grow by {{ $value | humanize1024 }}B over the next 4 hours (linear trend of the last hour). See docs/findings/MEMORY_LEAK.md.',
          calibration: [...notes, ...t.lines, ...f.lines],
        },
        codes,
      ),
    );
  }
  return out;
}

export function restarts(c: Ctx): Out {
  const kind = 'restart';
  const counter = 'vllm:generation_tokens_total';
  if (!c.series(counter).length) return { kind, reason: `${counter} not in the inputs` };
  const G = c.groupBy;
  const { matchers } = c.matchers(counter);
  const expr = cmp('>', anyOf(c.names(counter).map((n) => agg('sum', G, rangeFn('resets', n, matchers, 600)))), 0);
  return finish(
    c,
    {
      kind,
      alert: 'VllmReplicaRestart',
      severity: 'ticket',
      expr,
      forSeconds: 0,
      summary: `vLLM replica restarted: ${who(G)}`,
      description: 'The generation-token counter reset in the last 10 minutes: the engine process restarted. A replaced pod (new series) is not seen by this rule.',
      calibration: ['threshold 0 resets: any restart, not calibrated; for 0s (a reset is an event, not a state)'],
    },
    ['REPLICA_RESTART'],
  );
}

export function gpuUnderuse(c: Ctx): Out {
  const kind = 'gpu-underuse';
  const util = 'DCGM_FI_DEV_GPU_UTIL';
  if (!c.series(util).length) return { kind, reason: `${util} not in the inputs` };
  const codes = ['GPU_UNDERUTILIZED'];
  const Gg = commonLabels(c.series(util), GPU_GROUP_CANDIDATES);
  const { matchers, dropped } = c.matchers(util);
  const signal = agg('avg', Gg, rangeFn('avg_over_time', util, matchers, 1800));
  // 50%: decode keeps a busy GPU above ~80% (judgement call, the gpu-utilization detector's lowPercent);
  // calibration may only lower it, below the quiet hours the history shows.
  const exclude = defaultFirings(c, cmp('<', signal, 50), 1800);
  const t = calibrateThreshold(c.evaluate(signal), c.h, { direction: 'below', q: 0.01, fallback: 50, bound: 50, codes, minHealthySeconds: 3600, fmt: (x) => `${plainFmt(x)}%`, exclude }, 'the 30m mean DCGM GPU utilisation');
  const expr = cmp('<', signal, t.value);
  const f = calibrateFor(c.evaluate(expr), c.h, codes, 1800);
  const notes = dropped.length ? [`selector labels ${dropped.join(', ')} left out: the inputs' ${util} series do not carry them`] : [];
  return finish(
    c,
    {
      kind,
      alert: 'VllmGpuUnderused',
      severity: 'ticket',
      expr,
      forSeconds: f.value,
      summary: `GPU under-used: ${who(Gg)}`,
      description: 'Mean GPU utilisation {{ $value | humanize }}% over 30 minutes. See docs/findings/GPU_UNDERUTILIZED.md for telling no demand from a batch-size cap.',
      calibration: [...notes, ...t.lines, ...f.lines],
    },
    codes,
  );
}

/**
 * The share of finished requests that ended one way — cut at their length limit (`length`), or aborted
 * or failed (`abort|error`) — over 15 minutes, per replica: TRUNCATION_RISE and ABORT_RISE as an alert.
 * The diagnoses compare a share with the replica's own frozen baseline; a rule has one threshold, so it
 * is the healthy history's p99 plus the smallest rise the diagnosis reports (docs/quality.md), and a
 * window must hold 30 finished requests (the detectors' minimum: a share of fewer is noise).
 */
export function shareRise(c: Ctx, p: { kind: string; alert: string; reasons: string[]; codes: string[]; rise: number; fallback: number; defaultFor: number; summary: string; description: string; what: string }): Out {
  const counter = 'vllm:request_success_total';
  const series = c.series(counter);
  if (!series.length) return { kind: p.kind, reason: `${counter} not in the inputs` };
  if (!series.some((s) => s.labels.finished_reason !== undefined)) return { kind: p.kind, reason: `${counter} has no finished_reason label (aggregated away)` };
  if (!series.some((s) => p.reasons.includes(s.labels.finished_reason))) return { kind: p.kind, reason: `no ${counter} series with finished_reason ${p.reasons.map((r) => `"${r}"`).join(' or ')} in the inputs` };
  const G = c.groupBy;
  const W = 900;
  const reason: Matcher = p.reasons.length === 1 ? { label: 'finished_reason', op: '=', value: p.reasons[0] } : { label: 'finished_reason', op: '=~', value: p.reasons.join('|') };
  const { matchers } = c.matchers(counter);
  const finished = anyOf(c.names(counter).map((n) => agg('sum', G, rangeFn('increase', n, matchers, W))));
  const share = and(arith('/', c.rate(counter, W, G, [reason]), c.rate(counter, W, G)), cmp('>=', finished, MIN_FINISHED));
  const exclude = defaultFirings(c, cmp('>', share, p.fallback), p.defaultFor);
  const base = calibrateThreshold(c.evaluate(share), c.h, { direction: 'above', q: 0.99, fallback: p.fallback, bound: null, codes: p.codes, minHealthySeconds: 3600, fmt: pctFmt, exclude }, p.what);
  let value = p.fallback;
  let lines = base.lines;
  if (base.source === 'history' && base.baseline !== null) {
    value = roundAway(base.baseline + p.rise, 'above');
    lines = [`threshold ${pctFmt(value)}: the healthy p99 + ${Number((p.rise * 100).toPrecision(3))} points (the smallest rise ${p.codes[0]} reports, docs/quality.md); ${base.lines[0].replace(/^threshold [^:]*: /, '')}`];
  }
  lines = [...lines, `only windows with at least ${MIN_FINISHED} finished requests (${formatDuration(W)}): a share of fewer is noise`];
  const expr = cmp('>', share, value);
  const f = calibrateFor(c.evaluate(expr), c.h, p.codes, p.defaultFor);
  return finish(c, { kind: p.kind, alert: p.alert, severity: 'ticket', expr, forSeconds: f.value, summary: `${p.summary} on ${who(G)}`, description: p.description, calibration: [...lines, ...f.lines] }, p.codes);
}
