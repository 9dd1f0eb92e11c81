import type { Table } from '#arrow';
import { type Command, Option } from 'commander';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { freshName } from '../util/labels.js';
import type { Dataset } from '../data/dataset.js';
import { decisionTree } from '../core/treeModel.js';
import { randomForest } from '../core/forestModel.js';
import type { TreeEnsemble } from '../core/treeEnsemble.js';
import type { Target } from '../core/classTarget.js';
import { crossValidate, type CrossValidation } from '../workflow/crossValidate.js';
import { SegmentModel, type SegmentSummary } from '../workflow/segmentModel.js';
import { profileSegments } from '../explain/profileSegments.js';
import { normalisationNote } from './labelForms.js';
import { float64Profile } from './float64Profile.js';
import { pipeline } from '../prep/pipeline.js';
import { checkParent, writeFileAtomic } from '../data/writeFileAtomic.node.js';
import { UsageError } from './exitCodes.js';
import { replacedProbaColumns } from './probaColumns.js';
import { counted, formatNumber, formatShare, formatTable } from './formatTable.js';
import { integer, seedValue } from './optionParsers.js';
import { addFormatOption, addPrepOptions, formatFlag, prepareUnscaled, type PrepFlags } from './prepOptions.js';
import { checkPaths, inFile, inputName, readInputWithText, requireColumn, rowName, targetError } from './readInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { binaryKey, valueReader } from '../data/utf8Text.js';
import { noCustomers } from '../explain/nameSegment.js';

export const CLASSIFIERS = ['tree', 'forest'] as const;

interface TrainFlags extends PrepFlags, CommonFlags {
  readonly target: string;
  readonly model?: string;
  readonly algorithm: (typeof CLASSIFIERS)[number];
  readonly cv?: number;
  readonly maxDepth?: number;
  readonly minSamplesLeaf: number;
  readonly nTrees: number;
  readonly seed: number;
  readonly format?: string;
}

const EXAMPLES = `
Examples:
  $ segkit train labelled.csv --target segment --model classifier.json --cv 5
  $ segkit train labelled.csv --target segment --algorithm tree --max-depth 4 --model rules.json
  $ segkit score new-customers.csv --model classifier.json --out scored.csv

For companies that already have segment labels for some customers: a classifier learns them from the
features and assigns segments to everyone else with segkit score. The target holds segment ids (0, 1, ...)
or names; a "<target>_name" column from segkit segment names the segments. Features are not scaled by
default (trees do not need it, and rules stay in the customers' units).`;

export function registerTrain(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('train')
    .description('learn known segment labels with a decision tree or random forest, for segkit score')
    .argument('<input>', 'table with the features and a segment label column, or - for CSV on stdin')
    .requiredOption('--target <column>', 'column holding each row\'s segment (ids or names)')
    .option('--model <file>', 'save the classifier with its preparation, for segkit score');
  addPrepOptions(cmd, true);
  cmd
    .addOption(new Option('--algorithm <name>', 'classifier').choices(CLASSIFIERS).default('forest'))
    .addOption(new Option('--cv <folds>', 'cross-validate with this many stratified folds first').argParser(integer(2)))
    .addOption(new Option('--max-depth <n>', 'deepest split (default: none for a forest, 4 for a tree)').argParser(integer(1)))
    .addOption(new Option('--min-samples-leaf <n>', 'customers each leaf keeps at least').argParser(integer(1)).default(1))
    .addOption(new Option('--n-trees <n>', 'trees in the forest').argParser(integer(1)).default(100))
    .addOption(new Option('--seed <n>', 'random seed (folds, bootstrap samples, features tried)').argParser(seedValue).default(0));
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((input: string, flags: TrainFlags) => runTrain(input, flags, cmd, new RunContext(signal, flags)));
}

/** A label column as a classifier target: whole numbers as segment ids, anything else as names. */
export function targetColumn(table: Table, column: string, rows: Int32Array, what: string): Target {
  const at = valueReader(table.getChild(column)!);
  // the byte length of each Binary label's text: bytes that are not UTF-8 (ff 01) read as their hexadecimal, the text
  // of other bytes ("ff01"), so one text of two lengths is two labels that would count as one
  const lengths = new Map<string, number>();
  const values = Array.from(rows, (r) => {
    // a Binary label as binaryKey reads it (its text, or its bytes in hexadecimal), not its byte values joined by commas
    const raw = at(r), v = raw instanceof Uint8Array ? binaryKey(raw) : raw;
    if (raw instanceof Uint8Array) {
      if ((lengths.get(v as string) ?? raw.length) !== raw.length) {
        throw new SegkitError('E_BAD_LABELS', `${what}: ${rowName(table, r)}, column "${column}" holds ${JSON.stringify(v)} both as text and as the hexadecimal of bytes that are not UTF-8`, 'store the labels in one form');
      }
      lengths.set(v as string, raw.length);
    }
    if (v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || v === '') {
      throw new SegkitError('E_BAD_LABELS', `${what}: ${rowName(table, r)}, column "${column}" has no label`, 'drop the rows without a segment, or score them with segkit score');
    }
    return typeof v === 'bigint' ? Number(v) : v;
  });
  if (values.every((v) => typeof v === 'number')) {
    // numbers are segment ids as they are; a -1 (noise from dbscan or hdbscan) or a fraction is no id
    const bad = values.findIndex((v) => !(Number.isInteger(v) && (v as number) >= 0));
    if (bad >= 0) {
      throw new SegkitError('E_BAD_LABELS', `${what}: ${rowName(table, rows[bad])}, column "${column}" holds ${values[bad]}; numeric labels are segment ids (whole numbers >= 0)`, 'drop the rows labelled -1 (noise) before training, or give the labels as text');
    }
    // an id past 32 bits would wrap in the int32 target (4294967297 to 1) and name another segment: said exactly
    const wide = values.findIndex((v) => (v as number) > 2 ** 31 - 2);
    if (wide >= 0) {
      throw new SegkitError('E_BAD_LABELS', `${what}: ${rowName(table, rows[wide])}, column "${column}" holds segment id ${String(at(rows[wide]))}, which means more segments than a target can have`, 'segment ids are 0..k-1: renumber the labels, or give them as text');
    }
    return Int32Array.from(values as number[]);
  }
  return values.map(String);
}

/** Segment names for saved summaries: the target's names, a "<target>_name" column, or "segment s". */
function segmentNames(k: number, model: TreeEnsemble, given: ReadonlyMap<number, { name: string }>): string[] {
  if (model.classNames) return [...model.classNames];
  // an id without a name is "segment s", or "segment s (2)" where the file gave that name to another id
  const taken = new Set([...given.values()].map((g) => g.name));
  return Array.from({ length: k }, (_, s) => given.get(s)?.name ?? freshName(`segment ${s}`, taken));
}

/**
 * The names a `<target>_name` column (segkit segment's output) gives numeric segment ids: an id named two ways (one
 * of them would have named it in the model, the other lost), or a name given to two ids, is refused, naming a line of each.
 */
function companionNames(table: Table, column: string, rows: Int32Array, target: Int32Array | string[], what: string): Map<number, { name: string; row: number }> {
  const named = new Map<number, { name: string; row: number }>();
  const companion = table.getChild(`${column}_name`);
  if (!companion || Array.isArray(target)) return named;
  rows.forEach((r, i) => {
    const got = companion.get(r), v = got instanceof Uint8Array ? binaryKey(got) : got;
    if (typeof v !== 'string' || v === '') return;
    const first = named.get(target[i]);
    if (first === undefined) named.set(target[i], { name: v, row: r });
    else if (first.name !== v) {
      throw new SegkitError('E_BAD_LABELS', `${what}: column "${column}_name" names segment ${target[i]} both ${JSON.stringify(first.name)} (${rowName(table, first.row)}) and ${JSON.stringify(v)} (${rowName(table, r)})`,
        `give each segment one name, or leave the "${column}_name" column out of the file`);
    }
  });
  // one name for two segments: the scored file's names would merge them
  const byName = new Map<string, { id: number; row: number }>();
  for (const [id, { name, row }] of named) {
    const other = byName.get(name);
    if (other) {
      throw new SegkitError('E_BAD_LABELS', `${what}: column "${column}_name" names segments ${other.id} (${rowName(table, other.row)}) and ${id} (${rowName(table, row)}) both ${JSON.stringify(name)}`,
        `give each segment its own name, or leave the "${column}_name" column out of the file`);
    }
    byName.set(name, { id, row });
  }
  return named;
}

function fitFor(f: TrainFlags, ctx: RunContext) {
  const run = { threads: ctx.threads, signal: ctx.signal };
  return (data: Dataset, target: Target): Promise<TreeEnsemble> =>
    f.algorithm === 'tree'
      ? decisionTree(data, target, { ...run, maxDepth: f.maxDepth ?? 4, minSamplesLeaf: f.minSamplesLeaf, seed: f.seed })
      : randomForest(data, target, { ...run, nTrees: f.nTrees, ...(f.maxDepth ? { maxDepth: f.maxDepth } : {}), minSamplesLeaf: f.minSamplesLeaf, seed: f.seed });
}

async function runTrain(input: string, f: TrainFlags, cmd: Command, ctx: RunContext): Promise<void> {
  if (f.model === '-') throw new UsageError('--model needs a file path');
  if (f.algorithm === 'tree' && cmd.getOptionValueSource('nTrees') === 'cli') throw new UsageError('--n-trees applies to --algorithm forest, not tree');
  checkPaths([['the input', input]], [['--model', f.model]]);
  if (f.model !== undefined) await checkParent(f.model, '--model');
  const what = inputName(input);
  // the columns --encode names are read as written, as score reads them: their categories are the cells
  const table = await readInputWithText(input, ctx, formatFlag(f), Array.isArray(f.encode) ? f.encode : []);
  requireColumn(table, f.target, '--target', input);
  const names = table.schema.fields.map((x) => x.name);
  // the target's companion from segkit segment (segment_name for segment, and the reverse) is the label again
  const companion = f.target.endsWith('_name') ? f.target.slice(0, -'_name'.length) : `${f.target}_name`;
  const labelColumns = [f.target, ...(names.includes(companion) ? [companion] : [])];
  // trees split on raw values: no scaling unless asked, so rules read in the customers' units
  // the target's membership probabilities (segkit segment --proba) give the labels away: no features either
  const own = replacedProbaColumns(table, f.target.endsWith('_name') ? companion : f.target);
  const { options, prep, prepared } = await prepareUnscaled(cmd, f, table, input, ctx, labelColumns, own);
  const { dataset, rowIndex } = prepared;
  const target = targetColumn(table, f.target, rowIndex, what);
  const given = companionNames(table, f.target, rowIndex, target as Int32Array | string[], what);
  const forms = Array.isArray(target) && normalisationNote(new Set(target as string[]), '--target', f.target);
  if (forms) ctx.note(forms);
  const fit = fitFor(f, ctx);
  let cv: CrossValidation | undefined;
  if (f.cv !== undefined) {
    if (f.cv > dataset.n) throw new UsageError(`--cv ${f.cv}: more folds than the ${dataset.n} rows ${what} has to train on`);
    const bar = ctx.progress.start(`cross-validating (${f.cv} folds)`, 1);
    try {
      cv = await crossValidate(fit, dataset, target, { folds: f.cv, seed: f.seed, signal: ctx.signal }).catch((e) => { throw inFile(targetError(e, '--target', f.target), what); });
    } finally {
      bar.stop();
    }
  }
  const bar = ctx.progress.start(`fitting a ${f.algorithm === 'tree' ? 'decision tree' : `${f.nTrees}-tree forest`}`, 1);
  let model: TreeEnsemble;
  try {
    model = await fit(dataset, target).catch((e) => { throw inFile(targetError(e, '--target', f.target), what); });
  } finally {
    bar.stop();
  }
  throwIfAborted(ctx.signal);
  const ids = Int32Array.from(rowIndex, (_, i) => (model.classNames ? model.classNames.indexOf((target as string[])[i]) : (target as Int32Array)[i]));
  const segNames = segmentNames(model.k, model, given);
  const trainAccuracy = model.labels.filter((p, i) => p === ids[i]).length / ids.length;
  if (f.model !== undefined) {
    // segment summaries in the customers' units: the same selection and imputation, no scaling
    let raw = dataset, steps = prep.steps;
    if (options.scale !== false) {
      const unscaled = pipeline({ ...options, scale: false });
      raw = (await unscaled.fitTransform(table, { threads: ctx.threads, signal: ctx.signal })).dataset;
      steps = unscaled.steps;
    }
    // means of the customers' float64 values where float32 would move them, as segkit segment gives them
    const profiles = profileSegments(float64Profile(raw, table, rowIndex, steps), ids, model.k);
    const segments: SegmentSummary[] = profiles.segments.map((s) => ({
      id: s.id, name: segNames[s.id], size: s.size, share: s.share,
      means: Object.fromEntries(profiles.features.map((name, j) => [name, s.mean[j]])),
    }));
    await writeFileAtomic(f.model, `${JSON.stringify(new SegmentModel({ pipeline: prep, model, segments }).toJSON())}\n`, ctx.signal);
  }
  // segment ids with no row in the file (segments 0 and 2 only): the model keeps them, but no segment was learned for them
  const absent = Array.from({ length: model.k }, (_, c) => c).filter((c) => !model.classes.includes(c));
  const importance = Array.from(model.featureImportances, (v, j) => ({ feature: dataset.names[j], importance: v })).sort((a, b) => b.importance - a.importance);
  const summary = {
    rows: dataset.n, features: [...dataset.names], algorithm: f.algorithm, k: model.k, segments: segNames, ...(absent.length ? { absentSegments: absent } : {}),
    trainAccuracy,
    ...(cv ? { cv: { folds: cv.folds.map((x) => ({ fold: x.fold, rows: x.testRows.length, ...pick(x.scores) })), mean: cv.mean, std: cv.std, confusion: cv.pooled.confusion, labels: cv.pooled.labels } } : {}),
    importance,
    ...(f.model !== undefined ? { model: f.model } : {}),
  };
  if (ctx.json) {
    ctx.printJson(summary);
    return;
  }
  const out: string[] = [`${dataset.n.toLocaleString('en-US')} rows · ${counted(dataset.d, 'feature')} · ${model.nClasses} segments · ${f.algorithm === 'tree' ? 'decision tree' : `random forest of ${f.nTrees} trees`}`];
  if (absent.length) out.push(noCustomers(absent.map(String), 'this file'));
  if (cv) {
    out.push('', `cross-validated (${f.cv} stratified folds, seed ${f.seed}):`);
    out.push(formatTable(
      ['fold', 'rows', 'accuracy', 'balanced accuracy', 'F1 (macro)'],
      [
        ...cv.folds.map((x) => [String(x.fold + 1), String(x.testRows.length), formatShare(x.scores.accuracy), formatShare(x.scores.balancedAccuracy), formatNumber(x.scores.f1Macro)]),
        ['mean', '', formatShare(cv.mean.accuracy), formatShare(cv.mean.balancedAccuracy), formatNumber(cv.mean.f1Macro)],
      ],
      [false, true, true, true, true],
    ));
  }
  out.push('', `on the training rows: ${formatShare(trainAccuracy)} assigned their own segment`);
  out.push('', formatTable(['feature', 'importance'], importance.slice(0, 10).map((x) => [x.feature, formatShare(x.importance)]), [false, true]));
  if (f.model !== undefined) out.push('', `wrote ${f.model} (score new customers with: segkit score FILE --model ${f.model} --out scored.csv)`);
  ctx.print(out.join('\n'));
}

function pick(s: { accuracy: number; balancedAccuracy: number; precisionMacro: number; recallMacro: number; f1Macro: number }) {
  return { accuracy: s.accuracy, balancedAccuracy: s.balancedAccuracy, precisionMacro: s.precisionMacro, recallMacro: s.recallMacro, f1Macro: s.f1Macro };
}
