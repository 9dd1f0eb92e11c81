import { DataType, type Table, type Vector } from '#arrow';
import type { DecodedArray } from 'hyparquet';
// the package's browser entry (its default Node entry imports fs), loaded on first use
import type { ColumnSource } from 'hyparquet-writer/src/index.js';
import { badOption } from '../util/errors.js';
import { isBytes, otherText } from './tableCells.js';
import { decimalsAsNumbers } from './arrowTable.js';
import { columnValues } from './utf8Text.js';

export interface WriteParquetOptions {
  /** "SNAPPY" (default) or "UNCOMPRESSED". */
  readonly codec?: 'SNAPPY' | 'UNCOMPRESSED';
  /** Rows per row group (default hyparquet-writer's). */
  readonly rowGroupSize?: number;
}

/** Key-value metadata naming the columns writeParquet stored from Arrow dictionaries, so they come back as categories. */
export const DICTIONARY_COLUMNS_KEY = 'segkit:dictionary-columns';

export const WRITE_PARQUET_DEFAULTS = Object.freeze({ codec: 'SNAPPY' as const });

type Basic = NonNullable<ColumnSource['type']>;

/** A column's values as an exact typed array when it is one contiguous chunk without nulls. */
function typedValues(vector: Vector, ctor: new (...a: never[]) => ArrayLike<unknown>): DecodedArray | undefined {
  if (vector.nullCount > 0 || vector.data.length !== 1) return undefined;
  const data = vector.data[0];
  const values = data.values as unknown;
  if (!(values instanceof ctor)) return undefined;
  // Arrow JS slices fixed-width value buffers already; `offset` only applies to the validity bitmap
  return (values as Float64Array).subarray(0, data.length) as DecodedArray;
}

function plainValues(vector: Vector, convert: (v: unknown) => unknown): unknown[] {
  const out = new Array<unknown>(vector.length);
  let i = 0;
  for (const v of columnValues(vector)) out[i++] = v == null ? null : convert(v);
  return out;
}

function columnSource(name: string, vector: Vector): ColumnSource {
  const type = vector.type as DataType;
  const nullable = vector.nullCount > 0;
  const source = (basic: Basic, data: unknown): ColumnSource => ({ name, type: basic, nullable, data: data as DecodedArray });
  if (DataType.isFloat(type)) {
    if (type.precision === 2) return source('DOUBLE', typedValues(vector, Float64Array) ?? plainValues(vector, Number));
    return source('FLOAT', typedValues(vector, Float32Array) ?? plainValues(vector, Number));
  }
  if (DataType.isInt(type)) {
    // unsigned 64-bit (hashed ids, from a Parquet UINT_64 column): INT64 annotated UINT_64, see writeParquet
    if (type.bitWidth === 64 && !type.isSigned) return { name, nullable, data: plainValues(vector, (v) => BigInt(v as bigint)) as DecodedArray };
    if (type.bitWidth === 64 || (type.bitWidth === 32 && !type.isSigned)) {
      return source('INT64', (type.isSigned && typedValues(vector, BigInt64Array)) || plainValues(vector, (v) => BigInt(v as number | bigint)));
    }
    return source('INT32', (type.bitWidth === 32 && typedValues(vector, Int32Array)) || plainValues(vector, Number));
  }
  if (DataType.isBool(type)) return source('BOOLEAN', plainValues(vector, Boolean));
  // timestamps of any unit arrive as epoch milliseconds; Parquet gets TIMESTAMP_MILLIS
  if (DataType.isTimestamp(type) || DataType.isDate(type)) return source('TIMESTAMP', plainValues(vector, (v) => BigInt(Math.floor(v as number))));
  // bytes stay bytes (a BYTE_ARRAY without the UTF8 annotation, as they were read): as text they were hex, other ids;
  // a dictionary of bytes too (as text its values were their byte values joined by commas)
  if (isBytes(type) || (DataType.isDictionary(type) && isBytes(type.dictionary))) return source('BYTE_ARRAY', plainValues(vector, (v) => v));
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isDictionary(type)) return source('STRING', plainValues(vector, String));
  return source('STRING', plainValues(vector, otherText));
}

/**
 * Writes an Arrow table as Parquet bytes with hyparquet-writer. Dictionary (category) columns are stored as strings
 * and listed in the file's key-value metadata so readParquet restores them; other types map to their Parquet twins
 * (Int8/16/32 -> INT32, Int64 -> INT64, timestamps -> TIMESTAMP_MILLIS, Binary -> BYTE_ARRAY), and nested values are stored as JSON text.
 * @example
 * const bytes = await writeParquet(features);
 */
export async function writeParquet(input: Table, options: WriteParquetOptions = {}): Promise<Uint8Array> {
  const table = decimalsAsNumbers(input);
  const codec = options.codec ?? WRITE_PARQUET_DEFAULTS.codec;
  if (codec !== 'SNAPPY' && codec !== 'UNCOMPRESSED') throw badOption('codec', codec, '"SNAPPY" or "UNCOMPRESSED"');
  const rowGroupSize = options.rowGroupSize;
  if (rowGroupSize !== undefined && (!Number.isInteger(rowGroupSize) || rowGroupSize < 1)) {
    throw badOption('rowGroupSize', rowGroupSize, 'a positive integer');
  }
  const fields = table.schema.fields;
  const columnData = fields.map((f, j) => columnSource(f.name, table.getChildAt(j)!));
  const dictionaries = fields.filter((f) => DataType.isDictionary(f.type)).map((f) => f.name);
  const kvMetadata = dictionaries.length > 0 ? [{ key: DICTIONARY_COLUMNS_KEY, value: JSON.stringify(dictionaries) }] : undefined;
  const { parquetWriteBuffer } = await import('hyparquet-writer/src/index.js');
  // columns given no basic type are the unsigned 64-bit ones: the schema then comes whole, with their annotation
  const unsigned = columnData.filter((c) => c.type === undefined);
  let buffer: ArrayBuffer;
  if (unsigned.length === 0) buffer = parquetWriteBuffer({ columnData, codec, kvMetadata, ...(rowGroupSize ? { rowGroupSize } : {}) });
  else {
    const { schemaFromColumnData } = await import('hyparquet-writer/src/schema.js');
    const schemaOverrides = Object.fromEntries(unsigned.map((c) => [c.name, { name: c.name, type: 'INT64' as const, converted_type: 'UINT_64' as const, repetition_type: c.nullable ? 'OPTIONAL' as const : 'REQUIRED' as const }]));
    const schema = schemaFromColumnData({ columnData: columnData.map((c) => (c.type === undefined ? { name: c.name, data: c.data } : c)), schemaOverrides });
    buffer = parquetWriteBuffer({ columnData: columnData.map(({ type: _type, ...c }) => c), schema, codec, kvMetadata, ...(rowGroupSize ? { rowGroupSize } : {}) });
  }
  return new Uint8Array(buffer);
}
