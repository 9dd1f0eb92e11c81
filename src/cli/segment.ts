import { DataType, type Table } from '#arrow';
import { type Command, Option } from 'commander';
import type { ChooseKResult, KScore } from '../workflow/chooseK.js';
import { SegmentModel, type SegmentSummary } from '../workflow/segmentModel.js';
import type { Dataset } from '../data/dataset.js';
import { stageTable, type StagedTable } from '../data/writeTable.node.js';
import { throwIfAborted } from '../util/errors.js';
import { profileSegments, type SegmentProfiles } from '../explain/profileSegments.js';
import { idName, noCustomers } from '../explain/nameSegment.js';
import { float64Profile } from './float64Profile.js';
import { CANCELLED_SEGMENT, RFM_SEGMENT_RULES } from '../features/rfmSegment.js';
import { calinskiHarabaszFromStats } from '../metrics/calinskiHarabaszScore.js';
import { clusterStats } from '../metrics/clusterStats.js';
import { daviesBouldinFromStats } from '../metrics/daviesBouldinScore.js';
import { buildReport } from '../report/buildReport.js';
import { fastTransform } from '../prep/fastTransform.js';
import { UsageError } from './exitCodes.js';
import { addFitOptions, checkDistinctK, checkGivenFlags, type FitFlags } from './fitOptions.js';
import { fitSegments, type Fitted } from './fitModel.js';
import { replacedProbaColumns, withoutProbabilities, withProbabilities } from './probaColumns.js';
import { counted, formatNumber, formatShare, formatTable } from './formatTable.js';
import { isolate } from '../util/bidiText.js';
import { kValue } from './optionParsers.js';
import { addFormatOption, addPrepOptions, formatFlag, prepareFeatures, type FeatureReport, type PrepFlags } from './prepOptions.js';
import { atRow, checkPaths, csvHeader, inputFormat, inputName, outputFormat, readInputWithText } from './readInput.js';
import { looksLikeId } from '../prep/pipeline.js';
import { segkitColumns } from '../prep/segkitColumns.js';
import { type RecordTails, writeRecordsAsRead } from './verbatimCsv.js';
import { wholeNumbersAsIntegers } from './wholeNumbers.js';
import type { RecordsRead } from '../data/recordTexts.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { EXACT_SILHOUETTE_ROWS, MISSED_SAMPLE_NOTE, sampleDefinesSilhouette, silhouette } from './silhouette.js';
import { AtomicFile, checkParent, commitAll, stageFile, type Staged } from '../data/writeFileAtomic.node.js';
import { replacedColumns, replacingNote, UNASSIGNED, withSegments } from './withSegments.js';
import { addDensityOptions, algorithmPipelineOptions, checkAlgorithmFlags, checkHaversinePrepFlags, haversineWords, type DensityFlags } from './densityOptions.js';
import { fitClusters, type ClusterFit } from './fitClusters.js';
import { clusteredRows, densityReportCharts, subsetRows, unassignedSummary, type Unassigned } from './clusterReport.js';
import { SegkitError } from '../util/errors.js';
import { addReportOptions, checkReportFlags, reportColumns, reportExtras, type ReportFlags, valueValues } from './reportOptions.js';

interface SegmentFlags extends PrepFlags, FitFlags, CommonFlags, ReportFlags, Omit<DensityFlags, 'algorithm' | 'columns' | 'kRange' | 'model'> {
  readonly k: number | 'auto';
  readonly out?: string;
  readonly model?: string;
  readonly report?: string;
  readonly title: string;
  readonly segmentColumn: string;
  readonly format?: string;
  readonly proba?: boolean;
}

/** The --json summary of a segmentation. */
export interface SegmentSummaryJSON {
  k: number;
  inertia: number;
  silhouette: number;
  /** Rows in the seeded silhouette sample, or null when the silhouette is exact. */
  silhouetteSampleSize: number | null;
  calinskiHarabasz: number;
  daviesBouldin: number;
  rows: number;
  features: string[];
  iterations: number;
  converged: boolean;
  /** rfmMix: the share of each RFM segment inside the segment, when the input carries RFM segment names. */
  segments: { id: number; name: string; size: number; share: number; means: Record<string, number>; rfmMix?: Record<string, number> }[];
  /** The segmentation algorithm. */
  algorithm: string;
  /** Rows no cluster took (dbscan, hdbscan): their own group, never a segment; their means before scaling. */
  unassigned?: { size: number; share: number; means: Record<string, number> };
  /** dbscan: core and border customers of each segment. */
  density?: { core: number[]; border: number[] };
  kSweep?: KScore[];
  recommendation?: { k: number; elbowK: number | null; silhouetteK: number; evidence: string; reason: string; bicK?: number; aicK?: number; covarianceType?: string; notFitted?: { k: number; covarianceType?: string; code: string; message: string }[] };
  /** Gaussian mixtures: covariance type, mean log-likelihood of the fit's last E-step, BIC and AIC on the rows. */
  mixture?: { covarianceType: string; lowerBound: number; bic: number; aic: number };
  files: { out?: string; model?: string; report?: string };
  /** Missing values filled per feature, columns left out and why, encoded columns with an "other" bucket. */
  missing: FeatureReport['missing'];
  leftOut: FeatureReport['leftOut'];
  encoded: FeatureReport['encoded'];
  /** Every note printed on stderr. */
  notices: string[];
}

const EXAMPLES = `
Examples:
  $ segkit segment customers.csv --out segments.csv --model model.json --report report.html
  $ segkit segment customers.parquet --k 5 --seed 7 --columns recency,frequency,monetary --scale log
  $ segkit segment customers.csv --k auto --k-range 3..8 --encode plan,country --json > summary.json
  $ cat customers.csv | segkit segment - --exclude signup_year --out -
  $ segkit segment customers.csv --algorithm gmm --covariance full,diag --proba --out segments.csv
  $ segkit segment big.parquet --algorithm minibatch-kmeans --k 12 --init 'k-means||' --model model.json

The output table is the input plus a "segment" column (0..k-1) and a "segment_name" column.
Segment means are reported in the input's units (after imputation, before scaling).`;

export function registerSegment(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('segment')
    .description('find customer segments with k-means and describe them')
    .argument('<input>', 'customer table (.csv .tsv .json .ndjson .arrow .parquet), or - for CSV on stdin');
  addPrepOptions(cmd);
  cmd.addOption(new Option('--k <n|auto>', 'number of segments, or auto to choose it with a k sweep').argParser(kValue).default('auto'));
  addFitOptions(cmd);
  addDensityOptions(cmd);
  cmd
    .option('--out <file>', 'write the input rows with segment and segment_name columns (format by extension; - for CSV on stdout)')
    .option('--model <file>', 'save the fitted model as JSON, for segkit score')
    .option('--report <file>', 'write a self-contained HTML report')
    .option('--title <text>', 'report title', 'Customer segments')
    .option('--segment-column <name>', 'name of the segment id column in --out (its name column adds _name)', 'segment')
    .option('--proba', 'gmm: add each row\'s membership probability of every segment to --out (columns <segment-column>_proba_<id>)');
  addReportOptions(cmd, false);
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (input: string, flags: SegmentFlags) => {
    checkGivenFlags(cmd, flags.algorithm);
    checkHaversinePrepFlags(flags, (name) => cmd.getOptionValueSource(name) === 'cli');
    checkReportFlags(cmd, flags, false);
    return runSegment(input, flags, new RunContext(signal, flags), cmd.getOptionValueSource('k') === 'cli');
  });
}

async function checkOutputs(input: string, f: SegmentFlags, ctx: RunContext): Promise<void> {
  if (f.kRange && f.k !== 'auto') throw new UsageError(`--k-range only applies with --k auto (got --k ${f.k})`);
  if (f.out === '-' && ctx.json) throw new UsageError('--out - and --json both write to stdout; write the table to a file or drop --json');
  if (f.model === '-' || f.report === '-') throw new UsageError(`--${f.model === '-' ? 'model' : 'report'} needs a file path`);
  if (f.out !== undefined) outputFormat(f.out, '--out');
  if (f.segmentColumn.trim() === '') throw new UsageError('--segment-column must be a column name');
  if (f.proba && f.algorithm !== 'gmm') throw new UsageError(`--proba needs soft membership: use --algorithm gmm (not ${f.algorithm})`);
  if (f.proba && f.out === undefined) throw new UsageError('--proba adds columns to --out; give --out');
  checkPaths([['the input', input]], [['--out', f.out], ['--model', f.model], ['--report', f.report]]);
  // before the long part: an output folder that does not exist is an error, never created silently
  if (f.out !== undefined) await checkParent(f.out, '--out');
  if (f.model !== undefined) await checkParent(f.model, '--model');
  if (f.report !== undefined) await checkParent(f.report, '--report');
}

interface Fit extends Omit<ClusterFit, 'model'> {
  model: Fitted;
}

async function fit(data: Dataset, f: SegmentFlags, ctx: RunContext): Promise<Fit> {
  if (f.algorithm === 'dbscan' || f.algorithm === 'hdbscan' || f.algorithm === 'agglomerative') {
    // agglomerative with a given k needs more rows than segments to be judged, as k-means does
    if (f.algorithm === 'agglomerative' && f.k !== 'auto' && f.k >= data.n) throw new UsageError(`--k: ${f.k} segments need more than ${f.k} rows to be judged, the data has ${data.n}`);
    // and, as k-means, k distinct customers: cutting the tree into more would put identical customers apart
    if (f.algorithm === 'agglomerative' && f.k !== 'auto') checkDistinctK(f.k, data);
    return fitClusters(data, f, ctx);
  }
  // kmeans, minibatch-kmeans, gmm: one k, or a sweep that recommends one
  return fitSegments(data, f, ctx);
}

/** Sum over the rows of the squared distance to their segment's mean (labels 0..k-1), in float64. */
function withinSumOfSquares(data: Dataset, labels: Int32Array, k: number): number {
  const counts = new Float64Array(k);
  for (const l of labels) counts[l]++;
  let total = 0;
  for (const column of data.columns) {
    const sums = new Float64Array(k);
    for (let i = 0; i < data.n; i++) sums[labels[i]] += column[i];
    for (let i = 0; i < data.n; i++) total += (column[i] - sums[labels[i]] / counts[labels[i]]) ** 2;
  }
  return total;
}

/** The --value column's total over the rows in no segment, for the report's shares of it. */
function unassignedValue(f: SegmentFlags, table: Table, rowIndex: Int32Array, labels: Int32Array): { value?: number } {
  if (f.value === undefined) return {};
  return { value: valueValues(table, f.value, rowIndex.filter((_, i) => labels[i] < 0)).reduce((a, b) => a + b, 0) };
}

/** Shares are of every row, so with noise they add up to less than 1. */
function summaries(profiles: SegmentProfiles, rows: number): SegmentSummary[] {
  // a component no customer took (a mixture's) is no described segment: named by its id, as a bare model's are, so a
  // customer scored into it later still gets a name
  return profiles.segments.map((s) => ({
    id: s.id, name: s.size === 0 ? idName(s.id) : s.name, size: s.size, share: s.size / rows,
    means: Object.fromEntries(profiles.features.map((name, j) => [name, s.mean[j]])),
  }));
}

/** The records as read, each with its segment columns, written under a temporary name (see stageTable). */
async function stageRecords(path: string, records: RecordsRead, tails: RecordTails, signal: AbortSignal | undefined): Promise<StagedTable> {
  const file = await AtomicFile.open(path);
  try {
    await writeRecordsAsRead((bytes) => file.write(bytes), records, tails, signal);
  } catch (error) {
    await file.discard();
    throw error;
  }
  return file;
}

async function runSegment(input: string, f: SegmentFlags, ctx: RunContext, explicitK: boolean): Promise<void> {
  await checkOutputs(input, f, ctx);
  checkAlgorithmFlags(f, explicitK);
  const what = inputName(input);
  // CSV file to CSV file: each record is written as it was read (then its segment columns), if the output's delimiter
  // is the input's and no segment columns are replaced; the readers keep the records' texts if the delimiter is
  // (probabilities are written with a decimal point: with a decimal comma, the cells are written by segkit)
  const outFormat = f.out !== undefined && f.out !== '-' ? outputFormat(f.out, '--out') : undefined;
  const inFormat = inputFormat(input, formatFlag(f));
  const delimiter = outFormat === 'tsv' ? '\t' : ',';
  let records: RecordsRead | undefined = (outFormat === 'csv' || outFormat === 'tsv') && (inFormat === 'csv' || inFormat === 'tsv') && input !== '-' && !(f.proba && ctx.read.decimal === ',')
    ? { header: undefined, newline: '\n', blocks: [], delimiter }
    : undefined;
  // a named id column is read as written (007, 1E5, +4915112345), for the output; so are the columns --encode names,
  // whose categories are then the cells score reads (1.50, not the number 1.5)
  // the id the pipeline finds by its name (customer_id) too, for CSV output: 1E5, +4915112345 and 12000.0 are written
  // as they were (Arrow, Parquet and JSON output keep an id of numbers as numbers)
  const csvOut = f.out === '-' || outFormat === 'csv' || outFormat === 'tsv';
  const id = f.id ?? (csvOut ? (await csvHeader(input, inFormat, ctx))?.find(looksLikeId) : undefined);
  // a column named as a feature (--columns, or --lat and --lon with --metric haversine) is read as a number
  const asText = id === undefined || f.columns?.includes(id) || (f.metric === 'haversine' && (id === f.lat || id === f.lon)) ? [] : [id];
  const table: Table = await readInputWithText(input, ctx, formatFlag(f), [...asText, ...(Array.isArray(f.encode) ? f.encode : [])], records);
  // segkit's own output read back: its segment columns are no features, and --out replaces them
  const replaced = [...replacedColumns(table, f.segmentColumn), ...replacedProbaColumns(table, f.segmentColumn)];
  // (the readers kept no records of a file with another delimiter: the header is then undefined)
  if (records && !(records.header && replaced.length === 0)) records = undefined;
  // a column --out replaces that --columns or --encode makes a feature: the output would hold the new segments where
  // the model reads that feature, and scoring it again would read them as the feature's values
  const haversine = f.metric === 'haversine';
  const by = (c: string): string | undefined => ((f.columns ?? []).includes(c) ? '--columns' : (Array.isArray(f.encode) ? f.encode : []).includes(c) ? '--encode'
    : haversine && c === f.lat ? '--lat' : haversine && c === f.lon ? '--lon' : undefined);
  // a number column no flag names is a feature too (unless --columns or --lat/--lon choose the features, or it is
  // segkit's own output, the id or excluded): leaving it out only because --segment-column names it would change the
  // segments by the name of an output column
  const own = new Set(segkitColumns(table));
  const idColumn = f.id ?? table.schema.fields.map((x) => x.name).find(looksLikeId);
  const numbers = (c: string): boolean => { const t = table.schema.fields.find((x) => x.name === c)?.type; return t !== undefined && (DataType.isInt(t) || DataType.isFloat(t)); };
  const implicit = (c: string): boolean => f.columns === undefined && !haversine && numbers(c) && !own.has(c) && c !== idColumn && !(f.exclude ?? []).includes(c);
  const feature = f.out === undefined ? undefined : replaced.find((c) => by(c) !== undefined || implicit(c));
  if (feature !== undefined) {
    const flag = by(feature);
    throw new UsageError(`--segment-column ${f.segmentColumn}: --out would replace column "${feature}" of ${what} with the new segments, and it is a feature (${flag ?? `a number column; --exclude ${feature} leaves it out`}); give --segment-column another name (--segment-column ${f.segmentColumn}2)`);
  }
  if (f.out !== undefined && replaced.length > 0) ctx.note(replacingNote(replaced, what, f.segmentColumn));
  // without --out nothing is replaced: the columns --segment-column names stay what they are
  const { prep, options, result: prepared, report: features } = await prepareFeatures(f, table, input, ctx, reportColumns(f, table, input, (m) => ctx.note(m)), f.out === undefined ? [] : replaced, (o) => algorithmPipelineOptions(f, o, table, input));
  let profileData: Dataset;
  try {
    // Profiles describe segments in the customers' own units: the same selection and imputation, no scaling.
    profileData = options.scale === false ? prepared.dataset : fastTransform(prep.unscaled(), table).dataset;
  } catch (error) {
    throw atRow(error, table, what);
  }
  const { dataset, rowIndex } = prepared;
  throwIfAborted(ctx.signal);

  // a value a fit refuses is named by the prepared row: its file line is its table row's
  const fitted = await fit(dataset, f, ctx).catch((error: unknown) => {
    throw error instanceof SegkitError && (error.code === 'E_NAN_INPUT' || error.code === 'E_BAD_OPTION') ? atRow(haversineWords(error, '(--metric haversine)', '--lat names the latitude column and --lon the longitude, both in degrees'), table, what, 0, true, rowIndex) : error;
  });
  const { model, sweep } = fitted;
  // a fit stopped by --max-iter is not the algorithm's answer: said, as scikit-learn warns of a mixture's
  if ((f.algorithm === 'kmeans' || f.algorithm === 'gmm') && model.converged === false) {
    ctx.note(`the ${f.algorithm === 'gmm' ? 'mixture' : 'k-means fit'} at k = ${model.k} stopped after ${model.iterations} iteration${model.iterations === 1 ? '' : 's'} (--max-iter) before converging: its segments may still move; raise --max-iter`);
  }
  const { k, labels: allLabels } = model;
  if (k === 0) {
    throw new SegkitError('E_BAD_OPTION', `--algorithm ${f.algorithm} found no segment: every one of the ${dataset.n} rows is noise`, f.algorithm === 'dbscan' ? 'raise --eps or lower --min-samples' : 'lower --min-cluster-size or --min-samples');
  }
  // noise (dbscan, hdbscan) is its own group: segments, metrics and profiles describe the clustered rows
  const kept = clusteredRows(allLabels);
  const clustered = kept ? subsetRows(dataset, kept) : dataset;
  const clusteredProfile = kept ? subsetRows(profileData, kept) : profileData;
  const exactProfile = float64Profile(clusteredProfile, table, kept ? Int32Array.from(kept, (i) => rowIndex[i]) : rowIndex, prep.steps);
  const labels = kept ? Int32Array.from(kept, (i) => allLabels[i]) : allLabels;
  const run = { threads: ctx.threads, signal: ctx.signal };
  // mixtures: every row's membership probabilities, for --proba and the report's certainty chart
  const soft = model as Fitted & { predictProba?: (data: Dataset, o: object) => Promise<Float64Array>; bic?: (data: Dataset, o: object) => Promise<number>; aic?: (data: Dataset, o: object) => Promise<number> };
  const proba = typeof soft.predictProba === 'function' && (f.proba || f.report !== undefined) ? await soft.predictProba(dataset, run) : undefined;
  const row = sweep?.table.find((r) => r.k === k && (sweep.covarianceType === undefined || r.covarianceType === sweep.covarianceType));
  // the names come from the profiles, which need only the labels: the output is written while the metrics run
  const rfm = rfmLabels(table, rowIndex);
  const profiles = profileSegments(exactProfile, labels, k, { rfmSegments: rfm && kept ? Array.from(kept, (i) => rfm[i]) : rfm });
  // the unassigned rows' means in their own float64 values, as the segments' are (float32 holds 1e9 + 6.5 as 1e9)
  const unassigned: Unassigned | undefined = kept ? unassignedSummary(float64Profile(profileData, table, rowIndex, prep.steps), allLabels) : undefined;
  const segments = summaries(profiles, dataset.n);
  const names = segments.map((s) => s.name);
  throwIfAborted(ctx.signal);

  // Every write checks for Ctrl-C first and again just before the renames: a cancelled run replaces no file. The
  // output is staged under a temporary name now and renamed with the model and the report once all are written.
  let staged: Promise<StagedTable> | undefined;
  const outputs: Staged[] = [];
  if (f.out !== undefined) {
    ctx.step(`writing ${f.out}`);
    const full = new Int32Array(table.numRows).fill(-1);
    const noise = new Uint8Array(table.numRows);
    for (let i = 0; i < rowIndex.length; i++) {
      full[rowIndex[i]] = allLabels[i];
      if (allLabels[i] < 0) noise[rowIndex[i]] = 1;
    }
    const format = outputFormat(f.out, '--out');
    // earlier probability columns are replaced too: by new ones with --proba, by none without. The names are a
    // dictionary column where the writer keeps it (CSV formats each name once, Arrow stores it once), as scoring writes
    let rows: Float64Array | undefined;
    if (f.proba && proba) {
      rows = new Float64Array(table.numRows * k).fill(NaN);
      for (let i = 0; i < rowIndex.length; i++) rows.set(proba.subarray(i * k, (i + 1) * k), rowIndex[i] * k);
    }
    if (records) {
      // as score tells them with the model saved here: the model's number columns are numbers (never formulas), any
      // other cell may be a formula
      const numbers = new Set(prep.inputs.filter((c) => c.kind === 'numeric').map((c) => c.name));
      const numeric = Uint8Array.from(table.schema.fields, (field) => (numbers.has(field.name) ? 1 : 0));
      const tails = { labels: full, unassigned: noise, ...(rows ? { proba: rows } : {}), names, column: f.segmentColumn, delimiter, numeric, dashMissing: ctx.read.nullValues.includes('-') };
      staged = stageRecords(f.out, records, tails, ctx.signal);
      // the records are let go once written
      records = undefined;
    } else {
      // an id column of whole numbers beyond 32 bits reads as float64 from text: written as integers, as they were
      // written (9876543210, not 9876543210.0); a Float64 id of an Arrow or Parquet file stays one in such a file
      const binary = (x: string) => x === 'arrow' || x === 'parquet';
      // from a CSV or TSV file, the text columns the model does not read hold missing-value tokens as written
      const written = (inFormat === 'csv' || inFormat === 'tsv') && input !== '-'
        ? await (await import('./keptTypes.js')).textAsWritten(table, input, inFormat, ctx, new Set([...prep.inputs.map((c) => c.name), ...(prep.id === null ? [] : [prep.id])]))
        : table;
      // CSV output of a text format (CSV, TSV, JSON, NDJSON), whose numbers carry no type: every column of whole
      // numbers read as float64 (one beyond 32 bits makes the column float64) is written as integers, as score writes
      // it (1700000000000 and 5, not 1700000000000.0 and 5.0)
      const text = (x: string) => x === 'csv' || x === 'tsv' || x === 'json' || x === 'ndjson';
      const ids = text(inFormat) && (format === 'csv' || format === 'tsv') ? wholeNumbersAsIntegers(written)
        : prep.id === null || (binary(inFormat) && binary(format)) ? written : wholeNumbersAsIntegers(written, prep.id);
      let out = withSegments(withoutProbabilities(ids, f.segmentColumn), full, names, f.segmentColumn, noise, { dictionary: format === 'csv' || format === 'tsv' || format === 'arrow' });
      if (rows) out = withProbabilities(out, rows, k, f.segmentColumn);
      staged = stageTable(f.out, out, { signal: ctx.signal });
    }
    staged.catch(() => undefined);
  }
  let metrics: { silhouette: number; calinskiHarabasz: number; daviesBouldin: number; inertia: number };
  let sil: Awaited<ReturnType<typeof silhouette>>;
  try {
    // the silhouette, Calinski-Harabasz and Davies-Bouldin compare segments with each other: they need 2 to n - 1 of
    // them holding customers (one segment of everyone, a mixture leaving a component empty, or dbscan putting each
    // customer in its own, has none)
    const present = new Set(labels).size;
    const comparable = present >= 2 && present <= clustered.n - 1;
    // the silhouette's seeded sample may miss a small segment whole: then it has none, as a sweep of choose-k reads it
    const sampled = comparable && !sampleDefinesSilhouette(labels, f.seed);
    if (sampled) ctx.note(MISSED_SAMPLE_NOTE);
    sil = comparable && !sampled
      ? await silhouette(clustered, labels, { ...run, seed: f.seed, wantSamples: f.report !== undefined, metric: f.metric })
      : { score: Number.NaN, sampleSize: sampled ? EXACT_SILHOUETTE_ROWS : null };
    let calinskiHarabasz: number, daviesBouldin: number, inertia: number;
    if (row) {
      calinskiHarabasz = row.calinskiHarabasz;
      daviesBouldin = row.daviesBouldin;
      inertia = row.inertia;
    } else if (!comparable) {
      calinskiHarabasz = Number.NaN;
      daviesBouldin = Number.NaN;
      inertia = model.inertia ?? withinSumOfSquares(clustered, labels, k);
    } else {
      const stats = await clusterStats(clustered, labels, run);
      calinskiHarabasz = k >= 2 ? calinskiHarabaszFromStats(stats) : Number.NaN;
      daviesBouldin = k >= 2 ? daviesBouldinFromStats(stats) : Number.NaN;
      inertia = model.inertia ?? stats.sumSq.reduce((a, b) => a + b, 0);
    }
    metrics = { silhouette: sil.score, calinskiHarabasz, daviesBouldin, inertia };
    throwIfAborted(ctx.signal);
    if (staged) outputs.push(await staged);
  } catch (error) {
    if (staged) await (await staged.catch(() => undefined))?.discard();
    throw error;
  }

  let mixture: SegmentSummaryJSON['mixture'];
  try {
    if (f.model !== undefined) {
      throwIfAborted(ctx.signal);
      ctx.step(`writing ${f.model}`);
      const saved = new SegmentModel({ pipeline: prep, model, segments });
      outputs.push(await stageFile(f.model, `${JSON.stringify(saved.toJSON())}\n`, ctx.signal));
    }
    if (f.report !== undefined) {
      const bar = ctx.progress.start('drawing the report', 1);
      try {
        const extraCharts = await densityReportCharts({ fit: fitted, flags: f, data: dataset, profiles, unassigned, run });
        const html = await buildReport({
          title: f.title,
          data: clusteredProfile,
          labels,
          ...(unassigned ? { unassigned: { size: unassigned.size, share: unassigned.share, means: profiles.features.map((name) => unassigned.means[name]), ...unassignedValue(f, table, rowIndex, allLabels) } } : {}),
          extraCharts,
          centroids: profiles.segments.map((s) => s.mean),
          k,
          profiles,
          metrics,
          seed: f.seed,
          ...(sweep ? { kSweep: sweep.table, recommendation: sweep.reason } : {}),
          ...(sil.samples ? { silhouetteSamples: sil.samples } : {}),
          ...(proba ? { membership: Float64Array.from({ length: dataset.n }, (_, i) => Math.max(...proba.subarray(i * k, (i + 1) * k))) } : {}),
          ...(model.covarianceType ? { covarianceType: model.covarianceType } : {}),
          ...reportExtras(f, table, kept ? Int32Array.from(kept, (i) => rowIndex[i]) : rowIndex),
        });
        throwIfAborted(ctx.signal);
        ctx.step(`writing ${f.report}`);
        outputs.push(await stageFile(f.report, html, ctx.signal));
      } finally {
        bar.stop();
      }
    }
    if (model.covarianceType !== undefined && typeof soft.bic === 'function' && typeof soft.aic === 'function') {
      const bic = row?.bic ?? await soft.bic(dataset, run);
      const aic = row?.aic ?? await soft.aic(dataset, run);
      mixture = { covarianceType: model.covarianceType, lowerBound: model.lowerBound!, bic, aic };
    }
  } catch (error) {
    await Promise.all(outputs.map((file) => file.discard()));
    throw error;
  }
  // every output replaced together, once all are written: a failure or Ctrl-C before this replaces none of them
  await commitAll(outputs, ctx.signal);
  const summary: SegmentSummaryJSON = {
    k, ...metrics, silhouetteSampleSize: sil.sampleSize, algorithm: f.algorithm, ...(mixture ? { mixture } : {}),
    ...(unassigned ? { unassigned } : {}),
    ...(fitted.density ? { density: { core: fitted.density.core, border: fitted.density.border } } : {}),
    rows: dataset.n, features: [...dataset.names], iterations: model.iterations ?? 0, converged: model.converged ?? true,
    segments: segments.map((s, t) => ({ ...s, means: { ...s.means }, ...(profiles.segments[t].rfmMix ? { rfmMix: profiles.segments[t].rfmMix } : {}) })),
    ...(sweep ? {
      kSweep: sweep.table,
      recommendation: {
        k: sweep.recommendedK, elbowK: sweep.elbowK, silhouetteK: sweep.silhouetteK, evidence: sweep.evidence, reason: sweep.reason,
        ...(sweep.bicK !== undefined ? { bicK: sweep.bicK, aicK: sweep.aicK, covarianceType: sweep.covarianceType } : {}),
        ...(sweep.notFitted ? { notFitted: sweep.notFitted } : {}),
      },
    } : {}),
    files: { ...(f.out !== undefined ? { out: f.out } : {}), ...(f.model !== undefined ? { model: f.model } : {}), ...(f.report !== undefined ? { report: f.report } : {}) },
    ...features,
    notices: ctx.notices,
  };
  if (ctx.json) ctx.printJson(summary);
  else {
    const text = readable(summary, profiles, sweep);
    // With the table on stdout, people still get the summary, on stderr.
    if (f.out === '-') ctx.note(text);
    else ctx.print(text);
  }
}

function readable(s: SegmentSummaryJSON, profiles: SegmentProfiles, sweep: ChooseKResult | undefined): string {
  const parts: string[] = [];
  parts.push(`${s.rows.toLocaleString('en-US')} rows · ${counted(s.features.length, 'feature')} · k = ${s.k}${sweep ? ` (chosen from k = ${sweep.table[0].k}..${sweep.table[sweep.table.length - 1].k})` : ''}`);
  if (sweep && sweep.bicK !== undefined) {
    parts.push('');
    parts.push(formatTable(
      ['k', 'covariance', 'BIC', 'AIC', 'silhouette', 'Calinski-Harabasz', 'Davies-Bouldin', ''],
      sweep.table.map((r) => [
        String(r.k), r.covarianceType ?? '', formatNumber(r.bic!), formatNumber(r.aic!), formatNumber(r.silhouette), formatNumber(r.calinskiHarabasz), formatNumber(r.daviesBouldin),
        r.k === s.k && r.covarianceType === sweep.covarianceType ? '<- chosen' : '',
      ]),
      [true, false, true, true, true, true, true, false],
    ));
  } else if (sweep) {
    parts.push('');
    // the stability the recommendation weighs, when it was measured (k-means), as choose-k shows it
    const stable = sweep.stabilityK !== null;
    const pick = <T,>(cells: T[]): T[] => (stable ? cells : cells.filter((_, j) => j !== 3));
    parts.push(formatTable(
      pick(['k', 'inertia', 'silhouette', 'stability', 'Calinski-Harabasz', 'Davies-Bouldin', '']),
      sweep.table.map((r) => pick([String(r.k), formatNumber(r.inertia), formatNumber(r.silhouette), formatNumber(r.stability), formatNumber(r.calinskiHarabasz), formatNumber(r.daviesBouldin), r.k === s.k ? '<- chosen' : ''])),
      pick([true, true, true, true, true, true, false]),
    ));
  }
  parts.push('');
  // the segments holding customers are described; those without (a mixture's empty components) are named once
  const empty = profiles.segments.filter((p) => p.size === 0).map((p) => String(p.id));
  parts.push(formatTable(
    ['id', 'segment', 'customers', 'share', 'stands out by'],
    [
      ...profiles.segments.filter((p) => p.size > 0).map((p) => [
        String(p.id), p.name, p.size.toLocaleString('en-US'), formatShare(p.size / s.rows),
        p.topFeatures.map((t) => `${isolate(t.name)} ${t.z > 0 ? '+' : '-'}${Math.abs(t.z).toFixed(1)} sd`).join(', '),
      ]),
      ...(s.unassigned ? [['-', `${UNASSIGNED} (noise, in no segment)`, s.unassigned.size.toLocaleString('en-US'), formatShare(s.unassigned.share), '']] : []),
    ],
    [true, false, true, true, false],
  ));
  if (empty.length > 0) parts.push(noCustomers(empty, 'these data'));
  parts.push('');
  const sampled = s.silhouetteSampleSize ? ` (on ${s.silhouetteSampleSize.toLocaleString('en-US')} sampled rows)` : '';
  parts.push(`silhouette ${formatNumber(s.silhouette)}${sampled} · Calinski-Harabasz ${formatNumber(s.calinskiHarabasz)} · Davies-Bouldin ${formatNumber(s.daviesBouldin)} · inertia ${formatNumber(s.inertia)}`);
  if (s.mixture) parts.push(`gmm (${s.mixture.covarianceType} covariances): BIC ${formatNumber(s.mixture.bic)} · AIC ${formatNumber(s.mixture.aic)} · log-likelihood per row ${formatNumber(s.mixture.lowerBound)}`);
  if (s.recommendation) parts.push(`recommendation: ${s.recommendation.reason}`);
  const what: Record<string, string> = { out: 'segments', model: 'model', report: 'report' };
  const files = Object.entries(s.files).filter(([, p]) => p !== '-').map(([kind, p]) => `${p} (${what[kind]})`);
  if (files.length > 0) parts.push(`wrote ${files.join(', ')}`);
  return parts.join('\n');
}

const RFM_NAMES = new Set<string>([...RFM_SEGMENT_RULES.map((r) => r.segment), CANCELLED_SEGMENT]);

/** The RFM segment of each kept row, when the input has a text column holding only RFM segment names (e.g. from `segkit rfm`). */
function rfmLabels(table: Table, rowIndex: Int32Array): string[] | null {
  for (const field of table.schema.fields) {
    const col = table.getChild(field.name);
    if (!col || typeof col.get(0) !== 'string' && col.get(0) !== null) continue;
    let seen = 0, ok = true;
    for (let i = 0; i < table.numRows && ok; i++) {
      const v = col.get(i);
      if (v === null) continue;
      if (typeof v !== 'string' || !RFM_NAMES.has(v)) ok = false;
      else seen++;
    }
    if (ok && seen > 0) return Array.from(rowIndex, (i) => (col.get(i) as string | null) ?? 'no RFM segment');
  }
  return null;
}

