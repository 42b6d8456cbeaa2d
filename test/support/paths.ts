// Paths to fixtures inside the repository. Tests read only from here: a user's clone has nothing beside
// it (test/unit/no-outside-paths.test.ts fails when a test, bench or CI file points outside the repo).

import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** Real files produced by other projects, with provenance and license in SOURCES.md. */
export const REAL = path.join(ROOT, 'test/fixtures/real');
export const REAL_TRACES = path.join(REAL, 'traces');
export const REAL_METRICS_TEXT = path.join(REAL, 'metrics-text');
export const REAL_DASHBOARDS = path.join(REAL, 'dashboards');
