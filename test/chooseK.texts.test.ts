import { afterAll, describe, expect, it } from 'vitest';
import { chooseK, close, fromColumns } from '../src/index.node.js';

afterAll(() => close());

/**
 * A regular grid of `side`^d points whose first coordinate is split in two halves, the upper half moved by `gap`:
 * k-means at k = 2 cuts it between the halves. The silhouettes below are scikit-learn's silhouette_score of that cut
 * (float32 coordinates): 4^4 grid, gap 0.397865: 0.24960008944676432; 12^2 grid, gap 2.656165: 0.4996000247282068.
 */
function splitGrid(side: number, d: number, gap: number) {
  const cols: number[][] = Array.from({ length: d }, () => []);
  const idx = new Array<number>(d).fill(0);
  for (let r = 0; r < side ** d; r++) {
    let q = r;
    for (let j = d - 1; j >= 0; j--) { idx[j] = q % side; q = Math.floor(q / side); }
    cols[0].push(idx[0] + (idx[0] >= side / 2 ? gap : 0));
    for (let j = 1; j < d; j++) cols[j].push(idx[j]);
  }
  return fromColumns({ columns: cols.map((c) => Float32Array.from(c)) });
}

describe('chooseK: the silhouette shown agrees with the word beside it', () => {
  it('a silhouette of 0.2496 called below 0.25 reads 0.2496, not 0.250', async () => {
    const data = splitGrid(4, 4, 0.397865);
    for (const stabilityResamples of [0, 6]) {
      const r = await chooseK(data, { kRange: [2, 2], stabilityResamples });
      expect(r.table[0].silhouette).toBeCloseTo(0.24960008944676432, 6);
      expect(r.evidence).toBe('weak');
      expect(r.reason).toContain('silhouette 0.2496');
      expect(r.reason).not.toContain('0.250');
    }
    expect((await chooseK(data, { kRange: [2, 2], stabilityResamples: 0 })).reason).toMatch(/best silhouette 0\.2496 at k = 2 is below 0\.25/);
  });

  it('a silhouette of 0.4996, moderate, reads 0.4996, not 0.500', async () => {
    const r = await chooseK(splitGrid(12, 2, 2.656165), { kRange: [2, 2], stabilityResamples: 0 });
    expect(r.table[0].silhouette).toBeCloseTo(0.4996000247282068, 6);
    expect(r.evidence).toBe('moderate');
    expect(r.reason).toContain('silhouette 0.4996 (moderate structure)');
  });

  it('a silhouette away from 0.25 and 0.5 keeps 3 decimals', async () => {
    const r = await chooseK(splitGrid(12, 2, 4), { kRange: [2, 2], stabilityResamples: 0 });
    expect(r.evidence).toBe('strong');
    expect(r.reason).toContain(`silhouette ${r.table[0].silhouette.toFixed(3)} (strong structure)`);
  });
});

/** Four 5 x 5 grids of points at the corners of a w x h rectangle: k = 2 joins the blobs in pairs, k = 4 finds them. */
function fourGrids(w = 8, h = 16) {
  const xs: number[] = [], ys: number[] = [];
  for (const [cx, cy] of [[0, 0], [w, 0], [0, h], [w, h]]) for (let i = 0; i < 5; i++) for (let j = 0; j < 5; j++) { xs.push(cx + i); ys.push(cy + j); }
  return fromColumns({ columns: [Float32Array.from(xs), Float32Array.from(ys)] });
}

describe('chooseK: the reason says why the k with the best silhouette was passed over', () => {
  it('a stable k that loses a near tie to the elbow is not called less stable', async () => {
    const r = await chooseK(fourGrids(), { kRange: [2, 6], seed: 0 });
    const at = (k: number) => r.table.find((t) => t.k === k)!;
    // scikit-learn: silhouette_score of the pairs (k = 2) and of the blobs (k = 4); KMeans inertia 2000, 1200, 400, 362.5, 325
    expect(at(2).silhouette).toBeCloseTo(0.67559844, 5);
    expect(at(4).silhouette).toBeCloseTo(0.6689328, 5);
    expect(r.table.map((t) => t.inertia)).toEqual([2000, 1200, 400, 362.5, 325].map((v) => expect.closeTo(v, 6)));
    expect([r.elbowK, r.silhouetteK, r.recommendedK]).toEqual([4, 2, 4]);
    // both segmentations come back in every refit: k = 2 was passed over for the near tie, not for its stability
    expect(at(2).stability).toBe(1);
    expect(at(4).stability).toBe(1);
    expect(r.reason).not.toContain('less stable');
    expect(r.reason).toContain('k = 2 has a higher silhouette (0.676), within 0.02, so the elbow wins the near tie');
    expect(r.reason).toContain('the elbow of the inertia curve agrees');
  });
});

describe('chooseK: the evidence is that of the k recommended', () => {
  it('the elbow that wins a near tie with a silhouette below 0.5 is not called strong', async () => {
    const data = fourGrids(5.25, 7.5);
    // scikit-learn: silhouette_score of the pairs (k = 2) 0.5037752, of the blobs (k = 4) 0.49288046
    for (const stabilityResamples of [0, 6]) {
      const r = await chooseK(data, { kRange: [2, 6], seed: 0, stabilityResamples });
      const at = (k: number) => r.table.find((t) => t.k === k)!;
      expect(at(2).silhouette).toBeCloseTo(0.5037752, 5);
      expect(at(4).silhouette).toBeCloseTo(0.49288046, 5);
      expect([r.elbowK, r.silhouetteK, r.recommendedK]).toEqual([4, 2, 4]);
      // 0.493 reads moderate (>= 0.25, < 0.5), with or without stability measured
      expect(r.evidence).toBe('moderate');
    }
    const plain = await chooseK(data, { kRange: [2, 6], seed: 0, stabilityResamples: 0 });
    expect(plain.reason).toContain('with a silhouette of 0.493 (moderate structure), within 0.02 of the best (0.504 at k = 2)');
  });
});

describe('chooseK: a sweep of one or two k does not claim an elbow search or a choice', () => {
  // five distinct points, each 20 times: the range [2, 10] is capped at the 5 distinct rows
  const dup = fromColumns({ columns: [Float32Array.from({ length: 100 }, (_, i) => (i % 5) * 10), Float32Array.from({ length: 100 }, (_, i) => (i % 5) * 3)] });

  it('a single k says it was the only k tried', async () => {
    for (const algorithm of ['kmeans', 'agglomerative'] as const) {
      for (const stabilityResamples of algorithm === 'kmeans' ? [0, 6] : [undefined]) {
        const r = await chooseK(dup, { kRange: [5, 9], algorithm, ...(stabilityResamples === undefined ? {} : { stabilityResamples }) });
        // capped at the distinct rows: every row sits on its centre (inertia 0, silhouette 1)
        expect(r.table.map((t) => [t.k, t.inertia, t.silhouette])).toEqual([[5, 0, 1]]);
        expect(r.recommendedK).toBe(5);
        expect(r.elbowK).toBeNull();
        expect(r.reason).toMatch(/^k = 5 is the only k tried/);
        expect(r.reason).not.toMatch(/no clear elbow|decides|stable choices|best silhouette/);
      }
    }
  });

  it('two k values say they are too few for an elbow', async () => {
    const r = await chooseK(dup, { kRange: [4, 5], stabilityResamples: 0 });
    expect(r.table.map((t) => t.k)).toEqual([4, 5]);
    expect(r.recommendedK).toBe(5);
    expect(r.reason).toContain('only 2 k values were tried, too few for an elbow, so the silhouette decides');
    expect(r.reason).not.toContain('no clear elbow');
  });
});

describe('chooseK: k values below the stability cut are not called stable choices', () => {
  it('when no k reaches 0.75, the reason names the most stable ones as such', async () => {
    // three overlapping Gaussian groups 1.6 apart (Box-Muller on a Park-Miller generator seeded 5)
    let s = 5;
    const u = () => (s = (s * 16807) % 2147483647) / 2147483647;
    const g = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const xs: number[] = [], ys: number[] = [];
    for (let i = 0; i < 150; i++) { const c = i % 3; xs.push(g() + 1.6 * c); ys.push(g() + (c === 1 ? 1.6 : 0)); }
    const r = await chooseK(fromColumns({ columns: [Float32Array.from(xs), Float32Array.from(ys)] }), { kRange: [3, 8] });
    const max = Math.max(...r.table.map((t) => t.stability));
    expect(max).toBeLessThan(0.75);
    const listed = r.table.filter((t) => t.stability >= max - 0.05).map((t) => t.k);
    expect(listed).toContain(r.recommendedK);
    expect(r.reason).toContain(`the most stable choices (none reached 0.75) were k = ${listed.join(', ')}`);
    expect(r.reason).not.toContain('the stable choices');
  });
});

describe('a k whose fit float32 centring makes impossible', () => {
  // six points 0.001 apart near 1000 and three near 1e7: the column mean (3.3e6) leaves float32 steps of 0.25, so the six
  // are one point once centred; k = 2 fits, and every k >= 3 ends with an empty or repeated centre (E_TOO_FEW_DISTINCT)
  const rows: number[][] = [
    ...Array.from({ length: 60 }, (_, i) => [1000 + (i % 6) * 1e-3, (i % 6) * 1e-3]),
    ...Array.from({ length: 30 }, (_, i) => [1e7 + (i % 3), 5 + (i % 3)]),
  ];
  it.each(['kmeans', 'minibatch-kmeans', 'agglomerative', 'gmm'] as const)('is reported and left out, and the others are still compared (%s)', async (algorithm) => {
    const r = await chooseK(rows, { kRange: [2, 5], seed: 1, algorithm });
    const alone = await chooseK(rows, { kRange: [2], seed: 1, algorithm });
    expect(r.table).toEqual(alone.table);
    expect(r.table.map((t) => t.k)).toEqual([2]);
    expect(r.recommendedK).toBe(2);
    expect(r.table[0].silhouette).toBeGreaterThan(0.99);
    expect(r.notFitted!.map((x) => [x.k, x.code])).toEqual([[3, 'E_TOO_FEW_DISTINCT'], [4, 'E_TOO_FEW_DISTINCT'], [5, 'E_TOO_FEW_DISTINCT']]);
    if (algorithm === 'gmm') expect(r.notFitted!.every((x) => x.covarianceType === 'full')).toBe(true);
    for (const x of r.notFitted!) expect(x.message).toMatch(/centred|centroids' mean/);
    expect(r.reason).toContain(`Not compared: k = 3${algorithm === 'gmm' ? ' (full)' : ''}, k = 4`);
    expect(r.reason).toMatch(/^k = 2 is the only k tried|^k = 2 has the lowest BIC/);
    // a sweep with every k fittable says nothing of it
    expect(alone.notFitted).toBeUndefined();
  });
  it('fails with the smallest k\'s refusal when no k can be fitted', async () => {
    const e = await chooseK(rows, { kRange: [3, 4], seed: 1 }).then(() => null, (x) => x);
    expect(e).toMatchObject({ code: 'E_TOO_FEW_DISTINCT' });
    expect(e.message).toContain('once centred');
  });
});
