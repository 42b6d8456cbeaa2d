// Parquet (long format) — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const parquetAdapter: Adapter = {
  id: 'parquet',
  label: 'Parquet (long format)',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
