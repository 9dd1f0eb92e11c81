import { SegkitError, badOption, describe, throwIfAborted } from '../util/errors.js';
import { toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { checkWeights, loadMatrix } from '../kernels/layout.js';
import { executorFor } from '../parallel/defaultExecutor.js';
import type { Executor } from '../parallel/executor.js';
import { kmeansPlusPlus, randomInit } from './initCentroids.js';
import { KMeansModel } from './kmeansModel.js';
import { lloyd } from './lloyd.js';
import { createRandom } from '../util/random.js';

export interface KMeansProgress {
  /** Restart number, from 0 to nInit - 1. */
  run: number;
  iteration: number;
  /** Inertia of this iteration's labels with the centres that produced them. */
  inertia: number;
  /** Summed squared movement of the centres in this iteration. */
  shift: number;
  /** Rows whose label changed. */
  changed: number;
}

export interface KMeansOptions {
  k: number;
  init?: 'k-means++' | 'random' | readonly (readonly number[])[];
  /** Restarts, keeping the lowest inertia; 'auto' is 1 for k-means++ and explicit centroids, 10 for random. */
  nInit?: number | 'auto';
  maxIter?: number;
  /** Relative to the mean feature variance, as scikit-learn; 0 stops only when no label changes. */
  tol?: number;
  seed?: number;
  sampleWeight?: ArrayLike<number>;
  /** Worker threads; default all cores in Node, 1 (inline) elsewhere. */
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (p: KMeansProgress) => void;
}

export const kmeansDefaults = Object.freeze({
  init: 'k-means++' as const,
  nInit: 'auto' as const,
  maxIter: 300,
  tol: 1e-4,
  seed: 0,
});

function checkOptions(o: KMeansOptions, ds: Dataset) {
  if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with at least { k }');
  const { k } = o;
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'a positive integer');
  if (k > ds.n) throw new SegkitError('E_TOO_FEW_DISTINCT', `option "k" is ${k} but the data has only ${ds.n} rows`);
  const init = o.init ?? kmeansDefaults.init;
  let explicit: Float64Array | undefined;
  if (Array.isArray(init)) {
    if (init.length !== k) throw badOption('init', init, `${k} centroids (one per cluster)`);
    explicit = new Float64Array(k * ds.d);
    init.forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== ds.d) throw new SegkitError('E_BAD_OPTION', `option "init" row ${t} has ${Array.isArray(row) ? row.length : describe(row)} values, the data has ${ds.d} features`);
      row.forEach((v, j) => {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw new SegkitError('E_BAD_OPTION', `option "init" row ${t}, column ${j} is ${describe(v)}, not a finite number`);
        explicit![t * ds.d + j] = v;
      });
    });
  } else if (init !== 'k-means++' && init !== 'random') {
    throw badOption('init', init, '"k-means++", "random" or an array of k centroids');
  }
  const nInitRaw = o.nInit ?? kmeansDefaults.nInit;
  if (nInitRaw !== 'auto' && (!Number.isInteger(nInitRaw) || nInitRaw < 1)) throw badOption('nInit', nInitRaw, 'a positive integer or "auto"');
  const nInit = explicit ? 1 : nInitRaw === 'auto' ? (init === 'random' ? 10 : 1) : nInitRaw;
  const maxIter = o.maxIter ?? kmeansDefaults.maxIter;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw badOption('maxIter', maxIter, 'a positive integer');
  const tol = o.tol ?? kmeansDefaults.tol;
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) throw badOption('tol', tol, 'a finite number >= 0');
  const seed = o.seed ?? kmeansDefaults.seed;
  if (!Number.isInteger(seed)) throw badOption('seed', seed, 'an integer');
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') throw badOption('onProgress', o.onProgress, 'a function');
  return { k, init, explicit, nInit, maxIter, tol, seed };
}

/** Throws unless the data has at least k distinct rows (with positive weight); stops as soon as k are found. */
function checkDistinct(ds: Dataset, k: number, weights?: Float32Array): void {
  const seen = new Set<string>();
  const key: number[] = new Array(ds.d);
  for (let i = 0; i < ds.n && seen.size < k; i++) {
    if (weights && weights[i] === 0) continue;
    for (let j = 0; j < ds.d; j++) key[j] = ds.columns[j][i];
    seen.add(key.join(','));
  }
  if (seen.size < k) {
    throw new SegkitError('E_TOO_FEW_DISTINCT', `option "k" is ${k} but the data has only ${seen.size} distinct ${weights ? 'weighted ' : ''}points`, 'lower k or deduplicate the data');
  }
}

/** scikit-learn's tolerance: tol times the mean of the (unweighted) per-feature variances. */
function absoluteTolerance(ds: Dataset, mean: Float64Array, tol: number, sumSquares: number | undefined): number {
  if (tol === 0) return 0;
  if (sumSquares !== undefined) return (sumSquares / ds.n / ds.d) * tol;
  let s = 0;
  for (let j = 0; j < ds.d; j++) {
    const col = ds.columns[j], mu = mean[j];
    let v = 0;
    for (let i = 0; i < ds.n; i++) v += (col[i] - mu) ** 2;
    s += v / ds.n;
  }
  return (s / ds.d) * tol;
}

/**
 * k-means clustering (Lloyd with Hamerly bounds) on SIMD WebAssembly kernels, sharded over threads.
 * A seeded fit gives bit-identical labels, centroids and inertia on any number of threads.
 * @example
 * const model = await kmeans(rows, { k: 4, seed: 1 });
 * model.labels; model.centroids; model.predict(newRows);
 */
export async function kmeans(data: DataInput, options: KMeansOptions): Promise<KMeansModel> {
  const ds = toDataset(data);
  const o = checkOptions(options, ds);
  const weights = checkWeights(options.sampleWeight, ds.n);
  checkDistinct(ds, o.k, weights);
  throwIfAborted(options.signal);
  const ex: Executor = executorFor(options.threads);
  const m = await loadMatrix(ex, ds, { weights, signal: options.signal });
  const mean = m.offset;
  const tolAbs = absoluteTolerance(ds, mean, o.tol, weights ? undefined : m.sumSquares);
  const rng = createRandom(o.seed);
  const labelsPtr = ex.heap.alloc(4 * m.stride);
  const bestLabels = new Int32Array(ds.n);
  let best: { centers: Float64Array; inertia: number; iterations: number; converged: boolean } | undefined;
  try {
    for (let run = 0; run < o.nInit; run++) {
      const runRng = rng.fork();
      let init: Float64Array;
      if (o.explicit) {
        init = new Float64Array(o.k * ds.d);
        for (let q = 0; q < init.length; q++) init[q] = o.explicit[q] - mean[q % ds.d];
      } else if (o.init === 'random') {
        init = randomInit(m, o.k, runRng);
      } else {
        init = await kmeansPlusPlus(ex, m, o.k, runRng, options.signal);
      }
      const r = await lloyd(ex, m, init, o.k, labelsPtr, {
        maxIter: o.maxIter,
        tolAbs,
        signal: options.signal,
        onIteration: options.onProgress && ((p) => options.onProgress!({ run, ...p })),
      });
      if (!best || r.inertia < best.inertia) {
        best = r;
        bestLabels.set(ex.heap.i32(labelsPtr, ds.n));
      }
    }
  } finally {
    ex.heap.release(labelsPtr);
    m.release();
  }
  const centroids = new Float64Array(o.k * ds.d);
  for (let q = 0; q < centroids.length; q++) centroids[q] = best!.centers[q] + mean[q % ds.d];
  return new KMeansModel({
    k: o.k,
    featureNames: [...ds.names],
    centroids,
    offset: mean,
    labels: bestLabels,
    inertia: best!.inertia,
    iterations: best!.iterations,
    converged: best!.converged,
    threads: options.threads,
  });
}
