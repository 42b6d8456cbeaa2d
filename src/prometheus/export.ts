// Writing the export: query_range JSON (`{"status":"success","data":{"resultType":"matrix","result":[…]}}`)
// series by series, to a file (temp file + rename), in ~1 MiB writes. Numbers are written
// exactly: timestamps as seconds with millisecond decimals, values as the shortest round-trip decimal
// (Prometheus's own float formatting), `NaN` / `+Inf` / `-Inf` as Prometheus spells them.

import { promises as fsp } from 'node:fs';
import { CHUNK_BYTES } from '../ingest/source.js';

export interface ByteTarget {
  /** Append text (UTF-8) or bytes (the target may keep the Buffer: pass one that is not reused). */
  write(s: string | Buffer): Promise<void>;
  /** Finish the document (rename into place for files). */
  close(): Promise<void>;
  /** Drop everything written (delete the temp file). */
  abort(): Promise<void>;
}

/** Collects writes into ~1 MiB buffers. */
class Pending {
  private parts: Buffer[] = [];
  length = 0;
  add(s: string | Buffer): void {
    const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s;
    this.parts.push(b);
    this.length += b.length;
  }
  take(): Buffer {
    const out = this.parts.length === 1 ? this.parts[0] : Buffer.concat(this.parts, this.length);
    this.parts = [];
    this.length = 0;
    return out;
  }
}

/** Buffered writer to a temp file renamed onto `final` by close(). */
export class FileTarget implements ByteTarget {
  private fh: fsp.FileHandle | undefined;
  private readonly pending = new Pending();
  readonly tmp: string;
  constructor(readonly final: string) {
    this.tmp = `${final}.${process.pid}.tmp`;
  }
  async write(s: string | Buffer): Promise<void> {
    this.pending.add(s);
    if (this.pending.length >= CHUNK_BYTES) await this.flush();
  }
  private async flush(): Promise<void> {
    if (!this.fh) this.fh = await fsp.open(this.tmp, 'w');
    if (this.pending.length === 0) return;
    const buf = this.pending.take();
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
  // Samples are formatted straight into bytes (no string per sample: that was GC-bound).
  private buf = Buffer.allocUnsafe(CHUNK_BYTES + 4096);
  private pos = 0;
  constructor(private readonly target: ByteTarget) {}

  private async begin(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.target.write('{"status":"success","data":{"resultType":"matrix","result":[');
  }

  private async flushBytes(): Promise<void> {
    if (this.pos === 0) return;
    await this.target.write(Buffer.from(this.buf.subarray(0, this.pos))); // a copy: buf is reused
    this.pos = 0;
  }

  /** Write a non-negative integer < 2^53 as decimal digits at `pos`. */
  private digits(n: number): void {
    const b = this.buf;
    if (n < 10) {
      b[this.pos++] = 0x30 + n;
      return;
    }
    let len = 0;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) len++;
    let p = this.pos + len - 1;
    for (let x = n; x >= 1; x = Math.floor(x / 10)) b[p--] = 0x30 + (x % 10);
    this.pos += len;
  }

  private time(t: number): void {
    const ms = Math.round(t * 1000);
    if (ms < 0) {
      this.pos += this.buf.write(fmtTime(t), this.pos, 'latin1');
      return;
    }
    const whole = Math.floor(ms / 1000);
    const frac = ms - whole * 1000;
    this.digits(whole);
    if (frac !== 0) {
      const b = this.buf;
      b[this.pos] = 0x2e;
      b[this.pos + 1] = 0x30 + Math.floor(frac / 100);
      b[this.pos + 2] = 0x30 + (Math.floor(frac / 10) % 10);
      b[this.pos + 3] = 0x30 + (frac % 10);
      this.pos += 4;
    }
  }

  private value(v: number): void {
    if (Number.isInteger(v) && v >= 0 && v < 9007199254740992) this.digits(v);
    else this.pos += this.buf.write(fmtValue(v), this.pos, 'latin1');
  }

  async series(s: ExportSeries): Promise<void> {
    await this.begin();
    const n = s.t.length;
    if (n === 0) return;
    await this.target.write(`${this.count ? ',\n' : '\n'}{"metric":${JSON.stringify(s.metric)},"values":[`);
    const t = s.t;
    const v = s.v;
    const b = this.buf;
    for (let i = 0; i < n; i++) {
      // A pair is at most ~60 bytes ("[", 10+4 digits, ",\"", 24 chars, "\"]", ","): flush with room to spare.
      if (this.pos > CHUNK_BYTES) await this.flushBytes();
      if (i) b[this.pos++] = 0x2c;
      b[this.pos++] = 0x5b;
      this.time(t[i]);
      b[this.pos++] = 0x2c;
      b[this.pos++] = 0x22;
      this.value(v[i]);
      b[this.pos++] = 0x22;
      b[this.pos++] = 0x5d;
    }
    b[this.pos++] = 0x5d;
    b[this.pos++] = 0x7d;
    await this.flushBytes();
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
