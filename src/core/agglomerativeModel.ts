import { SegkitError } from '../util/errors.js';
import { badModel, readEnum, readNumber, readObject, readStrings } from '../util/modelJson.js';
import type { DataInput } from '../data/dataset.js';
import { KMeansModel, assertResolvedFile, repeatedRow, unresolvedCentres, unresolvedText } from './kmeansModel.js';
import { slackOf } from './lloyd.js';
import { CENTRED_HINT } from '../engine/matrix.js';
import { cutLinkage, dendrogramData, type DendrogramData } from './linkageTree.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';

export const LINKAGES = ['ward', 'complete', 'average', 'single'] as const;
export type Linkage = (typeof LINKAGES)[number];

export const AGGLOMERATIVE_FORMAT_VERSION = 1;

export interface AgglomerativeModelJSON extends ModelJSON {
  kind: 'agglomerative';
  version: number;
  k: number;
  featureNames: string[];
  linkage: Linkage;
  /** Mean of each final cluster, k rows. */
  centroids: number[][];
  nSamples: number;
}

interface Parts {
  featureNames: string[];
  linkage: Linkage;
  k: number;
  labels: Int32Array;
  /** (n - 1) x 4, SciPy's layout (empty for a loaded model). */
  linkageMatrix: Float64Array;
  centroids: Float64Array;
  nSamples?: number;
}

/**
 * A fitted agglomerative clustering: the result of `agglomerative`, or loaded with `loadModel`. `predict` gives
 * each new row the cluster whose final centroid (the mean of its training rows) is nearest: a hierarchy has no
 * rule of its own for new points, and the nearest centroid is what the Ward objective rewards. Centroids that
 * predict's float32 distances cannot tell apart (see `closeCentroids`) are refused: E_TOO_FEW_DISTINCT for a fit.
 */
export class AgglomerativeModel implements SegmentationModel {
  readonly kind = 'agglomerative' as const;
  readonly k: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly linkage: Linkage;
  readonly labels: Int32Array;
  /** SciPy's linkage matrix, (n - 1) x 4 row-major: the two merged ids (rows < n, merge r is n + r), the height, the size (empty for a loaded model). */
  readonly linkageMatrix: Float64Array;
  /** Row-major k x d centroids of the final clusters. */
  readonly centroidData: Float64Array;
  readonly nSamples: number;
  private readonly nearest: KMeansModel;

  constructor(p: Parts) {
    this.featureNames = Object.freeze([...p.featureNames]);
    this.d = p.featureNames.length;
    this.linkage = p.linkage;
    this.k = p.k;
    this.labels = p.labels;
    this.linkageMatrix = p.linkageMatrix;
    this.centroidData = p.centroids;
    this.nSamples = p.nSamples ?? p.labels.length;
    const offset = centroidMean(p.centroids, p.k, this.d);
    const close = closeCentroids(p.centroids.map((v, q) => v - offset[q % this.d]), p.k, this.d);
    if (close) throw new SegkitError('E_TOO_FEW_DISTINCT', `the fit's centroids cannot be scored: ${close}`, CENTRED_HINT);
    this.nearest = new KMeansModel({
      k: p.k, featureNames: p.featureNames, centroids: p.centroids, offset,
      labels: new Int32Array(0), inertia: 0, iterations: 0, converged: true, nSamples: this.nSamples,
    });
  }

  /** Centroids as k arrays of d numbers. */
  get centroids(): number[][] {
    return this.nearest.centroids;
  }

  /** Merge heights in ascending order (n - 1 values). */
  get heights(): Float64Array {
    const m = this.linkageMatrix.length / 4;
    return Float64Array.from({ length: m }, (_, r) => this.linkageMatrix[4 * r + 2]);
  }

  /** The training rows cut into k clusters from the same tree (scikit-learn's cut), numbered by first row. */
  labelsFor(k: number): Int32Array {
    const n = this.labels.length;
    if (n === 0) throw new SegkitError('E_BAD_OPTION', 'a model loaded from JSON keeps no tree: labelsFor needs the fitted model');
    if (!Number.isInteger(k) || k < 1 || k > n) throw new SegkitError('E_BAD_OPTION', `labelsFor: k must be an integer from 1 to ${n}, got ${k}`);
    return cutLinkage(this.linkageMatrix, n, k);
  }

  /** The top of the tree for drawing (SciPy's dendrogram with truncate_mode 'level'): merges at most `levels` below the last (0: all). */
  dendrogram(levels = 4): DendrogramData {
    if (this.labels.length === 0) throw new SegkitError('E_BAD_OPTION', 'a model loaded from JSON keeps no tree: dendrogram needs the fitted model');
    if (!Number.isInteger(levels) || levels < 0) throw new SegkitError('E_BAD_OPTION', `dendrogram: levels must be an integer >= 0, got ${levels}`);
    return dendrogramData(this.linkageMatrix, this.labels.length, levels);
  }

  /** The cluster of the nearest final centroid for each row (the k-means kernel, on any executor). */
  predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    return this.nearest.predict(data, options);
  }

  toJSON(): AgglomerativeModelJSON {
    return {
      kind: 'agglomerative', version: AGGLOMERATIVE_FORMAT_VERSION, k: this.k, featureNames: [...this.featureNames],
      linkage: this.linkage, centroids: this.centroids, nSamples: this.nSamples,
    };
  }

  /** Reads a model saved with `toJSON`, checking every field (E_BAD_MODEL naming the bad one). */
  static fromJSON(json: unknown): AgglomerativeModel {
    let o = json;
    if (typeof o === 'string') {
      try {
        o = JSON.parse(o);
      } catch (e) {
        throw new SegkitError('E_BAD_MODEL', `the model is not valid JSON: ${(e as Error).message}`);
      }
    }
    const r = readObject(o, '', KEYS);
    readEnum(r.kind, 'kind', ['agglomerative']);
    if (r.version !== AGGLOMERATIVE_FORMAT_VERSION) throw badModel('version', `must be ${AGGLOMERATIVE_FORMAT_VERSION}, got ${String(r.version)}`);
    const featureNames = readStrings(r.featureNames, 'featureNames', undefined, true);
    if (featureNames.length === 0) throw badModel('featureNames', 'must name at least one feature');
    const d = featureNames.length;
    const k = readNumber(r.k, 'k');
    if (!Number.isInteger(k) || k < 1) throw badModel('k', `must be a positive integer, got ${k}`);
    const linkage = readEnum(r.linkage, 'linkage', LINKAGES);
    const nSamples = readNumber(r.nSamples, 'nSamples');
    if (!Number.isSafeInteger(nSamples) || nSamples < k) throw badModel('nSamples', `must be an integer >= k (${k}) of at most 2^53, got ${nSamples}`);
    if (!Array.isArray(r.centroids) || r.centroids.length !== k) throw badModel('centroids', `must be ${k} rows`);
    const centroids = new Float64Array(k * d);
    // Array.from reads a hole ([1, , 3]) as undefined, which forEach would pass over
    Array.from(r.centroids as unknown[]).forEach((row, c) => {
      if (!Array.isArray(row) || row.length !== d) throw badModel(`centroids[${c}]`, `must be ${d} numbers`);
      Array.from(row as unknown[]).forEach((v, j) => {
        if (typeof v !== 'number' || !Number.isFinite(Math.fround(v))) throw badModel(`centroids[${c}][${j}]`, `must be a finite float32 number, got ${String(v)}`);
        centroids[c * d + j] = v;
      });
    });
    // as k-means files: a centroid so far from the others that float32 cannot score near both is refused here
    const offset = centroidMean(centroids, k, d);
    const centred = centroids.map((v, q) => v - offset[q % d]);
    assertResolvedFile(centred, k, d, 'centroids');
    const close = closeCentroids(centred, k, d);
    if (close) throw badModel('centroids', `cannot be scored: ${close}`);
    return new AgglomerativeModel({ featureNames, linkage, k, labels: new Int32Array(0), linkageMatrix: new Float64Array(0), centroids, nSamples });
  }
}

/** The float32 mean of the centroids, by which the kernels centre rows and centroids before comparing distances. */
function centroidMean(centroids: Float64Array, k: number, d: number): Float64Array {
  const offset = new Float64Array(d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) offset[j] += centroids[c * d + j] / k;
  return offset.map(Math.fround);
}

/**
 * Where predict could not label the centroids themselves (row-major k x d, less the offset), in words: two equal in
 * float32, two nearer each other than float32 squared distances resolve at their distance from the offset (a
 * centroid far from the others makes that offset far from the rest), or a centroid so far that scoring's scaling
 * loses the others; undefined when predict labels each centroid as itself. O(k log k) unless norms are close.
 */
export function closeCentroids(c: Float64Array, k: number, d: number): string | undefined {
  const far = unresolvedCentres(c, k, d);
  if (far) return unresolvedText(far);
  const repeat = repeatedRow(c, k, d);
  const slack = slackOf(d);
  const norm = Float64Array.from({ length: k }, (_, t) => c.subarray(t * d, t * d + d).reduce((s, v) => s + v * v, 0));
  const order = Array.from(norm.keys()).sort((a, b) => norm[a] - norm[b]);
  let pair = repeat;
  // by norm: |a - b|^2 >= (|b| - |a|)^2, so only centroids of nearly equal norm can be that close
  for (let i = 1; i < k && !pair; i++) {
    const b = order[i];
    for (let h = i - 1; h >= 0 && !pair; h--) {
      const a = order[h];
      if ((Math.sqrt(norm[b]) - Math.sqrt(norm[a])) ** 2 > 2 * slack * norm[b]) break;
      let s = 0;
      for (let j = 0; j < d; j++) s += (c[a * d + j] - c[b * d + j]) ** 2;
      if (s <= slack * (norm[a] + norm[b])) pair = a < b ? [a, b] : [b, a];
    }
  }
  if (!pair) return undefined;
  const [a, b] = pair;
  return `centroids ${a} and ${b} lie nearer each other than float32 distances resolve ${Math.sqrt(Math.max(norm[a], norm[b])).toPrecision(3)} from the centroids' mean: `
    + 'predict, which scores in float32, could not tell rows at one from rows at the other (a centroid far from the rest?)';
}

const KEYS = ['kind', 'version', 'k', 'featureNames', 'linkage', 'centroids', 'nSamples'] as const;
