// Agglomerative clustering against SciPy 1.10 (linkage matrices, fcluster, dendrogram), fastcluster's
// linkage_vector, scikit-learn's AgglomerativeClustering labels, and scalar twins of the two wasm kernels.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  adjustedRandScore, agglomerative, AgglomerativeModel, chooseK, close, createRandom, fromColumns, inlineExecutor, loadModel, loopbackExecutor,
  piscinaExecutor, type Executor, type Linkage,
} from '../src/index.node.js';
import { primSingleOp, wardChainOp } from '../src/core/agglomerativeOps.js';
import { FIXTURES, failure, fixture } from './helpers.js';
import { primSingleTwin, wardChainTwin } from './twins/linkage.js';

const fx = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const ex = inlineExecutor();
afterAll(async () => { await ex.close(); await close(); });

const METHODS: Linkage[] = ['ward', 'complete', 'average', 'single'];
const rowsOf = (Z: Float64Array): number[][] => Array.from({ length: Z.length / 4 }, (_, r) => Array.from(Z.subarray(4 * r, 4 * r + 4)));

describe('linkage matrices match SciPy', () => {
  for (const name of ['linkage-blobs', 'linkage-iris']) {
    for (const method of METHODS) {
      it(`${name}, ${method}: heights within 1e-6 relative, the same partition at every k = 2..8`, async () => {
        const f = fx(name);
        const m = await agglomerative(f.X, { k: 2, linkage: method, executor: ex });
        const want: number[][] = f.scipy[method].Z;
        const got = rowsOf(m.linkageMatrix);
        expect(got.length).toBe(want.length);
        got.forEach((row, r) => {
          expect(Math.abs(row[2] - want[r][2])).toBeLessThanOrEqual(1e-6 * want[r][2]);
          expect(row[3]).toBe(want[r][3]);
        });
        for (let k = 2; k <= 8; k++) {
          const scipy: number[] = f.scipy[method].fcluster_maxclust[String(k)];
          // fcluster may give fewer than k clusters where merges tie at the cut; scikit-learn's cut gives k
          if (new Set(scipy).size === k) expect(adjustedRandScore(scipy, Array.from(m.labelsFor(k)))).toBe(1);
        }
        // without tied heights the merge order is SciPy's, row for row
        if (f.scipy[method].tied_heights === 0) expect(got.map((r) => [r[0], r[1], r[3]])).toEqual(want.map((r) => [r[0], r[1], r[3]]));
      });
    }
    it(`${name}: Ward and single agree with fastcluster's linkage_vector`, async () => {
      const f = fx(name);
      for (const method of ['ward', 'single'] as const) {
        const m = await agglomerative(f.X, { k: 2, linkage: method, executor: ex });
        const fc: number[][] = f.fastcluster_linkage_vector[method].Z;
        const heights = fc.map((r) => r[2]).sort((a, b) => a - b);
        expect(m.heights).toHaveLength(heights.length);
        Array.from(m.heights).forEach((h, r) => expect(Math.abs(h - heights[r])).toBeLessThanOrEqual(1e-6 * heights[r]));
        for (let k = 2; k <= 8; k++) {
          const cut = (Z: number[][]) => m.labelsFor.call({ labels: m.labels, linkageMatrix: Float64Array.from(Z.flat()) } as AgglomerativeModel, k);
          expect(adjustedRandScore(Array.from(cut(fc)), Array.from(m.labelsFor(k)))).toBe(1);
        }
      }
    });
  }

  it('Ward on columns far from 0 (near 100,000): SciPy\'s merges row for row, heights within a few units in the last place, as for the same rows moved near 0', async () => {
    const f = fx('linkage-ward-offset');
    const want: number[][] = f.ward_Z;
    const near0 = f.X.map((row: number[]) => row.map((v, j) => v - f.shift[j]));
    for (const X of [f.X, near0]) {
      const got = rowsOf((await agglomerative(X, { k: 4, linkage: 'ward', executor: ex })).linkageMatrix);
      expect(got.map((r) => [r[0], r[1], r[3]])).toEqual(want.map((r) => [r[0], r[1], r[3]]));
      // means of rows near 100,000 round there: the heights were up to about 3e-13 relative off, as fastcluster's are
      got.forEach((row, r) => expect(Math.abs(row[2] - want[r][2])).toBeLessThanOrEqual(4e-15 * want[r][2]));
    }
  });

  it('iris: tied merges (12 to 35 per method) still give SciPy\'s exact rows', async () => {
    const f = fx('linkage-iris');
    for (const method of METHODS) {
      expect(f.scipy[method].tied_heights).toBeGreaterThan(0);
      const m = await agglomerative(f.X, { k: 3, linkage: method, executor: ex });
      const want: number[][] = f.scipy[method].Z;
      expect(rowsOf(m.linkageMatrix).map((r) => [r[0], r[1], r[3]])).toEqual(want.map((r) => [r[0], r[1], r[3]]));
    }
  });
});

describe('labels match scikit-learn\'s AgglomerativeClustering', () => {
  for (const name of FIXTURES) {
    it(name, async () => {
      const f = fixture(name) as ReturnType<typeof fixture> & { agglomerative: Record<string, number[]> };
      for (const method of METHODS) {
        const m = await agglomerative(f.X, { k: f.k, linkage: method, executor: ex });
        expect({ method, ari: adjustedRandScore(f.agglomerative[method], Array.from(m.labels)) }).toEqual({ method, ari: 1 });
        expect(m.k).toBe(f.k);
      }
    });
  }
});

describe('the tree', () => {
  it('dendrogram(levels) gives SciPy\'s truncated dendrogram coordinates', async () => {
    const f = fx('dendrogram-blobs');
    const X = fx('linkage-blobs').X;
    for (const method of ['ward', 'single'] as const) {
      const m = await agglomerative(X, { k: 2, linkage: method, executor: ex });
      for (const p of [0, 2, 3]) {
        const want = f.cases[`${method}-${p}`];
        const got = m.dendrogram(p);
        expect(got.leaves).toEqual(want.leaves);
        expect(got.icoord).toEqual(want.icoord);
        expect(got.dcoord.map((row) => row.length)).toEqual(want.dcoord.map((row: number[]) => row.length));
        got.dcoord.forEach((row, r) => row.forEach((v, c) => expect(Math.abs(v - want.dcoord[r][c])).toBeLessThanOrEqual(1e-6 * Math.max(1, want.dcoord[r][c]))));
        expect(got.leafSizes.reduce((a, b) => a + b, 0)).toBe(X.length);
      }
    }
  });

  it('dendrogram(0) of a chain 12,000 merges deep (single linkage, each row joining the rest) without overflowing the stack', async () => {
    const n = 12_000;
    // gaps grow with i (by far more than float32 rounding): row i + 1 joins the cluster of rows 0..i, at height 1.001^i / 1000
    const X = Array.from({ length: n }, (_, i) => [Math.fround(1.001 ** i)]);
    const m = await agglomerative(X, { k: 2, linkage: 'single', executor: ex });
    const got = m.dendrogram(0);
    expect(got.icoord).toHaveLength(n - 1);
    expect(got.leaves).toEqual([...Array.from({ length: n - 2 }, (_, q) => n - 1 - q), 0, 1]);
    // the leftmost leaf joins at the top; the rest's x is the midpoint of each leaf and the cluster to its right
    let x = (10 * (n - 2) + 5 + 10 * (n - 1) + 5) / 2;
    for (let q = n - 3; q >= 1; q--) x = (10 * q + 5 + x) / 2;
    expect(got.icoord[n - 2]).toEqual([5, 5, x, x]);
    expect(got.dcoord[n - 2][0]).toBe(0);
    expect(got.dcoord[n - 2][1]).toBe(X[n - 1][0] - X[n - 2][0]);
  });

  it('distanceThreshold undoes every merge at or above it (scikit-learn), and labelsFor cuts the same tree', async () => {
    const X = fx('linkage-blobs').X;
    const byK = await agglomerative(X, { k: 4, executor: ex });
    const h = byK.heights;
    const t = (h[h.length - 4] + h[h.length - 3]) / 2;
    const byT = await agglomerative(X, { distanceThreshold: t, executor: ex });
    expect(byT.k).toBe(4);
    expect(Array.from(byT.labels)).toEqual(Array.from(byK.labels));
    expect((await agglomerative(X, { distanceThreshold: h[h.length - 1], executor: ex })).k).toBe(2);
    expect(Array.from(byK.labelsFor(4))).toEqual(Array.from(byK.labels));
    expect(new Set(byK.labelsFor(7)).size).toBe(7);
  });

  it('predict: the nearest final centroid; the saved model predicts the same after loadModel', async () => {
    const f = fixture('blobs-600x4-k4');
    const m = await agglomerative(f.X, { k: 4, executor: ex });
    const c = m.centroids;
    expect(Array.from(await m.predict(c, { executor: ex }))).toEqual([0, 1, 2, 3]);
    const got = await m.predict(f.X, { executor: ex });
    expect(got).toHaveLength(f.X.length);
    f.X.forEach((row, i) => {
      const dist = c.map((cc) => cc.reduce((s, v, j) => s + (v - row[j]) ** 2, 0));
      expect(dist[got[i]]).toBeLessThanOrEqual(Math.min(...dist) * (1 + 1e-5) + 1e-9);
    });
    const back = loadModel(JSON.parse(JSON.stringify(m.toJSON())));
    expect(back).toBeInstanceOf(AgglomerativeModel);
    expect(Array.from(await back.predict(f.X, { executor: ex }))).toEqual(Array.from(got));
    // the file keeps no tree: its dendrogram is refused as labelsFor is, never drawn empty
    for (const draw of [() => (back as AgglomerativeModel).dendrogram(4), () => (back as AgglomerativeModel).labelsFor(2)]) {
      const e = await failure(async () => draw());
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain('keeps no tree');
    }
    expect(m.dendrogram(4).leaves.length).toBeGreaterThan(1);
    for (const [patch, field] of [[{ linkage: 'median' }, 'linkage'], [{ centroids: c.slice(1) }, 'centroids'], [{ k: 0 }, 'k'], [{ nSamples: 2 }, 'nSamples'], [{ nSamples: 1e300 }, 'nSamples']] as const) {
      const e = await failure(() => loadModel({ ...m.toJSON(), ...patch }));
      expect(e.code).toBe('E_BAD_MODEL');
      expect(e.message).toContain(field);
    }
  });

  it('a centroid far from the others: predict labels the training rows as the fit did, or the fit and the file are refused', async () => {
    // three clusters a unit apart (spread 0.05) and a fourth `far` away along the diagonal
    const rowsFor = (far: number): number[][] => {
      const rng = createRandom(1);
      const centres = [[0, 0], [1, 0], [0, 1], [far, far]];
      return centres.flatMap((c) => Array.from({ length: 20 }, () => c.map((v) => Math.fround(v + 0.05 * rng.normal()))));
    };
    const nearestOf = (rows: number[][], c: number[][]) => rows.map((r) => {
      const dist = c.map((cc) => cc.reduce((s, v, j) => s + (v - r[j]) ** 2, 0));
      return dist.indexOf(Math.min(...dist));
    });
    for (const linkage of METHODS) {
      // 1e3 away: float32 distances tell the three apart; every training row is labelled by predict as by the tree
      const near = rowsFor(1e3);
      const m = await agglomerative(near, { k: 4, linkage, executor: ex });
      expect(nearestOf(near, m.centroids)).toEqual(Array.from(m.labels));
      expect(Array.from(await m.predict(near, { executor: ex }))).toEqual(Array.from(m.labels));
      // 1e4 away: centred on the centroids' mean (2.5e3), the three are a unit apart at 3.5e3, which float32 squared
      // distances cannot resolve: predict put rows of one cluster into another
      const e = await failure(() => agglomerative(rowsFor(1e4), { k: 4, linkage, executor: ex }));
      expect(e.code).toBe('E_TOO_FEW_DISTINCT');
      expect(e.message).toMatch(/centroids \d and \d lie nearer each other than float32 distances resolve/);
      // and a file holding such centroids is refused by loadModel, naming the field
      const moved = { ...m.toJSON(), centroids: m.centroids.map((c, t) => (t === 3 ? [1e4, 1e4] : c)) };
      const bad = await failure(() => loadModel(moved));
      expect(bad.code).toBe('E_BAD_MODEL');
      expect(bad.message).toContain('model field "centroids" cannot be scored');
      // a file whose two centroids are equal in float32 could never predict the second
      const twin = { ...m.toJSON(), centroids: m.centroids.map((c, t) => (t === 1 ? m.centroids[0] : c)) };
      expect((await failure(() => loadModel(twin))).code).toBe('E_BAD_MODEL');
      // centroids 4 apart beside one at 1e30: centred on their mean, float64 holds no difference between the two, so
      // the refusal gives the bound, not "0.00 apart"
      const lost = await failure(() => agglomerative([[5], [5], [1], [1e30]], { k: 3, linkage, executor: ex }));
      expect(lost.code).toBe('E_TOO_FEW_DISTINCT');
      expect(lost.message).toMatch(/centroid 2 lies 6\.67e\+29 from the column means while centroids 0 and 1 lie within [\d.]+e\+14 of each other: /);
    }
  });

  it('more clusters than distinct rows is E_TOO_FEW_DISTINCT, by k or by distanceThreshold', async () => {
    // three distinct points: a fourth cluster would split identical rows, one centroid for both halves
    const rows = [[0, 0], [0, 0], [0, 0], [5, 5], [5, 5], [9, 0], [9, 0], [9, 0]];
    for (const linkage of METHODS) {
      const byK = await failure(() => agglomerative(rows, { k: 4, linkage, executor: ex }));
      expect(byK.code).toBe('E_TOO_FEW_DISTINCT');
      expect(byK.message).toContain('option "k" is 4 but the data has only 3 distinct points');
      const byT = await failure(() => agglomerative(rows, { distanceThreshold: 0, linkage, executor: ex }));
      expect(byT.code).toBe('E_TOO_FEW_DISTINCT');
      expect(byT.message).toContain('cuts the tree into 8 clusters but the data has only 3 distinct points');
      const three = await agglomerative(rows, { k: 3, linkage, executor: ex });
      expect(Array.from(await three.predict(rows, { executor: ex }))).toEqual(Array.from(three.labels));
    }
  });

  it('n = 1 and n = 2', async () => {
    const one = await agglomerative([[1, 2]], { k: 1, executor: ex });
    expect(Array.from(one.labels)).toEqual([0]);
    expect(one.linkageMatrix.length).toBe(0);
    const two = await agglomerative([[0, 0], [3, 4]], { k: 1, linkage: 'single', executor: ex });
    expect(rowsOf(two.linkageMatrix)).toEqual([[0, 1, 5, 2]]);
  });
});

describe('the wasm kernels match their scalar twins on awkward shapes', () => {
  const shapes: [number, number][] = [[2, 1], [3, 3], [9, 5], [17, 17], [40, 2], [61, 7]];
  for (const [n, d] of shapes) {
    it(`n = ${n}, d = ${d} (with duplicates and integer ties)`, async () => {
      const rng = createRandom(n * 31 + d);
      const X = Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => (j % 2 ? Math.round(rng.normal() * 2) : Math.fround(rng.normal() * 3))));
      for (let i = 3; i < n; i += 7) X[i] = [...X[i - 1]];
      const h = await ex.load({ columns: Array.from({ length: d }, (_, j) => Float64Array.from(X, (r) => r[j])) }, { dtype: 'f64', replicate: true });
      try {
        const prim = (await ex.map(primSingleOp, h, { n }, { shards: [0] }))[0];
        expect(Array.from({ length: n - 1 }, (_, r) => Array.from(prim.subarray(3 * r, 3 * r + 3)))).toEqual(primSingleTwin(X));
        const ward = (await ex.map(wardChainOp, h, { n }, { shards: [0] }))[0];
        expect(Array.from({ length: n - 1 }, (_, r) => Array.from(ward.subarray(3 * r, 3 * r + 3)))).toEqual(wardChainTwin(X));
      } finally {
        await ex.release(h);
      }
    });
  }
});

describe('agglomerative refuses bad input, naming the option', () => {
  const X = [[0, 0], [1, 1], [2, 2]];
  it.each([
    [{ k: 2, linkage: 'median' }, 'linkage'], [{ k: 4 }, 'k'], [{ k: 0 }, 'k'], [{ k: 1.5 }, 'k'],
    [{ distanceThreshold: -1 }, 'distanceThreshold'], [{ k: 2, distanceThreshold: 1 }, 'distanceThreshold'], [{}, 'distanceThreshold'],
    [{ k: 2, linkages: 'ward' }, 'linkages'],
  ])('%j', async (options, name) => {
    const e = await failure(() => agglomerative(X, options as never));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain(`"${name}"`);
  });

  it('complete linkage beyond the 2 GiB distance matrix', async () => {
    const big = fromColumns({ columns: [new Float32Array(30_000)] });
    const e = await failure(() => agglomerative(big, { k: 2, linkage: 'complete' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('"linkage"');
    expect(e.message).toContain('GiB');
  });

  it('complete and average linkage beyond the 2 GiB distance matrix in chooseK\'s sweep too, before any matrix is made', async () => {
    // 100,000 distinct rows: a matrix of 5e9 distances (37 GiB)
    const big = fromColumns({ columns: [Float32Array.from({ length: 100_000 }, (_, i) => i)] });
    for (const linkage of ['complete', 'average'] as const) {
      const e = await failure(() => chooseK(big, { algorithm: 'agglomerative', linkage, kRange: [2, 3], executor: ex }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toContain(`"linkage" is "${linkage}"`);
      expect(e.message).toContain('37.3 GiB');
    }
  });
});

describe('agglomerative gives the same bytes on every executor', () => {
  it('every linkage', async () => {
    const executors: [string, Executor][] = [['inline', ex], ['piscina 2', piscinaExecutor({ threads: 2 })], ['loopback', loopbackExecutor()]];
    const f = fixture('blobs-600x4-k4');
    let want: string | undefined;
    for (const [name, e] of executors) {
      const parts: string[] = [];
      for (const method of METHODS) {
        const m = await agglomerative(f.X, { k: 4, linkage: method, executor: e });
        parts.push(Buffer.from(m.linkageMatrix.buffer).toString('base64'), Buffer.from((await m.predict(f.X, { executor: e })).buffer).toString('base64'));
      }
      const got = parts.join();
      if (want === undefined) want = got;
      else expect({ name, same: got === want }).toEqual({ name, same: true });
      if (e !== ex) await e.close();
    }
  }, 60_000);
});
