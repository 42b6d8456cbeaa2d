// torch key_averages() table — STUB: not implemented yet (sniff never matches).

import type { Adapter } from './adapter.js';

export const keyAveragesAdapter: Adapter = {
  id: 'key-averages',
  label: 'torch key_averages() table',
  sniff: () => false,
  read: async () => {
    throw new Error('not implemented');
  },
};
