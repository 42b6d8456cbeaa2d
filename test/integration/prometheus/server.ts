// Test harness: a REAL Prometheus on loopback over backfilled data.
// OpenMetrics file → `promtool tsdb create-blocks-from openmetrics` → `prometheus` with its own config
// (no scrape targets), its own TSDB in a temp dir, retention 100y, `--web.listen-address=127.0.0.1:0`
// (port read from the `msg="Listening on" address=…` log line), ready when `/-/ready` answers 200.
// Stopped by pid in every outcome: `stop()` (afterAll) and a process 'exit' hook.

import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { promises as fsp, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PromServer {
  url: string;
  port: number;
  pid: number;
  dir: string;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let hooked = false;
function hookExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const c of live) if (c.pid && c.exitCode === null) try { process.kill(c.pid, 'SIGKILL'); } catch { /* gone */ }
  });
}

export function havePrometheus(): boolean {
  return spawnSync('prometheus', ['--version']).status === 0 && spawnSync('promtool', ['--version']).status === 0;
}

/** Backfill an OpenMetrics file into a fresh TSDB directory. Returns the directory. */
export async function backfill(omFile: string, dataDir: string): Promise<void> {
  await fsp.mkdir(dataDir, { recursive: true });
  // Large blocks: fewer of them to open for a week of data.
  await run('promtool', ['tsdb', 'create-blocks-from', 'openmetrics', '--max-block-duration=744h', omFile, dataDir], { maxBuffer: 64 << 20 });
}

function get(url: string): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get(url, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', () => resolve(0));
    req.setTimeout(1000, () => req.destroy());
  });
}

/** Start Prometheus over an existing TSDB directory (`dataDir`, backfilled), or over `omText`. */
export async function startPrometheus(opts: { omText?: string; omFile?: string; dataDir?: string }): Promise<PromServer> {
  hookExit();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'vllm-tune-prom-'));
  const dataDir = opts.dataDir ?? path.join(dir, 'data');
  if (!opts.dataDir) {
    let om = opts.omFile;
    if (!om) {
      om = path.join(dir, 'fixture.om');
      await fsp.writeFile(om, opts.omText ?? '# EOF\n');
    }
    await backfill(om, dataDir);
  }
  const cfg = path.join(dir, 'prometheus.yml');
  await fsp.writeFile(cfg, 'global:\n  scrape_interval: 1h\n  evaluation_interval: 1h\n');
  const child = spawn(
    'prometheus',
    [`--config.file=${cfg}`, `--storage.tsdb.path=${dataDir}`, '--storage.tsdb.retention.time=100y',
      // No compaction of the backfilled blocks while tests and benchmarks query them.
      '--storage.tsdb.min-block-duration=2h', '--storage.tsdb.max-block-duration=2h',
      '--web.listen-address=127.0.0.1:0', '--log.level=info'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  live.add(child);
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    }
    live.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`prometheus did not log its address within 20 s:\n${log.slice(-2000)}`)), 20_000);
      child.stderr!.on('data', (c: Buffer) => {
        log += c.toString();
        const m = /msg="Listening on" address=\S*:(\d+)/.exec(log);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`prometheus exited with ${code}:\n${log.slice(-2000)}`));
      });
    });
    // Keep draining the log so the pipe never fills.
    child.stderr!.resume();
    const url = `http://127.0.0.1:${port}`;
    const t0 = Date.now();
    while ((await get(`${url}/-/ready`)) !== 200) {
      if (Date.now() - t0 > 30_000) throw new Error('prometheus not ready within 30 s');
      await new Promise((r) => setTimeout(r, 25));
    }
    return { url, port, pid: child.pid!, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** A port nothing listens on (bound then closed). */
export async function closedPort(): Promise<number> {
  const srv = http.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** Run a raw PromQL query_range against the server (for differential tests). */
export async function queryRange(url: string, query: string, start: number, end: number, step: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
  const u = new URL(`${url}/api/v1/query_range`);
  u.search = new URLSearchParams({ query, start: String(start), end: String(end), step: String(step) }).toString();
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(u, (res) => {
        let s = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (s += c));
        res.on('end', () => resolve(s));
      })
      .on('error', reject);
  });
  const j = JSON.parse(body) as { status: string; error?: string; data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
  if (j.status !== 'success') throw new Error(`query_range ${query}: ${j.error}`);
  return j.data.result;
}
