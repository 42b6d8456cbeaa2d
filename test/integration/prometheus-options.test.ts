// The pure parts of the live-Prometheus path (no server): time arguments, selectors, headers from
// flags and environment, base URLs, and chunk windows.

import { describe, expect, it } from 'vitest';
import { InputError } from '../../src/errors.js';
import { parseBaseUrl } from '../../src/prometheus/client.js';
import { chunkWindows, integrateRate } from '../../src/prometheus/plan.js';
import { collectHeaders, normalizeSelector, parsePrometheusFlags } from '../../src/prometheus/options.js';
import { formatApiTime, parseTimeArg, promDuration } from '../../src/prometheus/time.js';

const NOW = 1_767_232_800.5; // 2026-01-01T02:00:00.5Z

describe('time arguments', () => {
  it('RFC 3339, Unix seconds and relative forms', () => {
    expect(parseTimeArg('2026-01-01T00:00:00Z', '--start')).toBe(1_767_225_600);
    expect(parseTimeArg('2026-01-01T01:00:00+01:00', '--start')).toBe(1_767_225_600);
    expect(parseTimeArg('2026-01-01T00:00:00.250Z', '--start')).toBe(1_767_225_600.25);
    expect(parseTimeArg('2026-01-01', '--start')).toBe(1_767_225_600);
    expect(parseTimeArg('1767225600', '--start')).toBe(1_767_225_600);
    expect(parseTimeArg('1767225600.1234', '--start')).toBe(1_767_225_600.123);
    expect(parseTimeArg('now', '--end', NOW)).toBe(NOW);
    expect(parseTimeArg('now-6h', '--start', NOW)).toBe(NOW - 6 * 3600);
    expect(parseTimeArg('now - 90m', '--start', NOW)).toBe(NOW - 5400);
    expect(parseTimeArg('now-1d', '--start', NOW)).toBe(NOW - 86400);
  });

  it('bad times are BAD_OPTION with the reason', () => {
    const err = (s: string) => {
      try {
        parseTimeArg(s, '--start', NOW);
      } catch (e) {
        expect(e).toBeInstanceOf(InputError);
        expect((e as InputError).code).toBe('BAD_OPTION');
        return (e as InputError).message;
      }
      throw new Error(`${s} was accepted`);
    };
    expect(err('2026-01-01T00:00:00')).toBe('--start "2026-01-01T00:00:00": an RFC 3339 time needs a zone (Z or +01:00)');
    expect(err('1767225600000')).toBe('--start "1767225600000": looks like milliseconds; give Unix seconds');
    expect(err('yesterday')).toBe('--start "yesterday": not a time');
    expect(err('now-6x')).toMatch(/is not a duration/);
  });

  it('API times and PromQL durations are exact to the millisecond', () => {
    expect(formatApiTime(1_767_225_600)).toBe('1767225600');
    expect(formatApiTime(1_767_225_600.1)).toBe('1767225600.1');
    expect(formatApiTime(1_767_225_600.007)).toBe('1767225600.007');
    expect(promDuration(300)).toBe('5m');
    expect(promDuration(7200)).toBe('2h');
    expect(promDuration(150.5)).toBe('150500ms');
    expect(promDuration(45)).toBe('45s');
  });
});

describe('selectors, headers, URLs', () => {
  it('selectors lose their braces; a metric name is refused', () => {
    expect(normalizeSelector('{namespace="prod", job="vllm"}')).toBe('namespace="prod", job="vllm"');
    expect(normalizeSelector('model_name=~"llama.*"')).toBe('model_name=~"llama.*"');
    expect(normalizeSelector('{}')).toBe('');
    expect(normalizeSelector(undefined)).toBe('');
    expect(() => normalizeSelector('{job="x"')).toThrow(/missing the closing \}/);
    expect(() => normalizeSelector('up{job="x"}')).toThrow(/without a metric name/);
  });

  it('headers: VLLM_TUNE_BEARER_TOKEN, then VLLM_TUNE_PROMETHEUS_HEADERS lines, then --header (case-insensitive override)', () => {
    expect(collectHeaders([], { VLLM_TUNE_BEARER_TOKEN: 'abc' })).toEqual({ Authorization: 'Bearer abc' });
    expect(collectHeaders(['authorization: Bearer flag'], { VLLM_TUNE_BEARER_TOKEN: 'abc', VLLM_TUNE_PROMETHEUS_HEADERS: 'X-Scope-OrgID: t1\nX-Other:  v2 ' })).toEqual({
      'X-Scope-OrgID': 't1',
      'X-Other': 'v2',
      authorization: 'Bearer flag',
    });
    // A malformed header never echoes what follows the colon (it may be a secret).
    expect(() => collectHeaders(['Bearer sekrit-value'], {})).toThrow(/a header is 'Name: value'/);
    try {
      collectHeaders(['Bearer sekrit-value'], {});
    } catch (e) {
      expect((e as InputError).oneLine()).not.toContain('sekrit');
    }
  });

  it('base URLs: credentials become Basic auth and vanish from the display; API/UI paths are cut back to the base', () => {
    const u = parseBaseUrl('https://admin:p%40ss@thanos.example.com/prometheus/api/v1/query?query=up');
    expect(u.display).toBe('https://thanos.example.com/prometheus');
    expect(u.basicAuth).toBe(`Basic ${Buffer.from('admin:p@ss').toString('base64')}`);
    expect(parseBaseUrl('http://localhost:9090/').display).toBe('http://localhost:9090');
    expect(parseBaseUrl('http://localhost:9090/graph').display).toBe('http://localhost:9090');
    expect(() => parseBaseUrl('localhost:9090')).toThrow(/unsupported scheme localhost:|is not a URL/);
  });

  it('flags: defaults, bounds, and the start < end check', () => {
    const o = parsePrometheusFlags({ prometheus: 'http://p:9090' }, NOW, {});
    expect(o).toMatchObject({ start: NOW - 3600, end: NOW, step: 10, selector: '', aggregate: false, topk: 3, concurrency: 4, maxAttempts: 5, timeoutMs: 60_000, allowGaps: false, headers: {} });
    expect(() => parsePrometheusFlags({ prometheus: 'http://p', concurrency: '0' }, NOW, {})).toThrow(/--concurrency "0": expected a whole number from 1 to 64/);
    expect(() => parsePrometheusFlags({ prometheus: 'http://p', start: 'now', end: 'now-1h' }, NOW, {})).toThrow(/--start must be before --end/);
  });
});

describe('chunks', () => {
  it('query_range chunks: ≤ 11,000 points each, continuing one grid', () => {
    const c = chunkWindows(0, 25_000, 1, 11_000);
    expect(c).toEqual([
      { a: 0, b: 10_999, first: true },
      { a: 11_000, b: 21_999, first: false },
      { a: 22_000, b: 25_000, first: false },
    ]);
    for (const x of c) expect((x.b - x.a) / 1).toBeLessThan(11_000);
    expect(chunkWindows(0, 100, 10, 11_000)).toEqual([{ a: 0, b: 100, first: true }]);
  });

  it('raw chunks: contiguous windows, each the previous end (excluded) to its own end', () => {
    expect(chunkWindows(0, 25, 1, 10, 'raw')).toEqual([
      { a: 0, b: 10, first: true },
      { a: 10, b: 20, first: false },
      { a: 20, b: 25, first: false },
    ]);
  });

  it('integrating a rate back into a counter', () => {
    expect(Array.from(integrateRate(new Float64Array([5, 1, 2, NaN, 0.5]), 10))).toEqual([0, 10, 30, 30, 35]);
  });
});
