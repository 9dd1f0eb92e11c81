import { afterAll, describe, expect, it } from 'vitest';
import { loadModel } from '../src/core/loadModel.js';
import type { KMeansModel } from '../src/core/kmeansModel.js';
import type { GaussianMixtureModel } from '../src/core/gaussianMixtureModel.js';
import type { MiniBatchKMeansModel } from '../src/core/miniBatchKMeansModel.js';
import { agglomerative, close, dbscan, kmeans } from '../src/index.node.js';

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

describe('model objects with holes in their arrays are refused, naming the entry', () => {
  // a hole ([1, , 3]) is skipped by forEach: the entry was left at 0, so the model loaded and scored rows against a
  // centroid at the origin, or an offset of 0
  const rows = [[0, 0], [1, 1], [10, 10], [11, 11], [20, 20], [21, 21]];
  const holed = (json: unknown, edit: (o: any) => void): unknown => {
    const o = JSON.parse(JSON.stringify(json));
    edit(o);
    return o;
  };
  it('k-means: a centroid value, a centroid row and an offset value', async () => {
    const json = (await kmeans(rows, { k: 3, seed: 1, threads: 1 })).toJSON();
    expect(() => loadModel(holed(json, (o) => delete o.centroids[1][0]))).toThrow(/^model field "centroids\[1\]\[0\]" must be a finite number within the float32 range .*got undefined/);
    expect(() => loadModel(holed(json, (o) => delete o.centroids[1]))).toThrow(/^model field "centroids\[1\]" must be 2 numbers, got undefined/);
    expect(() => loadModel(holed(json, (o) => delete o.offset[0]))).toThrow(/^model field "offset\[0\]" must be a finite number within the float32 range .*got undefined/);
    // the file as written loads and scores its own rows as the fit labelled them
    const model = loadModel(json) as KMeansModel;
    expect(Array.from(await model.predict(rows, { threads: 1 }))).toEqual(Array.from((await kmeans(rows, { k: 3, seed: 1, threads: 1 })).labels));
  });
  it('agglomerative: a centroid value and a centroid row', async () => {
    const json = (await agglomerative(rows, { k: 3, threads: 1 })).toJSON();
    expect(() => loadModel(holed(json, (o) => delete o.centroids[2][1]))).toThrow(/^model field "centroids\[2\]\[1\]" must be a finite float32 number, got undefined/);
    expect(() => loadModel(holed(json, (o) => delete o.centroids[0]))).toThrow(/^model field "centroids\[0\]" must be 2 numbers/);
  });
  it('DBSCAN: a core point value and a core point row', async () => {
    const json = (await dbscan(rows, { eps: 1.5, minSamples: 2, threads: 1 })).toJSON();
    expect(() => loadModel(holed(json, (o) => delete o.components[3][0]))).toThrow(/^model field "components\[3\]\[0\]" must be a finite float32 number, got undefined/);
    expect(() => loadModel(holed(json, (o) => delete o.components[1]))).toThrow(/^model field "components\[1\]" must be 2 numbers/);
  });
});

describe('centroid and mixture files fitted on fewer rows than segments are refused, naming nSamples', () => {
  // a fit needs a row per centroid (kmeans, miniBatchKMeans and gaussianMixture refuse k above the rows): a file
  // stating fewer wrapped into a segment model checked its sizes against an impossible count
  const files = {
    kmeans: {
      kind: 'kmeans', format: 'segkit.kmeans', version: 2, k: 3, featureNames: ['a'], centroids: [[0], [5], [9]],
      offset: [5], inertia: 0, iterations: 1, converged: true, nSamples: 3,
    },
    minibatch: {
      kind: 'minibatch-kmeans', version: 1, k: 3, featureNames: ['a'], centres: [[-5], [0], [4]], counts: [1, 1, 1],
      offset: [5], batchSize: 10, reassignmentRatio: 0, seed: 0, nSteps: 0, nSinceLastReassign: 0, inertia: 0, iterations: 0,
      converged: true, nSamples: 3, rowsSeen: 3,
    },
    gmm: {
      kind: 'gmm', version: 1, k: 3, featureNames: ['a'], covarianceType: 'spherical', weights: [0.25, 0.25, 0.5], means: [[0], [5], [9]],
      covariances: [1, 1, 1], offset: [5.75], regCovar: 0, lowerBound: 0, iterations: 1, converged: true, nSamples: 3,
    },
  };
  for (const [name, file] of Object.entries(files)) {
    it(`${name}: nSamples 3 loads and scores; 2 and 0 are E_BAD_MODEL naming nSamples`, async () => {
      const model = loadModel(file);
      expect(model.nSamples).toBe(3);
      expect(Array.from(await model.predict([[0.5], [5.2], [8]], { threads: 1 }))).toEqual([0, 1, 2]);
      for (const nSamples of [2, 0]) {
        expect(() => loadModel({ ...file, nSamples })).toThrow(expect.objectContaining({
          code: 'E_BAD_MODEL', message: expect.stringMatching(new RegExp(`^model field "nSamples" must be an integer >= (k \\()?3.*got ${nSamples}$`)),
        }));
      }
    });
  }
});
