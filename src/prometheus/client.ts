// A small HTTP client for the Prometheus HTTP API (Prometheus, Thanos, Mimir, VictoriaMetrics…):
// explicit time parameters, a bounded number of requests in flight, retries with exponential backoff
// on 429/502/503/504, timeouts and connection resets, and one-line InputErrors for everything a user
// can meet (refused, DNS, TLS, 401/403, 400 bad_data, 422, 404 on a wrong base path).
//
// Credentials (URL user:password, --header values, VLLM_TUNE_* tokens) are sent, never shown:
// `display` is the URL without credentials, and every value is registered with src/redact.ts, so
// server text quoted in an error or a warning (a server may echo the request headers) is redacted.
//
// Time and size are bounded: `timeoutMs` is the longest wait for the next byte, `requestTimeoutMs`
// the longest one attempt may take from connect to last byte (a server that drips one byte every
// half second is cut off), `deadlineMs` bounds the whole client from its first request (in-flight
// requests are aborted, retries stop), and `maxResponseBytes` bounds an answer, after gzip
// decompression too (a gzip bomb stops at the limit).

import http from 'node:http';
import https from 'node:https';
import { gunzipSync } from 'node:zlib';
import { InputError } from '../errors.js';
import { parseBaseUrl, DEFAULT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_DEADLINE_MS, DEFAULT_MAX_RESPONSE_BYTES } from './url.js';
import { redactSecrets, registerSecret } from '../redact.js';

export interface ClientOptions {
  /** Base URL: the part before `/api/v1` (e.g. `http://prometheus:9090`, `https://host/prometheus`). */
  url: string;
  /** Extra request headers (Authorization, X-Scope-OrgID, …). */
  headers?: Record<string, string>;
  /** Longest wait for the next byte of an answer (idle timeout). Default 60 s. */
  timeoutMs?: number;
  /** Longest one attempt may take, connect to last byte. Default 5 min. */
  requestTimeoutMs?: number;
  /** Longest the client works in total, from its first request (retries included). Default 30 min. */
  deadlineMs?: number;
  /** Largest answer accepted, decompressed. Default 256 MiB. */
  maxResponseBytes?: number;
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

export { parseBaseUrl, redactUrlText, DEFAULT_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS, DEFAULT_DEADLINE_MS, DEFAULT_MAX_RESPONSE_BYTES } from './url.js';

/** `1.5 MiB`-style size for messages. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let x = n;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${Number.isInteger(x) ? x : x.toFixed(1)} ${units[i]}`;
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
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
  private readonly requestTimeoutMs: number;
  private readonly deadlineMs: number;
  private readonly maxResponseBytes: number;
  /** Set at the first request; when it passes, in-flight requests are aborted and no retry starts. */
  private deadlineAt = Infinity;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private expired = false;
  private readonly inFlight = new Set<http.ClientRequest>();
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
    for (const v of Object.values(this.headers)) registerSecret(v);
    const raw = safeUrl(opts.url);
    if (raw?.password) registerSecret(safeDecode(raw.password));
    if (raw?.username && raw.password) registerSecret(`${safeDecode(raw.username)}:${safeDecode(raw.password)}`);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.deadlineMs = opts.deadlineMs ?? DEFAULT_DEADLINE_MS;
    this.maxResponseBytes = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
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
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.agent.destroy();
  }

  private startDeadline(): void {
    if (this.deadlineAt !== Infinity) return;
    this.deadlineAt = Date.now() + this.deadlineMs;
    this.deadlineTimer = setTimeout(() => {
      this.expired = true;
      for (const r of this.inFlight) r.destroy(Object.assign(new Error('overall deadline'), { code: 'DEADLINE' }));
    }, this.deadlineMs);
    this.deadlineTimer.unref();
  }

  private deadlineError(where: string): InputError {
    return new InputError({
      code: 'PROMETHEUS_TIMEOUT',
      file: this.display,
      message: `${where}: gave up after the overall deadline of ${seconds(this.deadlineMs)}`,
      hint: 'raise --deadline, or narrow the window or the selector, or use --aggregate',
    });
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
    this.startDeadline();
    const where = `${this.display}/api/v1/${endpoint}`;
    await this.acquire();
    try {
      for (let attempt = 1; ; attempt++) {
        if (this.expired || Date.now() >= this.deadlineAt) throw this.deadlineError(where);
        try {
          return await this.once<T>(endpoint, params, bytes);
        } catch (e) {
          if (this.expired) throw this.deadlineError(where);
          if (!(e instanceof RetryableError)) throw e;
          if (attempt >= this.maxAttempts) throw e.final;
          this.stats.retries++;
          const exp = this.backoffMs * 2 ** (attempt - 1);
          const delay = Math.min(10_000, Math.max(e.retryAfterMs ?? 0, exp * (0.75 + Math.random() * 0.5)));
          const left = this.deadlineAt - Date.now();
          if (delay >= left) throw this.deadlineError(where);
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
    const max = this.maxResponseBytes;
    const tooLarge = () =>
      new InputError({
        code: 'LIMIT_EXCEEDED',
        file: this.display,
        message: `${where}: the answer is larger than ${formatBytes(max)} (--max-response-size)`,
        hint: 'narrow the window or the selector, use --aggregate, or raise --max-response-size',
      });
    return new Promise<ApiSuccess<T>>((resolve, reject) => {
      let settled = false;
      let attemptTimer: NodeJS.Timeout | undefined;
      const done = (f: () => void) => {
        if (!settled) {
          settled = true;
          if (attemptTimer) clearTimeout(attemptTimer);
          this.inFlight.delete(req);
          f();
        }
      };
      const req = lib.request(url, { method: usePost ? 'POST' : 'GET', headers, agent: this.agent }, (res) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > max) {
          done(() => reject(tooLarge()));
          req.destroy();
          return;
        }
        const parts: Buffer[] = [];
        let n = 0;
        res.on('data', (c: Buffer) => {
          n += c.length;
          if (n > max) {
            done(() => reject(tooLarge()));
            req.destroy();
            return;
          }
          parts.push(c);
        });
        res.on('error', (err) => done(() => reject(this.networkError(err, where))));
        res.on('end', () =>
          done(() => {
            this.stats.bytes += n;
            try {
              let body = Buffer.concat(parts, n);
              if (String(res.headers['content-encoding'] ?? '').toLowerCase() === 'gzip') {
                try {
                  body = gunzipSync(body, { maxOutputLength: max });
                } catch (err) {
                  if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) throw tooLarge();
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
      this.inFlight.add(req);
      req.setTimeout(this.timeoutMs, () => {
        const err = Object.assign(new Error(`no answer within ${seconds(this.timeoutMs)}`), { code: 'TIMEOUT' });
        req.destroy(err);
      });
      // The whole attempt, connect to last byte: an idle timeout alone never fires on a slow drip.
      attemptTimer = setTimeout(() => {
        req.destroy(Object.assign(new Error(`the answer took longer than ${seconds(this.requestTimeoutMs)} (--request-timeout)`), { code: 'TIMEOUT' }));
      }, this.requestTimeoutMs);
      req.on('error', (err) => done(() => reject((err as NodeJS.ErrnoException).code === 'DEADLINE' ? this.deadlineError(where) : this.networkError(err, where))));
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
      return unreachable(`TLS error talking to ${host}: ${redactSecrets(err.message.split('\n')[0])}`, this.base.protocol === 'https:' ? 'check the CA (NODE_EXTRA_CA_CERTS=/path/ca.pem), the host name, and that the server speaks HTTPS on that port' : 'the server expects HTTPS: use https:// in --prometheus');
    }
    if (RETRY_CODES.has(code)) {
      const what = code === 'TIMEOUT' ? err.message : code === 'ECONNRESET' ? 'connection reset by the server' : `${code}`;
      return new RetryableError(what, unreachable(`${where}: ${what}, after ${this.maxAttempts} attempts`, 'the server may be overloaded: narrow the window or the selector, use --aggregate, or retry later'));
    }
    return unreachable(`cannot reach ${host}: ${redactSecrets(err.message.split('\n')[0])}`, 'check --prometheus');
  }

  private interpret<T>(status: number, headers: http.IncomingHttpHeaders, body: Buffer, where: string): ApiSuccess<T> {
    // Server text is quoted in messages: redacted (a server may echo our headers), one line.
    const text = () => redactSecrets(body.toString('utf8', 0, Math.min(body.length, 300)).replace(/\s+/g, ' ').trim());
    let json: { status?: string; data?: T; errorType?: string; error?: string; warnings?: unknown; infos?: unknown } | undefined;
    const ctype = String(headers['content-type'] ?? '');
    if (ctype.includes('json') || body[0] === 0x7b) {
      try {
        json = JSON.parse(body.toString('utf8'));
      } catch {
        json = undefined;
      }
    }
    const http = (message: string, hint?: string) => new InputError({ code: 'PROMETHEUS_HTTP', file: this.display, message, ...(hint ? { hint } : {}) });
    const serverSays = redactSecrets(
      json && typeof json === 'object' && json.error ? `${json.errorType ? `${String(json.errorType)}: ` : ''}${String(json.error)}`.replace(/\s+/g, ' ').slice(0, 300) : text() || '(empty body)',
    );
    if (status >= 200 && status < 300) {
      if (!json || typeof json !== 'object' || Array.isArray(json)) throw http(`${where} answered HTTP ${status} but not with JSON (${JSON.stringify(text().slice(0, 80))})`, 'is this a Prometheus-compatible API? the base URL is the part before /api/v1');
      if (json.status !== 'success') throw http(`${where}: Prometheus answered an error: ${serverSays}`);
      if (json.data === null || typeof json.data !== 'object') {
        throw http(`${where} answered "status":"success" without a "data" object (${json.data === undefined ? 'none' : JSON.stringify(json.data)})`, 'is this a Prometheus-compatible API? the base URL is the part before /api/v1');
      }
      return { data: json.data as T, warnings: serverStrings(json.warnings), infos: serverStrings(json.infos) };
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

/** `warnings`/`infos` of an answer as redacted strings, whatever shape the server sent. */
function serverStrings(x: unknown): string[] {
  if (x === undefined || x === null) return [];
  const list = Array.isArray(x) ? x : [x];
  return list.map((w) => redactSecrets(typeof w === 'string' ? w : JSON.stringify(w) ?? String(w)).slice(0, 2000));
}

function safeUrl(raw: string): URL | undefined {
  try {
    return new URL(raw.trim());
  } catch {
    return undefined;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
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
