// Sample arrays kept in SharedArrayBuffers: analysis worker threads (src/analysis/parallel.ts) read the
// stored series of the main thread without a copy. Reading and writing them is ordinary typed-array
// access; nothing writes a series after ingest (Series says so), so no atomics are needed.

/** An Int32Array of `n` zeros in shared memory. */
export function sharedInt32(n: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(n * 4));
}

/** A Float64Array of `n` zeros in shared memory. */
export function sharedFloat64(n: number): Float64Array {
  return new Float64Array(new SharedArrayBuffer(n * 8));
}

/** A shared copy of `a` (the same type and values; `slice()` would give unshared memory). */
export function sharedCopy<A extends Float64Array | Int32Array>(a: A): A {
  const c = (a instanceof Int32Array ? sharedInt32(a.length) : sharedFloat64(a.length)) as A;
  c.set(a);
  return c;
}

/** Whether the array's memory is shared (another thread given it reads the same bytes). */
export function isShared(a: ArrayBufferView): boolean {
  return a.buffer instanceof SharedArrayBuffer;
}
