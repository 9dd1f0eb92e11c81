import { badOption, describe, throwIfAborted } from '../util/errors.js';
import { at, badModel, FLOAT32_MAX, modelValue, readBoolean, readEach, readNumber, readNumbers, readObject, readStrings } from '../util/modelJson.js';
import { checkOptions, RUN_OPTIONS, orDefault, squaredOption } from '../util/options.js';
import type { DataInput } from '../data/dataset.js';
import { resolveExecutor } from '../engine/defaultExecutor.js';
import { checkWeights, loadMatrix, type Matrix } from '../engine/matrix.js';
import { sumInShardOrder } from '../engine/merge.js';
import { padRows } from '../kernels/layout.js';
import { centresF32, type AnyTypedArray } from '../kernels/shard.js';
import { assignOp, distancesOp } from './kmeansOps.js';
import { stepsOp, type StepsState } from './miniBatchOps.js';
import type { ModelJSON, RunOptions, SegmentationModel } from './model.js';
import { datasetFor } from './modelData.js';
import { exactInertia } from './lloyd.js';
import { assertResolvedCentres, assertResolvedFile, farthestCentre, finiteDistances, labelsReadOnce, repeatedRow } from './kmeansModel.js';
import { exp, log } from '../util/detMath.js';

export const MINIBATCH_FORMAT_VERSION = 1;

export interface MiniBatchKMeansModelJSON extends ModelJSON {
  kind: 'minibatch-kmeans';
  version: number;
  k: number;
  featureNames: string[];
  /** Centroids minus `offset`: the exact state partialFit continues from (centroid = centre + offset). */
  centres: number[][];
  /** Weight each centre has absorbed: its learning rate is 1 / count. */
  counts: number[];
  offset: number[];
  batchSize: number;
  reassignmentRatio: number;
  seed: number;
  nSteps: number;
  nSinceLastReassign: number;
  inertia: number;
  iterations: number;
  converged: boolean;
  /** Rows of the fit (what the fit's labels and a SegmentModel's summaries describe). */
  nSamples: number;
  /** Rows learned from: the fit's and every partialFit's. */
  rowsSeen: number;
}

/** Forgetting for `partialFit`, as Spark's StreamingKMeans: counts halve every `halfLife` batches (or rows). */
export interface PartialFitOptions extends RunOptions {
  halfLife?: number;
  halfLifeUnit?: 'batches' | 'rows';
  sampleWeight?: ArrayLike<number>;
}

export interface MiniBatchParts {
  k: number;
  featureNames: string[];
  /** k x d centroids minus the offset. */
  centres: Float64Array;
  counts: Float64Array;
  offset: Float64Array;
  batchSize: number;
  reassignmentRatio: number;
  seed: number;
  nSteps: number;
  nSinceLastReassign: number;
  labels: Int32Array;
  inertia: number;
  iterations: number;
  converged: boolean;
  nSamples: number;
  rowsSeen?: number;
}

/** The most weight a centre can have absorbed: 2^53 rows of the largest float32 weight. */
const MAX_COUNT = FLOAT32_MAX * 2 ** 53;

const PARTIAL_OPTIONS = ['halfLife', 'halfLifeUnit', 'sampleWeight', ...RUN_OPTIONS] as const;

/** Half-life to a per-step (or per-row) decay factor. */
export function decayOf(o: { halfLife?: number; halfLifeUnit?: 'batches' | 'rows' }): { decay: number; decayPerRow: boolean } {
  const unit = orDefault(o.halfLifeUnit, 'batches');
  if (unit !== 'batches' && unit !== 'rows') throw badOption('halfLifeUnit', unit, '"batches" or "rows"');
  if (o.halfLife === undefined) {
    if (o.halfLifeUnit !== undefined) throw badOption('halfLifeUnit', o.halfLifeUnit, 'given with halfLife (without it nothing is forgotten)');
    return { decay: 1, decayPerRow: false };
  }
  if (typeof o.halfLife !== 'number' || !(o.halfLife > 0)) throw badOption('halfLife', o.halfLife, 'a number > 0 (batches, or rows with halfLifeUnit "rows")');
  return { decay: exp(log(0.5) / o.halfLife), decayPerRow: unit === 'rows' };
}

/**
 * Mini-batch k-means (scikit-learn's MiniBatchKMeans): the result of `miniBatchKMeans`, or loaded with `loadModel`.
 * `partialFit` keeps learning from new rows with per-centre counts as learning rates (and forgetting with a
 * half-life); a saved and reloaded model continues exactly as the live one would.
 */
export class MiniBatchKMeansModel implements SegmentationModel {
  readonly kind = 'minibatch-kmeans' as const;
  readonly k: number;
  readonly d: number;
  readonly featureNames: readonly string[];
  readonly batchSize: number;
  readonly reassignmentRatio: number;
  readonly seed: number;
  /** Row-major k x d centroids minus the offset: the state partialFit updates, kept as is between calls and in files. */
  centres: Float64Array;
  /** Weight each centre has absorbed. */
  counts: Float64Array;
  /** Labels of the rows of the last fit or partialFit call (empty for a model loaded from JSON). */
  labels: Int32Array;
  /** Inertia of those rows with the final centres. */
  inertia: number;
  /** Mini-batch steps taken so far. */
  nSteps: number;
  /** Passes over the fit data (scikit-learn's n_iter_). */
  iterations: number;
  converged: boolean;
  /** Rows of the fit (partialFit leaves it: it counts the rows the fit's summaries describe). */
  readonly nSamples: number;
  /** Rows learned from, by the fit and every partialFit. */
  rowsSeen: number;
  private nSinceLastReassign: number;
  private readonly offset: Float64Array;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(p: MiniBatchParts) {
    this.k = p.k;
    this.d = p.featureNames.length;
    this.featureNames = Object.freeze([...p.featureNames]);
    this.centres = p.centres;
    this.counts = p.counts;
    this.offset = p.offset;
    this.batchSize = p.batchSize;
    this.reassignmentRatio = p.reassignmentRatio;
    this.seed = p.seed;
    this.nSteps = p.nSteps;
    this.nSinceLastReassign = p.nSinceLastReassign;
    this.labels = p.labels;
    this.inertia = p.inertia;
    this.iterations = p.iterations;
    this.converged = p.converged;
    this.nSamples = p.nSamples;
    this.rowsSeen = p.rowsSeen ?? p.nSamples;
  }

  /** Row-major k x d centroids. */
  get centroidData(): Float64Array {
    return Float64Array.from(this.centres, (v, q) => v + this.offset[q % this.d]);
  }

  /** Centroids as k arrays of d numbers. */
  get centroids(): number[][] {
    const c = this.centroidData;
    return Array.from({ length: this.k }, (_, t) => Array.from(c.subarray(t * this.d, (t + 1) * this.d)));
  }

  private async withRows<T>(data: DataInput, options: RunOptions & { sampleWeight?: ArrayLike<number> }, fn: string, known: readonly string[], use: (m: Matrix, cent: Float64Array) => Promise<T>, shardRows?: (n: number) => number): Promise<T> {
    checkOptions(options, known, fn);
    const ds = datasetFor(data, this.featureNames, fn);
    const weights = checkWeights(options.sampleWeight, ds.n);
    assertResolvedCentres(this.centres, this.k, this.d);
    const ex = resolveExecutor(options);
    const m = await loadMatrix(ex, ds, {
      offset: this.offset, weights, alsoSquaredNorm: farthestCentre(this.centres, this.k, this.d).norm, signal: options.signal,
      // scoring never depends on the rest of the batch; partialFit's rows are data to learn from, scaled as a fit's
      modelScale: fn !== 'partialFit',
      refuseFar: true,
      ...(shardRows ? { shardRows: shardRows(ds.n) } : {}),
    });
    try {
      const c = new Float64Array(this.k * this.d);
      for (let q = 0; q < c.length; q++) c[q] = this.centres[q] * m.scale;
      return await use(m, c);
    } finally {
      await m.release();
    }
  }

  /** The nearest centroid of each row. The rows are read until the promise settles: leave the arrays unchanged till then. */
  async predict(data: DataInput, options: RunOptions = {}): Promise<Int32Array> {
    checkOptions(options, RUN_OPTIONS, 'predict');
    const ds = datasetFor(data, this.featureNames, 'predict');
    assertResolvedCentres(this.centres, this.k, this.d);
    const state = { offset: Float32Array.from(this.offset), ...centresF32(this.centres, this.k, this.d), far: farthestCentre(this.centres, this.k, this.d).norm };
    const got = await labelsReadOnce(resolveExecutor(options), ds, state, this.k, options.signal);
    if (got) return got;
    return this.withRows(ds, options, 'predict', RUN_OPTIONS, async (m, c) => {
      const { cent, norms } = centresF32(c, this.k, this.d);
      await m.ex.map(assignOp, m.handle, { cent, norms, k: this.k, reset: true, sums: false, dist: false }, { signal: options.signal });
      return (await m.ex.readRows(m.handle, 'labels')) as Int32Array;
    });
  }

  /** Distances from each row to every centroid: row-major n x k. */
  transform(data: DataInput, options: RunOptions & { squared?: boolean } = {}): Promise<Float32Array> {
    checkOptions(options, [...RUN_OPTIONS, 'squared'], 'transform');
    squaredOption(options);
    const { squared, ...run } = options;
    return this.withRows(data, run, 'transform', RUN_OPTIONS, async (m, c) => {
      const { cent } = centresF32(c, this.k, this.d);
      await m.ex.map(distancesOp, m.handle, { cent, k: this.k, squared: !!squared }, { signal: options.signal });
      const out = (await m.ex.readRows(m.handle, 'distances')) as Float32Array;
      finiteDistances(out, this.k);
      if (m.scale !== 1) {
        const back = squared ? 1 / m.scale ** 2 : 1 / m.scale;
        for (let i = 0; i < out.length; i++) out[i] *= back;
      }
      return out;
    });
  }

  /**
   * Learns from new rows: one mini-batch step per consecutive `batchSize` rows (one step when there are at most
   * `batchSize`, as scikit-learn's partial_fit), each centre moving by 1 / its count towards its rows' mean.
   * `halfLife` forgets: counts decay by half every halfLife batches (or rows), so segments follow new behaviour.
   * Calls on one model run one after the other. Resolves to the model.
   * @example
   * await model.partialFit(todaysCustomers, { halfLife: 30 });
   */
  partialFit(data: DataInput, options: PartialFitOptions = {}): Promise<this> {
    const run = this.queue.then(() => this.step(data, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async step(data: DataInput, options: PartialFitOptions): Promise<this> {
    checkOptions(options, PARTIAL_OPTIONS, 'partialFit');
    const { decay, decayPerRow } = decayOf(options);
    const { halfLife: _h, halfLifeUnit: _u, ...rest } = options;
    // the batch is one shard, so its steps run in row order on one holder
    return this.withRows(data, rest, 'partialFit', [...RUN_OPTIONS, 'sampleWeight'], async (m, c) => {
      const state: StepsState = {
        k: this.k, cent: c, counts: this.counts, batch: this.batchSize, steps: Math.ceil(m.n / this.batchSize),
        seed: this.seed, step0: this.nSteps, reassignmentRatio: this.reassignmentRatio, nSince: this.nSinceLastReassign,
        batchSize: this.batchSize, decay, decayPerRow, convergence: false, nSamples: m.n, maxNoImprovement: 0, tolAbs: 0,
        ewa: NaN, ewaMin: NaN, noImprovement: 0,
      };
      const [r] = await m.ex.map(stepsOp, m.handle, state, { shards: [0], signal: options.signal });
      throwIfAborted(options.signal);
      const next = new Float64Array(r.cent.length);
      for (let q = 0; q < next.length; q++) next[q] = r.cent[q] / m.scale;
      // rows far enough to drag a centre beyond where scoring could hold it beside the others: refused, the model unchanged
      assertResolvedCentres(next, this.k, this.d, 'partialFit would move a centre too far (the model is unchanged)',
        'leave the extreme rows out of the batch: check their units');
      const { labels, inertia } = await labelRows(m, r.cent, this.k, options.signal);
      this.centres = next;
      this.counts = Float64Array.from(r.counts);
      this.nSinceLastReassign = r.nSince;
      this.nSteps += r.done;
      this.rowsSeen += m.n;
      this.labels = labels;
      this.inertia = inertia / m.scale ** 2;
      return this;
    }, (n) => padRows(Math.max(16, n)));
  }

  toJSON(): MiniBatchKMeansModelJSON {
    return {
      kind: 'minibatch-kmeans',
      version: MINIBATCH_FORMAT_VERSION,
      k: this.k,
      featureNames: [...this.featureNames],
      centres: Array.from({ length: this.k }, (_, t) => Array.from(this.centres.subarray(t * this.d, (t + 1) * this.d))),
      counts: Array.from(this.counts),
      offset: Array.from(this.offset),
      batchSize: this.batchSize,
      reassignmentRatio: this.reassignmentRatio,
      seed: this.seed,
      nSteps: this.nSteps,
      nSinceLastReassign: this.nSinceLastReassign,
      inertia: this.inertia,
      iterations: this.iterations,
      converged: this.converged,
      nSamples: this.nSamples,
      rowsSeen: this.rowsSeen,
    };
  }

  /** Loads a model saved with `toJSON` (an object or JSON text); every field is checked and a bad one named. */
  static fromJSON(json: unknown): MiniBatchKMeansModel {
    const o = modelValue(json);
    const r = readObject(o, '', MINIBATCH_KEYS);
    if (r.kind !== 'minibatch-kmeans') throw badModel('kind', `must be "minibatch-kmeans", got ${describe(r.kind)}`);
    if (r.version !== MINIBATCH_FORMAT_VERSION) throw badModel('version', `must be ${MINIBATCH_FORMAT_VERSION} (the version this segkit reads), got ${describe(r.version)}`);
    const int = (key: string, min: number): number => {
      const v = r[key];
      if (!Number.isSafeInteger(v) || (v as number) < min) throw badModel(key, `must be an integer >= ${min} and at most 2^53, got ${describe(v)}`);
      return v as number;
    };
    const k = int('k', 1);
    const names = readStrings(r.featureNames, 'featureNames', undefined, true);
    if (names.length === 0) throw badModel('featureNames', 'must name at least one feature');
    const d = names.length;
    const f32 = (v: unknown, path: string): number => {
      const x = readNumber(v, path);
      if (!Number.isFinite(Math.fround(x))) throw badModel(path, `is ${x}, beyond float32's range (3.4e38)`);
      return x;
    };
    const centres = Float64Array.from(readEach(r.centres, 'centres', k, (row, path) => readNumbers(row, path, d, f32)).flat());
    const counts = Float64Array.from(readNumbers(r.counts, 'counts', k, (v, path) => {
      const x = readNumber(v, path);
      if (x < 0) throw badModel(path, `must be >= 0, got ${x}`);
      // a weight absorbed by a fit: at most 2^53 rows of the largest float32 weight (a centre times it stays finite)
      if (x > MAX_COUNT) throw badModel(path, `must be at most ${MAX_COUNT.toExponential(2)} (2^53 rows of the largest float32 weight), got ${x}`);
      return x;
    }));
    const offset = Float64Array.from(readNumbers(r.offset, 'offset', d, f32));
    // each centroid (centre + offset) is what the model reports and scores with: float32 must hold it too
    for (let q = 0; q < k * d; q++) {
      const c = centres[q] + offset[q % d];
      if (!Number.isFinite(Math.fround(c))) {
        throw badModel(at(at('centres', Math.floor(q / d)), q % d), `plus offset[${q % d}] is ${c}, beyond float32's range (3.4e38)`);
      }
      // rows are centred by the offset in float32: the centres are taken from that, keeping each centroid
      centres[q] += offset[q % d] - Math.fround(offset[q % d]);
    }
    offset.forEach((v, j) => (offset[j] = Math.fround(v)));
    // distinct centres: two equal ones would leave one without rows
    const repeat = repeatedRow(centres, k, d);
    if (repeat) throw badModel(at('centres', repeat[1]), `repeats centres[${repeat[0]}]; the k centres must be distinct`);
    assertResolvedFile(centres, k, d, 'centres');
    const ratio = readNumber(r.reassignmentRatio, 'reassignmentRatio');
    if (ratio < 0) throw badModel('reassignmentRatio', `must be >= 0, got ${ratio}`);
    const inertia = readNumber(r.inertia, 'inertia');
    if (inertia < 0) throw badModel('inertia', `must be >= 0, got ${inertia}`);
    const seed = r.seed;
    if (!Number.isSafeInteger(seed)) throw badModel('seed', `must be an integer of at most 2^53 in magnitude, got ${describe(seed)}`);
    // a fit needs a row per centre
    if (int('rowsSeen', 0) < int('nSamples', k)) throw badModel('rowsSeen', `must be at least nSamples (${r.nSamples}), got ${r.rowsSeen}`);
    return new MiniBatchKMeansModel({
      k, featureNames: names, centres, counts, offset, batchSize: int('batchSize', 1), reassignmentRatio: ratio, seed: seed as number,
      nSteps: int('nSteps', 0), nSinceLastReassign: int('nSinceLastReassign', 0), labels: new Int32Array(0), inertia,
      iterations: int('iterations', 0), converged: readBoolean(r.converged, 'converged'), nSamples: int('nSamples', k), rowsSeen: int('rowsSeen', 0),
    });
  }
}

const MINIBATCH_KEYS = [
  'kind', 'version', 'k', 'featureNames', 'centres', 'counts', 'offset', 'batchSize', 'reassignmentRatio', 'seed',
  'nSteps', 'nSinceLastReassign', 'inertia', 'iterations', 'converged', 'nSamples', 'rowsSeen',
] as const;

/**
 * Labels of every loaded row with the given centres (stored coordinates) and their inertia, from the moved sums;
 * `into`: an array from `Executor.freshArray` for the labels, or undefined.
 */
export async function labelRows(
  m: Matrix, c: Float64Array, k: number, signal?: AbortSignal, into?: Promise<AnyTypedArray | undefined>,
): Promise<{ labels: Int32Array; inertia: number; weight: Float64Array }> {
  const d = m.d;
  const { cent, norms } = centresF32(c, k, d);
  const parts = await m.ex.map(assignOp, m.handle, { cent, norms, k, reset: true, sums: true, dist: false }, { signal });
  const sums = sumInShardOrder(parts.map((p) => p.deltas!));
  // sum w |x - c|^2 = sum w |x|^2 - 2 sum_c c . S_c + sum_c W_c |c|^2, in float64
  let s = m.sumSquares;
  for (let t = 0; t < k; t++) {
    let dot = 0, nrm = 0;
    for (let j = 0; j < d; j++) {
      dot += c[t * d + j] * sums[t * d + j];
      nrm += c[t * d + j] ** 2;
    }
    s += sums[k * d + t] * nrm - 2 * dot;
  }
  const inertia = await exactInertia(m, c, Math.max(0, s), signal);
  const labels = (await m.ex.readRows(m.handle, 'labels', { signal, into: await into })) as Int32Array;
  return { labels, inertia, weight: sums.subarray(k * d) };
}
