import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  close, createRandom, fromColumns, gaussianMixture, GaussianMixtureModel, inlineExecutor, loadModel, SegkitError, type GaussianMixtureStart,
} from '../src/index.node.js';
import { loadMatrix } from '../src/engine/matrix.js';
import { gmmPass } from '../src/core/gmmOps.js';
import type { CovarianceType, GmmParams } from '../src/core/gmmParams.js';
import { bytes, expectError, failure, fixture, holed } from './helpers.js';
import { eStepTwin, statsTwin } from './twins/gmm.js';

const ex = inlineExecutor();
afterAll(async () => {
  await ex.close();
  await close();
});

interface GmmCase {
  means: number[][];
  weights: number[];
  covariances: unknown;
  precisions_cholesky: unknown;
  lower_bound: number;
  n_iter: number;
  converged: boolean;
  labels: number[];
  predict_proba_first20: number[][];
  score_samples_first20: number[];
  score: number;
  bic: number;
  aic: number;
}
interface GmmFixture {
  X: number[][];
  k: number;
  means_init: number[][];
  cases: Record<CovarianceType, GmmCase>;
  explicit_init_diag: GmmCase & { weights_init: number[]; means_init: number[][]; precisions_init: number[][] };
}

const load = (name: string): GmmFixture => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), 'utf8'));
const flat = (v: unknown): number[] => (Array.isArray(v) ? v.flatMap(flat) : [v as number]);

/** |a - b| <= tol * max(|b|, floor) element by element. */
function close2(got: unknown, want: unknown, tol: number, floor = 1) {
  const a = flat(got), b = flat(want);
  expect(a.length).toBe(b.length);
  let worst = 0;
  a.forEach((x, i) => (worst = Math.max(worst, Math.abs(x - b[i]) / Math.max(Math.abs(b[i]), floor))));
  expect(worst).toBeLessThan(tol);
}

function checkCase(m: GaussianMixtureModel, c: GmmCase) {
  expect(m.iterations).toBe(c.n_iter);
  expect(m.converged).toBe(c.converged);
  expect(Math.abs(m.lowerBound - c.lower_bound)).toBeLessThan(1e-6);
  close2(m.weights, c.weights, 1e-4, 0);
  close2(m.means, c.means, 1e-4, 1e-3);
  close2(m.covariances, c.covariances, 1e-4, 1e-3);
  close2(m.precisionsCholesky, c.precisions_cholesky, 1e-4, 1e-3);
  expect(Array.from(m.labels)).toEqual(c.labels);
}

describe.each(['gmm-iris', 'gmm-blobs'])('Gaussian mixtures reproduce scikit-learn on %s', (name) => {
  const fx = load(name);
  const first20 = fx.X.slice(0, 20);
  it.each(['full', 'tied', 'diag', 'spherical'] as const)('%s covariances: weights, means, covariances, lower bound, labels, probabilities, scores, BIC, AIC', async (type) => {
    const c = fx.cases[type];
    // only the means given: weights and covariances come from the rows nearest each mean, as scikit-learn's k-means start
    const m = await gaussianMixture(fx.X, { k: fx.k, covarianceType: type, init: { means: fx.means_init }, tol: 1e-6, maxIter: 500, executor: ex });
    checkCase(m, c);
    const proba = await m.predictProba(first20, { executor: ex });
    close2(Array.from(proba), c.predict_proba_first20, 1e-6, 1);
    close2(Array.from(await m.scoreSamples(first20, { executor: ex })), c.score_samples_first20, 1e-6, 1);
    expect(Math.abs((await m.score(fx.X, { executor: ex })) - c.score)).toBeLessThan(1e-6);
    close2(await m.bic(fx.X, { executor: ex }), c.bic, 1e-7);
    close2(await m.aic(fx.X, { executor: ex }), c.aic, 1e-7);
    expect(Array.from(await m.predict(fx.X, { executor: ex }))).toEqual(c.labels);
  });

  it('an explicit start (weights, means, diagonal precisions)', async () => {
    const e = fx.explicit_init_diag;
    const m = await gaussianMixture(fx.X, {
      k: fx.k, covarianceType: 'diag', init: { means: e.means_init, weights: e.weights_init, precisions: e.precisions_init }, tol: 1e-6, maxIter: 500, executor: ex,
    });
    checkCase(m, e);
  });
});

describe('an explicit start of means alone', () => {
  it('takes each row to its nearest mean, even where float32 |x|^2 - 2 x.c cannot tell the means apart', async () => {
    // less the column mean (7.8e5), 20 and 30 lie nearer each other than k-means' float32 distances resolve there: the
    // start gave row 30 to mean 20, and the fit ended with mean 30 holding no row (log-likelihood 4.23 a row, not 5.15).
    // scikit-learn 1.2.1 with means_init (its start from k-means, one iteration longer: 3): these labels, means, weights
    const rows = [[0], [10], [20], [30], ...Array.from({ length: 14 }, () => [1e6])];
    const m = await gaussianMixture(rows, { k: 5, init: { means: [[0], [10], [20], [30], [1e6]] }, executor: ex });
    expect(Array.from(m.labels)).toEqual([0, 1, 2, 3, ...Array.from({ length: 14 }, () => 4)]);
    close2(m.means, [0, 10, 20, 30, 1e6], 1e-9, 1);
    close2(m.weights, [1, 1, 1, 1, 14].map((w) => w / 18), 1e-9, 0);
    expect(Math.abs(m.lowerBound - 5.151045133137602)).toBeLessThan(1e-6);
    expect(m.iterations).toBe(2);
    expect(m.converged).toBe(true);
  });
});

describe('tied covariances of components far apart beside their spread', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/gmm-tied-apart.json', import.meta.url), 'utf8')) as {
    cases: { sep: number; X: number[][]; means_init: number[][]; means: number[][]; weights: number[]; covariances: number[][]; lower_bound: number; n_iter: number; labels: number[] }[];
  };
  it.each(fx.cases.map((c) => [c.sep, c] as const))('centres %d apart: the covariance of each component\'s scatter about its mean, not X^T X less the means\' share', async (_, c) => {
    const m = await gaussianMixture(c.X, { k: 4, covarianceType: 'tied', init: { means: c.means_init }, tol: 1e-6, maxIter: 500, executor: ex });
    expect(Array.from(m.labels)).toEqual(c.labels);
    expect(m.iterations).toBe(c.n_iter);
    close2(m.weights, c.weights, 1e-12, 0);
    close2(m.means, c.means, 1e-12, 0);
    close2(m.covariances, c.covariances, 1e-9, 0);
    expect(Math.abs(m.lowerBound - c.lower_bound)).toBeLessThan(1e-8);
  });
});

describe('the older fixtures: full covariances from the k-means centroids', () => {
  const legacy = JSON.parse(readFileSync(new URL('./fixtures/gmm-from-kmeans-means.json', import.meta.url), 'utf8')) as {
    cases: Record<string, { init_weights: number[]; init_precisions: number[][][]; n_iter: number }>;
  };
  it.each(['blobs-600x4-k4', 'blobs-3000x16-k8', 'iris-k3'])('%s', async (name) => {
    const fx = fixture(name) as ReturnType<typeof fixture> & { gmm_full_from_kmeans_means: { means: number[][]; weights: number[]; lower_bound: number; labels: number[] } };
    const want = fx.gmm_full_from_kmeans_means, start = legacy.cases[name];
    const total = start.init_weights.reduce((a, b) => a + b, 0);
    const m = await gaussianMixture(fx.X, {
      k: fx.k, init: { means: fx.kmeans.centroids, weights: start.init_weights.map((w) => w / total), precisions: start.init_precisions },
      tol: 1e-6, maxIter: 1000, executor: ex,
    });
    expect(m.iterations).toBe(start.n_iter);
    expect(Math.abs(m.lowerBound - want.lower_bound)).toBeLessThan(1e-6);
    close2(m.weights, want.weights, 1e-4, 0);
    close2(m.means, want.means, 1e-4, 1e-3);
    expect(Array.from(m.labels)).toEqual(want.labels);
  });
});

describe('responsibilities far below the largest', () => {
  it('are exactly 0 beyond e^-600 of the largest (no subnormal products in the sums) and exact above it', async () => {
    // component 1 sits 36 away: row 0 is 648 below it, row 3 is 540 below
    const xs = Float32Array.from([0, 3, 36]);
    const h = await ex.load({ columns: [xs] });
    const m = { ex, handle: h, n: 3, d: 1 } as Parameters<typeof gmmPass>[0];
    try {
      const p: GmmParams = { k: 2, d: 1, type: 'diag', weights: Float64Array.from([0.5, 0.5]), means: Float64Array.from([0, 36]), precChol: Float64Array.from([1, 1]) };
      const r = await gmmPass(m, { params: p, k: 2, source: 'estep', stats: true, keep: ['resp'] });
      const resp = (await ex.readRows(h, 'resp')) as Float64Array;
      expect(resp[1]).toBe(0);
      expect(resp[0]).toBe(1);
      expect(Math.abs(resp[3] / Math.exp(-540) - 1)).toBeLessThan(1e-12);
      expect(resp[5]).toBe(1);
      expect(r.stats![3]).toBe(1);
    } finally {
      await ex.release(h);
    }
  });
});

describe('a component far from the column means with no spread of its own', () => {
  it('keeps regCovar as its variance under diag and spherical as under full (a column of incomes, 30% of them at the spike)', async () => {
    for (const spike of [0, 10]) {
      const rng = createRandom(7);
      const col = Float32Array.from({ length: 20_000 }, () => (rng.next() < 0.3 ? spike : 60_000 + 15_000 * rng.normal()));
      const ds = fromColumns({ columns: [col], names: ['income'] });
      const init = { means: [[spike], [60_000]] };
      const full = await gaussianMixture(ds, { k: 2, covarianceType: 'full', init, executor: ex, maxIter: 200 });
      expect(Math.abs(full.covarianceData[0] / 1e-6 - 1)).toBeLessThan(1e-6);
      // one feature: diag and spherical are full, and the spike's variance is regCovar alone (scikit-learn's, too)
      for (const covarianceType of ['diag', 'spherical'] as const) {
        const m = await gaussianMixture(ds, { k: 2, covarianceType, init, executor: ex, maxIter: 200 });
        expect(Math.abs(m.covarianceData[0] / 1e-6 - 1)).toBeLessThan(1e-6);
        expect(m.iterations).toBe(full.iterations);
        expect(Math.abs(m.lowerBound - full.lowerBound)).toBeLessThan(1e-9);
        close2(m.means, full.means, 1e-9, 1);
      }
    }
  });
});

function blobs(n: number, d: number, k: number, seed: number, spread = 1) {
  const rng = createRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() * 4));
  return fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => centres[i % k][j] + spread * (1 + (i % k) / k) * rng.normal())) });
}

describe('the kernel against its scalar twin', () => {
  const shapes: [n: number, d: number, k: number][] = [[1, 1, 1], [3, 3, 3], [7, 5, 2], [13, 17, 4], [65_536 + 5, 3, 3], [70_003, 1, 2]];
  it.each(shapes)('n=%i d=%i k=%i: log-likelihoods, responsibilities, labels and statistics for every layout', async (n, d, k) => {
    const rng = createRandom(n + d + k);
    const cols = Array.from({ length: d }, () => Float32Array.from({ length: n }, () => rng.normal() * 2));
    const h = await ex.load({ columns: cols });
    const m = { ex, handle: h, n, d } as Parameters<typeof gmmPass>[0];
    try {
      for (const type of ['full', 'tied', 'diag', 'spherical'] as const) {
        const count = type === 'full' ? k : 1;
        const P = new Float64Array(type === 'full' || type === 'tied' ? count * d * d : type === 'diag' ? k * d : k);
        if (type === 'full' || type === 'tied') {
          for (let c = 0; c < count; c++) for (let i = 0; i < d; i++) for (let j = i; j < d; j++) P[c * d * d + i * d + j] = i === j ? 0.5 + rng.next() : 0.3 * rng.normal();
        } else P.forEach((_, q) => (P[q] = 0.5 + rng.next()));
        const weights = Float64Array.from({ length: k }, () => 0.2 + rng.next());
        const s = weights.reduce((a, b) => a + b, 0);
        weights.forEach((w, c) => (weights[c] = w / s));
        const p: GmmParams = { k, d, type, weights, means: Float64Array.from({ length: k * d }, () => rng.normal() * 2), precChol: P };
        const r = await gmmPass(m, { params: p, k, source: 'estep', stats: true, keep: ['resp', 'labels', 'score', 'maxProba'] });
        const want = eStepTwin(cols, n, { ...p, type });
        const score = (await ex.readRows(h, 'score')) as Float64Array;
        const resp = (await ex.readRows(h, 'resp')) as Float64Array;
        const maxP = (await ex.readRows(h, 'maxProba')) as Float64Array;
        let worst = 0, total = 0;
        for (let i = 0; i < n; i++) {
          worst = Math.max(worst, Math.abs(score[i] - want.score[i]) / Math.max(1, Math.abs(want.score[i])));
          total += want.score[i];
          let mx = 0;
          for (let c = 0; c < k; c++) {
            worst = Math.max(worst, Math.abs(resp[i * k + c] - want.resp[i * k + c]));
            mx = Math.max(mx, resp[i * k + c]);
          }
          worst = Math.max(worst, Math.abs(maxP[i] - mx));
        }
        expect(worst).toBeLessThan(1e-12);
        expect(Math.abs(r.total - total) / Math.max(1, Math.abs(total))).toBeLessThan(1e-12);
        // labels are the argmax, except at ties within rounding
        const labels = (await ex.readRows(h, 'labels')) as Int32Array;
        let gap = 0;
        expect(labels).toHaveLength(n);
        labels.forEach((l, i) => (gap = Math.max(gap, Math.max(...want.resp.subarray(i * k, (i + 1) * k)) - want.resp[i * k + l])));
        expect(gap).toBeLessThan(1e-12);
        const layout = type === 'spherical' ? 'diag' : type;
        const stats = statsTwin(cols, n, want.resp, k, p.means, layout);
        let off = 0;
        expect(r.stats!).toHaveLength(stats.length);
        r.stats!.forEach((v, q) => (off = Math.max(off, Math.abs(v - stats[q]) / Math.max(1, Math.abs(stats[q])))));
        expect(off).toBeLessThan(1e-9);
      }
    } finally {
      await ex.release(h);
    }
  });
});

describe('fits, models and files', () => {
  const ds = blobs(3_001, 3, 3, 5);

  it('probabilities sum to 1, labels are their argmax, the score is the mean log-likelihood, and every init is seeded', async () => {
    for (const init of ['kmeans', 'k-means++', 'random'] as const) {
      const a = await gaussianMixture(ds, { k: 3, init, seed: 4, executor: ex, maxIter: 200 });
      const b = await gaussianMixture(ds, { k: 3, init, seed: 4, executor: ex, maxIter: 200 });
      expect(bytes(a.meanData).equals(bytes(b.meanData))).toBe(true);
      expect(Number.isFinite(a.lowerBound)).toBe(true);
      const proba = await a.predictProba(ds, { executor: ex });
      const labels = await a.predict(ds, { executor: ex });
      expect(bytes(labels).equals(bytes(a.labels))).toBe(true);
      for (let i = 0; i < ds.n; i += 97) {
        const row = proba.subarray(i * 3, i * 3 + 3);
        expect(Math.abs(row[0] + row[1] + row[2] - 1)).toBeLessThan(1e-12);
        expect(row[labels[i]]).toBe(Math.max(...row));
      }
      const ss = await a.scoreSamples(ds, { executor: ex });
      expect(await a.score(ds, { executor: ex })).toBeCloseTo(ss.reduce((x, y) => x + y, 0) / ds.n, 12);
    }
  });

  it.each(['full', 'tied', 'diag', 'spherical'] as const)('%s: a row scores the same bytes whatever else its batch holds, an extreme row included', async (type) => {
    const m = await gaussianMixture(ds, { k: 3, covarianceType: type, seed: 4, executor: ex });
    const some = fromColumns({ columns: ds.columns.map((c) => c.slice(0, 200)), names: ds.names });
    // an extreme row (1e20, finite in float32) once made the batch's scale, and the others' last digits, its own
    const withFar = fromColumns({ columns: some.columns.map((c, j) => Float32Array.from([...c, j === 0 ? 1e20 : -1e20])), names: ds.names });
    const [p1, p2] = [await m.predictProba(some, { executor: ex }), await m.predictProba(withFar, { executor: ex })];
    expect(bytes(p2.subarray(0, p1.length)).equals(bytes(p1))).toBe(true);
    const [s1, s2] = [await m.scoreSamples(some, { executor: ex }), await m.scoreSamples(withFar, { executor: ex })];
    expect(bytes(s2.subarray(0, s1.length)).equals(bytes(s1))).toBe(true);
    expect(Number.isFinite(s2[200])).toBe(true);
  });

  it('a mixture whose means sit at the offset scores rows far out in units of its spread, not of its means', async () => {
    const json = (await gaussianMixture(fromColumns({ columns: [ds.columns[0]] }), { k: 1, covarianceType: 'spherical', executor: ex })).toJSON();
    // one component of variance 1 whose mean lies 1e-30 from the offset: scoring's scale counts the variance too
    const m = loadModel({ ...json, means: [[1e-30]], covariances: [1], offset: [0] }) as GaussianMixtureModel;
    const xs = [0, 3, 1e4, 1e10, 1e15];
    const got = await m.scoreSamples(xs.map((x) => [x]), { executor: ex });
    // rows are float32 (1e15 is held as 999999986991104)
    xs.forEach((x, i) => expect(Math.abs(got[i] - (-0.5 * Math.log(2 * Math.PI) - 0.5 * Math.fround(x) ** 2))).toBeLessThanOrEqual(1e-12 * (1 + 0.5 * x * x)));
  });

  it('nInit keeps the restart with the highest lower bound', async () => {
    const runs: number[] = [];
    const m = await gaussianMixture(ds, { k: 4, init: 'random', nInit: 3, seed: 2, maxIter: 30, executor: ex, onProgress: (p) => (runs[p.run] = p.lowerBound) });
    expect(runs).toHaveLength(3);
    expect(m.lowerBound).toBe(Math.max(...runs));
  });

  it('saves and loads: the same predictions, probabilities and scores, bit for bit', async () => {
    for (const covarianceType of ['full', 'tied', 'diag', 'spherical'] as const) {
      const m = await gaussianMixture(ds, { k: 3, covarianceType, seed: 1, executor: ex });
      const back = loadModel(JSON.stringify(m.toJSON())) as GaussianMixtureModel;
      expect(back).toBeInstanceOf(GaussianMixtureModel);
      expect(back.kind).toBe('gmm');
      expect(back.covarianceType).toBe(covarianceType);
      expect(bytes(await back.predictProba(ds, { executor: ex })).equals(bytes(await m.predictProba(ds, { executor: ex })))).toBe(true);
      expect(bytes(await back.scoreSamples(ds, { executor: ex })).equals(bytes(await m.scoreSamples(ds, { executor: ex })))).toBe(true);
      expect(bytes(back.precisionCholeskyData).equals(bytes(m.precisionCholeskyData))).toBe(true);
    }
  });

  it('a component on duplicated rows keeps regCovar on its diagonal: finite, never NaN', async () => {
    const n = 400;
    const rng = createRandom(3);
    const cols = [0, 1].map(() => Float32Array.from({ length: n }, (_, i) => (i < 100 ? 7 : rng.normal())));
    const m = await gaussianMixture({ columns: cols }, { k: 2, seed: 1, executor: ex });
    const tight = m.weights.findIndex((w) => Math.abs(w - 0.25) < 1e-6);
    expect(tight).toBeGreaterThanOrEqual(0);
    expect(m.covariances[tight]).toEqual([[1e-6, 0], [0, 1e-6]].map((r) => r.map((v) => expect.closeTo(v, 12))));
    expect(flat(m.covariances).every(Number.isFinite)).toBe(true);
    expect(Number.isFinite(m.lowerBound)).toBe(true);
  });

  it('bad input: k above the rows, a singular component, wrong features, a model whose weights do not sum to 1', async () => {
    expect((await failure(() => gaussianMixture([[1, 2], [3, 4]], { k: 3, executor: ex }))).code).toBe('E_TOO_FEW_DISTINCT');
    // fewer distinct rows than k: a k-means++ start says so as the default start does, not that float32 hid the rest
    const twoPoints = [[1, 1], [1, 1], [1, 1], [2, 2], [2, 2], [1, 1]];
    for (const init of ['kmeans', 'k-means++'] as const) {
      const few = await failure(() => gaussianMixture(twoPoints, { k: 3, init, seed: 0, executor: ex }));
      expect(few.code, init).toBe('E_TOO_FEW_DISTINCT');
      expect(few.message, init).toBe('option "k" is 3 but the data has only 2 distinct points (lower k or deduplicate the data)');
    }
    // two identical features and no regularisation: the covariance has no Cholesky factor
    const rng = createRandom(9);
    const x = Float32Array.from({ length: 300 }, () => rng.normal());
    const singular = await failure(() => gaussianMixture({ columns: [x, x] }, { k: 2, regCovar: 0, seed: 1, executor: ex }));
    expect(singular.code).toBe('E_SINGULAR');
    expect(singular.message).toMatch(/component \d/);
    expect(singular.message).toContain('"diag"');
    expect(singular.message).toContain('regCovar');
    // the same data with the default regCovar fits
    expect(Number.isFinite((await gaussianMixture({ columns: [x, x] }, { k: 2, seed: 1, executor: ex })).lowerBound)).toBe(true);
    const m = await gaussianMixture(ds, { k: 2, seed: 1, executor: ex });
    const wrong = await failure(() => m.predictProba([[1, 2]], { executor: ex }));
    expect(wrong.code).toBe('E_SHAPE_MISMATCH');
    expect(wrong.message).toContain('x0, x1, x2');
    const json = m.toJSON();
    expectError(() => loadModel({ ...json, weights: [0.5, 0.4] }), 'E_BAD_MODEL', '"weights"', 'sum to 1');
    expectError(() => loadModel({ ...json, covariances: [[[1, 2, 0], [2, 1, 0], [0, 0, 1]], (json.covariances as number[][][])[1]] }), 'E_BAD_MODEL', 'covariances[0]', 'positive definite');
    expectError(() => loadModel({ ...json, means: [[1, 2, 3], [1, 2, 1e39]] }), 'E_BAD_MODEL', 'means[1][2]');
    // a negative variance is named as the covariance it is, not as an offset the variances no longer explain
    expectError(() => loadModel({ ...json, covariances: [[[-500, 0, 0], [0, 1, 0], [0, 0, 1]], (json.covariances as number[][][])[1]] }), 'E_BAD_MODEL', 'covariances[0]', 'positive definite');
    // a variance so small that scores overflow (they were NaN): refused, naming the component
    const cov = json.covariances as number[][][];
    expectError(() => loadModel({ ...json, covariances: [cov[0], [[5e-324, 0, 0], [0, 1, 0], [0, 0, 1]]] }), 'E_BAD_MODEL', 'covariances[1]', 'near singular');
    const diag = (await gaussianMixture(ds, { k: 2, seed: 1, covarianceType: 'diag', executor: ex })).toJSON();
    expectError(() => loadModel({ ...diag, covariances: [[1, 1, 1], [1, 1e-300, 1]] }), 'E_BAD_MODEL', 'covariances[1]', 'near singular');
    expectError(() => loadModel({ ...json, extra: 1 }), 'E_BAD_MODEL', '"extra"');
    expectError(() => loadModel({ ...json, covarianceType: 'round' }), 'E_BAD_MODEL', 'covarianceType');
    // the offset is the rows' mean, which the weights and means give: one moved away would centre new rows badly
    const offset = json.offset as number[];
    expectError(() => loadModel({ ...json, offset: [offset[0], offset[1] + 1e6, offset[2]] }), 'E_BAD_MODEL', 'offset[1]', 'mean');
    const m2 = m.means.reduce((s, mu, c) => s + m.weights[c] * mu[2], 0);
    expect(Math.abs(m2 - offset[2])).toBeLessThan(1e-6 * (1 + Math.abs(m2)));
    expect(loadModel({ ...json, offset: [offset[0], offset[1], Math.fround(m2)] }).kind).toBe('gmm');
    expect((await failure(() => gaussianMixture(ds, { k: 2, covarianceType: 'ful' as CovarianceType, executor: ex }))).code).toBe('E_BAD_OPTION');
    expect((await failure(() => gaussianMixture(ds, { k: 2, regCovr: 1 } as never))).message).toContain('regCovar');
    expect((await failure(() => gaussianMixture(ds, { k: 2, init: { means: [[0, 0, 0], [1, 1, 1]], weights: [0.2, 0.2] }, executor: ex }))).message).toContain('sum to 1');
    expect((await failure(() => gaussianMixture(ds, { k: 2, covarianceType: 'full', init: { means: [[0, 0, 0], [1, 1, 1]], precisions: [[[1, 0, 0], [0, 1, 0], [0, 0, -1]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]] }, executor: ex }))).message).toContain('positive definite');
    expect(SegkitError).toBeDefined();
  });

  it('a full explicit start: the given precisions give the same log-likelihood as the covariances they invert', async () => {
    const m = await gaussianMixture(ds, { k: 3, seed: 1, executor: ex });
    const inv = (c: number[][]) => {
      // 3 x 3 inverse by cofactors
      const [[a, b, cc], [d, e, f], [g, h, i]] = c;
      const A = e * i - f * h, B = -(d * i - f * g), C = d * h - e * g;
      const det = a * A + b * B + cc * C;
      return [[A, -(b * i - cc * h), b * f - cc * e], [B, a * i - cc * g, -(a * f - cc * d)], [C, -(a * h - b * g), a * e - b * d]].map((r) => r.map((v) => v / det));
    };
    const again = await gaussianMixture(ds, {
      k: 3, executor: ex, maxIter: 1, init: { means: m.means, weights: m.weights, precisions: (m.covariances as number[][][]).map(inv) },
    });
    // the lower bound of the first iteration is the E-step under the given parameters: the model's score
    expect(Math.abs(again.lowerBound - (await m.score(ds, { executor: ex })))).toBeLessThan(1e-9);
  });
});

describe('explicit precisions far from the data\'s scale', () => {
  interface ScaleCase { precisions_init: never; lower_bound: number; n_iter: number; converged: boolean; weights: number[]; means: number[][]; labels: number[] }
  const f = JSON.parse(readFileSync(new URL('./fixtures/gmm-precision-scale.json', import.meta.url), 'utf8')) as {
    X: number[][]; means_init: number[][]; weights_init: number[]; reg_covar: number; cases: Record<CovarianceType, ScaleCase>;
  };
  it.each(['full', 'tied', 'diag', 'spherical'] as const)('%s: a flat start (precision 1e-300) on rows 1e-30 apart fits as scikit-learn\'s', async (type) => {
    // the precisions were scaled into the stored coordinates before their factor was taken: 1e-300 / 2^200 underflowed
    // to 0 (full and tied threw a TypeError, diagonal and spherical a NaN log-likelihood)
    const c = f.cases[type];
    const m = await gaussianMixture(f.X, {
      k: 2, covarianceType: type, regCovar: f.reg_covar, tol: 1e-6, maxIter: 500, executor: ex,
      init: { means: f.means_init, weights: f.weights_init, precisions: c.precisions_init },
    });
    expect(m.iterations).toBe(c.n_iter);
    expect(m.converged).toBe(c.converged);
    expect(Math.abs(m.lowerBound - c.lower_bound)).toBeLessThan(1e-6);
    close2(m.weights, c.weights, 1e-6, 1e-3);
    close2(m.means, c.means, 1e-5, 1e-30);
    // both components flat: they stay equal, and every row ties (its label is either)
    if (c.weights[0] !== c.weights[1]) expect(Array.from(m.labels)).toEqual(c.labels);
  });
});

describe('a component collapsing on rows far from unit scale', () => {
  it.each([1e-20, 1, 1e20])('is E_SINGULAR naming it and regCovar as given, at rows of %s (scikit-learn fails on all three)', async (scale) => {
    // the message named regCovar in the scaled coordinates the fit runs in: 1.4e-261 for 1e-300 at rows of 1e-20
    const rows = [[1, 1], [1, 1], [1, 1], [5, 2], [6, 3], [5.5, 2.2], [7, 1]].map((r) => r.map((v) => v * scale));
    const e = await failure(() => gaussianMixture(rows, { k: 2, regCovar: 1e-300, init: { means: [[scale, scale], [6 * scale, 2 * scale]] }, executor: ex }));
    expect(e.code).toBe('E_SINGULAR');
    expect(e.message).toContain("component 0's covariance is singular even with regCovar 1e-300 added");
  });
});

describe('a tied mixture started by k-means++ away from the origin', () => {
  interface TiedCase { lower_bound: number; n_iter: number; converged: boolean; means_sorted: number[][]; weights_sorted: number[] }
  const f = JSON.parse(readFileSync(new URL('./fixtures/gmm-kmeanspp-tied.json', import.meta.url), 'utf8')) as { X: number[][]; cases: Record<string, TiedCase> };
  it('starts from scikit-learn\'s X^T X less the means\' share about the data\'s zero, not about the column means', async () => {
    // three distinct points, k = 3: every seed draws each point once. The start took the sums about the column means:
    // a first lower bound of -6.37 against scikit-learn's -10.31, and 8 iterations against 15
    for (const maxIter of [1, 100]) {
      const c = f.cases[String(maxIter)];
      for (const seed of [0, 1]) {
        const m = await gaussianMixture(f.X, { k: 3, covarianceType: 'tied', init: 'k-means++', maxIter, tol: 1e-6, seed, executor: ex });
        expect(m.iterations).toBe(c.n_iter);
        expect(m.converged).toBe(c.converged);
        // the first E-step is the start's alone; at the end scikit-learn's own tied M-step loses digits (6 of 1e-6)
        expect(Math.abs(m.lowerBound - c.lower_bound)).toBeLessThan(maxIter === 1 ? 1e-9 : 1e-5);
        const order = m.means.map((_, t) => t).sort((a, b) => m.means[a][0] - m.means[b][0] || m.means[a][1] - m.means[b][1]);
        close2(order.map((t) => m.means[t]), c.means_sorted, 1e-6);
        close2(order.map((t) => m.weights[t]), c.weights_sorted, 1e-6);
      }
    }
  });
});

describe('options reach loadMatrix unchanged', () => {
  it('a mixture on data far from the origin equals one on the same data shifted', async () => {
    const base = blobs(2_000, 2, 2, 11);
    const shifted = fromColumns({ columns: base.columns.map((c) => Float32Array.from(c, (v) => v + 1024)) });
    const a = await gaussianMixture(base, { k: 2, seed: 3, executor: ex });
    const b = await gaussianMixture(shifted, { k: 2, seed: 3, executor: ex });
    expect(Array.from(b.labels)).toEqual(Array.from(a.labels));
    expect(Math.abs(b.lowerBound - a.lowerBound)).toBeLessThan(1e-5);
    const m = await loadMatrix(ex, shifted);
    expect(m.offset[0]).toBeGreaterThan(1000);
    await m.release();
  });
});

describe('a component no row takes', () => {
  // 100 rows near (5, 5), 30 customers at exactly (0, 0), 50 rows near (-5, -5); the third start lies far from every row
  const rows = [
    ...Array.from({ length: 100 }, (_, i) => [5 + ((i * 37) % 100) / 50 - 1, 5 + ((i * 61) % 100) / 50 - 1]),
    ...Array.from({ length: 30 }, () => [0, 0]),
    ...Array.from({ length: 50 }, (_, i) => [-5 + ((i * 17) % 50) / 25 - 1, -5 + ((i * 29) % 50) / 25 - 1]),
  ];
  const precisions = { full: [0, 1, 2].map(() => [[1, 0], [0, 1]]), diag: [[1, 1], [1, 1], [1, 1]], spherical: [1, 1, 1] };
  // scikit-learn 1.2.1: GaussianMixture(3, covariance_type=t, means_init, weights_init=[.5, .3, .2], precisions_init, max_iter=5, tol=0)
  const sklearn = { full: -0.43134581034680813, diag: -0.4339381414580851, spherical: -0.433938141458082 };

  it.each(['full', 'diag', 'spherical'] as const)('%s: has its mean at the origin, as scikit-learn\'s resp^T X / nk puts it, and takes the rows there', async (type) => {
    const m = await gaussianMixture(rows, {
      k: 3, covarianceType: type, init: { means: [[5, 5], [-5, -5], [1000, 1000]], weights: [0.5, 0.3, 0.2], precisions: precisions[type] },
      maxIter: 5, tol: 0, executor: ex,
    });
    close2(m.weights, [100 / 180, 50 / 180, 30 / 180], 1e-9, 0);
    close2(m.means, [[4.99, 4.99], [-5.02, -5.02], [0, 0]], 1e-6, 1);
    expect(Math.abs(m.lowerBound - sklearn[type])).toBeLessThan(1e-6);
  });
});

describe('a component spread wider than float32 rows can lie apart', () => {
  it('leaves the rows near the other components their own values (they were all scored as the offset)', async () => {
    const json = (await gaussianMixture(fromColumns({ columns: [Float32Array.from({ length: 40 }, (_, i) => (i % 2 ? -1 : 1) + i / 100)] }), { k: 2, covarianceType: 'diag', executor: ex })).toJSON();
    const xs = [-1, 0, 1, 3];
    for (const wide of [1e60, 1e120, 1e300]) {
      const m = loadModel({ ...json, weights: [0.5, 0.5], means: [[-1], [1]], covariances: [[1], [wide]], offset: [0] }) as GaussianMixtureModel;
      const want = xs.map((x) => {
        const a = Math.log(0.5) - 0.5 * Math.log(2 * Math.PI) - 0.5 * (x + 1) ** 2;
        const b = Math.log(0.5) - 0.5 * Math.log(2 * Math.PI * wide) - 0.5 * (x - 1) ** 2 / wide;
        return Math.max(a, b) + Math.log1p(Math.exp(-Math.abs(a - b)));
      });
      const got = await m.scoreSamples(xs.map((x) => [x]), { executor: ex });
      xs.forEach((_, i) => expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-12 * (1 + Math.abs(want[i]))));
      expect(Array.from(await m.predict(xs.map((x) => [x]), { executor: ex }))).toEqual([0, 0, 0, 0]);
    }
  });
});

describe('explicit precisions computed as inverses (np.linalg.inv)', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/gmm-inverse-precisions.json', import.meta.url), 'utf8')) as {
    X: number[][]; means_init: number[][]; weights_init: number[];
    cases: Record<'full' | 'tied', { precisions_init: number[][][] | number[][]; weights: number[]; means: number[][]; covariances: unknown; lower_bound: number; n_iter: number; labels: number[] }>;
  };
  it.each(['full', 'tied'] as const)('%s: zeros the inverse leaves as unmirrored rounding are accepted (scikit-learn\'s allclose), and the fit is scikit-learn\'s', async (type) => {
    const c = fx.cases[type];
    // -6.9e-16 above the diagonal, -1.1e-15 below it: they were refused as "not symmetric"
    const first = (type === 'full' ? (c.precisions_init as number[][][])[0] : (c.precisions_init as number[][]));
    expect(first[0][2]).not.toBe(first[2][0]);
    const m = await gaussianMixture(fx.X, { k: 2, covarianceType: type, init: { means: fx.means_init, weights: fx.weights_init, precisions: c.precisions_init }, tol: 1e-6, maxIter: 500, executor: ex });
    expect(m.iterations).toBe(c.n_iter);
    expect(Math.abs(m.lowerBound - c.lower_bound)).toBeLessThan(1e-6);
    close2(m.weights, c.weights, 1e-6, 0);
    close2(m.means, c.means, 1e-6, 1e-3);
    close2(m.covariances, c.covariances, 1e-6, 1e-3);
    expect(Array.from(m.labels)).toEqual(c.labels);
    // the lower triangle is the one factored, as scikit-learn's linalg.cholesky(lower=True): the same bits as its mirror
    const lower = (p: number[][]) => p.map((row, i) => row.map((v, j) => (j > i ? p[j][i] : v)));
    const mirrored = type === 'full' ? (c.precisions_init as number[][][]).map(lower) : lower(c.precisions_init as number[][]);
    const one = { k: 2, covarianceType: type, maxIter: 1, executor: ex };
    const a = await gaussianMixture(fx.X, { ...one, init: { means: fx.means_init, weights: fx.weights_init, precisions: c.precisions_init } });
    const b = await gaussianMixture(fx.X, { ...one, init: { means: fx.means_init, weights: fx.weights_init, precisions: mirrored } });
    expect(a.lowerBound).toBe(b.lowerBound);
    expect(bytes(a.covarianceData).equals(bytes(b.covarianceData))).toBe(true);
  });

  it('a precision asymmetric beside its diagonal is still refused, and so is a saved covariance', async () => {
    const bad = [[[2, 0.5, 0], [0.4, 2, 0], [0, 0, 2]], [[1, 0, 0], [0, 1, 0], [0, 0, 1]]];
    const e = await failure(() => gaussianMixture(fx.X, { k: 2, init: { means: fx.means_init, precisions: bad }, executor: ex }));
    expect(e.code).toBe('E_BAD_OPTION');
    expect(e.message).toContain('[0] is not symmetric');
    const json = (await gaussianMixture(fx.X, { k: 2, init: { means: fx.means_init }, executor: ex })).toJSON();
    const cov = json.covariances as number[][][];
    const skewed = cov[1].map((row) => row.slice());
    skewed[0][1] *= 1.001;
    expectError(() => loadModel({ ...json, covariances: [cov[0], skewed] }), 'E_BAD_MODEL', 'covariances[1]', 'symmetric');
    // rounding of a zero covariance, a few units in the last place of the variances and not mirrored: read as symmetric
    // (feature 2 uncorrelated with the others: a block-diagonal covariance)
    const tidy = cov[1].map((row, i) => row.map((v, j) => (i === 2) !== (j === 2) ? -3e-16 * cov[1][0][0] : v));
    const zeroed = tidy.map((row) => row.slice());
    zeroed[0][2] = 4e-16 * cov[1][0][0];
    const a = loadModel({ ...json, covariances: [cov[0], zeroed] }) as GaussianMixtureModel;
    const b = loadModel({ ...json, covariances: [cov[0], tidy] }) as GaussianMixtureModel;
    // the factor reads the lower triangle: the same scores as the matrix mirrored from it
    expect(bytes(await a.scoreSamples(fx.X, { executor: ex })).equals(bytes(await b.scoreSamples(fx.X, { executor: ex })))).toBe(true);
  });
});

describe('explicit precisions at the edge of scikit-learn\'s symmetry check (np.allclose(P, P.T))', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/gmm-precision-symmetry.json', import.meta.url), 'utf8')) as {
    X: number[][]; means_init: number[][]; weights_init: number[];
    cases: Record<string, { type: 'full' | 'tied'; precisions_init: number[][][] | number[][]; accepted: boolean; lower_bound?: number; means?: number[][] }>;
  };
  it.each(Object.keys(fx.cases))('%s: accepted or refused as scikit-learn 1.2.1 does', async (name) => {
    const c = fx.cases[name];
    const run = () => gaussianMixture(fx.X, { k: 2, covarianceType: c.type, maxIter: 1, init: { means: fx.means_init, weights: fx.weights_init, precisions: c.precisions_init }, executor: ex });
    if (!c.accepted) {
      // a relative asymmetry of 1e-14 beside a 1e10 diagonal was read as symmetric
      const e = await failure(run);
      expect(e.code).toBe('E_BAD_OPTION');
      expect(e.message).toMatch(/init\.precisions.* is not (symmetric|positive definite)/);
      return;
    }
    // a relative asymmetry of 2e-7, and entries below numpy's absolute tolerance, were refused as "not symmetric"
    const m = await run();
    expect(Math.abs(m.lowerBound - c.lower_bound!)).toBeLessThan(1e-6);
    close2(m.means, c.means, 1e-6, 1e-3);
  });
});

describe('regCovar 0 and a component whose rows share one value of a feature', () => {
  const fx = JSON.parse(readFileSync(new URL('./fixtures/gmm-constant-feature.json', import.meta.url), 'utf8')) as {
    cases: { n: number; c: number; type: CovarianceType; X: number[][]; means_init: number[][] }[];
  };
  it('is E_SINGULAR naming the component wherever scikit-learn 1.2.1 raises, never a model on a variance of rounding', async () => {
    expect(fx.cases.length).toBeGreaterThan(60);
    for (const c of fx.cases) {
      // 30 rows of 2.5: the mean came out 2.5000000000000036, a variance of 1.3e-29 and a lower bound of 16.6
      const e = await failure(() => gaussianMixture(c.X, { k: 2, covarianceType: c.type, regCovar: 0, init: { means: c.means_init }, executor: ex }));
      expect([c.n, c.c, c.type, e.code]).toEqual([c.n, c.c, c.type, 'E_SINGULAR']);
      expect(e.message).toContain("component 0's covariance is singular");
    }
  });
});

describe('arrays with holes', () => {
  // [1, , 3]: forEach and map pass over the hole, so it was read as NaN (or 0, or left out of a flat copy)
  const X = [[0, 0], [1, 0], [0, 1], [1, 1.2], [10, 10], [11, 10], [10, 11], [11, 11.5], [5, 5], [5.5, 4]];

  it('in an explicit start are E_BAD_OPTION naming the entry (a hole in the weights was a NaN log-likelihood, in a mean a singular component)', async () => {
    const cases: [GaussianMixtureStart, CovarianceType, string][] = [
      [{ means: [holed([0, 0], 1), [10, 10]] }, 'full', 'init.means[0][1]'],
      [{ means: holed([[0, 0], [10, 10]], 1) }, 'full', 'init.means[1]'],
      [{ means: [[0, 0], [10, 10]], weights: holed([0.5, 0.5], 1) }, 'full', 'init.weights[1]'],
      [{ means: [[0, 0], [10, 10]], precisions: holed([1, 1], 0) }, 'spherical', 'init.precisions[0]'],
      [{ means: [[0, 0], [10, 10]], precisions: [[1, 1], holed([1, 1], 1)] }, 'diag', 'init.precisions[1][1]'],
      [{ means: [[0, 0], [10, 10]], precisions: [[holed([1, 0], 1), [0, 1]], [[1, 0], [0, 1]]] }, 'full', 'init.precisions[0][0][1]'],
      [{ means: [[0, 0], [10, 10]], precisions: holed([[1, 0], [0, 1]], 1) }, 'tied', 'init.precisions[1]'],
    ];
    for (const [init, covarianceType, path] of cases) {
      const e = await failure(() => gaussianMixture(X, { k: 2, covarianceType, init, executor: ex }));
      expect(e.code, path).toBe('E_BAD_OPTION');
      expect(e.message, path).toContain(`"${path}"`);
    }
  });

  it('in a model given as an object are E_BAD_MODEL naming the entry as undefined, not another field', async () => {
    const json = (await gaussianMixture(X, { k: 2, covarianceType: 'diag', executor: ex })).toJSON();
    const means = json.means, cov = json.covariances as number[][];
    expectError(() => loadModel({ ...json, means: [holed(means[0], 1), means[1]] }), 'E_BAD_MODEL', '"means[0][1]" must be', 'got undefined');
    expectError(() => loadModel({ ...json, covariances: [holed(cov[0], 1), cov[1]] }), 'E_BAD_MODEL', '"covariances[0][1]" must be', 'got undefined');
    expectError(() => loadModel({ ...json, weights: holed(json.weights, 1) }), 'E_BAD_MODEL', '"weights[1]" must be', 'got undefined');
    expectError(() => loadModel({ ...json, offset: holed(json.offset, 0) }), 'E_BAD_MODEL', '"offset[0]" must be', 'got undefined');
  });
});
