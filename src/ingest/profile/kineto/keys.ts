// What the scanner recognises from bytes: an event's category (from the `cat` string) and the event
// keys it reads (`ph`, `cat`, `name`, `pid`, `tid`, `ts`, `dur`, `args`), each without building a string.

import { Ch, eqBytes } from './bytes.js';

/** Event category, decided from the `cat` bytes. */
export const enum Cat {
  None = 0,
  Kernel = 1,
  Memcpy = 2,
  Memset = 3,
  Runtime = 4,
  Other = 5,
  /** A CPU operator (`cpu_op`, 2021 `Operator`): read only when the scanner is asked to. */
  CpuOp = 6,
}

const L_GPU_MEMCPY = Buffer.from('gpu_memcpy');
const L_GPU_MEMSET = Buffer.from('gpu_memset');
const L_RUNTIME = Buffer.from('Runtime');
const L_CUDA_RUNTIME = Buffer.from('cuda_runtime');
const L_CUDA_DRIVER = Buffer.from('cuda_driver');
const L_CPU_OP = Buffer.from('cpu_op');
const L_OPERATOR = Buffer.from('Operator');

/** Keys read inside `args`. */
export const L_GRAPH_ID = Buffer.from('graph id');
export const L_DEVICE = Buffer.from('device');
export const L_STREAM = Buffer.from('stream');
export const L_CORRELATION = Buffer.from('correlation');
export const L_EXTERNAL_ID = Buffer.from('External id');
export const L_EXTERNAL_ID_OLD = Buffer.from('external id');

/** The name bytes contain "Graph" (cudaGraphLaunch, hipGraphLaunch): such runtime calls need their correlation id. */
export function hasGraph(b: Buffer, s: number, e: number): boolean {
  for (let i = s; i + 5 <= e; i++) if (b[i] === 71 && b[i + 1] === 114 && b[i + 2] === 97 && b[i + 3] === 112 && b[i + 4] === 104) return true;
  return false;
}

export function catOf(b: Buffer, s: number, e: number, cpuOps: boolean): Cat {
  const n = e - s;
  const c0 = b[s];
  switch (n) {
    case 8:
      return cpuOps && c0 === 79 && eqBytes(b, s, e, L_OPERATOR) ? Cat.CpuOp : Cat.Other;
    case 6:
      if (c0 === 99) return cpuOps && eqBytes(b, s, e, L_CPU_OP) ? Cat.CpuOp : Cat.Other;
      // kernel / Kernel / Memcpy / Memset: first byte, then the rest
      if ((c0 === 107 || c0 === 75) && b[s + 1] === 101 && b[s + 2] === 114 && b[s + 3] === 110 && b[s + 4] === 101 && b[s + 5] === 108) return Cat.Kernel;
      if (c0 === 77 && b[s + 1] === 101 && b[s + 2] === 109) {
        if (b[s + 3] === 99 && b[s + 4] === 112 && b[s + 5] === 121) return Cat.Memcpy;
        if (b[s + 3] === 115 && b[s + 4] === 101 && b[s + 5] === 116) return Cat.Memset;
      }
      return Cat.Other;
    case 10:
      if (c0 !== 103) return Cat.Other;
      if (eqBytes(b, s, e, L_GPU_MEMCPY)) return Cat.Memcpy;
      if (eqBytes(b, s, e, L_GPU_MEMSET)) return Cat.Memset;
      return Cat.Other;
    case 7:
      return c0 === 82 && eqBytes(b, s, e, L_RUNTIME) ? Cat.Runtime : Cat.Other;
    case 12:
      return c0 === 99 && eqBytes(b, s, e, L_CUDA_RUNTIME) ? Cat.Runtime : Cat.Other;
    case 11:
      return c0 === 99 && eqBytes(b, s, e, L_CUDA_DRIVER) ? Cat.Runtime : Cat.Other;
    default:
      return Cat.Other;
  }
}

/** Event keys the scanner reads (their lengths: KEY_LEN in events.ts). */
export const enum Key {
  Other = 0,
  Ph = 1,
  Cat = 2,
  Name = 3,
  Pid = 4,
  Tid = 5,
  Ts = 6,
  Dur = 7,
  Args = 8,
}

/**
 * The known event key whose bytes start at `s` and whose closing quote follows them directly, else
 * Key.Other. Reads at most s+4 (callers guarantee it is inside the buffer). An escaped key never
 * matches: the byte at the expected closing position must be a bare quote, preceded by key letters.
 */
export function knownKey(b: Buffer, s: number): Key {
  switch (b[s]) {
    case 112: // p
      if (b[s + 1] === 104) return b[s + 2] === Ch.Quote ? Key.Ph : Key.Other;
      return b[s + 1] === 105 && b[s + 2] === 100 && b[s + 3] === Ch.Quote ? Key.Pid : Key.Other;
    case 99: // c
      return b[s + 1] === 97 && b[s + 2] === 116 && b[s + 3] === Ch.Quote ? Key.Cat : Key.Other;
    case 110: // n
      return b[s + 1] === 97 && b[s + 2] === 109 && b[s + 3] === 101 && b[s + 4] === Ch.Quote ? Key.Name : Key.Other;
    case 116: // t
      if (b[s + 1] === 115) return b[s + 2] === Ch.Quote ? Key.Ts : Key.Other;
      return b[s + 1] === 105 && b[s + 2] === 100 && b[s + 3] === Ch.Quote ? Key.Tid : Key.Other;
    case 100: // d
      return b[s + 1] === 117 && b[s + 2] === 114 && b[s + 3] === Ch.Quote ? Key.Dur : Key.Other;
    case 97: // a
      return b[s + 1] === 114 && b[s + 2] === 103 && b[s + 3] === 115 && b[s + 4] === Ch.Quote ? Key.Args : Key.Other;
    default:
      return Key.Other;
  }
}
