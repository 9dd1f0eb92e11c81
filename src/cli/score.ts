import { type Table, tableToIPC } from '#arrow';
import { Piscina } from 'piscina';
import { open, readFile, type FileHandle } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import type { Executor, RunOptions } from '../engine/executor.js';
import { SegmentModel } from '../workflow/segmentModel.js';
import type { SegmentationModel } from '../core/model.js';
import type { Dataset } from '../data/dataset.js';
import { fastDataset } from '../prep/fastTransform.js';
import { transformLabel } from './transformLabel.js';
import type { ColumnType } from '../data/columnBuilder.js';
import { csvInfo, csvRecordsWith } from '../data/csvCore.js';
import type { TableFormat } from '../data/tableFormat.js';
import { writeCsvBytes } from '../data/writeCsv.js';
import { arrowFlavour, writeTable } from '../data/writeTable.node.js';
import { SegkitError, baseMessage, restate, throwIfAborted } from '../util/errors.js';
import { modelValue } from '../util/modelJson.js';
import { UsageError } from './exitCodes.js';
import { formatNumber, formatShare } from './formatTable.js';
import { isolate } from '../util/bidiText.js';
import { columnList, integer } from './optionParsers.js';
import { queueName, redisUrl, storeUrl } from './executorOptions.js';
import { haversineWords } from './densityOptions.js';
import { addFormatOption, formatFlag } from './prepOptions.js';
import { atRow, checkPaths, checkReadOptions, counted, csvHeader, inFile, inputFormat, inputName, noteDelimiter, outputFormat, readInput, readerOptions, requireColumns } from './readInput.js';
import { addCommonOptions, RunContext, type CommonFlags } from './runContext.js';
import { replacedColumns, replacingNote, withSegments } from './withSegments.js';
import { replacedProbaColumns, withoutProbabilities, withProbabilities } from './probaColumns.js';
import { AtomicFile, checkParent, writeFailure } from '../data/writeFileAtomic.node.js';
import { bareModel } from './bareModel.js';
import type { CsvFormatTask, CsvFormatted } from './csvFormatWorker.js';
import { type RecordBlock, RecordTexts } from '../data/recordTexts.js';
import { type RecordRowsTask, recordRows } from './verbatimCsv.js';
import { countFilled, countUnknown, filledNote, unknownNote } from './unknownCategories.js';
import { ArrowFileSink, readArrowBatches } from '../data/arrowBatches.node.js';
import { wholeNumbersAsIntegers } from './wholeNumbers.js';

interface ScoreFlags extends CommonFlags {
  readonly model: string;
  readonly out: string;
  readonly batchSize: number;
  readonly segmentColumn: string;
  readonly format?: string;
  readonly executor?: string;
  readonly store?: string;
  readonly queue?: string;
  readonly proba?: boolean;
  readonly keep?: string[];
}

const DEFAULT_BATCH = 65_536;
/** Streamed CSV batches with --executor: 16 shards, so every worker has shards of each batch. */
const DISTRIBUTED_BATCH = 16 * 65_536;

const EXAMPLES = `
Examples:
  $ segkit score new-customers.csv --model model.json --out scored.csv
  $ segkit score new-customers.csv --model classifier.json --out scored.csv   # from segkit train
  $ segkit score huge.csv --model model.json --out scored.csv --batch-size 200000
  $ segkit score customers.parquet --model model.json --out scored.parquet --json
  $ cat new.csv | segkit score - --model model.json --out - > scored.csv
  $ segkit score huge.parquet --model model.json --out scored.parquet --executor redis://10.0.0.5:6379 --store file:///mnt/segkit
  $ segkit score new.csv --model gmm-model.json --out scored.csv --proba
  $ segkit score new.csv --model classifier.json --out scored.csv --proba   # a tree's or forest's class probabilities
  $ segkit score huge.arrow --model model.json --out ids.arrow --keep customer_id   # ids and segments only

CSV and Arrow IPC input is read and scored in batches, and CSV and Arrow IPC output is written as it goes (to a
temporary file renamed at the end), so files larger than memory work. Other formats are read and written whole.`;

export function registerScore(program: Command, signal: AbortSignal): void {
  const cmd = program
    .command('score')
    .description('assign customers to the segments of a saved model')
    .argument('<input>', 'customer table with the columns the model was fitted on, or - for CSV on stdin')
    .requiredOption('--model <file>', 'model JSON written by segkit segment --model or segkit train --model (or a bare model from the library)')
    .requiredOption('--out <file>', 'output table: the input rows with segment and segment_name columns (- for CSV on stdout)')
    .addOption(new Option('--batch-size <rows>', 'rows per batch when streaming CSV').argParser(integer(1)).default(DEFAULT_BATCH))
    .option('--segment-column <name>', 'name of the segment id column (its name column adds _name)', 'segment')
    .addOption(new Option('--executor <url>', 'score on segkit workers through BullMQ on Redis (redis://host:6379, rediss:// for TLS)').argParser(redisUrl('--executor')))
    .addOption(new Option('--store <url>', 'with --executor: where shards go, reached by every worker (file:///shared/dir)').argParser(storeUrl('--store')))
    .addOption(new Option('--queue <name>', 'with --executor: the queue the workers serve (segkit worker --queue; default segkit)').argParser(queueName('--queue')))
    .option('--proba', 'gmm, tree and forest models: add each row\'s probability of every segment (columns <segment-column>_proba_<id>; a tree or forest gives its leaves\' class shares, averaged over the trees)')
    .addOption(new Option('--keep <columns>', 'input columns the output carries, comma-separated, in this order (default: all of them)').argParser(columnList));
  addFormatOption(cmd);
  addCommonOptions(cmd);
  cmd.addHelpText('after', EXAMPLES);
  cmd.action(async (input: string, flags: ScoreFlags, command: Command) => {
    const executor = await distributedExecutor(flags);
    const batchSize = executor && command.getOptionValueSource('batchSize') === 'default' ? DISTRIBUTED_BATCH : flags.batchSize;
    try {
      await runScore(input, { ...flags, batchSize }, new RunContext(signal, flags), executor);
    } finally {
      await executor?.close();
    }
  });
}

// a haversine model's refusal of a coordinate, in its file's terms
const HAVERSINE = '(the model measures haversine distances, in degrees)';
const HAVERSINE_HINT = 'a latitude is from -90 to 90 degrees: check the value, and that the latitude and longitude columns are not swapped';

/**
 * A value the model's preparation leaves missing, in the command line's terms (the library's hint names its `impute`
 * option): a haversine model never fills in coordinates; another model was fitted with --impute none. So is a value
 * of -1 or below in a model that scales with log1p (the library's hint names its per-column scaling option), and a
 * text column where the model reads numbers (the library's hint names its `encode` option).
 */
export function missingWords(error: unknown, model: unknown): unknown {
  // the library's hint for a text column where numbers are read names its `encode` option: a saved model's columns are fixed
  if (error instanceof SegkitError && error.code === 'E_NON_NUMERIC' && error.hint?.includes('`encode`')) {
    return restate(error, (message) => message, () => 'the model reads this column as numbers: write its values as numbers, or fit the model again with the column in --encode');
  }
  if (!(error instanceof SegkitError) || error.code !== 'E_NAN_INPUT') return error;
  if (/; log1p needs values greater than -1$/.test(baseMessage(error))) {
    return restate(error, (message) => message, () => 'the model scales this column with log1p (segment --scale log), which takes values above -1 only: check the value, or fit the model again with another --scale');
  }
  if (!/column ".*" is missing$/.test(baseMessage(error))) return error;
  const geo = (model as { model?: { metric?: string } }).model?.metric === 'haversine';
  return restate(error, (message) => message, () => (geo
    ? 'leave out the rows without coordinates: the model never fills them in'
    : 'the model\'s preparation fills in no missing values (segment --impute none): leave out those rows, or fit it again with --impute'));
}

/** The executor of --executor and --store (the shards of each batch go to the store, the jobs to the workers). */
async function distributedExecutor(f: ScoreFlags): Promise<Executor | undefined> {
  if (f.executor === undefined && f.store === undefined && f.queue === undefined) return undefined;
  if (f.executor === undefined) throw new UsageError(`${f.store === undefined ? '--queue' : '--store'} goes with --executor redis://...`);
  if (f.store === undefined) throw new UsageError('--executor needs --store: where the workers read the shards (file:///shared/dir)');
  if (f.threads !== undefined) throw new UsageError('--threads and --executor clash: the workers decide their threads');
  // loaded only here: the job queue's client takes about 0.3 s to load
  const { bullmqExecutor } = await import('../engine/bullmq.node.js');
  return bullmqExecutor({ connection: f.executor, store: f.store, ...(f.queue === undefined ? {} : { queue: f.queue }) });
}

/** Reads and checks a saved model; any failure names the file. */
export async function loadModel(path: string): Promise<SegmentModel> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new SegkitError('E_IO', `cannot read model "${path}": ${reason}`, undefined, { cause: error });
  }
  try {
    // parsed once: a forest's model file can be large
    const json = modelValue(text);
    return bareModel(json) ?? SegmentModel.fromJSON(json);
  } catch (error) {
    throw inFile(error, `model "${path}"`);
  }
}

/** Where scored CSV text goes: standard output, or a temporary file flushed and renamed over the target once complete. */
class CsvSink {
  private constructor(readonly path: string, private readonly file: AtomicFile | undefined) {}

  static async open(path: string): Promise<CsvSink> {
    return new CsvSink(path, path === '-' ? undefined : await AtomicFile.open(path));
  }

  async write(bytes: Uint8Array): Promise<void> {
    if (this.file) return this.file.write(bytes);
    // Waiting for the callback keeps at most one batch of text in memory when the reader is slower than scoring.
    await new Promise<void>((resolve, reject) => process.stdout.write(bytes, (error) => (error ? reject(writeFailure('-', error)) : resolve())));
  }

  /** Replaces the target, unless `signal` fired: then the target stays as it was. */
  async commit(signal: AbortSignal): Promise<void> {
    await this.file?.commit(signal);
  }

  /** Removes the partial output; standard output cannot be taken back. */
  async discard(): Promise<void> {
    await this.file?.discard();
  }
}

/**
 * SegmentModel.predict (and, with `proba`, predictProba), with the pipeline's column-by-column transform where it
 * applies (an imputer and a scaler: no row is dropped, so the labels are the model's, row for row): one transform of
 * the batch serves both. `meanwhile`: work of the caller's that a pass on several threads runs once its workers have
 * their shards (`LoadOptions.meanwhile`); it may not be called at all.
 */
async function predictBatch(
  model: SegmentModel, batch: Table, run: RunOptions, proba: boolean, reuse: Float32Array[], unknown: Map<string, number>, filled: Map<string, number>, meanwhile?: () => void,
): Promise<{ labels: Int32Array; proba?: Float64Array }> {
  const steps = model.pipeline.steps;
  if (batch.numRows === 0 || !steps.every((s) => s.kind === 'imputer' || s.kind === 'scaler')) {
    if (proba) {
      const r = await model.predictWithProba(batch, run);
      countUnknown(unknown, r.report);
      countFilled(filled, r.report?.steps);
      return r;
    }
    const r = await model.predictPrepared(batch, run);
    countUnknown(unknown, r.prepared?.report);
    countFilled(filled, r.prepared?.report.steps);
    return { labels: r.labels };
  }
  if (!proba) {
    // float64 columns converted where they are labelled, on every thread
    const fused = await transformLabel(model, batch, run, meanwhile);
    if (fused) {
      countFilled(filled, fused.steps);
      return { labels: fused.labels };
    }
  }
  // the feature columns go into the executor's memory when labelled: the next batch's transform may write them again
  let dataset = fastDataset(model.pipeline, batch, reuse, (reports) => countFilled(filled, reports));
  if (!dataset) {
    const prepared = model.pipeline.transform(batch);
    countFilled(filled, prepared.report.steps);
    dataset = prepared.dataset;
  }
  const labels = await model.model.predict(dataset, run);
  if (!proba) return { labels };
  const soft = model.model as SegmentationModel & { predictProba(data: Dataset, o: RunOptions): Promise<Float64Array> };
  return { labels, proba: await soft.predictProba(dataset, run) };
}

interface Tally {
  rows: number;
  counts: Float64Array;
  unscored: number;
}

/**
 * Adds a batch's labels to the counts. Four rows a step into four sets of counts: one set made each row's count wait
 * for the row before's when both fell in one segment, and the loop ran 2.4 times as long (10M labels, k = 8).
 */
function tally(t: Tally, labels: Int32Array): void {
  const k = t.counts.length, m = labels.length;
  if (4 * k > m) {
    // more counts than labels (a large k, a small batch): one pass, with no counts to make and add up
    for (let i = 0; i < m; i++) {
      const l = labels[i];
      if (l < 0) t.unscored++; else t.counts[l]++;
    }
    t.rows += m;
    return;
  }
  const c = new Int32Array(4 * k);
  let unscored = 0, i = 0;
  for (; i + 3 < m; i += 4) {
    const a = labels[i], b = labels[i + 1], e = labels[i + 2], f = labels[i + 3];
    if ((a | b | e | f) < 0) {
      if (a < 0) unscored++; else c[a]++;
      if (b < 0) unscored++; else c[k + b]++;
      if (e < 0) unscored++; else c[2 * k + e]++;
      if (f < 0) unscored++; else c[3 * k + f]++;
    } else {
      c[a]++; c[k + b]++; c[2 * k + e]++; c[3 * k + f]++;
    }
  }
  for (; i < m; i++) {
    const l = labels[i];
    if (l < 0) unscored++; else c[l]++;
  }
  for (let q = 0; q < k; q++) t.counts[q] += c[q] + c[k + q] + c[2 * k + q] + c[3 * k + q];
  t.rows += m;
  t.unscored += unscored;
}

/**
 * The types of the columns a model reads, for the readers: fixed, so a column that is empty (or empty in the first
 * batch) is read as numbers, not inferred as text.
 */
function modelColumnTypes(model: SegmentModel): Record<string, ColumnType> {
  const types: Record<string, ColumnType> = {};
  for (const c of model.pipeline.inputs) types[c.name] = c.kind === 'numeric' ? 'number' : 'string';
  return types;
}

/** Whether the CSV reader reads a column as text when scoring CSV to CSV (every column but the model's numbers). */
function textColumn(model: SegmentModel): (name: string) => boolean {
  const types = modelColumnTypes(model);
  return (name) => types[name] !== 'number';
}

/** A reader's E_MISSING_COLUMN for a column of `modelColumnTypes`, said as the input lacking a column the model reads. */
function rethrowMissingModelColumn(error: unknown, what: string, model: SegmentModel): void {
  if (!(error instanceof SegkitError) || error.code !== 'E_MISSING_COLUMN' || !/option "types"/.test(error.message)) return;
  // a name may hold quotes itself (a&b "q"): the reader's message ends it with '", which'
  const column = /column "(.*)", which /.exec(error.message)?.[1] ?? '?';
  throw new SegkitError('E_MISSING_COLUMN', `${what} has no column "${column}", which the model reads`, `the model reads: ${model.pipeline.inputs.map((c) => c.name).join(', ')}`);
}

/** A whole table read with the model's column types (`readInput`), a missing model column said as such. */
export async function readForModel(
  path: string, ctx: RunContext, model: SegmentModel, format?: TableFormat, label = 'reading', others: readonly TableFormat[] = [], text: readonly string[] = [],
): Promise<Table> {
  try {
    // `text`: other columns read as written (the model's own keep the model's types)
    return await readInput(path, ctx, format, label, { ...Object.fromEntries(text.map((c) => [c, 'string' as const])), ...modelColumnTypes(model) }, undefined, others);
  } catch (error) {
    rethrowMissingModelColumn(error, inputName(path), model);
    throw error;
  }
}

/**
 * The input's CSV batches, the model's columns read with its types. `asWritten`: every other column is read as text,
 * so CSV output gives its cells as they were ("007", 2^53 + 1, "1E5", "NA"), and Arrow, Parquet and JSON output
 * infers their types (KeptTypes); else their types are inferred from the first batch, and a later cell that does not
 * fit is an error naming its line.
 */
async function* batches(
  input: string, handle: FileHandle | undefined, fmt: TableFormat, model: SegmentModel, f: ScoreFlags, ctx: RunContext,
  asWritten: boolean, onBytes: (n: number) => void, texts?: RecordTexts,
): AsyncGenerator<Table> {
  const types = modelColumnTypes(model);
  const source = handle ? handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }) : process.stdin;
  const what = inputName(input);
  let first = true;
  try {
    // the columns the model does not read keep every cell as written, `NA` included (of the missing-value tokens,
    // only the empty cell is missing there); the model's own columns keep their missing values
    const header = asWritten ? await csvHeader(input, fmt, ctx) : undefined;
    const options = {
      batchSize: f.batchSize, signal: ctx.signal, types, defaultType: asWritten ? 'string' as const : undefined, ...readerOptions(fmt, ctx.read),
      ...(header ? { asWritten: header.filter((name) => !Object.hasOwn(types, name)) } : {}),
    };
    for await (const batch of csvRecordsWith(counted(source as AsyncIterable<Buffer>, onBytes), options, texts)) {
      first = false;
      yield batch;
    }
  } catch (error) {
    if (first) rethrowMissingModelColumn(error, what, model);
    if (error instanceof SegkitError && error.hint?.startsWith('the type was inferred')) {
      // the library's hint names its `types` option; here the remedies are the command's
      const inferred = /^the type was inferred as \w+ from the first \d+ rows/.exec(error.hint)?.[0] ?? 'the type was inferred from the first batch';
      throw inFile(new SegkitError(error.code, baseMessage(error), `${inferred}: CSV output keeps the columns the model does not read as written, or a larger --batch-size infers the type from more rows`), what);
    }
    if (error instanceof SegkitError) throw inFile(error, what);
    throw new SegkitError('E_IO', `cannot read ${what}: ${(error as Error)?.message ?? String(error)}`, undefined, { cause: error });
  }
}

async function openInput(input: string): Promise<{ handle?: FileHandle; size: number }> {
  if (input === '-') return { size: -1 };
  let handle: FileHandle;
  try {
    handle = await open(input, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (error as Error).message;
    throw new SegkitError('E_IO', `cannot read "${input}": ${reason}`, undefined, { cause: error });
  }
  const s = await handle.stat();
  if (s.isDirectory()) {
    await handle.close();
    throw new SegkitError('E_IO', `cannot read "${input}": it is a directory`);
  }
  return { handle, size: s.size };
}

/** Where scored batches go: CSV text appended as it comes, Arrow IPC batch by batch, or kept for a whole-table format. */
interface TableSink {
  /** Whether `write` is done with a batch when it resolves (CSV copies it, Arrow IPC has written it); else it keeps it. */
  readonly streaming: boolean;
  write(scored: Table, first: boolean): Promise<void>;
  /** CSV only: a batch of scored records written as they were read (verbatimCsv.ts); the first batch has the header. */
  writeRecords?(task: RecordRowsTask): Promise<void>;
  /** CSV only: record buffers a written batch is done with, for the next batch's records (RecordTexts.take). */
  spareRecords?(): Partial<RecordBlock> | undefined;
  commit(signal: AbortSignal): Promise<void>;
  discard(): Promise<void>;
}

/**
 * The sink for `path`. `manyBatches`: the input looks larger than one batch, so a CSV sink starts its formatting
 * thread at once, while the first batch is read, rather than when the second batch is ready to format (the thread
 * takes 0.1 to 0.2 s to start and load its modules, and the reader had to wait for it there).
 */
async function openSink(path: string, format: TableFormat, manyBatches = false): Promise<TableSink> {
  if (format === 'csv' || format === 'tsv') {
    const sink = await CsvSink.open(path);
    const delimiter = format === 'tsv' ? '\t' : undefined;
    // A worker thread formats each batch after the first while this thread reads and scores the next; batches are
    // written in order, at most two in flight. The first batch is formatted here: a one-batch input starts no worker.
    const startPool = () => {
      const p = new Piscina({ filename: new URL('./csvFormatWorker.js', import.meta.url).href, minThreads: 1, maxThreads: 1 });
      // a thread that fails to start before it has a task would be an unhandled 'error' event: the tasks sent to the
      // pool report such failures (a pool worker failed)
      p.on('error', () => undefined);
      return p;
    };
    let pool: Piscina | undefined = manyBatches ? startPool() : undefined;
    let chain: Promise<void> = Promise.resolve();
    const stop = async (): Promise<void> => {
      const p = pool;
      pool = undefined;
      await p?.destroy();
    };
    // Buffers written batches are done with go back to work: output bytes to the worker, record buffers to the
    // reader (memory touched for the first time costs a page fault per page, dear on virtual machines)
    const spareBytes: Uint8Array[] = [];
    const spareRecords: Partial<RecordBlock>[] = [];
    const formatted = (task: CsvFormatTask, transfer: ArrayBuffer[]): Promise<Uint8Array> => {
      pool ??= startPool();
      const spare = spareBytes.pop();
      const job = (pool.run(spare ? { ...task, spare } : task, { transferList: spare ? [...transfer, spare.buffer as ArrayBuffer] : transfer }) as Promise<CsvFormatted>).then((done) => {
        if (done.records) spareRecords.push(done.records);
        return done.bytes;
      });
      job.catch(() => undefined);
      return job;
    };
    // each batch's bytes are written after the batch before's
    const queue = async (bytes: Uint8Array | Promise<Uint8Array>, recycle = false): Promise<void> => {
      const before = chain;
      chain = before.then(async () => {
        const written = await bytes;
        await sink.write(written);
        if (recycle) spareBytes.push(written);
      });
      chain.catch(() => undefined);
      await before;
    };
    return {
      streaming: true,
      write: async (scored, first) => {
        if (first || scored.numRows === 0) {
          // bytes go to the file as they are, with no round trip through a string
          return queue(writeCsvBytes(scored, { header: first, ...(delimiter ? { delimiter } : {}) }));
        }
        const ipc = tableToIPC(scored, 'stream');
        return queue(formatted({ ipc, header: false, delimiter }, [ipc.buffer as ArrayBuffer]));
      },
      writeRecords: async (task) => {
        if (task.header) return queue(recordRows(task));
        const buffers = new Set([task.records, task.starts, task.ends, task.risky].map((a) => a.buffer as ArrayBuffer));
        return queue(formatted(task, [...buffers]), true);
      },
      spareRecords: () => spareRecords.pop(),
      commit: async (signal) => {
        await chain;
        await stop();
        await sink.commit(signal);
      },
      discard: async () => {
        await chain.catch(() => undefined);
        await stop();
        await sink.discard();
      },
    };
  }
  if (format === 'arrow' && path !== '-') return ArrowFileSink.open(path, arrowFlavour(path));
  const kept: Table[] = [];
  return {
    streaming: false,
    write: async (scored) => void kept.push(scored),
    commit: (signal) => writeTable(path, kept.length === 1 ? kept[0] : kept[0].concat(...kept.slice(1)), { signal }),
    discard: async () => undefined,
  };
}

/** A density model's -1 rows are unassigned (noise): named so in the output, never as a segment. */
function unassignedRows(model: SegmentModel, labels: Int32Array): Uint8Array | undefined {
  return model.kind === 'dbscan' ? Uint8Array.from(labels, (l) => (l < 0 ? 1 : 0)) : undefined;
}

async function runScore(input: string, f: ScoreFlags, ctx: RunContext, executor?: Executor): Promise<void> {
  if (f.out === '-' && ctx.json) throw new UsageError('--out - and --json both write to stdout; write the table to a file or drop --json');
  if (f.segmentColumn.trim() === '') throw new UsageError('--segment-column must be a column name');
  const outFormat = outputFormat(f.out, '--out');
  const inFormat = inputFormat(input, formatFlag(f));
  checkReadOptions(inFormat, ctx.read, input);
  checkPaths([['the input', input], ['--model', f.model]], [['--out', f.out]]);
  await checkParent(f.out, '--out');
  const model = await loadModel(f.model);
  // membership probabilities: a mixture's, or a tree's or forest's leaf probabilities (the classes' shares)
  if (f.proba && typeof (model.model as { predictProba?: unknown }).predictProba !== 'function') {
    throw new UsageError(`--proba needs a model with membership probabilities; "${f.model}" holds ${/^[aeiou]/.test(model.kind) ? 'an' : 'a'} ${model.kind} model (segment with --algorithm gmm, or train a tree or forest)`);
  }
  const names = model.names;
  const what = inputName(input);
  // --proba: one probability column per segment after the segment columns (earlier ones replaced)
  // old probability columns describe another segmentation: new ones replace them with --proba, none without (as segment)
  const replacing = (table: Table | readonly string[]): string[] => [...replacedColumns(table, f.segmentColumn), ...replacedProbaColumns(table, f.segmentColumn)];
  const t: Tally = { rows: 0, counts: new Float64Array(model.k), unscored: 0 };
  // rows holding categories the model did not see at fit time, by column (noted at the end)
  const unknown = new Map<string, number>();
  // missing values the model's imputer filled, by column (noted at the end)
  const filled = new Map<string, number>();
  // float32 feature buffers, written again by each batch's transform
  const reuse: Float32Array[] = [];
  const started = performance.now();
  const run = executor ? { executor, signal: ctx.signal } : { threads: ctx.threads, signal: ctx.signal };
  const fromCsv = inFormat === 'csv' || inFormat === 'tsv';
  const csvOut = outFormat === 'csv' || outFormat === 'tsv';

  // CSV and Arrow IPC files stream batch by batch; the other formats are read whole, as one batch
  let sink: TableSink | undefined;
  let handle: FileHandle | undefined;
  let bar: ReturnType<RunContext['progress']['start']>;
  let it: AsyncGenerator<Table>;
  // CSV to CSV with every column kept: each record is written as it was read, if the output's delimiter is the input's
  // and no segment columns are replaced. Decided once, from the header, before any cell is read (the columns the model
  // does not read are then not kept), it holds for every batch.
  // (probabilities are written with a decimal point: with a decimal comma, the cells are written by segkit)
  const delimiter = outFormat === 'tsv' ? '\t' : ',';
  const asRead = (names: readonly string[], found: string | undefined): boolean => found === delimiter && replacing(names).length === 0 && !(f.proba && ctx.read.decimal === ',');
  const used = new Set(model.pipeline.inputs.map((c) => c.name));
  const texts = fromCsv && csvOut && !f.keep
    ? new RecordTexts(textColumn(model), (header, found) => (asRead(header, found) ? new Set(header.filter((name) => !used.has(name))) : undefined))
    : undefined;
  let verbatim = false;
  // loaded only where it is used: its reader's modules would add to every run's start-up
  const keptTypes = fromCsv && !csvOut ? new (await import('./keptTypes.js')).KeptTypes(new Set(ctx.read.nullValues), ctx.read.decimal) : undefined;
  // an input file larger than a batch of 64-byte rows most likely has more batches
  let manyBatches = false;
  if (fromCsv) {
    const opened = await openInput(input);
    handle = opened.handle;
    const size = opened.size;
    manyBatches = size > f.batchSize * 64;
    bar = ctx.progress.start('scoring', size > 0 ? size : 1, size > 0 ? 'bytes' : 'count');
    it = batches(input, handle, inFormat, model, f, ctx, true, (n) => size > 0 && bar.update(n, `${t.rows.toLocaleString('en-US')} rows`), texts);
  } else if (inFormat === 'arrow' && input !== '-') {
    bar = ctx.progress.start('scoring', 1);
    it = (async function* () {
      try {
        // a streaming sink is done with each batch (written while the next is scored) before the third after it is
        // asked for, so the batches can share recycled buffers; a sink that keeps every batch until the end (JSON,
        // Parquet, stdout) cannot (the sink is open by the time this generator is first asked for a batch)
        // (shared memory: the scoring threads read each batch's columns where they are)
        yield* readArrowBatches(input, { signal: ctx.signal, recycle: sink?.streaming === true, shared: true });
      } catch (error) {
        throw error instanceof SegkitError ? inFile(error, what) : error;
      }
    })();
  } else {
    const table = await readForModel(input, ctx, model, inFormat);
    bar = ctx.progress.start('scoring', 1);
    it = (async function* () {
      yield table;
    })();
  }
  /** A scored batch's table, written; `before`: the rows of the batches before it. */
  const output = async (batch: Table, predicted: Awaited<ReturnType<typeof predictBatch>>, first: boolean, before: number): Promise<void> => {
    const labels = predicted.labels;
    let scored: Table;
    try {
      // CSV, TSV, JSON or NDJSON to CSV: the input's whole numbers are written as they were read (the probability
      // columns stay decimals; JSON numbers are float64, 5 written 5.0 otherwise); Arrow or Parquet to CSV: the id
      // column's (9876543210 written 9876543210.0 otherwise), the other columns keep the type their writer gave them
      // from CSV to Arrow, Parquet or JSON: the columns the model does not read, read as written, get their types
      let selected = f.keep ? batch.select(f.keep) : batch;
      if (keptTypes) selected = keptTypes.typed(selected, selected.schema.fields.map((c) => c.name).filter((c) => !used.has(c)), what, before);
      const kept = f.proba ? selected : withoutProbabilities(selected, f.segmentColumn);
      const id = model.pipeline.id;
      const shown = csvOut && (fromCsv || inFormat === 'json' || inFormat === 'ndjson') ? wholeNumbersAsIntegers(kept) : csvOut && id !== null ? wholeNumbersAsIntegers(kept, id) : kept;
      // names as a dictionary column: CSV formats each name once; Arrow stores each once (one dictionary per file)
      scored = withSegments(shown, labels, names, f.segmentColumn, unassignedRows(model, labels), { dictionary: csvOut || outFormat === 'arrow' });
      if (predicted.proba) scored = withProbabilities(scored, predicted.proba, model.k, f.segmentColumn);
    } catch (error) {
      // a batch's rows are numbered from 0; its file lines come with it
      throw atRow(haversineWords(missingWords(error, model), HAVERSINE, HAVERSINE_HINT), batch, what, before, true);
    }
    await sink!.write(scored, first);
    tally(t, labels);
    if (!fromCsv) bar.update(1, `${t.rows.toLocaleString('en-US')} rows`);
  };
  // A batch's table is made and written while the workers score the batch after it: one batch at most waits to be
  // written, and each is written before the next one starts. Only Arrow batches (on shared memory) are scored by a
  // pass that runs the output beside it; other inputs, and --proba, write each batch before the next is scored.
  const overlap = inFormat === 'arrow' && input !== '-' && !f.proba;
  let queued: (() => void) | undefined;
  let writing: Promise<void> | undefined;
  /** Starts the queued output, if any (once): what a pass runs beside it, and what every other path runs first. */
  const flush = (): void => {
    const go = queued;
    queued = undefined;
    go?.();
  };
  // rows of the batches handed to predict so far
  let offered = 0;
  try {
    sink = await openSink(f.out, outFormat, manyBatches);
    // The next batch is read while the workers score this one.
    let pending = it.next();
    pending.catch(() => undefined);
    // the first batch (an Arrow file may start with empty ones: the header, notes and checks come once, with it)
    let first = true;
    for (;; first = false) {
      let next: IteratorResult<Table>;
      try {
        next = await pending;
      } catch (error) {
        // the batch before's output, and its failure if it fails, come first
        flush();
        await writing;
        throw error;
      }
      if (next.done) break;
      pending = it.next();
      pending.catch(() => undefined);
      const batch = next.value;
      if (first) {
        if (fromCsv) noteDelimiter(batch, input, ctx);
        requireColumns(batch, f.keep ?? [], '--keep', input);
        const replaced = replacing(f.keep ? batch.select(f.keep) : batch);
        // a column the model reads, replaced by the segments: scoring the output again would read them as its values
        const feature = replaced.find((c) => model.pipeline.inputs.some((i) => i.name === c));
        if (feature !== undefined) {
          throw new UsageError(`--segment-column ${f.segmentColumn}: --out would replace column "${feature}" of ${what} with the segments, and the model reads it as a feature; give --segment-column another name (--segment-column ${f.segmentColumn}2)`);
        }
        if (replaced.length > 0) ctx.note(replacingNote(replaced, what, f.segmentColumn));
        if (texts) {
          // the header's decision, which left the unused columns unread, holds for the batch the reader made of it
          verbatim = texts.verbatim;
          if (verbatim !== asRead(batch.schema.fields.map((field) => field.name), csvInfo(batch)?.delimiter)) throw new Error('records as read: the first batch disagrees with its header');
        }
      }
      if (verbatim) {
        let predicted: Awaited<ReturnType<typeof predictBatch>>;
        try {
          predicted = await predictBatch(model, batch, run, f.proba === true, reuse, unknown, filled);
        } catch (error) {
          throw atRow(haversineWords(missingWords(error, model), HAVERSINE, HAVERSINE_HINT), batch, what, t.rows, true);
        }
        const labels = predicted.labels;
        const { records, starts, ends, risky } = texts!.take(batch.numRows, sink.spareRecords?.());
        await sink.writeRecords!({
          records, starts, ends, risky, labels, unassigned: unassignedRows(model, labels), proba: predicted.proba, names: [...names], column: f.segmentColumn,
          delimiter, newline: texts!.newline, numeric: texts!.numeric, dashMissing: ctx.read.nullValues.includes('-'), header: first ? texts!.header : undefined,
        });
        tally(t, labels);
        throwIfAborted(ctx.signal);
        continue;
      }
      // the batch before is made into its table and written once this batch's pass is under way on the workers
      let predicted: Awaited<ReturnType<typeof predictBatch>>;
      try {
        predicted = await predictBatch(model, batch, run, f.proba === true, reuse, unknown, filled, flush);
      } catch (error) {
        // the batch before's output, and its failure if it fails, come first
        flush();
        await writing;
        // a batch's rows are numbered from 0; its file lines come with it
        throw atRow(haversineWords(missingWords(error, model), HAVERSINE, HAVERSINE_HINT), batch, what, offered, true);
      }
      flush();
      await writing;
      throwIfAborted(ctx.signal);
      const before = offered;
      offered += batch.numRows;
      const isFirst = first;
      queued = () => {
        writing = output(batch, predicted, isFirst, before);
        writing.catch(() => undefined);
      };
      if (!overlap) {
        // no pass takes it beside the next batch's: written now, before the next batch is read on
        flush();
        await writing;
      }
    }
    flush();
    await writing;
    if (t.rows === 0) throw new SegkitError('E_EMPTY_DATA', `${what} has a header but no rows`);
    const unseen = unknownNote(unknown, what);
    if (unseen) ctx.note(unseen);
    const fills = filledNote(filled, what);
    if (fills) ctx.note(fills);
    throwIfAborted(ctx.signal);
    await sink.commit(ctx.signal);
  } catch (error) {
    // a batch still being written is done with the file first
    await writing?.catch(() => undefined);
    await sink?.discard();
    throw error;
  } finally {
    bar.stop();
    await it.return(undefined).catch(() => undefined);
    await handle?.close().catch(() => undefined);
  }

  const seconds = (performance.now() - started) / 1000;
  const rowsPerSecond = seconds > 0 ? t.rows / seconds : t.rows;
  const segments = model.segments.map((s) => ({ id: s.id, name: s.name, size: t.counts[s.id], share: t.rows > 0 ? t.counts[s.id] / t.rows : 0 }));
  if (ctx.json) {
    ctx.printJson({ rows: t.rows, unscored: t.unscored, seconds, rowsPerSecond, out: f.out, segments, notices: ctx.notices });
    return;
  }
  const lines = segments.map((s) => `  ${String(s.id).padStart(3)}  ${isolate(s.name)}: ${s.size.toLocaleString('en-US')} (${formatShare(s.share)})`);
  ctx.note(
    `scored ${t.rows.toLocaleString('en-US')} rows in ${seconds.toFixed(2)} s (${formatNumber(Math.round(rowsPerSecond))} rows/s)${f.out === '-' ? '' : ` -> ${f.out}`}\n${lines.join('\n')}` +
      (t.unscored > 0
        ? model.kind === 'dbscan'
          ? `\n  ${t.unscored.toLocaleString('en-US')} rows unassigned: no core customer within eps, or dropped by the model's outlier rule (segment -1)`
          : `\n  ${t.unscored.toLocaleString('en-US')} rows dropped by the model's outlier rule (segment -1)`
        : ''),
  );
}
