import type { Table } from '#arrow';
import { SegkitError, describe, throwIfAborted } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import { arrowTableArg } from './dataset.js';
import { tableFormat, type TableFormat } from './tableFormat.js';
import { type WriteArrowOptions, writeArrow } from './writeArrow.js';
import { type WriteCsvOptions, WRITE_CSV_OPTIONS, writeCsvChunks } from './writeCsv.js';
import { type WriteJsonOptions, writeJson } from './writeJson.js';
import { type WriteParquetOptions, writeParquet } from './writeParquet.js';
import { AtomicFile, writeFailure } from './writeFileAtomic.node.js';

export interface WriteTableOptions extends WriteCsvOptions, WriteParquetOptions {
  /** The format, when the extension does not tell it ("-", standard output, is CSV unless told). */
  readonly format?: TableFormat;
  /** Arrow IPC flavour for .arrow files (default: "stream" for .arrows, the stream format's extension, else "file"). */
  readonly arrowFormat?: WriteArrowOptions['format'];
  /** JSON layout for .json files (default "records"). */
  readonly jsonFormat?: Exclude<WriteJsonOptions['format'], 'ndjson'>;
  /** Cancels the write: once it fires, the target is left as it was and the temporary file removed. */
  readonly signal?: AbortSignal;
}

/** The Arrow IPC flavour of `path`: the stream format for .arrows (its registered extension), else the file format. */
export function arrowFlavour(path: string, given?: WriteArrowOptions['format']): NonNullable<WriteArrowOptions['format']> {
  return given ?? (/\.arrows$/i.test(path) ? 'stream' : 'file');
}

// the options each format writes with; `format` and `signal` apply to all
const FORMAT_OPTIONS: Readonly<Record<TableFormat, readonly string[]>> = Object.freeze({
  csv: WRITE_CSV_OPTIONS,
  tsv: WRITE_CSV_OPTIONS,
  json: ['jsonFormat'],
  ndjson: [],
  arrow: ['arrowFormat'],
  parquet: ['codec', 'rowGroupSize'],
});

/**
 * Refuses an option writeTable does not know, or one the file's format does not write with (`delimiter` for a
 * Parquet file), which would be ignored: a misspelt "delimeter" wrote a comma file.
 */
function checkWriteOptions(path: string, options: WriteTableOptions): TableFormat {
  const any = ['format', 'signal'];
  checkOptions(options, [...any, ...new Set(Object.values(FORMAT_OPTIONS).flat())], 'writeTable');
  const format = tableFormat(path, options.format);
  const known = [...any, ...FORMAT_OPTIONS[format]];
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) {
      throw new SegkitError('E_BAD_OPTION', `writeTable: option "${key}" does not apply to ${format} output, which would ignore it`, `${format} output takes: ${known.join(', ')}`);
    }
  }
  return format;
}

/** The options of `keys` that are set, for the format's own writer (which refuses writeTable's others). */
function pick(options: WriteTableOptions, keys: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of keys) if ((options as Record<string, unknown>)[key] !== undefined) out[key] = (options as Record<string, unknown>)[key];
  return out;
}

async function encode(path: string, format: Exclude<TableFormat, 'csv' | 'tsv'>, table: Table, options: WriteTableOptions): Promise<string | Uint8Array> {
  switch (format) {
    case 'json':
      return writeJson(table, { format: options.jsonFormat });
    case 'ndjson':
      return writeJson(table, { format: 'ndjson' });
    case 'arrow':
      return writeArrow(table, { format: arrowFlavour(path, options.arrowFormat) });
    case 'parquet':
      return writeParquet(table, pick(options, FORMAT_OPTIONS.parquet));
  }
}

/**
 * Writes a table to a file in the format its extension names, atomically: the bytes go to a temporary file
 * in the same directory, flushed to disk and then renamed over the target (the directory flushed too), so readers
 * never see a partial file, even after a crash.
 * "-" writes to standard output. A directory that does not exist, or any other failure, is an E_IO error naming the path.
 * @example
 * await writeTable('out/segments.parquet', segments);
 */
export async function writeTable(path: string, table: Table, options: WriteTableOptions = {}): Promise<void> {
  const staged = await stageTable(path, table, options);
  await staged.commit(options.signal);
}

/** A table written under a temporary name, waiting to replace its target (standard output: waiting to be written). */
export interface StagedTable {
  /** Renames the file over the target, unless `signal` fired: then the target stays as it was. */
  commit(signal?: AbortSignal): Promise<void>;
  /** Removes the temporary file. */
  discard(): Promise<void>;
}

/**
 * writeTable up to the rename: the bytes are written and flushed under a temporary name, and `commit` replaces the
 * target, so a command can write its output while it computes something else and still replace nothing if that fails.
 */
export async function stageTable(path: string, table: Table, options: WriteTableOptions = {}): Promise<StagedTable> {
  if (typeof path !== 'string' || path === '') throw new SegkitError('E_BAD_OPTION', `path must be a file path or "-", got ${describe(path)}`);
  arrowTableArg(table, 'writeTable');
  const format = checkWriteOptions(path, options);
  throwIfAborted(options.signal);
  if (format === 'csv' || format === 'tsv') {
    const csv: WriteCsvOptions = pick(options, WRITE_CSV_OPTIONS);
    const csvOptions = format === 'tsv' ? { ...csv, delimiter: orDefault(csv.delimiter, '\t') } : csv;
    if (path === '-') return { commit: () => writeCsvStdout(table, csvOptions, options.signal), discard: async () => undefined };
    return stageCsvFile(path, table, csvOptions, options.signal);
  }
  const data = await encode(path, format, table, options);
  throwIfAborted(options.signal);
  if (path === '-') return { commit: () => toStdout(data), discard: async () => undefined };
  const file = await AtomicFile.open(path);
  await file.write(data);
  return file;
}

function toStdout(data: string | Uint8Array): Promise<void> {
  return new Promise<void>((resolve, reject) => process.stdout.write(data, (error) => (error ? reject(writeFailure('-', error)) : resolve())));
}

async function writeCsvStdout(table: Table, options: WriteCsvOptions, signal: AbortSignal | undefined): Promise<void> {
  for (const chunk of writeCsvChunks(table, options)) {
    throwIfAborted(signal);
    await toStdout(chunk);
  }
}

/** CSV written as it is formatted, 64k rows at a time: memory holds one chunk of text, never the whole file. */
async function stageCsvFile(path: string, table: Table, options: WriteCsvOptions, signal: AbortSignal | undefined): Promise<StagedTable> {
  const chunks = writeCsvChunks(table, options);
  // the first chunk checks the options before any file is made
  let next = chunks.next();
  const file = await AtomicFile.open(path);
  try {
    for (; !next.done; next = chunks.next()) {
      throwIfAborted(signal);
      await file.write(next.value);
    }
  } catch (error) {
    await file.discard();
    throw error;
  }
  return file;
}
