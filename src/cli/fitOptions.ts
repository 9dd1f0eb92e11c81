import { type Command, InvalidArgumentError, Option } from 'commander';
import { chooseKDefaults } from '../workflow/chooseK.js';
import { COVARIANCE_TYPES, type CovarianceType } from '../core/gmmParams.js';
import { distinctRows } from '../core/kmeans.js';
import { miniBatchKMeansDefaults } from '../core/miniBatchKMeans.js';
import type { Dataset } from '../data/dataset.js';
import { SegkitError } from '../util/errors.js';
import { UsageError } from './exitCodes.js';
import { integer, kRange, seedValue } from './optionParsers.js';
import type { RunContext } from './runContext.js';

/** The segmentation algorithms the command line fits. */
export const ALGORITHMS = ['kmeans', 'minibatch-kmeans', 'gmm', 'dbscan', 'hdbscan', 'agglomerative'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** Starting points each algorithm takes on the command line. */
export const INITS: Readonly<Record<Algorithm, readonly string[]>> = Object.freeze({
  kmeans: ['k-means++', 'k-means||', 'random'],
  'minibatch-kmeans': ['k-means++', 'k-means||', 'random'],
  gmm: ['kmeans', 'k-means++', 'random'],
  dbscan: [],
  hdbscan: [],
  agglomerative: [],
});

export interface FitFlags {
  readonly algorithm: Algorithm;
  readonly kRange?: number[];
  readonly seed: number;
  readonly nInit?: number;
  /** Unset: each algorithm's own default. */
  readonly maxIter?: number;
  readonly init?: string;
  readonly covariance: CovarianceType[];
  readonly batchSize: number;
}

export const DEFAULT_K_RANGE = `${chooseKDefaults.kRange[0]}..${chooseKDefaults.kRange[1]}`;

/** `full` or a comma-separated list such as `full,diag` (compared by BIC when k is chosen). */
function covarianceList(value: string): CovarianceType[] {
  const list = value.split(',').map((s) => s.trim());
  for (const t of list) {
    if (!(COVARIANCE_TYPES as readonly string[]).includes(t)) throw new InvalidArgumentError(`must be ${COVARIANCE_TYPES.join(', ')}, or several separated by commas.`);
  }
  return [...new Set(list)] as CovarianceType[];
}

/** --algorithm, --k-range, --seed, --n-init, --max-iter, --init, --covariance and --batch-size, shared by segment and choose-k. */
export function addFitOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--algorithm <name>', 'segmentation algorithm: kmeans; minibatch-kmeans (large data, keeps learning with segkit update); gmm (Gaussian mixture: soft membership); dbscan or hdbscan (density: leave outliers unassigned); agglomerative (a tree)').choices(ALGORITHMS).default('kmeans'))
    .addOption(new Option('--k-range <min..max>', `values of k to try, inclusive (default: ${DEFAULT_K_RANGE})`).argParser(kRange))
    .addOption(new Option('--seed <n>', 'random seed; the same seed gives the same segments on any thread count').argParser(seedValue).default(0))
    .addOption(new Option('--n-init <n>', 'restarts, keeping the best (default: k-means 4 up to 200,000 rows, 2 above; gmm 1; minibatch-kmeans 1, 3 with --init random)').argParser(integer(1)))
    .addOption(new Option('--max-iter <n>', 'maximum iterations (default: k-means 300, gmm 100, minibatch-kmeans 100 passes over the data)').argParser(integer(1)))
    .addOption(new Option('--init <method>', 'starting centres: k-means++ (default), k-means|| (large data) or random; for gmm: kmeans (default), k-means++ or random'))
    .addOption(new Option('--covariance <type>', `gmm: ${COVARIANCE_TYPES.join(', ')}; several separated by commas are compared by BIC with --k auto`).argParser(covarianceList).default(['full'], 'full'))
    .addOption(new Option('--batch-size <rows>', 'minibatch-kmeans: rows per mini-batch step').argParser(integer(1)).default(miniBatchKMeansDefaults.batchSize));
}

/** Usage errors for an algorithm's own flags given on the command line with another algorithm (any algorithm). */
export function checkGivenFlags(cmd: Command, algorithm: string): void {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (given('batchSize') && algorithm !== 'minibatch-kmeans') throw new UsageError(`--batch-size applies to --algorithm minibatch-kmeans, not ${algorithm}`);
  if (given('covariance') && algorithm !== 'gmm') throw new UsageError(`--covariance applies to --algorithm gmm, not ${algorithm}`);
  // dbscan, hdbscan and agglomerative start from no centres and do not iterate
  const iterative = INITS[algorithm as Algorithm]?.length > 0;
  for (const [name, flag] of [['init', '--init'], ['nInit', '--n-init'], ['maxIter', '--max-iter']] as const) {
    if (given(name) && !iterative) throw new UsageError(`${flag} applies to kmeans, minibatch-kmeans and gmm, not ${algorithm}`);
  }
}

/** Usage errors for flags that do not fit the chosen algorithm (after `checkGivenFlags`). */
export function checkFitFlags(f: FitFlags, fixedK: boolean): void {
  if (f.init !== undefined && !INITS[f.algorithm].includes(f.init)) {
    throw new UsageError(INITS[f.algorithm].length === 0 ? `--init applies to kmeans, minibatch-kmeans and gmm, not ${f.algorithm}` : `--init ${f.init} is not a start for ${f.algorithm}; use ${INITS[f.algorithm].join(', ')}`);
  }
  if (fixedK && f.covariance.length > 1) throw new UsageError(`--covariance ${f.covariance.join(',')}: with a fixed --k give one covariance type (several are compared with --k auto)`);
}

/** A fixed --k: at most the distinct customers, as a sweep is capped (k segments of fewer would put identical customers apart). */
export function checkDistinctK(k: number, data: Dataset): void {
  const distinct = distinctRows(data, k);
  if (distinct < k) {
    throw new SegkitError('E_TOO_FEW_DISTINCT', `--k: ${k} segments are more than the ${distinct} distinct customer${distinct === 1 ? '' : 's'} (rows with the same features) the data has`, 'lower --k, or add features that tell the customers apart');
  }
}

/**
 * The k values to sweep: below the number of rows, and at most the number of distinct customers (k segments of
 * fewer would put identical customers apart); a range cut short says so.
 */
export function sweepKs(flags: FitFlags, data: Dataset, ctx: RunContext): number[] {
  const rows = data.n;
  const ks = flags.kRange ?? kRange(DEFAULT_K_RANGE);
  const usable = ks.filter((k) => k < rows);
  if (usable.length === 0) throw new UsageError(`--k-range: every k in ${ks[0]}..${ks[ks.length - 1]} needs more rows than the ${rows} the data has`);
  const distinct = distinctRows(data, usable[usable.length - 1]);
  const apart = usable.filter((k) => k <= distinct);
  if (apart.length === 0) {
    throw new SegkitError('E_TOO_FEW_DISTINCT', `--k-range: every k in ${ks[0]}..${ks[ks.length - 1]} is more segments than the ${distinct} distinct customer${distinct === 1 ? '' : 's'} (rows with the same features) the data has`, 'segment data whose customers differ in the features, or add features that tell them apart');
  }
  if (apart.length < usable.length) {
    ctx.note(`--k-range ${ks[0]}..${ks[ks.length - 1]} capped at ${apart[apart.length - 1]}: the data has only ${distinct} distinct customers (rows with the same features)`);
  } else if (usable.length < ks.length) {
    ctx.note(`--k-range ${ks[0]}..${ks[ks.length - 1]} capped at ${usable[usable.length - 1]}: k must be below the ${rows.toLocaleString('en-US')} rows`);
  }
  return apart;
}
