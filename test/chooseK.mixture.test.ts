import { afterAll, describe, expect, it } from 'vitest';
import { chooseK, close, createRandom, fromColumns, GaussianMixtureModel, inlineExecutor, type Dataset } from '../src/index.node.js';
import { failure } from './helpers.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});

/** Four elongated, correlated groups: a mixture with full covariances describes them better than round ones. */
function groups(n: number, seed: number): Dataset {
  const rng = createRandom(seed);
  const centres = [[0, 0], [9, 1], [1, 10], [10, 11]];
  const x = new Float32Array(n), y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = centres[i % 4], a = rng.normal() * 1.6, b = rng.normal() * 0.4;
    x[i] = c[0] + a * 0.8 - b * 0.6;
    y[i] = c[1] + a * 0.6 + b * 0.8;
  }
  return fromColumns({ columns: [x, y], names: ['spend', 'visits'] });
}

describe('chooseK with a Gaussian mixture', () => {
  const ds = groups(2_000, 3);

  it('a fit that leaves components empty has no silhouette or comparisons (NaN), and is still scored by BIC', async () => {
    // 30 customers a few 1e-30 apart: every fit puts them all in one component (scikit-learn's too)
    const a = Float32Array.from({ length: 30 }, (_, i) => (1 + (i % 7) * 0.1) * 1e-30);
    const b = Float32Array.from({ length: 30 }, (_, i) => (2 + (i % 5) * 0.1) * 1e-30);
    const r = await chooseK(fromColumns({ columns: [a, b], names: ['a', 'b'] }), { algorithm: 'gmm', kRange: [2, 4], seed: 1, executor: ex });
    expect(r.table.map((row) => row.k)).toEqual([2, 3, 4]);
    for (const row of r.table) {
      expect(row.silhouette).toBeNaN();
      expect(row.calinskiHarabasz).toBeNaN();
      expect(row.daviesBouldin).toBeNaN();
      expect(Number.isFinite(row.bic)).toBe(true);
    }
    expect(r.recommendedK).toBe(r.table.reduce((x, y) => (y.bic! < x.bic! ? y : x)).k);
    expect(r.reason).toContain('its silhouette is not defined');
    // no k is the best by a silhouette none has
    expect(r.silhouetteK).toBeNaN();
  });

  it('a sampled silhouette missing a small segment is not blamed on empty components', async () => {
    // 196 customers near the origin and 4 far away; a 10-row silhouette sample holds only the near ones
    let seed = 1;
    const u = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const x: number[] = [], y: number[] = [];
    for (let i = 0; i < 200; i++) { x.push((i < 4 ? 100 : 0) + u()); y.push((i < 4 ? 100 : 0) + u()); }
    const r = await chooseK(fromColumns({ columns: [Float32Array.from(x), Float32Array.from(y)] }), { algorithm: 'gmm', kRange: [2, 4], silhouetteSampleSize: 10, seed: 3, executor: ex, keepModels: true });
    const row = r.table.find((t) => t.k === r.recommendedK)!;
    expect(row.silhouette).toBeNaN();
    // every component of the recommended fit holds customers
    const counts = new Array<number>(row.k).fill(0);
    for (const l of r.models!.get(row.k)!.labels) counts[l]++;
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(Number.isFinite(row.calinskiHarabasz)).toBe(true);
    expect(r.reason).not.toContain('components empty');
    expect(r.reason).toContain('Its sample holds a single segment, so its sampled (10 rows) silhouette is not defined');
  });

  it('reports BIC and AIC for every k and covariance type and recommends the lowest BIC', async () => {
    const r = await chooseK(ds, { algorithm: 'gmm', covarianceType: ['full', 'spherical'], kRange: [2, 6], seed: 1, executor: ex, keepModels: true });
    expect(r.table).toHaveLength(10);
    for (const row of r.table) {
      expect(['full', 'spherical']).toContain(row.covarianceType);
      expect(Number.isFinite(row.bic) && Number.isFinite(row.aic)).toBe(true);
      expect(row.aic!).toBeLessThan(row.bic!);
    }
    const best = r.table.reduce((a, b) => (b.bic! < a.bic! ? b : a));
    expect(r.recommendedK).toBe(4);
    expect(r.bicK).toBe(best.k);
    expect(r.covarianceType).toBe('full');
    expect(r.reason).toContain('lowest BIC');
    expect(r.reason).toContain('full covariances');
    // the criteria are scikit-learn's: the kept model's own bic and aic on the rows give the same numbers
    const model = r.models!.get(4) as GaussianMixtureModel;
    expect(model.kind).toBe('gmm');
    expect(model.covarianceType).toBe('full');
    expect(await model.bic(ds, { executor: ex })).toBeCloseTo(best.bic!, 6);
    expect(await model.aic(ds, { executor: ex })).toBeCloseTo(best.aic!, 6);
    // each k keeps the covariance type with the lowest BIC at that k
    for (const [k, m] of r.models!) {
      const rows = r.table.filter((t) => t.k === k);
      expect((m as GaussianMixtureModel).covarianceType).toBe(rows.reduce((a, b) => (b.bic! < a.bic! ? b : a)).covarianceType);
    }
  });

  it('mini-batch k-means sweeps k as k-means does; a covariance type without a mixture is refused', async () => {
    const r = await chooseK(ds, { algorithm: 'minibatch-kmeans', kRange: [2, 5], seed: 1, executor: ex });
    expect(r.table.map((t) => t.k)).toEqual([2, 3, 4, 5]);
    expect(r.table.every((t) => t.bic === undefined)).toBe(true);
    expect(r.recommendedK).toBe(4);
    expect((await failure(() => chooseK(ds, { covarianceType: 'diag', executor: ex }))).code).toBe('E_BAD_OPTION');
    expect((await failure(() => chooseK(ds, { algorithm: 'gmm', covarianceType: 'round' as never, executor: ex }))).message).toContain('covarianceType');
  });
});
