// Seeded randomness for the package generator. Nothing here touches Math.random: the same seed must
// give byte-identical packages. Two kinds are needed:
//  - sequential streams (Rng, mulberry32) for one-off choices made in a fixed order (town centres, defects);
//  - stateless hashes of grid coordinates (hashUnit, valueNoise), so that any cell can compute its
//    neighbour's decisions without shared state — that is what lets the tessellation stream.

/** 32-bit avalanche mix (lowbias32 by C. Wellons). */
export function mix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Hash of up to four integers (negative values allowed) to an unsigned 32-bit integer. */
export function hash32(a: number, b = 0, c = 0, d = 0): number {
  let h = mix32((a | 0) ^ 0x9e3779b9);
  h = mix32(h ^ (b | 0));
  h = mix32(h ^ Math.imul(c | 0, 0x85ebca6b));
  h = mix32(h ^ Math.imul(d | 0, 0xc2b2ae35));
  return h;
}

/** Hash of up to four integers to a number in [0, 1). */
export function hashUnit(a: number, b = 0, c = 0, d = 0): number {
  return hash32(a, b, c, d) / 4294967296;
}

/** mulberry32: a small, fast, good-enough sequential PRNG. */
export function mulberry32(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

/** A sequential random stream with the helpers the generator needs. */
export class Rng {
  private readonly nextRaw: () => number;

  constructor(seed: number, stream = 0) {
    this.nextRaw = mulberry32(hash32(seed, stream, 0x5eed));
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextRaw();
  }

  /** Uniform in [lo, hi). */
  range(lo: number, hi: number): number {
    return lo + (hi - lo) * this.nextRaw();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.nextRaw() * n);
  }

  chance(p: number): boolean {
    return this.nextRaw() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('Rng.pick on an empty list');
    return items[this.int(items.length)]!;
  }
}

function smooth(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * Smooth value noise in [0, 1): random values on an integer lattice, interpolated with smoothstep.
 * x, y are in lattice units. Stateless, so it can be sampled anywhere in any order.
 */
export function valueNoise(seed: number, x: number, y: number): number {
  const x0 = Math.floor(x);
  const y0 = Math.floor(y);
  const tx = smooth(x - x0);
  const ty = smooth(y - y0);
  const v00 = hashUnit(seed, x0, y0, 0x17);
  const v10 = hashUnit(seed, x0 + 1, y0, 0x17);
  const v01 = hashUnit(seed, x0, y0 + 1, 0x17);
  const v11 = hashUnit(seed, x0 + 1, y0 + 1, 0x17);
  const a = v00 + (v10 - v00) * tx;
  const c = v01 + (v11 - v01) * tx;
  return a + (c - a) * ty;
}

/** Two-octave value noise in [0, 1), a little less blobby than one octave. */
export function fbm(seed: number, x: number, y: number): number {
  return (2 * valueNoise(seed, x, y) + valueNoise(seed ^ 0x2545f491, 2.03 * x + 17.1, 2.03 * y - 5.3)) / 3;
}
