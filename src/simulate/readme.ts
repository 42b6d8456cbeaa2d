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
                : `restart at min ${f(x.at / 60, 0)}, down ${x.downSeconds} s`,
          )
          .join('; ')
      : '—';
    L.push(
      `| ${s.instance} | ${s.gpu.modelName} | ${s.model.hfId} | ${s.tensorParallelSize} | ${s.maxNumSeqs} | ${s.maxNumBatchedTokens} | ${s.maxModelLen} | ${s.gpuMemoryUtilization} | ${s.enablePrefixCaching ? 'on' : 'off'} | ${r.plan.numGpuBlocks} | ${r.plan.kvTokens} | ${faults} |`,
    );
  }
  L.push('');
  L.push('Workload per replica:', '');
  for (const st of results[0].spec.streams) {
    const rate = st.rate;
    const parts = [`${rate.rps} req/s`];
    if (rate.steps) parts.push(...rate.steps.map((x) => `${x.rps} req/s from min ${f(x.at / 60, 0)}`));
    if (rate.diurnal) parts.push(`±${f(rate.diurnal.amplitude * 100, 0)} % over ${f(rate.diurnal.periodSeconds / 3600, 0)} h`);
    if (rate.window) parts.push(`only between min ${f(rate.window.start / 60, 0)} and ${f(rate.window.end / 60, 0)}`);
    const pre = st.prefix ? `; ${f(st.prefix.share * 100, 0)} % start with one of ${st.prefix.count} system prompts (median ${st.prefix.length.median} tokens)` : '';
    L.push(`- \`${st.name}\`: ${parts.join(', ')}; prompt median ${st.prompt.median} tokens (log-normal σ ${st.prompt.sigma})${pre}; output median ${st.output.median} (σ ${st.output.sigma}), max_tokens ∈ {${st.maxTokens.join(', ')}}`);
  }
  L.push('');
  L.push('## Measured in this run', '', 'From the scraped series themselves (counter increases per window, gauge means/maxima), per replica:', '');
  for (const r of results) {
    L.push(`### ${r.spec.instance}`, '');
    L.push(`${r.stats.arrived} requests arrived, ${r.stats.finished} finished${r.stats.dropped ? `, ${r.stats.dropped} lost to the restart` : ''}, ${r.stats.preemptions} preemptions.`, '');
    L.push('| minutes | req/s | running (mean) | waiting (max) | KV usage (max) | preemptions | TTFT mean s | ITL mean ms | prefix hit % | GPU util % | RSS max GB |');
    L.push('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const w of windowFacts(r, opts.scrapeIntervalSeconds, 6)) {
      L.push(
        `| ${f(w.fromMin, 0)}–${f(w.toMin, 0)} | ${f(w.requestsPerSecond, 2)} | ${f(w.runningMean, 1)} | ${f(w.waitingMax, 0)} | ${f(w.kvUsageMax, 3)} | ${f(w.preemptions, 0)} | ${f(w.ttftMeanSeconds, 3)} | ${f(w.itlMeanSeconds * 1000, 1)} | ${f(w.prefixHitRatio * 100, 1)} | ${f(w.gpuUtilMeanPercent, 0)} | ${f(w.rssMaxGB, 2)} |`,
      );
    }
    L.push('');
  }
  L.push('## Files', '');
  for (const file of files) {
    const base = file.replace(/^.*[\\/]/, '');
    const what = base.endsWith('.json.gz')
      ? 'Prometheus `/api/v1/query_range` response (matrix, all replicas, vLLM + process + DCGM series), gzip'
      : base.endsWith('.json')
        ? 'Prometheus `/api/v1/query_range` response (matrix, all replicas)'
        : base.endsWith('.om.txt')
          ? 'OpenMetrics with timestamps in seconds (`promtool tsdb create-blocks-from openmetrics`)'
          : base.endsWith('.csv')
            ? 'CSV long format: timestamp, metric, labels selector, value'
            : 'vLLM server log lines that carry the configuration (start-up; after a restart, the new start-up)';
    L.push(`- \`${base}\`: ${what}`);
  }
  L.push('', 'Synthetic data generated by this project (Apache-2.0); no real deployment is described.', '');
  return L.join('\n');
}
