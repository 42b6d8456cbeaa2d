// Nsight Systems `nsys stats --format csv` output: the reports cuda_gpu_kern_sum (and the legacy
// gpukernsum), cuda_gpu_trace (legacy gputrace) and cuda_api_sum (legacy cudaapisum), alone or
// several in one file, each possibly preceded by the lines nsys prints before the header
// ("Generating SQLite file …", "Processing [...] with [...]...", " ** CUDA GPU Kernel Summary …").
// Kernel names are quoted and may contain commas (parsed with csv-parse). Times are nanoseconds.
// cuda_gpu_trace has a timeline (per-device busy/idle); the summaries do not (idle unknown unless
// --wall-seconds is given).

import { parse } from 'csv-parse/sync';
import { InputError } from '../errors.js';
import type { KernelProfile, KernelStat } from '../model/profile.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { KernelClassifier } from './profile/classify.js';
import { ProfileBuilder, type GpuActivityKind } from './profile/builder.js';
import { isNsysHeaderLine as isHeaderLine, nsysCsvFormat, nsysKindOf as kindOf, nsysNorm as norm, type NsysKind } from './sniff/profile.js';

type Kind = NsysKind;

interface Block {
  kind: Kind;
  header: string[];
  rows: string[][];
  /** 1-based line of the header. */
  line: number;
}

function num(s: string | undefined): number {
  if (s === undefined) return NaN;
  const t = s.trim().replace(/,/g, '');
  return t === '' ? NaN : Number(t);
}

/** Split the text into CSV blocks (header + rows), skipping the preamble lines. Exported for tests. */
export function nsysBlocks(text: string, display: string): Block[] {
  const lines = text.split(/\r?\n/);
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    if (!isHeaderLine(lines[i])) {
      i++;
      continue;
    }
    const start = i;
    let j = i + 1;
    // A block ends at a blank line or at the next preamble line. Quoted names never span lines.
    while (j < lines.length && lines[j].trim() !== '' && !/^(Processing \[|Generating |\s*\*\* |NOTICE:|SKIPPED:|\[\d+\/\d+\])/.test(lines[j])) j++;
    let records: string[][];
    try {
      records = parse(lines.slice(start, j).join('\n'), { relax_column_count: true, skip_empty_lines: true, trim: false }) as string[][];
    } catch (e) {
      const m = /line (\d+)/.exec((e as Error).message);
      throw new InputError({ code: 'CSV_SYNTAX', file: display, position: { line: start + (m ? Number(m[1]) : 1) }, message: `nsys CSV: ${(e as Error).message.split('\n')[0]}`, hint: 'quoted names must close their quotes' });
    }
    const header = records[0].map(norm);
    const kind = kindOf(header);
    if (kind) blocks.push({ kind, header, rows: records.slice(1), line: start + 1 });
    i = j;
  }
  return blocks;
}

function col(header: string[], ...names: string[]): number {
  for (const n of names) {
    const k = header.indexOf(n);
    if (k >= 0) return k;
  }
  return -1;
}

function deviceId(cell: string | undefined): string {
  if (cell === undefined || cell.trim() === '') return '0';
  const m = /\((\d+)\)\s*$/.exec(cell) ?? /^(\d+)$/.exec(cell.trim());
  return m ? m[1] : cell.trim();
}

export function nsysCsvProfile(blocks: Block[], display: string, classifier: KernelClassifier, wallSeconds?: number): KernelProfile {
  const trace = blocks.find((b) => b.kind === 'gpu_trace');
  const sum = blocks.find((b) => b.kind === 'kern_sum');
  const api = blocks.find((b) => b.kind === 'api_sum');
  const notes: string[] = [];
  let profile: KernelProfile;
  if (trace) {
    const h = trace.header;
    const cStart = col(h, 'Start (ns)', 'Start');
    const cDur = col(h, 'Duration (ns)', 'Duration');
    const cName = col(h, 'Name');
    const cDev = col(h, 'Device');
    const cStrm = col(h, 'Strm', 'Stream');
    const cCorr = col(h, 'CorrId', 'CorrID');
    const b = new ProfileBuilder(classifier);
    let origin = NaN;
    trace.rows.forEach((r, k) => {
      const start = num(r[cStart]);
      const dur = num(r[cDur]);
      const name = r[cName] ?? '';
      if (!Number.isFinite(start) || !Number.isFinite(dur)) {
        throw new InputError({ code: 'PROFILE_TABLE', file: display, position: { line: trace.line + 1 + k, column: !Number.isFinite(start) ? h[cStart] : h[cDur] }, message: 'cuda_gpu_trace row without a numeric start/duration', hint: 'export with `nsys stats --report cuda_gpu_trace --format csv`' });
      }
      if (origin !== origin) origin = start;
      const kind: GpuActivityKind = /^\[CUDA memset/.test(name) ? 'memset' : /^\[CUDA memcpy/.test(name) ? 'memcpy' : 'kernel';
      const corr = cCorr >= 0 ? num(r[cCorr]) : NaN;
      b.add(kind, deviceId(cDev >= 0 ? r[cDev] : undefined), cStrm >= 0 ? (r[cStrm] ?? '?').trim() : '0', name, start - origin, dur, Number.isFinite(corr) ? corr : undefined);
    });
    profile = b.finish({ file: display, format: 'nsys-csv' }, { timeline: true, launches: false });
    notes.push(`cuda_gpu_trace: ${trace.rows.length} GPU activities`);
  } else if (sum) {
    const h = sum.header;
    const cTotal = col(h, 'Total Time (ns)', 'Total Time');
    const cInst = col(h, 'Instances');
    const cMin = col(h, 'Min (ns)', 'Minimum (ns)', 'Minimum');
    const cMax = col(h, 'Max (ns)', 'Maximum (ns)', 'Maximum');
    const cName = col(h, 'Name');
    const kernels: KernelStat[] = sum.rows.map((r, k) => {
      const total = num(r[cTotal]);
      const count = num(r[cInst]);
      if (!Number.isFinite(total) || !Number.isFinite(count)) {
        throw new InputError({ code: 'PROFILE_TABLE', file: display, position: { line: sum.line + 1 + k, column: h[!Number.isFinite(total) ? cTotal : cInst] }, message: 'kernel summary row without numeric Total Time / Instances', hint: 'export with `nsys stats --report cuda_gpu_kern_sum --format csv`' });
      }
      const name = r[cName] ?? '';
      const c = classifier.classify(name);
      const st: KernelStat = { name, category: c.category, count, totalNs: total };
      if (c.sub !== undefined) st.sub = c.sub;
      const mn = num(r[cMin]);
      const mx = num(r[cMax]);
      if (Number.isFinite(mn)) st.minNs = mn;
      if (Number.isFinite(mx)) st.maxNs = mx;
      return st;
    });
    kernels.sort((a, b) => b.totalNs - a.totalNs || (a.name < b.name ? -1 : 1));
    profile = { file: display, format: 'nsys-csv', kernels, gpuActivity: kernels.length > 0 };
    notes.push(`cuda_gpu_kern_sum: ${kernels.length} kernels, summary only (no timeline)`);
    if (wallSeconds !== undefined) profile.wallNs = Math.round(wallSeconds * 1e9);
  } else {
    profile = { file: display, format: 'nsys-csv', kernels: [], gpuActivity: false };
    notes.push('no GPU kernel report in the file (only the CUDA API summary)');
  }
  if (api) {
    const h = api.header;
    const cName = col(h, 'Name');
    const cCalls = col(h, 'Num Calls', 'Calls');
    const cTotal = col(h, 'Total Time (ns)', 'Total Time');
    const launches = { launchCalls: 0, launchCallNs: 0, graphLaunches: 0, graphKernels: 0 };
    for (const r of api.rows) {
      const name = r[cName] ?? '';
      const calls = num(r[cCalls]);
      if (/GraphLaunch/.test(name)) launches.graphLaunches += calls || 0;
      else if (/Launch(?:Cooperative)?Kernel|LaunchKernelExC/.test(name)) {
        launches.launchCalls += calls || 0;
        launches.launchCallNs += num(r[cTotal]) || 0;
      }
    }
    profile.launches = launches;
  }
  profile.notes = notes;
  return profile;
}

export const nsysCsvAdapter: Adapter = {
  ...nsysCsvFormat,
  read: async (src: InputSource, ctx: IngestContext): Promise<AdapterResult> => {
    const text = (await src.bytes()).toString('utf8');
    const blocks = nsysBlocks(text, src.display);
    if (blocks.length === 0) throw new InputError({ code: 'PROFILE_TABLE', file: src.display, message: 'no nsys stats report found', hint: 'expected a CSV header with Name and Total Time (ns) or Start (ns)' });
    const p = nsysCsvProfile(blocks, src.display, KernelClassifier.fromOptions(ctx.options), ctx.options.wallSeconds);
    ctx.addProfile(p);
    return { detail: `nsys stats CSV: ${blocks.map((b) => b.kind).join(', ')}` };
  },
};
