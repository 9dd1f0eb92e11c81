// Every function that scans data gives the same bytes on every executor: inline, the piscina pool on 1, 2 and 4
// threads, and loopback (every shard from its own encoded copy, every state and partial through bytes).
import { describe, expect, it } from 'vitest';
import {
  calinskiHarabaszScore, chooseK, clusterStats, createRandom, daviesBouldinScore, fromColumns, gaussianMixture, inertia,
  kmeans, loadModel, miniBatchKMeans, pipeline, silhouetteSamples, silhouetteScore, simplifiedSilhouetteScore,
  type Executor, type MiniBatchKMeansModel,
} from '../src/index.node.js';
import { everyExecutor, fixture } from './helpers.js';
import { print } from './helpers/fingerprint.js';

const executors = everyExecutor();

async function sameEverywhere(run: (ex: Executor) => Promise<unknown>): Promise<unknown> {
  const [first, ...rest] = executors;
  const want = print(await run(first[1]));
  for (const [name, ex] of rest) expect({ name, got: print(await run(ex)) }).toEqual({ name, got: want });
  return want;
}

// Three shards: overlapping blobs, so fits take several iterations and bounds matter.
const rng = createRandom(21);
const n = 2 * 65_536 + 7_777, d = 5;
const centres = Array.from({ length: 6 }, () => Array.from({ length: d }, () => rng.normal() * 3));
const big = fromColumns({ columns: Array.from({ length: d }, (_, j) => Float32Array.from({ length: n }, (_, i) => centres[i % 6][j] + rng.normal() * 1.2)) });
const bigLabels = Int32Array.from({ length: n }, (_, i) => (i * 7 + (i >> 3)) % 5);
// Four silhouette blocks of 512 rows and a ragged end.
const small = fromColumns({ columns: big.columns.map((c) => c.slice(0, 2_100)), names: big.names });

describe('byte-identical results on every executor', () => {
  it('k-means fit (k-means++ and random init, with sample weights), predict and transform', async () => {
    const weights = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 4));
    await sameEverywhere(async (executor) => {
      const m = await kmeans(big, { k: 7, seed: 3, executor, maxIter: 40 });
      const r = await kmeans(big, { k: 4, seed: 5, init: 'random', nInit: 2, sampleWeight: weights, executor, maxIter: 20 });
      const dist = await m.transform(small, { executor });
      // the training rows predicted (loaded, centred and labelled shard by shard) get the fit's own labels
      const predicted = await m.predict(big, { executor });
      expect(Array.from(predicted)).toEqual(Array.from(m.labels));
      return { labels: m.labels, centroids: m.centroidData, inertia: m.inertia, iterations: m.iterations, r: [r.labels, r.centroidData, r.inertia], predicted, dist };
    });
  });

  it('a k-means fit with bounded passes and their row-major copy (36 features, two shards with a ragged end)', async () => {
    const r2 = createRandom(36);
    const wide = 36, rows = 65_536 + 4_461;
    const mids = Array.from({ length: 5 }, () => Array.from({ length: wide }, () => r2.normal() * 2));
    const data = fromColumns({ columns: Array.from({ length: wide }, (_, j) => Float32Array.from({ length: rows }, (_, i) => mids[i % 5][j] + r2.normal() * 1.5)) });
    const got = await sameEverywhere(async (executor) => {
      const computed: number[] = [];
      const m = await kmeans(data, { k: 6, seed: 4, executor, maxIter: 60, onProgress: (p) => computed.push(p.computed) });
      return { labels: m.labels, centroids: m.centroidData, inertia: m.inertia, iterations: m.iterations, bounded: computed.some((c) => c < 1) };
    }) as { bounded: boolean };
    // the fit ran bounded passes (from 32 features they read open rows that are not a run of 4 from the copy), not
    // only plain ones
    expect(got.bounded).toBe(true);
  });

  it('the scikit-learn fixture is reproduced exactly on every executor', async () => {
    const fx = fixture('blobs-3000x16-k8');
    await sameEverywhere(async (executor) => {
      const m = await kmeans(fx.X, { k: fx.k, init: fx.kmeans.init, tol: 0, executor });
      expect(Array.from(m.labels)).toEqual(fx.kmeans.labels);
      expect(m.iterations).toBe(fx.kmeans.n_iter);
      return [m.labels, m.centroidData, m.inertia];
    });
  });

  it('Gaussian mixtures of every covariance type and start: parameters, lower bound, labels, probabilities, scores', async () => {
    await sameEverywhere(async (executor) => {
      const out: unknown[] = [];
      for (const [covarianceType, init] of [['full', 'kmeans'], ['tied', 'random'], ['diag', 'k-means++'], ['spherical', 'kmeans']] as const) {
        const m = await gaussianMixture(big, { k: 4, covarianceType, init, seed: 2, maxIter: 15, executor });
        out.push(m.weightData, m.meanData, m.covarianceData, m.lowerBound, m.iterations, m.labels);
        out.push(await m.predictProba(small, { executor }), await m.scoreSamples(small, { executor }), await m.bic(small, { executor }));
      }
      return out;
    });
  });

  it('k-means|| and mini-batch k-means: fit, partialFit with forgetting, predict', async () => {
    const weights = Float32Array.from({ length: n }, (_, i) => 0.5 + (i % 3));
    await sameEverywhere(async (executor) => {
      const par = await kmeans(big, { k: 6, init: 'k-means||', seed: 7, executor, maxIter: 10 });
      const parW = await kmeans(big, { k: 5, init: 'k-means||', seed: 8, sampleWeight: weights, executor, maxIter: 5 });
      const mb = await miniBatchKMeans(big, { k: 6, seed: 3, batchSize: 2_000, maxIter: 2, executor });
      const mbPar = await miniBatchKMeans(big, { k: 5, seed: 4, init: 'k-means||', batchSize: 500, maxIter: 1, maxNoImprovement: null, executor });
      const mbRandom = await miniBatchKMeans(big, { k: 5, seed: 5, init: 'random', nInit: 2, batchSize: 700, maxIter: 1, sampleWeight: weights, executor });
      const cont = loadModel(mb.toJSON()) as MiniBatchKMeansModel;
      await cont.partialFit(small, { executor, halfLife: 2 });
      await cont.partialFit(big, { executor });
      return {
        par: [par.labels, par.centroidData, par.inertia], parW: parW.centroidData,
        mb: [mb.labels, mb.centres, mb.counts, mb.inertia, mb.nSteps], mbPar: [mbPar.centres, mbPar.counts], mbRandom: [mbRandom.centres, mbRandom.labels],
        cont: [cont.centres, cont.counts, cont.labels, await cont.predict(small, { executor })],
      };
    });
  });

  it('every internal metric', async () => {
    await sameEverywhere(async (executor) => ({
      ch: await calinskiHarabaszScore(big, bigLabels, { executor }),
      db: await daviesBouldinScore(big, bigLabels, { executor }),
      inertia: await inertia(big, bigLabels, { executor }),
      stats: await clusterStats(big, bigLabels, { executor }),
      simplified: await simplifiedSilhouetteScore(big, bigLabels, { executor }),
      sampled: await silhouetteScore(big, bigLabels, { executor, sampleSize: 1_500, seed: 2 }),
      exact: await silhouetteSamples(small, bigLabels.subarray(0, small.n), { executor }),
    }));
  });

  it('chooseK', async () => {
    await sameEverywhere(async (executor) => {
      const r = await chooseK(small, { kRange: [2, 6], seed: 1, executor });
      return { table: r.table, k: r.recommendedK, reason: r.reason };
    });
  });

  it('the preparation pipeline: imputed medians and modes, robust and standard scaling, outlier bounds, correlations', async () => {
    const m = 65_536 * 2 + 301;
    const r = createRandom(8);
    const rows = Array.from({ length: m }, (_, i) => ({
      id: `c${i}`,
      income: i % 97 === 0 ? null : Math.round(r.normal() * 20_000 + 60_000) / 7,
      visits: i % 13 === 0 ? null : Math.floor(r.next() * 20),
      spend: r.normal() * 100 + (i % 5) * 10,
      spend2: 0,
      tenure: i % 11 === 0 ? null : r.next() * 1_000,
    }));
    for (const row of rows) row.spend2 = row.spend * 2 + 1e-9 * row.tenure!;
    await sameEverywhere(async (executor) => {
      const out: unknown[] = [];
      for (const options of [
        { id: 'id', impute: 'median' as const, scale: 'robust' as const, outliers: { method: 'iqr' as const, action: 'clip' as const } },
        { id: 'id', impute: { strategy: 'median' as const, byColumn: { visits: 'mostFrequent' as const } }, scale: 'standard' as const, dropLowVariance: 0, dropCorrelated: 0.9 },
        { id: 'id', impute: 'median' as const, outliers: { method: 'zscore' as const, action: 'drop' as const }, columns: ['income', 'visits', 'tenure'], scale: 'log1p' as const },
        { id: 'id', impute: 'mean' as const, scale: 'minmax' as const },
      ]) {
        const p = pipeline(options);
        const { dataset } = await p.fitTransform(rows, { executor });
        out.push(JSON.stringify(p.toJSON()), dataset.columns);
      }
      return out;
    });
  });
});
