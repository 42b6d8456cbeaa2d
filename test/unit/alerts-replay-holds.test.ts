// replayWithoutFindingsHolds (src/alerts/index.ts): the alert replay made without findings is the replay
// for findings without episode windows whose codes the calibration never asked about — and only then is
// it used (analysis/threads.ts replays the rules on a worker before the findings are known).

import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { ingest } from '../../src/ingest/index.js';
import { alertsReplay, replayWithoutFindingsHolds } from '../../src/alerts/index.js';
import { SLO_PROFILES } from '../../src/derive/slo.js';

const dir = path.resolve(__dirname, '..', '..', 'datasets', 'kv-cache-thrashing');

describe('replayWithoutFindingsHolds', () => {
  it('holds for window-less findings of codes never asked about, and the replay is then the same', async () => {
    const a = await ingest({ inputs: [path.join(dir, 'metrics.json.gz'), path.join(dir, 'vllm-serve.log')] });
    const slo = SLO_PROFILES.chat;
    const none = alertsReplay(a.metrics, [], slo);
    expect(none.historyCodes).not.toBeNull();
    // The calibration asks about the codes its rules stand for: KV pressure and queue build-up among them.
    expect(none.historyCodes).toEqual(expect.arrayContaining(['KV_CACHE_THRASHING', 'QUEUE_BUILDUP']));
    expect(none.historyCodes).not.toContain('OVERPROVISIONED');

    const unasked = [{ code: 'OVERPROVISIONED', scope: 'group A' }];
    expect(replayWithoutFindingsHolds(unasked, none.historyCodes)).toBe(true);
    expect(alertsReplay(a.metrics, unasked, slo).section).toEqual(none.section);

    // A window, or a code asked about: the replay must be made with the findings.
    const windowed = [{ code: 'OVERPROVISIONED', scope: 'group A', window: { startSeconds: 0, endSeconds: 1 } }];
    expect(replayWithoutFindingsHolds(windowed, none.historyCodes)).toBe(false);
    const asked = [{ code: 'KV_CACHE_THRASHING', scope: '10.0.0.11:8000' }];
    expect(replayWithoutFindingsHolds(asked, none.historyCodes)).toBe(false);
    // …and here it would indeed differ: a whole-window KV_CACHE_THRASHING finding leaves no healthy
    // history for the KV rule to calibrate on.
    expect(alertsReplay(a.metrics, asked, slo).section).not.toEqual(none.section);
    // Rule generation that failed gives no codes: never reused.
    expect(replayWithoutFindingsHolds([], null)).toBe(false);
  }, 60_000);
});
