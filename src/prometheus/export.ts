// Writing the export: query_range JSON (`{"status":"success","data":{"resultType":"matrix","result":[…]}}`)
// series by series, to a file (temp file + rename) or to memory, in ~1 MiB writes. Numbers are written
// exactly: timestamps as seconds with millisecond decimals, values as the shortest round-trip decimal
// (Prometheus's own float formatting), `NaN` / `+Inf` / `-Inf` as Prometheus spells them.

import { promises as fsp } from 'node:fs';
import { CHUNK_BYTES, type InputSource } from '../ingest/source.js';

export interface ByteTarget {
  write(s: string): Promise<void>;
  /** Finish the document (rename into place for files). */
  close(): Promise<void>;
  /** Drop everything written (delete the temp file). */
  abort(): Promise<void>;
}

/** Buffered writer to a temp file renamed onto `final` by close(). */
export class FileTarget implements ByteTarget {
  private fh: fsp.FileHandle | undefined;
  private pending: string[] = [];
  private pendingLen = 0;
  readonly tmp: string;
  constructor(readonly final: string) {
    this.tmp = `${final}.${process.pid}.tmp`;
  }
  async write(s: string): Promise<void> {
    this.pending.push(s);
    this.pendingLen += s.length;
    if (this.pendingLen >= CHUNK_BYTES) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.fh) this.fh = await fsp.open(this.tmp, 'w');
    const buf = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingLen = 0;
    await this.fh.write(buf, 0, buf.length);
  }
  async close(): Promise<void> {
    await this.flush();
    await this.fh!.close();
    this.fh = undefined;
    await fsp.rename(this.tmp, this.final);
  }
  async abort(): Promise<void> {
    if (this.fh) await this.fh.close().catch(() => {});
    this.fh = undefined;
    await fsp.rm(this.tmp, { force: true });
  }
}

/** Collects the document in memory as a list of ~1 MiB buffers (no single giant string). */
export class MemoryTarget implements ByteTarget {
  readonly parts: Buffer[] = [];
  private pending: string[] = [];
  private pendingLen = 0;
  async write(s: string): Promise<void> {
    this.pending.push(s);
    this.pendingLen += s.length;
    if (this.pendingLen >= CHUNK_BYTES) this.flush();
  }
  private flush(): void {
    if (this.pendingLen) this.parts.push(Buffer.from(this.pending.join(''), 'utf8'));
    this.pending = [];
    this.pendingLen = 0;
  }
  async close(): Promise<void> {
    this.flush();
  }
  async abort(): Promise<void> {
    this.parts.length = 0;
  }
}

/** An InputSource over buffers held in memory (what `analyze --prometheus` ingests). */
export function partsSource(parts: Buffer[], display: string): InputSource {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const headParts: Buffer[] = [];
  let h = 0;
  for (const p of parts) {
    if (h >= 64 * 1024) break;
    headParts.push(p);
    h += p.length;
  }
  const head = Buffer.concat(headParts).subarray(0, 64 * 1024);
  return {
    display,
    gzip: false,
    sizeBytes: total,
    head,
    headIsWhole: total <= 64 * 1024,
    chunks: async function* () {
      for (const p of parts) yield p;
    },
    bytes: async () => Buffer.concat(parts, total),
  };
}

/** Millisecond-exact seconds, as Prometheus prints sample timestamps (`1700000000.123`). */
export function fmtTime(t: number): string {
  const ms = Math.round(t * 1000);
  const whole = Math.floor(ms / 1000);
  const frac = ms - whole * 1000;
  return frac === 0 ? String(whole) : `${whole}.${String(frac).padStart(3, '0')}`;
}

export function fmtValue(v: number): string {
  if (v !== v) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

export interface ExportSeries {
  /** Labels including `__name__`. */
  metric: Record<string, string>;
  t: Float64Array;
  v: Float64Array;
}

/** One query_range document, series appended one at a time. */
export class ExportDocument {
  private count = 0;
  samples = 0;
  private started = false;
  constructor(private readonly target: ByteTarget) {}

  private async begin(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.target.write('{"status":"success","data":{"resultType":"matrix","result":[');
  }

  async series(s: ExportSeries): Promise<void> {
    await this.begin();
    const n = s.t.length;
    if (n === 0) return;
    let out = `${this.count ? ',\n' : '\n'}{"metric":${JSON.stringify(s.metric)},"values":[`;
    const t = s.t;
    const v = s.v;
    for (let i = 0; i < n; i++) {
      out += `${i ? ',' : ''}[${fmtTime(t[i])},"${fmtValue(v[i])}"]`;
      if (out.length >= CHUNK_BYTES) {
        await this.target.write(out);
        out = '';
      }
    }
    out += ']}';
    await this.target.write(out);
    this.count++;
    this.samples += n;
  }

  /** Close the result array; `warnings` surface as warnings when the file is read back. */
  async finish(warnings: string[], meta: unknown): Promise<void> {
    await this.begin();
    let tail = '\n]}';
    if (warnings.length) tail += `,"warnings":${JSON.stringify(warnings)}`;
    tail += `,"vllmTune":${JSON.stringify(meta)}}\n`;
    await this.target.write(tail);
    await this.target.close();
  }

  get seriesCount(): number {
    return this.count;
  }
}
