// CSV (long format or Grafana wide export) — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const csvAdapter: Adapter = {
  id: 'csv-long',
  label: 'CSV (long format or Grafana wide export)',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
