// Prometheus HTTP API JSON (query_range / query) — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const promJsonAdapter: Adapter = {
  id: 'prometheus-json',
  label: 'Prometheus HTTP API JSON (query_range / query)',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
