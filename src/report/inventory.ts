// The per-metric table (kind, unit, series, samples, min/mean/max) shared by `inspect` and reports.

import type { z } from 'zod';
import type { InventorySchema } from '../model/result.js';
import { int, num, table } from './format.js';
import { codeCell, mdText } from './escape.js';

export function renderInventory(inv: z.infer<typeof InventorySchema>): string {
  if (inv.metrics.length === 0) return 'No metric samples were read.';
  return table(
    ['metric', 'kind', 'unit', 'series', 'samples', 'min', 'mean', 'max'],
    inv.metrics.map((m) => [codeCell(m.name) + (m.v0Only ? ' (v0 engine)' : ''), mdText(m.kind), mdText(m.unit), int(m.series), int(m.samples), num(m.min), num(m.mean), num(m.max)]),
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r'],
  );
}
