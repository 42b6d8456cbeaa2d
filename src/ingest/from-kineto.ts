// Kineto / torch.profiler chrome trace JSON — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const kinetoAdapter: Adapter = {
  id: 'kineto-trace',
  label: 'Kineto / torch.profiler chrome trace JSON',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
