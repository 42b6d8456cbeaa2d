// User-facing input errors (exit code 2) versus internal bugs (everything else).

/** Stable codes for every way an input can be unusable. Tests assert on these. */
export type InputErrorCode =
  | 'EMPTY_INPUT'
  | 'UNRECOGNISED_FORMAT'
  | 'TRUNCATED_GZIP'
  | 'JSON_SYNTAX'
  | 'NOT_PROMETHEUS_RESPONSE'
  | 'PROMETHEUS_ERROR'
  | 'TEXT_SYNTAX'
  | 'MISSING_TIMESTAMPS'
  | 'CSV_NO_TIME_COLUMN'
  | 'CSV_SYNTAX'
  | 'PARQUET_UNSUPPORTED'
  | 'PARQUET_SCHEMA'
  /** Footer or page headers inconsistent with the file (src/ingest/parquet-guard.ts). */
  | 'PARQUET_CORRUPT'
  | 'TRACE_SHAPE'
  | 'PROFILE_TABLE'
  | 'SQLITE_SCHEMA'
  | 'NOT_FOUND'
  | 'BAD_OPTION'
  | 'PROMETHEUS_UNREACHABLE'
  | 'PROMETHEUS_HTTP'
  /** The overall --deadline of a fetch, or a request's --request-timeout, ran out. */
  | 'PROMETHEUS_TIMEOUT'
  /** A documented size limit was exceeded (the message names the limit and the flag that raises it). */
  | 'LIMIT_EXCEEDED'
  | 'NO_DATA'
  /** A benchmark client's result file of an unknown or broken layout. */
  | 'CLIENT_RESULT_SHAPE'
  /** Another run holds the report's lock for too long (src/cli/common.ts writeFilesAtomically). */
  | 'OUTPUT_LOCKED';

export interface InputErrorInit {
  code: InputErrorCode;
  /** Display name of the file (as the user gave it), or a URL, or `<stdin>`. */
  file?: string;
  /**
   * Where in the file: byte offset, line or row, whichever is known; the column (a CSV/table column
   * name, a Parquet column path) and the table (of a SQLite export) when known. docs/errors.md
   * lists which errors give which.
   */
  position?: { byte?: number; line?: number; row?: number; column?: string; table?: string };
  message: string;
  hint?: string;
}

/** An input the tool cannot use. Printed as one line without a stack; exit code 2. */
export class InputError extends Error {
  readonly code: InputErrorCode;
  readonly file?: string;
  readonly position?: InputErrorInit['position'];
  readonly hint?: string;

  constructor(init: InputErrorInit) {
    super(init.message);
    this.name = 'InputError';
    this.code = init.code;
    this.file = init.file;
    this.position = init.position;
    this.hint = init.hint;
  }

  /** The one line the CLI prints: `file:line: message (CODE) — hint`. */
  oneLine(): string {
    const where: string[] = [];
    if (this.file) where.push(this.file);
    const p = this.position;
    if (p?.table !== undefined) where.push(`table ${JSON.stringify(p.table)}`);
    if (p?.line !== undefined) where.push(`line ${p.line}`);
    else if (p?.row !== undefined) where.push(`row ${p.row}`);
    else if (p?.byte !== undefined) where.push(`byte ${p.byte}`);
    if (p?.column !== undefined) where.push(`column ${JSON.stringify(p.column)}`);
    const head = where.length ? `${where.join(', ')}: ` : '';
    return `${head}${this.message} [${this.code}]${this.hint ? ` — ${this.hint}` : ''}`;
  }
}

export function isInputError(e: unknown): e is InputError {
  return e instanceof InputError;
}

/**
 * `e` with `position` when it is an InputError that has none (a limit raised in the sample sink, which
 * does not know where the adapter is); anything else unchanged. For catch blocks: `throw withPosition(e, …)`.
 */
export function withPosition(e: unknown, position: InputErrorInit['position']): unknown {
  if (!(e instanceof InputError) || e.position || !position) return e;
  return new InputError({ code: e.code, ...(e.file !== undefined ? { file: e.file } : {}), position, message: e.message, ...(e.hint !== undefined ? { hint: e.hint } : {}) });
}
