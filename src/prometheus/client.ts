// A small HTTP client for the Prometheus HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics…):
// explicit time parameters, a bounded number of requests in flight, retries with exponential backoff
// on 429/502/503/504, timeouts and connection resets, and one-line InputErrors for everything a user
// can meet (refused, DNS, TLS, 401/403, 400 bad_data, 422, 404 on a wrong base path).
//
// Credentials (URL user:password, --header values, VLLM_TUNE_* tokens) are sent, never shown:
// `display` is the URL without credentials, and no message includes a header value.

import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.js';

export interface ClientOptions {
  /** Base URL: the part before `/api/v1` (e.g. `http://prometheus:9090`, `https://host/prometheus`). */
  url: string;
  /** Extra request headers (Authorization, X-Scope-OrgID, …). */
  headers?: Record<string, string>;
  /** Per-request timeout. Default 60 s. */
  timeoutMs?: number;
  /** Attempts per request, including the first. Default 5. */
  maxAttempts?: number;
  /** First backoff delay; doubles each retry (with jitter), capped at 10 s. Default 500 ms. */
  backoffMs?: number;
  /** Requests in flight at most. Default 4. */
  concurrency?: number;
  /** Ask for gzip-compressed answers. Default: yes, except on loopback. */
  gzip?: boolean;
}

export interface ClientStats {
  requests: number;
  retries: number;
  bytes: number;
}

/** The server's answer to one request, when it was a success. */
export interface ApiSuccess<T> {
  data: T;
  warnings: string[];
  infos: string[];
}

const RETRY_STATUS = new Set([429, 502, 503, 504]);
const RETRY_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ESOCKETTIMEDOUT', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET', 'TIMEOUT']);
const TLS_CODE_RE = /^(?:CERT_|ERR_TLS_|ERR_SSL_|EPROTO$|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|UNABLE_TO_(?:VERIFY|GET)_|HOSTNAME_MISMATCH$)/;

/** Parse and check a base URL; returns it without credentials plus the Basic auth header if any. */
export function parseBaseUrl(raw: string): { base: URL; basePath: string; display: string; basicAuth?: string } {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new InputError({ code: 'BAD_OPTION', message: `--prometheus ${JSON.stringify(redactUrlText(raw))} is not a URL`, hint: 'e.g. http://prometheus:9090 or https://thanos.example.com' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') {
    throw new InputError({ code: 'BAD_OPTION', message: `--prometheus: unsupported scheme ${u.protocol}`, hint: 'use http:// or https://' });
  }
  let basicAuth: string | undefined;
  if (u.username || u.password) {
    basicAuth = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  u.search = '';
  u.hash = '';
  // Users paste the API path or the UI path; the base is what comes before /api/v1.
  const basePath = u.pathname.replace(/\/api\/v1(?:\/.*)?$/, '').replace(/\/graph\/?$/, '').replace(/\/+$/, '');
  u.pathname = basePath || '/';
  const display = `${u.origin}${basePath}`;
  return { base: u, basePath, display, ...(basicAuth ? { basicAuth } : {}) };
}

/** Strip `user:pass@` from URL-like text before it goes into a message. */
export function redactUrlText(text: string): string {
  return text.replace(/\/\/[^/@\s]*@/g, '//');
}

class RetryableError extends Error {
  constructor(
    message: string,
    readonly final: InputError,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export class PromClient {
  readonly display: string;
  readonly stats: ClientStats = { requests: 0, retries: 0, bytes: 0 };
  private readonly base: URL;
  private readonly basePath: string;
  private readonly headers: Record<string, string>;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly backoffMs: number;
  private readonly concurrency: number;
  private active = 0;
  private readonly queue: (() => void)[] = [];
  private readonly agent: http.Agent;
  private readonly gzip: boolean;

  constructor(opts: ClientOptions) {
    const { base, basePath, display, basicAuth } = parseBaseUrl(opts.url);
    this.base = base;
    this.basePath = basePath;
    this.gzip = opts.gzip ?? !/^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(base.hostname);
    this.display = display;
    this.headers = { ...(basicAuth ? { authorization: basicAuth } : {}), ...lowerKeys(opts.headers ?? {}) };
    checkHeaders(this.headers);
    this.timeoutMs = opts.timeoutMs ?? 60_000;
    this.maxAttempts = Math.max(1, opts.maxAttempts ?? 5);
    this.backoffMs = opts.backoffMs ?? 500;
    this.concurrency = Math.max(1, opts.concurrency ?? 4);
    const Agent = base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new Agent({ keepAlive: true, maxSockets: this.concurrency });
  }

  /** Names (never values) of the headers sent, for metadata. */
  headerNames(): string[] {
    return Object.keys(this.headers).sort();
  }

  close(): void {
    this.agent.destroy();
  }

  /** GET (or POST when the query string is long) `/api/v1/<endpoint>`, retried, within the concurrency bound. */
  async api<T>(endpoint: string, params: [string, string][]): Promise<ApiSuccess<T>> {
    return this.request<T>(endpoint, params, false);
  }

  /** Like api(), but a 2xx answer is returned as its bytes, unparsed (for big matrices). */
  async apiBytes(endpoint: string, params: [string, string][]): Promise<Buffer> {
    return (await this.request<Buffer>(endpoint, params, true)).data;
  }

  private async request<T>(endpoint: string, params: [string, string][], bytes: boolean): Promise<ApiSuccess<T>> {
    await this.acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.once<T>(endpoint, params, bytes);
        } catch (e) {
          if (!(e instanceof RetryableError)) throw e;
          if (attempt >= this.maxAttempts) throw e.final;
          this.stats.retries++;
          const exp = this.backoffMs * 2 ** (attempt - 1);
          const delay = Math.min(10_000, Math.max(e.retryAfterMs ?? 0, exp * (0.75 + Math.random() * 0.5)));
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    } finally {
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.active < this.concurrency) {
      this.active++;
      return Promise.resolve();
    }
    return new Promise((r) => this.queue.push(() => r()));
  }

  private release(): void {
    const next = this.queue.shift();
    if (next) next();
    else this.active--;
  }

  private endpointUrl(endpoint: string): URL {
    const u = new URL(this.base.href);
    u.pathname = `${this.basePath}/api/v1/${endpoint}`;
    return u;
  }

  private once<T>(endpoint: string, params: [string, string][], bytes = false): Promise<ApiSuccess<T>> {
    const url = this.endpointUrl(endpoint);
    const form = new URLSearchParams(params).toString();
    const usePost = form.length > 3000;
    if (!usePost) url.search = form;
    const where = `${this.display}/api/v1/${endpoint}`;
    const lib = url.protocol === 'https:' ? https : http;
    // JSON compresses ~10×: ask for gzip over a network; on loopback it would only cost the server CPU.
    const headers: Record<string, string> = { accept: 'application/json', 'accept-encoding': this.gzip ? 'gzip' : 'identity', 'user-agent': 'vllm-tune', ...this.headers };
    if (usePost) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(form));
    }
    this.stats.requests++;
    return new Promise<ApiSuccess<T>>((resolve, reject) => {
      let settled = false;
      const done = (f: () => void) => {
        if (!settled) {
          settled = true;
          f();
        }
      };
      const req = lib.request(url, { method: usePost ? 'POST' : 'GET', headers, agent: this.agent }, (res) => {
        const parts: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          parts.push(c);
          n += c.length;
        });
        res.on('error', (err) => done(() => reject(this.networkError(err, where))));
        res.on('end', () =>
          done(() => {
            this.stats.bytes += n;
            try {
              let body = Buffer.concat(parts, n);
              if (String(res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
                try {
                  body = gunzipSync(body);
                } catch (err) {
                  throw new RetryableError('corrupt gzip body', new InputError({ code: 'PROMETHEUS_HTTP', file: this.display, message: `${where}: the gzip-compressed answer is corrupt (${(err as Error).message})` }));
                }
              }
              const status = res.statusCode ?? 0;
              if (bytes && status >= 200 && status < 300) resolve({ data: body as unknown as T, warnings: [], infos: [] });
              else resolve(this.interpret<T>(status, res.headers, body, where));
            } catch (e) {
              reject(e);
            }
          }),
        );
      });
      req.setTimeout(this.timeoutMs, () => {
        const err = Object.assign(new Error(`no answer within ${Math.round(this.timeoutMs / 1000)} s`), { code: 'TIMEOUT' });
        req.destroy(err);
      });
      req.on('error', (err) => done(() => reject(this.networkError(err, where))));
      if (usePost) req.end(form);
      else req.end();
    });
  }

  private networkError(err: Error, where: string): Error {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    const host = this.base.host;
    const unreachable = (message: string, hint: string) => new InputError({ code: 'PROMETHEUS_UNREACHABLE', file: this.display, message, hint });
    if (code === 'ECONNREFUSED') return unreachable(`connection refused by ${host}`, 'is Prometheus running, and is the port right? (the default is 9090)');
    if (code === 'ENOTFOUND') return unreachable(`DNS lookup failed: no such host ${this.base.hostname}`, 'check the host name in --prometheus');
    if (code === 'EAI_AGAIN') {
      const fin = unreachable(`DNS lookup of ${this.base.hostname} failed temporarily`, 'check the DNS resolver and the host name');
      return new RetryableError(code, fin);
    }
    if (TLS_CODE_RE.test(code) || /SSL|TLS|certificate/i.test(err.message)) {
      return unreachable(`TLS error talking to ${host}: ${err.message.split('\n')[0]}`, this.base.protocol === 'https:' ? 'check the CA (NODE_EXTRA_CA_CERTS=/path/ca.pem), the host name, and that the server speaks HTTPS on that port' : 'the server expects HTTPS: use https:// in --prometheus');
    }
    if (RETRY_CODES.has(code)) {
      const what = code === 'TIMEOUT' ? err.message : code === 'ECONNRESET' ? 'connection reset by the server' : `${code}`;
      return new RetryableError(what, unreachable(`${where}: ${what}, after ${this.maxAttempts} attempts`, 'the server may be overloaded: narrow the window or the selector, use --aggregate, or retry later'));
    }
    return unreachable(`cannot reach ${host}: ${err.message.split('\n')[0]}`, 'check --prometheus');
  }

  private interpret<T>(status: number, headers: http.IncomingHttpHeaders, body: Buffer, where: string): ApiSuccess<T> {
    const text = () => body.toString('utf8', 0, Math.min(body.length, 300)).replace(/\s+/g, ' ').trim();
    let json: { status?: string; data?: T; errorType?: string; error?: string; warnings?: string[]; infos?: string[] } | undefined;
    const ctype = String(headers['content-type'] ?? '');
    if (ctype.includes('json') || body[0] === 0x7b) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    const http = (message: string, hint?: string) => new InputError({ code: 'PROMETHEUS_HTTP', file: this.display, message, ...(hint ? { hint } : {}) });
    const serverSays = json?.error ? `${json.errorType ? `${json.errorType}: ` : ''}${json.error}` : text() || '(empty body)';
    if (status >= 200 && status < 300) {
      if (!json || typeof json !== 'object') throw http(`${where} answered HTTP ${status} but not with JSON (${JSON.stringify(text().slice(0, 80))})`, 'is this a Prometheus-compatible API? the base URL is the part before /api/v1');
      if (json.status !== 'success') throw http(`${where}: Prometheus answered an error: ${serverSays}`);
      return { data: json.data as T, warnings: json.warnings ?? [], infos: json.infos ?? [] };
    }
    if (RETRY_STATUS.has(status)) {
      const ra = Number(headers['retry-after']);
      const fin = http(`${where} answered HTTP ${status} (${serverSays.slice(0, 160)}) after ${this.maxAttempts} attempts`, 'the server is overloaded or restarting: narrow the window or the selector, use --aggregate, or retry later');
      throw new RetryableError(`HTTP ${status}`, fin, Number.isFinite(ra) && ra > 0 ? Math.min(ra, 10) * 1000 : undefined);
    }
    if (status === 401 || status === 403) {
      throw http(`${where} answered HTTP ${status} (${status === 401 ? 'authentication required' : 'forbidden'})`, "pass --header 'Authorization: Bearer …' or set VLLM_TUNE_BEARER_TOKEN / VLLM_TUNE_PROMETHEUS_HEADERS (see docs/prometheus.md)");
    }
    if (status === 404) {
      throw http(`${where} answered HTTP 404 (${JSON.stringify(text().slice(0, 80))}): no Prometheus API at this path`, `the base URL is the part before /api/v1 (e.g. http://host:9090 or https://host/prometheus); you gave ${this.display}`);
    }
    if (status === 400 || status === 422) {
      const kind = status === 422 ? 'could not execute the query' : 'rejected the query';
      throw http(`Prometheus ${kind} (HTTP ${status}): ${serverSays}`, status === 422 ? 'the query hit a server limit or failed: narrow the window or the selector, or use --aggregate' : 'check --selector (PromQL label matchers, e.g. {namespace="prod",job="vllm"}) and the window');
    }
    throw http(`${where} answered HTTP ${status}: ${serverSays.slice(0, 200)}`);
  }
}

/**
 * Headers Node would refuse to send (a line break or another control character in a value, a bad
 * name): a usage error before any request. The value is never quoted — it may be a secret.
 */
export function checkHeaders(headers: Record<string, string>): void {
  for (const [name, value] of Object.entries(headers)) {
    try {
      http.validateHeaderName(name);
      http.validateHeaderValue(name, value);
    } catch {
      throw new InputError({
        code: 'BAD_OPTION',
        message: `header ${JSON.stringify(name.slice(0, 60))}: the value holds a line break or another character HTTP does not allow`,
        hint: 'check --header, VLLM_TUNE_PROMETHEUS_HEADERS and VLLM_TUNE_BEARER_TOKEN (one header per line, no control characters)',
      });
    }
  }
}

function lowerKeys(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  for (const [k, v] of Object.entries(h)) out[k.toLowerCase()] = v;
  return out;
}
