// Nsight Systems SQLite export (`nsys export --type sqlite`, or the .sqlite `nsys stats` leaves
// beside the report). Tables read: CUPTI_ACTIVITY_KIND_KERNEL (start, end, deviceId, streamId,
// correlationId, demangledName/shortName → StringIds, graphNodeId), CUPTI_ACTIVITY_KIND_MEMCPY
// (copyKind → ENUM_CUDA_MEMCPY_OPER), CUPTI_ACTIVITY_KIND_MEMSET, and, for launch counts,
// CUPTI_ACTIVITY_KIND_RUNTIME (nameId → StringIds), TARGET_INFO_GPU for the device name. Times
// are nanoseconds. Tables are created lazily by nsys: any of them may be missing.
//
// Reader: libsql (better-sqlite3 API, prebuilt binary shipped in its npm package, reads from disk;
// see docs/profiles.md for the measurements behind the choice). One query streams kernel, memcpy
// and memset rows ordered by start as raw arrays; per row, JS updates the (device, name id)
// aggregate found by an integer key (no string per row) and the device's sorted sweep
// (profile/intervals.ts). Names are looked up in StringIds once per distinct id.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { InputError } from '../errors.js';
import type { KernelProfile } from '../model/profile.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { KernelClassifier } from './profile/classify.js';
import { ProfileBuilder, type GpuActivityKind, type Stat } from './profile/builder.js';
import { nsysSqliteFormat } from './sniff/binary.js';

const KERNEL = 'CUPTI_ACTIVITY_KIND_KERNEL';
const MEMCPY = 'CUPTI_ACTIVITY_KIND_MEMCPY';
const MEMSET = 'CUPTI_ACTIVITY_KIND_MEMSET';
const RUNTIME = 'CUPTI_ACTIVITY_KIND_RUNTIME';
/** Device and stream in one column (fewer values cross into JS per row: 6 → 4 columns measured 3.9 → 3.3 s on 2.1M rows). */
const STREAM_SPAN = 4294967296;
const DEV_STREAM = `deviceId * ${STREAM_SPAN} + streamId`;

/** CUPTI memcpy kinds (CUpti_ActivityMemcpyKind) when the export has no ENUM_CUDA_MEMCPY_OPER table. */
const COPY_KIND_LABELS: Record<number, string> = {
  0: 'Unknown',
  1: 'Host-to-Device',
  2: 'Device-to-Host',
  3: 'Host-to-Array',
  4: 'Array-to-Host',
  5: 'Array-to-Array',
  6: 'Array-to-Device',
  7: 'Device-to-Array',
  8: 'Device-to-Device',
  9: 'Host-to-Host',
  10: 'Peer-to-Peer',
};

/** The subset of the better-sqlite3 API (which libsql implements) used here. */
interface Stmt {
  raw(on?: boolean): Stmt;
  run(...params: unknown[]): unknown;
  iterate(...params: unknown[]): IterableIterator<unknown[]>;
  all(...params: unknown[]): unknown[];
  get(...params: unknown[]): unknown;
}
interface Db {
  prepare(sql: string): Stmt;
  close(): void;
}

async function openDb(file: string, display: string): Promise<Db> {
  const mod = (await import('libsql')) as unknown as { default: new (f: string, o: { readonly: boolean; fileMustExist: boolean }) => Db };
  let db: Db;
  try {
    db = new mod.default(file, { readonly: true, fileMustExist: true });
    db.prepare('SELECT name FROM sqlite_master LIMIT 1').all();
    // The ORDER BY sorts every activity row: let the sorter spill to a temporary file instead of
    // memory (measured on 2.1M rows: peak RSS 187 → 96 MB, same time).
    db.prepare('PRAGMA temp_store = FILE').run();
  } catch (e) {
    throw new InputError({ code: 'SQLITE_SCHEMA', file: display, message: `not a readable SQLite database: ${(e as Error).message}`, hint: 'export again with `nsys export --type sqlite REPORT.nsys-rep`' });
  }
  return db;
}

function schemaError(display: string, message: string, hint: string, table?: string): InputError {
  return new InputError({ code: 'SQLITE_SCHEMA', file: display, ...(table !== undefined ? { position: { table } } : {}), message, hint });
}

/**
 * A TEXT value read as bytes (`CAST(x AS BLOB)`) and decoded here, invalid UTF-8 replaced by U+FFFD:
 * the SQLite binding decodes TEXT itself and aborts the process (a Rust panic) on invalid UTF-8.
 * Every string this reader takes from the database goes through a BLOB cast and this function.
 */
function text(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (x instanceof Uint8Array) return Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('utf8');
  return undefined;
}

function columns(db: Db, table: string): Set<string> {
  return new Set(db.prepare(`SELECT CAST(name AS BLOB) FROM pragma_table_info('${table}')`).raw(true).all().map((r) => text((r as unknown[])[0]) ?? ''));
}

/** Read one export into a KernelProfile (exported for tests and the bench). */
export async function readNsysSqliteProfile(src: InputSource, classifier: KernelClassifier): Promise<{ profile: KernelProfile; rows: number }> {
  let file = src.path;
  let tmp: string | undefined;
  if (!file || src.gzip) {
    // A compressed or piped export: SQLite needs a seekable file.
    tmp = mkdtempSync(path.join(tmpdir(), 'vllm-tune-nsys-'));
    file = path.join(tmp, 'export.sqlite');
    writeFileSync(file, await src.bytes());
  }
  try {
    const db = await openDb(file, src.display);
    try {
      return readDb(db, src.display, classifier);
    } catch (e) {
      // A database damaged past its first page fails mid-read ("database disk image is malformed").
      if (e instanceof InputError) throw e;
      throw schemaError(src.display, `not a readable SQLite database: ${(e as Error).message}`, 'the file is damaged: export again with `nsys export --type sqlite REPORT.nsys-rep`');
    } finally {
      db.close();
    }
  } finally {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  }
}

function readDb(db: Db, display: string, classifier: KernelClassifier): { profile: KernelProfile; rows: number } {
  const tables = new Set(db.prepare("SELECT CAST(name AS BLOB) FROM sqlite_master WHERE type = 'table' ORDER BY name").raw(true).all().map((r) => text((r as unknown[])[0]) ?? ''));
  const has = (t: string): boolean => tables.has(t);
  if (!has(KERNEL) && !has(MEMCPY) && !has(MEMSET)) {
    const list = [...tables];
    const shown = list.length === 0 ? 'none' : list.slice(0, 12).join(', ') + (list.length > 12 ? `, … (${list.length} tables)` : '');
    throw schemaError(display, `no CUDA activity tables (${KERNEL}, ${MEMCPY}, ${MEMSET}); tables found: ${shown}`, 'profile with CUDA tracing on (`nsys profile -t cuda …`) and export with `nsys export --type sqlite`');
  }
  const parts: string[] = [];
  let withCorr = false;
  if (has(KERNEL)) {
    const cols = columns(db, KERNEL);
    const need = ['start', 'end', 'deviceId', 'streamId'].filter((c) => !cols.has(c));
    const nameCol = ['demangledName', 'shortName', 'name'].find((c) => cols.has(c));
    if (need.length || !nameCol) throw schemaError(display, `${KERNEL} lacks column(s) ${[...need, ...(nameCol ? [] : ['demangledName'])].join(', ')}`, 'not an nsys export this version of vllm-tune knows; please report the nsys version', KERNEL);
    if (!has('StringIds')) throw schemaError(display, `${KERNEL} names refer to a StringIds table the file does not have`, 'export again with `nsys export --type sqlite`');
    // Graph kernels: graphNodeId where the export has it; otherwise consecutive kernels sharing a
    // correlation id (the builder's heuristic), at the cost of a fifth column.
    withCorr = !cols.has('graphNodeId') && cols.has('correlationId');
    const graph = cols.has('graphNodeId') ? '(graphNodeId IS NOT NULL)' : '0';
    // `x + 0` makes a stray TEXT cell a number (SQLite is dynamically typed; a TEXT cell with invalid
    // UTF-8 would abort the binding), the arithmetic columns convert by themselves.
    parts.push(`SELECT start + 0, end + 0, ${DEV_STREAM}, ${nameCol} * 8 + ${graph}${withCorr ? ', correlationId + 0' : ''} FROM ${KERNEL}`);
  }
  for (const [t, kind, ref] of [[MEMCPY, 1, 'copyKind'], [MEMSET, 2, '0']] as const) {
    if (!has(t)) continue;
    const cols = columns(db, t);
    const need = ['start', 'end', 'deviceId', 'streamId', ...(ref === 'copyKind' ? ['copyKind'] : [])].filter((c) => !cols.has(c));
    if (need.length) throw schemaError(display, `${t} lacks column(s) ${need.join(', ')}`, 'not an nsys export this version of vllm-tune knows; please report the nsys version', t);
    parts.push(`SELECT start + 0, end + 0, ${DEV_STREAM}, ${ref} * 8 + ${kind * 2}${withCorr ? ', NULL' : ''} FROM ${t}`);
  }

  // Names: StringIds per distinct id, memcpy labels from the enum table (or CUPTI's numbering).
  const nameStmt = has('StringIds') ? db.prepare('SELECT CAST(value AS BLOB) FROM StringIds WHERE id = ?').raw(true) : undefined;
  const copyLabels: Record<number, string> = { ...COPY_KIND_LABELS };
  if (has('ENUM_CUDA_MEMCPY_OPER')) {
    for (const r of db.prepare('SELECT id + 0, CAST(label AS BLOB) FROM ENUM_CUDA_MEMCPY_OPER').raw(true).iterate()) {
      const label = text(r[1]);
      if (typeof r[0] === 'number' && label) copyLabels[r[0]] = label;
    }
  }

  const builder = new ProfileBuilder(classifier, true);
  const slots = new Map<number, Stat>();
  const slotFor = (device: number, packed: number): Stat => {
    const kind = (packed % 8) >> 1;
    const ref = Math.floor(packed / 8);
    let name: string;
    let k: GpuActivityKind;
    if (kind === 0) {
      k = 'kernel';
      const r = nameStmt!.get(ref) as unknown[] | undefined;
      name = (r && text(r[0])) ?? `<StringIds ${ref}>`;
    } else if (kind === 1) {
      k = 'memcpy';
      name = `[CUDA memcpy ${copyLabels[ref] ?? `kind ${ref}`}]`;
    } else {
      k = 'memset';
      name = '[CUDA memset]';
    }
    return builder.statFor(k, device, name);
  };
  let rows = 0;
  if (parts.length) {
    const stmt = db.prepare(`${parts.join('\nUNION ALL\n')}\nORDER BY 1`).raw(true);
    for (const r of stmt.iterate()) {
      const start = r[0] as number;
      const end = r[1] as number;
      const ds = r[2] as number;
      const packed = r[3] as number;
      const device = Math.floor(ds / STREAM_SPAN);
      // key: (name id, kind) and device; graph bit dropped
      const graph = packed % 2;
      const key = (packed - graph) * 4096 + (device & 4095);
      let st = slots.get(key);
      if (st === undefined || (device & 4095) !== device) {
        st = slotFor(device, packed);
        slots.set(key, st);
      }
      const corr = withCorr ? r[4] : undefined;
      builder.record(st, device, ds, start, end - start, typeof corr === 'number' ? corr : undefined, graph === 1);
      rows++;
    }
  }

  // Launch API calls, aggregated by SQL per function name.
  let runtimeRows = 0;
  if (has(RUNTIME) && has('StringIds')) {
    const sql = `SELECT CAST(s.value AS BLOB), r.n, r.ns FROM (SELECT nameId, COUNT(*) AS n, SUM(end - start) AS ns FROM ${RUNTIME}
      WHERE nameId IN (SELECT id FROM StringIds WHERE value LIKE '%Launch%') GROUP BY nameId) r JOIN StringIds s ON s.id = r.nameId`;
    for (const r of db.prepare(sql).raw(true).iterate()) {
      builder.runtime(text(r[0]) ?? '', Number(r[2]) || 0, Number(r[1]) || 0);
      runtimeRows += Number(r[1]) || 0;
    }
  }

  const profile = builder.finish({ file: display, format: 'nsys-sqlite' }, { timeline: true, launches: runtimeRows > 0 });
  if (!profile.gpuActivity) profile.notes = ['no GPU activity: the export holds no kernel, memcpy or memset rows'];
  if (has('TARGET_INFO_GPU') && profile.devices?.length) {
    const cols = columns(db, 'TARGET_INFO_GPU');
    if (cols.has('id') && cols.has('name')) {
      const r = db.prepare('SELECT CAST(name AS BLOB) FROM TARGET_INFO_GPU WHERE id = ? AND name IS NOT NULL').raw(true).get(Number(profile.devices[0].device)) as unknown[] | undefined;
      const name = r && text(r[0]);
      if (name) profile.deviceName = name;
    }
  }
  return { profile, rows };
}

export const nsysSqliteAdapter: Adapter = {
  ...nsysSqliteFormat,
  read: async (src: InputSource, ctx: IngestContext): Promise<AdapterResult> => {
    const { profile, rows } = await readNsysSqliteProfile(src, KernelClassifier.fromOptions(ctx.options));
    ctx.addProfile(profile);
    const kernels = profile.kernels.reduce((n, k) => n + (k.category === 'memory' ? 0 : k.count), 0);
    const detail = profile.gpuActivity
      ? `${rows} GPU activities, ${kernels} kernels (${new Set(profile.kernels.map((k) => k.name)).size} distinct names) on ${profile.devices?.length ?? 0} device(s)`
      : 'no GPU activity (empty CUDA activity tables)';
    return { detail };
  },
};
