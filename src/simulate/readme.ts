// The README of a generated dataset: the scenario's story and expected diagnosis, the deployment,
// and facts measured from the scraped series of this very run (so text and data cannot drift apart).

import { windowFacts, type ScenarioRun } from './index.js';

function f(n: number, d: number): string {
  return n.toFixed(d);
}

export function scenarioReadme(run: ScenarioRun, files: string[], command: string): string {
  const { scenario, results, opts } = run;
  const L: string[] = [];
  L.push(`# ${scenario.name}`, '', `${scenario.summary}.`, '');
  L.push(
    `Simulated by \`vllm-tune simulate\` (src/simulate/, documented in docs/simulator.md): ${results.length} replica${results.length > 1 ? 's' : ''}, ` +
      `${f(opts.durationSeconds / 3600, opts.durationSeconds % 3600 ? 2 : 0)} h from 2025-11-20T10:00:00Z, scraped every ${opts.scrapeIntervalSeconds} s, seed ${opts.seed}. ` +
      `Every metric follows from one mechanism (arrivals → scheduler → KV blocks → step time); nothing is drawn by hand.`,
    '',
    'Regenerate (byte-identical):',
    '',
    '```sh',
    command,
    '```',
    '',
  );
  L.push('## What happens', '', scenario.story, '');
  L.push('## What a correct diagnosis says', '', scenario.diagnosis, '');
  L.push('## Deployment', '');
  L.push('| instance | GPU | model | TP | max_num_seqs | max_num_batched_tokens | max_model_len | gpu_memory_utilization | prefix caching | num_gpu_blocks | KV tokens | fault |');
  L.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of results) {
    const s = r.spec;
    const faults = s.faults.length
      ? s.faults
          .map((x) =>
            x.kind === 'memory-leak'
              ? `memory leak ${f(x.bytesPerHour / 1e9, 1)} GB/h from min ${f(x.start / 60, 0)}`
              : x.kind === 'slow-gpu'
                ? `SM clock × ${x.clockFactor} from min ${f(x.start / 60, 0)}`
                : x.kind === 'redeploy'
                  ? `redeployed at min ${f(x.at / 60, 0)} (down ${x.downSeconds} s) with ${Object.entries(x.set).map(([k, v]) => `${k} ${v}`).join(', ')}`
                  : `restart at min ${f(x.at / 60, 0)}, down ${x.downSeconds} s`,
          )
          .join('; ')
      : '—';
    L.push(
      `| ${s.instance} | ${s.gpu.modelName} | ${s.model.hfId} | ${s.tensorParallelSize} | ${s.maxNumSeqs} | ${s.maxNumBatchedTokens} | ${s.maxModelLen} | ${s.gpuMemoryUtilization} | ${s.enablePrefixCaching ? 'on' : 'off'} | ${r.plan.numGpuBlocks} | ${r.plan.kvTokens} | ${faults} |`,
    );
  }
  const noLog = results.filter((r) => r.spec.serverLog === false).map((r) => r.spec.instance);
  if (noLog.length) L.push('', `No server log is shipped for ${noLog.join(', ')}: its scheduler settings (max_num_seqs, max_num_batched_tokens) are stated nowhere in the dataset.`);
  L.push('');
  // One list when every replica gets the same streams, else one per replica.
  const same = results.every((r) => JSON.stringify(r.spec.streams) === JSON.stringify(results[0].spec.streams));
  for (const r of same ? [results[0]] : results) {
  L.push(same ? 'Workload per replica:' : `Workload of ${r.spec.instance}:`, '');
  for (const st of r.spec.streams) {
    const rate = st.rate;
    const parts = [`${rate.rps} req/s`];
    if (rate.steps) parts.push(...rate.steps.map((x) => `${x.rps} req/s from min ${f(x.at / 60, 0)}`));
    if (rate.diurnal) parts.push(`±${f(rate.diurnal.amplitude * 100, 0)} % over ${f(rate.diurnal.periodSeconds / 3600, 0)} h`);
    if (rate.window) parts.push(`only between min ${f(rate.window.start / 60, 0)} and ${f(rate.window.end / 60, 0)}`);
    if (rate.windows) parts.push(`only in ${rate.windows.length} windows (min ${rate.windows.map((w) => `${f(w.start / 60, 0)}–${f(w.end / 60, 0)}`).join(', ')})`);
    if (rate.weekly) parts.push(`× ${rate.weekly.weekendFactor} on weekends`);
    if (rate.growth) parts.push(`growing ${f(rate.growth.perDay * 100, 1)} % per day`);
    const pre = st.prefix ? `; ${f(st.prefix.share * 100, 0)} % start with one of ${st.prefix.count} system prompts (median ${st.prefix.length.median} tokens)` : '';
    L.push(`- \`${st.name}\`: ${parts.join(', ')}; prompt median ${st.prompt.median} tokens (log-normal σ ${st.prompt.sigma})${pre}; output median ${st.output.median} (σ ${st.output.sigma}), max_tokens ∈ {${st.maxTokens.join(', ')}}`);
  }
  L.push('');
  }
  L.push('## Measured in this run', '', 'From the scraped series themselves (counter increases per window, gauge means/maxima), per replica:', '');
  for (const r of results) {
    L.push(`### ${r.spec.instance}`, '');
    L.push(`${r.stats.arrived} requests arrived, ${r.stats.finished} finished${r.stats.dropped ? `, ${r.stats.dropped} lost to the restart` : ''}, ${r.stats.preemptions} preemptions.`, '');
    L.push('| minutes | req/s | running (mean) | waiting (max) | KV usage (max) | preemptions | TTFT mean s | ITL mean ms | prefix hit % | GPU util % | RSS max GB |');
    L.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const w of windowFacts(r, opts.scrapeIntervalSeconds, 6)) {
      L.push(
        `| ${f(w.fromMin, 0)}–${f(w.toMin, 0)} | ${f(w.requestsPerSecond, 2)} | ${f(w.runningMean, 1)} | ${f(w.waitingMax, 0)} | ${f(w.kvUsageMax, 3)} | ${f(w.preemptions, 0)} | ${f(w.ttftMeanSeconds, 3)} | ${f(w.itlMeanSeconds * 1000, 1)} | ${f(w.prefixHitRatio * 100, 1)} | ${Number.isNaN(w.gpuUtilMeanPercent) ? '—' : f(w.gpuUtilMeanPercent, 0)} | ${f(w.rssMaxGB, 2)} |`,
      );
    }
    L.push('');
  }
  const truth = run.truth;
  if (truth && (truth.episodes.length || truth.drift.length || truth.whatIf.length || truth.capacity || truth.pair)) {
    const min = (u: number | null) => (u === null ? '—' : f((u - truth.start) / 60, 0));
    L.push('## Ground truth', '', 'From the engine\'s own state (`truth.json`, schema in docs/simulator.md), not from the exports:', '');
    if (truth.episodes.length) {
      L.push('| replica | pathology | cause (min) | effect (min) | KV pool tokens | TTFT p95 s before → during | preemptions | waiting max | tokens/sequence | sequences that fit |');
      L.push('|---|---|---|---|---|---|---|---|---|---|');
      for (const e of truth.episodes) {
        const d = e.during;
        const num = (v: number | null | undefined, dd: number) => (v === null || v === undefined ? '—' : f(v, dd));
        L.push(
          `| ${e.replica} | ${e.pathology} | ${min(e.cause.from)}–${min(e.cause.to)} | ${e.occurred ? `${min(e.start)}–${min(e.end)}` : 'did not occur'} | ${e.kvPoolTokens} | ${num(e.before?.ttftP95Seconds, 3)} → ${num(d?.ttftP95Seconds, 3)} | ${d ? d.preemptions : '—'} | ${d ? d.waitingMax : '—'} | ${num(e.incidentMix?.tokensPerSequence, 0)} | ${e.incidentMix?.sequencesThatFit ?? '—'} |`,
        );
      }
      L.push('');
    }
    for (const d of truth.drift) {
      const vals = d.values.map((v) => `${v.replica} ${v.value}${v.from > truth.start ? ` (from min ${min(v.from)})` : ''}`).join(', ');
      L.push(`- Setting \`${d.setting}\` differs: ${vals}.`);
    }
    for (const w of truth.whatIf) {
      const a = w.actual;
      const c = w.counterfactual;
      const ttft = (x: number | null) => (x === null ? '—' : f(x, 3));
      L.push(
        `- What if ${w.replica} had run with ${w.label}: TTFT p95 ${ttft(a.ttftP95Seconds)} → ${ttft(c.ttftP95Seconds)} s, inter-token p95 ${ttft(a.tbtP95Seconds)} → ${ttft(c.tbtP95Seconds)} s, preemptions ${a.preemptions} → ${c.preemptions}, waiting max ${a.waitingMax} → ${c.waitingMax} (${w.matters ? 'the setting matters' : 'it does not matter'}).`,
      );
    }
    if (truth.pair) {
      const ch = truth.pair.change.map((c) => `${c.replica} ${c.setting} ${c.before} → ${c.after}`).join('; ');
      L.push(`- Before/after pair \`${truth.pair.name}\` (this is the ${truth.pair.role}; the other half is \`${truth.pair.peer}\`, same seed, same requests): ${ch}.`);
    }
    if (truth.capacity) {
      const c = truth.capacity;
      L.push(
        `- Capacity of one replica (${c.replica}) at TTFT p95 ≤ ${c.targets.ttftP95Seconds} s and inter-token p95 ≤ ${c.targets.tbtP95Seconds * 1000} ms: ${f(c.requestsPerSecond, 2)} req/s, limited by ${c.limitedBy === 'tbt' ? 'inter-token latency' : 'TTFT'} (${c.points.length} constant-rate runs).`,
      );
    }
    if (truth.demand) {
      const d = truth.demand[0];
      L.push(`- Daily peak hour of ${d.replica} (generator → arrived req/s): ${d.dailyPeaks.map((p) => `${p.day} ${new Date(p.peakHourStart * 1000).toISOString().slice(11, 16)} ${f(p.generatorRps, 2)} → ${f(p.arrivedRps, 2)}${p.partial ? ' (partial day)' : ''}`).join('; ')}.`);
      if (d.growthPerDay !== null) L.push(`- Demand grows ${f(d.growthPerDay * 100, 1)} % a day (compounding)${d.weekendFactor !== null ? `; weekends × ${d.weekendFactor}` : ''}.`);
    }
    if (truth.saturation) {
      const sat = truth.saturation;
      L.push(sat.day ? `- The peak hour first exceeds that capacity on ${sat.day} (${f(sat.daysAfterWindowEnd!, 1)} days after the window ends).` : '- The peak hour does not reach that capacity within a year.');
      L.push(`- On ${sat.replicasNeeded.day} (${sat.replicasNeeded.horizonDays} days after the window) the fleet's peak hour is ${f(sat.replicasNeeded.fleetPeakRps, 2)} req/s: ${sat.replicasNeeded.replicas} replicas at that capacity.`);
    }
    L.push('');
  }
  L.push('## Files', '');
  for (const file of files) {
    const base = file.replace(/^.*[\\/]/, '');
    const what = base === 'truth.json'
      ? 'ground truth: per replica the settings of each process and which input states them, per incident the true pathology, start/end and numbers (docs/simulator.md)'
      : base.endsWith('.json.gz')
      ? `Prometheus \`/api/v1/query_range\` response (matrix, all replicas, vLLM + process${results.some((r) => r.spec.gpu.vendor !== 'amd') ? ' + DCGM' : ''} series), gzip`
      : base.endsWith('.json')
        ? 'Prometheus `/api/v1/query_range` response (matrix, all replicas)'
        : base.endsWith('.om.txt')
          ? 'OpenMetrics with timestamps in seconds (`promtool tsdb create-blocks-from openmetrics`)'
          : base.endsWith('.csv')
            ? 'CSV long format: timestamp, metric, labels selector, value'
            : 'vLLM server log lines that carry the configuration (start-up; after a restart, the new start-up)';
    L.push(`- \`${base}\`: ${what}`);
  }
  for (const c of scenario.companions ?? []) L.push(`- \`${c.file}\`: ${c.what}`);
  L.push('', scenario.companions?.length ? 'The metrics, logs and truth.json are synthetic, generated by this project (Apache-2.0); the files marked real above are not.' : 'Synthetic data generated by this project (Apache-2.0); no real deployment is described.', '');
  return L.join('\n');
}
