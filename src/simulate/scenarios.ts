// The named scenarios: each a fleet of replicas, a workload and (for most) one fault, chosen so that
// one pathology follows from the mechanism. Their READMEs say what happens and what a correct
// diagnosis says; the numbers in them are measured from the run itself (see readme.ts).


import { GPUS, MODELS } from './presets.js';
import type { FaultSpec } from './types.js';
import { chat, fleet, rag, recurring, replica, HOUR, MIN, type Scenario, type WhatIfSpec } from './scenario-kit.js';
import { pairScenarios } from './scenarios-pairs.js';
import { MI300X_DECODE_STEP, profileJoinScenarios } from './scenarios-profile.js';

export type { IncidentSpec, Scenario, ScenarioParams, WhatIfSpec } from './scenario-kit.js';
export { chat, replica, MI300X_DECODE_STEP };

export const SCENARIOS: Scenario[] = [
  {
    name: 'healthy-baseline',
    summary: 'Llama-3.1-8B on H100, chat traffic well inside capacity; nothing is wrong',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Two replicas of Llama-3.1-8B-Instruct, each on one H100 80GB, serve chat traffic of about 5 requests/s ' +
      'each with a gentle daily swing (±20 %). Seven in ten requests start with one of six popular system ' +
      'prompts, so prefix caching hits. The KV pool is far larger than the working set, the queue stays ' +
      'empty and no request is preempted.',
    diagnosis:
      '- No finding above info: latencies inside the chat targets (TTFT well under 500 ms, inter-token latency ' +
      'under 50 ms), no queue, no preemptions, no memory growth.\n' +
      '- Recommendations, if any, are informational (e.g. the KV pool is oversized for this traffic).',
    expectedWarnings: [],
    build: (p) => fleet(p.replicas, () => ({ streams: [chat(5)] })),
  },
  {
    name: 'kv-cache-thrashing',
    summary: 'Llama-3.1-8B with gpu_memory_utilization 0.3 and max_num_seqs 256 under long-context RAG traffic: KV pool exhausted, preemptions',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Llama-3.1-8B-Instruct on one H100 per replica, but started with gpu_memory_utilization 0.3 (as if the GPU ' +
      'were shared), which leaves a KV pool of about 54,500 tokens (see the log: GPU KV cache size). The traffic is ' +
      'retrieval-augmented: prompts of several thousand tokens and answers of a few hundred. max_num_seqs is left at ' +
      '256, so the scheduler admits more sequences than the pool holds; as they decode and need new blocks, the ' +
      'newest ones are preempted and recomputed later. Already at 1.2 requests/s KV usage touches 100 % with a few ' +
      'preemptions; at minute 15 the load steps up to 2 requests/s per replica, after which KV usage sits at 100 %, ' +
      'about 25 preemptions a minute recompute long prompts, the queue grows without bound and TTFT climbs to minutes, ' +
      'while only about 12 sequences fit in the pool at a time.',
    diagnosis:
      '- KV_CACHE_THRASHING (critical): KV usage near 1.0 with a sustained preemption rate from about minute 15, ' +
      'followed by a growing queue and rising TTFT.\n' +
      '- Fix: lower max_num_seqs to what the pool holds (KV tokens ÷ tokens per sequence from the prompt and ' +
      'generation histograms, with headroom), and/or enlarge the pool (kv_cache_dtype fp8, a GPU with more memory, ' +
      'or tensor parallelism).\n' +
      '- QUEUE_BUILDUP may accompany it as a consequence, not a separate cause.',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, () => ({
        gpuMemoryUtilization: 0.3,
        maxModelLen: 16384,
        maxNumBatchedTokens: 8192,
        maxNumSeqs: 256,
        streams: [
          {
            name: 'rag',
            rate: { rps: 1.2, steps: [{ at: 15 * MIN, rps: 2.0 }] },
            prompt: { median: 3500, sigma: 0.45 },
            output: { median: 450, sigma: 0.5 },
            maxTokens: [1024, 2048],
            prefix: { share: 0.5, count: 3, length: { median: 500, sigma: 0.2 }, zipf: 1 },
          },
        ],
      })),
    incidents: (specs, opts) =>
      specs.map((_, i) => ({
        replica: i,
        pathology: 'KV_CACHE_THRASHING',
        mechanism: 'gpu_memory_utilization 0.3 leaves a ~54k-token pool; max_num_seqs 256 admits more long sequences than it holds; the newest are preempted and recomputed',
        causes: [{ start: 0, end: opts.durationSeconds }],
        signal: 'preemptions' as const,
      })),
  },
  {
    name: 'prefill-starvation',
    summary: 'A 15-minute burst of 16k-token prompts with max_num_batched_tokens 16384: prefill saturates, queue and TTFT explode',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Llama-3.1-8B on H100 with max_model_len 32768 and a large token budget (max_num_batched_tokens 16384). ' +
      'Chat traffic runs throughout. From minute 20 to minute 35 a batch job sends about 1.6 requests/s per ' +
      'replica of very long prompts (median 16,000 tokens) with very short answers (extraction, ≤ 64 tokens). ' +
      'Prefill demand (≈ 26k tokens/s) now exceeds what the GPU computes, so the queue grows to hundreds and TTFT ' +
      'of every request, chat included, goes from ~25 ms to a mean of 30–90 s. Because each step carries up to 16k ' +
      'prefill tokens, steps take hundreds of milliseconds and the decodes scheduled in them slow down too: mean ' +
      'inter-token latency rises from 9 ms to 150–230 ms, and slow decodes hold their slots, so running climbs to ' +
      'max_num_seqs (256). KV usage stays below 1 and nothing is preempted. The queue drains within minutes after ' +
      'the burst.',
    diagnosis:
      '- PREFILL_STARVATION (critical) from minute 20 to about minute 40: TTFT p95 from well under a second to ' +
      'minutes while the queue grows; KV usage below 1 and no preemptions, so this is not KV thrashing. Note the ' +
      'inter-token latency rises too (by far less than TTFT in relative terms of the SLO: decodes still get a slot ' +
      'every step), because the token budget lets each step carry a huge prefill chunk.\n' +
      '- Fix: a smaller max_num_batched_tokens (e.g. 4096–8192) bounds step time so decodes keep their pace, and ' +
      'capacity (another replica) or a separate pool for the long-prompt batch job addresses the TTFT.',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, () => ({
        maxModelLen: 32768,
        maxNumBatchedTokens: 16384,
        streams: [
          chat(5),
          {
            name: 'long-prompts',
            rate: { rps: 1.6, window: { start: 20 * MIN, end: 35 * MIN } },
            prompt: { median: 16000, sigma: 0.25 },
            output: { median: 16, sigma: 0.5 },
            maxTokens: [64],
          },
        ],
      })),
    incidents: (specs) =>
      specs.map((_, i) => ({
        replica: i,
        pathology: 'PREFILL_STARVATION',
        mechanism: 'a burst of ~16k-token prompts exceeds the prefill the GPU computes; every request queues for its prefill',
        causes: [{ start: 20 * MIN, end: 35 * MIN }],
        signal: 'ttft-over-target' as const,
        ttftTargetSeconds: 0.5,
      })),
  },
  {
    name: 'underutilized-demand',
    summary: 'Llama-3.1-8B on H100 at 0.3 requests/s: the GPU idles because there is no demand',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'The same deployment as the healthy baseline, but only about 0.3 requests/s reach each replica. The GPU ' +
      'is busy a small fraction of the time, batches are tiny, KV usage stays at a few percent and nothing ever ' +
      'waits.',
    diagnosis:
      '- GPU_UNDERUTILIZED, demand-bound (warning/info): low GPU utilisation and small batches with an empty queue.\n' +
      '- Fix: consolidate replicas (fewer GPUs or a smaller GPU), not vLLM settings; raising max_num_seqs would ' +
      'change nothing.',
    expectedWarnings: [],
    build: (p) => fleet(p.replicas, () => ({ streams: [chat(0.3)] })),
  },
  {
    name: 'underutilized-config',
    summary: 'max_num_seqs 8 with a queue: batches stay tiny, the GPU is under-used while requests wait',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Llama-3.1-8B on H100 with max_num_seqs set to 8. About 4.5 requests/s per replica arrive — traffic an H100 ' +
      'serves easily at batch 64 — but at most 8 sequences run at once, so every step is a tiny, memory-bound ' +
      'batch. num_requests_running sits at 8, a queue forms and swings with the load, KV usage stays low and TTFT ' +
      'is dominated by queue time.',
    diagnosis:
      '- GPU_UNDERUTILIZED, config-bound (warning): running pinned at max_num_seqs (8) while requests wait, ' +
      'KV usage low, batches small.\n' +
      '- QUEUE_BUILDUP / LATENCY_SLO_BREACH on TTFT as the visible symptom.\n' +
      '- Fix: raise max_num_seqs (the KV pool holds hundreds of these sequences; 128–256 is safe here).',
    expectedWarnings: [],
    build: (p) => fleet(p.replicas, () => ({ maxNumSeqs: 8, streams: [chat(3.7)] })),
    incidents: (specs, opts) =>
      specs.map((_, i) => ({
        replica: i,
        pathology: 'GPU_UNDERUTILIZED',
        mechanism: 'max_num_seqs 8 caps the batch: requests queue behind a full running set while the GPU and the KV pool have room',
        causes: [{ start: 0, end: opts.durationSeconds }],
        signal: 'queue' as const,
        min: 5,
      })),
  },
  {
    name: 'memory-leak',
    summary: 'Replica 1 leaks about 1.2 GB/h of host memory at flat load over 3 hours',
    defaultHours: 3,
    defaultReplicas: 2,
    story:
      'Healthy traffic on both replicas for three hours. The API server process of the first replica ' +
      '(10.0.0.11:8000) leaks host memory: process_resident_memory_bytes grows by about 1.2 GB per hour from ' +
      'the start, while the second replica stays flat. Load, latency and GPU memory (DCGM framebuffer use, ' +
      'preallocated by vLLM) do not change.',
    diagnosis:
      '- MEMORY_LEAK (warning) on 10.0.0.11:8000 only: a steady, significant upward trend of resident memory ' +
      'at flat load; GPU framebuffer flat.\n' +
      '- Nothing on 10.0.0.12:8000. No vLLM setting fixes a leak: restart the process on a schedule and report it ' +
      'upstream; the trend gives the time until the host runs out.',
    expectedWarnings: [],
    build: (p) => fleet(p.replicas, (i) => ({ streams: [chat(5)], faults: i === 0 ? [{ kind: 'memory-leak', start: 0, bytesPerHour: 1.2e9 }] : [] })),
  },
  {
    name: 'prefix-cache-misses',
    summary: 'Prefix caching on, but every request carries its own long system prompt: hit rate near zero',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Llama-3.1-8B on H100 with enable_prefix_caching=True. Nine in ten requests start with a long (≈1,200-token) ' +
      'system prompt, but the prompts are personalised: drawn from hundreds of thousands of variants, so almost ' +
      'none repeats while its blocks are still cached. The prefix cache is queried for every prompt token and ' +
      'almost never hits; all prompt tokens are recomputed. Latencies stay acceptable at this load.',
    diagnosis:
      '- PREFIX_CACHE_MISSES (info/warning): prefix_cache_hits / prefix_cache_queries near 0 with caching on, ' +
      'although prompts are long.\n' +
      '- Fix: put the shared part of the prompt first and the per-user part last so prefixes are shared; ' +
      'otherwise caching gives nothing here (disabling it saves little).',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, () => ({
        streams: [chat(4, { prefix: { share: 0.9, count: 200000, length: { median: 1200, sigma: 0.2 }, zipf: 0 }, prompt: { median: 200, sigma: 0.6 } })],
      })),
  },
  {
    name: 'replica-restart',
    summary: 'Replica 2 restarts at minute 55 (2.5 min down): counters reset, process_start_time changes',
    defaultHours: 2,
    defaultReplicas: 2,
    story:
      'Healthy traffic on both replicas. At minute 55 the engine process of the second replica (10.0.0.12:8000) ' +
      'dies; its in-flight requests are lost and its /metrics endpoint is down for 150 s (no samples). A new ' +
      'process starts: counters and histograms restart from zero, process_start_time_seconds jumps, the prefix ' +
      'cache starts cold. The log shows the crash and a second start-up.',
    diagnosis:
      '- No pathology: a counter reset and a gap of about 2.5 minutes on 10.0.0.12:8000 that rates must survive ' +
      '(rate()/increase() semantics), and a warm-up after the restart that must not be mistaken for an incident.\n' +
      '- The report should mention the restart (process_start_time_seconds changed) as context.',
    expectedWarnings: [],
    build: (p) => fleet(p.replicas, (i) => ({ streams: [chat(5)], faults: i === 1 ? [{ kind: 'restart', at: 55 * MIN, downSeconds: 150 }] : [] })),
  },
  {
    name: 'fleet-one-degraded',
    summary: 'Two replicas, one GPU throttles its clocks at minute 30: only that replica slows down',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Both replicas serve the same chat traffic. At minute 30 the GPU of the second replica (10.0.0.12:8000, ' +
      'gpu-node-2) starts throttling its SM clock to 35 % of boost (thermal or power capping): ' +
      'DCGM_FI_DEV_SM_CLOCK drops from 1980 to 693 MHz, every step takes longer (compute slows with the clock, ' +
      'memory-bound decode less so), mean inter-token latency rises by about 70 % and mean TTFT triples on that ' +
      'replica, more requests run concurrently and GPU utilisation goes up, while the first replica is unchanged.',
    diagnosis:
      '- A per-replica finding on 10.0.0.12:8000 only, from minute 30: THROUGHPUT_DROP-like slowdown: ' +
      'mean inter-token latency up about 70 % and mean TTFT about tripled, with the SM clock drop as the evidence of a hardware cause.\n' +
      '- Fleet averages dilute it: the diagnosis must be per replica. No vLLM setting fixes it; drain the node ' +
      'and check cooling / power capping.',
    expectedWarnings: [],
    build: (p) => fleet(p.replicas, (i) => ({ streams: [chat(5)], faults: i === 1 ? [{ kind: 'slow-gpu', start: 30 * MIN, clockFactor: 0.35 }] : [] })),
  },
];



const NEW_SCENARIOS: Scenario[] = [
  {
    name: 'mixed-config-thrash',
    summary: 'Two Llama-3.1-8B replicas, one started with gpu_memory_utilization 0.31, its peer with 0.9: under a long-prompt mix only the small one thrashes',
    defaultHours: 1,
    defaultReplicas: 2,
    story:
      'Two replicas of Llama-3.1-8B-Instruct on one H100 each serve the same mix: chat plus retrieval-augmented requests ' +
      'with prompts of about 3,000 tokens. The first replica (10.0.0.11:8000) was started with gpu_memory_utilization 0.31 ' +
      '(as if the GPU were shared), which leaves a KV pool of about 61,000 tokens; its peer (10.0.0.12:8000) runs at 0.9 with ' +
      'about 446,000. Both keep max_num_seqs 256. From minute 15 the RAG share grows; the small replica admits more ' +
      'sequences than its pool holds, preempts and recomputes them, its queue and TTFT climb, while the big replica serves ' +
      'the same traffic without a single preemption. Each replica ships its own server log (they differ).',
    diagnosis:
      '- KV_CACHE_THRASHING (critical) on 10.0.0.11:8000 only, from about minute 15: KV usage at 1, sustained preemptions, queue and TTFT rising as consequences.\n' +
      '- CONFIG_DRIFT: the two replicas serve one model with different gpu_memory_utilization (0.31 vs 0.9) and so different KV pools; it explains the thrashing.\n' +
      '- Fix for 10.0.0.11:8000 first: restore its peer\'s gpu_memory_utilization 0.9; otherwise max_num_seqs sized from ITS pool (≈ 61k tokens) ' +
      'and the incident mix — truth.json gives the pool and how many incident-mix sequences fit it. Nothing to change on 10.0.0.12:8000.',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, (i) => ({
        gpuMemoryUtilization: i === 0 ? 0.31 : 0.9,
        maxModelLen: 16384,
        streams: [chat(3), rag(1.2, { rate: { rps: 1.2, steps: [{ at: 15 * MIN, rps: 2.2 }] } })],
      })),
    incidents: () => [
      {
        replica: 0,
        pathology: 'KV_CACHE_THRASHING',
        mechanism: 'gpu_memory_utilization 0.31 leaves a pool that holds fewer long-prompt sequences than max_num_seqs admits; the newest are preempted and recomputed',
        causes: [{ start: 15 * MIN, end: 60 * MIN }],
        signal: 'preemptions',
      },
    ],
    whatIf: () => [{ replica: 0, label: "the peer's gpu_memory_utilization", set: { gpuMemoryUtilization: 0.9 } }],
  },
  {
    name: 'long-prompt-burst',
    summary: 'A healthy 2-hour chat window with a 30-minute burst of long prompts: TTFT p95 from ~0.1 s to seconds while it lasts',
    defaultHours: 2,
    defaultReplicas: 2,
    story:
      'Two replicas of Llama-3.1-8B-Instruct on H100 (max_num_batched_tokens 4096) serve chat traffic well inside capacity. ' +
      'From minute 50 to minute 80 a document-extraction job sends about 3.9 requests/s of ~6,000-token prompts with ' +
      'answers of a few tokens to each replica. Prefill demand now nearly saturates the GPU: every step carries a full token ' +
      'budget of prefill, new requests — chat included — wait for their turn, the queue swings to tens of requests and TTFT ' +
      'p95 rises from about 0.05 s to several seconds for as long as the burst lasts, then returns within a minute. Steps ' +
      'are longer, so inter-token latency rises too (to ~0.15 s at p95). KV usage stays near half and nothing is preempted.',
    diagnosis:
      '- PREFILL_STARVATION (or a TTFT breach localised in time) on both replicas from about minute 50 to minute 80: TTFT p95 of seconds ' +
      'while the queue holds requests; no preemptions, KV usage low.\n' +
      '- The trigger shows in the traffic: prompt tokens per request jump (mean prompt length several times the chat one) at minute 50.\n' +
      '- Whole-window p95 must not hide it.',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, () => ({
        maxModelLen: 16384,
        maxNumBatchedTokens: 4096,
        streams: [
          chat(5),
          {
            name: 'documents',
            rate: { rps: 3.9, window: { start: 50 * MIN, end: 80 * MIN } },
            prompt: { median: 6000, sigma: 0.3 },
            output: { median: 16, sigma: 0.5 },
            maxTokens: [32],
          },
        ],
      })),
    incidents: (specs) =>
      specs.map((_, i) => ({
        replica: i,
        pathology: 'PREFILL_STARVATION',
        mechanism: 'a burst of ~6,000-token prompts fills the step token budget with prefill; new requests queue for their prefill',
        causes: [{ start: 50 * MIN, end: 80 * MIN }],
        signal: 'ttft-over-target' as const,
        ttftTargetSeconds: 0.5,
      })),
  },
  {
    name: 'redeploy-regression',
    summary: 'Two replicas over 24 h; one is redeployed at 20:30 with gpu_memory_utilization 0.31 and max_num_seqs 512 and thrashes in each later RAG burst',
    defaultHours: 24,
    defaultReplicas: 2,
    defaultIntervalSeconds: 60,
    story:
      'Two replicas of Llama-3.1-8B-Instruct on H100 serve chat traffic with a daily cycle (peak in the afternoon, UTC) for ' +
      '24 hours, scraped every 60 s. Every four hours from 11:00 a batch job sends retrieval-augmented requests (prompts of ' +
      'about 3,000 tokens) to every replica for 12–35 minutes. At 20:30 the second replica (10.0.0.12:8000) is redeployed: its ' +
      'process stops, the target is down for 4 minutes, and a new process starts with gpu_memory_utilization 0.31 (to share the ' +
      'GPU) and max_num_seqs 512 — counters restart from zero, process_start_time_seconds changes and vllm:cache_config_info ' +
      'shows the new gpu_memory_utilization and num_gpu_blocks. Chat alone still fits its smaller pool, but in every RAG burst ' +
      'after the redeploy it admits more long sequences than the pool holds, preempts and recomputes, and its TTFT climbs to ' +
      'seconds or tens of seconds for the length of the burst and a little after. Its peer serves the same bursts without a ' +
      'preemption, as the redeployed replica did before the redeploy. Each replica ships its server log; the second one ' +
      'shows both start-ups.',
    diagnosis:
      '- CONFIG_DRIFT: 10.0.0.12:8000 changed gpu_memory_utilization 0.9 → 0.31 (and max_num_seqs 256 → 512, num_gpu_blocks 27,875 → 3,815) ' +
      'at 20:30 and from then differs from its peer.\n' +
      '- KV_CACHE_THRASHING on 10.0.0.12:8000 only, in each RAG burst after the redeploy (episodes of 10–40 minutes; truth.json lists them), ' +
      'with queue build-up and TTFT breaches as consequences. None before the redeploy, none on 10.0.0.11:8000.\n' +
      '- Fix: restore gpu_memory_utilization 0.9 on 10.0.0.12:8000 (its peer\'s value); failing that, max_num_seqs sized from ITS pool ' +
      'after the redeploy and the burst mix.',
    expectedWarnings: [],
    build: (p) => {
      const bursts = recurring(p.hours, 1, 4, [25, 15, 35, 20, 30, 12]);
      return fleet(p.replicas, (i) => ({
        maxModelLen: 16384,
        streams: [chat(4, { rate: { rps: 4, diurnal: { amplitude: 0.35, periodSeconds: 24 * HOUR, phase: 0.2 } } }), rag(2.2, { rate: { rps: 2.2, windows: bursts } })],
        faults: i === 1 ? [{ kind: 'redeploy' as const, at: 10.5 * HOUR, downSeconds: 240, set: { gpuMemoryUtilization: 0.31, maxNumSeqs: 512 } }] : [],
      }));
    },
    incidents: (specs) => {
      const f = specs[1]?.faults.find((x) => x.kind === 'redeploy');
      if (!f || f.kind !== 'redeploy') return [];
      const bursts = specs[1].streams[1].rate.windows ?? [];
      return [
        {
          replica: 1,
          pathology: 'KV_CACHE_THRASHING',
          mechanism: 'after the redeploy (gpu_memory_utilization 0.31, max_num_seqs 512) the pool holds fewer burst sequences than are admitted; the newest are preempted and recomputed',
          causes: bursts.filter((b) => b.start >= f.at),
          signal: 'preemptions' as const,
        },
      ];
    },
    whatIf: (specs) => (specs.length > 1 ? [{ replica: 1, label: "its peer's gpu_memory_utilization and max_num_seqs", set: { gpuMemoryUtilization: 0.9, maxNumSeqs: 256 } }] : []),
  },
  {
    name: 'config-drift',
    summary: 'Four replicas of one model started with different max_num_batched_tokens, enable_prefix_caching and max_num_seqs; only some differences matter, one log is missing',
    defaultHours: 2,
    defaultReplicas: 4,
    story:
      'Four replicas of Llama-3.1-8B-Instruct on H100 serve the same chat traffic (about 6 requests/s each, ±20 % over 6 h). ' +
      'They were started by hand at different times: 10.0.0.11:8000 with the team defaults (max_num_seqs 256, ' +
      'max_num_batched_tokens 8192, prefix caching on); 10.0.0.12:8000 with max_num_batched_tokens 2048; 10.0.0.13:8000 ' +
      'with enable_prefix_caching False; 10.0.0.14:8000 with max_num_seqs 16. Chat prompts are short, so the smaller token ' +
      'budget changes little; without prefix caching every shared system prompt is recomputed, which costs prefill time; ' +
      'the running cap of 16 pins num_requests_running at 16 with a queue behind it whenever the load rises. The server log ' +
      'of 10.0.0.14:8000 was not kept: its max_num_seqs is stated nowhere and must be inferred from the running ceiling.',
    diagnosis:
      '- CONFIG_DRIFT across the four replicas: max_num_batched_tokens (8192 vs 2048), enable_prefix_caching (on vs off) and max_num_seqs ' +
      '(256 vs 16, the last inferred, not read).\n' +
      '- 10.0.0.14:8000: running pinned at 16 with a queue (a config-bound queue; TTFT breaches while it lasts); fix: restore max_num_seqs to its peers\' value.\n' +
      '- truth.json `whatIf` says, for each differing replica, whether its setting mattered (a counterfactual run with the team default on the same requests).',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, (i) => ({
        streams: [chat(6)],
        ...(i % 4 === 1 ? { maxNumBatchedTokens: 2048 } : {}),
        ...(i % 4 === 2 ? { enablePrefixCaching: false } : {}),
        ...(i % 4 === 3 ? { maxNumSeqs: 16, serverLog: false } : {}),
      })),
    incidents: (specs) =>
      specs
        .map((s, i) => ({ s, i }))
        .filter(({ s }) => s.maxNumSeqs === 16)
        .map(({ i }) => ({
          replica: i,
          pathology: 'GPU_UNDERUTILIZED',
          mechanism: 'max_num_seqs 16 caps the batch: requests queue behind a full running set while the GPU has room',
          causes: [{ start: 0, end: 2 * HOUR }],
          signal: 'queue' as const,
          min: 5,
        })),
    whatIf: (specs) => {
      const out: WhatIfSpec[] = [];
      specs.forEach((s, i) => {
        if (s.maxNumBatchedTokens !== 8192) out.push({ replica: i, label: 'max_num_batched_tokens 8192 (the peers\' value)', set: { maxNumBatchedTokens: 8192 } });
        if (!s.enablePrefixCaching) out.push({ replica: i, label: 'enable_prefix_caching True (the peers\' value)', set: { enablePrefixCaching: true } });
        if (s.maxNumSeqs !== 256) out.push({ replica: i, label: 'max_num_seqs 256 (the peers\' value)', set: { maxNumSeqs: 256 } });
      });
      return out;
    },
  },
  {
    name: 'capacity-week',
    summary: 'A week of two Llama-3.2-3B replicas on L4: daily and weekly cycle, demand growing 4 % a day; saturation about two weeks after the window',
    defaultHours: 168,
    defaultReplicas: 2,
    defaultIntervalSeconds: 600,
    story:
      'Two replicas of Llama-3.2-3B-Instruct, each on one NVIDIA L4, serve chat traffic for a week (Thursday 10:00 UTC to ' +
      'the next Thursday), exported with a 10-minute step. Demand follows a daily cycle (±50 %, peak at 15:00 UTC), drops to ' +
      '60 % on Saturdays and Sundays, and grows 4 % a day, compounding (+32 % over the week). An L4 streams the 6.4 GB of ' +
      'weights in about 27 ms, so decode steps are long and inter-token latency is what limits a replica: the ground truth ' +
      'measures the highest constant rate one replica serves with TTFT p95 ≤ 0.5 s and inter-token p95 ≤ 50 ms (≈ 2.5 req/s) ' +
      'and projects when the daily peak hour reaches it. No incident inside the window: TTFT and inter-token latency meet ' +
      'the chat targets all week and the peak hour of the last full day uses about 55 % of that capacity; at 36 ms a token ' +
      'the longest answers take more than the chat profile\'s 10 s end to end (p95 ≈ 18 s).',
    diagnosis:
      '- No incident; LATENCY_SLO_BREACH on end-to-end latency only (long answers on an L4), TTFT and inter-token latency within targets.\n' +
      '- A capacity review: peak hour at 15:00 UTC, weekend demand 60 % of weekdays, peak demand growing ≈ 4 % a day ' +
      '(the generator\'s parameter; truth.json `demand`), headroom at the peak of the last day ≈ 40 %, and saturation of the ' +
      'latency targets in about two weeks (truth.json `saturation`).\n' +
      '- CAPACITY_HEADROOM_LOW if the horizon is a month; replicas needed in 4 weeks: 3–4 at the same per-replica capacity.',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, () => ({
        gpu: GPUS.l4,
        model: MODELS['llama-3.2-3b'],
        maxNumSeqs: 128,
        maxNumBatchedTokens: 2048,
        maxModelLen: 8192,
        baseRssBytes: 2.6e9,
        streams: [
          chat(0.7, {
            rate: {
              rps: 0.7,
              diurnal: { amplitude: 0.5, periodSeconds: 24 * HOUR, phase: Math.PI / 2 - (2 * Math.PI * 5) / 24 },
              weekly: { weekendFactor: 0.6, startDayOfWeek: 3, startSecondOfDay: 10 * HOUR },
              growth: { perDay: 0.04 },
            },
          }),
        ],
      })),
    capacity: { replica: 0, targets: { ttftP95Seconds: 0.5, tbtP95Seconds: 0.05 } },
  },
  {
    name: 'quality-regression',
    summary: 'Two healthy replicas; on one, clients lower max_tokens to 256 at minute 50 (answers cut), on the other a longer system prompt arrives at minute 60',
    defaultHours: 2,
    defaultReplicas: 2,
    story:
      'Two replicas of Llama-3.1-8B-Instruct on H100 serve chat traffic well inside capacity (about 5 requests/s each), as in ' +
      'healthy-baseline: answers have a median of 180 tokens and clients send max_tokens of 512 to 2048, so about 2 % of ' +
      'answers end at their limit (finished_reason "length"). At minute 50 the clients of the second replica (10.0.0.12:8000) ' +
      'are released with max_tokens 256: from then on about three answers in ten are cut mid-sentence — nothing else changes, ' +
      'latency even improves a little. At minute 60 the first replica (10.0.0.11:8000) starts receiving a new, much longer ' +
      'system prompt (about 2,400 tokens instead of 600, on nearly every request): prompts triple in length, prefix caching ' +
      'absorbs most of it and the pool is large, so no latency or queue symptom follows.',
    diagnosis:
      '- TRUNCATION_RISE on 10.0.0.12:8000 only, from about minute 50 to the end: the share of requests finished by length goes from ' +
      'about 2 % to about 30 %, and the mean max_tokens the clients send falls from about 1,150 to 256 (the cause).\n' +
      '- LENGTH_DRIFT on 10.0.0.11:8000 only, from about minute 60 to the end: the prompt-length distribution moves (PSI well over 0.25, ' +
      'mean about three times longer) with no incident to go with it.\n' +
      '- No latency, queue or KV finding on either replica.',
    expectedWarnings: [],
    build: (p) =>
      fleet(p.replicas, (i) => {
        if (i % 2 === 1) {
          const before = chat(5);
          return { streams: [{ ...before, rate: { ...before.rate, window: { start: 0, end: 50 * MIN } } }, { ...before, name: 'chat-new-client', rate: { ...before.rate, window: { start: 50 * MIN, end: 1000 * HOUR } }, maxTokens: [256] }] };
        }
        const before = chat(5);
        return {
          streams: [
            { ...before, rate: { ...before.rate, window: { start: 0, end: 60 * MIN } } },
            { ...before, name: 'chat-long-system-prompt', rate: { ...before.rate, window: { start: 60 * MIN, end: 1000 * HOUR } }, prefix: { share: 0.95, count: 6, length: { median: 2400, sigma: 0.2 }, zipf: 1 } },
          ],
        };
      }),
  },
  ...pairScenarios(),
];

SCENARIOS.push(...NEW_SCENARIOS, ...profileJoinScenarios());

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}

export type { FaultSpec };
