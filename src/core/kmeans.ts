import { SegkitError, badOption, describe, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom } from '../util/random.js';
import { assertResolution, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { freshOrNone } from '../engine/executor.js';
import { centresF32, type AnyTypedArray } from '../kernels/shard.js';
import { CENTRED_FLOAT32, CENTRED_HINT, SQUARED_NORM_LIMIT, checkWeights, loadMatrix, loadMatrixPassing, type Matrix } from '../engine/matrix.js';
import { kmeansPlusPlus, randomInit } from './initCentroids.js';
import { kmeansParallel } from './kmeansParallel.js';
import { KMeansModel, repeatedRow } from './kmeansModel.js';
import { lloyd, slackOf } from './lloyd.js';
import { centreAssignOp, type AssignPartial } from './kmeansOps.js';
import type { RunOptions } from './model.js';

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
  /**
   * Share of the row-centre distances this iteration computed (bounds settle the rest): 1 for a plain pass. Which passes
   * are bounded depends on their measured times, so this may differ from run to run; the fit does not.
   */
  computed: number;
}

export interface KMeansOptions extends RunOptions {
  k: number;
  /** 'k-means++' (greedy), 'k-means||' (Bahmani et al. 2012, for large data), 'random', or k explicit centroids. */
  init?: 'k-means++' | 'k-means||' | 'random' | readonly (readonly number[])[];
  /** Restarts, keeping the lowest inertia; 'auto' is 1 for k-means++, k-means|| and explicit centroids, 10 for random. */
  nInit?: number | 'auto';
  maxIter?: number;
  /** Relative to the mean feature variance, as scikit-learn; 0 stops only when no label changes. */
  tol?: number;
  seed?: number;
  sampleWeight?: ArrayLike<number>;
  onProgress?: (p: KMeansProgress) => void;
}

export const kmeansDefaults = Object.freeze({
  init: 'k-means++' as const,
  nInit: 'auto' as const,
  maxIter: 300,
  tol: 1e-4,
  seed: 0,
});

const KMEANS_OPTIONS = ['k', 'init', 'nInit', 'maxIter', 'tol', 'seed', 'sampleWeight', 'executor', 'threads', 'signal', 'onProgress'] as const;

interface Checked {
  k: number;
  init: 'k-means++' | 'k-means||' | 'random' | readonly (readonly number[])[];
  explicit?: Float64Array;
  nInit: number;
  maxIter: number;
  tol: number;
  seed: number;
}

/**
 * Explicit starting centroids (k rows of d finite float32 numbers) as a flat k x d array, the option's name and the
 * offending row and column in every error; `distinct` also refuses a row that repeats an earlier one (in float32).
 */
export function explicitCentroids(init: readonly (readonly number[])[], k: number, d: number, distinct = false): Float64Array {
  if (init.length !== k) throw badOption('init', init, `${k} centroids (one per cluster)`);
  const out = new Float64Array(k * d);
  // by index: forEach would pass over a hole, leaving that centroid's value 0
  for (let t = 0; t < k; t++) {
    const row = init[t];
    if (!Array.isArray(row) || row.length !== d) throw new SegkitError('E_BAD_OPTION', `option "init" row ${t} has ${Array.isArray(row) ? row.length : describe(row)} values, the data has ${d} features`);
    for (let j = 0; j < d; j++) {
      const v = row[j];
      if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(Math.fround(v))) {
        throw new SegkitError('E_BAD_OPTION', `option "init" row ${t}, column ${j} is ${describe(v)}, not a finite float32 number`);
      }
      out[t * d + j] = v;
    }
  }
  const repeat = distinct ? repeatedRow(out, k, d) : undefined;
  if (repeat) throw new SegkitError('E_BAD_OPTION', `option "init" row ${repeat[1]} repeats an earlier row; the k centroids must be distinct`);
  return out;
}

function checkKMeansOptions(o: KMeansOptions, ds: Dataset): Checked {
  if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with at least { k }');
  checkOptions(o, KMEANS_OPTIONS, 'kmeans');
  const { k } = o;
  if (!Number.isInteger(k) || k < 1) throw badOption('k', k, 'a positive integer');
  if (k > ds.n) throw new SegkitError('E_TOO_FEW_DISTINCT', `option "k" is ${k} but the data has only ${ds.n} rows`);
  const init = orDefault(o.init, kmeansDefaults.init);
  let explicit: Float64Array | undefined;
  if (Array.isArray(init)) {
    explicit = explicitCentroids(init, k, ds.d, true);
  } else if (init !== 'k-means++' && init !== 'k-means||' && init !== 'random') {
    throw badOption('init', init, '"k-means++", "k-means||", "random" or an array of k centroids');
  }
  const nInitRaw = orDefault(o.nInit, kmeansDefaults.nInit);
  if (nInitRaw !== 'auto' && (!Number.isInteger(nInitRaw) || nInitRaw < 1)) throw badOption('nInit', nInitRaw, 'a positive integer or "auto"');
  const nInit = explicit ? 1 : nInitRaw === 'auto' ? (init === 'random' ? 10 : 1) : nInitRaw;
  const maxIter = orDefault(o.maxIter, kmeansDefaults.maxIter);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw badOption('maxIter', maxIter, 'a positive integer');
  const tol = orDefault(o.tol, kmeansDefaults.tol);
  if (typeof tol !== 'number' || !(tol >= 0) || !Number.isFinite(tol)) throw badOption('tol', tol, 'a finite number >= 0');
  const seed = orDefault(o.seed, kmeansDefaults.seed);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer of at most 2^53 in magnitude');
  return { k, init, explicit, nInit, maxIter, tol, seed };
}

/** Throws unless the data has at least k distinct rows (with positive weight); stops as soon as k are found. */
export function checkDistinct(ds: Dataset, k: number, weights?: Float32Array): void {
  const distinct = distinctRows(ds, k, weights);
  if (distinct < k) {
    throw new SegkitError('E_TOO_FEW_DISTINCT', `option "k" is ${k} but the data has only ${distinct} distinct ${weights ? 'weighted ' : ''}points`, 'lower k or deduplicate the data');
  }
}

/** Distinct rows of the data (as stored feature values; rows of weight 0 left out), counted up to `limit`. */
export function distinctRows(ds: Dataset, limit: number, weights?: Float32Array): number {
  const seen = new Set<string>();
  const key: number[] = new Array(ds.d);
  for (let i = 0; i < ds.n && seen.size < limit; i++) {
    if (weights && weights[i] === 0) continue;
    for (let j = 0; j < ds.d; j++) key[j] = ds.columns[j][i];
    seen.add(key.join(','));
  }
  return seen.size;
}

/** What float32 centring did to data with k distinct points (`what`: the centres it made one or left empty), and what to do. */
const centred = (code: 'E_BAD_OPTION' | 'E_TOO_FEW_DISTINCT', what: string, offset: Float64Array): SegkitError =>
  new SegkitError(code, `${what} once centred (column means ${Array.from(offset, (v) => v.toPrecision(4)).join(', ')}): ${CENTRED_FLOAT32}`, CENTRED_HINT);

/** Centres (stored coordinates) equal in float32 once centred: `code` naming them (`what`: explicit init rows, or a fit's result). */
function distinctOnceCentred(c: Float64Array, k: number, d: number, offset: Float64Array, code: 'E_BAD_OPTION' | 'E_TOO_FEW_DISTINCT', what: string): void {
  const repeat = repeatedRow(c, k, d);
  if (repeat) throw centred(code, `${what} ${repeat[0]} and ${repeat[1]} are equal`, offset);
}

/**
 * Cluster weights of a fit's final labels on data with k distinct points: a centre still empty (a mini-batch fit's
 * moved to the farthest distinct rows) means the kernels cannot tell some of them apart once centred.
 */
export function noEmptyOnceCentred(weight: Float64Array, offset: Float64Array): void {
  const empty = weight.findIndex((w) => !(w > 0));
  if (empty >= 0) throw centred('E_TOO_FEW_DISTINCT', `the fit ended with centre ${empty} holding no rows`, offset);
}

/** Whether two centres lie nearer each other than the kernels' squared distances resolve at their norms. */
function closeCentres(c: Float64Array, k: number, d: number): boolean {
  for (let a = 0; a < k; a++) {
    for (let b = a + 1; b < k; b++) {
      let s = 0, norms = 0;
      for (let j = 0; j < d; j++) {
        s += (c[a * d + j] - c[b * d + j]) ** 2;
        norms += c[a * d + j] ** 2 + c[b * d + j] ** 2;
      }
      if (s <= 4 * slackOf(d) * norms) return true;
    }
  }
  return false;
}

/**
 * An explicit start (k x d, data coordinates) in the matrix's stored coordinates; E_BAD_OPTION for a row whose squared
 * distances to the rows would leave float32: the kernels would measure it at Infinity from every row, and rows all of
 * whose centres are that far would take centre 0 by a tie instead of the nearest.
 */
export function storedStart(explicit: ArrayLike<number>, k: number, m: Matrix): Float64Array {
  const { init, far, norm } = centredStart(explicit, k, m.d, m.offset, m.scale);
  if (far >= 0) {
    throw new SegkitError('E_BAD_OPTION', `option "init" row ${far} lies ${(Math.sqrt(norm) / m.scale).toPrecision(3)} from the column means, too far from the data for float32 distances`,
      'start from centroids within the range of the data');
  }
  return init;
}

/** `storedStart`'s centres, and the first row too far for float32 distances (-1 for none) with its squared norm. */
function centredStart(explicit: ArrayLike<number>, k: number, d: number, offset: Float64Array, scale: number): { init: Float64Array; far: number; norm: number } {
  const init = Float64Array.from({ length: k * d }, (_, q) => (explicit[q] - offset[q % d]) * scale);
  for (let t = 0; t < k; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += init[t * d + j] ** 2;
    if (!(s <= SQUARED_NORM_LIMIT)) return { init, far: t, norm: s };
  }
  return { init, far: -1, norm: 0 };
}

/** A k-means fit on data already loaded (chooseK fits many k on one load); the result is the same as `kmeans`. */
export async function fitKMeans(m: Matrix, ds: Dataset, options: KMeansOptions): Promise<KMeansModel> {
  const o = checkKMeansOptions(options, ds);
  checkDistinct(ds, o.k, m.weights);
  return runKMeans(m, ds, o, options);
}

/** `labels`: a promised array of m.n int32 for the first run's labels (`Executor.freshArray`), or none. */
async function runKMeans(m: Matrix, ds: Dataset, o: Checked, options: KMeansOptions, labels?: Promise<AnyTypedArray | undefined>, first?: AssignPartial[]): Promise<KMeansModel> {
  const { d } = m;
  // scikit-learn's tolerance: tol times the mean of the (unweighted) per-feature variances
  const tolAbs = o.tol === 0 ? 0 : (m.sumSquaresUnweighted / m.n / d) * o.tol;
  const rng = createRandom(o.seed);
  let best: { centers: Float64Array; inertia: number; iterations: number; converged: boolean; labels: Int32Array } | undefined;
  for (let run = 0; run < o.nInit; run++) {
    const runRng = rng.fork();
    let init: Float64Array;
    if (o.explicit) {
      init = storedStart(o.explicit, o.k, m);
      distinctOnceCentred(init, o.k, d, m.offset, 'E_BAD_OPTION', 'option "init" rows');
    } else if (o.init === 'random') {
      init = await randomInit(m, o.k, runRng, options.signal);
    } else if (o.init === 'k-means||') {
      init = await kmeansParallel(m, o.k, runRng, options.signal);
    } else {
      init = await kmeansPlusPlus(m, o.k, runRng, options.signal);
    }
    const r = await lloyd(m, init, o.k, {
      maxIter: o.maxIter,
      tolAbs,
      first: o.explicit ? first : undefined,
      signal: options.signal,
      onIteration: options.onProgress && ((p) => options.onProgress!({ run, ...p, inertia: p.inertia / m.scale ** 2, shift: p.shift / m.scale ** 2 })),
    });
    // the data has k distinct points (checked), so two equal centres mean float32 centring made them one: a cluster
    // left without rows, and an inertia of the merged points
    distinctOnceCentred(r.centers, o.k, d, m.offset, 'E_TOO_FEW_DISTINCT', 'the fit ended with centres');
    // an empty cluster (scikit-learn can end with one) beside centres nearer each other than float32 distances resolve
    // at their norms: rows were labelled by rounding
    if (r.weight.some((w) => !(w > 0)) && closeCentres(r.centers, o.k, d)) noEmptyOnceCentred(r.weight, m.offset);
    if (!best || r.inertia < best.inertia) {
      best = { ...r, labels: (await m.ex.readRows(m.handle, 'labels', { into: run === 0 ? await labels : undefined })) as Int32Array };
    }
    throwIfAborted(options.signal);
  }
  const centroids = new Float64Array(o.k * d);
  for (let q = 0; q < centroids.length; q++) centroids[q] = best!.centers[q] / m.scale + m.offset[q % d];
  return new KMeansModel({
    k: o.k,
    featureNames: [...ds.names],
    centroids,
    offset: m.offset,
    labels: best!.labels,
    inertia: best!.inertia / m.scale ** 2,
    iterations: best!.iterations,
    converged: best!.converged,
  });
}

/**
 * k-means clustering (Lloyd, skipping with Yinyang bounds what cannot change) on SIMD WebAssembly kernels, as shard ops on any executor.
 * A seeded fit gives bit-identical labels, centroids and inertia on every executor and thread count.
 * @example
 * const model = await kmeans(rows, { k: 4, seed: 1 });
 * model.labels; model.centroids; await model.predict(newRows);
 */
export async function kmeans(data: DataInput, options: KMeansOptions): Promise<KMeansModel> {
  const ds = toDataset(data);
  assertResolution(ds);
  const o = checkKMeansOptions(options, ds);
  return fitOnLoad(ds, o.k, options, (m, labels, first) => runKMeans(m, ds, o, options, labels, first), true, o.explicit);
}

/**
 * Checks the sample weights and that the data holds k distinct weighted points, loads the data, runs `fit` on it and
 * releases it: the steps k-means and mini-batch k-means take, in this order, between their option checks and the fit.
 * With `labels`, an int32 array of a value per row is asked of the executor (`freshArray`) before the load: a pool
 * worker takes the array's first touches (page faults) while the calling thread copies the rows in, not the calling
 * thread once the fit is done. The load's own pool steps (its column sums) wait for that worker, so the load takes
 * longer (at 1M x 16, 16.9 to 18.8 ms against 9.7 to 14.8), but less than the copy into a fresh array took at the end.
 * Fits from fixed centres at 1M x 16, k = 8, medians of six fits a process, five alternating pairs of processes: 65,
 * 68, 74, 75, 71 ms -> 61, 62, 69, 70, 69 ms; at 1M x 64 no change beyond the noise (two pairs).
 * With `start` (given centres, data coordinates), the first Lloyd pass from them runs with the load's centring
 * (`loadMatrixPassing`), and `fit` gets its partials as `first` (undefined where the rows needed scaling or a centre
 * lies too far for float32 distances: the fit then runs that pass itself).
 */
export async function fitOnLoad<T>(
  ds: Dataset,
  k: number,
  options: RunOptions & { sampleWeight?: ArrayLike<number> },
  fit: (m: Matrix, labels?: Promise<AnyTypedArray | undefined>, first?: AssignPartial[]) => Promise<T>,
  labels = false,
  start?: Float64Array,
): Promise<T> {
  const weights = checkWeights(options.sampleWeight, ds.n);
  checkDistinct(ds, k, weights);
  throwIfAborted(options.signal);
  const ex = resolveExecutor(options);
  // a failed or refused request gives undefined (never a rejection), and the fit then lets readRows allocate
  const array = labels ? freshOrNone(ex, 'i32', ds.n) : undefined;
  let m: Matrix, first: AssignPartial[] | undefined;
  if (start) {
    // a given start: its first Lloyd pass runs with the centring, shard by shard (the same labels and sums as after it)
    ({ m, partials: first } = await loadMatrixPassing(ex, ds, { weights, signal: options.signal }, centreAssignOp, (offset) => {
      const { init, far } = centredStart(start, k, ds.d, offset, 1);
      return far >= 0 ? undefined : { ...centresF32(init, k, ds.d), k, reset: true, sums: true, dist: false };
    }));
  } else m = await loadMatrix(ex, ds, { weights, signal: options.signal });
  try {
    return await fit(m, array, first);
  } finally {
    await m.release();
  }
}
