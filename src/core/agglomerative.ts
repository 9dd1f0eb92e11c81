import { SegkitError, badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { assertResolution, finiteCopies, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import type { Executor } from '../engine/executor.js';
import { matrixChainOp, primSingleOp, wardChainOp } from './agglomerativeOps.js';
import { AgglomerativeModel, LINKAGES, type Linkage } from './agglomerativeModel.js';
import { clustersAtThreshold, cutLinkage, finishLinkage } from './linkageTree.js';
import { distinctRows } from './kmeans.js';
import type { RunOptions } from './model.js';

export type { Linkage };

export interface AgglomerativeOptions extends RunOptions {
  /** Clusters to cut the tree into; give this or `distanceThreshold`. */
  k?: number;
  /** Undo every merge at or above this height instead (scikit-learn's distance_threshold). */
  distanceThreshold?: number;
  /** 'ward' (default), 'complete', 'average' or 'single'. */
  linkage?: Linkage;
}

export const agglomerativeDefaults = Object.freeze({ linkage: 'ward' as const });

const AGGLOMERATIVE_OPTIONS = ['k', 'distanceThreshold', 'linkage', 'executor', 'threads', 'signal'] as const;

/** The condensed distance matrix complete and average linkage need stays below this (2 GiB of float64). */
export const MAX_MATRIX_BYTES = 2 ** 31;

function checkAgglomerativeOptions(o: AgglomerativeOptions, n: number): { linkage: Linkage } {
  if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with { k } or { distanceThreshold }');
  checkOptions(o, AGGLOMERATIVE_OPTIONS, 'agglomerative');
  const linkage = orDefault(o.linkage, agglomerativeDefaults.linkage);
  if (!(LINKAGES as readonly unknown[]).includes(linkage)) throw badOption('linkage', linkage, LINKAGES.map((l) => `"${l}"`).join(', '));
  if ((o.k === undefined) === (o.distanceThreshold === undefined)) {
    throw new SegkitError('E_BAD_OPTION', `agglomerative: give exactly one of options "k" and "distanceThreshold"${o.k !== undefined ? ' (both were given)' : ''}`);
  }
  if (o.k !== undefined) {
    if (!Number.isInteger(o.k) || o.k < 1) throw badOption('k', o.k, 'a positive integer');
    if (o.k > n) throw new SegkitError('E_BAD_OPTION', `option "k" is ${o.k} but the data has only ${n} rows`);
  } else if (typeof o.distanceThreshold !== 'number' || !Number.isFinite(o.distanceThreshold) || o.distanceThreshold < 0) {
    throw badOption('distanceThreshold', o.distanceThreshold, 'a finite number >= 0');
  }
  return { linkage };
}

/** The linkage matrix of the rows (SciPy's (n - 1) x 4 layout), built by a shard op on one holder (chooseK's sweep too). */
export async function linkageMatrix(ex: Executor, ds: Dataset, linkage: Linkage, signal?: AbortSignal): Promise<Float64Array> {
  const n = ds.n;
  if ((linkage === 'complete' || linkage === 'average') && (n * (n - 1) / 2) * 8 > MAX_MATRIX_BYTES) {
    throw new SegkitError('E_BAD_OPTION', `option "linkage" is "${linkage}", which needs the ${n}-row distance matrix (${((n * (n - 1) / 2) * 8 / 2 ** 30).toFixed(1)} GiB; the limit is 2 GiB)`, '"ward" and "single" work from the vectors in O(n d) memory; or sample the rows');
  }
  if (n < 2) return new Float64Array(0);
  const columns = finiteCopies(ds);
  // Ward works from cluster means: rows less a float32 column mean (exact differences) keep the digits that an
  // offset far from 0 would take from the means, and so from the heights and the merge order
  if (linkage === 'ward') for (const c of columns) { const m = Math.fround(c.reduce((s, v) => s + v) / n); c.forEach((v, i) => { c[i] = v - m; }); }
  const handle = await ex.load({ columns }, { dtype: 'f64', replicate: true, signal });
  try {
    const state = { n };
    const one = { signal, shards: [0] };
    if (linkage === 'ward') return finishLinkage((await ex.map(wardChainOp, handle, state, one))[0], n, Math.sqrt);
    if (linkage === 'single') return finishLinkage((await ex.map(primSingleOp, handle, state, one))[0], n);
    return finishLinkage((await ex.map(matrixChainOp, handle, { n, method: linkage }, one))[0], n);
  } finally {
    await ex.release(handle);
  }
}

/**
 * Agglomerative (hierarchical) clustering with SciPy's linkage matrix and scikit-learn's cut. Ward, complete and
 * average linkage follow Müllner's nearest-neighbour chain (2011), single linkage Prim's minimum spanning tree;
 * Ward and single work from the vectors in O(n d) memory, as fastcluster's `linkage_vector` (wasm, float64),
 * complete and average on the condensed distance matrix, O(n^2) memory, as SciPy. O(n^2 d) time.
 * Merge heights are SciPy's (Ward: sqrt(2 |A||B| / (|A| + |B|)) |c_A - c_B|); on data with exact ties, Ward's
 * centroid distances round unlike SciPy's matrix updates, so a tie can be merged the other way. The labels undo the
 * last k - 1 merges (numbered by first row); `model.labelsFor(k)` cuts the same tree at any other k. The hierarchy is
 * one uninterrupted step on one thread: a signal stops the fit before it or after it, not during it.
 * @example
 * const model = await agglomerative(rows, { k: 4, linkage: 'ward' });
 * model.linkageMatrix;            // (n - 1) x 4: merged ids, height, size
 * model.dendrogram(4);            // the top merges, ready to draw
 * await model.predict(newRows);   // the nearest final-cluster centroid
 */
export async function agglomerative(data: DataInput, options: AgglomerativeOptions): Promise<AgglomerativeModel> {
  const ds = toDataset(data);
  assertResolution(ds);
  const { linkage } = checkAgglomerativeOptions(options, ds.n);
  throwIfAborted(options.signal);
  const ex = resolveExecutor(options);
  const Z = await linkageMatrix(ex, ds, linkage, options.signal);
  const n = ds.n;
  const k = options.k ?? clustersAtThreshold(Z, n, options.distanceThreshold!);
  // identical rows in two clusters would give them one centroid, and predict the first of the two for both
  const distinct = distinctRows(ds, k);
  if (distinct < k) {
    throw new SegkitError('E_TOO_FEW_DISTINCT', `${options.k !== undefined ? `option "k" is ${k}` : `option "distanceThreshold" cuts the tree into ${k} clusters`} but the data has only ${distinct} distinct points`,
      'lower k (or raise distanceThreshold), or deduplicate the data');
  }
  const labels = cutLinkage(Z, n, k);
  return new AgglomerativeModel({ featureNames: [...ds.names], linkage, k, labels, linkageMatrix: Z, centroids: centroidsOf(ds, labels, k) });
}

/** Float64 mean of each cluster's rows (k x d, row-major). */
export function centroidsOf(ds: Dataset, labels: Int32Array, k: number): Float64Array {
  const d = ds.d;
  const sums = new Float64Array(k * d), counts = new Float64Array(k);
  for (let i = 0; i < ds.n; i++) {
    const l = labels[i];
    counts[l]++;
    for (let j = 0; j < d; j++) sums[l * d + j] += ds.columns[j][i];
  }
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) sums[c * d + j] /= counts[c];
  return sums;
}
