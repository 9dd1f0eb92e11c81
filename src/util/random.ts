import { cos, log, sin } from './detMath.js';
import { badOption } from './errors.js';

/** A seeded random source; every algorithm that draws takes one, so results depend only on the seed. */
export interface Random {
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Fills `out` with uniform integers in [0, n) (n at most 2^31): the values of `out.length` calls of int(n), in order. */
  ints(n: number, out: Int32Array): Int32Array;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** A new independent stream derived from this one (for restarts and sub-tasks). */
  fork(): Random;
}

// splitmix32 expands the seed into sfc32's state (sfc32: Chris Doty-Humphrey's PractRand "small fast counting" generator).
function splitmix32(a: number): () => number {
  return () => {
    a = (a + 0x9e3779b9) | 0;
    let t = a ^ (a >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
}

/**
 * `createRandom(seed)` gives the same sequence for the same integer seed on every platform. A seed that fits 32 bits,
 * signed or unsigned (every seed forks and hashes make), starts the state from those bits as it always has, so -1 and
 * 2^32 - 1 are one seed; a seed beyond them also mixes in its high bits, so 2^32 + 1 runs neither as 1 nor as 0.
 */
export function createRandom(seed: number): Random {
  // NaN, undefined or a string would run as seed 0, the same draws every time
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw badOption('seed', seed, 'a finite number');
  const whole = Math.trunc(seed);
  const mix = splitmix32(whole | 0);
  let a = mix(), b = mix(), c = mix(), d = mix();
  if (whole < -0x80000000 || whole > 0xffffffff) {
    const more = splitmix32(Math.floor(whole / 0x100000000) ^ 0x2545f491);
    a ^= more();
    b ^= more();
    c ^= more();
    d ^= more();
  }
  const u32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) u32();
  let spare: number | undefined;
  const rng: Random = {
    next: () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992,
    int: (n) => Math.floor(rng.next() * n),
    ints: (n, out) => {
      // int(n) with the generator's state in locals (a million draws at a time for mini-batches). `| 0` types them
      // int32 from the start: as closure values beyond the small-integer range they arrive as heap numbers, and the
      // loop then ran its integer steps in float64, three times slower (the same bits either way)
      let sa = a | 0, sb = b | 0, sc = c | 0, sd = d | 0;
      for (let q = 0; q < out.length; q++) {
        let t = (((sa + sb) | 0) + sd) | 0;
        sd = (sd + 1) | 0;
        sa = sb ^ (sb >>> 9);
        sb = (sc + (sc << 3)) | 0;
        sc = (sc << 21) | (sc >>> 11);
        sc = (sc + t) | 0;
        const hi = t >>> 5;
        t = (((sa + sb) | 0) + sd) | 0;
        sd = (sd + 1) | 0;
        sa = sb ^ (sb >>> 9);
        sb = (sc + (sc << 3)) | 0;
        sc = (sc << 21) | (sc >>> 11);
        sc = (sc + t) | 0;
        out[q] = Math.floor(((hi * 67108864 + (t >>> 6)) / 9007199254740992) * n);
      }
      a = sa; b = sb; c = sc; d = sd;
      return out;
    },
    normal: () => {
      if (spare !== undefined) {
        const s = spare;
        spare = undefined;
        return s;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const r = Math.sqrt(-2 * log(u));
      spare = r * sin(2 * Math.PI * v);
      return r * cos(2 * Math.PI * v);
    },
    fork: () => createRandom(u32() ^ (u32() << 11)),
  };
  return rng;
}

// murmur3's 32-bit finaliser: every input bit flips about half the output bits
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * A uniform number in [0, 1) (53 bits) that depends only on (seed, stream, index): draws made per row from the row's
 * index, so they are the same whoever holds the row and in whatever order rows are visited.
 */
export function hashUniform(seed: number, stream: number, index: number): number {
  const lo = Math.trunc(seed) | 0, hi = Math.trunc(seed / 0x100000000) | 0;
  const h = fmix32(fmix32(fmix32(fmix32(lo ^ 0x243f6a88) ^ hi) + (stream | 0)) ^ (index >>> 0));
  const h2 = fmix32(h ^ 0x6a09e667 ^ Math.trunc(index / 0x100000000));
  return ((h >>> 5) * 67108864 + (h2 >>> 6)) / 9007199254740992;
}

/**
 * Uniform numbers in [0, 1) with 32 random bits, one per index, for one (seed, stream): the same draw as every other
 * holder of the index makes, at two hash rounds per draw (for per-row sampling over millions of rows).
 */
export function indexUniforms(seed: number, stream: number): (index: number) => number {
  const { base, salt } = indexUniformKeys(seed, stream);
  return (index) => fmix32((fmix32(Math.imul(index | 0, 0x9e3779b1) ^ base) + salt) ^ Math.trunc(index / 0x100000000)) / 4294967296;
}

/** The two 32-bit keys of `indexUniforms(seed, stream)`, for kernels that draw the same uniforms. */
export function indexUniformKeys(seed: number, stream: number): { base: number; salt: number } {
  const lo = Math.trunc(seed) | 0, hi = Math.trunc(seed / 0x100000000) | 0;
  const base = fmix32(fmix32(fmix32(lo ^ 0x243f6a88) ^ hi) + (stream | 0));
  return { base, salt: fmix32(base ^ 0x6a09e667) };
}
