// mulberry32: a small seeded PRNG, for reproducible sampling (Theil–Sen pair draws) and for the
// seeded synthetic inputs of benchmarks and tests. Not for the simulator (src/simulate/rng.ts has
// its own generator with distributions).

/** Uniform [0, 1) numbers from a 32-bit seed; the same sequence on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Standard normal draws (Box–Muller) from a seeded uniform source. */
export function normal(seed: number): () => number {
  const u = mulberry32(seed);
  return () => {
    let a = u();
    while (a === 0) a = u();
    return Math.sqrt(-2 * Math.log(a)) * Math.cos(2 * Math.PI * u());
  };
}
