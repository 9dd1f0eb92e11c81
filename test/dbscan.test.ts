// DBSCAN against scikit-learn 1.2.1: labels, core points and noise identical on 2-D blobs (the grid), moons, 8-D
// blobs with and without sample weights (the kd-tree), and latitude/longitude with the haversine metric.
import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  close, createRandom, dbscan, DBSCANModel, fromColumns, inlineExecutor, kDistances, loadModel, loopbackExecutor, piscinaExecutor, type Executor,
} from '../src/index.node.js';
import { failure } from './helpers.js';

const fx = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const ex = inlineExecutor();
afterAll(async () => { await ex.close(); await close(); });

describe('dbscan reproduces scikit-learn', () => {
  it('moons (2-D grid): labels and core points identical', async () => {
    const f = fx('moons-dbscan');
    const m = await dbscan(f.X, { eps: f.eps, minSamples: f.min_samples, executor: ex });
    expect(Array.from(m.labels)).toEqual(f.labels);
    expect(Array.from(m.coreSampleIndices)).toEqual(f.core_sample_indices);
    expect(m.k).toBe(Math.max(...f.labels) + 1);
  });

  it('blobs with uniform noise (a pair 7e-6 of eps from the boundary)', async () => {
    const f = fx('dbscan-blobs-noise');
    const m = await dbscan(f.X, { eps: f.eps, minSamples: f.min_samples, executor: ex });
    expect(Array.from(m.labels)).toEqual(f.labels);
    expect(Array.from(m.coreSampleIndices)).toEqual(f.core_sample_indices);
    const counts = m.counts();
    expect(counts.noise).toBe(f.n_noise);
    expect(counts.core.reduce((a, b) => a + b, 0)).toBe(f.core_sample_indices.length);
    expect(counts.core.reduce((a, b) => a + b, 0) + counts.border.reduce((a, b) => a + b, 0) + counts.noise).toBe(f.X.length);
  });

  it('8-D blobs (kd-tree; a pair 1.1e-6 of eps from the boundary, closer than float32 rounding)', async () => {
    const f = fx('dbscan-8d-weighted');
    expect(f.min_relative_gap_to_eps).toBeLessThan(2e-6);
    const m = await dbscan(f.X, { eps: f.eps, minSamples: f.min_samples, executor: ex });
    expect(Array.from(m.labels)).toEqual(f.plain.labels);
    expect(Array.from(m.coreSampleIndices)).toEqual(f.plain.core_sample_indices);
  });

  it('sampleWeight: a core point needs minSamples of weight, itself included', async () => {
    const f = fx('dbscan-8d-weighted');
    const m = await dbscan(f.X, { eps: f.eps, minSamples: f.min_samples, sampleWeight: f.sample_weight, executor: ex });
    expect(Array.from(m.labels)).toEqual(f.weighted.labels);
    expect(Array.from(m.coreSampleIndices)).toEqual(f.weighted.core_sample_indices);
    expect(f.weighted.core_sample_indices).not.toEqual(f.plain.core_sample_indices);
  });

  it('negative sampleWeight, as scikit-learn takes it: a negative weight counts against its neighbours\' and can stop a point being core', async () => {
    const f = fx('dbscan-negative-weights');
    const pool = piscinaExecutor({ threads: 2 });
    try {
      for (const c of f.cases) {
        for (const executor of [ex, pool]) {
          const m = await dbscan(c.X, { eps: c.eps, minSamples: c.min_samples, sampleWeight: c.sample_weight, executor });
          expect(Array.from(m.labels), c.name).toEqual(c.labels);
          expect(Array.from(m.coreSampleIndices), c.name).toEqual(c.core_sample_indices);
        }
        // the negative weights decide: as positive ones, more points are core
        expect(c.abs_core_sample_indices.length, c.name).toBeGreaterThan(c.core_sample_indices.length);
      }
    } finally {
      await pool.close();
    }
  });

  it('sampleWeight is summed in float64, as scikit-learn sums it: weights of 0.9 and 0.1 make 1', async () => {
    const m = await dbscan([[0], [0.1], [5]], { eps: 0.5, minSamples: 1, sampleWeight: [0.9, 0.1, 0.5], executor: ex });
    expect(Array.from(m.coreSampleIndices)).toEqual([0, 1]);
    // scikit-learn 1.2.1 on the same rows: labels [0, 0, -1], core [0, 1]; in float32 the weights sum to 0.99999998
    expect(Array.from(m.labels)).toEqual([0, 0, -1]);
  });

  it('sampleWeight: decimal weights that add up to minSamples reach it (ten weights of 0.1 make 1), as in scikit-learn', async () => {
    // a running sum in row order falls one unit short of minSamples in most of these groups; numpy's pairwise sum,
    // scikit-learn's, lands on it
    const f = fx('dbscan-weight-sums');
    for (const c of f.cases) {
      const m = await dbscan(c.X, { eps: f.eps, minSamples: c.min_samples, sampleWeight: c.sample_weight, executor: ex });
      expect(Array.from(m.labels)).toEqual(c.labels);
      expect(Array.from(m.coreSampleIndices)).toEqual(c.core_sample_indices);
    }
  });

  it('sampleWeight: the order of the rows never decides whether their weights reach minSamples', async () => {
    // 0.7 + 0.1 + 0.2 rounds to 0.9999999999999999 in this order and to 1 in the other
    for (const w of [[0.7, 0.1, 0.2], [0.1, 0.2, 0.7], [0.2, 0.7, 0.1]]) {
      for (const rows of [[[0], [0], [0]], [[0], [0.1], [0.2]]]) {
        const m = await dbscan(rows, { eps: 0.5, minSamples: 1, sampleWeight: w, executor: ex });
        expect(Array.from(m.labels)).toEqual([0, 0, 0]);
      }
      // four dimensions: the kd-tree
      const m = await dbscan([[0, 0, 0, 0], [0, 0, 0, 0.1], [0, 0, 0.1, 0]], { eps: 0.5, minSamples: 1, sampleWeight: w, executor: ex });
      expect(Array.from(m.coreSampleIndices)).toEqual([0, 1, 2]);
    }
  });

  it('sampleWeight below float32\'s smallest (1e-46) is kept: the weights are summed in float64', async () => {
    // row 1 weighs 1e-46 and is core by row 0's weight (the neighbours' weights, itself included, reach minSamples)
    const m = await dbscan([[0], [0.1], [5]], { eps: 0.5, minSamples: 1, sampleWeight: [1, 1e-46, 1e-46], executor: ex });
    expect(Array.from(m.coreSampleIndices)).toEqual([0, 1]);
    expect(Array.from(m.labels)).toEqual([0, 0, -1]);
  });

  it('an eps beyond every distance reaches every row (its square would overflow)', async () => {
    const m = await dbscan([[0, 0], [1, 1], [1e30, -1e30]], { eps: 1e200, minSamples: 3, executor: ex });
    expect(Array.from(m.labels)).toEqual([0, 0, 0]);
    expect(Array.from(await m.predict([[5, 5]], { executor: ex }))).toEqual([0]);
  });

  it('haversine: latitude/longitude in degrees, eps in kilometres', async () => {
    const f = fx('dbscan-geo-haversine');
    expect(f.earth_radius_km).toBe(6371.0088);
    const m = await dbscan(f.X_deg, { eps: f.eps_km, minSamples: f.min_samples, metric: 'haversine', executor: ex });
    expect(Array.from(m.labels)).toEqual(f.labels);
    expect(Array.from(m.coreSampleIndices)).toEqual(f.core_sample_indices);
  });
});

describe('haversine eps of half the circumference or more (every pair within eps)', () => {
  it('all rows are neighbours, as scikit-learn 1.2.1 DBSCAN(metric="precomputed") finds on the great-circle distances', async () => {
    // the farthest pair lies 20015.1 km apart; scikit-learn's own haversine search compares sin^2(eps / 2), which
    // falls again past half the circumference (at 35000 km it calls every row noise; at 25000 km it finds one core point)
    const X = [[0, 0], [0, 90], [0, 180], [0, -90], [60, 30]];
    for (const eps of [25000, 35000]) {
      const m = await dbscan(X, { eps, minSamples: 5, metric: 'haversine', executor: ex });
      expect(Array.from(m.labels)).toEqual([0, 0, 0, 0, 0]);
      expect(Array.from(m.coreSampleIndices)).toEqual([0, 1, 2, 3, 4]);
      // a point anywhere is within eps of a core point, also for the saved model
      expect(Array.from(await m.predict([[-45, 120]], { executor: ex }))).toEqual([0]);
      expect(Array.from(await (loadModel(JSON.stringify(m)) as DBSCANModel).predict([[-45, 120]], { executor: ex }))).toEqual([0]);
      // kDistances' promise: core exactly when the k-distance is at most eps
      for (const kd of await kDistances(X, { k: 5, metric: 'haversine', executor: ex })) expect(kd).toBeLessThanOrEqual(eps);
    }
  });
});

describe('haversine eps of femtometres to nanometres', () => {
  it('rows at the north pole (their unit vectors 1e-16 apart): scikit-learn\'s clusters; predict and the saved model find each core point\'s own', async () => {
    // the search radius is widened by 1e-12 past the rounding of the unit vectors: a grid of eps-wide cells had to
    // reach a million cells each way, and its searches failed (E_WORKER) or ran for seconds on a few rows
    const f = fx('dbscan-haversine-tiny-eps');
    for (const [name, c] of Object.entries<{ X_deg: number[][]; eps_km: number; min_samples: number; labels: number[]; core_sample_indices: number[] }>(f.cases)) {
      const m = await dbscan(c.X_deg, { eps: c.eps_km, minSamples: c.min_samples, metric: 'haversine', executor: ex });
      expect({ name, labels: Array.from(m.labels) }).toEqual({ name, labels: c.labels });
      expect({ name, core: Array.from(m.coreSampleIndices) }).toEqual({ name, core: c.core_sample_indices });
      const cores = c.core_sample_indices.map((i) => c.X_deg[i]);
      const own = c.core_sample_indices.map((i) => c.labels[i]);
      for (const model of [m, loadModel(JSON.stringify(m)) as DBSCANModel]) {
        expect(Array.from(await model.predict([...cores, [0, 0]], { executor: ex }))).toEqual([...own, -1]);
      }
    }
  });
});

describe('DBSCANModel', () => {
  it('predict: the cluster of the nearest core point within eps, else -1', async () => {
    const f = fx('dbscan-blobs-noise');
    const m = await dbscan(f.X, { eps: f.eps, minSamples: f.min_samples, executor: ex });
    const again = await m.predict(f.X, { executor: ex });
    // core points are their own nearest core point; noise has no core point within eps
    expect(again).toHaveLength(f.labels.length);
    for (const i of f.core_sample_indices) expect(again[i]).toBe(f.labels[i]);
    f.labels.forEach((l: number, i: number) => { if (l === -1) expect(again[i]).toBe(-1); });
    // a border point joins the cluster of its nearest core point (here always its own cluster)
    const border = f.labels.map((l: number, i: number) => (l >= 0 && !f.core_sample_indices.includes(i) ? i : -1)).filter((i: number) => i >= 0);
    expect(border.length).toBeGreaterThan(0);
    for (const i of border) expect(again[i]).toBe(f.labels[i]);
    // a point far from everything
    expect(Array.from(await m.predict([[100, 100]], { executor: ex }))).toEqual([-1]);
  });

  it('predict with haversine, and the saved model predicts the same after loadModel', async () => {
    const f = fx('dbscan-geo-haversine');
    const m = await dbscan(f.X_deg, { eps: f.eps_km, minSamples: f.min_samples, metric: 'haversine', executor: ex });
    const json = JSON.parse(JSON.stringify(m.toJSON()));
    const back = loadModel(json);
    expect(back).toBeInstanceOf(DBSCANModel);
    expect(back.kind).toBe('dbscan');
    const want = await m.predict(f.X_deg, { executor: ex });
    expect(Array.from(await back.predict(f.X_deg, { executor: ex }))).toEqual(Array.from(want));
    // 1 km east of the first Paris point is the same cluster; 50 km away is not
    const p = f.X_deg[0];
    const east = (km: number) => [p[0], p[1] + km / (111.195 * Math.cos((p[0] * Math.PI) / 180))];
    const near = await back.predict([east(0.5), east(50)], { executor: ex });
    expect(near[0]).toBe(want[0]);
    expect(near[1]).toBe(-1);
  });

  it('loadModel refuses a tampered model, naming the field', async () => {
    const m = await dbscan(fx('moons-dbscan').X, { eps: 0.1, minSamples: 5, executor: ex });
    const good = m.toJSON();
    const bad = (patch: Record<string, unknown>) => () => loadModel({ ...good, ...patch });
    for (const [patch, field] of [
      [{ eps: -1 }, 'eps'], [{ minSamples: 0 }, 'minSamples'], [{ metric: 'manhattan' }, 'metric'],
      [{ coreLabels: good.coreLabels.slice(1) }, 'coreLabels'], [{ coreLabels: good.coreLabels.map(() => 0) }, 'coreLabels'],
      [{ components: [[1, Number.NaN], ...good.components.slice(1)] }, 'components[0][1]'], [{ extra: 1 }, 'extra'],
      [{ nUnassigned: good.nSamples + 1 }, 'nUnassigned'], [{ nUnassigned: good.nSamples }, 'components'],
      // more clusters than core points (each cluster has one), however many: refused before anything of size k
      [{ k: good.coreLabels.length + 1 }, 'model field "k"'], [{ k: 1e300 }, 'model field "k"'], [{ nSamples: 1e300 }, 'model field "nSamples"'],
    ] as const) {
      const e = await failure(bad(patch));
      expect(e.code).toBe('E_BAD_MODEL');
      expect(e.message).toContain(field);
    }
  });

  it('every fitted model loads back: the grid, pairs 7e-6 and 1.1e-6 of eps from it, the kd-tree, weights, haversine, many clusters', async () => {
    const blobs = fx('dbscan-blobs-noise'), eight = fx('dbscan-8d-weighted'), geo = fx('dbscan-geo-haversine');
    const rng = createRandom(11);
    // 40 small clusters in 5-D side by side, eps about their spacing: many pairs of clusters come close
    const many = Array.from({ length: 4000 }, (_, i) => Array.from({ length: 5 }, (_, j) => (j === 0 ? (i % 40) * 1.3 : 0) + 0.25 * rng.normal()));
    const fits = [
      await dbscan(fx('moons-dbscan').X, { eps: 0.1, minSamples: 5, executor: ex }),
      await dbscan(blobs.X, { eps: blobs.eps, minSamples: blobs.min_samples, executor: ex }),
      await dbscan(eight.X, { eps: eight.eps, minSamples: eight.min_samples, sampleWeight: eight.sample_weight, executor: ex }),
      await dbscan(geo.X_deg, { eps: geo.eps_km, minSamples: geo.min_samples, metric: 'haversine', executor: ex }),
      await dbscan(many, { eps: 0.45, minSamples: 8, executor: ex }),
    ];
    expect(fits[4].k).toBeGreaterThan(10);
    for (const m of fits) {
      const back = loadModel(JSON.parse(JSON.stringify(m.toJSON()))) as DBSCANModel;
      expect(Array.from(back.coreLabels)).toEqual(Array.from(m.coreLabels));
    }
  });

  it('loadModel refuses core points within eps of each other in different clusters (grid, kd-tree, haversine)', async () => {
    // relabels one core point that has another core point of its cluster within eps, taking it to the next cluster
    const tamper = async (m: DBSCANModel, within: (a: number[], b: number[]) => boolean) => {
      const j = m.toJSON();
      const size = new Map<number, number>();
      for (const l of j.coreLabels) size.set(l, (size.get(l) ?? 0) + 1);
      const c = j.coreLabels.findIndex((l, a) => size.get(l)! > 1 && j.components.some((row, b) => b !== a && j.coreLabels[b] === l && within(j.components[a], row)));
      expect(c).toBeGreaterThanOrEqual(0);
      const coreLabels = j.coreLabels.map((l, a) => (a === c ? (l + 1) % j.k : l));
      const e = await failure(() => loadModel({ ...j, coreLabels }));
      expect(e.code).toBe('E_BAD_MODEL');
      expect(e.message).toContain('model field "coreLabels" puts core points');
      expect(e.message).toMatch(new RegExp(`core points (${c} and \\d+|\\d+ and ${c}) \\(components\\[`));
      expect(e.message).toContain('core points within eps of each other are one cluster');
    };
    const euclid = (eps: number) => (a: number[], b: number[]) => a.reduce((s, v, q) => s + (v - b[q]) ** 2, 0) <= eps * eps;
    expect(fx('moons-dbscan').X[0]).toHaveLength(2);
    await tamper(await dbscan(fx('moons-dbscan').X, { eps: 0.1, minSamples: 5, executor: ex }), euclid(0.1));
    const eight = fx('dbscan-8d-weighted');
    await tamper(await dbscan(eight.X, { eps: eight.eps, minSamples: eight.min_samples, executor: ex }), euclid(eight.eps * (1 - 1e-5)));
    const geo = fx('dbscan-geo-haversine');
    const km = (a: number[], b: number[]) => {
      const r = Math.PI / 180, h = Math.sin(((a[0] - b[0]) * r) / 2) ** 2 + Math.cos(a[0] * r) * Math.cos(b[0] * r) * Math.sin(((a[1] - b[1]) * r) / 2) ** 2;
      return 2 * 6371.0088 * Math.asin(Math.sqrt(h));
    };
    await tamper(await dbscan(geo.X_deg, { eps: geo.eps_km, minSamples: geo.min_samples, metric: 'haversine', executor: ex }), (a, b) => km(a, b) <= geo.eps_km * (1 - 1e-5));
    // a hand-written 4-D model (kd-tree): two tight pairs, each pair split across the clusters
    const hand = { kind: 'dbscan', version: 1, k: 2, featureNames: ['a', 'b', 'c', 'd'], eps: 0.5, minSamples: 2, metric: 'euclidean', nSamples: 4, nUnassigned: 0, components: [[0, 0, 0, 0], [0.1, 0, 0, 0], [5, 5, 5, 5], [5.1, 5, 5, 5]] };
    const e = await failure(() => loadModel({ ...hand, coreLabels: [0, 1, 0, 1] }));
    expect(e.message).toContain('puts core points 0 and 1 (components[0] and components[1]), which lie within eps (0.5) of each other, in clusters 0 and 1');
    // 2,000 points in a 5-D slab split at the median of x0 (kd-tree): pairs across the split lie in leaves that hold one
    // cluster each, so only a search around each leaf that reaches eps past it finds them
    const rng = createRandom(21);
    const slab = Array.from({ length: 2000 }, () => [2 * rng.next(), 0.5 * rng.next(), 0.5 * rng.next(), 0.5 * rng.next(), 0.5 * rng.next()].map(Math.fround));
    const median = slab.map((p) => p[0]).sort((a, b) => a - b)[1000];
    const split = { ...hand, featureNames: ['a', 'b', 'c', 'd', 'e'], eps: 0.2, minSamples: 5, nSamples: 2000, components: slab, coreLabels: slab.map((p) => (p[0] < median ? 0 : 1)) };
    const s = await failure(() => loadModel(split));
    expect(s.code).toBe('E_BAD_MODEL');
    expect(s.message).toContain('which lie within eps (0.2) of each other, in clusters');
    const ok = loadModel({ ...hand, coreLabels: [0, 0, 1, 1] }) as DBSCANModel;
    expect(Array.from(await ok.predict([[0.05, 0, 0, 0], [5.05, 5, 5, 5], [2, 2, 2, 2]], { executor: ex }))).toEqual([0, 1, -1]);
  });
});

describe('dbscan refuses bad input, naming the option', () => {
  const X = [[0, 0], [1, 1], [2, 2]];
  it.each([
    [{ eps: 0 }, 'eps'], [{ eps: -0.5 }, 'eps'], [{ eps: Number.NaN }, 'eps'], [{ eps: 1, minSamples: 0 }, 'minSamples'],
    [{ eps: 1, minSamples: 1.5 }, 'minSamples'], [{ eps: 1, metric: 'cosine' }, 'metric'], [{ eps: 1, epsilon: 2 }, 'epsilon'],
    [{ eps: 1, sampleWeight: [1, Number.NaN, 1] }, 'sampleWeight'], [{ eps: 1, sampleWeight: [1, -Infinity, 1] }, 'sampleWeight'],
  ])('%j', async (options, name) => {
    const e = await failure(() => dbscan(X, options as never));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain(`"${name}"`);
  });

  it('haversine without exactly two columns', async () => {
    const e = await failure(() => dbscan([[1, 2, 3]], { eps: 1, metric: 'haversine' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toMatch(/"metric".*two columns/);
  });

  it('haversine with a latitude beyond 90 names the row and column', async () => {
    const e = await failure(() => dbscan(fromColumns({ columns: [[10, 91.5], [3, 4]], names: ['lat', 'lon'] }), { eps: 1, metric: 'haversine' }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('row 1, column "lat"');
    expect(e.message).toContain('91.5');
  });
});

describe('kDistances', () => {
  it('the k-th nearest distance, the row itself first (scikit-learn 1.2.1 NearestNeighbors(3).kneighbors)', async () => {
    const X = [[0, 0], [0, 0], [1, 0], [0, 1], [3, 3], [3, 4]];
    expect(Array.from(await kDistances(X, { k: 3, executor: ex }))).toEqual([1, 1, 1, 1, 3.605551275463989, 4.242640687119285]);
  });

  it('haversine, rows metres apart at mid latitudes: scikit-learn\'s distances, and a row is core from eps = its k-distance on', async () => {
    // the chord between unit vectors rounds to about 1e-16 of the earth's radius (0.6 nm), 1e-9 of a distance of a
    // metre, and an eps that much above the k-distance left the row noise
    const f = fx('haversine-kdistances');
    for (const [name, c] of Object.entries<{ X_deg: number[][]; k: number; k_distances_km: number[] }>(f.cases)) {
      const kd = await kDistances(c.X_deg, { k: c.k, metric: 'haversine', executor: ex });
      kd.forEach((v, i) => expect({ name, i, rel: Math.abs(v / c.k_distances_km[i] - 1) <= 1e-12 }).toEqual({ name, i, rel: true }));
      for (let i = 0; i < kd.length; i += 3) {
        const above = await dbscan(c.X_deg, { eps: kd[i] * (1 + 1e-12), minSamples: c.k, metric: 'haversine', executor: ex });
        const below = await dbscan(c.X_deg, { eps: kd[i] * (1 - 1e-12), minSamples: c.k, metric: 'haversine', executor: ex });
        expect({ name, i, core: [above.coreSampleIndices.includes(i), below.coreSampleIndices.includes(i)] }).toEqual({ name, i, core: [true, false] });
      }
    }
  });

  it('haversine: each row is core from eps = its k-distance on and noise one unit in the last place below it', async () => {
    // eps -> sin^2(eps / 2) rounds unlike the k-th neighbour's sin^2 form -> distance: at the distance itself, or a
    // unit in the last place above it, a row was noise in about one case in four
    const prev = (x: number) => { const b = new Float64Array([x]); new BigInt64Array(b.buffer)[0] -= 1n; return b[0]; };
    const rng = createRandom(9);
    let checked = 0;
    for (const [spread, k] of [[0.001, 2], [0.1, 3], [5, 4]] as const) {
      const X = Array.from({ length: 24 }, () => [40 + spread * rng.next(), spread * rng.next()]);
      const kd = await kDistances(X, { k, metric: 'haversine', executor: ex });
      for (let i = 0; i < X.length; i++) {
        const at = await dbscan(X, { eps: kd[i], minSamples: k, metric: 'haversine', executor: ex });
        const below = await dbscan(X, { eps: prev(kd[i]), minSamples: k, metric: 'haversine', executor: ex });
        expect({ spread, i, core: [at.coreSampleIndices.includes(i), below.coreSampleIndices.includes(i)] }).toEqual({ spread, i, core: [true, false] });
        checked++;
      }
    }
    expect(checked).toBe(72);
  });

  it('without options: E_BAD_OPTION naming them, as dbscan says it, not a TypeError', async () => {
    const e = await failure(() => kDistances([[0], [1]], undefined as never));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('"options"');
    expect((await failure(() => dbscan([[0], [1]], undefined as never))).message).toContain('"options"');
  });
});

describe('dbscan gives the same bytes on every executor', () => {
  it('two shards of 2-D points (grid) and of 4-D points (kd-tree)', async () => {
    const executors: [string, Executor][] = [
      ['inline', ex], ['piscina 2', piscinaExecutor({ threads: 2 })], ['piscina 3', piscinaExecutor({ threads: 3 })], ['loopback', loopbackExecutor()],
    ];
    const rng = createRandom(5);
    const n = 65_536 + 3_001;
    const make = (d: number) => fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => (i % 7) * 3 + j + rng.normal() * (i % 50 === 0 ? 9 : 0.6))) });
    const two = make(2), four = make(4);
    const weights = Float32Array.from({ length: n }, (_, i) => (i % 3) * 0.75);
    let want: string | undefined;
    for (const [name, e] of executors) {
      const a = await dbscan(two, { eps: 0.05, minSamples: 4, executor: e });
      const b = await dbscan(four, { eps: 0.12, minSamples: 5, sampleWeight: weights, executor: e });
      const p = await a.predict(two, { executor: e });
      const got = JSON.stringify([Buffer.from(a.labels.buffer).toString('base64'), Buffer.from(b.labels.buffer).toString('base64'), Buffer.from(p.buffer).toString('base64'), a.k, b.k]);
      if (want === undefined) {
        want = got;
        expect(a.k).toBeGreaterThan(1);
        expect(b.k).toBeGreaterThan(1);
      } else expect({ name, same: got === want }).toEqual({ name, same: true });
      if (e !== ex) await e.close();
    }
  }, 120_000);
});
