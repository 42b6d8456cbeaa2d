// A chart of the report, as data: built by src/derive/charts.ts, drawn by src/report/svg.ts.

export interface ChartSpec {
  file: string;
  title: string;
  finding?: string;
  scope: string;
  unit: string;
  series: { label: string; t: number[]; v: (number | null)[] }[];
  shaded: { startSeconds: number; endSeconds: number; label: string }[];
  threshold?: { value: number; label: string };
}
