import type { Table } from '#arrow';
import { type Command, Option } from 'commander';
import { fromColumns, type Dataset } from '../data/dataset.js';
import { baseMessage, SegkitError, throwIfAborted } from '../util/errors.js';
import { adjustedMutualInfoScore } from '../metrics/adjustedMutualInfoScore.js';
import { adjustedRandScore } from '../metrics/adjustedRandScore.js';
import { calinskiHarabaszFromStats } from '../metrics/calinskiHarabaszScore.js';
import { clusterStats } from '../metrics/clusterStats.js';
import { internalLabels } from '../metrics/internalLabels.js';
import { daviesBouldinFromStats } from '../metrics/daviesBouldinScore.js';
import { homogeneityCompletenessVMeasure } from '../metrics/homogeneityCompletenessVMeasure.js';
import { normalizedMutualInfoScore } from '../metrics/normalizedMutualInfoScore.js';
import { UsageError } from './exitCodes.js';
import { replacedProbaColumns } from './probaColumns.js';
import { counted, formatNumber, formatTable } from './formatTable.js';
import { integer, seedValue } from './optionParsers.js';
import { addFormatOption, addPrepOptions, formatFlag, prepareFeatures, type PrepFlags } from './prepOptions.js';
import { atRow, inFile, inputName, readInput, requireColumn } from './readInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { EXACT_SILHOUETTE_ROWS, MISSED_SAMPLE_NOTE, sampleDefinesSilhouette, silhouette } from './silhouette.js';
import { UNASSIGNED } from './withSegments.js';
import { binaryKey, valueReader } from '../data/utf8Text.js';
import { normalisationNote } from './labelForms.js';

interface EvaluateFlags extends PrepFlags, CommonFlags {
  readonly labels: string;
  readonly truth?: string;
  readonly sampleSize?: number;
  readonly seed: number;
  readonly format?: string;
}

const EXAMPLES = `
Examples:
  $ segkit evaluate segments.csv --labels segment
  $ segkit evaluate segments.csv --labels segment --truth segment_truth --json
  $ segkit evaluate big.parquet --labels cluster --columns recency,frequency,monetary --scale log --sample-size 50000

Internal metrics are computed on the features as segkit segment prepares them (same --columns, --scale, ...).
The silhouette is exact up to ${EXACT_SILHOUETTE_ROWS.toLocaleString('en-US')} rows and uses a seeded sample above that (--sample-size).
Labels may be integers or text; text labels are numbered in sorted order. The label column, --truth and the
label's companion from segkit segment (segment_name for segment, and the reverse) and its --proba columns are never
features. Rows in no segment (a density model's noise: segment -1, "Unassigned") are left out, as segkit segment
leaves them out.`;

export function registerEvaluate(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('evaluate')
    .description('score a segmentation: silhouette, Calinski-Harabasz, Davies-Bouldin, and agreement with known classes')
    .argument('<input>', 'table with the features and a label column, or - for CSV on stdin')
    .requiredOption('--labels <column>', 'column holding each row\'s segment')
    .option('--truth <column>', 'column holding known classes, for external metrics (adjusted Rand, mutual information, V-measure)');
  addPrepOptions(cmd);
  cmd
    .addOption(new Option('--sample-size <rows>', `silhouette on a seeded sample of this many rows when there are more (default: ${EXACT_SILHOUETTE_ROWS})`).argParser(integer(3)))
    .addOption(new Option('--seed <n>', 'seed of the silhouette sample').argParser(seedValue).default(0));
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((input: string, flags: EvaluateFlags) => runEvaluate(input, flags, new RunContext(signal, flags)));
}

/**
 * A label column as integers: whole numbers as they are, anything else numbered in sorted order. A missing label fails
 * naming its line. `rows`: only these table rows' labels, in this order (the others are not read).
 */
export function labelColumn(table: Table, column: string, what: string, rows?: Int32Array): Int32Array {
  return namedLabelColumn(table, column, what, rows).ids;
}

/**
 * labelColumn, with the text of each number when the labels are text (names: the sorted distinct labels; none for
 * whole numbers). Whole numbers beyond 32 bits are numbered in ascending order and named by their digits; `negative`
 * then counts the ids below 0, which come first (segment ids below 0 mark rows in no segment, whatever their width).
 */
export function namedLabelColumn(table: Table, column: string, what: string, rows?: Int32Array): { ids: Int32Array; names?: string[]; negative?: number } {
  const at = valueReader(table.getChild(column)!);
  const n = rows ? rows.length : table.numRows;
  const values = new Array<unknown>(n);
  let numeric = true, whole = true;
  // the byte length of each Binary label's text: bytes that are not UTF-8 (ff 01) read as their hexadecimal, which is
  // the text of other bytes ("ff01"), so one text of two lengths is two labels that would count as one
  const lengths = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const row = rows ? rows[i] : i;
    const v = at(row);
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v))) {
      throw atRow(new SegkitError('E_BAD_LABELS', `row ${row}, column "${column}" has no label`, 'every row needs a label'), table, what);
    }
    // a Binary label as binaryKey reads it, not its byte values joined by commas; a 64-bit integer beyond 2^53 stays
    // a bigint, since as a float64 it would round to its neighbour's value (2^53 + 1 to 2^53) and two segments merge
    const x = typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v) : v instanceof Uint8Array ? binaryKey(v) : v;
    const had = v instanceof Uint8Array ? lengths.get(x as string) : undefined;
    if (had !== undefined && had !== (v as Uint8Array).length) {
      throw atRow(new SegkitError('E_BAD_LABELS', `row ${row}, column "${column}" holds ${JSON.stringify(x)} both as text and as the hexadecimal of bytes that are not UTF-8`, 'store the labels in one form'), table, what);
    }
    if (v instanceof Uint8Array) lengths.set(x as string, v.length);
    if (typeof x === 'bigint') numeric = false;
    else if (typeof x !== 'number' || !Number.isInteger(x)) numeric = whole = false;
    else if (Math.abs(x) > 2 ** 31 - 1) numeric = false;
    values[i] = x;
  }
  if (numeric) return { ids: Int32Array.from(values as number[]) };
  if (whole) {
    const sorted = [...new Set(values as (number | bigint)[])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const code = new Map(sorted.map((v, c) => [v, c]));
    return { ids: Int32Array.from(values as number[], (v) => code.get(v)!), names: sorted.map(String), negative: sorted.filter((v) => v < 0).length };
  }
  const distinct = [...new Set(values.map(String))].sort();
  const code = new Map(distinct.map((s, c) => [s, c]));
  return { ids: Int32Array.from(values, (v) => code.get(String(v))!), names: distinct };
}

/** Prepared rows and their labels, the rows in no segment (noise of a density model) left out. */
export interface SegmentRows {
  readonly dataset: Dataset;
  /** The table row of each prepared row kept. */
  readonly rowIndex: Int32Array;
  readonly labels: Int32Array;
  /** Text labels' names, numbered from 0 (none for whole numbers: those are segment ids as they are). */
  readonly names?: string[];
  /** A table row's label, -1 for a row in no segment. */
  labelOf(row: number): number;
  /** Prepared rows left out as in no segment. */
  readonly unassigned: number;
  /** A note naming them, when there are some. */
  readonly note?: string;
}

/**
 * The labels of the prepared rows, the rows in no segment left out: segkit segment writes -1 for a density model's
 * noise, and its name column then says "Unassigned", so a negative number in the label column, or with text labels
 * in their numeric companion column (segment for segment_name), marks a row in no segment, never a segment of its own.
 */
export function segmentRows(table: Table, column: string, companion: string, what: string, dataset: Dataset, rowIndex: Int32Array): SegmentRows {
  const { ids, names, negative } = namedLabelColumn(table, column, what);
  let why: string | undefined;
  let isNoise = (_row: number): boolean => false;
  if (!names || negative !== undefined) {
    why = `column "${column}" below 0`;
    isNoise = negative === undefined ? (row) => ids[row] < 0 : (row) => ids[row] < negative;
  } else {
    const vec = table.getChild(companion);
    const at = (row: number): unknown => vec!.get(row);
    const numbers = vec !== null && table.numRows > 0 && Array.from({ length: table.numRows }, (_, r) => at(r)).every((v) => (typeof v === 'number' && Number.isInteger(v)) || typeof v === 'bigint');
    if (numbers) {
      why = `column "${companion}" below 0`;
      isNoise = (row) => Number(at(row)) < 0;
    } else {
      // the names alone (the id column left out of the file): segkit segment names a row in no segment "Unassigned"
      const none = names.indexOf(UNASSIGNED);
      why = `column "${column}" is "${UNASSIGNED}"`;
      isNoise = (row) => ids[row] === none;
    }
  }
  // the kept rows' places among the prepared rows, and their table rows
  const placed: number[] = [];
  for (let i = 0; i < rowIndex.length; i++) if (!isNoise(rowIndex[i])) placed.push(i);
  const places = Int32Array.from(placed);
  const keep = Int32Array.from(places, (i) => rowIndex[i]);
  const unassigned = rowIndex.length - keep.length;
  if (unassigned === 0) {
    const labels = Int32Array.from(rowIndex, (r) => ids[r]);
    return { dataset, rowIndex, labels, ...(names ? { names } : {}), labelOf: (row) => ids[row], unassigned };
  }
  if (keep.length === 0) throw new UsageError(`--labels: no row of ${what} is in a segment (column "${column}")`);
  const sub = fromColumns({ columns: dataset.columns.map((c) => Float32Array.from(places, (i) => c[i])), names: dataset.names });
  // text labels renumbered over the names that remain
  let code: Int32Array | undefined, kept: string[] | undefined;
  if (names) {
    const used = [...new Set(Array.from(keep, (r) => ids[r]))].sort((a, b) => a - b);
    code = new Int32Array(names.length).fill(-1);
    used.forEach((id, c) => { code![id] = c; });
    kept = used.map((id) => names[id]);
  }
  const labelOf = (row: number): number => (isNoise(row) ? -1 : code ? code[ids[row]] : ids[row]);
  const labels = Int32Array.from(keep, labelOf);
  const note = `left out: ${unassigned.toLocaleString('en-US')} ${unassigned === 1 ? 'row' : 'rows'} in no segment (${why}: the noise of a density model), as segkit segment leaves them out of its metrics`;
  return { dataset: sub, rowIndex: keep, labels, ...(kept ? { names: kept } : {}), labelOf, unassigned, note };
}

async function runEvaluate(input: string, f: EvaluateFlags, ctx: RunContext): Promise<void> {
  if (f.truth !== undefined && f.truth === f.labels) throw new UsageError('--truth and --labels name the same column');
  const what = inputName(input);
  const table = await readInput(input, ctx, formatFlag(f));
  requireColumn(table, f.labels, '--labels', input);
  if (f.truth !== undefined) requireColumn(table, f.truth, '--truth', input);
  const labelColumns = [f.labels, ...(f.truth !== undefined ? [f.truth] : [])];
  // segkit segment writes a segment id and its name side by side; with either as the labels, the other is no feature.
  const names = table.schema.fields.map((x) => x.name);
  const companion = f.labels.endsWith('_name') ? f.labels.slice(0, -'_name'.length) : `${f.labels}_name`;
  if (names.includes(companion) && !(f.columns ?? []).includes(companion)) labelColumns.push(companion);
  // the labels' membership probabilities (segkit segment --proba) describe the labels: no features either
  const own = replacedProbaColumns(table, f.labels.endsWith('_name') ? companion : f.labels);
  const { result: prepared, report } = await prepareFeatures(f, table, input, ctx, labelColumns, own);
  const { dataset, rowIndex, labels, note, unassigned, names: labelNames } = segmentRows(table, f.labels, companion, what, prepared.dataset, prepared.rowIndex);
  if (note) ctx.note(note);
  const forms = labelNames && normalisationNote(labelNames, '--labels', f.labels);
  if (forms) ctx.note(forms);
  // the metrics compare segments: one is not enough (said in the command's terms, with the rows left out)
  if (labels.length > 0 && labels.every((l) => l === labels[0])) {
    throw new UsageError(`--labels: every row of ${what}${unassigned > 0 ? ` in a segment (${unassigned.toLocaleString('en-US')} more are in none)` : ''} is in one segment, column "${f.labels}"; the metrics compare two segments or more`);
  }
  throwIfAborted(ctx.signal);

  const run = { threads: ctx.threads, signal: ctx.signal };
  const bar = ctx.progress.start('scoring the segments', 2);
  let sil, stats;
  try {
    // the scores compare 2 to n - 1 segments (the statistics alone are defined for any number)
    stats = await (async () => { internalLabels(labels, dataset.n); return clusterStats(dataset, labels, run); })().catch((error) => {
      throw inFile(error, what);
    });
    bar.update(1, 'silhouette');
    // the default sample may miss a small segment whole: no silhouette then, as segment reads it (a --sample-size
    // given is refused below instead)
    const missed = f.sampleSize === undefined && !sampleDefinesSilhouette(labels, f.seed);
    if (missed) ctx.note(`${MISSED_SAMPLE_NOTE}; a larger --sample-size may hold them`);
    sil = missed ? { score: Number.NaN, sampleSize: EXACT_SILHOUETTE_ROWS } : await silhouette(dataset, labels, { ...run, seed: f.seed, sampleSize: f.sampleSize }).catch((error: unknown) => {
      // a sample too small for the segments: the sampled rows fell in one segment, or in as many as there are rows
      if (error instanceof SegkitError && error.code === 'E_BAD_LABELS' && f.sampleSize !== undefined && dataset.n > f.sampleSize) {
        throw new UsageError(`--sample-size ${f.sampleSize}: the sampled rows fall in too few segments, or in one segment each, for a silhouette (${baseMessage(error)}); raise --sample-size`);
      }
      throw error;
    });
  } finally {
    bar.stop();
  }
  let inertia = 0;
  for (const v of stats.sumSq) inertia += v;
  const internal = {
    silhouette: sil.score,
    silhouetteSampleSize: sil.sampleSize,
    calinskiHarabasz: calinskiHarabaszFromStats(stats),
    daviesBouldin: daviesBouldinFromStats(stats),
    inertia,
  };
  let external: Record<string, number> | undefined;
  if (f.truth !== undefined) {
    // the rows scored only: a row left out (in no segment) needs no known class
    const { ids: truth, names: truthNames } = namedLabelColumn(table, f.truth, what, rowIndex);
    const truthForms = truthNames && normalisationNote(truthNames, '--truth', f.truth);
    if (truthForms) ctx.note(truthForms);
    const hcv = homogeneityCompletenessVMeasure(truth, labels);
    external = {
      adjustedRand: adjustedRandScore(truth, labels),
      adjustedMutualInfo: adjustedMutualInfoScore(truth, labels),
      normalizedMutualInfo: normalizedMutualInfoScore(truth, labels),
      homogeneity: hcv.homogeneity,
      completeness: hcv.completeness,
      vMeasure: hcv.vMeasure,
    };
  }
  const sizes = [...stats.counts];
  // the segments in the order of their label values: `ids` (whole numbers, which need not run 0..k-1: a filtered file
  // lacks some) or `names` (text labels, sorted), sizes[c] being the size of the segment ids[c] or names[c]
  const ids = labelNames ? undefined : [...new Set(labels)].sort((a, b) => a - b);
  const summary = { rows: dataset.n, features: [...dataset.names], k: stats.k, sizes, ...(labelNames ? { names: labelNames } : { ids }), ...internal, ...(external ? { external } : {}), ...report, notices: ctx.notices };
  if (ctx.json) {
    ctx.printJson(summary);
    return;
  }
  const rows: string[][] = [
    ['silhouette', formatNumber(internal.silhouette), `higher is better, -1 to 1${sil.sampleSize ? `; on ${sil.sampleSize.toLocaleString('en-US')} sampled rows` : ''}`],
    ['Calinski-Harabasz', formatNumber(internal.calinskiHarabasz), 'higher is better'],
    ['Davies-Bouldin', formatNumber(internal.daviesBouldin), 'lower is better'],
    ['inertia', formatNumber(internal.inertia), 'within-segment sum of squares'],
  ];
  const ext: string[][] = external
    ? [
        ['adjusted Rand', formatNumber(external.adjustedRand), `agreement with "${f.truth}", 1 is perfect, 0 is chance`],
        ['adjusted mutual info', formatNumber(external.adjustedMutualInfo), '1 is perfect, 0 is chance'],
        ['normalized mutual info', formatNumber(external.normalizedMutualInfo), '0 to 1'],
        ['homogeneity', formatNumber(external.homogeneity), 'each segment holds one class'],
        ['completeness', formatNumber(external.completeness), 'each class sits in one segment'],
        ['V-measure', formatNumber(external.vMeasure), 'harmonic mean of the two'],
      ]
    : [];
  ctx.print([
    `${dataset.n.toLocaleString('en-US')} rows · ${counted(dataset.d, 'feature')} · ${stats.k} segments in "${f.labels}"`,
    '',
    formatTable(['metric', 'value', ''], [...rows, ...ext], [false, true, false]),
  ].join('\n'));
}
