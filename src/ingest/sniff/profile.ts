// Content checks of the GPU-profile formats (Kineto trace, key_averages table, nsys stats CSV), apart
// from their readers so that sniffing loads neither the kernel classifier (zod) nor csv-parse.

import type { AdapterFormat } from '../adapter.js';

export const kinetoFormat: AdapterFormat = {
  id: 'kineto-trace',
  label: 'Kineto / torch.profiler chrome trace JSON',
  sniff: (_head, text) => {
    const t = text.trimStart();
    if (t.startsWith('{')) {
      if (/"traceEvents"\s*:/.test(text)) return true;
      return /"schemaVersion"\s*:/.test(text) && /"(deviceProperties|distributedInfo)"\s*:/.test(text);
    }
    if (t.startsWith('[')) return /^\[\s*\{/.test(t) && /"ph"\s*:/.test(text) && /"ts"\s*:/.test(text);
    return false;
  },
};

export const keyAveragesFormat: AdapterFormat = {
  id: 'key-averages',
  label: 'torch key_averages() table',
  sniff: (_head, text) => {
    // A dashed separator line followed by a header line whose first column is `Name` and that has a calls column.
    return /-{3,} +-{3,}[^\n]*\n[^\n]*\bName\b[^\n]*(?:# of Calls|Number of Calls)/.test(text);
  },
};

export type NsysKind = 'kern_sum' | 'gpu_trace' | 'api_sum';

/** A header cell with its spaces normalised. */
export const nsysNorm = (h: string): string => h.trim().replace(/\s+/g, ' ');

/** Which nsys stats report a CSV header belongs to. */
export function nsysKindOf(header: string[]): NsysKind | undefined {
  const h = new Set(header.map(nsysNorm));
  if (!h.has('Name')) return undefined;
  if ((h.has('Start (ns)') || h.has('Start')) && (h.has('Duration (ns)') || h.has('Duration'))) return 'gpu_trace';
  if (h.has('Instances') && (h.has('Total Time (ns)') || h.has('Total Time'))) return 'kern_sum';
  if (h.has('Num Calls') || h.has('Calls')) return 'api_sum';
  return undefined;
}

export function isNsysHeaderLine(line: string): boolean {
  return /(^|,)"?Name"?(,|$)/.test(line) && /(Total Time|Start|Duration|Instances|Num Calls)/.test(line);
}

export const nsysCsvFormat: AdapterFormat = {
  id: 'nsys-csv',
  label: 'Nsight Systems stats CSV',
  sniff: (_head, text) => {
    const lines = text.split(/\r?\n/, 200);
    return lines.some((l) => isNsysHeaderLine(l) && l.includes(',') && nsysKindOf(l.split(',').map((x) => x.replace(/^"|"$/g, ''))) !== undefined);
  },
};
