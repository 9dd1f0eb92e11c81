// Encoding an Arrow table as Parquet bytes, loaded where a Parquet file is first written (with hyparquet-writer,
// the package's browser entry: its default Node entry imports fs), so bundles that never write Parquet leave it out.
import { DataType, type Table, type Vector } from '#arrow';
import type { DecodedArray } from 'hyparquet';
import { type ColumnSource, parquetWriteBuffer } from 'hyparquet-writer/src/index.js';
import { schemaFromColumnData } from 'hyparquet-writer/src/schema.js';
import { SegkitError } from '../util/errors.js';
import { isBytes, otherText } from './tableCells.js';
import { columnValues } from './utf8Text.js';

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

/**
 * A time column as milliseconds from 1970, floored (as the text writers floor them), from the stored counts: Arrow's
 * own reading refuses a count past 2^53 (2^63 - 1 microseconds, a database's "infinity"), which Parquet keeps.
 */
function timeMillis(name: string, vector: Vector): unknown[] {
  const type = vector.type as DataType & { unit: number };
  const date = DataType.isDate(type);
  const scale = date ? (type.unit ? 1n : 86_400_000n) : type.unit ? 1n : 1000n;
  const per = date ? 1n : [1n, 1n, 1000n, 1_000_000n][type.unit];
  const out: unknown[] = [];
  for (const data of vector.data) {
    for (let r = 0; r < data.length; r++) {
      const v = BigInt((data.values as ArrayLike<number | bigint>)[r]) * scale;
      const q = v / per;
      const ms = q * per > v ? q - 1n : q;
      if (BigInt.asIntN(64, ms) !== ms && data.getValid(r)) {
        throw new SegkitError('E_PRECISION', `row ${out.length}, column "${name}": ${ms} ms from 1970 is more than Parquet's 64-bit milliseconds hold`, 'write Arrow, which keeps it');
      }
      out.push(data.getValid(r) ? ms : null);
    }
  }
  return out;
}

function columnSource(name: string, vector: Vector): ColumnSource {
  const type = vector.type as DataType;
  const nullable = vector.nullCount > 0;
  // a dictionary's own null entry (or a union's null member) is null where no validity bit says so
  const source = (basic: Basic, data: unknown): ColumnSource => ({ name, type: basic, nullable: nullable || (Array.isArray(data) && data.includes(null)), data: data as DecodedArray });
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
  if (DataType.isTimestamp(type) || DataType.isDate(type)) return source('TIMESTAMP', timeMillis(name, vector));
  // bytes stay bytes (a BYTE_ARRAY without the UTF8 annotation, as they were read): as text they were hex, other ids;
  // a dictionary of bytes too (as text its values were their byte values joined by commas)
  // and fixed-size bytes (UUIDs, hashes), which as text were their UTF-8 text or hex, whichever they read as
  if (isBytes(type) || DataType.isFixedSizeBinary(type) || (DataType.isDictionary(type) && isBytes(type.dictionary))) return source('BYTE_ARRAY', plainValues(vector, (v) => v));
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type) || DataType.isDictionary(type)) return source('STRING', plainValues(vector, String));
  return source('STRING', plainValues(vector, otherText));
}

/** writeParquet's work once its options are checked: the table (decimals already numbers) as Parquet bytes. */
export function encodeParquet(table: Table, codec: 'SNAPPY' | 'UNCOMPRESSED', rowGroupSize: number | undefined, kvMetadata: { key: string; value: string }[] | undefined): Uint8Array {
  const fields = table.schema.fields;
  // a file of no column holds no rows: its footer would say 0 whatever the table's length
  if (fields.length === 0 && table.numRows > 0) throw new SegkitError('E_EMPTY_DATA', `the table has ${table.numRows} rows but no columns: Parquet keeps no rows without a column`);
  const columnData = fields.map((f, j) => columnSource(f.name, table.getChildAt(j)!));
  // columns given no basic type are the unsigned 64-bit ones: the schema then comes whole, with their annotation
  const unsigned = columnData.filter((c) => c.type === undefined);
  // an undefined rowGroupSize is hyparquet-writer's default
  const common = { codec, kvMetadata, rowGroupSize };
  if (unsigned.length === 0) return new Uint8Array(parquetWriteBuffer({ columnData, ...common }));
  const schemaOverrides = Object.fromEntries(unsigned.map((c) => [c.name, { name: c.name, type: 'INT64' as const, converted_type: 'UINT_64' as const, repetition_type: c.nullable ? 'OPTIONAL' as const : 'REQUIRED' as const }]));
  const schema = schemaFromColumnData({ columnData: columnData.map((c) => (c.type === undefined ? { name: c.name, data: c.data } : c)), schemaOverrides });
  return new Uint8Array(parquetWriteBuffer({ columnData: columnData.map(({ type: _type, ...c }) => c), schema, ...common }));
}
