import { SegkitError, badOption } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom } from '../util/random.js';
import { toDataset, fromColumns, type DataInput, type Dataset } from '../data/dataset.js';
import { encodeTarget, wholeMarks, type Target } from '../core/classTarget.js';

export interface TrainTestSplitOptions {
  /** Share of rows held out for testing (default 0.25; the count is rounded up, as scikit-learn). */
  testSize?: number;
  /** Keep each class's share on both sides (default true). */
  stratified?: boolean;
  seed?: number;
}

export interface SplitPart {
  readonly data: Dataset;
  readonly target: Target;
  /** Rows of the input, ascending. */
  readonly rows: Int32Array;
}

/** The given rows of a dataset (copies of its columns), names kept. */
export function takeRows(ds: Dataset, rows: Int32Array): Dataset {
  return fromColumns({ columns: ds.columns.map((c) => Float32Array.from(rows, (r) => c[r])), names: ds.names });
}

/** The given rows of a target, same kind (segment ids or text). */
export function takeTarget(target: Target, rows: Int32Array): Target {
  const t = target as ArrayLike<number | string>;
  return typeof t[0] === 'string' ? Array.from(rows, (r) => t[r] as string) : Int32Array.from(rows, (r) => t[r] as number);
}

/**
 * Rows split into a training and a test part, seeded. Stratified, each class gives the test part its share of
 * the test rows by largest remainder, so every class's test count is within one row of its exact share; a class of
 * a single row is refused (E_BAD_LABELS), as scikit-learn refuses it. Each part's target is marked with the whole
 * target's rows and classes, as crossValidate marks a fold's: `decisionTree` and `randomForest` take the segment ids,
 * classes and `classWeight` the whole target's fit takes (segment 300 of 350 customers, in a training part of 262).
 * @example
 * const { train, test } = trainTestSplit(customers, segments, { testSize: 0.2, seed: 1 });
 */
export function trainTestSplit(data: DataInput, target: Target, options: TrainTestSplitOptions = {}): { train: SplitPart; test: SplitPart } {
  checkOptions(options, ['testSize', 'stratified', 'seed'], 'trainTestSplit');
  const ds = toDataset(data);
  const t = encodeTarget(target, ds.n);
  const testSize = orDefault(options.testSize, 0.25);
  if (typeof testSize !== 'number' || !(testSize > 0 && testSize < 1)) throw badOption('testSize', testSize, 'a number between 0 and 1');
  const seed = orDefault(options.seed, 0);
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  const n = ds.n;
  const nTest = Math.ceil(testSize * n);
  if (nTest >= n) throw badOption('testSize', testSize, `a share that leaves training rows (${n} rows in all)`);
  const stratified = orDefault(options.stratified, true);
  if (typeof stratified !== 'boolean') throw badOption('stratified', stratified, 'true or false');
  const groups: number[][] = stratified ? Array.from(t.classes, () => []) : [[]];
  for (let i = 0; i < n; i++) groups[stratified ? t.codes[i] : 0].push(i);
  // a class of one row cannot keep its share on both sides (scikit-learn refuses it too)
  const single = groups.findIndex((g) => g.length < 2);
  if (stratified && single >= 0) {
    const s = t.classes[single];
    throw new SegkitError('E_BAD_LABELS', `class ${JSON.stringify(t.classNames ? t.classNames[s] : s)} has only 1 row: a stratified split needs at least 2 in each class`, 'merge or drop that class, or pass stratified: false');
  }
  // largest remainder: each group's exact share rounded down, the leftover rows to the largest fractions
  const exact = groups.map((g) => (g.length * nTest) / n);
  const take = exact.map(Math.floor);
  let left = nTest - take.reduce((a, b) => a + b, 0);
  const order = exact.map((e, c) => ({ c, frac: e - Math.floor(e) })).sort((a, b) => b.frac - a.frac || a.c - b.c);
  for (const { c } of order) if (left > 0) { take[c]++; left--; }
  const rng = createRandom(seed);
  const test: number[] = [], train: number[] = [];
  groups.forEach((g, c) => {
    for (let i = g.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      const x = g[i]; g[i] = g[j]; g[j] = x;
    }
    test.push(...g.slice(0, take[c]));
    train.push(...g.slice(take[c]));
  });
  const whole = wholeMarks(target, n, t.classNames ?? Array.from(t.classes, String));
  const part = (rows: number[]): SplitPart => {
    const r = Int32Array.from(rows).sort();
    return { data: takeRows(ds, r), target: Object.assign(takeTarget(target, r), whole), rows: r };
  };
  return { train: part(train), test: part(test) };
}
