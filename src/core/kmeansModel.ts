import { SegkitError, describe } from '../util/errors.js';
import { FLOAT32_MAX, readObject } from '../util/modelJson.js';
import { fromArrow, toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { assignCalls } from '../kernels/assign.js';
import { distanceCalls } from '../kernels/distances.js';
import { loadMatrix, writeCentroids } from '../kernels/layout.js';
import { executorFor } from '../parallel/defaultExecutor.js';

export const KMEANS_FORMAT = 'segkit.kmeans';
export const KMEANS_FORMAT_VERSION = 1;

/** The JSON form of a fitted model (labels are not stored: a model file is for scoring new rows). */
export interface KMeansModelJSON {
  format: typeof KMEANS_FORMAT;
  version: number;
  k: number;
  featureNames: string[];
  centroids: number[][];
  offset: number[];
  inertia: number;
  iterations: number;
  converged: boolean;
  nSamples: number;
}

export interface RunOptions {
  threads?: number;
  signal?: AbortSignal;
}

interface ModelParts {
  k: number;
  featureNames: string[];
  centroids: Float64Array;
  offset: Float64Array;
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
  threads?: number;
  nSamples?: number;
}

/** A fitted k-means model: the result of `kmeans`, or loaded with `KMeansModel.fromJSON`. */
export class KMeansModel {
  readonly k: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  /** Row-major k x d centroids. */
  readonly centroidData: Float64Array;
  /** Labels of the training rows (empty for a model loaded from JSON). */
  readonly labels: Int32Array;
  readonly inertia: number;
  readonly iterations: number;
  readonly converged: boolean;
  readonly nSamples: number;
  private readonly offset: Float64Array;
  private readonly threads?: number;

  constructor(p: ModelParts) {
    this.k = p.k;
    this.d = p.featureNames.length;
    this.featureNames = Object.freeze([...p.featureNames]);
    this.centroidData = p.centroids;
    this.offset = p.offset;
    this.labels = p.labels;
    this.inertia = p.inertia;
    this.iterations = p.iterations;
    this.converged = p.converged;
    this.threads = p.threads;
    this.nSamples = p.nSamples ?? p.labels.length;
  }

  /** Centroids as k arrays of d numbers. */
  get centroids(): number[][] {
    return Array.from({ length: this.k }, (_, t) => Array.from(this.centroidData.subarray(t * this.d, (t + 1) * this.d)));
  }

  // Arrow tables are matched to the model by column name; other inputs by position.
  private dataset(data: DataInput): Dataset {
    const isTable = !!data && typeof (data as { getChildAt?: unknown }).getChildAt === 'function';
    const ds = isTable ? fromArrow(data as Parameters<typeof fromArrow>[0], { columns: this.featureNames }) : toDataset(data);
    if (ds.d !== this.d) {
      throw new SegkitError('E_SHAPE_MISMATCH', `the data has ${ds.d} features, the model was fitted on ${this.d} (${this.featureNames.join(', ')})`);
    }
    return ds;
  }

  private centered(): Float64Array {
    const c = new Float64Array(this.k * this.d);
    for (let q = 0; q < c.length; q++) c[q] = this.centroidData[q] - this.offset[q % this.d];
    return c;
  }

  /** The nearest centroid of each row, through the same kernel and executor as the fit. */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    const ds = this.dataset(data);
    const ex = executorFor(options.threads ?? this.threads);
    const { heap } = ex;
    const m = await loadMatrix(ex, ds, { offset: this.offset, signal: options.signal });
    const cent = heap.alloc(4 * this.k * this.d), cnorm = heap.alloc(4 * this.k), labels = heap.alloc(4 * m.stride);
    try {
      writeCentroids(heap, cent, cnorm, this.centered(), this.k, this.d);
      heap.i32(labels, m.n).fill(-1);
      await ex.run(assignCalls(m, { cent, cnorm, k: this.k, labels }), options.signal);
      return Int32Array.from(heap.i32(labels, ds.n));
    } finally {
      for (const p of [labels, cnorm, cent]) heap.release(p);
      m.release();
    }
  }

  /** Distances from each row to every centroid: row-major n x k (row i at [i * k, (i + 1) * k)). */
  async transform(data: DataInput, options: RunOptions & { squared?: boolean } = {}): Promise<Float32Array> {
    const ds = this.dataset(data);
    const ex = executorFor(options.threads ?? this.threads);
    const { heap } = ex;
    const m = await loadMatrix(ex, ds, { offset: this.offset, signal: options.signal });
    const cent = heap.alloc(4 * this.k * this.d), out = heap.alloc(4 * m.stride * this.k);
    try {
      writeCentroids(heap, cent, 0, this.centered(), this.k, this.d);
      await ex.run(distanceCalls(m, cent, this.k, !!options.squared, out), options.signal);
      return Float32Array.from(heap.f32(out, ds.n * this.k));
    } finally {
      heap.release(out);
      heap.release(cent);
      m.release();
    }
  }

  toJSON(): KMeansModelJSON {
    return {
      format: KMEANS_FORMAT,
      version: KMEANS_FORMAT_VERSION,
      k: this.k,
      featureNames: [...this.featureNames],
      centroids: this.centroids,
      offset: Array.from(this.offset),
      inertia: this.inertia,
      iterations: this.iterations,
      converged: this.converged,
      nSamples: this.nSamples,
    };
  }

  /** Loads a model saved with `toJSON` (an object or JSON text), checking every field. */
  static fromJSON(json: unknown): KMeansModel {
    let o = json;
    if (typeof o === 'string') {
      try {
        o = JSON.parse(o);
      } catch (e) {
        throw new SegkitError('E_BAD_MODEL', `the model is not valid JSON: ${(e as Error).message}`);
      }
    }
    const r = readObject(o, '', KMEANS_KEYS);
    if (r.format !== KMEANS_FORMAT) throw bad('format', r.format, `"${KMEANS_FORMAT}"`);
    if (r.version !== KMEANS_FORMAT_VERSION) throw bad('version', r.version, `${KMEANS_FORMAT_VERSION} (this segkit reads format version ${KMEANS_FORMAT_VERSION})`);
    const k = r.k;
    if (!Number.isInteger(k) || (k as number) < 1) throw bad('k', k, 'a positive integer');
    const names = r.featureNames;
    if (!Array.isArray(names) || names.length === 0 || names.some((s) => typeof s !== 'string')) throw bad('featureNames', names, 'a non-empty array of strings');
    const d = names.length;
    const rows = r.centroids;
    // k is held against the centroid array before anything of size k is allocated
    if (!Array.isArray(rows) || rows.length !== k) throw bad('centroids', rows, `${k} rows`);
    const off = r.offset;
    if (!Array.isArray(off) || off.length !== d) throw bad('offset', off, `${d} numbers`);
    // the kernels hold centroids and the offset in float32: a value beyond its range would score as infinity
    const inRange = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX;
    const float32 = 'a finite number within the float32 range (|x| <= 3.4e38)';
    off.forEach((v, j) => {
      if (!inRange(v)) throw bad(`offset[${j}]`, v, float32);
    });
    const centroids = new Float64Array((k as number) * d);
    rows.forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== d) throw bad(`centroids[${t}]`, row, `${d} numbers`);
      row.forEach((v, j) => {
        if (!inRange(v)) throw bad(`centroids[${t}][${j}]`, v, float32);
        // the kernels see centroids less the offset
        if (Math.abs(v - (off[j] as number)) > FLOAT32_MAX) throw bad(`centroids[${t}][${j}]`, v, `within the float32 range of offset[${j}] (${off[j]})`);
        centroids[t * d + j] = v;
      });
    });
    const num = (key: string, ok: (v: number) => boolean, what: string): number => {
      const v = r[key];
      if (typeof v !== 'number' || !ok(v)) throw bad(key, v, what);
      return v;
    };
    const inertia = num('inertia', (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
    const iterations = num('iterations', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    const nSamples = num('nSamples', (v) => Number.isInteger(v) && v >= 0, 'a non-negative integer');
    if (typeof r.converged !== 'boolean') throw bad('converged', r.converged, 'true or false');
    return new KMeansModel({
      k: k as number, featureNames: names as string[], centroids, offset: Float64Array.from(off as number[]),
      labels: new Int32Array(0), inertia, iterations, converged: r.converged, nSamples,
    });
  }
}

const KMEANS_KEYS = ['format', 'version', 'k', 'featureNames', 'centroids', 'offset', 'inertia', 'iterations', 'converged', 'nSamples'] as const;
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

/** A plain JSON object with no prototype-polluting keys, or E_BAD_MODEL naming `path`. */
export function record(o: unknown, path: string): Record<string, unknown> {
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw bad(path, o, 'a JSON object');
  for (const key of Object.keys(o)) {
    if (FORBIDDEN.has(key)) throw new SegkitError('E_BAD_MODEL', `the model has a forbidden key "${key}" in ${path}`, 'the file was tampered with or is not a segkit model');
  }
  return o as Record<string, unknown>;
}

function bad(path: string, value: unknown, expected: string): SegkitError {
  return new SegkitError('E_BAD_MODEL', `model field "${path}" must be ${expected}, got ${describe(value)}`);
}
