// Nsight Systems stats CSV — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const nsysCsvAdapter: Adapter = {
  id: 'nsys-csv',
  label: 'Nsight Systems stats CSV',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
