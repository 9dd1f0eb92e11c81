// Every model kind whose fit runs on the shard-op seam gives the inline executor's bytes through the BullMQ executor
// on two worker processes, each over two shards or more: k-means's random, k-means|| and given starts and sample weights,
// mini-batch k-means (sampled and partial), mixtures of each start and of full and spherical covariances, DBSCAN,
// HDBSCAN, a tree and a forest.
import { beforeAll, expect, it } from 'vitest';
import {
  bullmqExecutor, createRandom, dbscan, decisionTree, fromColumns, gaussianMixture, hdbscan, inlineExecutor, kmeans, miniBatchKMeans, randomForest,
  type Executor,
} from '../src/index.node.js';
import { describeRedis, useRedis } from './helpers/cluster.js';
import { print } from './helpers/fingerprint.js';

function blobs(n: number, seed: number, d = 4, k = 5) {
  const rng = createRandom(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => rng.normal() * 3));
  const which = Int32Array.from({ length: n }, () => Math.floor(rng.next() * k));
  return { ds: fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from(which, (c) => centres[c][j] + rng.normal())) }), which };
}

describeRedis('bullmq.models.test')('models', () => {
  const cluster = useRedis({ dir: 'segkit-models-', workers: 2 });
  const { ds, which } = blobs(65_536 + 3_001, 3, 3);
  const small = blobs(20_000, 5, 2, 4);
  const w = Float64Array.from({ length: ds.n }, (_, i) => 0.5 + (i % 7) / 3);
  const cases: Record<string, (e: Executor) => Promise<unknown>> = {
    kmeansRandom: async (executor) => { const m = await kmeans(ds, { k: 5, seed: 1, init: 'random', nInit: 2, executor }); return [m.labels, m.centroidData, m.inertia]; },
    kmeansPar: async (executor) => { const m = await kmeans(ds, { k: 5, seed: 1, init: 'k-means||', executor }); return [m.labels, m.centroidData, m.inertia]; },
    kmeansGiven: async (executor) => { const m = await kmeans(ds, { k: 5, init: [[0, 0, 0], [3, 0, 0], [0, 3, 0], [0, 0, 3], [-3, -3, -3]], sampleWeight: w, maxIter: 3, executor }); return [m.labels, m.centroidData, m.inertia]; },
    kmeansW: async (executor) => { const m = await kmeans(ds, { k: 5, seed: 1, sampleWeight: w, executor }); return [m.labels, m.centroidData, m.inertia]; },
    mbk: async (executor) => { const m = await miniBatchKMeans(ds, { k: 5, seed: 1, executor }); return [m.labels, m.centroidData, m.inertia]; },
    mbkPartial: async (executor) => { const m = await miniBatchKMeans(ds, { k: 5, seed: 1, partial: true, executor }); return [m.labels, m.centroidData, m.inertia]; },
    gmmFull: async (executor) => { const m = await gaussianMixture(ds, { k: 4, seed: 1, maxIter: 4, executor }); return [m.labels, m.means, m.weights, m.lowerBound]; },
    gmmSph: async (executor) => { const m = await gaussianMixture(ds, { k: 4, seed: 1, maxIter: 4, covarianceType: 'spherical', executor }); return [m.labels, m.means, m.weights, m.lowerBound]; },
    gmmPP: async (executor) => { const m = await gaussianMixture(ds, { k: 4, seed: 1, maxIter: 5, init: 'k-means++', covarianceType: 'diag', executor }); return [m.labels, m.means, m.weights, m.lowerBound]; },
    gmmRandom: async (executor) => { const m = await gaussianMixture(ds, { k: 4, seed: 1, maxIter: 5, init: 'random', executor }); return [m.labels, m.means, m.weights, m.lowerBound]; },
    dbscan: async (executor) => { const m = await dbscan(small.ds, { eps: 0.3, minSamples: 8, executor }); return [m.labels]; },
    hdbscan: async (executor) => { const m = await hdbscan(fromColumns({ columns: small.ds.columns.map((c) => c.slice(0, 6000)) }), { minClusterSize: 20, executor }); return [m.labels, m.probabilities]; },
    tree: async (executor) => { const m = await decisionTree(ds, Array.from(which), { maxDepth: 3, executor }); return JSON.stringify(m.toJSON()); },
    forest: async (executor) => { const m = await randomForest(ds, Array.from(which), { nTrees: 2, maxDepth: 3, seed: 2, executor }); return JSON.stringify(m.toJSON()); },
  };
  const want: Record<string, unknown> = {};
  beforeAll(async () => {
    for (const [name, f] of Object.entries(cases)) {
      want[name] = print(await f(inlineExecutor()));
    }
  }, 120_000);
  it('with two workers, each model gives the inline bytes', async () => {
    const ex = bullmqExecutor({ connection: cluster.url, store: cluster.store });
    try {
      for (const [name, f] of Object.entries(cases)) expect(print(await f(ex)), name).toEqual(want[name]);
    } finally {
      await ex.close();
    }
  }, 120_000);
});
