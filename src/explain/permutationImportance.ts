import { SegkitError, badOption, describe, throwIfAborted } from '../util/errors.js';
import { checkOptions, RUN_OPTIONS, orDefault } from '../util/options.js';
import { hashInts } from '../util/hash.js';
import { createRandom } from '../util/random.js';
import { fromColumns, type DataInput, type Dataset } from '../data/dataset.js';
import { datasetFor } from '../core/modelData.js';
import type { RunOptions, SegmentationModel } from '../core/model.js';

export interface PermutationImportanceOptions extends RunOptions {
  /** Shuffles per feature (default 5). */
  repeats?: number;
  seed?: number;
}

export interface PermutationImportance {
  readonly featureNames: readonly string[];
  /** Agreement of the model's segments with the target before any shuffle. */
  readonly baseline: number;
  /** Mean loss of agreement when the feature is shuffled, per feature. */
  readonly importances: Float64Array;
  /** Standard deviation of that loss over the repeats (ddof 0). */
  readonly std: Float64Array;
  /** The loss of every repeat: features x repeats. */
  readonly losses: Float64Array[];
}

/**
 * The target as segment ids: numbers must be whole, and text (the labels a classifier was fitted on) is read
 * through the model's class names, so every value is compared with `predict`'s ids as the fit meant it.
 */
function targetIds(target: ArrayLike<number> | readonly string[], model: SegmentationModel, n: number): ArrayLike<number> {
  if (!target || typeof target !== 'object') throw new SegkitError('E_BAD_LABELS', `target must be an array of segment ids or segment names, got ${describe(target)}`);
  if (target.length !== n) throw new SegkitError('E_SHAPE_MISMATCH', `target has ${target.length} values for ${n} rows`);
  const names = (model as { classNames?: readonly string[] }).classNames ?? [];
  const code = new Map(names.map((name, c) => [name, c]));
  const ids = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const v = target[i];
    const id = typeof v === 'string' ? (code.get(v) ?? NaN) : v;
    if (!Number.isInteger(id) || Math.abs(id) >= 2 ** 31) {
      throw new SegkitError('E_BAD_LABELS', `target row ${i} holds ${describe(v)}; labels must be segment ids (whole numbers) or the model's segment names`, names.length ? `its segments: ${names.join(', ')}` : undefined);
    }
    ids[i] = id;
  }
  return ids;
}

/**
 * Permutation importance (Breiman 2001; scikit-learn's permutation_importance with accuracy) for any model: the
 * share of rows whose segment stops matching the target when one feature's values are shuffled among the rows.
 * Without a target the model's own segments of `data` are the target, so each feature's importance is the loss of
 * agreement with the segmentation when it is shuffled. Shuffles are seeded by (seed, feature, repeat).
 * @example
 * const { importances } = await permutationImportance(model, customers); // for k-means: agreement with its segments
 */
export async function permutationImportance(
  model: SegmentationModel, data: DataInput, target?: ArrayLike<number> | readonly string[], options: PermutationImportanceOptions = {},
): Promise<PermutationImportance> {
  checkOptions(options, [...RUN_OPTIONS, 'repeats', 'seed'], 'permutationImportance');
  const repeats = orDefault(options.repeats, 5);
  if (!Number.isInteger(repeats) || repeats < 1) throw badOption('repeats', repeats, 'a positive integer');
  const seed = orDefault(options.seed, 0);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  // a SegmentModel (raw tables in, no featureNames) or no model read as a TypeError
  if (!Array.isArray(model?.featureNames) || typeof model.predict !== 'function') throw badOption('model', model, 'a fitted model');
  const ds: Dataset = datasetFor(data, model.featureNames, 'permutationImportance');
  const run = { executor: options.executor, threads: options.threads, signal: options.signal };
  const truth = target === undefined ? await model.predict(ds, run) : targetIds(target, model, ds.n);
  const agree = (pred: Int32Array) => {
    let s = 0;
    for (let i = 0; i < ds.n; i++) if (pred[i] === truth[i]) s++;
    return s / ds.n;
  };
  const baseline = target === undefined ? 1 : agree(await model.predict(ds, run));
  const d = ds.d;
  const losses: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const row = new Float64Array(repeats);
    for (let r = 0; r < repeats; r++) {
      throwIfAborted(options.signal);
      const rng = createRandom(hashInts(seed, j, r));
      const col = Float32Array.from(ds.columns[j]);
      for (let i = col.length - 1; i > 0; i--) {
        const q = rng.int(i + 1);
        const t = col[i]; col[i] = col[q]; col[q] = t;
      }
      const shuffled = fromColumns({ columns: ds.columns.map((c, q) => (q === j ? col : c)), names: ds.names });
      row[r] = baseline - agree(await model.predict(shuffled, run));
    }
    losses.push(row);
  }
  const importances = Float64Array.from(losses, (l) => l.reduce((a, b) => a + b, 0) / repeats);
  const std = Float64Array.from(losses, (l, j) => Math.sqrt(l.reduce((a, b) => a + (b - importances[j]) ** 2, 0) / repeats));
  return { featureNames: [...model.featureNames], baseline, importances, std, losses };
}
