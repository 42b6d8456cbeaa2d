// Formats recognised by their magic bytes. No imports beyond types: the registry loads this eagerly.

import type { AdapterFormat } from '../adapter.js';

/** `PAR1`, the first four bytes of every Parquet file. */
export const parquetFormat: AdapterFormat = {
  id: 'parquet',
  label: 'Parquet (long format)',
  sniff: (head) => head.length >= 4 && head[0] === 0x50 && head[1] === 0x41 && head[2] === 0x52 && head[3] === 0x31,
};

/** The SQLite file header. */
export const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');

export const nsysSqliteFormat: AdapterFormat = {
  id: 'nsys-sqlite',
  label: 'Nsight Systems SQLite export',
  sniff: (head) => head.length >= SQLITE_MAGIC.length && head.subarray(0, SQLITE_MAGIC.length).equals(SQLITE_MAGIC),
};
