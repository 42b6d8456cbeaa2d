// Prometheus text exposition / OpenMetrics / promtool tsdb dump — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const promTextAdapter: Adapter = {
  id: 'prometheus-text',
  label: 'Prometheus text exposition / OpenMetrics / promtool tsdb dump',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
