import { DataType, type Table } from '#arrow';
import { badOption } from '../util/errors.js';
import { checkOptions } from '../util/options.js';
import { decimalsAsNumbers } from './arrowTable.js';
import { arrowTableArg } from './dataset.js';

export interface WriteParquetOptions {
  /** "SNAPPY" (default) or "UNCOMPRESSED". */
  readonly codec?: 'SNAPPY' | 'UNCOMPRESSED';
  /** Rows per row group (default hyparquet-writer's). */
  readonly rowGroupSize?: number;
}

/** Key-value metadata naming the columns writeParquet stored from Arrow dictionaries, so they come back as categories. */
export const DICTIONARY_COLUMNS_KEY = 'segkit:dictionary-columns';

export const WRITE_PARQUET_DEFAULTS = Object.freeze({ codec: 'SNAPPY' as const });

/**
 * Writes an Arrow table as Parquet bytes with hyparquet-writer. Dictionary (category) columns are stored as strings
 * and listed in the file's key-value metadata so readParquet restores them; other types map to their Parquet twins
 * (Int8/16/32 -> INT32, Int64 -> INT64, timestamps -> TIMESTAMP_MILLIS, Binary and FixedSizeBinary -> BYTE_ARRAY), and nested values are stored as JSON text.
 * @example
 * const bytes = await writeParquet(features);
 */
export async function writeParquet(input: Table, options: WriteParquetOptions = {}): Promise<Uint8Array> {
  arrowTableArg(input, 'writeParquet');
  checkOptions(options, ['codec', 'rowGroupSize'], 'writeParquet');
  const table = decimalsAsNumbers(input);
  const codec = options.codec ?? WRITE_PARQUET_DEFAULTS.codec;
  if (codec !== 'SNAPPY' && codec !== 'UNCOMPRESSED') throw badOption('codec', codec, '"SNAPPY" or "UNCOMPRESSED"');
  const rowGroupSize = options.rowGroupSize;
  if (rowGroupSize !== undefined && (!Number.isInteger(rowGroupSize) || rowGroupSize < 1)) {
    throw badOption('rowGroupSize', rowGroupSize, 'a positive integer');
  }
  const fields = table.schema.fields;
  const dictionaries = fields.filter((f) => DataType.isDictionary(f.type)).map((f) => f.name);
  const kvMetadata = dictionaries.length > 0 ? [{ key: DICTIONARY_COLUMNS_KEY, value: JSON.stringify(dictionaries) }] : undefined;
  // the encoder (and hyparquet-writer) is loaded on first use
  const { encodeParquet } = await import('./parquetEncode.js');
  return encodeParquet(table, codec, rowGroupSize, kvMetadata);
}
