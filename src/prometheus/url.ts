// The Prometheus base URL and the client's defaults: what the command-line options need, without the
// HTTP client (node:http/https cost ~35 ms of every start-up otherwise).

import { InputError } from '../errors.js';
import { redactUrlUserInfo } from '../redact.js';

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
export const redactUrlText = redactUrlUserInfo;

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 300_000;
export const DEFAULT_DEADLINE_MS = 1_800_000;
/**
 * 256 MiB: a query_range answer of the 2,000,000 samples one request may hold (fetch.ts) is about
 * 60–80 MB of JSON, so this is 3× headroom; a larger answer is not a Prometheus answer we asked for.
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;

