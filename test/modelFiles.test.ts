import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/core/loadModel.js';
import type { KMeansModel } from '../src/core/kmeansModel.js';
import type { GaussianMixtureModel } from '../src/core/gaussianMixtureModel.js';
import type { MiniBatchKMeansModel } from '../src/core/miniBatchKMeansModel.js';
import { close } from '../src/index.node.js';

afterAll(() => close());

// Model files written elsewhere (or edited) and read with loadModel: they must score as the parameters they state.
describe('model files score as their parameters say', () => {
  // centroids 9999999 and 10000001.5: the row 10000000 is nearer the first (1 against 1.5). An offset that float32
  // does not hold (10000000.5 is 10000000 in float32) shifted the centres off the rows by the rounding, half a unit.
  const rows = [[1e7], [1e7 + 1]];
  const offsets = [1e7, 1e7 + 0.5, 1e7 + 0.25];

  it('k-means: labels and distances whatever the offset (scikit-learn: labels 0, 1; distances 1, 1.5)', async () => {
    for (const offset of offsets) {
      const model = loadModel({
        kind: 'kmeans', format: 'segkit.kmeans', version: 2, k: 2, featureNames: ['a'], centroids: [[1e7 - 1], [1e7 + 1.5]],
        offset: [offset], inertia: 0, iterations: 1, converged: true, nSamples: 2,
      }) as KMeansModel;
      expect(Array.from(await model.predict(rows, { threads: 1 }))).toEqual([0, 1]);
      expect(Array.from(await model.transform(rows.slice(0, 1), { threads: 1 }))).toEqual([1, 1.5]);
    }
  });

  it('mini-batch: labels whatever the offset, and the centroids the file states', async () => {
    for (const offset of offsets) {
      const model = loadModel({
        kind: 'minibatch-kmeans', version: 1, k: 2, featureNames: ['a'], centres: [[1e7 - 1 - offset], [1e7 + 1.5 - offset]], counts: [1, 1],
        offset: [offset], batchSize: 10, reassignmentRatio: 0, seed: 0, nSteps: 0, nSinceLastReassign: 0, inertia: 0, iterations: 0,
        converged: true, nSamples: 2, rowsSeen: 2,
      }) as MiniBatchKMeansModel;
      expect(model.centroids).toEqual([[1e7 - 1], [1e7 + 1.5]]);
      expect(Array.from(await model.predict(rows, { threads: 1 }))).toEqual([0, 1]);
      expect(Array.from(await model.transform(rows.slice(0, 1), { threads: 1 }))).toEqual([1, 1.5]);
    }
  });

  it('Gaussian mixture: membership whatever the offset (scikit-learn: 0.65135486, 0.34864514; score -1.68338504)', async () => {
    for (const offset of offsets) {
      const model = loadModel({
        kind: 'gmm', version: 1, k: 2, featureNames: ['a'], covarianceType: 'spherical', weights: [0.5, 0.5], means: [[1e7 - 1], [1e7 + 1.5]],
        covariances: [1, 1], offset: [offset], regCovar: 0, lowerBound: 0, iterations: 1, converged: true, nSamples: 2,
      }) as GaussianMixtureModel;
      expect(Array.from(await model.predict(rows.slice(0, 1), { threads: 1 }))).toEqual([0]);
      const p = await model.predictProba(rows.slice(0, 1), { threads: 1 });
      expect(p[0]).toBeCloseTo(0.65135486, 7);
      expect(p[1]).toBeCloseTo(0.34864514, 7);
      expect((await model.scoreSamples(rows.slice(0, 1), { threads: 1 }))[0]).toBeCloseTo(-1.68338504, 7);
    }
  });
});

describe('model files that no fit writes are refused, naming the field', () => {
  it('k-means: two equal centroids (the second would never be predicted), as mini-batch files are', async () => {
    const file = {
      kind: 'kmeans', format: 'segkit.kmeans', version: 2, k: 3, featureNames: ['a', 'b'], centroids: [[0, 0], [5, 5], [0, 0]],
      offset: [1, 1], inertia: 0, iterations: 1, converged: true, nSamples: 9,
    };
    expect(() => loadModel(file)).toThrow(/^model field "centroids\[2\]" must be distinct from centroids\[0\] in float32/);
    // equal once float32 holds them
    expect(() => loadModel({ ...file, centroids: [[0, 0], [5, 5], [0, 1e-50]] })).toThrow(/"centroids\[2\]" must be distinct from centroids\[0\]/);
    // distinct ones load, each the segment of its own rows
    const model = loadModel({ ...file, centroids: [[0, 0], [5, 5], [0, 1]] });
    expect(Array.from(await model.predict([[0, 0], [5, 5], [0, 1]], { threads: 1 }))).toEqual([0, 1, 2]);
  });
});

describe('k-means files whose offset lies far from their centroids are refused', () => {
  // rows 0.2 and 0.8 sit nearest centroids 0 and 1 (transform: 0.2, 0.8); centred by an offset 10000 away in the
  // other feature, scoring lost their digits and labelled both 0
  const file = (offset: number) => ({
    kind: 'kmeans', format: 'segkit.kmeans', version: 2, k: 2, featureNames: ['a', 'b'], centroids: [[0, 0], [1, 0]],
    offset: [0.5, offset], inertia: 0, iterations: 1, converged: true, nSamples: 2,
  });

  it('an offset within the centroids\' reach still scores as the centroids say', async () => {
    const model = loadModel(file(10)) as KMeansModel;
    expect(Array.from(await model.predict([[0.2, 0], [0.8, 0]], { threads: 1 }))).toEqual([0, 1]);
  });

  it('an offset 10000 away is E_BAD_MODEL naming offset[1]', () => {
    expect(() => loadModel(file(10000))).toThrow(expect.objectContaining({ code: 'E_BAD_MODEL', message: expect.stringContaining('"offset[1]"') }));
    expect(() => loadModel(file(-1e9))).toThrow(expect.objectContaining({ code: 'E_BAD_MODEL', message: expect.stringContaining('"offset[1]"') }));
  });
});

describe('agglomerative files whose centroids float32 cannot score side by side are refused, as k-means files are', () => {
  const file = (far: number) => ({
    kind: 'agglomerative', version: 1, k: 3, featureNames: ['a', 'b'], linkage: 'ward', centroids: [[0, 0], [1, 0], [far, 0]], nSamples: 3,
  });

  it('a centroid at 1e34 beside two 1 apart is E_BAD_MODEL naming it (it was read, and scoring failed with E_PRECISION)', () => {
    expect(() => loadModel(file(1e34))).toThrow(expect.objectContaining({ code: 'E_BAD_MODEL', message: expect.stringContaining('"centroids[2]"') }));
  });

  it('a centroid at 100 is read and scores each row to its nearest centroid', async () => {
    const model = loadModel(file(100));
    expect(Array.from(await model.predict([[0.1, 0], [0.9, 0], [99, 0]], { threads: 1 }))).toEqual([0, 1, 2]);
  });
});
