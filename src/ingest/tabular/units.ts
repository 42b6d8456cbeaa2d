// Grafana's "Formatted data" CSV export writes display strings (`12.5 ms`, `35%`, `1.50 GiB`,
// `1.20 K`) instead of raw numbers. We read the number and unit back where the unit says
// unambiguously what the raw value was, converted to the metric's catalog unit.

import { resolveMetricName, type MetricUnit } from '../../model/metric-catalog.js';

const CELL_RE = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([^\d\s].*)$/;

/** Seconds per unit as a divisor (below one second) or a multiplier, so `950 ms` is exactly 0.95. */
const TIME_DIV: Record<string, number> = { ns: 1e9, 'µs': 1e6, 'μs': 1e6, us: 1e6, ms: 1e3 };
const TIME_MUL: Record<string, number> = { s: 1, sec: 1, min: 60, mins: 60, hour: 3600, hours: 3600, h: 3600, day: 86400, days: 86400 };
const BYTES: Record<string, number> = {
  B: 1, b: 1, bytes: 1,
  KiB: 2 ** 10, MiB: 2 ** 20, GiB: 2 ** 30, TiB: 2 ** 40, PiB: 2 ** 50,
  kB: 1e3, KB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12, PB: 1e15,
};
/** Grafana's "short" unit suffixes. */
const SHORT: Record<string, number> = { K: 1e3, k: 1e3, Mil: 1e6, Bil: 1e9, Tri: 1e12 };
/** Suffixes that only name what is counted: the number is the raw value. */
const PLAIN = new Set(['req/s', 'reqps', 'rps', 'ops/s', 'ops', 'wps', 'tokens/s', 'tok/s', 'requests', 'req', 'W', 'Watt', '°C', 'C', 'MHz', 'tokens']);

export type UnitKind = 'time' | 'bytes' | 'percent' | 'short' | 'plain';

export interface UnitValue {
  value: number;
  unit: string;
  kind: UnitKind;
  /** True when the percent scale had to be guessed (unknown metric: kept as shown). */
  guessed?: boolean;
}

function catalogUnit(metric: string): MetricUnit | undefined {
  return resolveMetricName(metric).entry?.unit;
}

/**
 * Parse a formatted cell for a metric; undefined when the text is not `number unit` with a unit we
 * can interpret without guessing the magnitude.
 */
export function parseUnitCell(cell: string, metric: string): UnitValue | undefined {
  const m = CELL_RE.exec(cell.trim());
  if (!m) return undefined;
  const x = Number(m[1]);
  const unit = m[2].trim();
  if (unit === '%') {
    const u = catalogUnit(metric);
    if (u === 'ratio') return { value: x / 100, unit, kind: 'percent' };
    return { value: x, unit, kind: 'percent', guessed: u !== 'percent' };
  }
  if (unit in TIME_DIV) return { value: x / TIME_DIV[unit], unit, kind: 'time' };
  if (unit in TIME_MUL) return { value: x * TIME_MUL[unit], unit, kind: 'time' };
  if (unit in BYTES) {
    const bytes = x * BYTES[unit];
    return { value: catalogUnit(metric) === 'mebibytes' ? bytes / 2 ** 20 : bytes, unit, kind: 'bytes' };
  }
  if (unit in SHORT) return { value: x * SHORT[unit], unit, kind: 'short' };
  if (PLAIN.has(unit)) return { value: x, unit, kind: 'plain' };
  return undefined;
}
