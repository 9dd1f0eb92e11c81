import { SegkitError } from '../util/errors.js';
import { badModel, readEnum, readNumber, readObject, readPositive, readStrings } from '../util/modelJson.js';
import { checkOptions, RUN_OPTIONS } from '../util/options.js';
import type { DataInput, Dataset } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { defineOp } from '../engine/shardOp.js';
import { shardColumn } from '../kernels/shard.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';
import { datasetFor } from './modelData.js';
import { checkLatLon, epsGeometry, epsIndex, indexCoordinates } from './epsNeighbours.js';
import { RangeFinder, type IndexSpec } from './spatialIndex.js';

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

export const dbscanPredictOp = defineOp<PredictState, Int32Array>({
  name: 'dbscan.predict',
  run(sh, s) {
    const finder = new RangeFinder(s.index, s.coords, s.keys);
    const d = sh.d;
    const cols = Array.from({ length: d }, (_, j) => shardColumn(sh, j));
    const dims = s.coords.length;
    const p = new Float64Array(dims);
    const out = new Int32Array(sh.rows);
    const rr = finder.out;
    for (let i = 0; i < sh.rows; i++) {
      let qlat = 0, qlon = 0, qcos = 0;
      if (s.metric === 'haversine') {
        qlat = cols[0][i] * (Math.PI / 180);
        qlon = cols[1][i] * (Math.PI / 180);
        qcos = Math.cos(qlat);
        p[0] = qcos * Math.cos(qlon);
        p[1] = qcos * Math.sin(qlon);
        p[2] = Math.sin(qlat);
      } else {
        for (let j = 0; j < d; j++) p[j] = cols[j][i];
      }
      const m = s.index.kind === 'grid' ? finder.pointRanges(p) : finder.treeRangesAt(p, s.r2);
      let best = -1, bestD = Infinity;
      for (let r = 0; r < m; r++) {
        for (let q = rr[2 * r]; q < rr[2 * r + 1]; q++) {
          let v: number;
          if (s.metric === 'euclidean') {
            v = 0;
            for (let j = 0; j < dims; j++) { const t = p[j] - s.coords[j][q]; v += t * t; }
          } else {
            const s0 = Math.sin(0.5 * (qlat - s.lat![q])), s1 = Math.sin(0.5 * (qlon - s.lon![q]));
            v = s0 * s0 + qcos * s.cos![q] * s1 * s1;
          }
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
    return (this.searchState ??= (async () => {
      const nCore = this.coreLabels.length, d = this.d;
      const cols = Array.from({ length: d }, (_, j) => Float32Array.from({ length: nCore }, (_, c) => this.components[c * d + j]));
      const ds: Dataset = { n: nCore, d, columns: cols, names: this.featureNames };
      const { coords, lat, lon } = indexCoordinates(ds, this.metric);
      const { r2, limit, inner } = epsGeometry(this.eps, this.metric);
      const built = epsIndex(coords, r2, inner);
      const sorted = (a: ArrayLike<number>) => Float64Array.from(built.perm, (i) => a[i]);
      const sLat = lat && sorted(lat);
      return {
        index: built.spec, metric: this.metric, r2, limit, coords: coords.map(sorted), keys: built.keys,
        lat: sLat, lon: lon && sorted(lon), cos: sLat && Float64Array.from(sLat, Math.cos),
        labels: Int32Array.from(built.perm, (i) => this.coreLabels[i]),
      };
    })());
  }

  /** The cluster of each row: that of the nearest core point within eps, else -1 (noise); a shard op on any executor. */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    checkOptions(options, RUN_OPTIONS, 'predict');
    const ds = datasetFor(data, this.featureNames);
    if (this.metric === 'haversine') checkLatLon(ds);
    const ex = resolveExecutor(options);
    if (this.coreLabels.length === 0) return new Int32Array(ds.n).fill(-1);
    const state = await this.search();
    const handle = await ex.load({ columns: ds.columns.map((c) => Float64Array.from(c)) }, { dtype: 'f64', signal: options.signal });
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
    if (!Number.isInteger(nSamples) || nSamples < 0) throw badModel('nSamples', `must be an integer >= 0, got ${nSamples}`);
    const nUnassigned = readNumber(r.nUnassigned, 'nUnassigned');
    if (!Number.isInteger(nUnassigned) || nUnassigned < 0 || nUnassigned > nSamples) throw badModel('nUnassigned', `must be an integer from 0 to nSamples (${nSamples}), got ${nUnassigned}`);
    if (!Array.isArray(r.components)) throw badModel('components', 'must be an array of core points');
    const nCore = r.components.length;
    if (nCore > nSamples - nUnassigned) throw badModel('components', `has ${nCore} core points, more than the ${nSamples - nUnassigned} clustered training rows`);
    if (!Array.isArray(r.coreLabels) || r.coreLabels.length !== nCore) throw badModel('coreLabels', `must be an array of ${nCore} cluster numbers (one per core point)`);
    const components = new Float64Array(nCore * d);
    (r.components as unknown[]).forEach((row, c) => {
      if (!Array.isArray(row) || row.length !== d) throw badModel(`components[${c}]`, `must be ${d} numbers`);
      row.forEach((v: unknown, j: number) => {
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
    return new DBSCANModel({ featureNames, eps, minSamples, metric, k, labels: new Int32Array(0), core: new Uint8Array(0), components, coreLabels, nSamples, nUnassigned });
  }
}

const KEYS = ['kind', 'version', 'k', 'featureNames', 'eps', 'minSamples', 'metric', 'nSamples', 'nUnassigned', 'components', 'coreLabels'] as const;

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SegkitError('E_BAD_MODEL', `the model is not valid JSON: ${(e as Error).message}`);
  }
}
