import type { Table } from '#arrow';
import { open } from 'node:fs/promises';
import { SegkitError, describe, restate } from '../util/errors.js';
import { checkOptions, orDefault } from '../util/options.js';
import type { ByteSource } from './byteSource.js';
import type { ReadCsvOptions } from './csvCore.js';
import { readArrow } from './readArrow.js';
import { readCsv } from './readCsv.js';
import { readCsvFile } from './readCsvFile.node.js';
import { readJson } from './readJson.js';
import { readNdjson } from './readNdjson.js';
import { readParquet } from './readParquet.js';
import type { ReadJsonOptions } from './recordColumns.js';
import { type TableFormat, tableFormat } from './tableFormat.js';

export interface ReadTableOptions extends ReadCsvOptions, ReadJsonOptions {
  /** The format, when the extension does not tell it (stdin, "-", is CSV unless told). */
  readonly format?: TableFormat;
  /** Threads that read parts of a large CSV or TSV file at once (default: all cores; 1 reads on the calling thread). */
  readonly threads?: number;
  /** The smallest part of a CSV or TSV file a thread reads (default 16 MiB). */
  readonly minPartBytes?: number;
}

/** A reading error of `path` as readTable gives it: the file named, and system errors said plainly. */
export function ioError(path: string, error: unknown): SegkitError {
  const what = path === '-' ? 'standard input' : `"${path}"`;
  // what is wrong inside a file is told with the file's name in front
  if (error instanceof SegkitError) return error.code === 'E_PARSE' && !error.message.startsWith(what) ? restate(error, (m) => `${what}: ${m}`) : error;
  const code = (error as NodeJS.ErrnoException)?.code;
  const reason = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : code === 'EACCES' ? 'permission denied' : (error as Error)?.message;
  return new SegkitError('E_IO', `cannot read ${what}: ${reason}`, undefined, { cause: error });
}

// the options each format reads (a CSV file also takes onBytes, as readCsvFile does)
const ANY_FORMAT = ['format', 'threads', 'minPartBytes', 'signal'];
const JSON_OPTIONS = [...ANY_FORMAT, 'types', 'parseDates', 'float32', 'encoding'];
const CSV_OPTIONS = [...JSON_OPTIONS, 'delimiter', 'decimal', 'maxColumns', 'quote', 'defaultType', 'nullValues', 'asWritten', 'onBytes'];

/** Refuses an option readTable does not know, or one the file's format does not read (types for a Parquet file), which was ignored. */
function checkReadOptions(options: ReadTableOptions, format: TableFormat): void {
  const known = format === 'csv' || format === 'tsv' ? CSV_OPTIONS : format === 'json' || format === 'ndjson' ? JSON_OPTIONS : ANY_FORMAT;
  for (const [key, value] of Object.entries(options)) {
    if (value !== undefined && !known.includes(key)) {
      throw new SegkitError('E_BAD_OPTION', `readTable: option "${key}" does not apply to ${format} input, which would ignore it`, `${format} input takes: ${known.join(', ')}`);
    }
  }
}

/** CSV reader options for a CSV or TSV file: a TSV file is tab-separated unless told otherwise. */
function csvOptions(format: 'csv' | 'tsv', options: ReadTableOptions): ReadTableOptions {
  return format === 'tsv' ? { ...options, delimiter: orDefault(options.delimiter, '\t') } : options;
}

/**
 * The options without readTable's own (`format`, and the ones only readCsvFile takes), which the readers refuse, and
 * without the ones left undefined (readTable takes `delimiter: undefined` for any format).
 */
function readerOptions(options: ReadTableOptions, own = ['format', 'threads', 'minPartBytes', 'onBytes']): ReadTableOptions {
  const reader: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(options)) if (value !== undefined && !own.includes(key)) reader[key] = value;
  return reader;
}

function parse(format: TableFormat, source: ByteSource, all: ReadTableOptions): Promise<Table> {
  const options = readerOptions(all);
  switch (format) {
    case 'csv':
    case 'tsv':
      return readCsv(source, csvOptions(format, options));
    case 'json':
      return readJson(source, options);
    case 'ndjson':
      return readNdjson(source, options);
    case 'arrow':
      return readArrow(source);
    case 'parquet':
      return readParquet(source);
  }
}

/**
 * Reads a table file, choosing the reader by extension (.csv .tsv .json .ndjson/.jsonl .arrow/.feather/.ipc .parquet)
 * or by `format`; "-" reads standard input. CSV, TSV and NDJSON stream from disk (a large CSV or TSV file in parts
 * that `threads` threads read at once); the other formats are read whole.
 * A file that cannot be opened is an E_IO error naming the path; an option readTable does not know, or one the file's
 * format does not read (`types` for a Parquet file), is an E_BAD_OPTION error naming it.
 * @example
 * const customers = await readTable('customers.csv', { types: { customer_id: 'string' } });
 */
export async function readTable(path: string, options: ReadTableOptions = {}): Promise<Table> {
  if (typeof path !== 'string' || path === '') throw new SegkitError('E_BAD_OPTION', `path must be a file path or "-", got ${describe(path)}`);
  checkOptions(options, CSV_OPTIONS, 'readTable');
  const format = tableFormat(path, options.format);
  checkReadOptions(options, format);
  if (path === '-') {
    try {
      return await parse(format, process.stdin, options);
    } catch (error) {
      throw ioError(path, error);
    }
  }
  if (format === 'csv' || format === 'tsv') {
    try {
      return await readCsvFile(path, csvOptions(format, readerOptions(options, ['format'])));
    } catch (error) {
      throw ioError(path, error);
    }
  }
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw ioError(path, error);
  }
  try {
    const streaming = format === 'ndjson';
    const source: ByteSource = streaming ? handle.createReadStream({ autoClose: false, highWaterMark: 1 << 20 }) : await handle.readFile();
    return await parse(format, source, options);
  } catch (error) {
    throw ioError(path, error);
  } finally {
    await handle.close().catch(() => undefined);
  }
}
