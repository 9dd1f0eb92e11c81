// Counter-based randomness: a value from a few integers (seed, tree, row), the same on every thread and machine,
// so no holder needs to draw in order. Mixing is murmur3's 32-bit finaliser (Appleby), shared with random.ts.
import { fmix32 as fmix } from './random.js';

/** A 32-bit hash of integers (each taken modulo 2^32; a seed beyond 32 bits also mixes its high part). */
export function hashInts(a: number, b = 0, c = 0): number {
  const hi = Math.floor(a / 4294967296) | 0;
  let h = fmix((a | 0) ^ 0x9e3779b9);
  h = fmix(h ^ Math.imul(hi, 0x27d4eb2f) ^ (b | 0));
  h = fmix((h + Math.imul(c | 0, 0x165667b1) + 0x61c88647) | 0);
  return h;
}

// P(K <= k) for K ~ Poisson(1), k = 0..11 (beyond 11 the tail is below 1e-9).
const POISSON1_CDF = (() => {
  const out = new Float64Array(12);
  let p = Math.exp(-1), s = 0;
  for (let k = 0; k < out.length; k++) {
    s += p;
    out[k] = s;
    p /= k + 1;
  }
  return out;
})();

/** A Poisson(1) count from a 32-bit hash: the per-row bootstrap weight of a tree (Oza & Russell's online bagging). */
export function poisson1(h: number): number {
  const u = h / 4294967296;
  for (let k = 0; k < POISSON1_CDF.length; k++) if (u < POISSON1_CDF[k]) return k;
  return POISSON1_CDF.length;
}
