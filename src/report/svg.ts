// One chart as a self-contained SVG (renders on GitHub and in any viewer). Pure: the same spec gives
// the same bytes. Every text goes through xmlText() (./escape.ts); numbers through num() or toFixed.
//
// Axes: series whose label ends in ` [unit]` with a unit other than spec.unit are secondary. One
// secondary unit gets its own right axis; several are each scaled to their own maximum (right axis
// in % of max, the max in the legend). Everything else is on the left axis in spec.unit.

import type { ChartSpec } from '../model/chart-spec.js';
import { num } from './format.js';
import { xmlText as xml } from './escape.js';

const W = 800;
const H = 260;
const TOP = 58;
const BOTTOM = 214;
const LEFT = 64;
/** Series colours; red is kept for shading and the threshold. */
const COLORS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f'];
/** Time tick steps, seconds. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800, 2592000];

const f1 = (x: number): string => (Math.round(x * 10) / 10 + 0).toFixed(1);

interface Scale {
  lo: number;
  hi: number;
  ticks: number[];
}

/** Nice ticks (1, 2, 2.5, 5 × 10^k) covering [min, max], from 0 when all values are ≥ 0. */
export function niceScale(min: number, max: number): Scale {
  let lo = min >= 0 ? 0 : min;
  let hi = max;
  if (!(hi > lo)) hi = lo === 0 ? 1 : lo + Math.abs(lo);
  if (!(hi > lo)) hi = lo + 1;
  const raw = (hi - lo) / 4;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * p).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * p;
  lo = Math.floor(lo / step + 1e-9) * step;
  hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = 0; lo + i * step <= hi + step * 1e-9; i++) ticks.push(Number((lo + i * step).toPrecision(12)));
  return { lo, hi, ticks };
}

function unitOfLabel(label: string): string | null {
  const m = /\[([^\]]+)\]\s*$/.exec(label);
  return m ? m[1] : null;
}

function utcParts(seconds: number): { date: string; hm: string; hms: string; md: string } {
  const iso = new Date(Math.round(seconds) * 1000).toISOString();
  return { date: iso.slice(0, 10), hm: iso.slice(11, 16), hms: iso.slice(11, 19), md: iso.slice(5, 10) };
}

function minMax(values: (number | null)[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v === null || !Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

export function renderChartSvg(spec: ChartSpec): string {
  // Axis groups.
  const unitOf = (label: string) => unitOfLabel(label) ?? spec.unit;
  const secondaryUnits: string[] = [];
  let leftUnit = spec.unit;
  if (!spec.series.some((s) => unitOf(s.label) === spec.unit) && spec.series.length) leftUnit = unitOf(spec.series[0].label);
  for (const s of spec.series) {
    const u = unitOf(s.label);
    if (u !== leftUnit && !secondaryUnits.includes(u)) secondaryUnits.push(u);
  }
  const hasRight = secondaryUnits.length > 0;
  const RIGHT = hasRight ? W - 64 : W - 24;

  // Time range.
  let t0 = Infinity;
  let t1 = -Infinity;
  for (const s of spec.series) for (let i = 0; i < s.t.length; i++) if (s.v[i] !== null && s.v[i] !== undefined) {
    if (s.t[i] < t0) t0 = s.t[i];
    if (s.t[i] > t1) t1 = s.t[i];
  }
  if (t0 === Infinity) for (const s of spec.series) for (const t of s.t) { t0 = Math.min(t0, t); t1 = Math.max(t1, t); }
  const hasTime = Number.isFinite(t0);
  if (!hasTime) { t0 = 0; t1 = 1; }
  if (t1 <= t0) { t0 -= 30; t1 += 30; }
  const x = (t: number) => LEFT + ((t - t0) / (t1 - t0)) * (RIGHT - LEFT);

  // Value scales.
  const leftValues: (number | null)[] = [];
  for (const s of spec.series) if (unitOf(s.label) === leftUnit) leftValues.push(...s.v);
  if (spec.threshold && leftUnit === spec.unit) leftValues.push(spec.threshold.value);
  const [lmin, lmax] = minMax(leftValues);
  const left = niceScale(Number.isFinite(lmin) ? lmin : 0, Number.isFinite(lmax) ? lmax : 1);
  const scaleOf = new Map<string, Scale>();
  const maxOf = new Map<string, number>();
  scaleOf.set(leftUnit, left);
  for (const u of secondaryUnits) {
    const vals: (number | null)[] = [];
    for (const s of spec.series) if (unitOf(s.label) === u) vals.push(...s.v);
    const [mn, mx] = minMax(vals);
    maxOf.set(u, mx);
    if (secondaryUnits.length === 1) scaleOf.set(u, niceScale(Number.isFinite(mn) ? mn : 0, Number.isFinite(mx) ? mx : 1));
    else {
      const lo = Number.isFinite(mn) && mn < 0 ? mn : 0;
      const hi = Number.isFinite(mx) && mx > lo ? mx : lo + 1;
      scaleOf.set(u, { lo, hi, ticks: [] });
    }
  }
  const y = (v: number, sc: Scale) => BOTTOM - ((v - sc.lo) / (sc.hi - sc.lo)) * (BOTTOM - TOP);

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${xml(spec.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(`<text x="12" y="18" font-size="14" font-weight="bold" fill="#222222">${xml(spec.title)}</text>`);

  // Shaded windows (clamped to the plot; skipped when fully outside).
  for (const sh of spec.shaded) {
    const a = Math.max(t0, Math.min(sh.startSeconds, sh.endSeconds));
    const b = Math.min(t1, Math.max(sh.startSeconds, sh.endSeconds));
    if (!(b >= a)) continue;
    const xa = x(a);
    const w = Math.max(2, x(b) - xa);
    out.push(`<rect class="shade" x="${f1(xa)}" y="${TOP}" width="${f1(w)}" height="${BOTTOM - TOP}" fill="#d62728" fill-opacity="0.12"><title>${xml(sh.label)}</title></rect>`);
  }

  // Left axis: grid lines and ticks.
  for (const v of left.ticks) {
    const yy = f1(y(v, left));
    out.push(`<line x1="${LEFT}" y1="${yy}" x2="${RIGHT}" y2="${yy}" stroke="#e6e6e6" stroke-width="1"/>`);
    out.push(`<text x="${LEFT - 6}" y="${yy}" dy="3.5" text-anchor="end" fill="#444444">${xml(num(v))}</text>`);
  }
  out.push(`<text x="${LEFT - 6}" y="${TOP - 6}" text-anchor="end" font-size="10" fill="#444444">${xml(leftUnit)}</text>`);

  // Right axis.
  if (hasRight) {
    if (secondaryUnits.length === 1) {
      const sc = scaleOf.get(secondaryUnits[0])!;
      for (const v of sc.ticks) out.push(`<text x="${RIGHT + 6}" y="${f1(y(v, sc))}" dy="3.5" text-anchor="start" fill="#444444">${xml(num(v))}</text>`);
      out.push(`<text x="${RIGHT + 6}" y="${TOP - 6}" text-anchor="start" font-size="10" fill="#444444">${xml(secondaryUnits[0])}</text>`);
    } else {
      const pctScale: Scale = { lo: 0, hi: 100, ticks: [0, 25, 50, 75, 100] };
      for (const v of pctScale.ticks) out.push(`<text x="${RIGHT + 6}" y="${f1(y(v, pctScale))}" dy="3.5" text-anchor="start" fill="#444444">${v}%</text>`);
      out.push(`<text x="${RIGHT + 6}" y="${TOP - 6}" text-anchor="start" font-size="10" fill="#444444">% of max</text>`);
    }
    out.push(`<line x1="${RIGHT}" y1="${TOP}" x2="${RIGHT}" y2="${BOTTOM}" stroke="#888888" stroke-width="1"/>`);
  }

  // Time axis: 4–6 ticks at round UTC times, the date once.
  out.push(`<line x1="${LEFT}" y1="${TOP}" x2="${LEFT}" y2="${BOTTOM}" stroke="#888888" stroke-width="1"/>`);
  out.push(`<line x1="${LEFT}" y1="${BOTTOM}" x2="${RIGHT}" y2="${BOTTOM}" stroke="#888888" stroke-width="1"/>`);
  if (hasTime) {
    const span = t1 - t0;
    const step = TIME_STEPS.find((s) => Math.floor(span / s) + 1 <= 6) ?? Math.ceil(span / 5);
    for (let t = Math.ceil(t0 / step) * step; t <= t1 + 1e-9; t += step) {
      const p = utcParts(t);
      const label = step < 60 ? p.hms : step >= 86400 ? p.md : p.hm;
      const xx = f1(x(t));
      out.push(`<line x1="${xx}" y1="${BOTTOM}" x2="${xx}" y2="${BOTTOM + 4}" stroke="#888888" stroke-width="1"/>`);
      out.push(`<text x="${xx}" y="${BOTTOM + 15}" text-anchor="middle" fill="#444444">${xml(label)}</text>`);
    }
    const d0 = utcParts(t0).date;
    const d1 = utcParts(t1).date;
    out.push(`<text x="${LEFT}" y="${H - 10}" font-size="10" fill="#666666">${xml(d0 === d1 ? `UTC, ${d0}` : `UTC, ${d0} to ${d1}`)}</text>`);
  }

  // Threshold.
  if (spec.threshold && Number.isFinite(spec.threshold.value)) {
    const yy = f1(y(spec.threshold.value, left));
    out.push(`<line x1="${LEFT}" y1="${yy}" x2="${RIGHT}" y2="${yy}" stroke="#d62728" stroke-width="1.5" stroke-dasharray="6 4"/>`);
    out.push(`<text x="${RIGHT - 4}" y="${yy}" dy="-4" text-anchor="end" font-size="10" fill="#d62728">${xml(`${spec.threshold.label} ${num(spec.threshold.value)} ${spec.unit}`)}</text>`);
  }

  // Series: one polyline per contiguous non-null run.
  let any = false;
  spec.series.forEach((s, k) => {
    const color = COLORS[k % COLORS.length];
    const u = unitOf(s.label);
    const sc = scaleOf.get(u)!;
    let run: string[] = [];
    const flush = () => {
      if (!run.length) return;
      out.push(`<polyline fill="none" stroke="${color}" stroke-width="1.5" stroke-linejoin="round" points="${run.join(' ')}"/>`);
      if (run.length === 1) {
        const [cx, cy] = run[0].split(',');
        out.push(`<circle cx="${cx}" cy="${cy}" r="1.5" fill="${color}"/>`);
      }
      run = [];
    };
    const n = Math.min(s.t.length, s.v.length);
    for (let i = 0; i < n; i++) {
      const v = s.v[i];
      if (v === null || !Number.isFinite(v)) {
        flush();
        continue;
      }
      any = true;
      run.push(`${f1(x(s.t[i]))},${f1(y(v, sc))}`);
    }
    flush();
  });
  if (!any) out.push(`<text x="${f1((LEFT + RIGHT) / 2)}" y="${f1((TOP + BOTTOM) / 2)}" text-anchor="middle" fill="#888888">no data</text>`);

  // Legend: one row above the plot; labels are shortened until the row fits.
  const labels = spec.series.map((s) => {
    const u = unitOf(s.label);
    return secondaryUnits.length > 1 && u !== leftUnit ? `${s.label} (max ${num(maxOf.get(u))})` : s.label;
  });
  const itemWidth = (l: string) => 20 + Math.ceil(l.length * 6.2) + 14;
  let maxChars = 60;
  const cut = (l: string) => (l.length > maxChars ? `${l.slice(0, maxChars - 1)}…` : l);
  while (maxChars > 10 && labels.reduce((a, l) => a + itemWidth(cut(l)), 0) > W - 12 - LEFT) maxChars--;
  let lx = LEFT;
  labels.forEach((l, k) => {
    const color = COLORS[k % COLORS.length];
    const label = cut(l);
    out.push(`<line x1="${lx}" y1="32" x2="${lx + 16}" y2="32" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${lx + 20}" y="36" fill="#222222">${xml(label)}</text>`);
    lx += itemWidth(label);
  });
  if (spec.shaded.length) {
    out.push(`<rect x="${RIGHT - 150}" y="241" width="12" height="10" fill="#d62728" fill-opacity="0.12"/>`);
    out.push(`<text x="${RIGHT}" y="250" text-anchor="end" font-size="10" fill="#666666">anomaly / finding window</text>`);
  }

  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
