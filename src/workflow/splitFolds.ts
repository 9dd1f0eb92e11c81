import { SegkitError, badOption } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { createRandom, type Random } from '../util/random.js';
import { encodeTarget, type Target } from '../core/classTarget.js';

export interface SplitFoldsOptions {
  /** Folds (default 5). */
  folds?: number;
  /** Keep each class's share in every fold (default true). */
  stratified?: boolean;
  seed?: number;
}

function shuffled(rows: number[], rng: Random): number[] {
  for (let i = rows.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = rows[i]; rows[i] = rows[j]; rows[j] = t;
  }
  return rows;
}

/**
 * Test rows of each fold (ascending). Rows are shuffled by the seed and dealt to the folds in turn; stratified,
 * class by class, carrying the turn on from one class to the next, so each fold holds each class's share to
 * within one row and the folds' sizes differ by at most one.
 * @example
 * const folds = splitFolds(segments, { folds: 5, seed: 1 }); // folds[f]: the rows fold f is tested on
 */
export function splitFolds(target: Target, options: SplitFoldsOptions = {}): Int32Array[] {
  checkOptions(options, ['folds', 'stratified', 'seed'], 'splitFolds');
  const K = orDefault(options.folds, 5);
  const stratified = orDefault(options.stratified, true);
  const seed = orDefault(options.seed, 0);
  if (!Number.isInteger(K) || K < 2) throw badOption('folds', K, 'an integer >= 2');
  if (!Number.isSafeInteger(seed)) throw badOption('seed', seed, 'an integer');
  if (typeof stratified !== 'boolean') throw badOption('stratified', stratified, 'true or false');
  const n = (target as ArrayLike<unknown>)?.length ?? 0;
  const t = encodeTarget(target, n);
  if (K > n) throw new SegkitError('E_BAD_OPTION', `option "folds" is ${K} but there are only ${n} rows`);
  const rng = createRandom(seed);
  const groups: number[][] = stratified ? Array.from(t.classes, () => []) : [[]];
  for (let i = 0; i < n; i++) groups[stratified ? t.codes[i] : 0].push(i);
  const out: number[][] = Array.from({ length: K }, () => []);
  let turn = 0;
  for (const g of groups) for (const r of shuffled(g, rng)) out[turn++ % K].push(r);
  return out.map((f) => Int32Array.from(f).sort());
}
