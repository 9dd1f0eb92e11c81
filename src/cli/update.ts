import { type Command, Option } from 'commander';
import { SegmentModel } from '../workflow/segmentModel.js';
import { MiniBatchKMeansModel } from '../core/miniBatchKMeansModel.js';
import { checkParent, writeFileAtomic } from '../data/writeFileAtomic.node.js';
import type { Dataset } from '../data/dataset.js';
import { SegkitError, throwIfAborted } from '../util/errors.js';
import { countFilled, countUnknown, filledNote, unknownNote } from './unknownCategories.js';
import { UsageError } from './exitCodes.js';
import { formatNumber, formatTable } from './formatTable.js';
import { finiteNumber } from './optionParsers.js';
import { addFormatOption, formatFlag } from './prepOptions.js';
import { atRow, checkPaths, inFile, inputName } from './readInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { loadModel, missingWords, readForModel } from './score.js';

interface UpdateFlags extends CommonFlags {
  readonly out?: string;
  readonly halfLife?: number;
  readonly halfLifeUnit: 'batches' | 'rows';
  readonly format?: string;
  readonly allowLargeMoves?: boolean;
}

const EXAMPLES = `
Examples:
  $ segkit segment customers.csv --algorithm minibatch-kmeans --k 6 --model model.json
  $ segkit update model.json this-week.csv
  $ segkit update model.json today.parquet --half-life 30 --out model-new.json --json

The new rows go through the model's preparation pipeline, then one mini-batch step per batch-size rows moves each
segment centre towards its new customers by 1 / (the weight it has absorbed). --half-life makes older behaviour count
less: the absorbed weights halve every N batches (or rows, with --half-life-unit rows). The model file is replaced
atomically (written to a temporary file, then renamed), so a failed or cancelled update leaves it as it was.

An update that would move a centre over 1,000 times as far as the two farthest centres lay apart is refused, naming
the line of the new row farthest from the model (a value in the wrong units drags a centre away, and scoring then
sends its customers elsewhere); --allow-large-moves saves such an update.`;

export function registerUpdate(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('update')
    .description('keep a mini-batch k-means model learning from new customers, and save it')
    .argument('<model>', 'model JSON written by segkit segment --algorithm minibatch-kmeans --model')
    .argument('<input>', 'new customer rows with the columns the model reads, or - for CSV on stdin')
    .option('--out <file>', 'write the updated model here instead of replacing <model>')
    .addOption(new Option('--half-life <n>', 'forget: absorbed weights halve every n batches (or rows)').argParser((v) => {
      const n = finiteNumber(v);
      if (!(n > 0)) throw new UsageError('--half-life must be a number > 0');
      return n;
    }))
    .addOption(new Option('--half-life-unit <unit>', 'what --half-life counts').choices(['batches', 'rows']).default('batches'))
    .option('--allow-large-moves', 'save the model even when a centre moves over 1,000 times as far as the two farthest centres lay apart');
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action((model: string, input: string, flags: UpdateFlags) => {
    // its default says nothing; given on the command line without --half-life it would silently do nothing
    if (cmd.getOptionValueSource('halfLifeUnit') === 'cli' && flags.halfLife === undefined) throw new UsageError('--half-life-unit only applies with --half-life');
    return runUpdate(model, input, flags, new RunContext(signal, flags));
  });
}

async function runUpdate(modelPath: string, input: string, f: UpdateFlags, ctx: RunContext): Promise<void> {
  if (f.out === '-') throw new UsageError('--out needs a file path');
  // saving over the model is what update does by default; over the new rows, never
  checkPaths([['the model', modelPath], ['the input', input]], [['--out', f.out]], ['the model']);
  if (f.out !== undefined) await checkParent(f.out, '--out');
  const saved = await loadModel(modelPath);
  if (saved.kind !== 'minibatch-kmeans') {
    throw new UsageError(`"${modelPath}" holds ${/^[aeiou]/.test(saved.kind) ? 'an' : 'a'} ${saved.kind} model; only mini-batch k-means keeps learning (segment with --algorithm minibatch-kmeans)`);
  }
  // a bare model saved by the library (model.toJSON()) is read for scoring only: it has no preparation or summaries to save with it
  if (!(saved.model instanceof MiniBatchKMeansModel)) {
    throw new UsageError(`"${modelPath}" holds a bare minibatch-kmeans model (the library's model.toJSON(), with no preparation to save with it); update a model file of segkit segment --algorithm minibatch-kmeans --model, or continue this one in the library with model.partialFit`);
  }
  const model = saved.model;
  const what = inputName(input);
  // the model's columns read with their types, as score reads them: an empty column is missing numbers, not text
  const table = await readForModel(input, ctx, saved, formatFlag(f));
  let prepared;
  try {
    prepared = saved.pipeline.transform(table);
  } catch (error) {
    // a missing value the model fills in none of (segment --impute none): the remedy in the command's terms, as score says it
    throw atRow(missingWords(error, saved), table, what);
  }
  const unknown = new Map<string, number>();
  countUnknown(unknown, prepared.report);
  const unseen = unknownNote(unknown, what);
  if (unseen) ctx.note(unseen);
  const filled = new Map<string, number>();
  countFilled(filled, prepared.report.steps);
  const fills = filledNote(filled, what);
  if (fills) ctx.note(fills);
  const before = model.centroids;
  const steps = model.nSteps;
  const bar = ctx.progress.start('learning', 1);
  try {
    await model.partialFit(prepared.dataset, {
      threads: ctx.threads, signal: ctx.signal,
      ...(f.halfLife !== undefined ? { halfLife: f.halfLife, halfLifeUnit: f.halfLifeUnit } : {}),
    });
  } catch (error) {
    throw error instanceof SegkitError && error.code === 'E_NAN_INPUT' ? atRow(error, table, what, 0, true, prepared.rowIndex) : inFile(error, what);
  } finally {
    bar.stop();
  }
  throwIfAborted(ctx.signal);
  const after = model.centroids;
  const moved = after.map((c, t) => Math.hypot(...c.map((v, j) => v - before[t][j])));
  if (!f.allowLargeMoves) {
    try {
      refuseLargeMove(moved, before, prepared.dataset, saved.segments.map((s) => s.name));
    } catch (error) {
      throw atRow(error, table, what, 0, true, prepared.rowIndex);
    }
  }
  const target = f.out ?? modelPath;
  const updated = new SegmentModel({ pipeline: saved.pipeline, model, segments: saved.segments });
  await writeFileAtomic(target, `${JSON.stringify(updated.toJSON())}\n`, ctx.signal);
  const summary = {
    rows: prepared.dataset.n,
    rowsSeen: model.rowsSeen,
    unused: table.numRows - prepared.dataset.n,
    steps: model.nSteps - steps,
    model: target,
    segments: saved.segments.map((s, t) => ({ id: s.id, name: s.name, moved: moved[t], weight: model.counts[t], newRows: model.labels.filter((l) => l === t).length })),
  };
  if (ctx.json) {
    ctx.printJson(summary);
    return;
  }
  ctx.print([
    `learned from ${summary.rows.toLocaleString('en-US')} rows in ${summary.steps} mini-batch steps${summary.unused > 0 ? ` (${summary.unused} rows dropped by the model's outlier rule)` : ''}; wrote ${target}`,
    '',
    formatTable(
      ['id', 'segment', 'new rows', 'centre moved', 'absorbed weight'],
      summary.segments.map((s) => [String(s.id), s.name, s.newRows.toLocaleString('en-US'), formatNumber(s.moved), formatNumber(s.weight)]),
      [true, false, true, true, true],
    ),
    '',
    'centre moved: distance between the old and new centre in the prepared (scaled) features',
  ].join('\n'));
}

/**
 * How far a centre may move in one update, in distances between the two farthest centres. Forgetting (--half-life)
 * and the reassignment of small segments legitimately move a centre as far as new behaviour lies (a few spans: a
 * segment following customers who drifted 3 standard deviations moved 2.6 spans); a row in the wrong units moves it
 * by orders of magnitude more (a sessions count of -3e30 in one row of 1,000 moved a centre 1.6e25 against a span of 6).
 */
const LARGE_MOVE = 1000;

/**
 * A centre moved farther than LARGE_MOVE times the distance between the two farthest centres: refused (E_NAN_INPUT),
 * naming the new row farthest from its nearest old centre and its column farthest from that centre, the rows
 * numbered as in `data`.
 */
function refuseLargeMove(moved: readonly number[], before: readonly (readonly number[])[], data: Dataset, names: readonly string[]): void {
  let t = 0;
  for (let q = 1; q < moved.length; q++) if (moved[q] > moved[t]) t = q;
  let span = 0;
  for (let a = 0; a < before.length; a++) {
    for (let b = a + 1; b < before.length; b++) {
      let s = 0;
      for (let j = 0; j < before[a].length; j++) s += (before[a][j] - before[b][j]) ** 2;
      span = Math.max(span, Math.sqrt(s));
    }
  }
  // (one centre has no span to compare with; a move that is not a finite number is always refused)
  if (span === 0 ? Number.isFinite(moved[t]) : moved[t] <= LARGE_MOVE * span) return;
  let row = 0, far = -1, near = 0;
  for (let i = 0; i < data.n; i++) {
    let best = Infinity, c = 0;
    for (let q = 0; q < before.length; q++) {
      let s = 0;
      for (let j = 0; j < data.d; j++) s += (data.columns[j][i] - before[q][j]) ** 2;
      if (s < best) { best = s; c = q; }
    }
    if (best > far) { far = best; row = i; near = c; }
  }
  let col = 0;
  for (let j = 1; j < data.d; j++) {
    if (Math.abs(data.columns[j][row] - before[near][j]) > Math.abs(data.columns[col][row] - before[near][col])) col = j;
  }
  throw new SegkitError('E_NAN_INPUT', `row ${row}, column "${data.names[col]}" holds ${data.columns[col][row]}, the new row farthest from the model: learning from these rows would move segment ${t} ("${names[t]}") by ${moved[t].toPrecision(3)}, over ${LARGE_MOVE.toLocaleString('en-US')} times as far as the two farthest segments lay apart (${span.toPrecision(3)}); the model is unchanged`,
    'check that row\'s units, or leave it out; --allow-large-moves saves such an update');
}
