// torch `prof.key_averages().table()` text, as printed by torch and by vLLM's workers. Columns are
// found from the dashed separator line (one run of dashes per column), so any column set and any
// name width works: the current layout (Self CPU %, …, Self CUDA, Self CUDA %, CUDA total, CUDA time
// avg, # of Calls), CPU-only tables, and older ones (CUDA total %, Number of Calls). Lines may carry
// a process prefix — `(VllmWorker TP0 pid=…) `, `(EngineCore_0 pid=…) ` — and the tables of several
// workers may interleave; each prefix is followed on its own. One table → one KernelProfile.
// Per-kernel time is the `Self <device>` column: it sums to the `Self CUDA time total` footer, so
// nothing is counted twice. Without a Self column (old torch) the inclusive `CUDA total` is used and
// the profile says so. Summary only: idle time is unknown unless --wall-seconds is given.

import { InputError } from '../errors.js';
import type { KernelProfile, KernelStat } from '../model/profile.js';
import type { Adapter, AdapterResult, IngestContext } from './adapter.js';
import type { InputSource } from './source.js';
import { KernelClassifier } from './profile/classify.js';
import { keyAveragesFormat } from './sniff/profile.js';

const PREFIX_RE = /^\(([^()]*?pid=\d+[^()]*)\) ?/;
// eslint-disable-next-line no-control-regex
const ANSI_RE = /\x1b\[[0-9;]*m/g;
const DASHES_RE = /^-{3,}(?: {1,}-{3,})+ *$/;
const DEVICE = '(?:CUDA|GPU|XPU|Device|MTIA|HPU|MPS|PrivateUse1)';
const FOOTER_RE = new RegExp(`^Self (CPU|${DEVICE}) time total:\\s*([\\d.]+\\s*(?:s|ms|us|µs|ns))\\s*$`);

type Role = 'name' | 'self' | 'total' | 'avg' | 'calls' | 'cpu';

function roleOf(header: string): Role | undefined {
  const h = header.trim();
  if (h === 'Name') return 'name';
  if (h === 'Self CPU' || h === 'CPU total') return 'cpu';
  if (new RegExp(`^Self ${DEVICE}$`).test(h)) return 'self';
  if (new RegExp(`^${DEVICE} total$`).test(h)) return 'total';
  if (new RegExp(`^${DEVICE} time avg$`).test(h)) return 'avg';
  if (h === '# of Calls' || h === 'Number of Calls') return 'calls';
  return undefined;
}

/** `1.234ms`, `12.979us`, `2.5s`, `100ns` → ns. */
export function parseTimeCell(text: string): number | undefined {
  const m = /^(-?\d+(?:\.\d+)?)\s*(s|ms|us|µs|ns)$/.exec(text.trim());
  if (!m) return undefined;
  const mult = m[2] === 's' ? 1e9 : m[2] === 'ms' ? 1e6 : m[2] === 'ns' ? 1 : 1e3;
  return Math.round(Number(m[1]) * mult);
}

interface TableState {
  /** 0: waiting for a dashed line; 1: expecting the header; 2: expecting the 2nd dashed line; 3: rows; 4: footer */
  stage: 0 | 1 | 2 | 3 | 4;
  spans: [number, number][];
  roles: (Role | undefined)[];
  headers: string[];
  rows: { name: string; selfNs?: number; totalNs?: number; cpuNs?: number; calls: number; line: number }[];
  footer: Record<string, number>;
  startLine: number;
}

interface ParsedTable {
  prefix: string;
  headers: string[];
  hasDevice: boolean;
  usesSelf: boolean;
  rows: TableState['rows'];
  deviceTotalNs?: number;
  startLine: number;
  /** Whether the table ended with its `Self … time total` footer (a table without one was cut short). */
  complete: boolean;
  /** The last line the table was seen on (1-based). */
  endLine: number;
}

function newState(): TableState {
  return { stage: 0, spans: [], roles: [], headers: [], rows: [], footer: {}, startLine: 0 };
}

function spansOf(dashes: string): [number, number][] {
  const out: [number, number][] = [];
  const re = /-+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(dashes))) out.push([m.index, m.index + m[0].length]);
  return out;
}

function cell(line: string, span: [number, number]): string {
  return line.slice(span[0], span[1]).trim();
}

/** A right-aligned value ends at its column's end; it may overflow to the left, never contain blanks. */
function rightAligned(line: string, span: [number, number]): string {
  let e = Math.min(span[1], line.length);
  while (e > 0 && line[e - 1] === ' ') e--;
  if (e <= span[0] - 2) return '';
  let s = e;
  while (s > 0 && line[s - 1] !== ' ') s--;
  return line.slice(s, e);
}

/** Parse every table in the text. Exported for tests. */
export function parseKeyAveragesText(text: string, display: string): ParsedTable[] {
  const states = new Map<string, TableState>();
  const done: ParsedTable[] = [];
  const lines = text.split(/\r?\n/);
  const close = (prefix: string, st: TableState): void => {
    const hasDevice = st.roles.includes('self') || st.roles.includes('total');
    const complete = Object.keys(st.footer).length > 0;
    const endLine = st.rows.length ? st.rows[st.rows.length - 1].line : st.startLine;
    const t: ParsedTable = { prefix, headers: st.headers, hasDevice, usesSelf: st.roles.includes('self'), rows: st.rows, startLine: st.startLine, complete, endLine };
    const dev = Object.entries(st.footer).find(([k]) => k !== 'CPU');
    if (dev) t.deviceTotalNs = dev[1];
    done.push(t);
  };
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i].replace(ANSI_RE, '');
    let prefix = '';
    const pm = PREFIX_RE.exec(line);
    if (pm) {
      prefix = pm[1];
      line = line.slice(pm[0].length);
    }
    let st = states.get(prefix);
    if (!st) states.set(prefix, (st = newState()));
    const isDashes = DASHES_RE.test(line);
    switch (st.stage) {
      case 0:
      case 4: {
        if (st.stage === 4) {
          const f = FOOTER_RE.exec(line.trim());
          if (f) {
            st.footer[f[1]] = parseTimeCell(f[2]) ?? 0;
            continue;
          }
          close(prefix, st);
          states.set(prefix, (st = newState()));
        }
        if (isDashes) {
          st.spans = spansOf(line);
          st.stage = 1;
          st.startLine = i + 1;
        }
        break;
      }
      case 1: {
        // Headers longer than their column (`CUDA time avg` is 13 wide in a 12-wide column) push the
        // rest of the header line right, so headers are split at runs of 2+ blanks, not by span.
        const tokens = line.trim().split(/\s{2,}/);
        const headers = tokens.length === st.spans.length ? tokens : st.spans.map((s) => cell(line, s));
        const roles = headers.map(roleOf);
        if (roles[0] !== 'name') {
          st.stage = isDashes ? 1 : 0; // not a key_averages table after all
          if (isDashes) st.spans = spansOf(line);
          break;
        }
        if (!roles.includes('calls')) {
          throw new InputError({ code: 'PROFILE_TABLE', file: display, position: { line: i + 1 }, message: 'key_averages table without a `# of Calls` column', hint: 'print the table with its default columns' });
        }
        st.headers = headers;
        st.roles = roles;
        st.stage = 2;
        break;
      }
      case 2:
        if (!isDashes) throw new InputError({ code: 'PROFILE_TABLE', file: display, position: { line: i + 1 }, message: 'expected the dashed line under the table header', hint: 'the table looks cut; paste it whole' });
        st.stage = 3;
        break;
      case 3: {
        if (isDashes) {
          st.stage = 4;
          break;
        }
        if (line.trim() === '') {
          // a table cut short: keep what was read
          close(prefix, st);
          states.set(prefix, newState());
          break;
        }
        const row: TableState['rows'][number] = { name: '', calls: 0, line: i + 1 };
        for (let c = 0; c < st.spans.length; c++) {
          const role = st.roles[c];
          if (!role) continue;
          // The last column may be followed by text on the same line; the name column may start
          // before its span when a prefix was 1 char off: take the name as everything up to the next span.
          const text = role === 'name' ? cell(line, [0, st.spans[1]?.[0] ?? line.length]) : rightAligned(line, st.spans[c]);
          if (role === 'name') row.name = text;
          else if (role === 'calls') {
            const n = Number(text.replace(/,/g, ''));
            if (!Number.isFinite(n)) throw new InputError({ code: 'PROFILE_TABLE', file: display, position: { line: i + 1, column: st.headers[c] }, message: `calls cell ${JSON.stringify(text)} is not a number`, hint: 'the row looks cut or shifted' });
            row.calls = n;
          } else if (role === 'cpu') {
            // CPU time tells an op (it ran on the host) from a device activity (a kernel, a copy).
            const ns = parseTimeCell(text);
            if (ns !== undefined) row.cpuNs = Math.max(row.cpuNs ?? 0, ns);
          } else if (role === 'self' || role === 'total') {
            const ns = parseTimeCell(text);
            if (ns === undefined) throw new InputError({ code: 'PROFILE_TABLE', file: display, position: { line: i + 1, column: st.headers[c] }, message: `time cell ${JSON.stringify(text)} is not a duration`, hint: 'time cells look like 1.234ms, 12.979us or 2.5s' });
            if (role === 'self') row.selfNs = ns;
            else row.totalNs = ns;
          }
        }
        st.rows.push(row);
        break;
      }
    }
  }
  for (const [prefix, st] of states) if (st.stage >= 3) close(prefix, st);
  return done;
}

function rankOf(prefix: string, index: number): number {
  const m = /\bTP(\d+)\b/.exec(prefix) ?? /\brank[ =_]?(\d+)/i.exec(prefix) ?? /Worker[_ ]?(\d+)/.exec(prefix) ?? /_(\d+)\b/.exec(prefix);
  return m ? Number(m[1]) : index;
}

export function keyAveragesProfiles(tables: ParsedTable[], display: string, classifier: KernelClassifier, wallSeconds?: number): KernelProfile[] {
  const out: KernelProfile[] = [];
  tables.forEach((t, idx) => {
    const p: KernelProfile = { file: display, format: 'key-averages', kernels: [], rank: rankOf(t.prefix, idx) };
    const notes: string[] = [];
    if (t.prefix) notes.push(`table printed by (${t.prefix})`);
    if (!t.hasDevice) {
      p.gpuActivity = false;
      notes.push('no GPU activity: CPU-only key_averages table');
      p.notes = notes;
      out.push(p);
      return;
    }
    const kernels: KernelStat[] = [];
    let sum = 0;
    // Which rows are device activities. Since torch 2.x an op's Self CUDA is the time of the kernels it
    // launched, which also have rows of their own: an op (a row with CPU time) is never a kernel. A
    // record_function range also has a device-side row (its span on the GPU timeline, CPU time 0) under
    // the same name as its host row, longer than the device time of everything else: not a kernel either.
    // Old torch (use_cuda=True) printed ops only, their CUDA time measured around each op: when no row is
    // a device activity of its own (device time, no CPU time), the op rows are what there is.
    const kernelRows = t.rows.some((r) => (t.usesSelf ? r.selfNs : r.totalNs) && r.cpuNs === 0); // kernel rows exist
    // Host rows' own device time by name. Inductor launches each Triton kernel inside a host record of
    // the kernel's name, whose Self CUDA is that kernel's time: a device row matching such a record is a
    // kernel. A range's host record launches nothing itself (Self CUDA 0 or another figure).
    const hostSelf = new Map<string, number[]>();
    for (const r of t.rows) {
      if ((r.cpuNs ?? 0) <= 0) continue;
      const list = hostSelf.get(r.name) ?? [];
      list.push((t.usesSelf ? r.selfNs : r.totalNs) ?? 0);
      hostSelf.set(r.name, list);
    }
    const isRange = (name: string, ns: number): boolean => {
      if (t.deviceTotalNs !== undefined && ns > t.deviceTotalNs) return true;
      const host = hostSelf.get(name);
      return host !== undefined && !host.some((h) => Math.abs(h - ns) <= Math.max(1000, 0.01 * ns));
    };
    let ops = 0;
    let ranges = 0;
    for (const r of t.rows) {
      const ns = t.usesSelf ? r.selfNs : r.totalNs;
      if (!ns) continue; // rows without device time (runtime calls, CPU-only ops)
      if (kernelRows && (r.cpuNs ?? 0) > 0) {
        ops++;
        continue;
      }
      if (kernelRows && isRange(r.name, ns)) {
        ranges++;
        continue;
      }
      const c = classifier.classify(r.name.replace(/\.\.\.$/, ''));
      const k: KernelStat = { name: r.name, category: c.category, device: String(p.rank), count: r.calls, totalNs: ns };
      if (c.sub !== undefined) k.sub = c.sub;
      kernels.push(k);
      sum += ns;
    }
    if (ops) notes.push(`${ops} op row${ops === 1 ? '' : 's'} with device time (the kernels they launched, listed as rows of their own) not counted again`);
    if (ranges) notes.push(`${ranges} record_function range${ranges === 1 ? '' : 's'} on the GPU timeline not counted as kernels`);
    if (!t.usesSelf) notes.push('old layout without a Self CUDA column: inclusive CUDA totals used, nested ops may be counted twice');
    if (t.deviceTotalNs !== undefined && t.deviceTotalNs > sum) {
      const rest = t.deviceTotalNs - sum;
      // Tables printed with row_limit list only the top rows; the rest of the device time is real but unnamed.
      if (rest > 0.0005 * t.deviceTotalNs) {
        kernels.push({ name: '(rows not listed in the table)', category: 'other', sub: 'unlisted', device: String(p.rank), count: 0, totalNs: rest });
        notes.push(`the table lists ${(100 * sum / t.deviceTotalNs).toFixed(1)}% of the Self CUDA time total; the rest is counted as other (unlisted)`);
      }
    }
    kernels.sort((a, b) => b.totalNs - a.totalNs || (a.name < b.name ? -1 : 1));
    p.kernels = kernels;
    p.gpuActivity = kernels.length > 0;
    if (wallSeconds !== undefined) p.wallNs = Math.round(wallSeconds * 1e9);
    if (notes.length) p.notes = notes;
    out.push(p);
  });
  return out;
}

export const keyAveragesAdapter: Adapter = {
  ...keyAveragesFormat,
  read: async (src: InputSource, ctx: IngestContext): Promise<AdapterResult> => {
    const text = (await src.bytes()).toString('utf8');
    const tables = parseKeyAveragesText(text, src.display);
    if (tables.length === 0) {
      throw new InputError({ code: 'PROFILE_TABLE', file: src.display, message: 'no key_averages table found', hint: 'expected a dashed line, a header starting with Name, a dashed line, rows' });
    }
    // A table without its footer was cut short (a log excerpt, a truncated paste): its first rows alone
    // would read as the whole profile (ATTENTION_BOUND 100 % from nine lines). Refused, not guessed.
    const cut = tables.find((t) => !t.complete);
    if (cut) {
      throw new InputError({
        code: 'PROFILE_TABLE',
        file: src.display,
        position: { line: cut.endLine },
        message: `key_averages table${cut.prefix ? ` of (${cut.prefix})` : ''} starting at line ${cut.startLine} ends without its "Self CPU/CUDA time total" footer: it looks cut short`,
        hint: 'paste the whole table, down to the "Self CUDA time total" line',
      });
    }
    const classifier = KernelClassifier.fromOptions(ctx.options);
    const profiles = keyAveragesProfiles(tables, src.display, classifier, ctx.options.wallSeconds);
    for (const p of profiles) ctx.addProfile(p);
    const gpu = profiles.filter((p) => p.gpuActivity).length;
    return { detail: `${tables.length} key_averages table(s)${gpu < tables.length ? `, ${tables.length - gpu} CPU-only` : ''}; summary only, no timeline` };
  },
};
