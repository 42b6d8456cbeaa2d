// A tiny HTTP server on 127.0.0.1 in front of the real Prometheus, for the cases a bare Prometheus
// cannot show: authentication (401 unless a token is sent), overload (503 / 429 then success), resets,
// hangs, and arbitrary error bodies (422). Every request is recorded (method, path, headers).

import http from 'node:http';

export type ProxyAction =
  | 'forward'
  | 'reset'
  | 'hang'
  | { status: number; body: string | Buffer; headers?: Record<string, string> }
  /** Anything else a misbehaving server does (drip bytes, stream forever, echo headers). */
  | { custom: (req: http.IncomingMessage, res: http.ServerResponse) => void };

export interface RecordedRequest {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface Proxy {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startProxy(target: string, decide: (req: RecordedRequest, n: number) => ProxyAction): Promise<Proxy> {
  const requests: RecordedRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const rec = { method: req.method ?? 'GET', url: req.url ?? '/', headers: req.headers };
    requests.push(rec);
    const action = decide(rec, requests.length);
    if (action === 'reset') {
      req.socket.destroy();
      return;
    }
    if (action === 'hang') return; // never answers; the client's timeout must fire
    if (typeof action === 'object' && 'custom' in action) {
      action.custom(req, res);
      return;
    }
    if (action !== 'forward') {
      res.writeHead(action.status, { 'content-type': 'application/json', ...(action.headers ?? {}) });
      res.end(action.body);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = http.request(`${target}${rec.url}`, { method: rec.method, headers: { ...req.headers, host: new URL(target).host } }, (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        ur.pipe(res);
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
