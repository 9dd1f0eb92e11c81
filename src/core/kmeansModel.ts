import { SegkitError, describe } from '../util/errors.js';
import { FLOAT32_MAX, modelValue, readObject, readStrings } from '../util/modelJson.js';
import { checkOptions, RUN_OPTIONS, squaredOption } from '../util/options.js';
import type { DataInput, Dataset } from '../data/dataset.js';
import type { Executor } from '../engine/executor.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { loadMatrix, loadMatrixThen, loadUncentredThen, rangeScale, type Matrix } from '../engine/matrix.js';
import { centresF32 } from '../kernels/shard.js';
import { assignOp, centreAssignOp, distancesOp, labelUncentredOp } from './kmeansOps.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';
import { datasetFor } from './modelData.js';

/**
 * Labels rows by a model's float32 scoring state (`scoringState`), reading them once: each block of rows is centred in
 * scratch and labelled there, and shards the calling thread runs are read from the caller's columns, never copied
 * in. The labels are the ones a centred load gives; undefined where that load must decide (a value that is not
 * finite, rows or centres that need scaling, a row far out), so the caller loads the rows centred, which names the
 * cell or scales.
 */
export async function labelsReadOnce(
  ex: Executor, ds: Dataset, s: { offset: Float32Array; cent: Float32Array; norms: Float32Array; far: number }, k: number, signal?: AbortSignal,
): Promise<Int32Array | undefined> {
  const h = await loadUncentredThen(ex, ds, { alsoSquaredNorm: s.far, signal }, labelUncentredOp, { offset: s.offset, cent: s.cent, norms: s.norms, k });
  if (!h) return undefined;
  try {
    return (await ex.readRows(h, 'labels')) as Int32Array;
  } finally {
    await ex.release(h);
  }
}

export const KMEANS_FORMAT = 'segkit.kmeans';
export const KMEANS_FORMAT_VERSION = 2;

/** The JSON form of a fitted model (labels are not stored: a model file is for scoring new rows). */
export interface KMeansModelJSON extends ModelJSON {
  kind: 'kmeans';
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

interface ModelParts {
  k: number;
  featureNames: string[];
  centroids: Float64Array;
  offset: Float64Array;
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
  nSamples?: number;
}

/** A fitted k-means model: the result of `kmeans`, or loaded with `loadModel` / `KMeansModel.fromJSON`. */
export class KMeansModel implements SegmentationModel {
  readonly kind = 'kmeans' as const;
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
    this.nSamples = p.nSamples ?? p.labels.length;
  }

  /** Centroids as k arrays of d numbers. */
  get centroids(): number[][] {
    return Array.from({ length: this.k }, (_, t) => Array.from(this.centroidData.subarray(t * this.d, (t + 1) * this.d)));
  }

  /** The centroids less the offset (float64), and the largest squared norm among them. */
  private centredCentres(): { c: Float64Array; far: number } {
    const c = new Float64Array(this.k * this.d);
    let far = 0;
    for (let t = 0; t < this.k; t++) {
      let s = 0;
      for (let j = 0; j < this.d; j++) {
        c[t * this.d + j] = this.centroidData[t * this.d + j] - this.offset[j];
        s += c[t * this.d + j] ** 2;
      }
      far = Math.max(far, s);
    }
    assertResolvedCentres(c, this.k, this.d);
    return { c, far };
  }

  /**
   * What predict hands the kernels, for callers that label rows they hold uncentred (`labelUncentredOp`): the
   * float32 offset, the centres less it in float32 with their norms, and the largest squared norm among the centres
   * (for the range check). Labels from these equal predict's whenever its load does not scale the rows.
   * @internal
   */
  scoringState(): { offset: Float32Array; cent: Float32Array; norms: Float32Array; far: number } {
    const { c, far } = this.centredCentres();
    return { offset: Float32Array.from(this.offset), ...centresF32(c, this.k, this.d), far };
  }

  /**
   * Loads the rows centred by the model's offset, then hands the centres, in the same coordinates, to `use`. With
   * `labelled`, the load also labels the rows (each shard as soon as it is in) and `use` learns whether it did.
   */
  private async withRows<T>(
    data: DataInput, options: RunOptions, fn: string,
    use: (m: Matrix, cent: Float32Array, norms: Float32Array, labelled: boolean) => Promise<T>, labelled = false,
  ): Promise<T> {
    checkOptions(options, fn === 'transform' ? [...RUN_OPTIONS, 'squared'] : RUN_OPTIONS, fn);
    if (fn === 'transform') squaredOption(options as { squared?: unknown });
    const ds = datasetFor(data, this.featureNames);
    const ex = resolveExecutor(options);
    const { c, far } = this.centredCentres();
    const o = { offset: this.offset, alsoSquaredNorm: far, modelScale: true, signal: options.signal };
    let f32 = centresF32(c, this.k, this.d);
    let done = false, m: Matrix;
    if (labelled) {
      const r = await loadMatrixThen(ex, ds, o, centreAssignOp, { cent: f32.cent, norms: f32.norms, k: this.k, reset: true, sums: false, dist: false });
      m = r.m;
      done = r.partials !== undefined;
    } else {
      m = await loadMatrix(ex, ds, o);
    }
    try {
      if (m.scale !== 1) {
        for (let q = 0; q < c.length; q++) c[q] *= m.scale;
        f32 = centresF32(c, this.k, this.d);
      }
      return await use(m, f32.cent, f32.norms, done);
    } finally {
      await m.release();
    }
  }

  /**
   * The nearest centroid of each row, through the same kernel as the fit, on any executor. The rows are read until
   * the promise settles: leave the arrays unchanged till then.
   */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    checkOptions(options, RUN_OPTIONS, 'predict');
    const ds = datasetFor(data, this.featureNames);
    const got = await labelsReadOnce(resolveExecutor(options), ds, this.scoringState(), this.k, options.signal);
    if (got) return got;
    return this.withRows(ds, options, 'predict', async (m, cent, norms, labelled) => {
      // rows the load had to scale are labelled again with the scaled centres
      if (!labelled) await m.ex.map(assignOp, m.handle, { cent, norms, k: this.k, reset: true, sums: false, dist: false }, { signal: options.signal });
      return (await m.ex.readRows(m.handle, 'labels')) as Int32Array;
    }, true);
  }

  /** Distances from each row to every centroid: row-major n x k (row i at [i * k, (i + 1) * k)). */
  transform(data: DataInput, options: RunOptions & { squared?: boolean } = {}): Promise<Float32Array> {
    return this.withRows(data, options, 'transform', async (m, cent) => {
      await m.ex.map(distancesOp, m.handle, { cent, k: this.k, squared: !!options.squared }, { signal: options.signal });
      const out = (await m.ex.readRows(m.handle, 'distances')) as Float32Array;
      finiteDistances(out, this.k);
      if (m.scale !== 1) {
        const back = options.squared ? 1 / m.scale ** 2 : 1 / m.scale;
        for (let i = 0; i < out.length; i++) out[i] *= back;
      }
      return out;
    });
  }

  toJSON(): KMeansModelJSON {
    return {
      kind: 'kmeans',
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
    const o = modelValue(json);
    // version 1 files (before every model carried its kind) are read as they are
    const v1 = !!o && typeof o === 'object' && (o as { version?: unknown }).version === 1;
    const r = readObject(o, '', v1 ? KMEANS_KEYS.filter((key) => key !== 'kind') : KMEANS_KEYS);
    if (!v1 && r.kind !== 'kmeans') throw bad('kind', r.kind, '"kmeans"');
    if (r.format !== KMEANS_FORMAT) throw bad('format', r.format, `"${KMEANS_FORMAT}"`);
    if (!v1 && r.version !== KMEANS_FORMAT_VERSION) throw bad('version', r.version, `1 or ${KMEANS_FORMAT_VERSION} (this segkit reads format versions 1 and ${KMEANS_FORMAT_VERSION})`);
    const k = r.k;
    if (!Number.isInteger(k) || (k as number) < 1) throw bad('k', k, 'a positive integer');
    const names = r.featureNames;
    if (!Array.isArray(names) || names.length === 0 || names.some((s) => typeof s !== 'string')) throw bad('featureNames', names, 'a non-empty array of strings');
    // columns are matched by name: a repeated name would fail only when the model scores
    readStrings(names, 'featureNames', undefined, true);
    const d = names.length;
    const rows = r.centroids;
    // k is held against the centroid array before anything of size k is allocated
    if (!Array.isArray(rows) || rows.length !== k) throw bad('centroids', rows, `${k} rows`);
    const off = r.offset;
    if (!Array.isArray(off) || off.length !== d) throw bad('offset', off, `${d} numbers`);
    // the kernels hold centroids and the offset in float32: a value beyond its range would score as infinity
    const inRange = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= FLOAT32_MAX;
    const float32 = 'a finite number within the float32 range (|x| <= 3.4e38)';
    // Array.from reads a hole ([1, , 3]) as undefined, which forEach would pass over
    Array.from(off).forEach((v, j) => {
      if (!inRange(v)) throw bad(`offset[${j}]`, v, float32);
    });
    // rows are centred by the offset in float32: centres less any other value would sit off the rows by the rounding
    const offset = Float64Array.from(off as number[], Math.fround);
    const centroids = new Float64Array((k as number) * d);
    Array.from(rows).forEach((row, t) => {
      if (!Array.isArray(row) || row.length !== d) throw bad(`centroids[${t}]`, row, `${d} numbers`);
      Array.from(row).forEach((v, j) => {
        if (!inRange(v)) throw bad(`centroids[${t}][${j}]`, v, float32);
        // the kernels see centroids less the offset
        if (Math.abs(v - offset[j]) > FLOAT32_MAX) throw bad(`centroids[${t}][${j}]`, v, `within the float32 range of offset[${j}] (${off[j]})`);
        centroids[t * d + j] = v;
      });
    });
    const num = (key: string, ok: (v: number) => boolean, what: string): number => {
      const v = r[key];
      if (typeof v !== 'number' || !ok(v)) throw bad(key, v, what);
      return v;
    };
    const inertia = num('inertia', (v) => Number.isFinite(v) && v >= 0, 'a finite number >= 0');
    const iterations = num('iterations', (v) => Number.isSafeInteger(v) && v >= 0, 'a non-negative integer of at most 2^53');
    // a fit needs a row per centroid
    const nSamples = num('nSamples', (v) => Number.isSafeInteger(v) && v >= (k as number), `an integer >= k (${k}) of at most 2^53`);
    if (typeof r.converged !== 'boolean') throw bad('converged', r.converged, 'true or false');
    const centred = Float64Array.from(centroids, (v, q) => v - offset[q % d]);
    // distinct centroids, as a fit leaves them: of two equal ones the second would never be predicted
    const repeat = repeatedRow(centred, k as number, d);
    if (repeat) throw bad(`centroids[${repeat[1]}]`, rows[repeat[1]], `distinct from centroids[${repeat[0]}] in float32`);
    // a fit's offset is the rows' mean, among its centroids; one far from them loses the rows' digits in float32
    // scoring, labelling alike rows that transform still tells apart
    const lo = offset.map(() => Infinity), hi = offset.map(() => -Infinity);
    centroids.forEach((v, q) => ((lo[q % d] = Math.min(lo[q % d], v)), (hi[q % d] = Math.max(hi[q % d], v))));
    const reach = 256 * hi.reduce((m, h, j) => Math.max(m, h - lo[j]), 0);
    const far = offset.findIndex((v, j) => (k as number) > 1 && (v < lo[j] - reach || v > hi[j] + reach));
    if (far >= 0) throw bad(`offset[${far}]`, off[far], `within ${reach} of the centroids (256 times their spread)`);
    assertResolvedFile(centred, k as number, d, 'centroids');
    return new KMeansModel({
      k: k as number, featureNames: names as string[], centroids, offset,
      labels: new Int32Array(0), inertia, iterations, converged: r.converged, nSamples,
    });
  }
}

/**
 * The first row of a row-major k x d array that equals an earlier one once rounded to float32, as the kernels see
 * centres: [earlier, row], or undefined when all k are distinct.
 */
export function repeatedRow(c: ArrayLike<number>, k: number, d: number): [number, number] | undefined {
  const seen = new Map<string, number>();
  for (let t = 0; t < k; t++) {
    const key = Array.from({ length: d }, (_, j) => Math.fround(c[t * d + j])).join(',');
    const earlier = seen.get(key);
    if (earlier !== undefined) return [earlier, t];
    seen.set(key, t);
  }
  return undefined;
}

/**
 * Squared distance (after the scale scoring applies) below which two centres sit too close for float32: its
 * smallest normal number is 1.2e-38, so 1e-36 refuses a model shortly before the products that tell rows between
 * them apart lose digits (at 1e-44 they round to 0 and every row between them gets one label).
 */
const RESOLVED = 1e-36;

/** Centres that scoring cannot hold side by side in float32: the farthest one, and the closest two. */
export interface UnresolvedCentres {
  far: number;
  farDistance: number;
  a: number;
  b: number;
  apart: number;
  /** A bound on the two closest centres' distance from the column means. */
  near: number;
}

/**
 * Where centres (less the offset, row-major k x d) cannot be scored side by side: scoring scales every value by the
 * power of two that keeps the farthest centre's squared norm within float32, and when that leaves two centres so
 * close that float32 loses the products telling rows between them apart, those rows all get one label. Centres
 * pulled far away by extreme rows do that. Undefined when scoring holds them all: O(k d) unless the farthest centre
 * makes scoring scale down (beyond 1e18 from the column means), O(k^2 d) then.
 */
export function unresolvedCentres(c: ArrayLike<number>, k: number, d: number): UnresolvedCentres | undefined {
  const { far, norm: first } = farthestCentre(c, k, d);
  const scale = rangeScale(first, 1);
  if (!(scale < 1)) return undefined;
  let best = Infinity, a = 0, b = 0;
  for (let t = 0; t < k; t++) {
    for (let u = t + 1; u < k; u++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += (c[t * d + j] - c[u * d + j]) ** 2;
      if (s < best) {
        best = s;
        a = t;
        b = u;
      }
    }
  }
  if (!(best * scale * scale < RESOLVED)) return undefined;
  let near = 0;
  for (let j = 0; j < d; j++) near = Math.max(near, Math.abs(c[a * d + j]), Math.abs(c[b * d + j]));
  return { far, farDistance: Math.sqrt(first), a, b, apart: Math.sqrt(best), near: near * Math.sqrt(d) };
}

/** The centre (row-major k x d, less the offset) with the largest squared norm, and that norm (0 for none). */
export function farthestCentre(c: ArrayLike<number>, k: number, d: number): { far: number; norm: number } {
  let norm = 0, far = 0;
  for (let t = 0; t < k; t++) {
    let s = 0;
    for (let j = 0; j < d; j++) s += c[t * d + j] ** 2;
    if (s > norm) {
      norm = s;
      far = t;
    }
  }
  return { far, norm };
}

/** What `unresolvedCentres` found, in words. */
export function unresolvedText(u: UnresolvedCentres): string {
  // centres held less the offset keep no difference finer than float64's step at their own distance from it
  const step = u.near * 2 ** -50;
  const apart = u.apart > step ? `lie ${u.apart.toPrecision(3)} apart` : `lie within ${step.toPrecision(3)} of each other`;
  return `centroid ${u.far} lies ${u.farDistance.toPrecision(3)} from the column means while centroids ${u.a} and ${u.b} ${apart}: `
    + 'float32, in which segkit scores, cannot hold both, and would lose the digits that tell rows between those two apart';
}

const UNRESOLVED_HINT = 'refit the model, leaving out the extreme rows that pulled that centroid away';

/** E_PRECISION when scoring with these centres (less the offset) would lose the rows near all but one of them. */
export function assertResolvedCentres(c: ArrayLike<number>, k: number, d: number, what = 'the model', hint = UNRESOLVED_HINT): void {
  const u = unresolvedCentres(c, k, d);
  if (u) throw new SegkitError('E_PRECISION', `${what}: ${unresolvedText(u)}`, hint);
}

/** E_BAD_MODEL for a model file whose centres (less the offset) scoring could not hold side by side. */
export function assertResolvedFile(c: ArrayLike<number>, k: number, d: number, field: string): void {
  const u = unresolvedCentres(c, k, d);
  if (u) throw new SegkitError('E_BAD_MODEL', `model field "${field}[${u.far}]": ${unresolvedText(u)}`, UNRESOLVED_HINT);
}

/**
 * Distances from `transform` (row-major n x k): a row far enough from the model to be labelled but not measured in
 * float32 at the model's scale is named (E_NAN_INPUT), never returned as Infinity.
 */
export function finiteDistances(out: Float32Array, k: number): void {
  for (let q = 0; q < out.length; q++) {
    if (out[q] - out[q] !== 0) {
      throw new SegkitError('E_NAN_INPUT', `row ${Math.floor(q / k)}: its distance to centroid ${q % k} overflows float32 at the model's scale (the row lies far from every centroid)`,
        'check the row\'s units, or leave it out of transform (predict still labels it)');
    }
  }
}

const KMEANS_KEYS = ['kind', 'format', 'version', 'k', 'featureNames', 'centroids', 'offset', 'inertia', 'iterations', 'converged', 'nSamples'] as const;
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
