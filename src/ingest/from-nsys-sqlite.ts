// Nsight Systems SQLite export — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const nsysSqliteAdapter: Adapter = {
  id: 'nsys-sqlite',
  label: 'Nsight Systems SQLite export',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
