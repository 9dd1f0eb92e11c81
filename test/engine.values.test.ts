// Values the kernels cannot take as they are: huge finite features, features changed after they were checked,
// weights beyond float32.
import { afterAll, describe, expect, it } from 'vitest';
import { adjustedRandScore, agglomerative, calinskiHarabaszScore, close, createRandom, dbscan, fromColumns, hdbscan, inlineExecutor, kmeans, miniBatchKMeans, piscinaExecutor, silhouetteScore } from '../src/index.node.js';
import { failure } from './helpers.js';
import { centresF32 } from '../src/kernels/shard.js';

afterAll(close);

/** Two well-separated groups of 50 rows in 2-D, times `scale`. */
function twoGroups(scale: number) {
  const x = new Float32Array(100), y = new Float32Array(100);
  for (let i = 0; i < 100; i++) {
    const g = i < 50 ? 0 : 1;
    x[i] = (g * 10 + (i % 7) * 0.3) * scale;
    y[i] = (g * -10 + (i % 5) * 0.2) * scale;
  }
  return { ds: fromColumns({ columns: [x, y], names: ['x', 'y'] }), truth: Array.from({ length: 100 }, (_, i) => (i < 50 ? 0 : 1)) };
}

describe('huge finite values are clustered correctly (scaled internally by a power of two)', () => {
  it.each([1, 1e20, 1e37, 1e-30])('values times %s: the two groups, the same labels as at scale 1, a finite silhouette', async (scale) => {
    const { ds, truth } = twoGroups(scale);
    const base = twoGroups(1);
    const m = await kmeans(ds, { k: 2, seed: 1 });
    const m1 = await kmeans(base.ds, { k: 2, seed: 1 });
    expect(adjustedRandScore(truth, m.labels)).toBe(1);
    expect(Array.from(m.labels)).toEqual(Array.from(m1.labels));
    // centroids come back in the data's units: the group means
    const c = m.centroids.find((r) => r[0] < 5 * scale)!;
    expect(c[0] / scale).toBeCloseTo(m1.centroids.find((r) => r[0] < 5)![0], 4);
    expect(Number.isFinite(m.inertia)).toBe(true);
    expect(m.inertia / (scale * scale)).toBeCloseTo(m1.inertia, 2);
    const s = await silhouetteScore(ds, m.labels);
    expect(s).toBeCloseTo(await silhouetteScore(base.ds, m1.labels), 5);
    expect(Number.isFinite(await calinskiHarabaszScore(ds, m.labels))).toBe(true);
    expect(Array.from(await m.predict(ds))).toEqual(Array.from(m.labels));
  });

  it('predict over several shards on a pool, each shard labelled as it is loaded: rows that must be scaled are labelled again, a NaN in a late shard is refused', async () => {
    const n = 2 * 65_536 + 5_000;
    const rows = (scale: number) => {
      const x = new Float32Array(n), y = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const g = (i * 7) % 3 === 0 ? 1 : 0;
        x[i] = (g * 10 + (i % 7) * 0.3) * scale;
        y[i] = (g * -10 + (i % 5) * 0.2) * scale;
      }
      return fromColumns({ columns: [x, y], names: ['x', 'y'] });
    };
    const want = Array.from({ length: n }, (_, i) => ((i * 7) % 3 === 0 ? 1 : 0));
    const executor = piscinaExecutor({ threads: 2 });
    try {
      for (const scale of [1, 1e20]) {
        const { ds } = twoGroups(scale);
        const m = await kmeans(ds, { k: 2, seed: 1, executor });
        const one = m.labels[0] === 0 ? 1 : 0;
        const got = await m.predict(rows(scale), { executor });
        expect(got).toHaveLength(n);
        expect(Array.from(got, (l) => (l === one ? 1 : 0))).toEqual(want);
        expect(Array.from(await m.predict(rows(scale), { executor: inlineExecutor() }))).toEqual(Array.from(got));
      }
      const { ds } = twoGroups(1);
      const m = await kmeans(ds, { k: 2, seed: 1, executor });
      const bad = rows(1);
      bad.columns[1][n - 3] = Number.NaN;
      const e = await failure(() => m.predict(bad, { executor }));
      expect(e.code).toBe('E_NAN_INPUT');
      expect(e.message).toContain(`row ${n - 3}, column "y"`);
    } finally {
      await executor.close();
    }
  });

  it('predict (k-means and mini-batch) reads the rows once, most never copied in: the labels equal a float32 twin of the kernel on 1, 2 and 3 threads', async () => {
    const n = 5 * 65_536 + 13, d = 3, k = 7;
    const rng = createRandom(4);
    const cols = Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, () => 100 * j + 10 * rng.next() ** 2));
    const ds = fromColumns({ columns: cols });
    const m = await kmeans(ds, { k, seed: 3, maxIter: 4, executor: inlineExecutor() });
    // the kernel's arithmetic: each value less the float32 offset, dot products summed feature by feature in float32,
    // |c|^2 - 2 x.c compared, the first centre kept on a tie
    const f = Math.fround;
    const twinOf = ({ offset, cent, norms }: { offset: Float32Array; cent: Float32Array; norms: Float32Array }) => {
      const twin = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        let best = Infinity;
        for (let t = 0; t < k; t++) {
          let a = 0;
          for (let j = 0; j < d; j++) a = f(a + f(f(cols[j][i] - offset[j]) * cent[t * d + j]));
          const v = f(norms[t] - f(a + a));
          if (v < best) { best = v; twin[i] = t; }
        }
      }
      return twin;
    };
    const mb = await miniBatchKMeans(ds, { k, seed: 3, maxIter: 1, executor: inlineExecutor() });
    const models = [
      { model: m, twin: twinOf(m.scoringState()) },
      { model: mb, twin: twinOf({ offset: Float32Array.from(mb.toJSON().offset), ...centresF32(mb.centres, k, d) }) },
    ];
    for (const { model, twin } of models) {
      expect(new Set(twin).size).toBe(k);
      for (const threads of [1, 2, 3]) {
        const executor = threads === 1 ? inlineExecutor() : piscinaExecutor({ threads });
        try {
          const got = await model.predict(ds, { executor });
          let diff = 0;
          for (let i = 0; i < n; i++) if (got[i] !== twin[i]) diff++;
          expect(diff).toBe(0);
        } finally {
          await executor.close();
        }
      }
    }
  });

  it('a value that overflows float32 once its column is centred is refused naming the row and column', async () => {
    const x = Float32Array.from({ length: 10 }, (_, i) => (i === 3 ? 3.3e38 : -3.3e38));
    const e = await failure(() => kmeans(fromColumns({ columns: [x, new Float32Array(10).map((_, i) => i)], names: ['spend', 'n'] }), { k: 2 }));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toMatch(/row \d, column "spend"/);
  });
});

describe('data changed after it was checked', () => {
  it('a NaN written into the caller\'s Float32Array after fromColumns is refused at predict and fit, naming the row and column', async () => {
    const cols = [Float32Array.from({ length: 20 }, (_, i) => i % 2), Float32Array.from({ length: 20 }, (_, i) => i)];
    const ds = fromColumns({ columns: cols, names: ['a', 'b'] });
    const m = await kmeans(ds, { k: 2, seed: 1, executor: inlineExecutor() });
    cols[1][7] = Number.NaN;
    let e = await failure(() => m.predict(ds));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toContain('row 7, column "b"');
    e = await failure(() => kmeans(ds, { k: 2 }));
    expect(e.code).toBe('E_NAN_INPUT');
    expect(e.message).toContain('row 7, column "b"');
    cols[0][2] = Number.POSITIVE_INFINITY;
    e = await failure(() => silhouetteScore(ds, m.labels));
    expect(e.code).toBe('E_NAN_INPUT');
  });

  it('dbscan, hdbscan and agglomerative fits, and DBSCAN predict, refuse it too (they work from their own float64 copies)', async () => {
    const cols = [Float32Array.from({ length: 40 }, (_, i) => (i % 2) * 10 + (i % 5) * 0.1), Float32Array.from({ length: 40 }, (_, i) => (i % 3) * 0.1)];
    const ds = fromColumns({ columns: cols, names: ['a', 'b'] });
    const model = await dbscan(ds, { eps: 1, minSamples: 3 });
    const geo = fromColumns({ columns: [Float32Array.from({ length: 40 }, (_, i) => 40 + (i % 4) * 0.01), Float32Array.from({ length: 40 }, (_, i) => 2 + (i % 3) * 0.01)], names: ['lat', 'lon'] });
    cols[1][9] = Number.NaN;
    geo.columns[1][5] = Number.NEGATIVE_INFINITY;
    const runs: [string, () => Promise<unknown>][] = [
      ['dbscan', () => dbscan(ds, { eps: 1, minSamples: 3 })],
      ['dbscan, haversine', () => dbscan(geo, { eps: 0.001, minSamples: 3, metric: 'haversine' })],
      ['hdbscan', () => hdbscan(ds, { minClusterSize: 5 })],
      ['agglomerative, ward', () => agglomerative(ds, { k: 2, linkage: 'ward' })],
      ['agglomerative, single', () => agglomerative(ds, { k: 2, linkage: 'single' })],
      ['DBSCAN predict', () => model.predict(ds)],
    ];
    for (const [what, run] of runs) {
      const e = await failure(run);
      expect(e.code, what).toBe('E_NAN_INPUT');
      expect(e.message, what).toMatch(what.includes('haversine') ? /row 5, column "lon"/ : /row 9, column "b"/);
    }
  });
});

describe('scoring a batch with a far row', () => {
  it('labels every other row as it would alone (the scale comes from the model); only a row whose products with the centres leave float32 is refused', async () => {
    const X = [[0, 0], [0, 1], [1, 0], [10, 10], [10, 11], [11, 10], [5, 5], [4, 6]];
    const normal = [[10, 10], [9, 9], [0, 0], [7, 7], [6.5, 6.5]];
    const km = await kmeans(X, { k: 2, seed: 1 });
    const mb = await miniBatchKMeans(X, { k: 2, seed: 1 });
    const ag = await agglomerative(X, { k: 2 });
    for (const model of [km, mb, ag]) {
      const alone = Array.from(await model.predict(normal));
      const upper = alone[0];
      // far rows are labelled too (nearest: the centre at (10, 10)), and the others as alone
      for (const far of [1e18, 1e19, 1e30]) {
        const got = Array.from(await model.predict([...normal, [far, 0]]));
        expect(got.slice(0, 5), String(far)).toEqual(alone);
        expect(got[5], String(far)).toBe(upper);
      }
      const e = await failure(() => model.predict([...normal, [3e38, 3e38]]));
      expect(e.code).toBe('E_NAN_INPUT');
      expect(e.message).toMatch(/^row 5, column "x0" holds .*: the row lies too far from the model's centres for float32 distances/);
    }
    // its distances do not fit float32: transform names the row instead of returning Infinity
    for (const model of [km, mb]) {
      const e = await failure(() => model.transform([...normal, [0, -1e25]]));
      expect(e.code).toBe('E_NAN_INPUT');
      expect(e.message).toMatch(/^row 5: its distance to centroid \d overflows float32/);
    }
    // a model of tiny centres scales rows up: an ordinary row is still labelled (its distances are what overflow)
    const tiny = await kmeans([[0], [1e-13], [2e-13], [1e-12], [1.1e-12], [1.2e-12]], { k: 2, seed: 1 });
    const labels = Array.from(await tiny.predict([[5], [1e6], [0]]));
    expect(labels[0]).toBe(labels[1]);
    expect(labels[2]).not.toBe(labels[0]);
  });
});

describe('values float32 centring cannot tell apart', () => {
  it('k-means refuses them (explicit, random, k-means++ and k-means|| starts) instead of leaving a cluster empty', async () => {
    // five distinct values, each exact in float32; less the column mean (2e9) the first four are one float32 value
    const X = [[0], [1], [10], [11], [1e10]];
    const runs: [string, Record<string, unknown>, string, RegExp][] = [
      ['explicit', { init: [[0], [10], [1e10]] }, 'E_BAD_OPTION', /option "init" rows 0 and 1 are equal once centred/],
      ['random', { init: 'random', seed: 1 }, 'E_TOO_FEW_DISTINCT', /centres 0 and 1 are equal once centred/],
      ['k-means++', { seed: 1 }, 'E_TOO_FEW_DISTINCT', /found only 2 distinct points for k = 3 once the columns are centred/],
      ['k-means||', { init: 'k-means||', seed: 1 }, 'E_TOO_FEW_DISTINCT', /found only 2 distinct points/],
    ];
    for (const [what, o, code, message] of runs) {
      const e = await failure(() => kmeans(X, { k: 3, ...o }));
      expect(e.code, what).toBe(code);
      expect(e.message, what).toMatch(message);
      expect(e.message, what).toContain('7 significant digits');
      expect(e.hint, what).toMatch(/log-transform or rescale/);
    }
    // two clusters are within reach, and the same values log-transformed give the three
    expect(Array.from((await kmeans(X, { k: 2, seed: 1 })).labels)).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from((await kmeans(X.map(([v]) => [Math.log1p(v)]), { k: 3, init: [[0], [Math.log1p(10)], [Math.log1p(1e10)]] })).labels)).toEqual([0, 0, 1, 1, 2]);
  });

  it('k-means refuses distinct centres its float32 distances cannot tell apart, where rows went to centres not their nearest', async () => {
    // five distinct values; less the column mean (7.8e5) the four small ones are distinct in float32, but their squared
    // distances to centres at 7.8e5 from the mean are rounded by far more than the 100 between them: the fit labelled
    // 0, 10, 20 and 30 with centroids 20, 20, 30 and 20, two clusters empty, inertia 700 where each value alone gives 0
    const rows = [[0], [10], [20], [30], ...Array.from({ length: 14 }, () => [1e6])];
    for (const init of ['k-means++', 'random', 'k-means||'] as const) {
      const e = await failure(() => kmeans(rows, { k: 5, init, seed: 0 }));
      expect(e.code, init).toBe('E_TOO_FEW_DISTINCT');
      expect(e.message, init).toMatch(/^the fit ended with centre \d holding no rows once centred \(column means 7\.778e\+5\)/);
      expect(e.hint, init).toMatch(/log-transform or rescale/);
    }
    // the same values log-transformed: five clusters of one value each
    const m = await kmeans(rows.map(([v]) => [Math.log1p(v)]), { k: 5, seed: 0 });
    expect(new Set(m.labels).size).toBe(5);
    expect(m.inertia).toBeLessThan(1e-20);
  });
});

describe('an explicit start too far from the data for float32 distances', () => {
  // two groups of 20 rows near 0 and 6
  const X = Array.from({ length: 40 }, (_, i) => [(i % 2) * 6 + (i % 5) * 0.1]);

  it('is refused, naming the row, instead of labelling every row by ties of infinite distances', async () => {
    // squared distances near 1e40 overflow float32: every row found all three centres at Infinity and took centre 0,
    // where scikit-learn gives every row to the nearest, centre 2, and relocates the two empty ones
    for (const init of [[[3e20], [2e20], [1e20]], [[0], [6], [-2e19]]]) {
      const e = await failure(() => kmeans(X, { k: 3, init, maxIter: 1 }));
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toMatch(new RegExp(`^option "init" row ${init[0][0] === 0 ? 2 : 0} lies .* from the column means`));
    }
    // the same far start on huge data the load scales down is within reach
    const huge = await kmeans(X.map(([v]) => [v * 1e20]), { k: 3, init: [[3e20], [2e20], [1e20]], maxIter: 1 });
    expect(huge.k).toBe(3);
  });

  it('a far start within float32 still fits: the far centre keeps no rows and takes the farthest one', async () => {
    const m = await kmeans(X, { k: 3, init: [[1e17], [0], [6]], maxIter: 1 });
    // scikit-learn 1.2.1 from this start (n_init=1, max_iter=1): the groups go to centres 1 and 2, centre 0, left
    // empty, takes a row of 6.4 (the farthest from its centre), and the rows of 6.3 and 6.4 end nearest it
    expect(Array.from(m.labels)).toEqual(X.map((_, i) => (i % 2 === 0 ? 1 : i % 5 >= 3 ? 0 : 2)));
    [6.4, 0.2, 6.189473679191188].forEach((v, t) => expect(m.centroids[t][0]).toBeCloseTo(v, 5));
  });
});

describe('sample weights', () => {
  it('a row weighing 1e14 to 1e20 leaves the inertia right (summed row by row when the sufficient statistics would cancel)', async () => {
    const X = [[0, 0], [1, 0], [0, 1], [10, 10], [11, 10], [10, 11], [20, 0], [21, 1], [5, 5], [6, 7]];
    const init = [[0, 0], [10, 10], [20, 0]];
    const recomputed = (m: { centroids: number[][]; labels: Int32Array }, w: number[]) =>
      X.reduce((s, x, i) => s + w[i] * ((x[0] - m.centroids[m.labels[i]][0]) ** 2 + (x[1] - m.centroids[m.labels[i]][1]) ** 2), 0);
    for (const big of [1e14, 1e16, 1e20]) {
      const w = X.map((_, i) => (i === 3 ? big : 1));
      const m = await kmeans(X, { k: 3, init, sampleWeight: w });
      // scikit-learn's inertia for these labels and centroids: 62 (the heavy row sits on its centroid)
      expect(m.inertia, String(big)).toBeCloseTo(62, 9);
      expect(m.inertia, String(big)).toBeCloseTo(recomputed(m, w), 9);
      const mb = await miniBatchKMeans(X, { k: 3, init, sampleWeight: w, seed: 1 });
      expect(Math.abs(mb.inertia - recomputed(mb, w)) / recomputed(mb, w), String(big)).toBeLessThan(1e-9);
    }
  });

  it('a weight beyond float32 is refused naming the row', async () => {
    const { ds } = twoGroups(1);
    const w = new Array(100).fill(1);
    w[42] = 1e39;
    const e = await failure(() => kmeans(ds, { k: 2, sampleWeight: w }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('row 42');
    expect(e.message).toContain('float32');
  });
});
