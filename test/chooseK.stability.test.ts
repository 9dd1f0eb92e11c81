import { afterAll, describe, expect, it } from 'vitest';
import { chooseK, close, createRandom, fromColumns } from '../src/index.node.js';

afterAll(() => close());

function blobs(seed: number, centres: number[][], perBlob: number[], sd: number[]) {
  const rng = createRandom(seed);
  const d = centres[0].length;
  const rows: number[][] = [];
  centres.forEach((c, b) => { for (let i = 0; i < perBlob[b]; i++) rows.push(c.map((v, j) => v + rng.normal() * sd[j % sd.length])); });
  return fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from(rows, (r) => r[j])) });
}

describe('a choice of k that does not depend on the seed', () => {
  it('four clear segments: every seed from 0 to 9 recommends 4, and says it is stable', async () => {
    const data = blobs(1, [[0, 0, 0], [6, 0, 0], [0, 6, 0], [0, 0, 6]], [150, 200, 250, 300], [1]);
    for (let seed = 0; seed < 10; seed++) {
      const r = await chooseK(data, { seed });
      expect({ seed, k: r.recommendedK }).toEqual({ seed, k: 4 });
      expect(r.stabilityOfRecommended).toBe('stable');
      expect(r.table.find((x) => x.k === 4)!.stability).toBeGreaterThan(0.95);
      expect(r.reason).toMatch(/stability 0\.9\d|stability 1\.00/);
    }
  });

  it('unstructured data (one Gaussian cloud): the output says the evidence is weak', async () => {
    const data = blobs(2, [[0, 0, 0, 0]], [600], [1]);
    for (const seed of [0, 1, 2]) {
      const r = await chooseK(data, { seed });
      expect(r.evidence).toBe('weak');
      expect(r.reason).toMatch(/evidence for segments is weak/);
    }
  });

  it('a set shaped like the Mall Customers data (200 customers: age, income, spending score): seeds 0 to 9 agree', async () => {
    // five groups in income x spending, as in the well-known data; age loosely tied to the groups
    const groups = [[45, 55, 50], [25, 25, 80], [40, 25, 20], [33, 85, 82], [42, 88, 17]];
    const data = blobs(3, groups, [80, 22, 23, 39, 36], [9, 6, 6]);
    const picks = new Set<number>();
    for (let seed = 0; seed < 10; seed++) picks.add((await chooseK(data, { seed })).recommendedK);
    expect([...picks]).toEqual([5]);
  });

  it('no stability where k + 1 rows exceed an 80% subset (the "subsets" would be the whole sample)', async () => {
    // 60 rows: subsets of 48; from k = 48 on, every fit would see every row
    const data = blobs(4, [[0, 0], [5, 5]], [30, 30], [1]);
    const r = await chooseK(data, { seed: 1, kRange: [44, 50] });
    const by = new Map(r.table.map((x) => [x.k, x.stability]));
    for (const k of [44, 45, 46, 47]) expect(Number.isNaN(by.get(k))).toBe(false);
    for (const k of [48, 49, 50]) expect(Number.isNaN(by.get(k))).toBe(true);
  });

  it('a best silhouette at a k whose stability is not measured is said so, never "less stable (NaN)"', async () => {
    // four distinct points, one of them a single row: an 80% subset that misses it holds 3 distinct rows, so k = 4
    // has no stability; its silhouette is sklearn's silhouette_score: 29/30 (the single row scores 0, the rest 1)
    const X = [...Array(12).fill([0, 0]), ...Array(12).fill([10, 0]), ...Array(5).fill([0, 10]), [10, 10]];
    const r = await chooseK(X, { kRange: [2, 4], seed: 1 });
    const at4 = r.table.find((x) => x.k === 4)!;
    expect(at4.silhouette).toBeCloseTo(29 / 30, 12);
    expect(at4.stability).toBeNaN();
    expect(r.recommendedK).toBe(3);
    expect(r.reason).not.toContain('NaN');
    expect(r.reason).toContain('k = 4 has a higher silhouette (0.967) but its stability is not measured');
  });

  it('stability can be turned off and the old fields stay', async () => {
    const data = blobs(4, [[0, 0], [5, 5]], [60, 60], [1]);
    const r = await chooseK(data, { seed: 1, stabilityResamples: 0, kRange: [2, 4] });
    expect(r.stabilityK).toBeNull();
    expect(r.table).toHaveLength(3);
    expect(r.table.every((x) => Number.isNaN(x.stability))).toBe(true);
    expect(r.recommendedK).toBe(2);
    await expect(chooseK(data, { stabilityResamples: 1 })).rejects.toThrow(/stabilityResamples/);
  });

  it('refuses options the chosen algorithm would ignore, naming them', async () => {
    const data = blobs(4, [[0, 0], [5, 5]], [60, 60], [1]);
    await expect(chooseK(data, { algorithm: 'gmm', stabilityResamples: 4 })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"stabilityResamples" applies only with algorithm "kmeans"') });
    await expect(chooseK(data, { algorithm: 'agglomerative', stabilitySampleSize: 100 })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"stabilitySampleSize"') });
    await expect(chooseK(data, { batchSize: 64 })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('"batchSize" applies only with algorithm "minibatch-kmeans"') });
    for (const extra of [{ init: 'random' }, { nInit: 10 }, { maxIter: 5 }, { tol: 0 }]) {
      const name = Object.keys(extra)[0];
      await expect(chooseK(data, { algorithm: 'agglomerative', kRange: [2, 3], ...extra })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining(`option "${name}" does not apply with algorithm "agglomerative"`) });
    }
  });

  it('refuses a keepModels that is not true or false (\'false\' kept every model) and a seed that is not an integer', async () => {
    const data = blobs(4, [[0, 0], [5, 5]], [60, 60], [1]);
    await expect(chooseK(data, { kRange: [2, 3], keepModels: 'false' as never })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: 'option "keepModels" must be true or false, got "false"' });
    // the agglomerative sweep draws nothing from the seed on small data, so nothing else checked it
    await expect(chooseK(data, { algorithm: 'agglomerative', kRange: [2, 3], seed: 'x' as never })).rejects.toMatchObject({ code: 'E_BAD_OPTION', message: expect.stringContaining('option "seed" must be an integer') });
    const kept = await chooseK(data, { algorithm: 'agglomerative', kRange: [2, 3], keepModels: true });
    expect([...kept.models!.keys()]).toEqual([2, 3]);
  });
});
