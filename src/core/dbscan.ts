import { badOption, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { assertResolution, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { checkWeights } from '../engine/matrix.js';
import type { Executor } from '../engine/executor.js';
import { dbscanBorderOp, dbscanCountOp, dbscanLinkOp, type DbscanGeometry } from './dbscanOps.js';
import { DBSCANModel } from './dbscanModel.js';
import type { RunOptions } from './model.js';
import { checkLatLon, epsGeometry, epsIndex, indexCoordinates, type DbscanMetric } from './epsNeighbours.js';
import { UnionFind } from './unionFind.js';
import { cos } from '../util/detMath.js';

export type { DbscanMetric };
export { EARTH_RADIUS_KM } from './epsNeighbours.js';

/** Rows per shard of the DBSCAN passes: part of the result's definition, never the executor's choice. */
const DBSCAN_SHARD_ROWS = 16_384;

export interface DbscanOptions extends RunOptions {
  /** Neighbourhood radius: in the features' units, or in kilometres for `metric: 'haversine'`. */
  eps: number;
  /** Weighted neighbours within eps (the point itself included) that make a core point (default 5). */
  minSamples?: number;
  /** 'euclidean' (default), or 'haversine' for two columns of latitude and longitude in degrees. */
  metric?: DbscanMetric;
  /** Weight of each row as a neighbour; a negative one counts against the others (scikit-learn's sample_weight). */
  sampleWeight?: ArrayLike<number>;
}

export const dbscanDefaults = Object.freeze({ minSamples: 5, metric: 'euclidean' as const });

const DBSCAN_OPTIONS = ['eps', 'minSamples', 'metric', 'sampleWeight', 'executor', 'threads', 'signal'] as const;

export interface CheckedDbscan {
  eps: number;
  minSamples: number;
  metric: DbscanMetric;
}

export function checkDbscanOptions(o: DbscanOptions, fn = 'dbscan'): CheckedDbscan {
  if (!o || typeof o !== 'object') throw badOption('options', o, 'an object with at least { eps }');
  checkOptions(o, DBSCAN_OPTIONS, fn);
  const { eps } = o;
  if (typeof eps !== 'number' || !Number.isFinite(eps) || !(eps > 0)) throw badOption('eps', eps, 'a finite number > 0');
  const minSamples = orDefault(o.minSamples, dbscanDefaults.minSamples);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw badOption('minSamples', minSamples, 'an integer >= 1');
  const metric = orDefault(o.metric, dbscanDefaults.metric);
  if (metric !== 'euclidean' && metric !== 'haversine') throw badOption('metric', metric, '"euclidean" or "haversine"');
  return { eps, minSamples, metric };
}

/**
 * DBSCAN (Ester et al. 1996) with scikit-learn's semantics: a core point has at least minSamples weighted
 * neighbours within eps (itself included; distance <= eps), clusters are the connected core points plus the border
 * points within eps of one, and the rest is noise (-1). Clusters are numbered as scikit-learn numbers them (by their
 * first core point in row order) and a border point within eps of several clusters joins the lowest-numbered,
 * as scikit-learn's scan does, so labels, core points and noise are identical to scikit-learn's.
 *
 * Neighbourhoods are never stored (scikit-learn keeps them all, O(n^2) memory in the worst case): rows are sorted
 * into a grid of eps-wide cells (up to 3 dimensions) or a kd-tree, loaded once, and three shard ops search again
 * each time: count neighbours (core points), link core points (a union-find skips pairs already joined; the
 * per-shard forests are merged in shard order), label border points. Extra memory O(n). Distances are float64 on
 * the float32 features, compared as scikit-learn compares them (squared euclidean against eps^2; haversine's
 * sin^2 form against sin^2(eps / 2)), so a float32 rounding never moves a pair across eps.
 *
 * `metric: 'haversine'` takes two columns, latitude and longitude in degrees, and eps in kilometres (earth radius
 * 6371.0088 km); from half the circumference (20,015 km) on, every pair is within eps.
 * @example
 * const model = await dbscan(points, { eps: 0.3, minSamples: 5 });
 * model.labels;              // -1 for noise
 * model.coreSampleIndices;
 * await model.predict(newPoints);  // the cluster of the nearest core point within eps, else -1
 */
export async function dbscan(data: DataInput, options: DbscanOptions): Promise<DBSCANModel> {
  const o = checkDbscanOptions(options);
  const ds = toDataset(data);
  assertResolution(ds);
  if (o.metric === 'haversine') checkLatLon(ds);
  // checked as every fit checks weights, then summed in float64, exactly and rounded once (0.9 + 0.1 and ten 0.1s reach
  // 1, in any order), so a weight float32 would hold as 0 (1e-46) is kept
  // negative weights as scikit-learn takes them: one counts against its neighbours' weight, and may stop a point being core
  const weights = checkWeights(options.sampleWeight, ds.n, 'sampleWeight', true, true) && Float64Array.from(options.sampleWeight!);
  throwIfAborted(options.signal);
  const ex = resolveExecutor(options);
  const fit = await fitDbscan(ex, ds, o, weights, options.signal);
  return new DBSCANModel({
    featureNames: [...ds.names], eps: o.eps, minSamples: o.minSamples, metric: o.metric,
    labels: fit.labels, core: fit.core, k: fit.k, components: fit.components,
  });
}

interface DbscanFit {
  labels: Int32Array;
  /** Core flag per row (original order). */
  core: Uint8Array;
  k: number;
  /** The core points, row-major (core rows in row order). */
  components: Float64Array;
}

async function fitDbscan(ex: Executor, ds: Dataset, o: CheckedDbscan, weights: Float64Array | undefined, signal?: AbortSignal): Promise<DbscanFit> {
  const n = ds.n;
  const { coords, lat, lon } = indexCoordinates(ds, o.metric);
  const { r2, limit, inner } = epsGeometry(o.eps, o.metric);
  const built = epsIndex(coords, r2, inner);
  const perm = built.perm;
  // the matrix as loaded: index coordinates, [lat, lon, cos lat], [cell key], [weight], all in index order
  const sorted = (a: ArrayLike<number>) => {
    const out = new Float64Array(n);
    for (let r = 0; r < n; r++) out[r] = a[perm[r]];
    return out;
  };
  const columns: Float64Array[] = coords.map(sorted);
  let latCol = -1, lonCol = -1, cosCol = -1, keyCol = -1, weightCol = -1;
  if (lat && lon) {
    latCol = columns.push(sorted(lat)) - 1;
    lonCol = columns.push(sorted(lon)) - 1;
    cosCol = columns.push(columns[latCol].map((v) => cos(v))) - 1;
  }
  if (built.keys) keyCol = columns.push(built.keys) - 1;
  if (weights) weightCol = columns.push(sorted(weights)) - 1;
  const g: DbscanGeometry = {
    index: built.spec, dims: coords.length, metric: o.metric, r2, limit, latCol, lonCol, cosCol, keyCol, weightCol, signed: weights && weights.some((w) => w < 0), minSamples: o.minSamples,
  };
  // shards of 16,384 rows balance the threads (a shard's work follows the density of its cells)
  const handle = await ex.load({ columns }, { dtype: 'f64', replicate: true, shardRows: DBSCAN_SHARD_ROWS, signal });
  try {
    const coreParts = await ex.map(dbscanCountOp, handle, g, { signal });
    const core = new Uint8Array(n);
    let at = 0;
    for (const p of coreParts) { core.set(p, at); at += p.length; }
    const edges = await ex.map(dbscanLinkOp, handle, { ...g, core }, { signal });
    const uf = new UnionFind(n);
    // on the grid, the core rows of a cell are within eps of each other
    const keys = built.keys;
    if (keys) {
      let last = -1;
      for (let r = 0; r < n; r++) {
        if (!core[r]) continue;
        if (last >= 0 && keys[last] === keys[r]) uf.union(last, r);
        last = r;
      }
    }
    for (const e of edges) for (let q = 0; q < e.length; q += 2) uf.union(e[q], e[q + 1]);
    // clusters numbered by their first core point in the caller's row order, as scikit-learn's scan numbers them
    const root = new Int32Array(n).fill(-1);
    const first = new Int32Array(n).fill(n);
    let nRoots = 0;
    for (let r = 0; r < n; r++) {
      if (!core[r]) continue;
      const top = uf.find(r);
      root[r] = top;
      if (top === r) nRoots++;
      if (perm[r] < first[top]) first[top] = perm[r];
    }
    const roots = new Int32Array(nRoots);
    for (let r = 0, c = 0; r < n; r++) if (root[r] === r) roots[c++] = r;
    roots.sort((a, b) => first[a] - first[b]);
    const idOfRoot = first;
    roots.forEach((top, c) => { idOfRoot[top] = c; });
    const cluster = new Int32Array(n).fill(-1);
    for (let r = 0; r < n; r++) if (root[r] >= 0) cluster[r] = idOfRoot[root[r]];
    const parts = await ex.map(dbscanBorderOp, handle, { ...g, core, cluster }, { signal });
    const labels = new Int32Array(n), coreOut = new Uint8Array(n);
    at = 0;
    for (const p of parts) {
      for (let q = 0; q < p.length; q++) {
        const i = perm[at + q];
        labels[i] = p[q];
        coreOut[i] = core[at + q];
      }
      at += p.length;
    }
    let nCore = 0;
    for (let i = 0; i < n; i++) nCore += coreOut[i];
    const components = new Float64Array(nCore * ds.d);
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (!coreOut[i]) continue;
      for (let j = 0; j < ds.d; j++) components[c * ds.d + j] = ds.columns[j][i];
      c++;
    }
    return { labels, core: coreOut, k: nRoots, components };
  } finally {
    await ex.release(handle);
  }
}
