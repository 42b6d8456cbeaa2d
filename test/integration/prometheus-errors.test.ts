// Every error a user can meet talking to a Prometheus API, each a one-line InputError with a code and
// exit code 2: a closed port, DNS failure, TLS, 401, 404 on a wrong base path (plain-text body), 400
// bad_data from a bad selector (the server's words quoted), 422, an empty window; retries on
// 503/429/resets/timeouts; a chunk that keeps failing never yields a silently incomplete export; and
// a token never appears in any output.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promises as fsp, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { InputError } from '../../src/errors.js';
import { ingest } from '../../src/ingest/index.js';
import { fetchSeries, fetchToPath, parsePrometheusFlags, type FetchOptions, type PrometheusFlags } from '../../src/prometheus/index.js';
import { generateOpenMetrics } from './prometheus/generate.js';
import { FIXTURE, FIXTURE_END, FIXTURE_START } from './prometheus/fixture.js';
import { closedPort, havePrometheus, startPrometheus, type PromServer } from './prometheus/server.js';
import { startProxy, type Proxy } from './prometheus/proxy.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../bin/vllm-tune');
const execP = promisify(execFile);
const TOKEN = 's3cr3t-T0KEN-do-not-print';

let server: PromServer;
let tmp: string;
const proxies: Proxy[] = [];

function opts(url: string, extra: PrometheusFlags = {}, env: NodeJS.ProcessEnv = {}): FetchOptions {
  const o = parsePrometheusFlags({ prometheus: url, start: String(FIXTURE_START), end: String(FIXTURE_END), ...extra }, FIXTURE_END + 60, env);
  o.backoffMs = 5; // fast retries in tests
  return o;
}

async function failure(p: Promise<unknown>): Promise<InputError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(InputError);
  return e as InputError;
}

async function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await execP(process.execPath, [cli, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

async function proxy(decide: Parameters<typeof startProxy>[1]): Promise<Proxy> {
  const p = await startProxy(server.url, decide);
  proxies.push(p);
  return p;
}

const isQuery = (url: string) => /\/api\/v1\/query/.test(url);

describe('errors without any server', () => {
  it('a closed port: PROMETHEUS_UNREACHABLE, connection refused, exit 2', async () => {
    const port = await closedPort();
    const e = await failure(fetchSeries(opts(`http://127.0.0.1:${port}`)));
    expect(e.code).toBe('PROMETHEUS_UNREACHABLE');
    expect(e.oneLine()).toBe(`http://127.0.0.1:${port}: connection refused by 127.0.0.1:${port} [PROMETHEUS_UNREACHABLE] — is Prometheus running, and is the port right? (the default is 9090)`);
    const r = await runCli(['fetch', '--prometheus', `http://127.0.0.1:${port}`, '--start', 'now-1h', '--out', path.join(os.tmpdir(), 'never-written.json')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain('connection refused');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('a DNS failure (.invalid never resolves): PROMETHEUS_UNREACHABLE naming the host', async () => {
    const e = await failure(fetchSeries(opts('http://prometheus.invalid:9090', { retries: '0' })));
    expect(e.code).toBe('PROMETHEUS_UNREACHABLE');
    expect(e.message).toMatch(/^DNS lookup (failed: no such host|of) prometheus\.invalid/);
  });

  it('a malformed URL or time is BAD_OPTION before any request', () => {
    expect(() => opts('ftp://x')).toThrow(/unsupported scheme ftp:/);
    expect(() => parsePrometheusFlags({ prometheus: 'http://x', start: 'now', end: 'now-1h' }, 1e9, {})).toThrow(/--start must be before --end/);
    expect(() => parsePrometheusFlags({ prometheus: 'http://x', selector: 'vllm:foo{a="b"}' }, 1e9, {})).toThrow(/without a metric name/);
  });
});

describe.skipIf(!havePrometheus())('errors and retries against a live Prometheus', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-fetch-err-'));
    server = await startPrometheus({ omText: generateOpenMetrics({ ...FIXTURE, durationSeconds: 1800 }).text });
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a wrong base path: 404 with a plain-text body, PROMETHEUS_HTTP with the fix', async () => {
    const e = await failure(fetchSeries(opts(`${server.url}/prometheus`)));
    expect(e.code).toBe('PROMETHEUS_HTTP');
    expect(e.message).toBe(`${server.url}/prometheus/api/v1/series answered HTTP 404 ("404 page not found"): no Prometheus API at this path`);
    expect(e.hint).toMatch(/the base URL is the part before \/api\/v1/);
    // A pasted API or UI URL is reduced to its base and works.
    const ok = await fetchSeries(opts(`${server.url}/api/v1/query_range?query=up`, { end: String(FIXTURE_START + 1800) }));
    expect(ok.meta.series).toBe(34);
  });

  it('a bad selector: 400 bad_data, the server error quoted', async () => {
    const e = await failure(fetchSeries(opts(server.url, { selector: '{instance=~"(" }' })));
    expect(e.code).toBe('PROMETHEUS_HTTP');
    expect(e.message).toMatch(/^Prometheus rejected the query \(HTTP 400\): bad_data: invalid parameter "match\[\]": .*error parsing regexp: missing closing \)/);
    const r = await runCli(['fetch', '--prometheus', server.url, '--start', String(FIXTURE_START), '--end', String(FIXTURE_END), '--selector', '{job=}', '--out', path.join(tmp, 'x.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/rejected the query \(HTTP 400\): bad_data: invalid parameter "match\[\]": .*parse error/);
  });

  it('an empty window: NO_DATA (absent, not zero), nothing written', async () => {
    const out = path.join(tmp, 'empty.json');
    const e = await failure(fetchToPath(opts(server.url, { start: '2020-01-01T00:00:00Z', end: '2020-01-01T06:00:00Z' }), out));
    expect(e.code).toBe('NO_DATA');
    expect(e.message).toBe('no vLLM, DCGM or process series between 2020-01-01T00:00:00Z .. 2020-01-01T06:00:00Z');
    expect(readdirSync(tmp).filter((f) => f.startsWith('empty'))).toEqual([]);
  });

  it('401 without a token; with --header or VLLM_TUNE_BEARER_TOKEN it works, and the token is never printed or written', async () => {
    const p = await proxy((req) => (req.headers.authorization === `Bearer ${TOKEN}` ? 'forward' : { status: 401, body: 'Unauthorized\n', headers: { 'content-type': 'text/plain' } }));
    const out = path.join(tmp, 'auth.json');
    const no = await runCli(['fetch', '--prometheus', p.url, '--start', String(FIXTURE_START), '--end', String(FIXTURE_START + 1800), '--out', out]);
    expect(no.code, no.stderr).toBe(2);
    expect(no.stderr).toBe(`vllm-tune: ${p.url}: ${p.url}/api/v1/series answered HTTP 401 (authentication required) [PROMETHEUS_HTTP] — pass --header 'Authorization: Bearer …' or set VLLM_TUNE_BEARER_TOKEN / VLLM_TUNE_PROMETHEUS_HEADERS (see docs/prometheus.md)\n`);

    const viaFlag = await runCli(['fetch', '--prometheus', p.url, '--start', String(FIXTURE_START), '--end', String(FIXTURE_START + 1800), '--header', `Authorization: Bearer ${TOKEN}`, '--out', out]);
    expect(viaFlag.code, viaFlag.stderr).toBe(0);
    const viaEnv = await runCli(['fetch', '--prometheus', p.url, '--start', String(FIXTURE_START), '--end', String(FIXTURE_START + 1800), '--out', `${out}2`], { VLLM_TUNE_BEARER_TOKEN: TOKEN });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    // A wrong token in a header: the error shows neither token.
    const wrong = await runCli(['fetch', '--prometheus', p.url, '--start', 'now-1h', '--header', 'Authorization: Bearer wrong-one-xyz', '--out', `${out}3`], { VLLM_TUNE_BEARER_TOKEN: TOKEN });
    expect(wrong.code, wrong.stderr).toBe(2);
    // Credentials in the URL are sent as Basic auth and never shown either.
    const basic = await runCli(['fetch', '--prometheus', p.url.replace('//', `//admin:${TOKEN}@`), '--start', 'now-1h', '--out', `${out}4`]);
    expect(basic.code, basic.stderr).toBe(2);
    expect(p.requests.some((r) => r.headers.authorization === `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`)).toBe(true);

    const texts = [no, viaFlag, viaEnv, wrong, basic].flatMap((r) => [r.stdout, r.stderr]);
    for (const f of readdirSync(tmp)) texts.push(readFileSync(path.join(tmp, f), 'utf8'));
    expect(texts.join('\n')).toContain('"authorization"'); // the header NAME is recorded
    for (const t of texts) {
      expect(t).not.toContain(TOKEN);
      expect(t).not.toContain('wrong-one-xyz');
      expect(t).not.toContain(Buffer.from(`admin:${TOKEN}`).toString('base64'));
    }
    const side = JSON.parse(readFileSync(`${out}.meta.json`, 'utf8'));
    expect(side.headers).toEqual(['authorization']);
    expect(side.source).toBe(p.url);
  });

  it('503 then 200 (and a reset, and 429): retried with backoff, the export is complete', async () => {
    // The first attempt of every query fails: 503, a connection reset or 429 in turn; the second is forwarded.
    const seen = new Map<string, number>();
    let k = 0;
    const p = await proxy((req) => {
      if (!isQuery(req.url)) return 'forward';
      const a = (seen.get(req.url) ?? 0) + 1;
      seen.set(req.url, a);
      if (a > 1) return 'forward';
      const kind = k++ % 3;
      if (kind === 0) return { status: 503, body: 'service unavailable' };
      if (kind === 1) return 'reset';
      return { status: 429, body: '{"status":"error","errorType":"too_many_requests","error":"slow down"}', headers: { 'retry-after': '0' } };
    });
    const direct = await fetchSeries(opts(server.url, { end: String(FIXTURE_START + 1800) }));
    const r = await fetchSeries(opts(p.url, { end: String(FIXTURE_START + 1800) }));
    expect(r.meta.retries).toBe(seen.size); // 11 metric names, one query each, each retried once
    expect(seen.size).toBe(11);
    expect(r.meta.gaps).toEqual([]);
    expect(r.meta.samples).toBe(direct.meta.samples);
    const a = await ingest({ inputs: [], series: direct.inputs });
    const b = await ingest({ inputs: [], series: r.inputs });
    expect(b.metrics.sampleCount).toBe(a.metrics.sampleCount);
    expect(b.metrics.names()).toEqual(a.metrics.names());
  });

  it('a chunk failing after its retries fails the fetch (nothing written), or with --allow-gaps is marked and surfaces as a warning', async () => {
    const bad = (u: string) => isQuery(u) && decodeURIComponent(u).includes('vllm:num_requests_waiting');
    const p = await proxy((req) => (bad(req.url) ? { status: 503, body: 'overloaded' } : 'forward'));
    const out = path.join(tmp, 'gaps.json');
    const e = await failure(fetchToPath(opts(p.url, { retries: '2', end: String(FIXTURE_START + 1800) }), out));
    expect(e.code).toBe('PROMETHEUS_HTTP');
    expect(e.message).toMatch(/\/api\/v1\/query answered HTTP 503 \(overloaded\) after 3 attempts/);
    expect(p.requests.filter((r) => bad(r.url)).length).toBe(3);
    expect(readdirSync(tmp).filter((f) => f.startsWith('gaps'))).toEqual([]);

    const r = await fetchToPath(opts(p.url, { retries: '1', allowGaps: true, end: String(FIXTURE_START + 1800) }), out);
    expect(r.meta.gaps).toHaveLength(1);
    expect(r.meta.gaps[0]).toMatchObject({ query: '{__name__="vllm:num_requests_waiting"}', start: FIXTURE_START, end: FIXTURE_START + 1800 });
    const back = await ingest({ inputs: [out] });
    const w = back.warnings.find((x) => x.code === 'PROMETHEUS_WARNING');
    expect(w?.message).toContain('vllm-tune fetch: no data for 2026-01-01T00:00:00Z .. 2026-01-01T00:30:00Z of {__name__="vllm:num_requests_waiting"}');
    expect(back.metrics.has('vllm:num_requests_waiting')).toBe(false);
    expect(back.metrics.has('vllm:num_requests_running')).toBe(true);
    // analyze --prometheus hands the same series to ingest without the file: same warning, same data.
    const live = await fetchSeries(opts(p.url, { retries: '1', allowGaps: true, end: String(FIXTURE_START + 1800) }));
    const direct = await ingest({ inputs: [], series: live.inputs });
    const lw = direct.warnings.find((x) => x.code === 'PROMETHEUS_WARNING');
    expect({ ...lw, file: undefined }).toEqual({ ...w, file: undefined });
    expect(direct.metrics.sampleCount).toBe(back.metrics.sampleCount);
    expect(direct.metrics.names()).toEqual(back.metrics.names());
  });

  it('a server that never answers: the timeout fires, retries, then PROMETHEUS_UNREACHABLE', async () => {
    const p = await proxy((req) => (isQuery(req.url) ? 'hang' : 'forward'));
    const e = await failure(fetchSeries(opts(p.url, { retries: '1', timeout: '200ms', end: String(FIXTURE_START + 600) })));
    expect(e.code).toBe('PROMETHEUS_UNREACHABLE');
    expect(e.message).toMatch(/\/api\/v1\/query: no answer within 0.2 s, after 2 attempts$/);
  });

  it('422 (execution error) quotes the server; TLS to a plain-HTTP port is a TLS error', async () => {
    const p = await proxy((req) =>
      isQuery(req.url) ? { status: 422, body: '{"status":"error","errorType":"execution","error":"query processing would load too many samples into memory in query execution"}' } : 'forward',
    );
    const e = await failure(fetchSeries(opts(p.url, { end: String(FIXTURE_START + 600) })));
    expect(e.code).toBe('PROMETHEUS_HTTP');
    expect(e.message).toBe('Prometheus could not execute the query (HTTP 422): execution: query processing would load too many samples into memory in query execution');
    const t = await failure(fetchSeries(opts(server.url.replace('http:', 'https:'), { end: String(FIXTURE_START + 600) })));
    expect(t.code).toBe('PROMETHEUS_UNREACHABLE');
    expect(t.message).toMatch(/^TLS error talking to 127\.0\.0\.1:\d+: /);
  });
});

// Keep an unused-import check honest.
void fsp;
