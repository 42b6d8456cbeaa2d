// Opening inputs: files, directories (walked), `-` for stdin, gzip detected from the magic bytes.
// Content is read in 1 MiB chunks (measured: the default 64 KiB buffer costs ~0.9 s/GB) into three
// buffers used in turn, with the next read issued before a chunk is handed out (read-ahead: the disk
// works on chunk N+1 while the adapter parses chunk N). Reusing the buffers, rather than allocating
// 1 MiB per chunk, saves the allocation, its page faults and the garbage collection of 1,000
// buffers per GB.
//
// The contract for every consumer of `chunks()`: a chunk stays valid while the next one is being
// processed (an adapter may copy the unfinished tail of chunk N when chunk N+1 arrives), and no
// longer: its memory is reused for the chunk two after it. Keep nothing from a chunk beyond that
// without copying it.

import { limitError, limits, maxDecompressedBytes } from '../limits.js';
import { createReadStream, promises as fsp } from 'node:fs';
import { createGunzip, gunzipSync } from 'node:zlib';
import path from 'node:path';
import { InputError } from '../errors.js';

export const CHUNK_BYTES = 1 << 20;
const HEAD_BYTES = 64 * 1024;

export interface InputSource {
  /** Name shown to the user: the path as given (relative), `<stdin>`, or a URL. */
  readonly display: string;
  /** Real path on disk, when the input is a file. */
  readonly path?: string;
  /** Gzip-compressed on disk (decompressed transparently). */
  readonly gzip: boolean;
  /** Size on disk (compressed), when known. */
  readonly sizeBytes?: number;
  /** Up to the first 64 KiB of the decompressed content, for format sniffing. */
  readonly head: Buffer;
  /** Whether `head` holds the whole content. */
  readonly headIsWhole: boolean;
  /** Decompressed content as a stream of chunks. */
  chunks(): AsyncIterable<Buffer>;
  /** The content from byte `offset` on, where the source can seek there (a plain file on disk);
   * `ring`: buffers reused from one such read to the next (see `fileChunks`). */
  chunksFrom?(offset: number, ring?: Buffer[]): AsyncIterable<Buffer>;
  /** Whole decompressed content (formats needing random access: Parquet, SQLite). */
  bytes(): Promise<Buffer>;
}

function isGzip(b: Buffer): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

/**
 * `compressedBytes`: the compressed bytes read when zlib failed. A stream that ends early fails
 * after the last one, so that is the position (the byte where the file stops); for corrupt data
 * zlib does not say where, so no position is given.
 */
function gzipError(display: string, err: unknown, compressedBytes: number): InputError {
  const msg = err instanceof Error ? err.message : String(err);
  const truncated = /unexpected end of file/i.test(msg);
  return new InputError({
    code: 'TRUNCATED_GZIP',
    file: display,
    ...(truncated ? { position: { byte: compressedBytes } } : {}),
    message: truncated ? 'gzip stream ends early (file truncated?)' : `gzip data is corrupt: ${msg}`,
    hint: 'copy the file again; `gzip -t FILE` checks it',
  });
}

/** Buffers in rotation: the chunk being parsed, the one before it (still valid), the one being read. */
const RING = 3;

/** Buffers for `fileChunks` that a caller reuses from one read to the next (a reader that seeks often). */
export function chunkRing(chunkBytes = CHUNK_BYTES): Buffer[] {
  return Array.from({ length: RING }, () => Buffer.allocUnsafe(chunkBytes));
}

/**
 * A file's bytes in chunks of `chunkBytes`, read ahead into reused buffers (see the contract above).
 * `ring` (from `chunkRing`): the caller's buffers, for one such read at a time — the caller has ended
 * the previous one (`return()` awaited) and keeps nothing from its chunks.
 */
export async function* fileChunks(p: string, chunkBytes = CHUNK_BYTES, start = 0, ring: Buffer[] = chunkRing(chunkBytes)): AsyncGenerator<Buffer> {
  const fh = await fsp.open(p, 'r');
  let k = 0;
  let at = start;
  let next: Promise<{ bytesRead: number }> | undefined = fh.read(ring[0], 0, chunkBytes, at);
  try {
    for (;;) {
      const { bytesRead } = await next;
      next = undefined;
      if (bytesRead === 0) break;
      at += bytesRead;
      const chunk = ring[k];
      k = (k + 1) % RING;
      next = fh.read(ring[k], 0, chunkBytes, at);
      yield bytesRead === chunkBytes ? chunk : chunk.subarray(0, bytesRead);
    }
  } finally {
    // A consumer that stops early (an error in the adapter) leaves a read in flight: let it end first.
    if (next) await next.catch(() => undefined);
    await fh.close();
  }
}

/** Fresh buffers per chunk, for a consumer that keeps them (zlib holds written input until it is processed). */
async function* streamChunks(p: string): AsyncIterable<Buffer> {
  const s = createReadStream(p, { highWaterMark: CHUNK_BYTES });
  for await (const c of s) yield c as Buffer;
}

async function* gunzipChunks(display: string, raw: AsyncIterable<Buffer>, compressedBytes = Infinity): AsyncIterable<Buffer> {
  const gz = createGunzip({ chunkSize: CHUNK_BYTES });
  // docs/limits.md: a gzip bomb stops at --max-decompression-ratio × its size (16 MiB floor).
  const max = maxDecompressedBytes(compressedBytes);
  let out = 0;
  let fed = 0;
  const feed = (async () => {
    try {
      for await (const c of raw) {
        fed += c.length;
        if (!gz.write(c)) await new Promise<void>((r) => gz.once('drain', () => r()));
      }
      gz.end();
    } catch (e) {
      gz.destroy(e as Error);
    }
  })();
  try {
    for await (const c of gz) {
      out += (c as Buffer).length;
      if (out > max) {
        gz.destroy();
        throw limitError(display, `gzip data expands past ${limits.maxDecompressionRatio}× its size (--max-decompression-ratio)`, '--max-decompression-ratio');
      }
      yield c as Buffer;
    }
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw gzipError(display, e, fed);
  }
  await feed;
}

async function readHead(display: string, p: string, gzip: boolean): Promise<{ head: Buffer; whole: boolean }> {
  const fh = await fsp.open(p, 'r');
  try {
    if (!gzip) {
      const buf = Buffer.alloc(HEAD_BYTES);
      const { bytesRead } = await fh.read(buf, 0, HEAD_BYTES, 0);
      const st = await fh.stat();
      return { head: buf.subarray(0, bytesRead), whole: bytesRead >= st.size };
    }
  } finally {
    await fh.close();
  }
  const parts: Buffer[] = [];
  let n = 0;
  let whole = true;
  for await (const c of gunzipChunks(display, streamChunks(p))) {
    parts.push(c);
    n += c.length;
    if (n >= HEAD_BYTES) {
      whole = false;
      break;
    }
  }
  const all = Buffer.concat(parts);
  return { head: all.subarray(0, Math.min(HEAD_BYTES, all.length)), whole: whole && all.length <= HEAD_BYTES };
}

/** A source over a file on disk. */
export async function fileSource(p: string, display = p): Promise<InputSource> {
  let st;
  try {
    st = await fsp.stat(p);
  } catch {
    throw new InputError({ code: 'NOT_FOUND', file: display, message: 'no such file or directory' });
  }
  if (!st.isFile()) {
    // A FIFO, process substitution (`<(zcat x.gz)`) or device: it can be read once, from the start,
    // so it is read whole like stdin (opening it again for the head and the body blocked forever).
    const parts: Buffer[] = [];
    for await (const c of createReadStream(p)) parts.push(c as Buffer);
    return bufferSource(Buffer.concat(parts), display);
  }
  const fh = await fsp.open(p, 'r');
  const magic = Buffer.alloc(2);
  await fh.read(magic, 0, 2, 0);
  await fh.close();
  const gzip = isGzip(magic);
  const { head, whole } = await readHead(display, p, gzip);
  return {
    display,
    path: p,
    gzip,
    sizeBytes: st.size,
    head,
    headIsWhole: whole,
    chunks: () => (gzip ? gunzipChunks(display, streamChunks(p), st.size) : fileChunks(p)),
    ...(gzip ? {} : { chunksFrom: (offset: number, ring?: Buffer[]) => fileChunks(p, CHUNK_BYTES, offset, ring) }),
    bytes: async () => {
      if (!gzip) return fsp.readFile(p);
      const parts: Buffer[] = [];
      for await (const c of gunzipChunks(display, streamChunks(p), st.size)) parts.push(c);
      return Buffer.concat(parts);
    },
  };
}

/** A source over bytes already in memory (stdin, a fetched body, tests). */
export function bufferSource(raw: Buffer, display: string): InputSource {
  let data = raw;
  const gzip = isGzip(raw);
  if (gzip) {
    try {
      data = gunzipSync(raw, { maxOutputLength: maxDecompressedBytes(raw.length) });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError) {
        throw limitError(display, `gzip data expands past ${limits.maxDecompressionRatio}× its size (--max-decompression-ratio)`, '--max-decompression-ratio');
      }
      throw gzipError(display, e, raw.length);
    }
  }
  return {
    display,
    gzip,
    sizeBytes: raw.length,
    head: data.subarray(0, HEAD_BYTES),
    headIsWhole: data.length <= HEAD_BYTES,
    chunks: async function* () {
      for (let i = 0; i < data.length; i += CHUNK_BYTES) yield data.subarray(i, i + CHUNK_BYTES);
    },
    bytes: async () => data,
  };
}

export async function stdinSource(): Promise<InputSource> {
  const parts: Buffer[] = [];
  for await (const c of process.stdin) parts.push(c as Buffer);
  return bufferSource(Buffer.concat(parts), '<stdin>');
}

/** Expand the user's inputs: directories are walked (sorted, hidden files skipped). */
export async function expandInputs(inputs: string[], cwd = process.cwd()): Promise<string[]> {
  const out: string[] = [];
  for (const inp of inputs) {
    if (inp === '-') {
      out.push('-');
      continue;
    }
    const abs = path.resolve(cwd, inp);
    let st;
    try {
      st = await fsp.stat(abs);
    } catch {
      throw new InputError({ code: 'NOT_FOUND', file: inp, message: 'no such file or directory' });
    }
    if (st.isDirectory()) {
      const files = await walk(abs);
      if (files.length === 0) throw new InputError({ code: 'EMPTY_INPUT', file: inp, message: 'directory holds no files' });
      for (const f of files) out.push(path.join(inp, path.relative(abs, f)));
    } else out.push(inp);
  }
  return out;
}

async function walk(dir: string, seen = new Set<string>()): Promise<string[]> {
  // Symlinks are followed (a linked file is read, a linked directory walked), each real directory
  // once: a link back to an ancestor ends instead of looping. A dangling link is skipped.
  const real = await fsp.realpath(dir).catch(() => dir);
  if (seen.has(real)) return [];
  seen.add(real);
  const entries = await fsp.readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: string[] = [];
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    if (/^README(\.md|\.txt)?$/i.test(e.name) || /\.md$/i.test(e.name)) continue; // dataset docs
    if (/\.meta\.json$/i.test(e.name)) continue; // sidecars of `vllm-tune fetch` exports (what was fetched)
    if (e.name === 'truth.json') continue; // the simulator's ground truth beside a dataset (docs/simulator.md)
    const p = path.join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      const st = await fsp.stat(p).catch(() => undefined);
      isDir = st?.isDirectory() ?? false;
      isFile = st?.isFile() ?? false;
    }
    if (isDir) out.push(...(await walk(p, seen)));
    else if (isFile) out.push(p);
  }
  return out;
}
