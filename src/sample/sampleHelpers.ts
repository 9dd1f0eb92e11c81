import { SegkitError, badOption } from '../util/errors.js';
import type { Random } from '../util/random.js';
import { DAY_MS } from '../data/tableCells.js';
import { exp, log } from '../util/detMath.js';
export { DAY_MS };


/** The default end of the sample data's observation windows, fixed so that a seed always gives the same data. */
export const SAMPLE_END = '2024-01-01T00:00:00Z';

export const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/** Log-normal draw with the given median: the usual shape of per-customer counts and durations. */
export const logNormal = (rng: Random, median: number, sigma: number): number => median * exp(sigma * rng.normal());

export const round = (x: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

export function checkSeed(seed: unknown): number {
  if (typeof seed !== 'number' || !Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  return seed;
}

export function pickWeighted<T>(rng: Random, items: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, w] of items) total += w;
  let u = rng.next() * total;
  for (const [item, w] of items) {
    if (u < w) return item;
    u -= w;
  }
  return items[items.length - 1][0];
}

/** k distinct integers from [lo, hi), ascending (a partial Fisher-Yates shuffle). */
export function sampleDistinct(rng: Random, k: number, lo: number, hi: number): number[] {
  const pool = Array.from({ length: hi - lo }, (_, i) => lo + i);
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k).sort((a, b) => a - b);
}

export function shuffle<T>(rng: Random, items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [items[i], items[j]] = [items[j], items[i]];
  }
  return items;
}

/**
 * Splits the integer `total` into `count` integer parts with min[i] <= part[i] <= cap[i], in random
 * (flat Dirichlet) proportions; the caller guarantees sum(min) <= total <= sum(cap).
 */
export function allocate(rng: Random, total: number, count: number, min: number | ArrayLike<number>, cap: number | ArrayLike<number> = Infinity): Int32Array {
  const lo = (i: number) => (typeof min === 'number' ? min : min[i]);
  const hi = (i: number) => (typeof cap === 'number' ? cap : cap[i]);
  const out = new Int32Array(count);
  let rest = total;
  for (let i = 0; i < count; i++) {
    out[i] = lo(i);
    rest -= out[i];
  }
  if (rest < 0) throw new SegkitError('E_BAD_OPTION', `cannot split ${total} into ${count} parts of at least their minimum`);
  if (rest === 0 || count === 0) return out;
  const w = Array.from({ length: count }, () => -log(1 - rng.next()));
  const sum = w.reduce((a, b) => a + b, 0);
  const spare = rest;
  for (let i = 0; i < count; i++) {
    const add = Math.min(Math.floor(spare * (w[i] / sum)), hi(i) - out[i]);
    out[i] += add;
    rest -= add;
  }
  const order = shuffle(rng, Array.from({ length: count }, (_, i) => i));
  while (rest > 0) {
    const open = order.filter((i) => out[i] < hi(i));
    if (open.length === 0) throw new SegkitError('E_BAD_OPTION', `cannot split ${total} into ${count} parts under their caps`);
    const share = Math.max(1, Math.floor(rest / open.length));
    for (const i of open) {
      const add = Math.min(share, hi(i) - out[i], rest);
      out[i] += add;
      rest -= add;
      if (rest === 0) break;
    }
  }
  return out;
}

