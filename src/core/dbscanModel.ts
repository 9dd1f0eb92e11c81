import { SegkitError } from '../util/errors.js';
import { badModel, readEnum, readNumber, readObject, readPositive, readStrings } from '../util/modelJson.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import { finiteCopies, type DataInput, type Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { defineOp } from '../engine/shardOp.js';
import { shardColumn } from '../kernels/shard.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';
import { datasetFor } from './modelData.js';
import { checkLatLon, epsGeometry, epsIndex, indexCoordinates } from './epsNeighbours.js';
import { RangeFinder, type IndexSpec } from './spatialIndex.js';
import { cos, sin } from '../util/detMath.js';

export const DBSCAN_FORMAT_VERSION = 1;

export interface DBSCANModelJSON extends ModelJSON {
  kind: 'dbscan';
  version: number;
  k: number;
  featureNames: string[];
  eps: number;
  minSamples: number;
  metric: 'euclidean' | 'haversine';
  nSamples: number;
  /** Training rows that were noise. */
  nUnassigned: number;
  /** Core points, one row each (in row order of the training data). */
  components: number[][];
  /** Cluster of each core point. */
  coreLabels: number[];
}

interface Parts {
  featureNames: string[];
  eps: number;
  minSamples: number;
  metric: 'euclidean' | 'haversine';
  k: number;
  /** Training labels (empty for a loaded model). */
  labels: Int32Array;
  /** Core flag per training row (empty for a loaded model). */
  core: Uint8Array;
  components: Float64Array;
  coreLabels?: Int32Array;
  nSamples?: number;
  nUnassigned?: number;
}

/** Each query row: the cluster of the nearest core point within eps (ties to the lower cluster), else -1. */
interface PredictState {
  index: IndexSpec;
  metric: 'euclidean' | 'haversine';
  r2: number;
  limit: number;
  /** Core points in index order: index coordinates, [lat, lon, cos lat] (haversine), and their clusters. */
  coords: Float64Array[];
  keys?: Float64Array;
  lat?: Float64Array;
  lon?: Float64Array;
  cos?: Float64Array;
  labels: Int32Array;
}

/**
 * The value the exact test holds against `limit` for a point and core point q (index order): the squared distance
 * of the index coordinates p (euclidean), or haversine's sin^2 form from the point's latitude, longitude and cosine
 * (radians). The fit's own test (dbscanOps) computes the same, in the same order.
 */
function pairValue(s: PredictState, p: Float64Array, lat: number, lon: number, cos: number, q: number): number {
  if (s.metric === 'euclidean') {
    let v = 0;
    for (let j = 0; j < p.length; j++) { const t = p[j] - s.coords[j][q]; v += t * t; }
    return v;
  }
  const s0 = sin(0.5 * (lat - s.lat![q])), s1 = sin(0.5 * (lon - s.lon![q]));
  return s0 * s0 + cos * s.cos![q] * s1 * s1;
}

export const dbscanPredictOp = defineOp<PredictState, Int32Array>({
  name: 'dbscan.predict',
  run(sh, s) {
    const finder = new RangeFinder(s.index, s.coords, s.keys);
    const d = sh.d;
    const cols = Array.from({ length: d }, (_, j) => shardColumn(sh, j));
    const p = new Float64Array(s.coords.length);
    const out = new Int32Array(sh.rows);
    const rr = finder.out;
    for (let i = 0; i < sh.rows; i++) {
      let qlat = 0, qlon = 0, qcos = 0;
      if (s.metric === 'haversine') {
        qlat = cols[0][i] * (Math.PI / 180);
        qlon = cols[1][i] * (Math.PI / 180);
        qcos = cos(qlat);
        p[0] = qcos * cos(qlon);
        p[1] = qcos * sin(qlon);
        p[2] = sin(qlat);
      } else {
        for (let j = 0; j < d; j++) p[j] = cols[j][i];
      }
      const m = s.index.kind === 'grid' ? finder.pointRanges(p) : finder.treeRangesAt(p, s.r2);
      let best = -1, bestD = Infinity;
      for (let r = 0; r < m; r++) {
        for (let q = rr[2 * r]; q < rr[2 * r + 1]; q++) {
          const v = pairValue(s, p, qlat, qlon, qcos, q);
          if (v > s.limit) continue;
          if (v < bestD || (v === bestD && s.labels[q] < best)) { bestD = v; best = s.labels[q]; }
        }
      }
      out[i] = best;
    }
    return out;
  },
}, import.meta.url);

/** Core and border points of each cluster, and the noise. */
export interface DensityCounts {
  readonly core: number[];
  readonly border: number[];
  readonly noise: number;
}

/**
 * A fitted DBSCAN model: the result of `dbscan`, or loaded with `loadModel`. `labels` holds -1 for noise; `k`
 * counts the clusters (noise is not one). `predict` gives a new point the cluster of the nearest core point within
 * eps (ties to the lower cluster), else -1: a point that would have been a border point of that cluster, never a
 * new core point (the model keeps the core points, as scikit-learn's `components_`, not the whole data).
 */
export class DBSCANModel implements SegmentationModel {
  readonly kind = 'dbscan' as const;
  readonly k: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly labels: Int32Array;
  readonly eps: number;
  readonly minSamples: number;
  readonly metric: 'euclidean' | 'haversine';
  readonly nSamples: number;
  /** Training rows that were noise. */
  readonly nUnassigned: number;
  /** Row numbers of the core points, ascending (empty for a loaded model). */
  readonly coreSampleIndices: Int32Array;
  /** Core points, row-major (nCore x d). */
  readonly components: Float64Array;
  /** Cluster of each core point. */
  readonly coreLabels: Int32Array;
  private readonly coreFlags: Uint8Array;
  private searchState?: Promise<PredictState>;

  constructor(p: Parts) {
    this.featureNames = Object.freeze([...p.featureNames]);
    this.d = p.featureNames.length;
    this.eps = p.eps;
    this.minSamples = p.minSamples;
    this.metric = p.metric;
    this.k = p.k;
    this.labels = p.labels;
    this.coreFlags = p.core;
    this.components = p.components;
    this.nSamples = p.nSamples ?? p.labels.length;
    let noise = 0;
    for (let i = 0; i < p.labels.length; i++) if (p.labels[i] < 0) noise++;
    this.nUnassigned = p.nUnassigned ?? noise;
    let nCore = 0;
    for (let i = 0; i < p.core.length; i++) nCore += p.core[i];
    const idx = new Int32Array(nCore);
    for (let i = 0, c = 0; i < p.core.length; i++) if (p.core[i]) idx[c++] = i;
    this.coreSampleIndices = idx;
    this.coreLabels = p.coreLabels ?? idx.map((i) => p.labels[i]);
  }

  /** Per cluster, its core and border points, and the noise (training rows; empty for a loaded model). */
  counts(): DensityCounts {
    const core = new Array<number>(this.k).fill(0), border = new Array<number>(this.k).fill(0);
    let noise = 0;
    for (let i = 0; i < this.labels.length; i++) {
      const l = this.labels[i];
      if (l < 0) noise++;
      else if (this.coreFlags[i]) core[l]++;
      else border[l]++;
    }
    return { core, border, noise };
  }

  /** The core points indexed for radius searches (built once per model). */
  private search(): Promise<PredictState> {
    return (this.searchState ??= (async () => indexCores(this).state)());
  }

  /** The cluster of each row: that of the nearest core point within eps, else -1 (noise); a shard op on any executor. */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    checkOptions(options, RUN_OPTIONS, 'predict');
    const ds = datasetFor(data, this.featureNames);
    if (this.metric === 'haversine') checkLatLon(ds);
    const ex = resolveExecutor(options);
    if (this.coreLabels.length === 0) return new Int32Array(ds.n).fill(-1);
    const state = await this.search();
    const handle = await ex.load({ columns: finiteCopies(ds) }, { dtype: 'f64', signal: options.signal });
    try {
      const parts = await ex.map(dbscanPredictOp, handle, state, { signal: options.signal });
      const out = new Int32Array(ds.n);
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    } finally {
      await ex.release(handle);
    }
  }

  toJSON(): DBSCANModelJSON {
    const d = this.d;
    return {
      kind: 'dbscan', version: DBSCAN_FORMAT_VERSION, k: this.k, featureNames: [...this.featureNames],
      eps: this.eps, minSamples: this.minSamples, metric: this.metric, nSamples: this.nSamples, nUnassigned: this.nUnassigned,
      components: Array.from({ length: this.coreLabels.length }, (_, c) => Array.from(this.components.subarray(c * d, (c + 1) * d))),
      coreLabels: Array.from(this.coreLabels),
    };
  }

  /** Reads a model saved with `toJSON`, checking every field (E_BAD_MODEL naming the bad one). */
  static fromJSON(json: unknown): DBSCANModel {
    const o = typeof json === 'string' ? parse(json) : json;
    const r = readObject(o, '', KEYS);
    readEnum(r.kind, 'kind', ['dbscan']);
    if (r.version !== DBSCAN_FORMAT_VERSION) throw badModel('version', `must be ${DBSCAN_FORMAT_VERSION}, got ${String(r.version)}`);
    const featureNames = readStrings(r.featureNames, 'featureNames', undefined, true);
    if (featureNames.length === 0) throw badModel('featureNames', 'must name at least one feature');
    const d = featureNames.length;
    const k = readNumber(r.k, 'k');
    if (!Number.isInteger(k) || k < 0) throw badModel('k', `must be an integer >= 0, got ${k}`);
    const eps = readPositive(r.eps, 'eps');
    const minSamples = readNumber(r.minSamples, 'minSamples');
    if (!Number.isInteger(minSamples) || minSamples < 1) throw badModel('minSamples', `must be an integer >= 1, got ${minSamples}`);
    const metric = readEnum(r.metric, 'metric', ['euclidean', 'haversine'] as const);
    if (metric === 'haversine' && d !== 2) throw badModel('featureNames', `must name two columns (latitude, longitude) for metric "haversine", got ${d}`);
    const nSamples = readNumber(r.nSamples, 'nSamples');
    if (!Number.isSafeInteger(nSamples) || nSamples < 0) throw badModel('nSamples', `must be an integer >= 0 of at most 2^53, got ${nSamples}`);
    const nUnassigned = readNumber(r.nUnassigned, 'nUnassigned');
    if (!Number.isInteger(nUnassigned) || nUnassigned < 0 || nUnassigned > nSamples) throw badModel('nUnassigned', `must be an integer from 0 to nSamples (${nSamples}), got ${nUnassigned}`);
    if (!Array.isArray(r.components)) throw badModel('components', 'must be an array of core points');
    const nCore = r.components.length;
    if (nCore > nSamples - nUnassigned) throw badModel('components', `has ${nCore} core points, more than the ${nSamples - nUnassigned} clustered training rows`);
    if (!Array.isArray(r.coreLabels) || r.coreLabels.length !== nCore) throw badModel('coreLabels', `must be an array of ${nCore} cluster numbers (one per core point)`);
    // every cluster has a core point: k is held against them before anything of size k is allocated
    if (k > nCore) throw badModel('k', `must be at most the ${nCore} core points (every cluster has one), got ${k}`);
    const components = new Float64Array(nCore * d);
    // Array.from reads a hole ([1, , 3]) as undefined, which forEach would pass over
    Array.from(r.components as unknown[]).forEach((row, c) => {
      if (!Array.isArray(row) || row.length !== d) throw badModel(`components[${c}]`, `must be ${d} numbers`);
      Array.from(row as unknown[]).forEach((v, j) => {
        if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw badModel(`components[${c}][${j}]`, `must be a finite float32 number, got ${String(v)}`);
        components[c * d + j] = v;
      });
      if (metric === 'haversine' && !(Math.abs(row[0]) <= 90)) throw badModel(`components[${c}][0]`, `must be a latitude within [-90, 90], got ${row[0]}`);
    });
    const seen = new Uint8Array(k);
    const coreLabels = Int32Array.from(r.coreLabels as unknown[], (v, c) => {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) >= k) throw badModel(`coreLabels[${c}]`, `must be a cluster number in [0, ${k}), got ${String(v)}`);
      seen[v as number] = 1;
      return v as number;
    });
    const empty = seen.indexOf(0);
    if (empty >= 0) throw badModel('coreLabels', `has no core point in cluster ${empty}: every cluster has at least one`);
    const model = new DBSCANModel({ featureNames, eps, minSamples, metric, k, labels: new Int32Array(0), core: new Uint8Array(0), components, coreLabels, nSamples, nUnassigned });
    if (nCore > 0) {
      // a fit puts core points within eps of each other in one cluster: a file that does not would predict by chance
      const { state, perm } = indexCores(model);
      const pair = contradiction(state, perm);
      if (pair) {
        const [a, b] = pair;
        throw badModel('coreLabels', `puts core points ${a} and ${b} (components[${a}] and components[${b}]), which lie within eps (${eps}) of each other, in clusters ${coreLabels[a]} and ${coreLabels[b]}; core points within eps of each other are one cluster`);
      }
      model.searchState = Promise.resolve(state);
    }
    return model;
  }
}

/** The model's core points indexed for radius searches, in index order, and perm: the core point at each position. */
function indexCores(m: DBSCANModel): { state: PredictState; perm: Int32Array } {
  const nCore = m.coreLabels.length, d = m.d;
  const cols = Array.from({ length: d }, (_, j) => Float32Array.from({ length: nCore }, (_, c) => m.components[c * d + j]));
  const ds: Dataset = { n: nCore, d, columns: cols, names: m.featureNames };
  const { coords, lat, lon } = indexCoordinates(ds, m.metric);
  const { r2, limit, inner } = epsGeometry(m.eps, m.metric);
  const built = epsIndex(coords, r2, inner);
  const sorted = (a: ArrayLike<number>) => Float64Array.from(built.perm, (i) => a[i]);
  const sLat = lat && sorted(lat);
  const state: PredictState = {
    index: built.spec, metric: m.metric, r2, limit, coords: coords.map(sorted), keys: built.keys,
    lat: sLat, lon: lon && sorted(lon), cos: sLat && Float64Array.from(sLat, (v) => cos(v)),
    labels: Int32Array.from(built.perm, (i) => m.coreLabels[i]),
  };
  return { state, perm: built.perm };
}

/**
 * Two core points (numbered as in the model) within eps of each other but in different clusters, by the exact test
 * of the fit and predict, or undefined. Block by block (a grid cell, a kd-tree leaf): a block whose points and every
 * range searched around it hold one cluster is passed over; elsewhere, runs of a point's own cluster are skipped whole.
 */
function contradiction(s: PredictState, perm: Int32Array): [number, number] | undefined {
  const labels = s.labels, n = labels.length, dims = s.coords.length;
  const runEnd = new Int32Array(n);
  for (let q = n - 1; q >= 0; q--) runEnd[q] = q + 1 < n && labels[q + 1] === labels[q] ? runEnd[q + 1] : q + 1;
  const finder = new RangeFinder(s.index, s.coords, s.keys);
  const rr = finder.out;
  const p = new Float64Array(dims), centre = new Float64Array(dims);
  const tree = s.index.kind === 'tree' ? s.index : undefined;
  const reach = Math.sqrt(s.r2);
  // a uniform block needs no pair tested: all its ranges hold the cluster of its points
  const uniform = (a: number, b: number, m: number): boolean => {
    const own = labels[a];
    if (runEnd[a] < b) return false;
    for (let r = 0; r < m; r++) if (labels[rr[2 * r]] !== own || runEnd[rr[2 * r]] < rr[2 * r + 1]) return false;
    return true;
  };
  const blocks = tree ? tree.nodes - tree.firstLeaf : n;
  for (let blk = 0, a = 0; blk < blocks && a < n; blk++) {
    let b: number, m: number;
    if (tree) {
      const t = tree.firstLeaf + blk;
      a = tree.start[t];
      b = tree.end[t];
      if (b <= a) continue;
      // every point of the leaf lies within half its box's diagonal of the box's centre
      let half = 0;
      for (let j = 0; j < dims; j++) {
        const lo = tree.lo[t * dims + j], hi = tree.hi[t * dims + j];
        centre[j] = 0.5 * (lo + hi);
        half += (0.5 * (hi - lo)) ** 2;
      }
      m = finder.treeRangesAt(centre, (reach + Math.sqrt(half)) ** 2 * (1 + 1e-9));
    } else {
      b = a + 1;
      while (b < n && s.keys![b] === s.keys![a]) b++;
      m = finder.cellRanges(s.keys![a]);
    }
    if (!uniform(a, b, m)) {
      for (let i = a; i < b; i++) {
        if (tree) m = finder.treeRanges(i, s.r2);
        for (let j = 0; j < dims; j++) p[j] = s.coords[j][i];
        const lat = s.lat ? s.lat[i] : 0, lon = s.lon ? s.lon[i] : 0, cos = s.cos ? s.cos[i] : 0;
        const own = labels[i];
        for (let r = 0; r < m; r++) {
          for (let q = rr[2 * r], e = rr[2 * r + 1]; q < e;) {
            if (labels[q] === own) { q = runEnd[q]; continue; }
            if (pairValue(s, p, lat, lon, cos, q) <= s.limit) return [perm[i], perm[q]];
            q++;
          }
        }
      }
    }
    if (!tree) a = b;
  }
  return undefined;
}

const KEYS = ['kind', 'version', 'k', 'featureNames', 'eps', 'minSamples', 'metric', 'nSamples', 'nUnassigned', 'components', 'coreLabels'] as const;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SegkitError('E_BAD_MODEL', `the model is not valid JSON: ${(e as Error).message}`);
  }
}
