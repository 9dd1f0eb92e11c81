// The flags of the density and hierarchical algorithms (dbscan, hdbscan, agglomerative) and the checks that keep
// each flag to the algorithm it belongs to: a flag that would be ignored is a usage error, never silently dropped.
import type { Table } from '#arrow';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { LINKAGES, type Linkage } from '../core/agglomerativeModel.js';
import type { PipelineOptions } from '../prep/pipeline.js';
import { SegkitError, baseMessage, restate } from '../util/errors.js';
import { UsageError } from './exitCodes.js';
import { decimalValue, integer } from './optionParsers.js';
import { requireColumn } from './readInput.js';

export interface DensityFlags {
  readonly algorithm: string;
  readonly eps?: number;
  readonly minSamples?: number;
  readonly minClusterSize?: number;
  readonly linkage?: Linkage;
  readonly metric?: 'euclidean' | 'haversine';
  readonly lat?: string;
  readonly lon?: string;
  readonly clusterSelection?: 'eom' | 'leaf';
  readonly columns?: string[];
  readonly kRange?: number[];
  readonly model?: string;
  readonly id?: string;
}

const positive = (value: string): number => {
  const n = decimalValue(value);
  if (!Number.isFinite(n) || !(n > 0)) throw new InvalidArgumentError('must be a number > 0.');
  return n;
};

/** --linkage, for segment and choose-k. */
export function addLinkageOption(cmd: Command): Command {
  return cmd.addOption(new Option('--linkage <name>', 'agglomerative linkage (default: ward)').choices(LINKAGES));
}

/** --eps, --min-samples, --min-cluster-size, --cluster-selection, --linkage, --metric, --lat, --lon. */
export function addDensityOptions(cmd: Command): Command {
  addLinkageOption(cmd);
  return cmd
    .addOption(new Option('--eps <number>', 'dbscan: neighbourhood radius, in the scaled features (kilometres with --metric haversine)').argParser(positive))
    .addOption(new Option('--min-samples <n>', 'dbscan: neighbours within eps, itself included, that make a core customer (default 5); hdbscan: neighbours for the core distance (default: --min-cluster-size)').argParser(integer(1)))
    .addOption(new Option('--min-cluster-size <n>', 'hdbscan: the smallest group that counts as a segment (default 5)').argParser(integer(2)))
    .addOption(new Option('--cluster-selection <method>', 'hdbscan: eom (excess of mass) or leaf (the finest clusters)').choices(['eom', 'leaf']))
    .addOption(new Option('--metric <name>', 'dbscan: distance; haversine clusters --lat/--lon in degrees with --eps in kilometres').choices(['euclidean', 'haversine']))
    .option('--lat <column>', 'latitude column in degrees (with --metric haversine)')
    .option('--lon <column>', 'longitude column in degrees (with --metric haversine)');
}

/** Usage errors for flags that do not belong to the chosen algorithm, or that it needs. `explicitK`: --k given on the command line. */
export function checkAlgorithmFlags(f: DensityFlags, explicitK: boolean): void {
  const a = f.algorithm;
  const only = (flag: string, given: unknown, algorithms: string[]) => {
    if (given !== undefined && !algorithms.includes(a)) throw new UsageError(`${flag} applies only with --algorithm ${algorithms.join(' or ')} (got --algorithm ${a})`);
  };
  only('--eps', f.eps, ['dbscan']);
  only('--min-samples', f.minSamples, ['dbscan', 'hdbscan']);
  only('--min-cluster-size', f.minClusterSize, ['hdbscan']);
  only('--cluster-selection', f.clusterSelection, ['hdbscan']);
  only('--linkage', f.linkage, ['agglomerative']);
  only('--metric', f.metric, ['dbscan']);
  if (a === 'dbscan' && f.eps === undefined) {
    throw new UsageError('--algorithm dbscan needs --eps, the neighbourhood radius (in the scaled features; kilometres with --metric haversine); the report\'s k-distance plot helps choose it');
  }
  if (a === 'dbscan' || a === 'hdbscan') {
    if (explicitK) throw new UsageError(`--k does not apply to --algorithm ${a}: it finds the number of segments itself`);
    if (f.kRange) throw new UsageError(`--k-range does not apply to --algorithm ${a}: it finds the number of segments itself`);
  }
  if (a === 'hdbscan' && f.model !== undefined) {
    throw new UsageError('--model: hdbscan has no rule for new customers, so it saves no model to score with; use --algorithm dbscan, agglomerative or kmeans');
  }
  const haversine = f.metric === 'haversine';
  if (!haversine && (f.lat !== undefined || f.lon !== undefined)) throw new UsageError(`--${f.lat !== undefined ? 'lat' : 'lon'} applies only with --metric haversine`);
  if (haversine) {
    if (f.lat === undefined || f.lon === undefined) throw new UsageError('--metric haversine needs --lat and --lon, the latitude and longitude columns in degrees');
    if (f.lat === f.lon) throw new UsageError('--lat and --lon name the same column');
    for (const [flag, name] of [['--lat', f.lat], ['--lon', f.lon]] as const) {
      if (name === f.id) throw new UsageError(`${flag}: column "${name}" is the customer id (--id), never a feature`);
    }
    if (f.columns) throw new UsageError('--columns does not apply with --metric haversine: --lat and --lon are the features');
  }
}

/**
 * With --metric haversine the features are exactly --lat and --lon, in degrees, never scaled, imputed or encoded: a
 * preparation flag given on the command line would be ignored, so it is a usage error (as --columns is).
 * `given(name)`: the flag was on the command line (not its default).
 */
export function checkHaversinePrepFlags(f: DensityFlags, given: (name: string) => boolean): void {
  // --metric with another algorithm is refused as such (checkAlgorithmFlags)
  if (f.metric !== 'haversine' || f.algorithm !== 'dbscan') return;
  for (const [name, flag] of [['scale', '--scale'], ['impute', '--impute'], ['fillValue', '--fill-value'], ['exclude', '--exclude'], ['encode', '--encode']] as const) {
    if (given(name)) throw new UsageError(`${flag} does not apply with --metric haversine: the features are exactly --lat and --lon, in degrees, never scaled, imputed or encoded`);
  }
}

/** With --metric haversine the features are exactly --lat and --lon, in degrees: no scaling. */
export function algorithmPipelineOptions(f: DensityFlags, options: PipelineOptions, table: Table, path: string): PipelineOptions {
  if (f.metric !== 'haversine') return options;
  requireColumn(table, f.lat!, '--lat', path);
  requireColumn(table, f.lon!, '--lon', path);
  const { exclude: _exclude, ...rest } = options;
  // a missing coordinate is an error naming its row, never a median position
  return { ...rest, columns: [f.lat!, f.lon!], scale: false, impute: false, encode: false };
}

/**
 * The haversine metric's refusal of a coordinate (a latitude beyond 90) in the command line's words: `metric` for the
 * library's `(option "metric" is "haversine")`, and a hint naming what reads the coordinates.
 */
export function haversineWords(error: unknown, metric: string, hint: string): unknown {
  const library = '(option "metric" is "haversine")';
  if (!(error instanceof SegkitError) || !baseMessage(error).includes(library)) return error;
  return restate(error, (message) => message.replace(library, metric), () => hint);
}

/**
 * The library's refusal of complete or average linkage on more rows than its distance matrix allows, in the command
 * line's words: `--linkage complete` for `option "linkage" is "complete"`, and the linkages it suggests as flags.
 */
export function linkageWords(error: unknown): unknown {
  const words = /^option "linkage" is "(\w+)", which/;
  if (!(error instanceof SegkitError) || !words.test(baseMessage(error))) return error;
  return restate(error, (message) => message.replace(words, '--linkage $1'), (hint) => hint?.replace('"ward" and "single"', '--linkage ward and --linkage single'));
}
