import { describe, expect, it } from 'vitest';
import { createRandom } from '../src/util/random.js';
import { hashInts } from '../src/util/hash.js';
import { kmeans } from '../src/core/kmeans.js';
import { gaussianMixture } from '../src/core/gaussianMixture.js';
import { miniBatchKMeans } from '../src/core/miniBatchKMeans.js';
import { fromRows } from '../src/data/dataset.js';
import { SegkitError } from '../src/util/errors.js';

// The seeding the generator has always used for 32-bit signed seeds, written out: splitmix32 expands the seed into
// sfc32's state, which runs 12 steps before the first draw.
function earlierStream(seed: number, draws: number): number[] {
  let s = Math.trunc(seed) ^ Math.trunc(seed / 0x100000000);
  const mix = (): number => {
    s = (s + 0x9e3779b9) | 0;
    let t = s ^ (s >>> 16);
    t = Math.imul(t, 0x21f0aaad);
    t ^= t >>> 15;
    t = Math.imul(t, 0x735a2d97);
    return (t ^ (t >>> 15)) >>> 0;
  };
  let a = mix(), b = mix(), c = mix(), d = mix();
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
  return Array.from({ length: draws }, () => ((u32() >>> 5) * 67108864 + (u32() >>> 6)) / 9007199254740992);
}

const stream = (seed: number, draws = 8): number[] => {
  const r = createRandom(seed);
  return Array.from({ length: draws }, () => r.next());
};

describe('createRandom', () => {
  it('keeps the sequence of every seed that fits 32 bits, signed or unsigned (forks and hashes make them), so seeded results stay as they were', () => {
    for (const seed of [0, 1, 2, 42, 12345, 2 ** 31 - 1, 2 ** 31, 2 ** 31 + 12345, 2 ** 32 - 1, -1, -12345, -(2 ** 31)]) expect(stream(seed)).toEqual(earlierStream(seed, 8));
    // an unsigned hash, as permutation importance makes one per feature and repeat
    const hash = hashInts(0, 1, 0);
    expect(hash).toBeGreaterThanOrEqual(2 ** 31);
    expect(stream(hash)).toEqual(earlierStream(hash, 8));
  });

  it('gives different sequences to different safe integers, the high bits included', () => {
    // before, a seed's high 32 bits were XORed into its low ones: 2^32 + 1 ran as 0, 2^32 as 1
    const seeds = [0, 1, 2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 33 + 1, 2 ** 32 - 1, -(2 ** 31) - 1, 2 ** 31 - 1, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53 - 1, -(2 ** 53 - 1)];
    const seen = new Map<string, number>();
    for (const seed of seeds) {
      const key = stream(seed, 4).join(',');
      expect(seen.get(key), `seed ${seed}`).toBeUndefined();
      seen.set(key, seed);
      // and the same seed, the same sequence
      expect(stream(seed, 4).join(',')).toBe(key);
    }
  });

  it('is refused beyond 2^53 by the fits that take a seed, where integers stop being distinct', async () => {
    const ds = fromRows([[0], [1], [5], [6], [10], [11]]);
    for (const seed of [2 ** 53, 1e300, -(2 ** 60)]) {
      for (const fit of [
        () => kmeans(ds, { k: 2, seed }),
        () => miniBatchKMeans(ds, { k: 2, seed }),
        () => gaussianMixture(ds, { k: 2, seed }),
      ]) {
        const e = await fit().then(() => undefined, (error: unknown) => error);
        expect(e).toBeInstanceOf(SegkitError);
        expect((e as SegkitError).code).toBe('E_BAD_OPTION');
        expect((e as SegkitError).message).toContain('"seed"');
      }
    }
    // a seed past 2^32 is taken
    expect((await kmeans(ds, { k: 2, seed: 2 ** 40 + 3, threads: 1 })).k).toBe(2);
  });
});
