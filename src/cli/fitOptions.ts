import { type Command, Option } from 'commander';
import { chooseKDefaults } from '../workflow/chooseK.js';
import { kmeansDefaults } from '../core/kmeans.js';
import { UsageError } from './exitCodes.js';
import { integer, kRange, seedValue } from './optionParsers.js';
import type { RunContext } from './runContext.js';

/** The segmentation algorithms the command line fits. */
export const ALGORITHMS = ['kmeans', 'dbscan', 'hdbscan', 'agglomerative'] as const;

export interface FitFlags {
  readonly algorithm: (typeof ALGORITHMS)[number];
  readonly kRange?: number[];
  readonly seed: number;
  readonly nInit?: number;
  readonly maxIter: number;
}

export const DEFAULT_K_RANGE = `${chooseKDefaults.kRange[0]}..${chooseKDefaults.kRange[1]}`;

/** --algorithm, --k-range, --seed, --n-init and --max-iter, shared by segment and choose-k. */
export function addFitOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--algorithm <name>', 'segmentation algorithm: kmeans, dbscan or hdbscan (density: leave outliers unassigned), agglomerative (a tree)').choices(ALGORITHMS).default('kmeans'))
    .addOption(new Option('--k-range <min..max>', `values of k to try, inclusive (default: ${DEFAULT_K_RANGE})`).argParser(kRange))
    .addOption(new Option('--seed <n>', 'random seed; the same seed gives the same segments on any thread count').argParser(seedValue).default(0))
    .addOption(new Option('--n-init <n>', 'k-means restarts, keeping the best (default: 1 with k-means++)').argParser(integer(1)))
    .addOption(new Option('--max-iter <n>', 'maximum Lloyd iterations per restart').argParser(integer(1)).default(kmeansDefaults.maxIter));
}

/** The k values to sweep, below the number of rows; a range cut short says so. */
export function sweepKs(flags: FitFlags, rows: number, ctx: RunContext): number[] {
  const ks = flags.kRange ?? kRange(DEFAULT_K_RANGE);
  const usable = ks.filter((k) => k < rows);
  if (usable.length === 0) throw new UsageError(`--k-range: every k in ${ks[0]}..${ks[ks.length - 1]} needs more rows than the ${rows} the data has`);
  if (usable.length < ks.length) {
    ctx.note(`--k-range ${ks[0]}..${ks[ks.length - 1]} capped at ${usable[usable.length - 1]}: k must be below the ${rows.toLocaleString('en-US')} rows`);
  }
  return usable;
}
