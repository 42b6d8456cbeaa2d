// All outputs of one analysis, rendered from the Result: Markdown, JSON, SVG charts.

import type { Artifacts } from '../model/artifacts.js';
import type { Result } from '../model/result.js';
import { renderMarkdown } from './markdown.js';
import { renderGpuSection } from './gpu-section.js';
import { renderAlertsSection } from './alerts-section.js';
import { renderClientSection } from './client-section.js';
import { renderQualitySection } from './quality-section.js';
import { renderChartSvg } from './svg.js';
import { renderCapacitySection } from './capacity-section.js';

export interface RenderOptions {
  charts: boolean;
  json: boolean;
  outDir: string;
}

export function renderReport(result: Result, _artifacts: Artifacts, opts: RenderOptions): { name: string; content: string }[] {
  const files: { name: string; content: string }[] = [];
  const extraSections = [...(result.capacityReview ? [renderCapacitySection(result.capacityReview)] : []), ...(result.quality ? [renderQualitySection(result.quality)] : []), ...(result.gpu ? [renderGpuSection(result.gpu)] : []), ...(result.client ? [renderClientSection(result.client)] : []), ...(result.alerts ? [renderAlertsSection(result.alerts)] : [])];
  files.push({ name: `${result.name}.md`, content: renderMarkdown(result, { charts: opts.charts, ...(extraSections.length ? { extraSections } : {}) }) });
  if (opts.charts) for (const c of result.charts) files.push({ name: c.file, content: renderChartSvg(c) });
  if (opts.json) files.push({ name: `${result.name}.json`, content: `${JSON.stringify(result, null, 2)}\n` });
  return files;
}
