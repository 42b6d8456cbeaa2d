// The fixture every live-Prometheus test shares: 2 h of 10 s scrapes from 2 replicas, replica 1
// restarts 50 min in (counters and histogram reset), replica 0 misses 10 min of scrapes (a gap).

import type { GenOptions } from './generate.js';

export const FIXTURE_START = 1_767_225_600; // 2026-01-01T00:00:00Z
export const FIXTURE: GenOptions = {
  start: FIXTURE_START,
  durationSeconds: 2 * 3600,
  scrapeSeconds: 10,
  replicas: 2,
  seed: 7,
  restart: { replica: 1, atSeconds: 3000 },
  gap: { replica: 0, fromSeconds: 1800, toSeconds: 2400 },
};
export const FIXTURE_END = FIXTURE_START + FIXTURE.durationSeconds;
