// Flags shared by `vllm-tune fetch` and `vllm-tune analyze --prometheus`, and their parsing into
// FetchOptions (times, step, selector, headers from flags and environment).

import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { parseDurationSeconds } from '../duration.js';
import { parseTimeArg } from './time.js';
import { DEFAULT_DEADLINE_MS, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, parseBaseUrl } from './url.js';
import { parseByteSize } from '../limits.js';

export interface PrometheusFlags {
  prometheus?: string;
  start?: string;
  end?: string;
  step?: string;
  selector?: string;
  header?: string[];
  aggregate?: boolean;
  topk?: string;
  concurrency?: string;
  timeout?: string;
  requestTimeout?: string;
  deadline?: string;
  maxResponseSize?: string;
  retries?: string;
  allowGaps?: boolean;
}

export interface FetchOptions {
  url: string;
  /** Unix seconds (ms resolution). */
  start: number;
  end: number;
  /** Resolution of aggregated queries, and the unit of the 11,000-points chunk bound. Seconds. */
  step: number;
  /** Label matchers without braces (`namespace="prod",job="vllm"`), or '' for none. */
  selector: string;
  headers: Record<string, string>;
  aggregate: boolean;
  /** Worst replicas kept per gauge with --aggregate. */
  topk: number;
  concurrency: number;
  /** Longest wait for the next byte of an answer. */
  timeoutMs: number;
  /** Longest one attempt may take, connect to last byte. */
  requestTimeoutMs: number;
  /** Longest the whole fetch may take (retries included). */
  deadlineMs: number;
  /** Largest answer accepted (decompressed). */
  maxResponseBytes: number;
  maxAttempts: number;
  backoffMs: number;
  /** Mark a chunk that still fails after its retries as a gap (a warning) instead of failing. */
  allowGaps: boolean;
  /** Most samples one request may return (bounds memory per response). */
  maxSamplesPerRequest: number;
  /** Ask for gzip; undefined = yes except on loopback. */
  gzip?: boolean;
}

export const DEFAULT_STEP_SECONDS = 10;
export const MAX_POINTS_PER_SERIES = 11_000;

function collect(v: string, prev: string[]): string[] {
  return [...prev, v];
}

/** The flag definitions, shared so both commands parse them identically. */
export function addPrometheusOptions(cmd: Command, opts: { required?: boolean } = {}): Command {
  const urlFlag = '--prometheus <url>';
  const urlHelp = 'base URL of a Prometheus-compatible API (Prometheus, Thanos, Mimir, VictoriaMetrics): the part before /api/v1';
  if (opts.required) cmd.requiredOption(urlFlag, urlHelp);
  else cmd.option(urlFlag, urlHelp);
  return cmd
    .option('--start <time>', 'window start: RFC 3339, Unix seconds, or now-6h (default: now-1h)')
    .option('--end <time>', 'window end: RFC 3339, Unix seconds, or now (default: now)')
    .option('--step <duration>', `resolution of --aggregate queries; raw chunks hold at most ${MAX_POINTS_PER_SERIES} steps (default ${DEFAULT_STEP_SECONDS}s)`)
    .option('--selector <matchers>', 'label matchers every query is restricted to, e.g. \'{namespace="prod",model_name="llama"}\'')
    .option('--header <header>', "HTTP header sent with every request (repeatable), e.g. 'Authorization: Bearer …'; values are never printed", collect, [])
    .option('--aggregate', 'let the server aggregate over replicas (sum/avg/topk) instead of fetching every raw series')
    .option('--topk <n>', 'with --aggregate: worst replicas kept per gauge (default 3)')
    .option('--concurrency <n>', 'requests in flight at most (default 4)')
    .option('--timeout <duration>', 'longest wait for the next byte of an answer (default 60s)')
    .option('--request-timeout <duration>', 'longest one request may take, first to last byte (default 5m)')
    .option('--deadline <duration>', 'longest the whole fetch may take, retries included (default 30m)')
    .option('--max-response-size <size>', 'largest answer accepted, decompressed, e.g. 512MiB (default 256MiB)')
    .option('--retries <n>', 'retries per request on 429/502/503/504, timeouts and resets (default 4)')
    .option('--allow-gaps', 'when a chunk still fails after its retries, mark the gap in the export (a warning) instead of failing');
}

function intFlag(text: string | undefined, flag: string, dflt: number, min: number, max: number): number {
  if (text === undefined) return dflt;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)}: expected a whole number from ${min} to ${max}` });
  return n;
}

/** Parse `Name: value` header text. */
export function parseHeader(text: string, from: string): [string, string] {
  const i = text.indexOf(':');
  const name = i > 0 ? text.slice(0, i).trim() : '';
  if (!name || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
    // The text may hold a secret: quote only what precedes the colon.
    throw new InputError({ code: 'BAD_OPTION', message: `${from}: a header is 'Name: value'${name ? ` (bad name ${JSON.stringify(name.slice(0, 40))})` : ''}`, hint: "e.g. --header 'Authorization: Bearer TOKEN' or --header 'X-Scope-OrgID: tenant1'" });
  }
  return [name, text.slice(i + 1).trim()];
}

/** Headers from the environment, then flags (flags win). */
export function collectHeaders(flagHeaders: string[] = [], env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const h: Record<string, string> = {};
  const set = ([k, v]: [string, string]) => {
    for (const old of Object.keys(h)) if (old.toLowerCase() === k.toLowerCase()) delete h[old];
    h[k] = v;
  };
  const token = env.VLLM_TUNE_BEARER_TOKEN?.trim();
  if (token) set(['Authorization', `Bearer ${token}`]);
  const envHeaders = env.VLLM_TUNE_PROMETHEUS_HEADERS;
  if (envHeaders) {
    for (const line of envHeaders.split(/\r?\n/)) if (line.trim()) set(parseHeader(line, 'VLLM_TUNE_PROMETHEUS_HEADERS'));
  }
  for (const f of flagHeaders) set(parseHeader(f, '--header'));
  return h;
}

/** `{a="b", c=~"d"}` or `a="b"` → `a="b", c=~"d"` (checked for balance here; the server checks the rest). */
export function normalizeSelector(text: string | undefined): string {
  if (text === undefined) return '';
  let s = text.trim();
  if (s.startsWith('{')) {
    if (!s.endsWith('}')) throw new InputError({ code: 'BAD_OPTION', message: `--selector ${JSON.stringify(text)}: missing the closing }`, hint: 'e.g. --selector \'{namespace="prod",job="vllm"}\'' });
    s = s.slice(1, -1).trim();
  } else if (/^[A-Za-z_:][A-Za-z0-9_:]*\s*\{/.test(s)) {
    throw new InputError({ code: 'BAD_OPTION', message: `--selector ${JSON.stringify(text)}: give label matchers only, without a metric name`, hint: 'e.g. --selector \'{namespace="prod",job="vllm"}\'' });
  }
  return s.replace(/,\s*$/, '');
}

export function parsePrometheusFlags(f: PrometheusFlags, nowSeconds = Date.now() / 1000, env: NodeJS.ProcessEnv = process.env): FetchOptions {
  if (!f.prometheus) throw new InputError({ code: 'BAD_OPTION', message: '--prometheus <url> is required' });
  parseBaseUrl(f.prometheus); // a malformed URL is a usage error before any request
  const end = parseTimeArg(f.end ?? 'now', '--end', nowSeconds);
  const start = parseTimeArg(f.start ?? 'now-1h', '--start', nowSeconds);
  if (!(end > start)) throw new InputError({ code: 'BAD_OPTION', message: `--start must be before --end (got ${f.start ?? 'now-1h'} .. ${f.end ?? 'now'})` });
  const step = f.step === undefined ? DEFAULT_STEP_SECONDS : parseDurationSeconds(f.step, '--step');
  if (!(step >= 0.001)) throw new InputError({ code: 'BAD_OPTION', message: `--step ${JSON.stringify(f.step)} must be at least 1ms` });
  const ms = (text: string | undefined, flag: string, dflt: number) => {
    if (text === undefined) return dflt;
    const x = Math.round(parseDurationSeconds(text, flag) * 1000);
    if (!(x >= 1)) throw new InputError({ code: 'BAD_OPTION', message: `${flag} ${JSON.stringify(text)} must be at least 1ms` });
    return x;
  };
  return {
    url: f.prometheus,
    start,
    end,
    step,
    selector: normalizeSelector(f.selector),
    headers: collectHeaders(f.header, env),
    aggregate: f.aggregate ?? false,
    topk: intFlag(f.topk, '--topk', 3, 1, 1000),
    concurrency: intFlag(f.concurrency, '--concurrency', 4, 1, 64),
    timeoutMs: ms(f.timeout, '--timeout', DEFAULT_TIMEOUT_MS),
    requestTimeoutMs: ms(f.requestTimeout, '--request-timeout', DEFAULT_REQUEST_TIMEOUT_MS),
    deadlineMs: ms(f.deadline, '--deadline', DEFAULT_DEADLINE_MS),
    maxResponseBytes: f.maxResponseSize === undefined ? DEFAULT_MAX_RESPONSE_BYTES : parseByteSize(f.maxResponseSize, '--max-response-size'),
    maxAttempts: intFlag(f.retries, '--retries', 4, 0, 20) + 1,
    backoffMs: 500,
    allowGaps: f.allowGaps ?? false,
    maxSamplesPerRequest: 2_000_000,
  };
}
