// A real Prometheus on loopback behind a proxy that misbehaves where no real Prometheus would, the way
// a broken load balancer, a hostile endpoint or an unlucky network does (issue 11 §1, §4, §6):
// dripping one byte at a time, streaming a body without end, a gzip bomb, echoing our request
// headers (tokens, X-Scope-OrgID) in error bodies and warnings, "data": null, non-array warnings.
// Discovery goes to the real server; the proxy misbehaves on the data queries (or where a case says).
// Each must end in a one-line exit-2 error naming the URL without credentials, within its deadline,
// and no secret may reach stderr or any file written.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import type http from 'node:http';
import { generateOpenMetrics } from './prometheus/generate.js';
import { FIXTURE, FIXTURE_START } from './prometheus/fixture.js';
import { havePrometheus, startPrometheus, type PromServer } from './prometheus/server.js';
import { startProxy, type Proxy, type ProxyAction, type RecordedRequest } from './prometheus/proxy.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const cli = path.resolve(here, '../../bin/vllm-tune');
const TOKEN = 'tok-9f8e7d6c5b4a-do-not-print';
const ORG = 'tenant-secret-42';
const PASSWORD = 'hunter2-pass-word';

let server: PromServer;
let tmp: string;
const proxies: Proxy[] = [];

function runCli(args: string[], env: NodeJS.ProcessEnv = {}, killAfterMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [cli, ...args], { env: { ...process.env, VLLM_TUNE_DEBUG: '', ...env }, timeout: killAfterMs, killSignal: 'SIGKILL' }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number | string }).code as number | null) ?? null : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr, ms: Date.now() - t0 });
    });
  });
}

async function proxy(decide: (req: RecordedRequest, n: number) => ProxyAction): Promise<Proxy> {
  const p = await startProxy(server.url, decide);
  proxies.push(p);
  return p;
}

const isData = (url: string) => /\/api\/v1\/query(_range)?\b/.test(url);
const window = ['--start', String(FIXTURE_START), '--end', String(FIXTURE_START + 1800)];
/** Our URL with credentials in it, as a user might paste it. */
const withCreds = (url: string) => url.replace('http://', `http://admin:${PASSWORD}@`);
const secretHeaders = ['--header', `Authorization: Bearer ${TOKEN}`, '--header', `X-Scope-OrgID: ${ORG}`];

/** Every file under dir, its text. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir)) {
    const p = path.join(dir, e);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(readFileSync(p, 'utf8'));
  }
  return out;
}

function expectNoSecrets(...texts: string[]): void {
  for (const t of texts) for (const s of [TOKEN, ORG, PASSWORD, Buffer.from(`admin:${PASSWORD}`).toString('base64')]) expect(t).not.toContain(s);
}

/** A response that writes one byte every `everyMs` until the client goes away. */
function drip(everyMs: number): ProxyAction {
  return {
    custom: (_req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":{"resultType":"matrix","result":[');
      const t = setInterval(() => res.write(' '), everyMs);
      res.on('close', () => clearInterval(t));
    },
  };
}

describe.skipIf(!havePrometheus())('a misbehaving server in front of a real Prometheus', () => {
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-hostile-'));
    server = await startPrometheus({ omText: generateOpenMetrics({ ...FIXTURE, durationSeconds: 1800 }).text });
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.close()));
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a drip of one byte every 200 ms: cut off by --request-timeout, exit 2 naming the URL without the password', async () => {
    const p = await proxy((req) => (isData(req.url) ? drip(200) : 'forward'));
    const r = await runCli(['fetch', '--prometheus', withCreds(p.url), ...window, '--request-timeout', '1.5s', '--retries', '1', '--out', path.join(tmp, 'drip.json')]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^vllm-tune: ${p.url.replace(/[.]/g, '\\.')}: ${p.url.replace(/[.]/g, '\\.')}/api/v1/query(_range)?: the answer took longer than 1\\.5 s \\(--request-timeout\\), after 2 attempts \\[PROMETHEUS_UNREACHABLE\\]`));
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expectNoSecrets(r.stderr);
    expect(r.ms).toBeLessThan(45_000); // 2 × 1.5 s plus backoff; before the fix it never ended
    expect(readdirSync(tmp).filter((f) => f.startsWith('drip'))).toEqual([]);
  });

  it('the overall --deadline ends analyze --prometheus while every request still looks alive', async () => {
    const p = await proxy((req) => (isData(req.url) ? drip(200) : 'forward'));
    const r = await runCli(['analyze', '--prometheus', p.url, ...window, '--deadline', '2s', '--out', path.join(tmp, 'never'), '-q']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`gave up after the overall deadline of 2 s [PROMETHEUS_TIMEOUT]`);
    expect(r.ms).toBeLessThan(45_000);
  });

  it('an endless body and a gzip bomb stop at --max-response-size (LIMIT_EXCEEDED), declared or not', async () => {
    const endless: ProxyAction = {
      custom: (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        const pump = () => {
          while (!res.destroyed && res.write(chunk));
          if (!res.destroyed) res.once('drain', pump);
        };
        pump();
      },
    };
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024, 0x20)); // 64 MiB of spaces in ~64 KiB
    const cases: [string, ProxyAction][] = [
      ['endless', endless],
      ['declared', { status: 200, body: Buffer.alloc(3 * 1024 * 1024, 0x20) }],
      ['bomb', { status: 200, body: bomb, headers: { 'content-encoding': 'gzip' } }],
    ];
    for (const [name, action] of cases) {
      const p = await proxy((req) => (isData(req.url) ? action : 'forward'));
      const r = await runCli(['fetch', '--prometheus', p.url, ...window, '--max-response-size', '1MiB', '--out', path.join(tmp, `${name}.json`)]);
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr, name).toMatch(/the answer is larger than 1 MiB \(--max-response-size\) \[LIMIT_EXCEEDED\]/);
      expect(r.ms, name).toBeLessThan(45_000);
    }
  });

  it('a server echoing our headers in errors and warnings: no token, org id or password anywhere', async () => {
    const echo = (req: http.IncomingMessage) => `seen authorization=${req.headers.authorization} x-scope-orgid=${req.headers['x-scope-orgid']}`;
    // 1) an error body (422 JSON) quoting the headers
    const p1 = await proxy((req) => (isData(req.url) ? { custom: (r, res) => (res.writeHead(422, { 'content-type': 'application/json' }), res.end(JSON.stringify({ status: 'error', errorType: 'execution', error: echo(r) }))) } : 'forward'));
    const r1 = await runCli(['fetch', '--prometheus', withCreds(p1.url), ...window, ...secretHeaders, '--out', path.join(tmp, 'echo1.json')]);
    expect(r1.code, r1.stderr).toBe(2);
    expect(r1.stderr).toContain('seen authorization=<redacted> x-scope-orgid=<redacted>');
    expectNoSecrets(r1.stderr, r1.stdout);
    // 2) a plain-text 503 that stays 503 (retried, then quoted)
    const p2 = await proxy((req) => (isData(req.url) ? { custom: (r, res) => (res.writeHead(503, { 'content-type': 'text/plain' }), res.end(echo(r))) } : 'forward'));
    const r2 = await runCli(['fetch', '--prometheus', p2.url, ...window, '--retries', '1', '--out', path.join(tmp, 'echo2.json')], { VLLM_TUNE_BEARER_TOKEN: TOKEN, VLLM_TUNE_PROMETHEUS_HEADERS: `X-Scope-OrgID: ${ORG}` });
    expect(r2.code, r2.stderr).toBe(2);
    expect(r2.stderr).toMatch(/HTTP 503 \(seen authorization=<redacted>/);
    expectNoSecrets(r2.stderr, r2.stdout);
    // 3) a success whose warnings echo the headers: the export, the sidecar and stderr stay clean
    const out = path.join(tmp, 'echo3');
    const p3 = await proxy((req) => {
      if (!isData(req.url)) return 'forward';
      return {
        custom: (r, res) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'success', data: { resultType: 'matrix', result: [{ metric: { __name__: 'vllm:num_requests_running', instance: 'x:1' }, values: [[FIXTURE_START, '1'], [FIXTURE_START + 10, '2']] }] }, warnings: [echo(r)] }));
        },
      };
    });
    const r3 = await runCli(['fetch', '--prometheus', withCreds(p3.url), ...window, ...secretHeaders, '--out', `${out}/`]);
    expect(r3.code, r3.stderr).toBe(0);
    expect(r3.stderr).toContain('seen authorization=<redacted>');
    expectNoSecrets(r3.stderr, r3.stdout, ...filesUnder(out));
    // and the same through analyze --prometheus: the report files are clean too
    const rep = path.join(tmp, 'echo-report');
    const r4 = await runCli(['analyze', '--prometheus', withCreds(p3.url), ...window, ...secretHeaders, '--out', rep, '--json', '-q']);
    expect(r4.code, r4.stderr).toBe(0);
    expectNoSecrets(r4.stderr, r4.stdout, ...filesUnder(rep));
  });

  it('"data": null and warnings that are not an array: exit 2 or a warning, never an internal error', async () => {
    const discovery = (body: object): ProxyAction => ({ status: 200, body: JSON.stringify(body) });
    const nullData = await proxy((req) => (/\/api\/v1\/(series|label)/.test(req.url) ? discovery({ status: 'success', data: null }) : 'forward'));
    const a = await runCli(['fetch', '--prometheus', nullData.url, ...window, '--out', path.join(tmp, 'null.json')]);
    expect(a.code, a.stderr).toBe(2);
    expect(a.stderr).toMatch(/answered "status":"success" without a "data" object \(null\) \[PROMETHEUS_HTTP\]/);

    const nullMatrix = await proxy((req) => (isData(req.url) ? discovery({ status: 'success', data: null }) : 'forward'));
    const b = await runCli(['fetch', '--prometheus', nullMatrix.url, ...window, '--out', path.join(tmp, 'nullm.json')]);
    expect(b.code, b.stderr).toBe(2);
    expect(b.stderr).not.toContain('internal error');

    for (const warnings of ['a single string', { an: 'object' }, [1, null, 'x']]) {
      const w = await proxy((req, n) => {
        if (!/\/api\/v1\/series/.test(req.url)) return 'forward';
        void n;
        return {
          custom: (_r, res) => {
            // the real answer, with odd warnings added
            const up = `${server.url}${req.url}`;
            fetch(up).then(async (x) => {
              const j = (await x.json()) as Record<string, unknown>;
              res.writeHead(200, { 'content-type': 'application/json' });
              res.end(JSON.stringify({ ...j, warnings }));
            });
          },
        };
      });
      const c = await runCli(['fetch', '--prometheus', w.url, ...window, '--out', path.join(tmp, 'warn.json')]);
      expect(c.code, `${JSON.stringify(warnings)}: ${c.stderr}`).toBe(0);
      expect(c.stderr).toContain('vllm-tune: warning: ');
    }
  });
});
