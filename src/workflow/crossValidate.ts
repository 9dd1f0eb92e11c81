import { SegkitError, badOption, restate, throwIfAborted } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import { toDataset, type DataInput, type Dataset } from '../data/dataset.js';
import { encodeTarget, wholeMarks, type Target } from '../core/classTarget.js';
import { classificationScores, type ClassificationScores } from '../metrics/classificationScores.js';
import { splitFolds } from './splitFolds.js';
import { takeRows } from './trainTestSplit.js';

/** A fit to validate: training rows and their segment ids in, a model that predicts segment ids out. */
export type FitFn = (data: Dataset, target: Int32Array) => Promise<{ predict(data: Dataset): Promise<Int32Array> }> | { predict(data: Dataset): Promise<Int32Array> };

export interface CrossValidateOptions {
  folds?: number;
  stratified?: boolean;
  seed?: number;
  signal?: AbortSignal;
}

export interface FoldResult {
  readonly fold: number;
  readonly trainRows: number;
  readonly testRows: Int32Array;
  readonly predicted: Int32Array;
  readonly scores: ClassificationScores;
}

export interface CrossValidation {
  readonly folds: FoldResult[];
  /** Mean over folds of each score. */
  readonly mean: { accuracy: number; balancedAccuracy: number; precisionMacro: number; recallMacro: number; f1Macro: number };
  /** Standard deviation over folds (ddof 0). */
  readonly std: { accuracy: number; balancedAccuracy: number; precisionMacro: number; recallMacro: number; f1Macro: number };
  /** Scores of all folds' predictions pooled (each row predicted once, by the fold that held it out). */
  readonly pooled: ClassificationScores;
  /** Segment id of each class name, for text targets. */
  readonly classNames?: readonly string[];
}

const KEYS = ['accuracy', 'balancedAccuracy', 'precisionMacro', 'recallMacro', 'f1Macro'] as const;

/**
 * A fit's complaint about its target, said of the fold: a segment with fewer rows than folds can leave a fold's
 * training rows without it, and "one class in all 3 rows" is then true of that fold, not of the whole target.
 */
function inFold(error: unknown, f: number, K: number, rows: number): unknown {
  if (!(error instanceof SegkitError) || error.code !== 'E_BAD_LABELS') return error;
  return restate(error, (m) => `fold ${f + 1} of ${K} (${rows} training rows): ${m}`, () => 'use fewer folds');
}

/**
 * k-fold cross-validation of any fit: each fold's model is fitted on the other folds and scored on its own.
 * Text targets are passed to `fit` as segment ids (their index in sorted order, `classNames`). A fold's
 * `decisionTree` or `randomForest`, or its own `crossValidate` (nested), takes the segment ids and classes the whole
 * target's takes, though the fold has fewer rows (segments 100, 200 and 300 of 350 customers), and a `classWeight`
 * naming a segment of the whole target that none of the fold's training rows holds.
 * @example
 * const cv = await crossValidate((d, t) => randomForest(d, t, { nTrees: 100 }), customers, segments, { folds: 5 });
 * cv.mean.accuracy; cv.folds[0].scores.confusion;
 */
export async function crossValidate(fit: FitFn, data: DataInput, target: Target, options: CrossValidateOptions = {}): Promise<CrossValidation> {
  checkOptions(options, ['folds', 'stratified', 'seed', 'signal'], 'crossValidate');
  if (typeof fit !== 'function') throw badOption('fit', fit, 'a function (data, target) => model');
  const ds = toDataset(data);
  const t = encodeTarget(target, ds.n);
  // the whole target's rows and classes (the folds' ids), marked on the ids the folds are split from and fitted on; a
  // fold's own cross-validation (nested) keeps the outermost target's
  const rows = wholeMarks(target, ds.n, Array.from(t.classes, String), !!t.classNames);
  const ids = Object.assign(Int32Array.from(t.codes, (c) => t.classes[c]), rows);
  const folds = splitFolds(ids, { folds: options.folds, stratified: options.stratified, seed: options.seed });
  const pooled = new Int32Array(ds.n);
  const results: FoldResult[] = [];
  for (let f = 0; f < folds.length; f++) {
    throwIfAborted(options.signal);
    const test = folds[f];
    const isTest = new Uint8Array(ds.n);
    for (const r of test) isTest[r] = 1;
    const train = Int32Array.from({ length: ds.n - test.length });
    for (let i = 0, q = 0; i < ds.n; i++) if (!isTest[i]) train[q++] = i;
    // the fold's ids, marked with the whole target's rows: decisionTree and randomForest then take the ids the whole
    // target's fit takes, where segment ids past the fold's rows (300 of 350 customers, 233 in a fold) were refused
    const foldIds = Object.assign(Int32Array.from(train, (r) => ids[r]), rows);
    const model = await Promise.resolve()
      .then(() => fit(takeRows(ds, train), foldIds))
      .catch((e) => { throw inFold(e, f, folds.length, train.length); });
    if (typeof model?.predict !== 'function') throw badOption('fit', model, 'a function returning a model with predict(data)');
    const predicted = await model.predict(takeRows(ds, test));
    if (typeof predicted?.length !== 'number' || predicted.length !== test.length) throw badOption('fit', predicted, `a function returning a model whose predict(data) gives a segment id per row (${test.length} in fold ${f + 1})`);
    test.forEach((r, q) => (pooled[r] = predicted[q]));
    results.push({ fold: f, trainRows: train.length, testRows: test, predicted, scores: classificationScores(Int32Array.from(test, (r) => ids[r]), predicted) });
  }
  const stat = (fn: (v: number[]) => number) => Object.fromEntries(KEYS.map((k) => [k, fn(results.map((r) => r.scores[k]))])) as CrossValidation['mean'];
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  return {
    folds: results,
    mean: stat(mean),
    std: stat((v) => Math.sqrt(mean(v.map((x) => (x - mean(v)) ** 2)))),
    pooled: classificationScores(ids, pooled),
    ...(t.classNames ? { classNames: t.classNames } : {}),
  };
}
